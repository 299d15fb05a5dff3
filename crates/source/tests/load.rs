//! The directory and Git loaders agree: a real repository committed with git2 loads to the
//! same files, and so to the same merged documents, as its working directory.

use std::fs;
use std::path::Path;

use claude_env_config::{ParsedRepo, RepoSnapshot, load_environment};
use claude_env_source::load::{self, Limit, LoadError, MAX_FILE_SIZE};
use git2::{Oid, Repository, Signature};

const FILES: &[(&str, &str)] = &[
    (
        "claude-env.yaml",
        "schemaVersion: 1\nenvironments: [development, production]\nmerge:\n  settings.permissions.allow: union\n",
    ),
    (
        "base/settings.yaml",
        "settings:\n  model: sonnet\n  permissions:\n    allow: [Read]\n",
    ),
    (
        "base/mcp/context7.json",
        r#"{"mcpServers": {"context7": {"command": "npx"}}}"#,
    ),
    (
        "environments/production/settings.yml",
        "settings:\n  model: opus\n",
    ),
    ("environments/development/.gitkeep", ""),
    (
        "teams/backend/mcp.yaml",
        "mcpServers:\n  db:\n    url: https://db.example/mcp\n",
    ),
    ("teams/backend/README.md", "# Backend\n"),
    (
        "projects/checkout/permissions.yaml",
        "settings:\n  permissions:\n    allow: [Edit]\n",
    ),
    ("schemas/policy.json", r#"{"type": "object"}"#),
    // Not part of the configuration:
    ("README.md", "# Config\n"),
    ("charts/values.yaml", "x: 1\n"),
    ("base/.hidden.yaml", "settings: {model: hidden}\n"),
    ("base/.cache/x.yaml", "settings: {model: cached}\n"),
    ("teams/backend/logo.png", "PNG"),
];

fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let p = root.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
}

/// Commits everything under the work tree, the way a user's `git add -A && git commit` would.
fn commit_all(repo: &Repository, message: &str) -> Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"].iter(), git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::now("t", "t@example.com").unwrap();
    let parents: Vec<_> = repo
        .head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .into_iter()
        .collect();
    let parents: Vec<_> = parents.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

fn paths(s: &RepoSnapshot) -> Vec<&str> {
    s.files().map(|(p, _)| p).collect()
}

#[test]
fn from_dir_selects_config_files_only() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let snap = load::from_dir(dir.path()).unwrap();
    assert_eq!(snap.revision, None);
    assert_eq!(
        paths(&snap),
        [
            "base/mcp/context7.json",
            "base/settings.yaml",
            "claude-env.yaml",
            "environments/development/.gitkeep",
            "environments/production/settings.yml",
            "projects/checkout/permissions.yaml",
            "schemas/policy.json",
            "teams/backend/README.md",
            "teams/backend/mcp.yaml",
        ]
    );
    assert_eq!(
        snap.get("base/settings.yaml").unwrap(),
        FILES[1].1.as_bytes()
    );
}

#[test]
fn a_commit_loads_to_the_same_snapshot_and_documents_as_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "config");

    let from_dir = load::from_dir(dir.path()).unwrap();
    let from_git = load::from_commit(&repo, oid, None).unwrap();
    assert_eq!(from_git.revision.as_deref(), Some(oid.to_string().as_str()));
    assert_eq!(
        from_git.files().collect::<Vec<_>>(),
        from_dir.files().collect::<Vec<_>>()
    );

    let parsed = ParsedRepo::parse(&from_dir);
    assert!(parsed.validate().is_empty(), "{}", parsed.validate());
    for sel in parsed.selections() {
        let a = load_environment(&from_dir, &sel, None).unwrap();
        let b = load_environment(&from_git, &sel, None).unwrap();
        assert_eq!(a, b, "{sel}");
    }
}

#[test]
fn a_subpath_of_the_commit_is_the_config_root() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deploy/claude");
    write_tree(&config, FILES);
    fs::write(dir.path().join("claude-env.yaml"), "not: this one\n").unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "nested");

    let from_git = load::from_commit(&repo, oid, Some("deploy/claude/")).unwrap();
    let from_dir = load::from_dir(&config).unwrap();
    assert_eq!(
        from_git.files().collect::<Vec<_>>(),
        from_dir.files().collect::<Vec<_>>()
    );
}

#[test]
fn the_tree_is_read_from_the_object_database_not_the_work_tree() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let repo = Repository::init(dir.path()).unwrap();
    let first = commit_all(&repo, "first");
    fs::write(
        dir.path().join("base/settings.yaml"),
        "settings: {model: haiku}\n",
    )
    .unwrap();
    fs::remove_file(dir.path().join("teams/backend/mcp.yaml")).unwrap();

    let snap = load::from_commit(&repo, first, None).unwrap();
    assert_eq!(
        snap.get("base/settings.yaml").unwrap(),
        FILES[1].1.as_bytes()
    );
    assert!(snap.get("teams/backend/mcp.yaml").is_some());
}

#[test]
fn revisions_resolve_from_branches_tags_and_short_shas() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let repo = Repository::init(dir.path()).unwrap();
    let first = commit_all(&repo, "first");
    let commit = repo.find_commit(first).unwrap();
    repo.branch("release", &commit, false).unwrap();
    let sig = Signature::now("t", "t@example.com").unwrap();
    repo.tag("v1", commit.as_object(), &sig, "annotated", false)
        .unwrap();
    fs::write(dir.path().join("base/more.yaml"), "memory: x\n").unwrap();
    let second = commit_all(&repo, "second");

    assert_eq!(load::resolve_rev(&repo, "release").unwrap(), first);
    assert_eq!(load::resolve_rev(&repo, "v1").unwrap(), first);
    assert_eq!(
        load::resolve_rev(&repo, &first.to_string()[..10]).unwrap(),
        first
    );
    assert_eq!(load::resolve_rev(&repo, "HEAD").unwrap(), second);
    let err = load::resolve_rev(&repo, "no-such-branch").unwrap_err();
    assert!(matches!(err, LoadError::Revision { .. }));
    assert!(err.to_string().contains("no-such-branch"), "{err}");
}

#[test]
fn a_missing_subpath_names_the_path_and_the_revision() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "c");
    let err = load::from_commit(&repo, oid, Some("nope")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("nope") && msg.contains(&oid.to_string()),
        "{msg}"
    );
    let err = load::from_commit(&repo, oid, Some("claude-env.yaml")).unwrap_err();
    assert!(
        matches!(err, LoadError::SubpathNotADirectory { .. }),
        "{err}"
    );
}

#[test]
fn a_missing_directory_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent");
    let err = load::from_dir(&missing).unwrap_err();
    assert!(matches!(err, LoadError::Io { .. }));
    assert!(err.to_string().contains("absent"), "{err}");
}

#[test]
fn oversized_config_files_are_refused_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let big = "a".repeat(MAX_FILE_SIZE as usize + 1);
    fs::write(dir.path().join("base/big.yaml"), &big).unwrap();
    let err = load::from_dir(dir.path()).unwrap_err();
    assert!(
        matches!(err, LoadError::LimitExceeded(ref e) if e.limit == Limit::FileBytes && e.path == "base/big.yaml"),
        "{err}"
    );
    assert_eq!(err.category(), "limit");
    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "big");
    let err = load::from_commit(&repo, oid, None).unwrap_err();
    assert!(err.to_string().contains(&oid.to_string()), "{err}");
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.yaml"), "settings: {model: x}\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("base/link.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("teams/linked")).unwrap();
    let snap = load::from_dir(dir.path()).unwrap();
    assert!(snap.get("base/link.yaml").is_none());
    assert!(!paths(&snap).iter().any(|p| p.starts_with("teams/linked")));

    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "links");
    let from_git = load::from_commit(&repo, oid, None).unwrap();
    assert_eq!(paths(&from_git), paths(&snap));
}

#[test]
fn a_bare_repository_loads_by_revision() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), FILES);
    let repo = Repository::init(dir.path()).unwrap();
    let oid = commit_all(&repo, "c");
    let bare_dir = tempfile::tempdir().unwrap();
    let bare = git2::build::RepoBuilder::new()
        .bare(true)
        .clone(
            dir.path().to_str().unwrap(),
            &bare_dir.path().join("cache.git"),
        )
        .unwrap();
    let branch = repo.head().unwrap().shorthand().unwrap().to_owned();
    let snap = load::from_rev(&bare, &branch, None).unwrap();
    assert_eq!(snap.revision.as_deref(), Some(oid.to_string().as_str()));
    assert_eq!(paths(&snap), paths(&load::from_dir(dir.path()).unwrap()));
}
