//! Rendering straight from a Git commit (blobs from the object database, no checkout) gives
//! byte-identical output to rendering the working directory.

mod example;

use std::fs;
use std::path::Path;

use example::{EXAMPLE_DIR, combinations, load_example, render_selection};
use git2::{IndexAddOption, Repository, Signature};

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A repository whose only commit holds config-repo-example under `config/` (the way a
/// monorepo would keep it), next to unrelated files.
fn commit_example(dir: &Path) -> (Repository, git2::Oid) {
    let repo = Repository::init(dir).unwrap();
    copy_dir(Path::new(EXAMPLE_DIR), &dir.join("config"));
    fs::write(dir.join("README.md"), "# platform\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("claude-env test", "test@claude-env.invalid").unwrap();
    let oid = repo
        .commit(Some("HEAD"), &sig, &sig, "config-repo-example", &tree, &[])
        .unwrap();
    drop(tree);
    (repo, oid)
}

#[test]
fn a_commit_renders_byte_identical_to_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, oid) = commit_example(tmp.path());
    let from_git = claude_env_source::from_commit(&repo, oid, Some("config")).unwrap();
    let from_dir = load_example();

    assert_eq!(from_git.revision.as_deref(), Some(oid.to_string().as_str()));
    assert_eq!(from_dir.revision, None);
    let files = |s: &claude_env_config::RepoSnapshot| {
        s.files()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&from_git), files(&from_dir));

    let selections = combinations(&from_dir);
    assert_eq!(selections, combinations(&from_git));
    for sel in &selections {
        // The revision differs (a SHA vs none) and must not leak into the output.
        assert!(
            render_selection(&from_git, sel) == render_selection(&from_dir, sel),
            "{sel}: the render from the commit differs from the directory's"
        );
    }
}
