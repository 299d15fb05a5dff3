//! Errors of one reconcile. `category()` is stable: it labels metrics and names Event
//! reasons (never the message, which carries unbounded detail).

use claude_env_api::reason;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("reading Secret {namespace}/{name}: {source}")]
    SecretRead {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("Secret {namespace}/{name}: {reason}")]
    SecretInvalid {
        namespace: String,
        name: String,
        reason: String,
    },
    #[error("fetching {url} ({branch}): {message}")]
    Fetch {
        url: String,
        branch: String,
        /// The source error's own category (auth, network, timeout, ...).
        kind: &'static str,
        message: String,
    },
    #[error("reading revision {revision} of {url}: {message}")]
    Load {
        url: String,
        revision: String,
        message: String,
    },
    /// A revision over the operator's snapshot limits: refused, not retried until the
    /// branch moves.
    #[error("revision {revision}: {message}")]
    Limit {
        revision: String,
        limit: claude_env_source::load::Limit,
        message: String,
    },
    #[error("rendering {selection} at {revision}: {source}")]
    Render {
        selection: String,
        revision: String,
        #[source]
        source: Box<claude_env_render::RenderError>,
    },
    #[error("invalid spec: {0}")]
    Spec(String),
    #[error("applying {object}: {source}")]
    Apply {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("{0}")]
    Conflict(crate::decisions::ownership::Conflict),
    #[error("pruning {object}: {source}")]
    Prune {
        object: String,
        #[source]
        source: kube::Error,
    },
    #[error("writing status: {0}")]
    Status(#[source] kube::Error),
    #[error("reading {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("reconcile panicked: {0}")]
    Panic(String),
}

impl Error {
    /// Bounded label for metrics and Event reasons.
    pub(crate) fn category(&self) -> &'static str {
        match self {
            Error::SecretRead { .. } | Error::SecretInvalid { .. } => reason::SECRET_ERROR,
            Error::Fetch { .. } => reason::GIT_OPERATION_FAILED,
            Error::Load { .. } => reason::ARTIFACT_FAILED,
            Error::Limit { .. } => reason::LIMIT_EXCEEDED,
            Error::Render { .. } => reason::BUILD_FAILED,
            Error::Spec(_) => reason::INVALID_SPEC,
            Error::Apply { .. } => reason::APPLY_FAILED,
            Error::Prune { .. } => reason::PRUNE_FAILED,
            Error::Conflict(_) => reason::OWNERSHIP_CONFLICT,
            Error::Status(_) => reason::STATUS_FAILED,
            Error::Read { .. } => reason::READ_FAILED,
            Error::Finalizer(_) => reason::FINALIZER_FAILED,
            Error::Task(_) | Error::Panic(_) => reason::INTERNAL_ERROR,
        }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_are_bounded_identifiers() {
        let errors = [
            Error::Spec("x".into()),
            Error::Fetch {
                url: "u".into(),
                branch: "b".into(),
                kind: "auth",
                message: "m".into(),
            },
            Error::SecretInvalid {
                namespace: "n".into(),
                name: "s".into(),
                reason: "r".into(),
            },
        ];
        for e in errors {
            assert!(
                e.category().chars().all(|c| c.is_ascii_alphanumeric()),
                "{}",
                e.category()
            );
            assert!(!e.to_string().is_empty());
        }
    }
}
