//! `git daemon` serving bare repositories over git://.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::net::{free_port, wait_for_port};

/// A running `git daemon --export-all` on 127.0.0.1; killed on drop.
pub struct GitDaemon {
    child: Child,
    port: u16,
    base: PathBuf,
}

impl GitDaemon {
    /// Serves every repository under `base_path` (e.g. [`crate::TempRepo::serve_root`]).
    /// Panics if git daemon does not accept connections within 10 s.
    pub fn start(base_path: &Path) -> GitDaemon {
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(daemon_binary())
                .arg("--export-all")
                .arg("--reuseaddr")
                .arg("--informative-errors")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base_path.display()))
                .arg(base_path)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn git daemon");
            if wait_for_port(port, Duration::from_secs(10)) {
                return GitDaemon {
                    child,
                    port,
                    base: base_path.to_owned(),
                };
            }
            // Lost a race for the port with another test: try another one.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `git://127.0.0.1:<port>/<name>`, `name` relative to the base path.
    pub fn url(&self, name: &str) -> String {
        format!("git://127.0.0.1:{}/{name}", self.port)
    }

    pub fn base_path(&self) -> &Path {
        &self.base
    }
}

/// `git daemon` is a wrapper that spawns `git-daemon` as a child, so killing it would leave
/// the real daemon running: start the real one directly.
fn daemon_binary() -> PathBuf {
    let out = Command::new("git")
        .arg("--exec-path")
        .output()
        .expect("git --exec-path");
    let exec_path = String::from_utf8(out.stdout).expect("utf-8 exec path");
    PathBuf::from(exec_path.trim()).join("git-daemon")
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
