//! Commit signature verification with keys made by the real tools (`ssh-keygen`, `gpg`) and
//! commits signed the way `git commit -S` signs them.

use std::collections::BTreeMap;

use claude_env_source::verify::{SignatureKind, TrustedKeys, VerifyError, verify_commit};
use claude_env_testkit::{GpgKey, SshKeyPair, TempRepo};
use git2::Oid;

fn keys(pairs: &[(&str, String)]) -> TrustedKeys {
    let data: BTreeMap<String, Vec<u8>> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone().into_bytes()))
        .collect();
    TrustedKeys::from_secret_data(&data).unwrap()
}

fn verify(
    repo: &TempRepo,
    sha: &str,
    keys: &TrustedKeys,
) -> Result<claude_env_source::verify::Signer, VerifyError> {
    verify_commit(repo.repository(), Oid::from_str(sha).unwrap(), keys)
}

type SignFn<'a> = dyn Fn(&str) -> String + 'a;

fn repo() -> TempRepo {
    let repo = TempRepo::new();
    repo.write("claude-env.yaml", "schemaVersion: 1\n");
    repo
}

#[test]
fn good_ssh_signature() {
    let key = SshKeyPair::generate();
    let repo = repo();
    let sha = repo.commit_signed("signed", |data| key.sign(data));
    let trusted = keys(&[(
        "allowed_signers",
        format!("platform@example.com {}", key.public_key()),
    )]);
    let signer = verify(&repo, &sha, &trusted).unwrap();
    assert_eq!(signer.kind, SignatureKind::Ssh);
    assert!(signer.key_id.starts_with("SHA256:"), "{}", signer.key_id);
    assert_eq!(signer.principal.as_deref(), Some("platform@example.com"));

    // A plain `*.pub` entry works too.
    let trusted = keys(&[("ci.pub", key.public_key())]);
    assert_eq!(verify(&repo, &sha, &trusted).unwrap().principal, None);
}

#[test]
fn good_openpgp_signature() {
    let key = GpgKey::generate("signer@example.com");
    let repo = repo();
    let sha = repo.commit_signed("signed", |data| key.sign(data));
    let trusted = keys(&[("team.asc", key.public_key_armored())]);
    let signer = verify(&repo, &sha, &trusted).unwrap();
    assert_eq!(signer.kind, SignatureKind::OpenPgp);
    assert_eq!(signer.key_id, key.fingerprint());
    assert_eq!(
        signer.principal.as_deref(),
        Some("Test Signer <signer@example.com>")
    );
}

#[test]
fn unsigned_commit() {
    let key = SshKeyPair::generate();
    let repo = repo();
    let sha = repo.commit("not signed");
    let err = verify(&repo, &sha, &keys(&[("k.pub", key.public_key())])).unwrap_err();
    assert!(matches!(err, VerifyError::Unsigned { .. }), "{err:?}");
    assert_eq!((err.category(), err.reason()), ("verify", "Unsigned"));
}

#[test]
fn signed_by_an_untrusted_key() {
    let signer = SshKeyPair::generate();
    let trusted_only = SshKeyPair::generate();
    let gpg_signer = GpgKey::generate("mallory@example.com");
    let gpg_trusted = GpgKey::generate("alice@example.com");
    let repo = repo();
    let ssh_sha = repo.commit_signed("ssh", |data| signer.sign(data));
    repo.write("x.yaml", "x: 1\n");
    let pgp_sha = repo.commit_signed("pgp", |data| gpg_signer.sign(data));
    let trusted = keys(&[
        ("k.pub", trusted_only.public_key()),
        ("alice.asc", gpg_trusted.public_key_armored()),
    ]);

    let err = verify(&repo, &ssh_sha, &trusted).unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedKey { .. }), "{err:?}");
    assert!(err.to_string().contains("SHA256:"), "{err}");

    let err = verify(&repo, &pgp_sha, &trusted).unwrap_err();
    assert!(matches!(err, VerifyError::UntrustedKey { .. }), "{err:?}");
    assert!(err.to_string().contains(&gpg_signer.fingerprint()), "{err}");
}

#[test]
fn tampered_content_fails_verification() {
    let ssh = SshKeyPair::generate();
    let gpg = GpgKey::generate("signer@example.com");
    let repo = repo();
    let trusted = keys(&[
        ("k.pub", ssh.public_key()),
        ("k.asc", gpg.public_key_armored()),
    ]);

    // A valid signature over one commit, attached to a commit with different content: what
    // an attacker rewriting a commit without the key produces.
    let ssh_sign = |d: &str| ssh.sign(d);
    let gpg_sign = |d: &str| gpg.sign(d);
    let signers: [(&str, &SignFn); 2] = [("ssh", &ssh_sign), ("pgp", &gpg_sign)];
    for (name, sign) in signers {
        repo.write("settings.yaml", &format!("by: {name}\n"));
        let sha = repo.commit_signed(name, |data| {
            let tampered = data.replace(name, "evil");
            assert_ne!(tampered, data);
            sign(&tampered)
        });
        let err = verify(&repo, &sha, &trusted).unwrap_err();
        assert!(
            matches!(err, VerifyError::BadSignature { .. }),
            "{name}: {err:?}"
        );
        assert_eq!(err.reason(), "BadSignature");
    }
}

#[test]
fn missing_commit() {
    let key = SshKeyPair::generate();
    let repo = repo();
    repo.commit("x");
    let err = verify(
        &repo,
        &"1".repeat(40),
        &keys(&[("k.pub", key.public_key())]),
    )
    .unwrap_err();
    assert_eq!(err.reason(), "CommitNotFound");
}
