//! Git over SSH against a real `sshd`: key auth with the host key pinned by known_hosts.
//! Needs the Debian package `openssh-server`; skipped with a notice outside CI when it is
//! missing, and a failure in CI (where `.ci/run` installs it).

use std::collections::BTreeMap;
use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::GitCache;
use claude_env_testkit::{SshGitServer, SshKeyPair, TempRepo};

const TIMEOUT: Duration = Duration::from_secs(30);

fn sshd_available() -> bool {
    if SshGitServer::available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "sshd is missing in CI: install openssh-server"
    );
    eprintln!("SKIPPED: /usr/sbin/sshd missing (apt-get install openssh-server)");
    false
}

fn secret(pairs: &[(&str, String)]) -> BTreeMap<String, Vec<u8>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone().into_bytes()))
        .collect()
}

#[test]
fn ssh_key_auth_with_pinned_host_key() {
    if !sshd_available() {
        return;
    }
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n");
    repo.commit("initial");
    repo.push();
    let client = SshKeyPair::generate();
    let server = SshGitServer::start(&repo.serve_root(), &client.public_key());
    let url = server.url(&repo.remote_name());
    let dir = tempfile::tempdir().unwrap();
    let cache = GitCache::new(dir.path()).unwrap();

    let auth = Auth::from_secret_data(&secret(&[
        ("identity", client.private_key()),
        ("identity.pub", client.public_key()),
        ("known_hosts", server.known_hosts_line()),
    ]))
    .unwrap();
    let fetched = cache.fetch(&url, "main", &auth, TIMEOUT).unwrap();
    assert_eq!(fetched.revision, repo.head());

    // A known_hosts that pins another key for this host: refused before authenticating.
    let impostor = SshKeyPair::generate();
    let other_key = impostor.public_key();
    let mut parts = other_key.split_whitespace();
    let wrong_pin = format!(
        "[127.0.0.1]:{} {} {}",
        server.port(),
        parts.next().unwrap(),
        parts.next().unwrap()
    );
    let auth = Auth::from_secret_data(&secret(&[
        ("identity", client.private_key()),
        ("known_hosts", wrong_pin),
    ]))
    .unwrap();
    let err = cache.fetch(&url, "main", &auth, TIMEOUT).unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    assert!(err.to_string().contains("host key"), "{err}");

    // The host is not listed at all.
    let auth = Auth::from_secret_data(&secret(&[
        ("identity", client.private_key()),
        ("known_hosts", format!("[other]:22 {}", client.public_key())),
    ]))
    .unwrap();
    let err = cache.fetch(&url, "main", &auth, TIMEOUT).unwrap_err();
    assert!(err.to_string().contains("not in known_hosts"), "{err}");

    // A client key the server does not authorise.
    let auth = Auth::from_secret_data(&secret(&[
        ("identity", impostor.private_key()),
        ("known_hosts", server.known_hosts_line()),
    ]))
    .unwrap();
    let err = cache.fetch(&url, "main", &auth, TIMEOUT).unwrap_err();
    assert_eq!(err.category(), "auth", "{err}");
    assert!(!err.to_string().contains("PRIVATE KEY"), "{err}");
}
