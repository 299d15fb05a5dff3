//! Timeouts: each fetch stops at its own deadline, and a stalled connection at the
//! operator's socket timeout. Its own test binary, because libgit2's socket timeouts are
//! process-wide: every test here runs with [`SOCKET_TIMEOUT`].

mod trickle;

use std::time::{Duration, Instant};

use claude_env_source::auth::Auth;
use claude_env_source::git::{ANONYMOUS, GitCache};
use claude_env_testkit::SilentServer;
use trickle::TricklingServer;

const SOCKET_TIMEOUT: Duration = Duration::from_secs(1);
/// How late after its deadline a fetch may stop: one progress message, scheduling, and the
/// lock-polling step, with a wide margin for a loaded machine.
const SLACK: Duration = Duration::from_secs(3);

fn cache() -> (tempfile::TempDir, GitCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path())
        .unwrap()
        .with_socket_timeout(SOCKET_TIMEOUT);
    (dir, cache)
}

#[test]
fn a_silent_server_is_ended_by_the_socket_timeout_not_the_fetch_timeout() {
    let server = SilentServer::start();
    let (_dir, cache) = cache();
    assert_eq!(cache.socket_timeout(), SOCKET_TIMEOUT);
    // A long per-fetch timeout: the stall must still end after about one socket timeout.
    let timeout = Duration::from_secs(60);
    for url in [
        server.http_url("config.git"),
        format!("git://127.0.0.1:{}/config.git", server.port()),
    ] {
        let start = Instant::now();
        let err = cache.fetch(&url, "main", &Auth::None, timeout).unwrap_err();
        let took = start.elapsed();
        assert_eq!(err.category(), "timeout", "{url}: {err}");
        assert!(err.is_transient());
        assert!(took < SOCKET_TIMEOUT + SLACK, "{url} took {took:?}");
    }
}

fn spawn_fetch(
    cache: GitCache,
    url: String,
    timeout: Duration,
) -> std::thread::JoinHandle<(
    Result<claude_env_source::git::Fetched, claude_env_source::git::FetchError>,
    Duration,
)> {
    std::thread::spawn(move || {
        let start = Instant::now();
        let result = cache.fetch_as(&url, ANONYMOUS, "main", &Auth::None, timeout);
        (result, start.elapsed())
    })
}

#[test]
fn concurrent_fetches_with_different_timeouts_each_stop_at_their_own_deadline() {
    let server = TricklingServer::start(Duration::from_millis(100));
    // Two tenants' caches in one process (so under one socket timeout); separate directories
    // so neither waits for the other's repository lock.
    let (_a_dir, a_cache) = cache();
    let (_b_dir, b_cache) = cache();
    let short = Duration::from_secs(2);
    let long = Duration::from_secs(5);
    let a = spawn_fetch(a_cache, server.url(), short);
    let b = spawn_fetch(b_cache.clone(), server.url(), long);
    for (handle, timeout) in [(a, short), (b, long)] {
        let (result, took) = handle.join().unwrap();
        let err = result.unwrap_err();
        assert_eq!(err.category(), "timeout", "{err}");
        assert!(err.to_string().contains(&format!("{timeout:?}")), "{err}");
        // Not before its own deadline (the other fetch's shorter one did not end it) and
        // not long after (the other's longer one did not keep it going).
        assert!(took >= timeout, "{timeout:?} stopped after {took:?}");
        assert!(took < timeout + SLACK, "{timeout:?} stopped after {took:?}");
    }
    // The stall detection is the operator's setting, untouched by either fetch.
    assert_eq!(b_cache.socket_timeout(), SOCKET_TIMEOUT);
}
