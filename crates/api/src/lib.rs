//! The `ClaudeEnvironment` custom resource (`claude-env.io/v1alpha1`) and the names other
//! parts rely on: annotations, labels, the field manager.

pub mod duration;
pub mod spec;
pub mod status;

pub use duration::{Duration, DurationError};
pub use spec::*;
pub use status::*;

/// API group of our resources.
pub const GROUP: &str = "claude-env.io";

/// The one field manager for every server-side apply the controller makes.
pub const FIELD_MANAGER: &str = "claude-env-controller";

/// Finalizer that prunes what an environment created when it is deleted.
pub const FINALIZER: &str = "claude-env.io/finalizer";

/// Steering annotations on a ClaudeEnvironment (the CLI wraps these).
pub mod annotations {
    /// `<revision>`: approves a paused rollout of that revision (any other is ignored).
    pub const APPROVE: &str = "claude-env.io/approve";
    /// `<revision>[@<nonce>]`: rolls back to that revision, and holds there until the branch
    /// moves past the tip it rolled back from. The CLI appends `@<time>` so rolling back to
    /// one revision twice is two requests.
    pub const ROLLBACK_TO: &str = "claude-env.io/rollback-to";
    /// `<any>`: a new value forces a fetch and reconcile now.
    pub const RECONCILE: &str = "claude-env.io/reconcile";
    /// `<revision>`: retry a revision that failed its rollout.
    pub const RETRY: &str = "claude-env.io/retry";
    /// On rendered pod templates: the content hash of the config ConfigMap.
    pub const CONFIG_HASH: &str = "claude-env.io/config-hash";
}

/// Labels on every rendered object; the controller watches its objects by these.
pub mod labels {
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const MANAGED_BY_VALUE: &str = "claude-env-controller";
    /// Name of the owning ClaudeEnvironment.
    pub const OWNER_NAME: &str = "claude-env.io/owner-name";
    /// Namespace of the owning ClaudeEnvironment (objects may live in `targetNamespace`).
    pub const OWNER_NAMESPACE: &str = "claude-env.io/owner-namespace";
    pub const ENVIRONMENT: &str = "claude-env.io/environment";
    /// The MCP server a Deployment/Service belongs to.
    pub const SERVER: &str = "claude-env.io/server";
    /// KWOK failure injection (tests and demo): `crashloop` or `fail`.
    pub const SIMULATE: &str = "claude-env.io/simulate";
}
