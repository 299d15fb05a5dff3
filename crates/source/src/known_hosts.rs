//! `known_hosts` checking for SSH remotes, as OpenSSH does it: plain and `[host]:port`
//! patterns with `*`/`?` globs and `!` negation, hashed (`|1|salt|hash`) names, and
//! `@revoked` keys. `@cert-authority` lines are ignored (host certificates are not supported),
//! so a host known only through a CA is treated as unknown and rejected.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use ssh_key::known_hosts::{Entry, HostPatterns, KnownHosts as Parser, Marker};

/// Parsed `known_hosts` content.
#[derive(Clone, PartialEq, Eq)]
pub struct KnownHosts {
    entries: Vec<KnownKey>,
}

impl std::fmt::Debug for KnownHosts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KnownHosts({} entries)", self.entries.len())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct KnownKey {
    patterns: HostPatterns,
    revoked: bool,
    algorithm: String,
    /// The key in SSH wire encoding: what libgit2 hands the certificate callback.
    blob: Vec<u8>,
}

/// What `known_hosts` says about a host key the server presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// The key is listed for this host.
    Trusted,
    /// The host is listed, but with other keys (of these types): a changed host key or a
    /// key type negotiation that picked a type `known_hosts` lacks.
    Mismatch { known_types: Vec<String> },
    /// The host is not listed at all.
    UnknownHost,
    /// The key is marked `@revoked`.
    Revoked,
}

/// `known_hosts` content with no usable entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("known_hosts has no usable host key entries ({skipped} line(s) could not be parsed)")]
pub struct KnownHostsError {
    pub skipped: usize,
}

impl KnownHosts {
    /// Parses `known_hosts` text. Lines that do not parse (e.g. key types this build does not
    /// know) are skipped; content with no usable line is an error, because it could never
    /// trust any host and would only produce confusing host-key failures later.
    pub fn parse(text: &str) -> Result<KnownHosts, KnownHostsError> {
        let mut skipped = 0;
        let mut entries = Vec::new();
        for parsed in Parser::new(text) {
            match parsed.ok().and_then(|entry| to_known_key(&entry)) {
                Some(key) => entries.push(key),
                None => skipped += 1,
            }
        }
        if entries.is_empty() {
            return Err(KnownHostsError { skipped });
        }
        Ok(KnownHosts { entries })
    }

    /// Checks the key (`blob`, SSH wire encoding) a server at `host`:`port` presented.
    pub fn check(&self, host: &str, port: u16, blob: &[u8]) -> HostKeyCheck {
        let name = lookup_name(host, port);
        let mut known_types = Vec::new();
        let mut trusted = false;
        for entry in self
            .entries
            .iter()
            .filter(|e| host_matches(&e.patterns, &name))
        {
            if entry.blob == blob {
                if entry.revoked {
                    return HostKeyCheck::Revoked;
                }
                trusted = true;
            } else if !entry.revoked {
                known_types.push(entry.algorithm.clone());
            }
        }
        match (trusted, known_types.is_empty()) {
            (true, _) => HostKeyCheck::Trusted,
            (false, true) => HostKeyCheck::UnknownHost,
            (false, false) => {
                known_types.sort();
                known_types.dedup();
                HostKeyCheck::Mismatch { known_types }
            }
        }
    }
}

fn to_known_key(entry: &Entry) -> Option<KnownKey> {
    let revoked = match entry.marker() {
        None => false,
        Some(Marker::Revoked) => true,
        Some(Marker::CertAuthority) => return None,
    };
    Some(KnownKey {
        patterns: entry.host_patterns().clone(),
        revoked,
        algorithm: entry.public_key().algorithm().as_str().to_owned(),
        blob: entry.public_key().to_bytes().ok()?,
    })
}

/// OpenSSH looks hosts up as `host` on port 22 and `[host]:port` elsewhere.
fn lookup_name(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

fn host_matches(patterns: &HostPatterns, name: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => {
            let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(salt) else {
                return false;
            };
            mac.update(name.as_bytes());
            mac.verify_slice(hash).is_ok()
        }
        HostPatterns::Patterns(patterns) => {
            let mut matched = false;
            for pattern in patterns {
                let pattern = pattern.to_ascii_lowercase();
                match pattern.strip_prefix('!') {
                    // A matching negation rules the entry out whatever else matches.
                    Some(negated) if glob(negated.as_bytes(), name.as_bytes()) => return false,
                    Some(_) => {}
                    None => matched |= glob(pattern.as_bytes(), name.as_bytes()),
                }
            }
            matched
        }
    }
}

/// `*` (any run) and `?` (one character) globbing, as in ssh_config host patterns.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            glob(rest, text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some((b'?', rest)), Some((_, text_rest))) => glob(rest, text_rest),
        (Some((p, rest)), Some((t, text_rest))) if p == t => glob(rest, text_rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    // Two real ed25519 public keys (ssh-keygen), used only as data.
    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILVL7vR/xjSolUONuE1za0gS+g4i64Wk0W839IS1k0Sy";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAICMXswr2XrOwUDCERmAdLqitV7XwPMnrN3HF15jrgLLt";

    fn blob(key: &str) -> Vec<u8> {
        STANDARD.decode(key).unwrap()
    }

    #[test]
    fn plain_host_on_port_22() {
        let kh = KnownHosts::parse(&format!("github.com ssh-ed25519 {KEY_A}\n")).unwrap();
        assert_eq!(
            kh.check("github.com", 22, &blob(KEY_A)),
            HostKeyCheck::Trusted
        );
        assert_eq!(
            kh.check("GitHub.com", 22, &blob(KEY_A)),
            HostKeyCheck::Trusted
        );
        assert_eq!(
            kh.check("github.com", 22, &blob(KEY_B)),
            HostKeyCheck::Mismatch {
                known_types: vec!["ssh-ed25519".into()]
            }
        );
        assert_eq!(
            kh.check("gitlab.com", 22, &blob(KEY_A)),
            HostKeyCheck::UnknownHost
        );
        // A plain entry is for port 22 only, as in OpenSSH.
        assert_eq!(
            kh.check("github.com", 2222, &blob(KEY_A)),
            HostKeyCheck::UnknownHost
        );
    }

    #[test]
    fn bracketed_port_and_comments() {
        let text = format!("# comment\n\n[127.0.0.1]:2222 ssh-ed25519 {KEY_A} test-server\n");
        let kh = KnownHosts::parse(&text).unwrap();
        assert_eq!(
            kh.check("127.0.0.1", 2222, &blob(KEY_A)),
            HostKeyCheck::Trusted
        );
        assert_eq!(
            kh.check("127.0.0.1", 22, &blob(KEY_A)),
            HostKeyCheck::UnknownHost
        );
    }

    #[test]
    fn hashed_names() {
        // `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as `ssh-keygen -H` writes them.
        let salt = b"0123456789abcdefghij";
        let mut mac = Hmac::<Sha1>::new_from_slice(salt).unwrap();
        mac.update(b"[git.example.com]:2222");
        let hash = mac.finalize().into_bytes();
        let line = format!(
            "|1|{}|{} ssh-ed25519 {KEY_A}\n",
            STANDARD.encode(salt),
            STANDARD.encode(hash)
        );
        let kh = KnownHosts::parse(&line).unwrap();
        assert_eq!(
            kh.check("git.example.com", 2222, &blob(KEY_A)),
            HostKeyCheck::Trusted
        );
        assert_eq!(
            kh.check("git.example.com", 22, &blob(KEY_A)),
            HostKeyCheck::UnknownHost
        );
    }

    #[test]
    fn globs_and_negation() {
        let text = format!("*.example.com,!evil.example.com ssh-ed25519 {KEY_A}\n");
        let kh = KnownHosts::parse(&text).unwrap();
        assert_eq!(
            kh.check("git.example.com", 22, &blob(KEY_A)),
            HostKeyCheck::Trusted
        );
        assert_eq!(
            kh.check("evil.example.com", 22, &blob(KEY_A)),
            HostKeyCheck::UnknownHost
        );
        assert!(glob(b"g?t.*", b"git.x"));
        assert!(!glob(b"g?t", b"gt"));
    }

    #[test]
    fn revoked_wins_and_cert_authority_is_ignored() {
        let text = format!(
            "host ssh-ed25519 {KEY_A}\n@revoked host ssh-ed25519 {KEY_A}\n\
             @cert-authority other ssh-ed25519 {KEY_B}\n"
        );
        let kh = KnownHosts::parse(&text).unwrap();
        assert_eq!(kh.check("host", 22, &blob(KEY_A)), HostKeyCheck::Revoked);
        assert_eq!(
            kh.check("other", 22, &blob(KEY_B)),
            HostKeyCheck::UnknownHost
        );
    }

    #[test]
    fn unusable_content_is_an_error() {
        assert_eq!(KnownHosts::parse("").unwrap_err().skipped, 0);
        assert_eq!(
            KnownHosts::parse("host ssh-ed25519 not-base64!\n")
                .unwrap_err()
                .skipped,
            1
        );
        // One bad line among good ones is skipped.
        let text = format!("bad line\nhost ssh-ed25519 {KEY_A}\n");
        assert!(KnownHosts::parse(&text).is_ok());
    }
}
