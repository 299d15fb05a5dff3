//! A real OpenSSH server (`sshd`, Debian package `openssh-server`) on 127.0.0.1 serving
//! Git over SSH, with a generated host key and one authorised client key.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::net::{free_port, wait_for_port};

const SSHD: &str = "/usr/sbin/sshd";

/// A running `sshd -D`; killed on drop.
pub struct SshGitServer {
    child: Child,
    port: u16,
    user: String,
    serve_root: PathBuf,
    host_key: String,
    _dir: TempDir,
}

impl SshGitServer {
    /// Whether `sshd` is installed (`apt-get install openssh-server`).
    pub fn available() -> bool {
        Path::new(SSHD).exists()
    }

    /// Starts sshd letting the current user in with `authorized_key` (an OpenSSH public key
    /// line). Repositories are addressed by absolute path under `serve_root`.
    pub fn start(serve_root: &Path, authorized_key: &str) -> SshGitServer {
        assert!(
            Self::available(),
            "{SSHD} missing: apt-get install openssh-server"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let host_key = dir.path().join("host_ed25519");
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .expect("ssh-keygen");
        assert!(status.success(), "host key generation failed");
        fs::write(
            dir.path().join("authorized_keys"),
            format!("{authorized_key}\n"),
        )
        .expect("authorized_keys");
        // sshd insists on its privilege separation directory even when it will not use it.
        let _ = fs::create_dir_all("/run/sshd");
        let user = current_user();

        for _ in 0..5 {
            let port = free_port();
            let config = dir.path().join("sshd_config");
            fs::write(&config, sshd_config(dir.path(), port, &user)).expect("sshd_config");
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn sshd");
            if wait_for_port(port, Duration::from_secs(10)) {
                let public = fs::read_to_string(host_key.with_extension("pub")).expect("host pub");
                return SshGitServer {
                    child,
                    port,
                    user,
                    serve_root: serve_root.to_owned(),
                    host_key: public.trim().to_owned(),
                    _dir: dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("sshd did not start");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `ssh://<user>@127.0.0.1:<port>/<serve_root>/<name>`.
    pub fn url(&self, name: &str) -> String {
        format!(
            "ssh://{}@127.0.0.1:{}{}/{name}",
            self.user,
            self.port,
            self.serve_root.display()
        )
    }

    /// The server's host key as a `known_hosts` line (`[127.0.0.1]:<port> ssh-ed25519 …`).
    pub fn known_hosts_line(&self) -> String {
        let mut parts = self.host_key.split_whitespace();
        let (kind, key) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        format!("[127.0.0.1]:{} {kind} {key}", self.port)
    }
}

impl Drop for SshGitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sshd_config(dir: &Path, port: u16, user: &str) -> String {
    let dir = dir.display();
    format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {dir}/host_ed25519\n\
         PidFile {dir}/sshd.pid\nAuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\n\
         UsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
         PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nAllowUsers {user}\n\
         LogLevel ERROR\n"
    )
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("id -un");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}
