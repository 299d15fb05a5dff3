//! libgit2's socket timeouts. They are process-wide settings read when a connection is
//! opened, and the only way to stop a fetch from a server that accepts a connection and
//! then never answers: progress callbacks only run while data flows.
//!
//! Being process-wide, they are an operator setting (`--git-socket-timeout`), applied once
//! through [`GitCache::with_socket_timeout`](super::GitCache::with_socket_timeout), never
//! per fetch: one tenant's `spec.source.timeout` must not change every other tenant's
//! fetches. Each fetch's own deadline is enforced by its callbacks (see `callbacks.rs`).

use std::sync::Mutex;
use std::time::Duration;

/// The socket timeout when the operator sets none: a connect or a read that stalls this
/// long fails the fetch.
pub const DEFAULT: Duration = Duration::from_secs(30);

/// The value last handed to libgit2 (milliseconds).
static APPLIED: Mutex<Option<i32>> = Mutex::new(None);

/// Makes libgit2 give up on connects and on reads/writes that stall for `timeout`, for every
/// connection opened from now on, in the whole process.
pub(crate) fn apply(timeout: Duration) {
    let mut applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
    set_locked(&mut applied, timeout);
}

/// [`DEFAULT`], unless a value was applied already.
pub(crate) fn apply_default() {
    let mut applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
    if applied.is_none() {
        set_locked(&mut applied, DEFAULT);
    }
}

/// The timeout in force, if one was applied.
pub(crate) fn current() -> Option<Duration> {
    let applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
    applied.map(|ms| Duration::from_millis(ms as u64))
}

fn set_locked(applied: &mut Option<i32>, timeout: Duration) {
    let millis = i32::try_from(timeout.as_millis())
        .unwrap_or(i32::MAX)
        .max(1);
    if *applied == Some(millis) {
        return;
    }
    set(millis);
    *applied = Some(millis);
}

#[allow(unsafe_code)]
fn set(millis: i32) {
    // SAFETY: git2 marks these unsafe because they write libgit2 globals without
    // synchronisation. Writes are serialised by `APPLIED`, and libgit2 only reads the values
    // when it opens a socket; a read racing a change of value sees the old or the new int,
    // both valid timeouts. Errors only happen for negative values, excluded above.
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(millis);
        let _ = git2::opts::set_server_timeout_in_milliseconds(millis);
    }
}
