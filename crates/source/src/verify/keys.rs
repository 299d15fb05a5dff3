//! Trusted signing keys from the Secret named by `spec.source.verify.secretRef`.
//!
//! Entries named `*.asc` or `*.gpg` hold OpenPGP public keys (armored, or binary for `.gpg`;
//! several keys per entry are fine). Every other entry holds SSH public keys, one per line,
//! in git's `gpg.ssh.allowedSignersFile` form (`principal[,…] [options] key-type base64`) or
//! as plain `key-type base64 [comment]` lines (`*.pub`, `authorized_keys`-like).

use std::collections::BTreeMap;

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::types::KeyDetails;
use ssh_key::{HashAlg, PublicKey};

use super::VerifyError;

/// Keys whose signatures are accepted.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    pub(super) ssh: Vec<TrustedSshKey>,
    pub(super) pgp: Vec<SignedPublicKey>,
}

#[derive(Clone, Debug)]
pub(super) struct TrustedSshKey {
    pub key: PublicKey,
    pub principal: Option<String>,
}

impl TrustedKeys {
    /// Parses a Secret's `data`. Fails on an entry that holds no usable key, naming it, and
    /// on a Secret with no keys at all: verification that trusts nothing is a mistake.
    pub fn from_secret_data(data: &BTreeMap<String, Vec<u8>>) -> Result<TrustedKeys, VerifyError> {
        let mut keys = TrustedKeys::default();
        for (name, value) in data {
            let invalid = |reason: String| VerifyError::InvalidKeys {
                entry: name.clone(),
                reason,
            };
            if name.ends_with(".asc") || name.ends_with(".gpg") {
                let parsed = parse_pgp(value).map_err(invalid)?;
                keys.pgp.extend(parsed);
            } else {
                let text = std::str::from_utf8(value).map_err(|_| invalid("not UTF-8".into()))?;
                let parsed = parse_ssh_lines(text).map_err(invalid)?;
                keys.ssh.extend(parsed);
            }
        }
        if keys.ssh.is_empty() && keys.pgp.is_empty() {
            return Err(VerifyError::InvalidKeys {
                entry: "(secret)".into(),
                reason: "no keys: add `*.asc` OpenPGP keys or SSH allowed-signers lines".into(),
            });
        }
        Ok(keys)
    }

    /// Number of trusted keys, SSH and OpenPGP.
    pub fn len(&self) -> usize {
        self.ssh.len() + self.pgp.len()
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fingerprints of the trusted keys (`SHA256:…` for SSH, hex for OpenPGP), for status.
    pub fn fingerprints(&self) -> Vec<String> {
        let ssh = self
            .ssh
            .iter()
            .map(|k| k.key.fingerprint(HashAlg::Sha256).to_string());
        let pgp = self.pgp.iter().map(|k| format!("{:X}", k.fingerprint()));
        ssh.chain(pgp).collect()
    }
}

fn parse_pgp(value: &[u8]) -> Result<Vec<SignedPublicKey>, String> {
    let parsed: Vec<_> = if value.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (keys, _) = SignedPublicKey::from_armor_many(value).map_err(|e| e.to_string())?;
        keys.collect::<Result<_, _>>().map_err(|e| e.to_string())?
    } else {
        SignedPublicKey::from_bytes_many(value)
            .map_err(|e| e.to_string())?
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?
    };
    if parsed.is_empty() {
        return Err("no OpenPGP public key".into());
    }
    for key in &parsed {
        // Subkeys must really belong to their primary key, or a forged subkey could sign.
        key.verify_bindings()
            .map_err(|e| format!("key {:X}: invalid bindings: {e}", key.fingerprint()))?;
    }
    Ok(parsed)
}

fn parse_ssh_lines(text: &str) -> Result<Vec<TrustedSshKey>, String> {
    let mut keys = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(key) = parse_ssh_line(line).map_err(|e| format!("line {}: {e}", number + 1))? {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err("no SSH public key".into());
    }
    Ok(keys)
}

/// One allowed-signers or public-key line; `None` for keys not valid for git signatures.
fn parse_ssh_line(line: &str) -> Result<Option<TrustedSshKey>, String> {
    let tokens: Vec<(usize, &str)> = line
        .split_whitespace()
        .map(|t| (t.as_ptr() as usize - line.as_ptr() as usize, t))
        .collect();
    let Some(type_index) = tokens.iter().position(|(_, t)| is_key_type(t)) else {
        return Err("no SSH key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-…)".into());
    };
    let key = PublicKey::from_openssh(&line[tokens[type_index].0..]).map_err(|e| e.to_string())?;
    let (principal, options) = match &tokens[..type_index] {
        [] => (None, None),
        [(_, principals)] => (Some(principals.to_string()), None),
        [(_, principals), (_, options), ..] => (Some(principals.to_string()), Some(*options)),
    };
    if let Some(options) = options {
        if options
            .split(',')
            .any(|o| o.eq_ignore_ascii_case("cert-authority"))
        {
            return Ok(None);
        }
        // `namespaces="git,file"` restricts what a key may sign, as in ssh-keygen -Y verify.
        if let Some(list) = quoted_option(options, "namespaces")
            && !list.split(',').any(|n| n == "git")
        {
            return Ok(None);
        }
    }
    Ok(Some(TrustedSshKey { key, principal }))
}

/// The value of `name="…"` (or unquoted `name=…`) in an options string.
fn quoted_option<'a>(options: &'a str, name: &str) -> Option<&'a str> {
    let start = options.find(&format!("{name}="))? + name.len() + 1;
    let rest = &options[start..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split(',').next(),
    }
}

fn is_key_type(token: &str) -> bool {
    ["ssh-", "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"]
        .iter()
        .any(|prefix| token.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILVL7vR/xjSolUONuE1za0gS+g4i64Wk0W839IS1k0Sy";

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn allowed_signers_forms() {
        let text = format!(
            "# team keys\n{KEY} plain@comment\nalice@example.com {KEY}\n\
             bob@example.com,b@x namespaces=\"git\" {KEY}\n\
             carol namespaces=\"file\" {KEY}\nca cert-authority {KEY}\n\
             dave namespaces=\"file,git\" {KEY}\n"
        );
        let keys = TrustedKeys::from_secret_data(&data(&[("allowed_signers", &text)])).unwrap();
        let principals: Vec<_> = keys.ssh.iter().map(|k| k.principal.clone()).collect();
        assert_eq!(
            principals,
            [
                None,
                Some("alice@example.com".into()),
                Some("bob@example.com,b@x".into()),
                Some("dave".into()),
            ]
        );
        assert!(keys.fingerprints()[0].starts_with("SHA256:"));
    }

    #[test]
    fn bad_entries_are_named() {
        let err = TrustedKeys::from_secret_data(&data(&[("team.pub", "not a key")])).unwrap_err();
        assert!(err.to_string().contains("team.pub"), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = TrustedKeys::from_secret_data(&data(&[("k.asc", "garbage")])).unwrap_err();
        assert!(err.to_string().contains("k.asc"), "{err}");
        let err = TrustedKeys::from_secret_data(&data(&[])).unwrap_err();
        assert!(err.to_string().contains("no keys"), "{err}");
        assert_eq!(err.category(), "verify");
    }
}
