//! Snapshot limits against pushes that are tiny in Git and huge when expanded: one blob
//! referenced from hundreds of paths, and a directory tree nested into itself. The objects
//! are built with git2 directly (a working directory would hold the expanded size), and the
//! load must be refused, naming the limit, the value and the path, before it expands.

use claude_env_source::load::{self, Limit, Limits, LoadError};
use git2::{FileMode, Oid, Repository, Signature};

const MIB: usize = 1024 * 1024;

fn commit(repo: &Repository, root: Oid) -> Oid {
    let sig = Signature::now("t", "t@example.com").unwrap();
    let tree = repo.find_tree(root).unwrap();
    repo.commit(None, &sig, &sig, "bomb", &tree, &[]).unwrap()
}

/// A root tree with `claude-env.yaml` and `base/` = `base`.
fn root_with_base(repo: &Repository, base: Oid) -> Oid {
    let settings = repo.blob(b"schemaVersion: 1\n").unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    root.insert("claude-env.yaml", settings, FileMode::Blob.into())
        .unwrap();
    root.insert("base", base, FileMode::Tree.into()).unwrap();
    root.write().unwrap()
}

fn limit_of(err: &LoadError) -> (Limit, u64, u64, &str) {
    match err {
        LoadError::LimitExceeded(e) => (e.limit, e.max, e.value, &e.path),
        other => panic!("not a limit error: {other}"),
    }
}

#[test]
fn one_blob_referenced_hundreds_of_times_is_refused_not_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    // 4 MiB (the largest file allowed) of YAML, stored once, used by 500 paths: 2 GiB
    // expanded, a few KB in a pack.
    let mut body = b"memory: |\n".to_vec();
    body.resize(4 * MIB - 1, b'a');
    body.push(b'\n');
    let blob = repo.blob(&body).unwrap();
    let mut base = repo.treebuilder(None).unwrap();
    for i in 0..500 {
        base.insert(format!("f{i:03}.yaml"), blob, FileMode::Blob.into())
            .unwrap();
    }
    let base = base.write().unwrap();
    let commit = commit(&repo, root_with_base(&repo, base));

    let err = load::from_commit(&repo, commit, None).unwrap_err();
    let defaults = Limits::default();
    let (limit, max, value, path) = limit_of(&err);
    assert_eq!(limit, Limit::TotalBytes);
    assert_eq!(max, defaults.max_total_bytes);
    assert!(value > max && value <= max + 4 * MIB as u64, "{value}");
    // `base` sorts before claude-env.yaml: 16 uses fill 64 MiB, the 17th passes it.
    assert_eq!(path, "base/f016.yaml");
    assert_eq!(err.category(), "limit");
    let msg = err.to_string();
    assert!(
        msg.contains("base/f016.yaml") && msg.contains(&commit.to_string()),
        "{msg}"
    );

    // Within a caller's larger limit the same commit loads, holding the blob once.
    let roomy = Limits {
        max_total_bytes: 3 * 1024 * MIB as u64,
        ..Limits::default()
    };
    let snap = load::from_commit_with(&repo, commit, None, &roomy).unwrap();
    assert_eq!(snap.len(), 501);
}

#[test]
fn a_directory_nested_into_itself_is_refused_by_its_entry_count() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init_bare(dir.path()).unwrap();
    // Ten levels of ten references to the level below: 10^10 paths from 11 trees.
    let blob = repo.blob(b"settings: {}\n").unwrap();
    let mut level = repo.treebuilder(None).unwrap();
    level.insert("x.yaml", blob, FileMode::Blob.into()).unwrap();
    let mut tree = level.write().unwrap();
    for _ in 0..10 {
        let mut up = repo.treebuilder(None).unwrap();
        for i in 0..10 {
            up.insert(format!("d{i}"), tree, FileMode::Tree.into())
                .unwrap();
        }
        tree = up.write().unwrap();
    }
    let commit = commit(&repo, root_with_base(&repo, tree));

    let small = Limits {
        max_files: 1000,
        ..Limits::default()
    };
    let err = load::from_commit_with(&repo, commit, None, &small).unwrap_err();
    let (limit, max, value, path) = limit_of(&err);
    assert_eq!((limit, max, value), (Limit::Files, 1000, 1001));
    assert!(path.starts_with("base/d0/d0/"), "{path}");

    // With room for the entries, the depth limit stops it instead.
    let shallow = Limits {
        max_files: u64::MAX,
        max_depth: 5,
        ..Limits::default()
    };
    let err = load::from_commit_with(&repo, commit, None, &shallow).unwrap_err();
    let (limit, max, value, path) = limit_of(&err);
    assert_eq!((limit, max, value), (Limit::Depth, 5, 6));
    assert_eq!(path, "base/d0/d0/d0/d0/d0");
}

#[test]
fn directory_loads_count_files_and_bytes_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("claude-env.yaml"), "schemaVersion: 1\n").unwrap();
    std::fs::create_dir_all(dir.path().join("base/n")).unwrap();
    for i in 0..20 {
        std::fs::write(dir.path().join(format!("base/n/f{i:02}.yaml")), "a: 1\n").unwrap();
    }
    // Other files in config directories count as entries, but not their bytes.
    std::fs::write(dir.path().join("base/n/logo.png"), vec![0u8; 1000]).unwrap();

    let files = Limits {
        max_files: 10,
        ..Limits::default()
    };
    let err = load::from_dir_with(dir.path(), &files).unwrap_err();
    assert_eq!(limit_of(&err).0, Limit::Files);
    assert_eq!(limit_of(&err).2, 11);

    // claude-env.yaml (17 bytes) and 20 files of 5: one byte short fails at the last file read.
    let bytes = Limits {
        max_total_bytes: 17 + 5 * 20 - 1,
        ..Limits::default()
    };
    let err = load::from_dir_with(dir.path(), &bytes).unwrap_err();
    let (limit, _, value, _) = limit_of(&err);
    assert_eq!((limit, value), (Limit::TotalBytes, 17 + 5 * 20));

    // claude-env.yaml, base, base/n, 20 fragments and the logo: 24 entries.
    let enough = Limits {
        max_files: 24,
        max_total_bytes: 17 + 5 * 20,
        ..Limits::default()
    };
    let snap = load::from_dir_with(dir.path(), &enough).unwrap();
    assert_eq!(snap.len(), 21);
}
