//! `NotificationProvider`: where messages about ClaudeEnvironments go (a chat webhook, a
//! signed JSON webhook, or Git commit statuses). One per destination and namespace;
//! `NotificationRule`s in the same namespace say which events it receives.

// kube's `KubeSchema` derive copies each struct into a private module of its own, where
// its `pub` is unreachable; the types themselves are this crate's API.
#![allow(unreachable_pub)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::LocalObjectReference;

/// A destination for notifications about the ClaudeEnvironments of its namespace.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "claude-env.io",
    version = "v1alpha1",
    kind = "NotificationProvider",
    plural = "notificationproviders",
    category = "claude-env",
    namespaced,
    status = "NotificationProviderStatus",
    printcolumn = r#"{"name":"Type","type":"string","jsonPath":".spec.type"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Message","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].message","priority":1}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = kube::core::Rule::new("self.type in ['github', 'gitlab'] || has(self.address) || has(self.secretRef)").message("slack, msteams and webhook providers need address or secretRef (with an address key)"))]
pub struct NotificationProviderSpec {
    /// `slack` (incoming webhook), `msteams` (incoming webhook or workflow: an Adaptive
    /// Card), `webhook` (the event as JSON, signed with HMAC-SHA256 when the Secret has
    /// `hmacKey`), `github` or `gitlab` (a commit status on the revision).
    #[serde(rename = "type")]
    pub type_: ProviderType,
    /// slack, msteams, webhook: the URL to POST to (prefer the Secret's `address` key: chat
    /// webhook URLs are credentials). github, gitlab: the API base URL; default
    /// `https://api.github.com` and `https://gitlab.com/api/v4` (GitHub Enterprise:
    /// `https://HOST/api/v3`; self-managed GitLab: `https://HOST/api/v4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub address: Option<String>,
    /// slack: the channel to post in, when the webhook allows overriding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 80))]
    pub channel: Option<String>,
    /// github: `owner/repo`; gitlab: the project's ID or `group/project` path. Default: from
    /// the environment's `spec.source.url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 255))]
    pub repository: Option<String>,
    /// A Secret in this namespace: `address` (overrides `spec.address`), `token` (github,
    /// gitlab: a token allowed to write commit statuses), `hmacKey` (webhook: the signing
    /// key). Values are never copied anywhere else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<LocalObjectReference>,
    /// Timeout of one delivery attempt. Default `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$"))]
    pub timeout: Option<String>,
    /// Send nothing while true.
    #[serde(default)]
    pub suspend: bool,
}

/// The kinds of destination.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum ProviderType {
    Slack,
    #[serde(rename = "msteams")]
    MsTeams,
    Webhook,
    #[serde(rename = "github")]
    GitHub,
    #[serde(rename = "gitlab")]
    GitLab,
}

impl ProviderType {
    /// The `provider_type` label of `claude_env_notifications_total` (the `type` value).
    pub fn label(self) -> &'static str {
        match self {
            ProviderType::Slack => "slack",
            ProviderType::MsTeams => "msteams",
            ProviderType::Webhook => "webhook",
            ProviderType::GitHub => "github",
            ProviderType::GitLab => "gitlab",
        }
    }
}

/// Keys the controller reads from a provider's Secret.
pub mod secret_keys {
    pub const ADDRESS: &str = "address";
    pub const TOKEN: &str = "token";
    pub const HMAC_KEY: &str = "hmacKey";
}

/// How deliveries went: the `Ready` condition (True after a delivery succeeded, False with
/// the error when one failed after its retries).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationProviderStatus {
    /// The `metadata.generation` the conditions describe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`: False while deliveries to this provider fail (the message says why).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}
