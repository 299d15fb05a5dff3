//! One tenant's `spec.source.timeout` must not change another tenant's fetches. libgit2's
//! socket timeouts are process-wide; they used to be set from each fetch's timeout, so the
//! last fetch to start decided how long every connection opened after it (other tenants'
//! connections, and each further HTTP request of a running fetch) could stay silent. Now
//! they are the operator's setting alone, and no fetch changes them. Its own test binary,
//! because the socket timeout is process-wide.

mod trickle;

use std::time::{Duration, Instant};

use claude_env_source::auth::Auth;
use claude_env_source::git::{ANONYMOUS, GitCache};
use trickle::TricklingServer;

/// The operator's socket timeout: longer than the server's pauses.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(3);

#[test]
fn a_short_timeout_of_one_tenant_does_not_cut_another_tenants_slow_fetch() {
    // Progress every 1.5 s: a stall for a 1 s socket timeout, none for the operator's 3 s.
    let slow = TricklingServer::start(Duration::from_millis(1500));
    let fast = TricklingServer::start(Duration::from_millis(100));
    let a_dir = tempfile::tempdir().unwrap();
    let b_dir = tempfile::tempdir().unwrap();
    let a = GitCache::new(a_dir.path())
        .unwrap()
        .with_socket_timeout(SOCKET_TIMEOUT);
    let b = GitCache::new(b_dir.path()).unwrap();

    // Tenant A: a 1 s timeout, fetched first.
    let a_url = fast.url();
    let a_fetch = std::thread::spawn(move || {
        let start = Instant::now();
        let err = a
            .fetch_as(
                &a_url,
                ANONYMOUS,
                "main",
                &Auth::None,
                Duration::from_secs(1),
            )
            .unwrap_err();
        (err, start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(200));
    // Tenant B: a 4 s timeout on the slow server, its connection opened after A's fetch began.
    let b_timeout = Duration::from_secs(4);
    let start = Instant::now();
    let err = b
        .fetch_as(&slow.url(), ANONYMOUS, "main", &Auth::None, b_timeout)
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(err.category(), "timeout", "{err}");
    // B ran to its own deadline: 1.5 s pauses did not trip a 1 s socket timeout.
    assert!(took >= b_timeout, "B stopped after {took:?}: {err}");
    assert!(err.to_string().contains("4s"), "{err}");

    let (a_err, a_took) = a_fetch.join().unwrap();
    assert_eq!(a_err.category(), "timeout", "{a_err}");
    assert!(a_took < Duration::from_secs(3), "A took {a_took:?}");
    assert_eq!(b.socket_timeout(), SOCKET_TIMEOUT);
}
