//! `GitCache::fetch`: bring one branch of one URL up to date in the cache.

use std::time::{Duration, Instant};

use git2::{AutotagOption, FetchOptions};

use super::cache::{GitCache, LockError};
use super::callbacks::Session;
use super::error::{FetchError, classify};
use super::{Fetched, timeouts};
use crate::auth::Auth;
use crate::url::{RepoUrl, redact};

impl GitCache {
    /// Fetches `+refs/heads/<branch>:refs/heads/<branch>` (full history, no tags) from `url`
    /// into the cache and returns the branch's commit SHA. Blocking I/O.
    ///
    /// * Fetches of one URL are serialised (across threads and processes); waiting counts
    ///   against `timeout`.
    /// * When the remote tip is already cached nothing is downloaded: libgit2 lists the
    ///   remote refs and skips the pack negotiation.
    /// * `timeout` bounds the whole operation: stalled connects and reads through libgit2's
    ///   socket timeouts (process-wide, see `timeouts.rs`), slow transfers by cancelling from
    ///   the progress callbacks once the deadline has passed.
    /// * A branch deleted on the remote is reported as [`FetchError::BranchNotFound`]; its
    ///   commits stay in the cache for rollbacks.
    pub fn fetch(
        &self,
        url: &str,
        branch: &str,
        auth: &Auth,
        timeout: Duration,
    ) -> Result<Fetched, FetchError> {
        let start = Instant::now();
        let deadline = start + timeout;
        let target = RepoUrl::parse(url)?;
        if target.scheme == "file" && !self.allows_local_urls() {
            return Err(FetchError::LocalUrlRefused { url: redact(url) });
        }
        let refname = format!("refs/heads/{branch}");
        if branch.is_empty() || !git2::Reference::is_valid_name(&refname) {
            return Err(FetchError::InvalidBranch(branch.to_owned()));
        }
        let shown = redact(url);
        let _lock = self.lock(&target, deadline).map_err(|e| match e {
            LockError::Timeout => FetchError::Timeout {
                url: shown.clone(),
                branch: branch.to_owned(),
                after: timeout,
            },
            LockError::Io(e) => e,
        })?;
        let repo = self.ensure_repo(&target)?;
        let before = repo.refname_to_id(&refname).ok();

        timeouts::apply(timeout);
        let session = Session::new(auth, &target, deadline, &refname);
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
        let refspec = format!("+{refname}:{refname}");
        let result = remote.fetch(&[&refspec], Some(&mut options), None);
        let stats = remote.stats();
        let (received_objects, received_bytes) = (stats.received_objects(), stats.received_bytes());
        drop(options);

        if let Err(err) = result {
            let observed = session.observed.borrow();
            return Err(classify(
                &err,
                &observed,
                &shown,
                branch,
                timeout,
                &secrets(auth, url),
            ));
        }
        let Some(tip) = session.tip.get() else {
            return Err(FetchError::BranchNotFound {
                url: shown,
                branch: branch.to_owned(),
            });
        };
        Ok(Fetched {
            revision: tip.to_string(),
            changed: before != Some(tip),
            duration: start.elapsed(),
            received_objects,
            received_bytes,
        })
    }
}

/// Strings that must never appear in an error message.
fn secrets<'a>(auth: &'a Auth, url: &'a str) -> Vec<&'a str> {
    let mut out = match auth {
        Auth::None | Auth::Ssh(_) => vec![],
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
