//! libgit2's socket timeouts. They are process-wide settings read when a connection is
//! opened, and the only way to stop a fetch from a server that accepts a connection and
//! then never answers: progress callbacks only run while data flows.

use std::sync::Mutex;
use std::time::Duration;

/// The value last handed to libgit2 (milliseconds), so a process using one timeout (the
/// controller does) sets it exactly once.
static APPLIED: Mutex<Option<i32>> = Mutex::new(None);

/// Makes libgit2 give up on connects and on reads/writes that stall for `timeout`.
///
/// Process-wide: with different timeouts in one process, the last fetch to start wins for
/// connections opened after it. The controller uses one `--git-timeout` for everything.
pub(crate) fn apply(timeout: Duration) {
    let millis = i32::try_from(timeout.as_millis())
        .unwrap_or(i32::MAX)
        .max(1);
    let mut applied = APPLIED.lock().unwrap_or_else(|e| e.into_inner());
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
