//! The `claude-env` binary run against the local control plane, with a clean environment:
//! its own HOME (no user kubeconfig or Git config leaks in), the admin kubeconfig passed
//! with `--kubeconfig`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// One finished run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub struct Cli {
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
}

impl Cli {
    pub fn new(kubeconfig: &Path) -> Cli {
        Cli {
            kubeconfig: kubeconfig.to_path_buf(),
            home: tempfile::tempdir().expect("home"),
        }
    }

    /// `claude-env <args> --kubeconfig K`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(crate::controller::bin("claude-env"));
        c.env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(args)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig);
        c
    }

    /// Run to the end (off the async runtime's threads).
    pub async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command(args);
        let out = tokio::task::spawn_blocking(move || c.output())
            .await
            .expect("join")
            .expect("run claude-env");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Start a command that runs until killed (`status --watch`), its stdout read line by
    /// line.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let mut child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn claude-env");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }
}

/// A running `claude-env`, killed when dropped.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Running {
    /// Read lines until one satisfies `found` (returned), or fail after `timeout` showing
    /// what was printed.
    pub async fn line_where(
        &mut self,
        what: &str,
        timeout: Duration,
        found: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.lines.try_recv() {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if found(&line) {
                        return line;
                    }
                }
                Err(mpsc::TryRecvError::Empty) => {
                    if tokio::time::Instant::now() >= deadline {
                        panic!(
                            "no line with {what} within {timeout:?}; printed:\n{}",
                            self.seen.join("\n")
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    panic!(
                        "claude-env ended before printing {what}; printed:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
