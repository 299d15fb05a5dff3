//! `NotificationRule`: which events about which ClaudeEnvironments of its namespace go to
//! which `NotificationProvider`s.

// kube's `KubeSchema` derive copies each struct into a private module of its own, where
// its `pub` is unreachable; the types themselves are this crate's API.
#![allow(unreachable_pub)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::LocalObjectReference;

/// Sends events of the selected ClaudeEnvironments (this namespace's) to providers.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "claude-env.io",
    version = "v1alpha1",
    kind = "NotificationRule",
    plural = "notificationrules",
    category = "claude-env",
    namespaced,
    printcolumn = r#"{"name":"Severity","type":"string","jsonPath":".spec.severity"}"#,
    printcolumn = r#"{"name":"Suspended","type":"boolean","jsonPath":".spec.suspend"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRuleSpec {
    /// NotificationProviders in this namespace that receive the events.
    #[schemars(length(min = 1, max = 16))]
    pub provider_refs: Vec<LocalObjectReference>,
    /// Which ClaudeEnvironments of this namespace; every part given must match. Default:
    /// all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<EnvironmentSelector>,
    /// Which events; default: all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_kinds: Vec<EventKind>,
    /// The least severe event sent. Default `info` (everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Send nothing while true.
    #[serde(default)]
    pub suspend: bool,
}

/// ClaudeEnvironments by name, by `spec.environment`, and by label.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentSelector {
    /// ClaudeEnvironment names (`metadata.name`); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// `spec.environment` values (`production`, ...); empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// Labels of the ClaudeEnvironment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

/// What happened to an environment. Each is sent once per environment, revision and kind.
#[derive(
    JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
pub enum EventKind {
    /// A rollout waits for `claude-env approve` (a pause step, `approval.required`, ...).
    ApprovalRequired,
    /// An approval opened a gate.
    Approved,
    /// A failed revision is retried on request.
    RetryRequested,
    /// A new revision started rolling out.
    RolloutStarted,
    /// A canary was promoted, or blue-green switched to the new colour.
    RolloutPromoted,
    /// The revision rolled out and passed its checks.
    RolloutSucceeded,
    /// The previous revision was restored: a failed rollout, or a rollback on request.
    RolledBack,
    /// A rollout failed with nothing to go back to.
    RolloutFailed,
    /// Only a change can fix it: an invalid or unverified revision, a refused spec.
    Stalled,
    /// Live objects differ from the revision.
    DriftDetected,
    /// Drifted objects were restored.
    DriftRemediated,
    /// A new revision waits for the environments it depends on.
    DependencyWaiting,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::ApprovalRequired,
        EventKind::Approved,
        EventKind::RetryRequested,
        EventKind::RolloutStarted,
        EventKind::RolloutPromoted,
        EventKind::RolloutSucceeded,
        EventKind::RolledBack,
        EventKind::RolloutFailed,
        EventKind::Stalled,
        EventKind::DriftDetected,
        EventKind::DriftRemediated,
        EventKind::DependencyWaiting,
    ];

    /// The PascalCase name (as in `eventKinds`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::ApprovalRequired => "ApprovalRequired",
            EventKind::Approved => "Approved",
            EventKind::RetryRequested => "RetryRequested",
            EventKind::RolloutStarted => "RolloutStarted",
            EventKind::RolloutPromoted => "RolloutPromoted",
            EventKind::RolloutSucceeded => "RolloutSucceeded",
            EventKind::RolledBack => "RolledBack",
            EventKind::RolloutFailed => "RolloutFailed",
            EventKind::Stalled => "Stalled",
            EventKind::DriftDetected => "DriftDetected",
            EventKind::DriftRemediated => "DriftRemediated",
            EventKind::DependencyWaiting => "DependencyWaiting",
        }
    }

    /// How bad it is: failures are errors, what waits for people or differs from Git is a
    /// warning, progress is info.
    pub fn severity(self) -> Severity {
        match self {
            EventKind::RolledBack | EventKind::RolloutFailed | EventKind::Stalled => {
                Severity::Error
            }
            EventKind::ApprovalRequired
            | EventKind::DriftDetected
            | EventKind::DependencyWaiting => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

/// Ordered: `info` < `warning` < `error`.
#[derive(
    JsonSchema,
    Serialize,
    Deserialize,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}
