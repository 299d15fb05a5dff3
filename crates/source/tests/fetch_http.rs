//! Fetching over smart HTTP from a real `git http-backend`: basic and bearer auth, wrong
//! credentials, a server going down and coming back, and change detection at the protocol
//! level (an unchanged fetch never asks for a pack).

use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::{FetchError, GitCache};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "s3cret-passw0rd";
const TOKEN: &str = "tok-abcdef123456";

fn repo_with_commit() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n");
    repo.commit("initial");
    repo.push();
    repo
}

fn cache() -> (tempfile::TempDir, GitCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    (dir, cache)
}

fn basic(password: &str) -> Auth {
    Auth::Basic {
        username: "alice".into(),
        password: password.into(),
    }
}

fn upload_pack_posts(server: &GitHttpServer) -> usize {
    let requests = server.requests();
    requests
        .iter()
        .filter(|r| r.starts_with("POST ") && r.ends_with("/git-upload-pack"))
        .count()
}

#[test]
fn anonymous_fetch_and_unchanged_fetch_skips_the_pack() {
    let repo = repo_with_commit();
    let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
    let (_dir, cache) = cache();
    let url = server.url(&repo.remote_name());

    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, repo.head());
    assert_eq!(upload_pack_posts(&server), 1);

    server.clear_requests();
    let again = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert!(!again.changed);
    assert_eq!(upload_pack_posts(&server), 0, "{:?}", server.requests());
    assert_eq!(server.requests().len(), 1, "only the ref advertisement");

    repo.write("base/a.yaml", "a: 1\n");
    let next = repo.commit("next");
    repo.push();
    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!((fetched.revision, fetched.changed), (next, true));
}

#[test]
fn basic_auth_right_and_wrong_credentials() {
    let repo = repo_with_commit();
    let server = GitHttpServer::start(
        &repo.serve_root(),
        HttpAuth::Basic {
            username: "alice".into(),
            password: PASSWORD.into(),
        },
    );
    let (_dir, cache) = cache();
    let url = server.url(&repo.remote_name());

    let fetched = cache
        .fetch(&url, "main", &basic(PASSWORD), TIMEOUT)
        .unwrap();
    assert_eq!(fetched.revision, repo.head());

    let wrong = "wr0ng-passw0rd";
    let err = cache
        .fetch(&url, "main", &basic(wrong), TIMEOUT)
        .unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(wrong) && !shown.contains(PASSWORD),
        "{shown}"
    );

    let err = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    assert!(err.to_string().contains("no secretRef"), "{err}");

    // Credentials in the URL itself never show up in errors either.
    let port = server.port();
    let in_url = format!(
        "http://alice:{wrong}@127.0.0.1:{port}/{}",
        repo.remote_name()
    );
    let err = cache
        .fetch(&in_url, "main", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(wrong), "{err:?}");
}

#[test]
fn bearer_token() {
    let repo = repo_with_commit();
    let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::Bearer(TOKEN.into()));
    let (_dir, cache) = cache();
    let url = server.url(&repo.remote_name());

    let good = Auth::Bearer {
        token: TOKEN.into(),
    };
    assert_eq!(
        cache.fetch(&url, "main", &good, TIMEOUT).unwrap().revision,
        repo.head()
    );

    let bad = Auth::Bearer {
        token: "tok-wrong-999".into(),
    };
    let err = cache.fetch(&url, "main", &bad, TIMEOUT).unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    assert!(err.to_string().contains("bearer token"), "{err}");
    assert!(!format!("{err:?}").contains("tok-wrong-999"));
}

#[test]
fn server_down_is_a_network_error_and_recovery_is_automatic() {
    let repo = repo_with_commit();
    let mut server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
    let (_dir, cache) = cache();
    let url = server.url(&repo.remote_name());
    let first = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();

    server.stop();
    repo.write("base/b.yaml", "b: 1\n");
    let next = repo.commit("while down");
    repo.push();
    let err = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
    assert_eq!(err.category(), "network");
    assert!(err.is_transient());
    // What was fetched before is still there to render from.
    assert_eq!(
        cache.cached_revision(&url, "main").unwrap(),
        Some(first.revision)
    );

    server.restart();
    let fetched = cache.fetch(&url, "main", &Auth::None, TIMEOUT).unwrap();
    assert_eq!((fetched.revision, fetched.changed), (next, true));
}

#[test]
fn unknown_repository_over_http_is_not_found() {
    let repo = repo_with_commit();
    let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
    let (_dir, cache) = cache();
    let err = cache
        .fetch(&server.url("absent.git"), "main", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert_eq!(err.category(), "not-found", "{err}");
}
