//! The workstation lock is an OS file lock: a process killed while holding it (`kill -9`)
//! leaves no lock behind, on every platform.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use claude_env_cli::sync::SyncError;
use claude_env_cli::sync::lock::Lock;

/// Set in the child: the target whose lock it takes and holds until killed.
const HOLD: &str = "CLAUDE_ENV_TEST_HOLD_LOCK";
/// What the child prints once it holds the lock.
const HELD: &str = "lock-held-by-child";

#[test]
fn a_lock_held_by_a_killed_process_can_be_taken_again() {
    if let Some(target) = std::env::var_os(HOLD) {
        // The child: take the lock, say so, and wait to be killed.
        let _lock = Lock::acquire(std::path::Path::new(&target)).expect("child takes the lock");
        // libtest has printed `test <name> ... ` without a newline: the marker ends a line.
        println!("{HELD}");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(60));
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "a_lock_held_by_a_killed_process_can_be_taken_again",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLD, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the holder");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let held = BufReader::new(stdout)
            .lines()
            .any(|l| l.is_ok_and(|l| l.trim_end().ends_with(HELD)));
        let _ = tx.send(held);
    });
    let held = rx.recv_timeout(Duration::from_secs(60)).unwrap_or(false);
    if !held {
        let _ = child.kill();
        panic!("the child never took the lock");
    }

    match Lock::acquire(dir.path()) {
        Err(SyncError::Locked { holder, .. }) => assert_eq!(holder, Some(child.id())),
        other => panic!("expected Locked while the child holds it, got {other:?}"),
    }
    // SIGKILL on Unix, TerminateProcess on Windows: no destructor runs.
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    Lock::acquire(dir.path()).expect("the OS released the dead process's lock");
}
