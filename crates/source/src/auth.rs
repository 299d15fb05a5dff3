//! Credentials for a Git source, mapped from the data of the Secret named by
//! `spec.source.secretRef`. The keys follow Flux's GitRepository conventions so existing
//! Secrets work unchanged:
//!
//! | keys | auth |
//! |---|---|
//! | `username` + `password` | HTTPS basic |
//! | `bearerToken` | HTTPS `Authorization: Bearer …` header |
//! | `identity` + `known_hosts` (+ `identity.pub`, `password` as passphrase) | SSH key |
//!
//! A workstation has no Secret: [`Auth::Default`] uses the user's own Git setup instead
//! (credential helpers and the SSH agent, see `git/user_credentials.rs`).
//!
//! This module is pure; [`crate::git`] turns an [`Auth`] into libgit2 callbacks.

use std::collections::BTreeMap;
use std::fmt;

use crate::known_hosts::{KnownHosts, KnownHostsError};

/// How to authenticate to a Git server.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// Anonymous access (public repositories, `file://`, `git://`).
    #[default]
    None,
    /// HTTPS basic authentication.
    Basic { username: String, password: String },
    /// HTTPS bearer token, sent as an `Authorization` header on every request.
    Bearer { token: String },
    /// SSH public key authentication with a pinned host key.
    Ssh(SshAuth),
    /// The user's own Git credentials, as `git` finds them: the SSH agent for SSH URLs, git's
    /// credential helpers for HTTPS, and SSH host keys checked by libgit2 against
    /// `~/.ssh/known_hosts`. For single-user tools (the CLI), never for the controller.
    Default,
}

/// SSH key material and the hosts to trust.
#[derive(Clone, PartialEq, Eq)]
pub struct SshAuth {
    /// The private key, PEM or OpenSSH format.
    pub private_key: String,
    /// The matching public key (`identity.pub`); optional, libssh2 derives it.
    pub public_key: Option<String>,
    /// The private key's passphrase.
    pub passphrase: Option<String>,
    /// Host keys the server must present one of; unknown hosts are rejected.
    pub known_hosts: KnownHosts,
}

/// A Secret that does not describe usable credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error(
        "secret has no usable credentials (keys present: {present}); expected `username` and \
         `password` (HTTPS basic), `bearerToken` (HTTPS bearer), or `identity` and \
         `known_hosts` (SSH)"
    )]
    NoCredentials { present: String },
    #[error("secret key `{present}` needs `{missing}` as well")]
    Incomplete {
        present: &'static str,
        missing: &'static str,
    },
    #[error("secret mixes `{0}` and `{1}`: keep one kind of credentials per secret")]
    Ambiguous(&'static str, &'static str),
    #[error("secret key `{0}` is not valid UTF-8")]
    NotUtf8(&'static str),
    #[error("secret key `known_hosts`: {0}")]
    KnownHosts(#[from] KnownHostsError),
}

impl AuthError {
    /// Stable label for metrics and condition reasons.
    pub fn category(&self) -> &'static str {
        "auth"
    }
}

impl Auth {
    /// Maps a Secret's `data` to credentials. Unknown keys (e.g. `ca.crt`) are ignored.
    pub fn from_secret_data(data: &BTreeMap<String, Vec<u8>>) -> Result<Auth, AuthError> {
        let get = |key: &'static str| -> Result<Option<String>, AuthError> {
            data.get(key)
                .map(|v| String::from_utf8(v.clone()).map_err(|_| AuthError::NotUtf8(key)))
                .transpose()
        };
        let username = get("username")?;
        let password = get("password")?;
        let token = get("bearerToken")?;
        let identity = get("identity")?;
        let known_hosts = get("known_hosts")?;

        if let Some(private_key) = identity {
            for other in ["bearerToken", "username"] {
                if data.contains_key(other) {
                    return Err(AuthError::Ambiguous("identity", other));
                }
            }
            let known_hosts = known_hosts.ok_or(AuthError::Incomplete {
                present: "identity",
                missing: "known_hosts",
            })?;
            return Ok(Auth::Ssh(SshAuth {
                private_key,
                public_key: get("identity.pub")?,
                passphrase: password.filter(|p| !p.is_empty()),
                known_hosts: KnownHosts::parse(&known_hosts)?,
            }));
        }
        if let Some(token) = token {
            if data.contains_key("username") || data.contains_key("password") {
                return Err(AuthError::Ambiguous("bearerToken", "username/password"));
            }
            return Ok(Auth::Bearer {
                token: token.trim().to_owned(),
            });
        }
        match (username, password) {
            (Some(username), Some(password)) => Ok(Auth::Basic { username, password }),
            (Some(_), None) => Err(AuthError::Incomplete {
                present: "username",
                missing: "password",
            }),
            (None, Some(_)) => Err(AuthError::Incomplete {
                present: "password",
                missing: "username",
            }),
            (None, None) if known_hosts.is_some() => Err(AuthError::Incomplete {
                present: "known_hosts",
                missing: "identity",
            }),
            (None, None) => Err(AuthError::NoCredentials {
                present: data.keys().cloned().collect::<Vec<_>>().join(", "),
            }),
        }
    }

    /// A short, secret-free name of the kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::Bearer { .. } => "bearer",
            Auth::Ssh(_) => "ssh",
            Auth::Default => "default",
        }
    }
}

/// Secrets never reach logs through `{:?}`.
impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("Auth::None"),
            Auth::Basic { username, .. } => f
                .debug_struct("Auth::Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Auth::Bearer { .. } => f
                .debug_struct("Auth::Bearer")
                .field("token", &"<redacted>")
                .finish(),
            Auth::Ssh(ssh) => ssh.fmt(f),
            Auth::Default => f.write_str("Auth::Default"),
        }
    }
}

impl fmt::Debug for SshAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth::Ssh")
            .field("private_key", &"<redacted>")
            .field("public_key", &self.public_key)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("known_hosts", &self.known_hosts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_LINE: &str = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILVL7vR/xjSolUONuE1za0gS+g4i64Wk0W839IS1k0Sy";

    fn secret(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn basic() {
        let auth = Auth::from_secret_data(&secret(&[("username", "u"), ("password", "p")]));
        assert_eq!(
            auth.unwrap(),
            Auth::Basic {
                username: "u".into(),
                password: "p".into()
            }
        );
    }

    #[test]
    fn bearer_is_trimmed() {
        let auth = Auth::from_secret_data(&secret(&[("bearerToken", "tok\n")])).unwrap();
        assert_eq!(
            auth,
            Auth::Bearer {
                token: "tok".into()
            }
        );
    }

    #[test]
    fn ssh_with_passphrase() {
        let data = secret(&[
            ("identity", "-----BEGIN OPENSSH PRIVATE KEY-----\n..."),
            ("identity.pub", "ssh-ed25519 AAAA"),
            ("known_hosts", HOST_LINE),
            ("password", "phrase"),
        ]);
        let Auth::Ssh(ssh) = Auth::from_secret_data(&data).unwrap() else {
            panic!("not ssh");
        };
        assert_eq!(ssh.passphrase.as_deref(), Some("phrase"));
        assert_eq!(ssh.public_key.as_deref(), Some("ssh-ed25519 AAAA"));
    }

    #[test]
    fn incomplete_and_ambiguous_secrets_name_the_keys() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("identity", "k")], "`identity` needs `known_hosts`"),
            (
                &[("known_hosts", HOST_LINE)],
                "`known_hosts` needs `identity`",
            ),
            (&[("username", "u")], "`username` needs `password`"),
            (&[("password", "p")], "`password` needs `username`"),
            (
                &[("bearerToken", "t"), ("username", "u")],
                "mixes `bearerToken`",
            ),
            (&[("ca.crt", "x")], "keys present: ca.crt"),
            (&[], "expected `username` and `password`"),
            (
                &[("identity", "k"), ("known_hosts", "garbage")],
                "known_hosts",
            ),
        ];
        for (data, expected) in cases {
            let err = Auth::from_secret_data(&secret(data)).unwrap_err();
            assert!(err.to_string().contains(expected), "{err} !~ {expected}");
            assert_eq!(err.category(), "auth");
        }
    }

    #[test]
    fn non_utf8_is_rejected_by_key_name() {
        let mut data = secret(&[("username", "u")]);
        data.insert("password".into(), vec![0xff, 0xfe]);
        let err = Auth::from_secret_data(&data).unwrap_err();
        assert_eq!(err, AuthError::NotUtf8("password"));
    }

    #[test]
    fn debug_redacts_secrets() {
        let basic = Auth::Basic {
            username: "alice".into(),
            password: "hunter2".into(),
        };
        let bearer = Auth::Bearer {
            token: "ghp_secret".into(),
        };
        let ssh = Auth::from_secret_data(&secret(&[
            ("identity", "PRIVATE-KEY-MATERIAL"),
            ("known_hosts", HOST_LINE),
            ("password", "s3cret-phrase"),
        ]))
        .unwrap();
        let shown = format!("{basic:?} {bearer:?} {ssh:?}");
        for secret in [
            "hunter2",
            "ghp_secret",
            "PRIVATE-KEY-MATERIAL",
            "s3cret-phrase",
        ] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("alice"));
    }
}
