//! `GitCache::fetch`: bring one branch of one URL up to date in the cache.

use std::time::{Duration, Instant};

use git2::{AutotagOption, FetchOptions};

use super::cache::{ANONYMOUS, GitCache, LockError, key};
use super::callbacks::{Session, plain_text};
use super::error::{FetchError, classify};
use super::{Eviction, Fetched};
use crate::auth::Auth;
use crate::url::{RepoUrl, carries_password, redact};

impl GitCache {
    /// Fetches `+refs/heads/<branch>:refs/heads/<branch>` (full history, no tags) from `url`
    /// into the repository of `identity` and returns the branch's commit SHA. Blocking I/O.
    ///
    /// * `identity` says who proves access (see the module docs of `cache.rs`):
    ///   [`ANONYMOUS`](super::ANONYMOUS) exactly when `auth` is [`Auth::None`] (anything
    ///   else is refused as [`FetchError::IdentityMismatch`]: it would let credentialed
    ///   revisions reach anonymous readers), else a name for the credentials.
    /// * Credentials are refused before connecting when they would travel in clear text
    ///   (`http://`, `git://` to a host other than loopback:
    ///   [`FetchError::InsecureCredentials`]) or sit in the URL itself
    ///   ([`FetchError::CredentialsInUrl`]).
    /// * Fetches of one repository are serialised (across threads and processes); waiting
    ///   counts against `timeout`.
    /// * When the remote tip is already cached nothing is downloaded: libgit2 lists the
    ///   remote refs and skips the pack negotiation.
    /// * `timeout` bounds this fetch only: its callbacks cancel it once the deadline has
    ///   passed while data flows, and a connection that stalls is ended by the process-wide
    ///   socket timeout ([`GitCache::with_socket_timeout`]), whichever comes first.
    /// * A branch deleted on the remote is reported as [`FetchError::BranchNotFound`]; its
    ///   commits stay in the cache for rollbacks.
    /// * With a size cap, a fetch that downloaded something evicts least recently used
    ///   repositories afterwards (never this one; see [`GitCache::evict`]).
    pub fn fetch_as(
        &self,
        url: &str,
        identity: &str,
        branch: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        let refname = format!("refs/heads/{branch}");
        if branch.is_empty() || !git2::Reference::is_valid_name(&refname) {
            return Err(FetchError::InvalidBranch(branch.to_owned()));
        }
        check_identity(identity, auth)?;
        let t = self.transfer(url, identity, Some(&refname), branch, auth, timeout)?;
        let Some(tip) = t.tip else {
            return Err(FetchError::BranchNotFound {
                url: redact(url),
                branch: branch.to_owned(),
            });
        };
        Ok(t.fetched(tip))
    }

    /// [`fetch_as`](Self::fetch_as) into the [`ANONYMOUS`](super::ANONYMOUS) repository,
    /// whatever `auth` is. For single-user tools; a multi-tenant caller must use
    /// [`fetch_as`](Self::fetch_as), or credentialed revisions reach every reader of the URL.
    pub fn fetch(
        &self,
        url: &str,
        branch: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        let refname = format!("refs/heads/{branch}");
        if branch.is_empty() || !git2::Reference::is_valid_name(&refname) {
            return Err(FetchError::InvalidBranch(branch.to_owned()));
        }
        let t = self.transfer(url, ANONYMOUS, Some(&refname), branch, auth, timeout)?;
        let Some(tip) = t.tip else {
            return Err(FetchError::BranchNotFound {
                url: redact(url),
                branch: branch.to_owned(),
            });
        };
        Ok(t.fetched(tip))
    }

    /// Fetches the tag `refs/tags/<tag>` (lightweight or annotated) into the repository of
    /// `identity` and returns the commit it points at, as [`fetch_as`](Self::fetch_as) does
    /// for a branch. For tools that load a tagged release (the CLI's `--rev v1.2`); the
    /// controller follows branches.
    pub fn fetch_tag_as(
        &self,
        url: &str,
        identity: &str,
        tag: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        let refname = format!("refs/tags/{tag}");
        if tag.is_empty() || !git2::Reference::is_valid_name(&refname) {
            return Err(FetchError::InvalidTag(tag.to_owned()));
        }
        let t = self.transfer(url, identity, Some(&refname), &refname, auth, timeout)?;
        if t.tip.is_none() {
            return Err(FetchError::TagNotFound {
                url: redact(url),
                tag: tag.to_owned(),
            });
        }
        // An annotated tag points at a tag object: the revision is its commit.
        let repo = self.open_as(url, identity)?;
        let commit = repo
            .find_reference(&refname)
            .and_then(|r| r.peel_to_commit())
            .map_err(|e| FetchError::Corrupt {
                url: redact(url),
                reason: e.message().to_owned(),
            })?
            .id();
        Ok(t.fetched(commit))
    }

    /// [`fetch_tag_as`](Self::fetch_tag_as) into the [`ANONYMOUS`](super::ANONYMOUS)
    /// repository.
    pub fn fetch_tag(
        &self,
        url: &str,
        tag: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        self.fetch_tag_as(url, ANONYMOUS, tag, auth, timeout)
    }

    /// The branch the remote's `HEAD` points at (its default branch, what `git clone` checks
    /// out), or `None` when the remote advertises no `HEAD` (an empty repository, or a bare
    /// one whose `HEAD` names a branch that does not exist). Lists the remote's refs; no
    /// branch in the cache moves. Blocking I/O.
    pub fn default_branch_as(
        &self,
        url: &str,
        identity: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Option<String>, FetchError> {
        Ok(self
            .transfer(url, identity, None, "HEAD", auth, timeout)?
            .default_branch)
    }

    /// [`default_branch_as`](Self::default_branch_as) through the
    /// [`ANONYMOUS`](super::ANONYMOUS) repository.
    pub fn default_branch(
        &self,
        url: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Option<String>, FetchError> {
        self.default_branch_as(url, ANONYMOUS, auth, timeout)
    }

    /// One connection to `url` under the lock of the repository of (`url`, `identity`):
    /// fetch `wanted` (a full ref name) into the same ref, or with `None` only list the
    /// remote's refs. `label` names what was asked for in error messages.
    fn transfer(
        &self,
        url: &str,
        identity: &str,
        wanted: Option<&str>,
        label: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Transfer, FetchError> {
        let start = Instant::now();
        let deadline = start + timeout;
        let target = RepoUrl::parse(url)?;
        if target.scheme == "file" && !self.allows_local_urls() {
            return Err(FetchError::LocalUrlRefused { url: redact(url) });
        }
        check_credentials(url, &target, auth)?;
        let shown = redact(url);
        let name = key(&target, identity);
        let _lock = self.lock(&name, deadline).map_err(|e| match e {
            LockError::Timeout => FetchError::Timeout {
                url: shown.clone(),
                branch: label.to_owned(),
                after: timeout,
            },
            LockError::Io(e) => e,
        })?;
        let repo = self.ensure_repo(&target, identity, &name)?;
        let before = wanted.and_then(|r| repo.refname_to_id(r).ok());

        let session = Session::new(auth, &target, deadline, wanted.unwrap_or(""));
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(session.callbacks())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false)
            // So `update_tips` also reports the wanted ref when it did not move: that is how
            // a branch missing on the remote is told apart from an unchanged one.
            .report_unchanged(true);
        let bearer;
        if let Auth::Bearer { token } = auth {
            bearer = format!("Authorization: Bearer {token}");
            options.custom_headers(&[&bearer]);
        }
        let mut remote = repo
            .remote_anonymous(url)
            .map_err(|e| FetchError::Corrupt {
                url: shown.clone(),
                reason: e.message().to_owned(),
            })?;
        // No refspec: connect and list only (libgit2 may download what `HEAD` points at,
        // which the fetch of the default branch that usually follows then finds cached).
        let refspecs: Vec<String> = wanted.iter().map(|r| format!("+{r}:{r}")).collect();
        let result = remote.fetch(&refspecs, Some(&mut options), None);
        let stats = remote.stats();
        let (received_objects, received_bytes) = (stats.received_objects(), stats.received_bytes());
        drop(options);

        if let Err(err) = result {
            let observed = session.observed.borrow();
            return Err(classify(
                &err,
                &observed,
                &shown,
                label,
                timeout,
                &secrets(auth, url),
            ));
        }
        // Still known after the fetch's connection closed: libgit2 keeps the advertisement.
        let default_branch = remote
            .default_branch()
            .ok()
            .and_then(|b| b.as_str().ok().map(str::to_owned))
            .and_then(|b| b.strip_prefix("refs/heads/").map(str::to_owned));
        // The cache grew: make room, never evicting what this fetch holds. A failed eviction
        // does not fail the fetch; the next one tries again.
        let eviction = (received_bytes > 0 && self.max_bytes().is_some())
            .then(|| self.evict_except(Some(&name)).ok())
            .flatten();
        Ok(Transfer {
            tip: session.tip.get(),
            before,
            default_branch,
            start,
            received_objects,
            received_bytes,
            eviction,
        })
    }
}

/// The anonymous repository is for anonymous fetches only.
fn check_identity(identity: &str, auth: &Auth) -> Result<(), FetchError> {
    if identity == ANONYMOUS && !matches!(auth, Auth::None) {
        return Err(FetchError::IdentityMismatch {
            identity: identity.to_owned(),
            auth: auth.kind(),
        });
    }
    Ok(())
}

/// Credentials never go into a URL, nor over a plain-text transport to another host.
/// (`Auth::Default` is checked when the server asks for credentials: a public repository
/// over `http://` needs none.)
fn check_credentials(url: &str, target: &RepoUrl, auth: &Auth) -> Result<(), FetchError> {
    if carries_password(url) {
        return Err(FetchError::CredentialsInUrl { url: redact(url) });
    }
    if plain_text(target) && !matches!(auth, Auth::None | Auth::Default) {
        return Err(FetchError::InsecureCredentials {
            url: redact(url),
            scheme: target.scheme.clone(),
        });
    }
    Ok(())
}

/// What one connection found.
struct Transfer {
    /// The wanted ref after the fetch; `None` when the remote does not have it.
    tip: Option<git2::Oid>,
    before: Option<git2::Oid>,
    default_branch: Option<String>,
    start: Instant,
    received_objects: usize,
    received_bytes: usize,
    eviction: Option<Eviction>,
}

impl Transfer {
    fn fetched(&self, revision: git2::Oid) -> Fetched {
        Fetched {
            revision: revision.to_string(),
            changed: self.before != self.tip,
            duration: self.start.elapsed(),
            received_objects: self.received_objects,
            received_bytes: self.received_bytes,
            eviction: self.eviction.clone(),
        }
    }
}

/// Strings that must never appear in an error message.
fn secrets<'a>(auth: &'a Auth, url: &'a str) -> Vec<&'a str> {
    let mut out = match auth {
        Auth::None | Auth::Ssh(_) | Auth::Default => vec![],
        Auth::Basic { password, .. } => vec![password.as_str()],
        Auth::Bearer { token } => vec![token.as_str()],
    };
    if let Auth::Ssh(ssh) = auth {
        out.extend(ssh.passphrase.as_deref());
    }
    // A password or token embedded in the URL itself.
    if let Some(rest) = url.split_once("://").map(|(_, rest)| rest) {
        let authority = rest.split('/').next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            out.extend(userinfo.split(':'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::error::scrub;
    use super::*;

    #[test]
    fn secrets_cover_auth_and_url_userinfo() {
        let auth = Auth::Basic {
            username: "u".into(),
            password: "pw-123".into(),
        };
        let s = secrets(&auth, "https://tok:xyz-9@host/r.git");
        assert_eq!(s, vec!["pw-123", "tok", "xyz-9"]);
        assert_eq!(scrub("bad pw-123 and xyz-9", &s), "bad *** and ***");
    }
}
