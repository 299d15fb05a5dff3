//! The custom resources (`claude-env.io/v1alpha1`: `ClaudeEnvironment`, `ClaudeWorkstation`,
//! `NotificationProvider`, `NotificationRule`) and the names other parts rely on:
//! annotations, labels, the field manager.

pub mod duration;
pub mod notification_provider;
pub mod notification_rule;
pub mod object;
pub mod reason;
pub mod schema;
pub mod spec;
pub mod status;
pub mod workstation;

pub use duration::{Duration, DurationError};
pub use notification_provider::{
    NotificationProvider, NotificationProviderSpec, NotificationProviderStatus, ProviderType,
};
pub use notification_rule::{
    EnvironmentSelector, EventKind, NotificationRule, NotificationRuleSpec, Severity,
};
pub use object::{ObjectKey, ObjectKind, UnknownKind};
pub use spec::*;
pub use status::*;
pub use workstation::*;

/// Characters of a commit SHA shown in messages, tables and the printer column: like
/// `git log --oneline`, with room to stay unique in large repositories.
pub const SHORT_REVISION_LEN: usize = 12;

/// The first [`SHORT_REVISION_LEN`] characters of a revision (all of a shorter one).
pub fn short_revision(revision: &str) -> &str {
    match revision.char_indices().nth(SHORT_REVISION_LEN) {
        Some((end, _)) => &revision[..end],
        None => revision,
    }
}

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
    /// `<revision>[@<nonce>]`: retry a revision that failed its rollout.
    pub const RETRY: &str = "claude-env.io/retry";
    /// `<revision>`: abort the rollout in flight of that revision: back to the stable
    /// revision, and the revision marked failed (not rolled out again until a new commit or
    /// a retry), as an automatic rollback would.
    pub const ABORT: &str = "claude-env.io/abort";
    /// `<revision>[@<nonce>]`: approves the security-class changes of that revision.
    pub const SECURITY_APPROVE: &str = "claude-env.io/security-approve";

    /// Who set [`APPROVE`]: the requesting user's name (checked at admission).
    pub const APPROVED_BY: &str = "claude-env.io/approved-by";
    /// Who set [`ROLLBACK_TO`].
    pub const ROLLBACK_REQUESTED_BY: &str = "claude-env.io/rollback-requested-by";
    /// Who set [`RETRY`].
    pub const RETRY_REQUESTED_BY: &str = "claude-env.io/retry-requested-by";
    /// Who set [`ABORT`] (set with it by the CLI, from SelfSubjectReview).
    pub const ABORT_REQUESTED_BY: &str = "claude-env.io/abort-requested-by";
    /// Who set [`SECURITY_APPROVE`].
    pub const SECURITY_APPROVED_BY: &str = "claude-env.io/security-approved-by";

    /// Steering annotations that name a person, each with the actor annotation set in the
    /// same patch (the admission policy requires it to be the requesting user).
    pub const WITH_ACTOR: [(&str, &str); 5] = [
        (APPROVE, APPROVED_BY),
        (ROLLBACK_TO, ROLLBACK_REQUESTED_BY),
        (RETRY, RETRY_REQUESTED_BY),
        (ABORT, ABORT_REQUESTED_BY),
        (SECURITY_APPROVE, SECURITY_APPROVED_BY),
    ];

    /// The actor annotation of a steering annotation (`None`: it names nobody, like
    /// [`RECONCILE`]).
    pub fn actor_of(steering: &str) -> Option<&'static str> {
        WITH_ACTOR
            .iter()
            .find(|(s, _)| *s == steering)
            .map(|(_, a)| *a)
    }

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
    /// `"true"` on a ClaudeEnvironment: protected like the policy's protected environments
    /// (only approvers steer it).
    pub const PROTECTED: &str = "claude-env.io/protected";
}

/// The actor recorded for what the controller decides on its own (automatic rollbacks,
/// rollouts of new commits).
pub const CONTROLLER_ACTOR: &str = "claude-env-controller";

/// The actor recorded when a steering annotation came without its actor annotation (set
/// where the admission policy is not installed).
pub const UNKNOWN_ACTOR: &str = "unknown";

#[cfg(test)]
mod tests {
    use super::short_revision;

    #[test]
    fn revisions_are_shortened_to_twelve_characters() {
        assert_eq!(
            short_revision("0123456789abcdef0123456789abcdef01234567"),
            "0123456789ab"
        );
        assert_eq!(short_revision("abc"), "abc");
        assert_eq!(short_revision(""), "");
        // Never splits a character (a revision is hex, but messages may pass anything).
        assert_eq!(short_revision("ééééééééééééé"), "éééééééééééé");
    }
}
