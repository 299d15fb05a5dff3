//! Commit signature verification (`spec.source.verify`): SSH signatures (`gpg.format=ssh`,
//! namespace `git`) and OpenPGP signatures, checked in pure Rust against [`TrustedKeys`].
//!
//! A commit is accepted only if it is signed, the signature names a trusted key, and the
//! signature over the commit (minus its `gpgsig` header, as git signs it) is valid.
//! Expiry and revocation of OpenPGP keys are not evaluated: trust is what the Secret lists.

mod keys;

use git2::{Oid, Repository};
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::KeyDetails;
use ssh_key::{HashAlg, SshSig};

pub use keys::TrustedKeys;

/// Git's namespace for SSH commit and tag signatures.
const SSH_NAMESPACE: &str = "git";

/// The kind of signature a commit carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureKind {
    Ssh,
    OpenPgp,
}

/// Who signed a verified commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signer {
    pub kind: SignatureKind,
    /// `SHA256:…` for SSH keys, the upper-case hex fingerprint of the primary key for OpenPGP.
    pub key_id: String,
    /// The allowed-signers principal, or the OpenPGP key's first user ID.
    pub principal: Option<String>,
}

/// Why a commit was not accepted, or the keys could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("commit {commit} is not signed")]
    Unsigned { commit: String },
    #[error("commit {commit} is signed by key {key}, which is not trusted")]
    UntrustedKey { commit: String, key: String },
    #[error("commit {commit} has an invalid signature: {reason}")]
    BadSignature { commit: String, reason: String },
    #[error("commit {commit} has an unsupported signature kind ({kind})")]
    Unsupported { commit: String, kind: String },
    #[error("commit {commit} not found: {reason}")]
    CommitNotFound { commit: String, reason: String },
    #[error("trusted keys entry {entry}: {reason}")]
    InvalidKeys { entry: String, reason: String },
}

impl VerifyError {
    /// Stable label for metrics: always `verify`.
    pub fn category(&self) -> &'static str {
        "verify"
    }

    /// Stable CamelCase reason for conditions and Events.
    pub fn reason(&self) -> &'static str {
        match self {
            VerifyError::Unsigned { .. } => "Unsigned",
            VerifyError::UntrustedKey { .. } => "UntrustedKey",
            VerifyError::BadSignature { .. } => "BadSignature",
            VerifyError::Unsupported { .. } => "UnsupportedSignature",
            VerifyError::CommitNotFound { .. } => "CommitNotFound",
            VerifyError::InvalidKeys { .. } => "InvalidVerificationKeys",
        }
    }
}

/// Verifies the signature of commit `oid` against `keys`. Blocking (reads the repository).
pub fn verify_commit(
    repo: &Repository,
    oid: Oid,
    keys: &TrustedKeys,
) -> Result<Signer, VerifyError> {
    let commit = oid.to_string();
    if let Err(e) = repo.find_commit(oid) {
        return Err(VerifyError::CommitNotFound {
            commit,
            reason: e.message().to_owned(),
        });
    }
    let (signature, signed) = match repo.extract_signature(&oid, None) {
        Ok(pair) => pair,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Err(VerifyError::Unsigned { commit });
        }
        Err(e) => {
            return Err(VerifyError::BadSignature {
                commit,
                reason: e.message().to_owned(),
            });
        }
    };
    let text = String::from_utf8_lossy(&signature);
    let text = text.trim_start();
    if text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        verify_ssh(&commit, text, &signed, keys)
    } else if text.starts_with("-----BEGIN PGP SIGNATURE-----") {
        verify_pgp(&commit, text, &signed, keys)
    } else {
        let kind = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_matches('-')
            .to_owned();
        Err(VerifyError::Unsupported { commit, kind })
    }
}

fn verify_ssh(
    commit: &str,
    pem: &str,
    signed: &[u8],
    keys: &TrustedKeys,
) -> Result<Signer, VerifyError> {
    let bad = |reason: String| VerifyError::BadSignature {
        commit: commit.to_owned(),
        reason,
    };
    let sig = SshSig::from_pem(pem).map_err(|e| bad(e.to_string()))?;
    if sig.namespace() != SSH_NAMESPACE {
        return Err(bad(format!(
            "namespace {:?} is not \"git\"",
            sig.namespace()
        )));
    }
    let Some(trusted) = keys
        .ssh
        .iter()
        .find(|k| k.key.key_data() == sig.public_key())
    else {
        let key = ssh_key::PublicKey::from(sig.public_key().clone());
        return Err(VerifyError::UntrustedKey {
            commit: commit.to_owned(),
            key: key.fingerprint(HashAlg::Sha256).to_string(),
        });
    };
    trusted
        .key
        .verify(SSH_NAMESPACE, signed, &sig)
        .map_err(|e| bad(e.to_string()))?;
    Ok(Signer {
        kind: SignatureKind::Ssh,
        key_id: trusted.key.fingerprint(HashAlg::Sha256).to_string(),
        principal: trusted.principal.clone(),
    })
}

fn verify_pgp(
    commit: &str,
    armored: &str,
    signed: &[u8],
    keys: &TrustedKeys,
) -> Result<Signer, VerifyError> {
    let bad = |reason: String| VerifyError::BadSignature {
        commit: commit.to_owned(),
        reason,
    };
    let (sig, _) = DetachedSignature::from_string(armored).map_err(|e| bad(e.to_string()))?;
    let fingerprints = sig.signature.issuer_fingerprint();
    let key_ids = sig.signature.issuer_key_id();
    let issued_by = |k: &dyn KeyDetails| {
        fingerprints.iter().any(|f| **f == k.fingerprint())
            || key_ids.iter().any(|id| **id == k.legacy_key_id())
    };
    for cert in &keys.pgp {
        // git signs with the primary key or a signing subkey; both identify the same cert.
        let result = if issued_by(cert) {
            Some(sig.verify(cert, signed))
        } else {
            cert.public_subkeys
                .iter()
                .find(|sub| issued_by(*sub))
                .map(|sub| sig.verify(sub, signed))
        };
        match result {
            Some(Ok(())) => return Ok(pgp_signer(cert)),
            Some(Err(e)) => return Err(bad(e.to_string())),
            None => {}
        }
    }
    let key = fingerprints
        .first()
        .map(|f| format!("{f:X}"))
        .or_else(|| key_ids.first().map(|id| id.to_string().to_uppercase()))
        .unwrap_or_else(|| "(no issuer in signature)".to_owned());
    Err(VerifyError::UntrustedKey {
        commit: commit.to_owned(),
        key,
    })
}

fn pgp_signer(cert: &SignedPublicKey) -> Signer {
    Signer {
        kind: SignatureKind::OpenPgp,
        key_id: format!("{:X}", cert.fingerprint()),
        principal: cert
            .details
            .users
            .first()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned()),
    }
}
