//! Keys made and used by the real tools (`ssh-keygen`, `gpg`), so tests sign commits exactly
//! as `git commit -S` does with `gpg.format=ssh` or `openpgp`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

/// An ed25519 key pair from `ssh-keygen`, without passphrase.
pub struct SshKeyPair {
    dir: TempDir,
}

impl SshKeyPair {
    pub fn generate() -> SshKeyPair {
        let dir = tempfile::tempdir().expect("tempdir");
        let status = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "test@claude-env",
                "-f",
            ])
            .arg(dir.path().join("id_ed25519"))
            .status()
            .expect("run ssh-keygen");
        assert!(status.success(), "ssh-keygen failed");
        SshKeyPair { dir }
    }

    /// The private key file (OpenSSH format).
    pub fn private_key_path(&self) -> PathBuf {
        self.dir.path().join("id_ed25519")
    }

    /// The private key (OpenSSH format), e.g. for a Secret's `identity`.
    pub fn private_key(&self) -> String {
        fs::read_to_string(self.private_key_path()).expect("read key")
    }

    /// `ssh-ed25519 AAAA… test@claude-env`.
    pub fn public_key(&self) -> String {
        fs::read_to_string(self.dir.path().join("id_ed25519.pub"))
            .expect("read pub")
            .trim()
            .to_owned()
    }

    /// An SSH signature (`-----BEGIN SSH SIGNATURE-----`) of `data` in namespace `git`,
    /// made by `ssh-keygen -Y sign` as git does.
    pub fn sign(&self, data: &str) -> String {
        let mut cmd = Command::new("ssh-keygen");
        cmd.args(["-Y", "sign", "-n", "git", "-f"])
            .arg(self.private_key_path());
        run_with_stdin(cmd, data)
    }
}

/// An OpenPGP ed25519 signing key in a private `GNUPGHOME`; its gpg-agent is stopped on drop.
pub struct GpgKey {
    home: TempDir,
    email: String,
}

impl GpgKey {
    /// Generates a key for `Test Signer <email>` without passphrase.
    pub fn generate(email: &str) -> GpgKey {
        let home = tempfile::tempdir().expect("tempdir");
        let status = gpg(home.path())
            .args(["--passphrase", "", "--quick-generate-key"])
            .arg(format!("Test Signer <{email}>"))
            .args(["ed25519", "sign", "never"])
            .stderr(Stdio::null())
            .status()
            .expect("run gpg");
        assert!(status.success(), "gpg key generation failed");
        GpgKey {
            home,
            email: email.to_owned(),
        }
    }

    /// The armored public key (`gpg --export --armor`), e.g. for a Secret's `*.asc` entry.
    pub fn public_key_armored(&self) -> String {
        let out = gpg(self.home.path())
            .args(["--armor", "--export", &self.email])
            .output()
            .expect("gpg export");
        assert!(out.status.success(), "gpg export failed");
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// The primary key's fingerprint, upper-case hex.
    pub fn fingerprint(&self) -> String {
        let out = gpg(self.home.path())
            .args(["--with-colons", "--fingerprint", &self.email])
            .output()
            .expect("gpg fingerprint");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        text.lines()
            .find_map(|l| l.strip_prefix("fpr:"))
            .and_then(|l| l.split(':').find(|f| !f.is_empty()))
            .expect("fingerprint")
            .to_owned()
    }

    /// A detached armored signature of `data`, as `git commit -S` makes it.
    pub fn sign(&self, data: &str) -> String {
        let mut cmd = gpg(self.home.path());
        cmd.args(["--armor", "--detach-sign", "--local-user", &self.email]);
        run_with_stdin(cmd, data)
    }
}

impl Drop for GpgKey {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "all"])
            .env("GNUPGHOME", self.home.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn gpg(home: &Path) -> Command {
    let mut cmd = Command::new("gpg");
    cmd.env("GNUPGHOME", home).args([
        "--batch",
        "--yes",
        "--no-tty",
        "--pinentry-mode",
        "loopback",
    ]);
    cmd
}

fn run_with_stdin(mut cmd: Command, data: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn signer");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(data.as_bytes())
        .expect("write data");
    let out = child.wait_with_output().expect("signer output");
    assert!(
        out.status.success(),
        "signer failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 signature")
}
