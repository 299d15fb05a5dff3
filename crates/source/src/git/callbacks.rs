//! libgit2 callbacks for one fetch: credentials from [`Auth`], SSH host keys checked against
//! `known_hosts`, the overall deadline, and which tip the wanted ref got. What they observe
//! is recorded so a failure can be classified precisely afterwards.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use git2::{CertificateCheckStatus, Cred, CredentialType, Oid, RemoteCallbacks};

use super::error::Observed;
use super::user_credentials;
use crate::auth::Auth;
use crate::known_hosts::HostKeyCheck;
use crate::url::RepoUrl;

/// Per-fetch state shared by the callbacks.
pub(crate) struct Session<'a> {
    pub auth: &'a Auth,
    pub target: &'a RepoUrl,
    pub deadline: Instant,
    pub wanted_ref: &'a str,
    /// The scheme, when credentials must not be sent (a plain-text transport to a host that
    /// is not loopback).
    pub insecure: Option<&'a str>,
    pub observed: RefCell<Observed>,
    /// Credentials handed out so far; being asked again means the server refused them.
    pub given: Cell<u32>,
    pub tip: Cell<Option<Oid>>,
}

impl<'a> Session<'a> {
    pub(super) fn new(
        auth: &'a Auth,
        target: &'a RepoUrl,
        deadline: Instant,
        wanted_ref: &'a str,
    ) -> Self {
        Session {
            auth,
            target,
            deadline,
            wanted_ref,
            insecure: plain_text(target).then_some(target.scheme.as_str()),
            observed: RefCell::default(),
            given: Cell::new(0),
            tip: Cell::new(None),
        }
    }

    pub(super) fn callbacks(&'a self) -> RemoteCallbacks<'a> {
        let mut cbs = RemoteCallbacks::new();
        cbs.credentials(|url, user_from_url, allowed| {
            self.credentials(url, user_from_url, allowed)
        });
        cbs.certificate_check(|cert, _host| self.check_certificate(cert));
        // The fetch's own deadline: libgit2 calls these while data flows (the pack, the
        // server's progress messages) and cancels the fetch when one returns false. A
        // connection on which nothing flows is ended by the process-wide socket timeout.
        cbs.transfer_progress(|_| self.before_deadline());
        cbs.sideband_progress(|_| self.before_deadline());
        cbs.update_tips(|name, _old, new| {
            if name == self.wanted_ref {
                self.tip.set(Some(new));
            }
            true
        });
        cbs
    }

    fn before_deadline(&self) -> bool {
        let ok = Instant::now() < self.deadline;
        if !ok {
            self.observed.borrow_mut().deadline_passed = true;
        }
        ok
    }

    fn credentials(
        &self,
        url: &str,
        user_from_url: Option<&str>,
        allowed: CredentialType,
    ) -> Result<Cred, git2::Error> {
        let ssh_user = user_from_url.unwrap_or("git");
        // libgit2 asks for the SSH user name separately when the URL has none; that is not
        // an attempt to authenticate.
        if !allowed.contains(CredentialType::SSH_KEY)
            && allowed.contains(CredentialType::USERNAME)
            && matches!(self.auth, Auth::Ssh(_) | Auth::Default)
        {
            return Cred::username(ssh_user);
        }
        if let Some(scheme) = self.insecure {
            // Only `Auth::Default` gets here (the others were refused before connecting): the
            // user's own helper would hand its password to a plain-text connection.
            self.observed.borrow_mut().insecure = Some(scheme.to_owned());
            return Err(git2::Error::from_str(
                "credentials over a plain-text transport refused",
            ));
        }
        if self.given.get() > 0 {
            self.observed.borrow_mut().credentials_rejected = true;
            return Err(git2::Error::from_str("the server rejected the credentials"));
        }
        let cred = match self.auth {
            Auth::Basic { username, password }
                if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) =>
            {
                Cred::userpass_plaintext(username, password)
            }
            Auth::Ssh(ssh) if allowed.contains(CredentialType::SSH_KEY) => {
                Cred::ssh_key_from_memory(
                    ssh_user,
                    ssh.public_key.as_deref(),
                    &ssh.private_key,
                    ssh.passphrase.as_deref(),
                )
            }
            Auth::Default => match user_credentials::credentials(url, user_from_url, allowed) {
                Ok(cred) => Ok(cred),
                Err(reason) => {
                    self.observed.borrow_mut().credentials_missing = Some(reason.clone());
                    return Err(git2::Error::from_str(&reason));
                }
            },
            _ => {
                let reason = missing_credentials(self.auth, allowed);
                self.observed.borrow_mut().credentials_missing = Some(reason.clone());
                return Err(git2::Error::from_str(&reason));
            }
        };
        self.given.set(self.given.get() + 1);
        cred
    }

    fn check_certificate(
        &self,
        cert: &git2::cert::Cert<'_>,
    ) -> Result<CertificateCheckStatus, git2::Error> {
        let Some(hostkey) = cert.as_hostkey() else {
            // TLS: libgit2's (OpenSSL's) own verification against the system CAs.
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        };
        let host = &self.target.host;
        let port = self.target.effective_port().unwrap_or(22);
        if matches!(self.auth, Auth::Default) {
            // As `git` does: libgit2 checks the user's ~/.ssh/known_hosts.
            return Ok(CertificateCheckStatus::CertificatePassthrough);
        }
        let verdict = match (self.auth, hostkey.hostkey()) {
            (Auth::Ssh(ssh), Some(blob)) => ssh.known_hosts.check(host, port, blob),
            (Auth::Ssh(_), None) => HostKeyCheck::UnknownHost,
            _ => {
                let reason = format!(
                    "SSH host key of {host}:{port} cannot be verified: the secret has no known_hosts"
                );
                return Err(self.reject_host(reason));
            }
        };
        let key_type = hostkey
            .hostkey_type()
            .map(|t| t.name())
            .unwrap_or("unknown");
        let reason = match verdict {
            HostKeyCheck::Trusted => return Ok(CertificateCheckStatus::CertificateOk),
            HostKeyCheck::UnknownHost => format!("host {host}:{port} is not in known_hosts"),
            HostKeyCheck::Revoked => format!("host key of {host}:{port} is revoked in known_hosts"),
            HostKeyCheck::Mismatch { known_types } => format!(
                "host key of {host}:{port} ({key_type}) does not match known_hosts (which has {})",
                known_types.join(", ")
            ),
        };
        Err(self.reject_host(reason))
    }

    fn reject_host(&self, reason: String) -> git2::Error {
        self.observed.borrow_mut().host_key_rejected = Some(reason.clone());
        git2::Error::from_str(&reason)
    }
}

/// A transport that sends credentials in clear text, to a host other than this one.
pub(crate) fn plain_text(target: &RepoUrl) -> bool {
    matches!(target.scheme.as_str(), "http" | "git") && !target.is_loopback()
}

fn missing_credentials(auth: &Auth, allowed: CredentialType) -> String {
    let wants_ssh = allowed.contains(CredentialType::SSH_KEY);
    match auth {
        Auth::None => "the server requires authentication and no secretRef is set".to_owned(),
        Auth::Bearer { .. } if !wants_ssh => "the server rejected the bearer token".to_owned(),
        Auth::Ssh(_) => "the server asks for a password, but the secret has an SSH key".to_owned(),
        _ if wants_ssh => {
            "the server asks for an SSH key, but the secret has HTTPS credentials".to_owned()
        }
        _ => format!("the server asks for credentials the secret does not have ({allowed:?})"),
    }
}
