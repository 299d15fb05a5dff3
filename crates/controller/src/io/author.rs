//! The author of the revision being rolled out, read from the Git cache and recorded in
//! `status.rollout.author`: the admission policy can then refuse an approval by the commit's
//! own author (`forbidSelfApproval`). Read once per (url, revision), however many
//! environments ask at the same moment (a push to a branch 1000 environments follow): a
//! commit's author never changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use claude_env_api::CommitAuthor;
use claude_env_source::git::GitCache;
use tokio::sync::OnceCell;
use tracing::debug;

use crate::lock::LockExt;

/// Commits whose author is remembered; more are forgotten all at once (they are cheap to
/// read again).
const REMEMBERED: usize = 512;

type Cell = Arc<OnceCell<CommitAuthor>>;

#[derive(Default)]
pub(crate) struct Authors(Mutex<HashMap<(String, String), Cell>>);

impl Authors {
    /// The author of `revision` in the cache of `url`; `None` when it cannot be read (the
    /// status then says nothing rather than something wrong).
    pub(crate) async fn of(
        &self,
        cache: Arc<GitCache>,
        url: &str,
        revision: &str,
    ) -> Option<CommitAuthor> {
        let key = (url.to_string(), revision.to_string());
        let cell = {
            let mut memo = self.0.locked();
            if memo.len() >= REMEMBERED && !memo.contains_key(&key) {
                memo.clear();
            }
            memo.entry(key.clone()).or_default().clone()
        };
        // A failed read is not remembered: the next reconcile tries again.
        let read = cell.get_or_try_init(|| async move {
            let (url, revision) = key;
            match tokio::task::spawn_blocking(move || read(&cache, &url, &revision)).await {
                Ok(result) => result,
                Err(e) => Err(e.to_string()),
            }
        });
        match read.await {
            Ok(author) => Some(author.clone()),
            Err(e) => {
                debug!(error = %e, "reading the commit author");
                None
            }
        }
    }
}

fn read(cache: &GitCache, url: &str, revision: &str) -> Result<CommitAuthor, String> {
    let repo = cache.open(url).map_err(|e| e.to_string())?;
    let oid = git2::Oid::from_str(revision).map_err(|e| e.message().to_string())?;
    let commit = repo.find_commit(oid).map_err(|e| e.message().to_string())?;
    let author = commit.author();
    Ok(CommitAuthor {
        name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
    })
}
