//! A server that accepts connections and never answers: the fetch must fail with a
//! `timeout` error within its deadline instead of hanging. Its own test binary, because
//! libgit2's socket timeouts are process-wide.

use std::time::{Duration, Instant};

use claude_env_source::auth::Auth;
use claude_env_source::git::GitCache;
use claude_env_testkit::SilentServer;

#[test]
fn a_silent_server_times_out_within_the_deadline() {
    let server = SilentServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();
    let timeout = Duration::from_secs(2);

    for url in [
        server.http_url("config.git"),
        format!("git://127.0.0.1:{}/config.git", server.port()),
    ] {
        let start = Instant::now();
        let err = cache.fetch(&url, "main", &Auth::None, timeout).unwrap_err();
        let took = start.elapsed();
        assert_eq!(err.category(), "timeout", "{url}: {err}");
        assert!(err.is_transient());
        assert!(
            took < timeout + Duration::from_secs(3),
            "{url} took {took:?}"
        );
    }
}
