//! Reasons of conditions and Events: stable PascalCase identifiers that users, alerts and
//! `kubectl wait` rely on. Details go in messages, never in reasons.

// kstatus and Flux-compatible reasons.
/// Ready=True: the revision is applied and its workloads are healthy.
pub const RECONCILIATION_SUCCEEDED: &str = "ReconciliationSucceeded";
/// Reconciling=True after a failure that is retried with backoff.
pub const PROGRESSING_WITH_RETRY: &str = "ProgressingWithRetry";
/// Workloads are rolling out, or a rollout step is running.
pub const PROGRESSING: &str = "Progressing";
/// A rollout waits (for approval, or a timed pause).
pub const PAUSED: &str = "Paused";
/// A revision that does not validate: nothing of it is applied.
pub const VALIDATION_FAILED: &str = "ValidationFailed";
/// A commit not signed by a trusted key.
pub const VERIFICATION_FAILED: &str = "VerificationFailed";
/// A `dependsOn` environment is not Ready and Healthy on the same revision yet.
pub const DEPENDENCY_NOT_READY: &str = "DependencyNotReady";
/// A revision with security-class changes waits for `claude-env.io/security-approve`
/// (`spec.approval.security`); the applied revision keeps serving.
pub const SECURITY_APPROVAL_REQUIRED: &str = "SecurityApprovalRequired";
/// A security approval let a held revision through (the Event, and the notification's
/// reason).
pub const SECURITY_APPROVED: &str = "SecurityApproved";
/// A health check (readiness, HTTP, MCP, Prometheus) failed.
pub const HEALTH_CHECK_FAILED: &str = "HealthCheckFailed";
/// Healthy=True.
pub const HEALTHY: &str = "Healthy";
/// SourceVerified=True.
pub const SUCCEEDED: &str = "Succeeded";
/// The rollout failed and the stable revision was restored.
pub const ROLLED_BACK: &str = "RolledBack";
/// The rollout failed and there was nothing to go back to.
pub const ROLLOUT_FAILED: &str = "RolloutFailed";
/// `spec.suspend` is true.
pub const SUSPENDED: &str = "Suspended";

// Drift.
pub const DRIFT_DETECTED: &str = "DriftDetected";
pub const DRIFT_REMEDIATED: &str = "DriftRemediated";
pub const NO_DRIFT: &str = "NoDrift";

// Refusals that only a spec change, or the operator, can fix (Stalled=True).
/// `spec.targetNamespace` or a `dependsOn` namespace the operator does not allow.
pub const NAMESPACE_NOT_ALLOWED: &str = "NamespaceNotAllowed";
/// An object to apply exists and belongs to another environment, or was not created by the
/// controller: nothing is taken over.
pub const OWNERSHIP_CONFLICT: &str = "OwnershipConflict";
/// `spec.source.interval` below the operator's floor.
pub const INTERVAL_TOO_SHORT: &str = "IntervalTooShort";
/// `spec.source.timeout` outside the operator's bounds.
pub const TIMEOUT_OUT_OF_RANGE: &str = "TimeoutOutOfRange";
/// Credentials over plain HTTP, or a password in `spec.source.url`.
pub const INSECURE_CREDENTIALS: &str = "InsecureCredentials";
/// A repository snapshot over the operator's size limits.
pub const LIMIT_EXCEEDED: &str = "LimitExceeded";
/// A health check aimed at a host the operator does not allow.
pub const EGRESS_DENIED: &str = "EgressDenied";
/// The spec cannot be parsed (bad duration, ignore rule, strategy).
pub const INVALID_SPEC: &str = "InvalidSpec";

// Retried failures (the error categories of the controller).
pub const SECRET_ERROR: &str = "SecretError";
pub const GIT_OPERATION_FAILED: &str = "GitOperationFailed";
pub const ARTIFACT_FAILED: &str = "ArtifactFailed";
pub const BUILD_FAILED: &str = "BuildFailed";
pub const APPLY_FAILED: &str = "ApplyFailed";
pub const PRUNE_FAILED: &str = "PruneFailed";
pub const STATUS_FAILED: &str = "StatusFailed";
pub const READ_FAILED: &str = "ReadFailed";
pub const FINALIZER_FAILED: &str = "FinalizerFailed";
pub const INTERNAL_ERROR: &str = "InternalError";

/// Event reason for a sync that applied or pruned objects with nothing else to say.
pub const APPLIED: &str = "Applied";

// History and audit reasons (`status.history[].reason`); a failed rollout's reason is its
// failure (`CrashLoop`, `ProgressDeadline`, `CheckFailed`, `CheckError`, `Timeout`).
/// A revision rolled out and passed its checks.
pub const ROLLOUT_SUCCEEDED: &str = "RolloutSucceeded";
/// A person asked for the rollback (`claude-env.io/rollback-to`).
pub const ROLLBACK_REQUESTED: &str = "RollbackRequested";

// NotificationProvider `Ready`.
/// The last delivery reached the receiver.
pub const DELIVERY_SUCCEEDED: &str = "DeliverySucceeded";
/// A delivery failed after its retries, or the receiver refused it.
pub const DELIVERY_FAILED: &str = "DeliveryFailed";
/// The provider cannot send (no address, no token, a missing Secret).
pub const INVALID_PROVIDER: &str = "InvalidProvider";
