//! `ClaudeEnvironment.spec`: what to render (source, layers), where, and how to roll it out.

// kube's `KubeSchema` derive copies each struct into a private module of its own, where
// its `pub` is unreachable; the types themselves are this crate's API.
#![allow(unreachable_pub)]

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::ClaudeEnvironmentStatus;

/// What to render and how to roll it out: the config repository (`source`), the layers to
/// stack (`environment`, `team`, `project`), where the objects go, and the rollout strategy,
/// health checks, approval, drift policy and dependencies.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "claude-env.io",
    version = "v1alpha1",
    kind = "ClaudeEnvironment",
    plural = "claudeenvironments",
    shortname = "cenv",
    category = "claude-env",
    namespaced,
    doc = "One Claude Code environment: the environment, team and optional project layers of a config repository in Git, rendered into Claude Code settings, MCP server Deployments and Services, and kept equal to its branch by claude-env-controller (rolled out by strategy, health-checked, drift-remediated). Steer it with `claude-env` or the claude-env.io/* annotations.",
    status = "ClaudeEnvironmentStatus",
    printcolumn = r#"{"name":"Environment","type":"string","jsonPath":".spec.environment"}"#,
    printcolumn = r#"{"name":"Team","type":"string","priority":1,"jsonPath":".spec.team"}"#,
    printcolumn = r#"{"name":"Project","type":"string","priority":1,"jsonPath":".spec.project"}"#,
    printcolumn = r#"{"name":"Strategy","type":"string","priority":1,"jsonPath":".spec.strategy.type"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.lastAppliedShortRevision"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".status.rollout.phase"}"#,
    printcolumn = r#"{"name":"Drift","type":"number","jsonPath":".status.drift.percentage"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Message","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].message"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeEnvironmentSpec {
    /// The Git repository holding the config repository, and how to fetch it.
    pub source: Source,
    /// The `environments/<name>` layer of the config repository (development, staging,
    /// production, ...): the first layer stacked on `base`.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub environment: String,
    /// The `teams/<name>` layer, stacked on the environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub team: Option<String>,
    /// The `projects/<name>` layer, stacked last (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub project: Option<String>,
    /// Namespace of the rendered objects. Default: the ClaudeEnvironment's own namespace
    /// (another one only where the operator allows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Stop reconciling while true: nothing is fetched, applied, pruned or remediated, and a
    /// rollout in flight stays where it is (`claude-env suspend` / `claude-env resume`).
    #[serde(default)]
    pub suspend: bool,
    /// How a new revision reaches the workloads. Default: Immediate.
    #[serde(default)]
    pub strategy: Strategy,
    /// What decides that a revision is healthy; a failure rolls back to the last good one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_checks: Option<HealthChecks>,
    /// Human approval before each revision is promoted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    /// What happens when live objects drift from the rendered ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_policy: Option<DriftPolicy>,
    /// Apply a revision only after these environments are Ready and Healthy on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
}

/// Where the config repository is, and how it is fetched and verified.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The Git repository: `https://`, `ssh://`, `git://`, `user@host:path` (`file://` only
    /// when the controller allows local URLs).
    #[schemars(length(min = 1))]
    pub url: String,
    /// The branch to follow. Default: `develop` for development, `main` otherwise (controller
    /// flags can change the map).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Directory of the config repository (its `claude-env.yaml`) inside the Git repository.
    /// Default: the root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How often to fetch when no webhook arrives (`30s`, `1m`, `1h30m`). Default `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// How long one fetch may take. Default `60s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Secret with `username`+`password`, `bearerToken`, or `identity`+`known_hosts` (SSH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Require every applied commit to be signed by a key in the referenced Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verify>,
}

/// A Secret in the ClaudeEnvironment's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    /// The Secret's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Commit signature verification: the Secret's keys are trusted signers. Entries named
/// `*.asc`/`*.gpg` hold OpenPGP public keys; others hold SSH public keys
/// (`allowed_signers` lines or `*.pub`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verify {
    /// The Secret whose entries are the trusted signers' public keys.
    pub secret_ref: LocalObjectReference,
}

/// How a new revision reaches the environment's workloads.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("self.type != 'Canary' || has(self.canary)").message("strategy type Canary needs canary.steps"))]
pub struct Strategy {
    /// `Immediate` (default): apply at once and health-gate; `Canary`: a share of the pods
    /// first, in `canary.steps`; `BlueGreen`: the new revision beside the old, then a switch.
    #[serde(rename = "type", default)]
    pub type_: StrategyType,
    /// The canary's steps (required with type Canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
    /// Blue-green promotion settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreen>,
}

/// How a new revision reaches the workloads.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StrategyType {
    #[default]
    Immediate,
    BlueGreen,
    Canary,
}

/// A canary rollout: steps run in order; after the last one the revision is promoted.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Canary {
    /// In order: each sets a weight (and is health-checked) or pauses.
    #[schemars(length(min = 1, max = 32))]
    pub steps: Vec<CanaryStep>,
}

/// One canary step: exactly one of `setWeight` and `pause`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.setWeight) != has(self.pause)").message("a canary step is exactly one of setWeight or pause"))]
pub struct CanaryStep {
    /// Percentage of pods running the new revision (a replica ratio), health-checked before
    /// the next step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub set_weight: Option<i32>,
    /// Wait: for `duration`, or without one until approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
}

/// Wait `duration`, or with no duration, until approved.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    /// How long to wait (`2m`). None: wait for `claude-env.io/approve=<revision>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub duration: Option<String>,
}

/// A blue-green rollout: the new revision runs on the idle colour behind a preview Service,
/// then the active Service switches to it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreen {
    /// Switch the active Service as soon as the preview passes its checks. Default true;
    /// false waits for approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion: Option<bool>,
    /// How long the old colour keeps running after the switch (so a rollback is a selector
    /// flip). Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub scale_down_delay: Option<String>,
}

/// Checks that decide whether a revision is healthy (each rollout step, and Immediate).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HealthChecks {
    /// Give up on a revision (roll back) when one step's verification takes longer. Default
    /// `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Time between check runs. Default `5s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// Failed runs tolerated before rolling back. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub failure_limit: Option<i32>,
    /// Workloads Available within the progress deadline (on by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<ReadinessCheck>,
    /// HTTP GET checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpCheck>,
    /// MCP handshake checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp: Vec<McpCheck>,
    /// Prometheus query checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prometheus: Vec<PrometheusCheck>,
    /// Canary steps wait for healthy doctor reports from the cohort's workstations, and roll
    /// back when too many fail on the new revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workstations: Option<WorkstationsCheck>,
}

/// The canary cohort's workstations (ClaudeWorkstations syncing this environment) as a
/// health check: each `setWeight` step with a weight above 0 waits until `minHealthy` of
/// them report a healthy doctor on the new revision (within `timeout`), and any canary step
/// rolls back once more than `maxFailing` of them report a failing one.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkstationsCheck {
    /// Healthy reports on the new revision a step needs. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub min_healthy: Option<i32>,
    /// Failing reports on the new revision tolerated. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 10000))]
    pub max_failing: Option<i32>,
}

/// Workloads Available within the progress deadline. On by default.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessCheck {
    /// Wait for the workloads to be Available. Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// New pods not Available, with no progress (a new pod up or Available, an old pod gone)
    /// for this long since the Deployment controller observed their spec, fail the revision
    /// (crash-looping pods fail it at once; a spec not observed within five deadlines, at
    /// least 10m, fails it too). Default `2m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub progress_deadline: Option<String>,
}

/// HTTP GET of `url`, or of `path` on an MCP server's Service (`server`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.url) != has(self.server)").message("an http check names exactly one of url or server"))]
pub struct HttpCheck {
    /// The check's name (in status, Events and metrics).
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// The URL to GET (exactly one of `url` and `server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An MCP server with `deploy:`: GET `path` on its Service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The path on the server's Service. Default `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The HTTP status that passes. Default 200.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 599))]
    pub expected_status: Option<i32>,
    /// A regular expression the body must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_matches: Option<String>,
}

/// MCP `initialize` handshake over streamable HTTP, and optionally `tools/list`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.url) != has(self.server)").message("an mcp check names exactly one of url or server"))]
pub struct McpCheck {
    /// The check's name (in status, Events and metrics).
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// The MCP endpoint (exactly one of `url` and `server`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An MCP server with `deploy:`; its Service and `deploy.path` are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Tools `tools/list` must include.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_tools: Vec<String>,
}

/// A PromQL query whose value must stay within bounds.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.min) || has(self.max)").message("a prometheus check needs min or max"))]
pub struct PrometheusCheck {
    /// The check's name (in status, Events and metrics).
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// Prometheus base URL, e.g. `http://prometheus:9090`.
    #[schemars(length(min = 1))]
    pub address: String,
    /// Must return one sample; `{{revision}}`, `{{namespace}}` and `{{environment}}` are
    /// substituted.
    #[schemars(length(min = 1))]
    pub query: String,
    /// The lowest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest passing value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Time between measurements. Default: the checks' interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// Measurements per step. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub count: Option<i32>,
    /// Failed measurements tolerated. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub failure_limit: Option<i32>,
    /// What an empty or non-numeric result means: `Pause` (default: wait for a human's
    /// approval), `Fail` or `Pass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<InconclusivePolicy>,
}

/// What an inconclusive measurement means.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InconclusivePolicy {
    #[default]
    Pause,
    Fail,
    Pass,
}

/// Human approval of each revision.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// Wait for `claude-env.io/approve=<revision>` (`claude-env approve`) before promoting
    /// each revision.
    #[serde(default)]
    pub required: bool,
    /// Hold a revision with a security-class change (one that widens what the agent may do:
    /// a new allow rule, a removed deny rule, a new hook or MCP server, ...) until
    /// `claude-env.io/security-approve=<revision>[@<nonce>]` names it (`claude-env approve
    /// --security`); other revisions roll out at once. The revision is classified against
    /// the applied one before its rollout starts, and the applied one keeps serving while
    /// it waits. With `required` too, a security-class revision needs both approvals: the
    /// security approval lets its rollout start, `approve` then promotes it.
    #[serde(default)]
    pub security: bool,
}

/// What happens when live objects differ from the rendered ones.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DriftPolicy {
    /// `Remediate` (restore the rendered values), `Alert` (report only) or `Ignore`. Default:
    /// Remediate, but Alert for the production environment. Security drift is remediated
    /// under any mode but Ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DriftMode>,
    /// Paths never counted as drift: `<Kind>[/<name>]:<json-pointer prefix>`, e.g.
    /// `Deployment:/spec/replicas` or `Deployment/context7:/metadata/annotations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

/// What the controller does about drift.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DriftMode {
    Remediate,
    Alert,
    Ignore,
}

/// Another ClaudeEnvironment that must be Ready and Healthy on the same revision first.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Dependency {
    /// The other ClaudeEnvironment's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Its namespace. Default: this environment's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
