//! `ClaudeEnvironment.status`: kstatus conditions, revisions, inventory, drift, rollout,
//! history.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Condition types (kstatus `Ready`/`Reconciling`/`Stalled`, plus ours).
pub mod condition {
    pub const READY: &str = "Ready";
    pub const RECONCILING: &str = "Reconciling";
    pub const STALLED: &str = "Stalled";
    pub const DRIFTED: &str = "Drifted";
    pub const HEALTHY: &str = "Healthy";
    pub const PROGRESSING: &str = "Progressing";
    pub const SOURCE_VERIFIED: &str = "SourceVerified";
}

/// What the controller observed and did: conditions, revisions, the objects it applied,
/// drift, the rollout in flight and the recent history. Written only by the controller.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeEnvironmentStatus {
    /// The `metadata.generation` of the spec last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Reconciling`, `Stalled` (kstatus), `Drifted`, `Healthy`, `Progressing`,
    /// `SourceVerified`; reasons are stable identifiers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Last revision the controller tried (fetched, rendered, validated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempted_revision: Option<String>,
    /// Last revision applied to the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_revision: Option<String>,
    /// The first 12 characters of `lastAppliedRevision` (the printer column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_short_revision: Option<String>,
    /// Last revision that was applied and passed its health checks: the rollback target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_known_good_revision: Option<String>,
    /// Every object applied for this environment (what prune compares against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// How far the live objects differ from the rendered ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftStatus>,
    /// Where the rollout of the newest revision is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStatus>,
    /// The `claude-env.io/reconcile` value last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_reconcile_at: Option<String>,
    /// The branch tip a manual rollback turned away from: not applied again until the branch
    /// moves on (a failed rollout's revision is in `rollout.failedRevision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_revision: Option<String>,
    /// The `claude-env.io/rollback-to` value last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_rollback_to: Option<String>,
    /// The revisions this environment ran and how each ended; most recent first, at most
    /// the controller's `--history-limit` entries (default 10).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryEntry>,
    /// The config ConfigMap of each revision in play (the stable one, and the one rolling
    /// out): what `claude-env sync NAME` reads for a workstation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_maps: Vec<RevisionConfig>,
    /// The ClaudeWorkstations following this environment, counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstations: Option<WorkstationCounts>,
    /// The risk of the newest revision's changes against the revision applied before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_risk: Option<ChangeRisk>,
    /// The `claude-env.io/security-approve` value last acted on (each value acts once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_handled_security_approve: Option<String>,
}

/// The risk classes of one revision's changes against the revision applied before it: what
/// `spec.approval.security` holds a revision for, and what history and
/// `claude_env_changes_total` record.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRisk {
    /// The revision assessed.
    pub revision: String,
    /// The revision it was compared with (the one applied when it arrived).
    pub base: String,
    /// The classes of its changes (`Security`, `Availability`, `Configuration`,
    /// `Cosmetic`), riskiest first; empty when it changes nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<DriftCategory>,
    /// Its security-class changes, one line each (class, severity, setting, what it does,
    /// where it was written), riskiest first; at most 20.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_changes: Vec<String>,
    /// The `claude-env.io/security-approve` value that let it through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// Who set that value (`claude-env.io/security-approved-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// Where one revision's rendered files are.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionConfig {
    /// The commit these files were rendered from.
    pub revision: String,
    /// The immutable config ConfigMap (named by `configHash`).
    pub name: String,
    /// Its namespace (`spec.targetNamespace`, else the environment's).
    pub namespace: String,
    /// The content hash of the rendered files (also the pod annotation
    /// `claude-env.io/config-hash`).
    pub config_hash: String,
}

/// The workstations following an environment (records heard from recently unless `stale`).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkstationCounts {
    /// Every record, stale ones included.
    pub total: i32,
    /// On the stable revision.
    pub stable: i32,
    /// On the revision rolling out.
    pub canary: i32,
    /// Not heard from within the controller's `--workstation-stale-after`.
    pub stale: i32,
    /// With managed files edited by hand.
    pub drifted: i32,
    /// Whose doctor fails on the revision they hold.
    pub failing: i32,
}

/// The default length of `status.history`.
pub const HISTORY_LIMIT: usize = 10;

/// Every object the controller applied for this environment (what prune compares against).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inventory {
    /// One per applied object.
    #[serde(default)]
    pub entries: Vec<InventoryEntry>,
}

/// One applied object.
#[derive(
    Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct InventoryEntry {
    /// Its API version (`apps/v1`).
    pub api_version: String,
    /// Its kind (`Deployment`).
    pub kind: String,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
}

/// Drift of the live objects from the rendered ones, on the fields claude-env manages.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftStatus {
    /// Drifted managed leaves / managed leaves × 100, rounded to 0.1.
    pub percentage: f64,
    /// Managed fields (leaves) compared.
    pub managed_fields: i64,
    /// Managed fields that differ.
    pub drifted_fields: i64,
    /// The drifted fields, most severe first (at most 50).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DriftItem>,
    /// When this drift was first seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<Time>,
    /// The last drift the controller restored (what it reverted, and when).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_remediation: Option<DriftRemediation>,
}

/// A drift the controller restored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftRemediation {
    /// When it was restored.
    pub time: Time,
    /// The drift percentage before.
    pub percentage: f64,
    /// Fields restored.
    pub drifted_fields: i64,
    /// Restored objects (`Kind/namespace/name`).
    pub objects: Vec<String>,
    /// The most severe of the restored items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<DriftItem>,
}

/// One drifted field.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DriftItem {
    /// `Kind/namespace/name`.
    pub object: String,
    /// JSON pointer of the drifted field (`/spec/template/spec/containers/0/image`), or `""`
    /// for a missing object.
    pub path: String,
    /// `Security`, `Availability`, `Configuration` or `Cosmetic`.
    pub category: DriftCategory,
    /// `Critical`, `High`, `Medium` or `Low`.
    pub severity: DriftSeverity,
    /// What changed (`missing`, `changed`, `removed`); never a secret value.
    pub kind: DriftKind,
}

/// What a drifted field is about.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DriftCategory {
    Security,
    Availability,
    Configuration,
    Cosmetic,
}

/// How much a drifted field matters.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DriftSeverity {
    Critical,
    High,
    Medium,
    Low,
}

/// How a drifted field differs.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
pub enum DriftKind {
    /// The live object does not exist.
    Missing,
    /// The live value differs.
    Changed,
    /// A managed field was removed from the live object.
    Removed,
}

/// The phase of a rollout.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum RolloutPhase {
    #[default]
    Idle,
    Progressing,
    Paused,
    Promoting,
    Succeeded,
    RolledBack,
    Failed,
}

/// A blue-green colour.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Blue,
    Green,
}

/// Where a rollout is; enough to continue after a controller restart.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStatus {
    /// `Idle`, `Progressing`, `Paused` (waiting for approval), `Promoting`, `Succeeded`,
    /// `RolledBack` or `Failed`.
    pub phase: RolloutPhase,
    /// Index of the current canary step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<i32>,
    /// Current canary weight (percentage of pods on the new revision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Blue-green: the colour the active Service selects (`blue` or `green`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_color: Option<Color>,
    /// The revision being rolled out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The revision serving before this rollout (what abort returns to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_revision: Option<String>,
    /// What the rollout is doing or waiting for, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A revision whose rollout failed or was aborted; not rolled out again until a new
    /// commit or an explicit retry (`claude-env.io/retry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_revision: Option<String>,
    /// The author of `revision`'s commit, read from Git: the admission policy can refuse an
    /// approval by the commit's own author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<CommitAuthor>,
    /// Strategy-specific state the rollout machine persists (timers, check counters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown")]
    pub state: Option<serde_json::Value>,
}

/// A commit's author as Git records it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommitAuthor {
    /// The author's name, as the commit records it.
    #[serde(default)]
    pub name: String,
    /// The author's e-mail address, as the commit records it.
    #[serde(default)]
    pub email: String,
}

/// Outcome of one revision's reconcile, kept in `status.history`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// The commit.
    pub revision: String,
    /// When the result was recorded.
    pub time: Time,
    /// `Applied`, `Succeeded`, `Invalid`, `Failed` or `RolledBack`.
    pub result: HistoryResult,
    /// Why (the first error, the failed check, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Who caused it: the approver or rollback requester (their user name, from the actor
    /// annotations the admission policy checks), or `claude-env-controller` for what the
    /// controller did on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// Why, as a stable PascalCase identifier (`RolloutSucceeded`, `RollbackRequested`,
    /// `CrashLoop`, `ValidationFailed`, ...); details are in `message`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The class of the revision's riskiest change against the revision applied before it
    /// (`Security`, `Availability`, `Configuration`, `Cosmetic`); absent when it changed
    /// nothing or was not classified (the first revision).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_class: Option<DriftCategory>,
    /// Who approved its security-class changes (`claude-env.io/security-approved-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_approved_by: Option<String>,
}

/// How a revision ended.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum HistoryResult {
    Applied,
    Succeeded,
    Invalid,
    Failed,
    RolledBack,
}

fn preserve_unknown(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true
    })
}
