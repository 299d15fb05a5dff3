//! Fetching over file:// and git:// (a real `git daemon`): revisions, change detection,
//! history kept for rollbacks, missing branches, and concurrent fetches of one URL.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::{FetchError, GitCache};
use claude_env_testkit::{GitDaemon, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);

fn repo_with_commit() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n")
        .write("base/settings.yaml", "settings:\n  model: sonnet\n");
    repo.commit("initial");
    repo.push();
    repo
}

fn cache() -> (tempfile::TempDir, GitCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path().join("cache"))
        .unwrap()
        .allow_local_urls(true);
    (dir, cache)
}

#[test]
fn file_url_fetch_reports_revision_and_changes() {
    let repo = repo_with_commit();
    let (_dir, cache) = cache();
    let url = repo.file_url();

    let first = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(first.revision, repo.head());
    assert!(first.changed);
    assert!(first.received_objects > 0);

    let again = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(again.revision, repo.head());
    assert!(!again.changed);
    assert_eq!(
        again.received_objects, 0,
        "nothing downloaded when the tip is cached"
    );

    repo.write("base/settings.yaml", "settings:\n  model: opus\n");
    let second = repo.commit("second");
    repo.push();
    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, second);
    assert!(fetched.changed);

    // The tree of the fetched commit is readable from the cache.
    let git = cache.open(&url).unwrap();
    let commit = git
        .find_commit(git2::Oid::from_str(&second).unwrap())
        .unwrap();
    let entry = commit
        .tree()
        .unwrap()
        .get_path("base/settings.yaml".as_ref())
        .unwrap();
    let blob = git.find_blob(entry.id()).unwrap();
    assert_eq!(blob.content(), b"settings:\n  model: opus\n");
    assert_eq!(cache.cached_revision(&url, "main").unwrap(), Some(second));
}

#[test]
fn old_commits_survive_force_pushes_and_new_caches_on_the_same_dir() {
    let repo = repo_with_commit();
    let (dir, cache) = cache();
    let url = repo.file_url();
    let first = repo.head();
    cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();

    // Rewrite history on the remote: the old tip is no longer reachable there.
    let fresh = TempRepo::new();
    fresh.write("claude-env.yaml", "schemaVersion: 2\n");
    fresh.commit("rewritten");
    std::fs::remove_dir_all(repo.remote_dir()).unwrap();
    git2::Repository::init_bare(repo.remote_dir()).unwrap();
    let mut remote = fresh
        .repository()
        .remote_anonymous(repo.remote_dir().to_str().unwrap())
        .unwrap();
    remote
        .push(&["+refs/heads/main:refs/heads/main"], None)
        .unwrap();

    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, fresh.head());
    assert!(
        cache.commit_exists(&url, &first).unwrap(),
        "rollback target kept"
    );

    // A new GitCache on the same directory (a controller restart) still has both.
    let restarted = GitCache::new(dir.path().join("cache"))
        .unwrap()
        .allow_local_urls(true);
    assert!(restarted.commit_exists(&url, &first).unwrap());
    assert!(restarted.commit_exists(&url, &fresh.head()).unwrap());
    assert!(!restarted.commit_exists(&url, "not-a-sha").unwrap());
}

#[test]
fn branches_are_fetched_independently_and_missing_ones_are_not_found() {
    let repo = repo_with_commit();
    let main = repo.head();
    repo.create_branch("develop").write("dev.yaml", "a: 1\n");
    let develop = repo.commit("on develop");
    repo.push();
    let (_dir, cache) = cache();
    let url = repo.file_url();

    assert_eq!(
        cache
            .fetch(&url, "develop", &Auth::None, TIMEOUT)
            .unwrap()
            .revision,
        develop
    );
    assert_eq!(
        cache
            .fetch(&url, "main", &Auth::None, TIMEOUT)
            .unwrap()
            .revision,
        main
    );

    let err = cache.fetch(&url, "nope", &Auth::None, TIMEOUT).unwrap_err();
    assert!(matches!(err, FetchError::BranchNotFound { .. }), "{err:?}");
    assert_eq!(err.category(), "not-found");

    // Deleted on the remote after it was cached: reported, commits kept.
    repo.delete_remote_branch("develop");
    let err = cache
        .fetch(&url, "develop", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert_eq!(err.category(), "not-found", "{err}");
    assert!(cache.commit_exists(&url, &develop).unwrap());

    let err = cache
        .fetch(&url, "bad..name", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert_eq!(err.category(), "invalid");
}

#[test]
fn missing_repository_is_not_found() {
    let (dir, cache) = cache();
    let url = format!("file://{}/absent.git", dir.path().display());
    let err = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap_err();
    assert_eq!(err.category(), "not-found", "{err}");
}

#[test]
fn git_daemon_fetch() {
    let repo = repo_with_commit();
    let daemon = GitDaemon::start(&repo.serve_root());
    let (_dir, cache) = cache();
    let url = daemon.url(&repo.remote_name());

    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, repo.head());
    assert!(fetched.changed);

    repo.write("teams/a/x.yaml", "x: 1\n");
    let next = repo.commit("next");
    repo.push();
    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(
        (fetched.revision.as_str(), fetched.changed),
        (next.as_str(), true)
    );
}

#[test]
fn concurrent_fetches_of_one_url_are_serialised() {
    let repo = repo_with_commit();
    let daemon = GitDaemon::start(&repo.serve_root());
    let (_dir, cache) = cache();
    let url = daemon.url(&repo.remote_name());
    let threads = 6;
    let barrier = Arc::new(Barrier::new(threads));

    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (cache, url, barrier) = (&cache, &url, barrier.clone());
                s.spawn(move || {
                    barrier.wait();
                    cache.fetch(url, "main", &Auth::None, TIMEOUT).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    assert!(results.iter().all(|r| r.revision == repo.head()));
    // Serialised: exactly one fetch found the branch new and downloaded it; the others ran
    // after it and found it cached. Concurrent fetches would each have seen "changed".
    assert_eq!(
        results.iter().filter(|r| r.changed).count(),
        1,
        "{results:?}"
    );
    assert_eq!(results.iter().filter(|r| r.received_objects > 0).count(), 1);
}

#[test]
fn local_urls_are_refused_unless_allowed() {
    let repo = repo_with_commit();
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    for url in [repo.file_url(), repo.remote_dir().display().to_string()] {
        let err = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap_err();
        assert!(matches!(err, FetchError::LocalUrlRefused { .. }), "{err:?}");
        assert_eq!(err.category(), "invalid");
    }
    let cache = cache.allow_local_urls(true);
    assert!(
        cache
            .fetch(&repo.file_url(), "main", &Auth::None, TIMEOUT)
            .is_ok()
    );
}
