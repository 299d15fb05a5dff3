//! Fetch errors: what went wrong, for which URL and branch, and a stable category for
//! metrics labels and condition reasons. Messages never carry credentials: URLs are redacted
//! and libgit2's own messages are only kept for categories where they cannot contain any.

use std::path::PathBuf;
use std::time::Duration;

/// A failed fetch or cache operation.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("authentication to {url} failed (branch {branch}): {reason}")]
    Auth {
        url: String,
        branch: String,
        reason: String,
    },
    #[error("branch {branch} not found in {url}")]
    BranchNotFound { url: String, branch: String },
    #[error("tag {tag} not found in {url}")]
    TagNotFound { url: String, tag: String },
    #[error("{url} has not been fetched into the cache yet")]
    NotCached { url: String },
    #[error("repository {url} not found (branch {branch})")]
    RepoNotFound { url: String, branch: String },
    #[error("network error fetching {url} (branch {branch}): {reason}")]
    Network {
        url: String,
        branch: String,
        reason: String,
    },
    #[error("fetching {url} (branch {branch}) timed out after {after:?}")]
    Timeout {
        url: String,
        branch: String,
        after: Duration,
    },
    #[error("git cache for {url} is unusable: {reason}")]
    Corrupt { url: String, reason: String },
    #[error("git cache I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    InvalidUrl(#[from] crate::url::UrlError),
    #[error("invalid branch name {0:?}")]
    InvalidBranch(String),
    #[error("invalid tag name {0:?}")]
    InvalidTag(String),
    #[error("local repository URL {url} refused: local URLs are disabled in this cache")]
    LocalUrlRefused { url: String },
    /// Credentials (a `secretRef`) for a plain-text transport: they would cross the network
    /// readable by anyone on the path. Loopback hosts are exempt (nothing leaves the host).
    #[error(
        "refusing to send credentials to {url} over {scheme}://, which is not encrypted: use an https:// or ssh:// URL"
    )]
    InsecureCredentials { url: String, scheme: String },
    /// A fetch with credentials into the anonymous repository (a caller's bug).
    #[error(
        "a fetch with {auth} credentials cannot use the cache identity `{identity}`, which is for anonymous fetches"
    )]
    IdentityMismatch {
        identity: String,
        auth: &'static str,
    },
    /// A password or token in the URL itself: URLs end up in logs, metrics and status.
    #[error(
        "{url} carries a password in the URL; put credentials in a Secret referenced by spec.source.secretRef (on a workstation: a git credential helper) and use the URL without them"
    )]
    CredentialsInUrl { url: String },
}

impl FetchError {
    /// Stable label: `auth`, `not-found`, `network`, `timeout`, `corrupt`, `io`, `invalid`.
    /// Credentials refused before any connection ([`FetchError::InsecureCredentials`],
    /// [`FetchError::CredentialsInUrl`]) are `auth` too.
    pub fn category(&self) -> &'static str {
        match self {
            FetchError::Auth { .. }
            | FetchError::InsecureCredentials { .. }
            | FetchError::CredentialsInUrl { .. } => "auth",
            FetchError::BranchNotFound { .. }
            | FetchError::TagNotFound { .. }
            | FetchError::RepoNotFound { .. }
            | FetchError::NotCached { .. } => "not-found",
            FetchError::Network { .. } => "network",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Corrupt { .. } => "corrupt",
            FetchError::Io { .. } => "io",
            FetchError::InvalidUrl(_)
            | FetchError::InvalidBranch(_)
            | FetchError::InvalidTag(_)
            | FetchError::LocalUrlRefused { .. }
            | FetchError::IdentityMismatch { .. } => "invalid",
        }
    }

    /// Whether retrying later can help (network, timeouts, I/O) as opposed to needing a
    /// change of spec or Secret first. Both still requeue; this picks the backoff.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            FetchError::Network { .. } | FetchError::Timeout { .. } | FetchError::Io { .. }
        )
    }
}

/// What the callbacks saw during one fetch; it explains libgit2 errors better than their
/// codes do (a cancelled transfer, a rejected host key and a refused password all surface as
/// "user callback failed").
#[derive(Debug, Default, Clone)]
pub(crate) struct Observed {
    pub deadline_passed: bool,
    pub credentials_rejected: bool,
    pub credentials_missing: Option<String>,
    pub host_key_rejected: Option<String>,
    /// The server asked for credentials over a plain-text transport (its scheme).
    pub insecure: Option<String>,
}

/// Maps a libgit2 error to a [`FetchError`], given what the callbacks observed.
pub(crate) fn classify(
    err: &git2::Error,
    seen: &Observed,
    url: &str,
    branch: &str,
    timeout: Duration,
    secrets: &[&str],
) -> FetchError {
    use git2::{ErrorClass as Class, ErrorCode as Code};
    let (url, branch) = (url.to_owned(), branch.to_owned());
    if seen.deadline_passed || err.code() == Code::Timeout || mentions_timeout(err) {
        return FetchError::Timeout {
            url,
            branch,
            after: timeout,
        };
    }
    if let Some(scheme) = seen.insecure.clone() {
        return FetchError::InsecureCredentials { url, scheme };
    }
    if let Some(reason) = seen.host_key_rejected.clone() {
        return FetchError::Auth {
            url,
            branch,
            reason,
        };
    }
    if let Some(reason) = seen.credentials_missing.clone() {
        return FetchError::Auth {
            url,
            branch,
            reason,
        };
    }
    let message = err.message().to_ascii_lowercase();
    if seen.credentials_rejected
        || err.code() == Code::Auth
        || message.contains("401")
        || message.contains("403")
        || message.contains("authentication")
    {
        return FetchError::Auth {
            url,
            branch,
            reason: "credentials rejected by the server".to_owned(),
        };
    }
    if err.code() == Code::NotFound
        || message.contains("404")
        || message.contains("not found")
        || message.contains("no such file or directory")
        || message.contains("not appear to be a git repository")
    {
        return FetchError::RepoNotFound { url, branch };
    }
    match err.class() {
        Class::Odb
        | Class::Object
        | Class::Repository
        | Class::Reference
        | Class::Index
        | Class::Zlib
        | Class::Indexer
        | Class::Filesystem => FetchError::Corrupt {
            url,
            reason: scrub(err.message(), secrets),
        },
        // Transport messages (e.g. "failed to connect to 127.0.0.1: Connection refused") are
        // useful as they are; scrubbed anyway in case one echoes a URL with credentials.
        _ => FetchError::Network {
            url,
            branch,
            reason: scrub(err.message(), secrets),
        },
    }
}

fn mentions_timeout(err: &git2::Error) -> bool {
    let message = err.message().to_ascii_lowercase();
    message.contains("timed out") || message.contains("timeout")
}

/// Replaces every occurrence of a secret in `text` with `***`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(secret, "***");
    }
    out
}
