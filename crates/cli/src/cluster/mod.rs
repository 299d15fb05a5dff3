//! Cluster mode: ClaudeEnvironments read and steered through the Kubernetes API.
//!
//! The CLI reads ClaudeEnvironments and steers the controller with the steering annotations
//! (`claude-env.io/reconcile`, `approve`, `rollback-to`, `retry`, `abort`), set by JSON merge
//! patches of `metadata.annotations`. Of the spec it changes one field, `suspend`; never the
//! status.
//!
//! [`client`] talks to the API server; [`patch`], [`view`], [`progress`] and [`objects`] are
//! pure (the patches, the tables and details, what `--wait` prints, desired vs live), so they
//! are unit-tested without a cluster.

pub(crate) mod client;
pub(crate) mod fleet;
pub(crate) mod objects;
pub(crate) mod patch;
pub(crate) mod progress;
pub(crate) mod view;

pub(crate) use client::Cluster;

/// A cluster command that could not do its job: exit 2.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot load the Kubernetes configuration: {0}")]
    Config(String),
    #[error("{action}: {message}")]
    Api { action: String, message: String },
    #[error("ClaudeEnvironment {namespace}/{name} not found")]
    NotFound { namespace: String, name: String },
    #[error(
        "the ClaudeEnvironment resource (claudeenvironments.claude-env.io) is not installed in this cluster"
    )]
    NoCrd,
    #[error(
        "nothing in {namespace}/{name} is waiting for approval (rollout: {rollout}); pass \
         --revision REV to approve a revision ahead of its rollout"
    )]
    NothingToApprove {
        namespace: String,
        name: String,
        rollout: String,
    },
    #[error(
        "{namespace}/{name} has no earlier successful revision in its history to roll back to; \
         pass --to REV"
    )]
    NoRollbackTarget { namespace: String, name: String },
    #[error(
        "no rollout of {namespace}/{name} has failed (status.rollout.failedRevision is empty); \
         pass --revision REV to retry another one"
    )]
    NothingToRetry { namespace: String, name: String },
    #[error("no rollout of {namespace}/{name} is in flight (rollout: {rollout}); nothing to abort")]
    NothingToAbort {
        namespace: String,
        name: String,
        rollout: String,
    },
    #[error(
        "the rollout in flight is of {in_flight}, not {revision}; an abort names the revision in \
         flight"
    )]
    NotInFlight { revision: String, in_flight: String },
    #[error("invalid revision {0:?}: expected a commit SHA, tag or branch (no spaces or '@')")]
    InvalidRevision(String),
    #[error("{what} did not happen within {after}; last seen: {last}")]
    Timeout {
        what: String,
        after: String,
        last: String,
    },
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// A kube error as one readable line: the API server's own message for API errors, the
/// cause chain for the rest (connection refused, TLS, ...).
pub(crate) fn describe(e: &kube::Error) -> String {
    if let kube::Error::Api(status) = e {
        return if status.message.is_empty() {
            format!("HTTP {} {}", status.code, status.reason)
        } else {
            status.message.clone()
        };
    }
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !out.contains(&s_text) {
            out.push_str(": ");
            out.push_str(&s_text);
        }
        source = s.source();
    }
    out
}

/// The HTTP status of an API error.
pub(crate) fn status_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}
