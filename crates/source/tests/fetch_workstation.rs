//! What a single-user tool (the CLI) needs from the cache besides following a branch: the
//! remote's default branch, tags, and the user's own Git credentials (`Auth::Default`).
//! Credential helpers themselves are exercised by the CLI's binary tests, which can give
//! the process its own `HOME`.

use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::{FetchError, GitCache};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);

fn repo_with_commit() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n");
    repo.commit("initial");
    repo.push();
    repo
}

/// Make the bare remote's `HEAD` name `branch` (a fresh bare repository's names `master`).
fn set_remote_head(repo: &TempRepo, branch: &str) {
    git2::Repository::open_bare(repo.remote_dir())
        .unwrap()
        .set_head(&format!("refs/heads/{branch}"))
        .unwrap();
}

fn cache() -> (tempfile::TempDir, GitCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path().join("cache"))
        .unwrap()
        .allow_local_urls(true);
    (dir, cache)
}

#[test]
fn the_default_branch_is_what_the_remote_head_names() {
    let repo = repo_with_commit();
    let (_dir, cache) = cache();
    let url = repo.file_url();
    // HEAD names a branch that does not exist: nothing advertised.
    assert_eq!(
        cache.default_branch(&url, &Auth::None, TIMEOUT).unwrap(),
        None
    );

    repo.create_branch("develop");
    repo.write("base/x.yaml", "x: 1\n");
    let develop = repo.commit("on develop");
    repo.push();
    set_remote_head(&repo, "develop");
    assert_eq!(
        cache.default_branch(&url, &Auth::None, TIMEOUT).unwrap(),
        Some("develop".to_owned())
    );
    // Listing moved no branch; fetching the default branch then gets its tip.
    assert_eq!(cache.cached_revision(&url, "develop").unwrap(), None);
    let fetched = cache.fetch(&url, "develop", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, develop);
}

#[test]
fn the_default_branch_over_smart_http_with_the_users_own_credentials() {
    let repo = repo_with_commit();
    set_remote_head(&repo, "main");
    let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
    let (_dir, cache) = cache();
    let url = server.url(&repo.remote_name());
    // An anonymous server never asks, so `Auth::Default` needs no helper here.
    assert_eq!(
        cache.default_branch(&url, &Auth::Default, TIMEOUT).unwrap(),
        Some("main".to_owned())
    );
    let fetched = cache.fetch(&url, "main", &Auth::Default, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, repo.head());
}

#[test]
fn lightweight_and_annotated_tags_resolve_to_their_commits() {
    let repo = repo_with_commit();
    let first = repo.head();
    let git = repo.repository();
    let commit = git
        .find_object(git2::Oid::from_str(&first).unwrap(), None)
        .unwrap();
    git.tag_lightweight("v1", &commit, false).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    git.tag("v1-annotated", &commit, &sig, "release", false)
        .unwrap();
    repo.write("base/x.yaml", "x: 2\n");
    repo.commit("after the tags");
    repo.push();
    git.find_remote("origin")
        .unwrap()
        .push(
            &[
                "refs/tags/v1:refs/tags/v1",
                "refs/tags/v1-annotated:refs/tags/v1-annotated",
            ],
            None,
        )
        .unwrap();

    let (_dir, cache) = cache();
    let url = repo.file_url();
    for tag in ["v1", "v1-annotated"] {
        let fetched = cache.fetch_tag(&url, tag, &Auth::None, TIMEOUT).unwrap();
        assert_eq!(fetched.revision, first, "{tag}");
        assert!(fetched.changed);
    }
    let again = cache.fetch_tag(&url, "v1", &Auth::None, TIMEOUT).unwrap();
    assert!(!again.changed);

    let missing = cache
        .fetch_tag(&url, "v9", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert!(
        matches!(missing, FetchError::TagNotFound { .. }),
        "{missing:?}"
    );
    assert_eq!(missing.category(), "not-found");
    let invalid = cache
        .fetch_tag(&url, "bad..tag", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert!(matches!(invalid, FetchError::InvalidTag(_)), "{invalid:?}");
}

#[test]
fn the_default_branch_refuses_local_urls_unless_allowed() {
    let repo = repo_with_commit();
    let dir = tempfile::tempdir().unwrap();
    let strict = GitCache::new(dir.path()).unwrap();
    let err = strict
        .default_branch(&repo.file_url(), &Auth::None, TIMEOUT)
        .unwrap_err();
    assert!(matches!(err, FetchError::LocalUrlRefused { .. }), "{err:?}");
}
