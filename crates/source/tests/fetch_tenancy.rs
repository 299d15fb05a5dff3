//! Sharing the cache between tenants: a revision fetched with one tenant's credentials is
//! found only through that tenant's identity, credentials never travel in clear text or
//! inside URLs, and the refusals happen before any connection.

use std::time::{Duration, Instant};

use claude_env_source::auth::Auth;
use claude_env_source::git::{ANONYMOUS, FetchError, GitCache};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "s3cret-passw0rd";

fn basic() -> Auth {
    Auth::Basic {
        username: "alice".into(),
        password: PASSWORD.into(),
    }
}

fn private_repo() -> (TempRepo, GitHttpServer) {
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n");
    repo.commit("private");
    repo.push();
    let server = GitHttpServer::start(
        &repo.serve_root(),
        HttpAuth::Basic {
            username: "alice".into(),
            password: PASSWORD.into(),
        },
    );
    (repo, server)
}

#[test]
fn a_revision_fetched_with_credentials_is_found_only_through_their_identity() {
    let (repo, server) = private_repo();
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    // The server is on loopback: plain http is allowed there (nothing crosses a network).
    let url = server.url(&repo.remote_name());
    let sha = repo.head();

    let fetched = cache
        .fetch_as(&url, "team-a/git-creds", "main", &basic(), TIMEOUT)
        .unwrap();
    assert_eq!(fetched.revision, sha);
    assert!(
        cache
            .commit_exists_as(&url, "team-a/git-creds", &sha)
            .unwrap()
    );
    assert_eq!(
        cache
            .cached_revision_as(&url, "team-a/git-creds", "main")
            .unwrap(),
        Some(sha.clone())
    );

    // Anyone else — anonymous, or another tenant's secret — sees nothing cached...
    for identity in [ANONYMOUS, "team-b/git-creds"] {
        assert!(!cache.commit_exists_as(&url, identity, &sha).unwrap());
        assert!(matches!(
            cache.open_as(&url, identity),
            Err(FetchError::NotCached { .. })
        ));
        assert_eq!(
            cache.cached_revision_as(&url, identity, "main").unwrap(),
            None
        );
    }
    assert!(!cache.commit_exists(&url, &sha).unwrap());
    // ...and must prove access itself: without credentials the server refuses.
    let err = cache
        .fetch_as(&url, ANONYMOUS, "main", &Auth::None, TIMEOUT)
        .unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    assert!(!cache.commit_exists_as(&url, ANONYMOUS, &sha).unwrap());
}

#[test]
fn credentials_cannot_be_fetched_into_the_anonymous_repository() {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    let err = cache
        .fetch_as(
            "https://git.example.invalid/x.git",
            ANONYMOUS,
            "main",
            &basic(),
            TIMEOUT,
        )
        .unwrap_err();
    assert!(matches!(err, FetchError::IdentityMismatch { .. }), "{err}");
    assert_eq!(err.category(), "invalid");
}

/// Every refusal below happens before any connection: the hosts do not even resolve
/// (`.invalid` is reserved), and an attempt would be a network error, not these.
#[test]
fn credentials_over_plain_text_transports_are_refused_before_connecting() {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    let ssh = Auth::from_secret_data(
        &[
            ("identity".to_owned(), b"KEY".to_vec()),
            (
                "known_hosts".to_owned(),
                b"git.example.invalid ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILVL7vR/xjSolUONuE1za0gS+g4i64Wk0W839IS1k0Sy".to_vec(),
            ),
        ]
        .into_iter()
        .collect(),
    )
    .unwrap();
    let bearer = Auth::Bearer {
        token: "tok-123456".into(),
    };
    for url in [
        "http://git.example.invalid/cfg.git",
        "git://git.example.invalid/cfg.git",
    ] {
        for auth in [&basic(), &bearer, &ssh] {
            let start = Instant::now();
            let err = cache
                .fetch_as(url, "team-a/creds", "main", auth, TIMEOUT)
                .unwrap_err();
            assert!(
                matches!(err, FetchError::InsecureCredentials { .. }),
                "{url} {auth:?}: {err:?}"
            );
            assert_eq!(err.category(), "auth");
            assert!(err.to_string().contains("https://"), "{err}");
            assert!(start.elapsed() < Duration::from_secs(1));
        }
    }
    // Nothing was created for them.
    assert!(
        !cache
            .repo_dir_as("http://git.example.invalid/cfg.git", "team-a/creds")
            .unwrap()
            .exists()
    );
}

#[test]
fn a_password_in_the_url_is_refused_with_a_pointer_to_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    for (url, auth) in [
        (
            "https://alice:tok-xyz-789@git.example.invalid/cfg.git",
            Auth::None,
        ),
        ("http://alice:tok-xyz-789@127.0.0.1:1/cfg.git", Auth::None),
        (
            "https://alice:tok-xyz-789@git.example.invalid/cfg.git",
            Auth::Default,
        ),
    ] {
        let err = cache.fetch(url, "main", &auth, TIMEOUT).unwrap_err();
        assert!(
            matches!(err, FetchError::CredentialsInUrl { .. }),
            "{err:?}"
        );
        assert_eq!(err.category(), "auth");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("Secret"), "{shown}");
        assert!(!shown.contains("tok-xyz-789"), "{shown}");
    }
}

#[test]
fn anonymous_plain_http_and_credentials_to_loopback_still_work() {
    let (repo, server) = private_repo();
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    let url = server.url(&repo.remote_name());
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    cache
        .fetch_as(&url, "ns/secret", "main", &basic(), TIMEOUT)
        .unwrap();
    let public = TempRepo::named("public");
    public.write("claude-env.yaml", "schemaVersion: 1\n");
    public.commit("public");
    public.push();
    let open = GitHttpServer::start(&public.serve_root(), HttpAuth::None);
    let fetched = cache
        .fetch_as(
            &open.url(&public.remote_name()),
            ANONYMOUS,
            "main",
            &Auth::None,
            TIMEOUT,
        )
        .unwrap();
    assert_eq!(fetched.revision, public.head());
}
