//! `ClaudeEnvironment.spec`: what to render (source, layers), where, and how to roll it out.

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::status::ClaudeEnvironmentStatus;

/// One Claude Code environment (environment + team + optional project of a config repo),
/// kept equal to its Git branch.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "claude-env.io",
    version = "v1alpha1",
    kind = "ClaudeEnvironment",
    plural = "claudeenvironments",
    shortname = "cenv",
    category = "claude-env",
    namespaced,
    status = "ClaudeEnvironmentStatus",
    printcolumn = r#"{"name":"Environment","type":"string","jsonPath":".spec.environment"}"#,
    printcolumn = r#"{"name":"Team","type":"string","jsonPath":".spec.team"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".status.lastAppliedRevision"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Drift","type":"number","jsonPath":".status.drift.percentage"}"#,
    printcolumn = r#"{"name":"Rollout","type":"string","jsonPath":".status.rollout.phase"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeEnvironmentSpec {
    pub source: Source,
    /// The `environments/<name>` layer (development, staging, production, ...).
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub environment: String,
    /// The `teams/<name>` layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub team: Option<String>,
    /// The `projects/<name>` layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub project: Option<String>,
    /// Namespace of the rendered objects; default: the ClaudeEnvironment's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_namespace: Option<String>,
    /// Stop reconciling (nothing is applied, pruned or remediated) while true.
    #[serde(default)]
    pub suspend: bool,
    #[serde(default)]
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_checks: Option<HealthChecks>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_policy: Option<DriftPolicy>,
    /// Apply a revision only after these environments are Ready and Healthy on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Dependency>,
}

/// Where the config repository is.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `https://`, `ssh://`, `git://`, `file://` or `user@host:path`.
    #[schemars(length(min = 1))]
    pub url: String,
    /// Default: `develop` for development, `main` otherwise (controller flags can change it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Directory of the config repository inside the Git repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// How often to fetch when no webhook arrives. Default `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub interval: Option<String>,
    /// Fetch timeout. Default `60s`.
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

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LocalObjectReference {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Commit signature verification: the Secret's keys are trusted signers. Entries named
/// `*.asc`/`*.gpg` hold OpenPGP public keys; others hold SSH public keys
/// (`allowed_signers` lines or `*.pub`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verify {
    pub secret_ref: LocalObjectReference,
}

/// How a new revision reaches the environment's workloads.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("self.type != 'Canary' || has(self.canary)").message("strategy type Canary needs canary.steps"))]
pub struct Strategy {
    #[serde(rename = "type", default)]
    pub type_: StrategyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreen>,
}

#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StrategyType {
    #[default]
    Immediate,
    BlueGreen,
    Canary,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Canary {
    #[schemars(length(min = 1, max = 32))]
    pub steps: Vec<CanaryStep>,
}

/// Exactly one of `setWeight` and `pause`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.setWeight) != has(self.pause)").message("a canary step is exactly one of setWeight or pause"))]
pub struct CanaryStep {
    /// Percentage of pods running the new revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub set_weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Pause>,
}

/// Wait `duration`, or with no duration, until approved.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub duration: Option<String>,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreen {
    /// Switch the active Service as soon as checks pass. Default true; false waits for
    /// approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion: Option<bool>,
    /// How long the old colour keeps running after the switch. Default `30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub scale_down_delay: Option<String>,
}

/// Checks that decide whether a revision is healthy (each rollout step, and Immediate).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct HealthChecks {
    /// Give up on a revision after this long. Default `5m`.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<ReadinessCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http: Vec<HttpCheck>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mcp: Vec<McpCheck>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Default `2m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub progress_deadline: Option<String>,
}

/// HTTP GET of `url`, or of `path` on an MCP server's Service (`server`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.url) != has(self.server)").message("an http check names exactly one of url or server"))]
pub struct HttpCheck {
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Default 200.
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
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// An MCP server with `deploy:`; its Service and `deploy.path` are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_tools: Vec<String>,
}

/// A PromQL query whose value must stay within bounds.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("has(self.min) || has(self.max)").message("a prometheus check needs min or max"))]
pub struct PrometheusCheck {
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// Prometheus base URL, e.g. `http://prometheus:9090`.
    #[schemars(length(min = 1))]
    pub address: String,
    /// Must return one sample; `{{revision}}`, `{{namespace}}` and `{{environment}}` are
    /// substituted.
    #[schemars(length(min = 1))]
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
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
    /// What an empty or non-numeric result means. Default Pause (wait for a human).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<InconclusivePolicy>,
}

#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InconclusivePolicy {
    #[default]
    Pause,
    Fail,
    Pass,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// Wait for `claude-env.io/approve=<revision>` before promoting each revision.
    #[serde(default)]
    pub required: bool,
}

#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DriftPolicy {
    /// Default: Remediate, but Alert for the production environment. Security drift is
    /// remediated under any mode but Ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<DriftMode>,
    /// Paths never counted as drift: `<Kind>[/<name>]:<json-pointer prefix>`, e.g.
    /// `Deployment:/spec/replicas` or `Deployment/context7:/metadata/annotations`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
}

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
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Default: this environment's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
