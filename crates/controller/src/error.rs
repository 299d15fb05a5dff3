//! Errors of one reconcile. `category()` is stable: it labels metrics and names Event
//! reasons (never the message, which carries unbounded detail).

#[derive(Debug, thiserror::Error)]
pub enum Error {
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
}

impl Error {
    /// Bounded label for metrics and Event reasons.
    pub fn category(&self) -> &'static str {
        match self {
            Error::SecretRead { .. } | Error::SecretInvalid { .. } => "SecretError",
            Error::Fetch { .. } => "GitOperationFailed",
            Error::Load { .. } => "ArtifactFailed",
            Error::Render { .. } => "BuildFailed",
            Error::Spec(_) => "InvalidSpec",
            Error::Apply { .. } => "ApplyFailed",
            Error::Prune { .. } => "PruneFailed",
            Error::Status(_) => "StatusFailed",
            Error::Read { .. } => "ReadFailed",
            Error::Finalizer(_) => "FinalizerFailed",
            Error::Task(_) => "InternalError",
        }
    }

    /// Errors a new attempt cannot fix without a spec or source change.
    pub fn is_stalling(&self) -> bool {
        matches!(self, Error::Spec(_) | Error::Render { .. })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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
