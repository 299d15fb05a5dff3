//! `ClaudeWorkstation`: one developer's workstation following one ClaudeEnvironment, as that
//! workstation last reported it. The CLI (`claude-env sync NAME`) writes it in the
//! environment's namespace on every sync and heartbeat; the controller reads it to count the
//! fleet (`ClaudeEnvironment.status.workstations`) and to gate canary steps
//! (`spec.healthChecks.workstations`). Everything is in `spec`: like a Lease, the record is
//! its writer's report, and an admission policy lets each user write only their own.

// kube's `KubeSchema` derive copies each struct into a private module of its own, where
// its `pub` is unreachable; the types themselves are this crate's API.
#![allow(unreachable_pub)]

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One developer's workstation following one ClaudeEnvironment (same namespace).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "claude-env.io",
    version = "v1alpha1",
    kind = "ClaudeWorkstation",
    plural = "claudeworkstations",
    shortname = "cws",
    category = "claude-env",
    namespaced,
    printcolumn = r#"{"name":"User","type":"string","jsonPath":".spec.user"}"#,
    printcolumn = r#"{"name":"Environment","type":"string","jsonPath":".spec.environment"}"#,
    printcolumn = r#"{"name":"Revision","type":"string","jsonPath":".spec.shortRevision"}"#,
    printcolumn = r#"{"name":"Track","type":"string","jsonPath":".spec.track"}"#,
    printcolumn = r#"{"name":"Doctor","type":"string","jsonPath":".spec.doctor.result"}"#,
    printcolumn = r#"{"name":"Last Seen","type":"date","jsonPath":".spec.lastSeenTime"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ClaudeWorkstationSpec {
    /// The Kubernetes user the workstation syncs as (from SelfSubjectReview): the only user
    /// allowed to write this record.
    #[schemars(length(min = 1, max = 253))]
    pub user: String,
    /// The ClaudeEnvironment followed (in this namespace).
    #[schemars(length(min = 1, max = 253))]
    pub environment: String,
    /// The revision whose files the workstation holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Its first 12 characters (the printer column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_revision: Option<String>,
    /// The content hash of the config ConfigMap the files came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
    /// Cohort bucket (0..99) of this user for this environment: in a canary at weight w
    /// iff bucket < w.
    #[schemars(range(min = 0, max = 99))]
    pub cohort: i32,
    /// Whether the revision held is the environment's stable one or the canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track: Option<Track>,
    /// When the files were last written or confirmed up to date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<Time>,
    /// The last report of any kind (syncs and `--watch` heartbeats): older than the
    /// controller's `--workstation-stale-after` is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_time: Option<Time>,
    #[serde(default)]
    pub drift: WorkstationDrift,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<DoctorReport>,
    /// The last sync's problem, when it could not write the files (local edits in the way,
    /// an unreadable ConfigMap): the workstation still runs `revision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Which side of a rollout a workstation is on.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Track {
    /// The environment's stable (last known good) revision.
    Stable,
    /// The revision in flight (a canary cohort member, or everyone once applied).
    Canary,
}

/// Local state that is not what the environment says.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct WorkstationDrift {
    /// Managed files changed or deleted by hand since the last sync (they block syncs until
    /// resolved or forced).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modified_files: Vec<String>,
    /// A user layer (`local-overrides.yaml`) is merged on top of the environment.
    #[serde(default)]
    pub local_overrides: bool,
}

impl WorkstationDrift {
    /// Files edited by hand (local overrides are the supported way and are not drift).
    pub fn drifted(&self) -> bool {
        !self.modified_files.is_empty()
    }
}

/// What `claude-env doctor` found on the workstation for the synced files.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// `Healthy` or `Failing`.
    pub result: DoctorResult,
    /// The revision the doctor checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When the doctor ran.
    pub checked_at: Time,
    /// One entry per MCP server of mcp.json.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<ServerCheck>,
    /// `${VAR}` references of the synced files that are not set in the environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_variables: Vec<String>,
}

#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DoctorResult {
    /// Every server answered `initialize` and `tools/list`, every variable is set.
    Healthy,
    /// A server did not answer, or a variable is missing.
    Failing,
}

/// One MCP server's check.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerCheck {
    /// The server's name in mcp.json.
    pub name: String,
    /// `stdio`, `http` or `sse`.
    pub transport: String,
    /// It answered `initialize` and `tools/list`.
    pub ok: bool,
    /// Tools listed (when it answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<i32>,
    /// What failed (never a secret value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The name of `user`'s record for `environment`: readable, a valid object name for any user
/// name, and distinct for distinct users (a digest of the exact user name ends it).
pub fn workstation_name(environment: &str, user: &str) -> String {
    let readable: String = user
        .rsplit(':')
        .next()
        .unwrap_or(user)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let readable = readable.trim_matches('-');
    let mut name = format!("{environment}-{readable}");
    name.truncate(200);
    let name = name.trim_end_matches('-');
    format!("{name}-{:08x}", fnv32(user.as_bytes()))
}

/// FNV-1a (32 bits): a stable, dependency-free digest for names (not for security).
fn fnv32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::workstation_name;

    #[test]
    fn names_are_valid_and_distinct_per_user() {
        let a = workstation_name("be-production", "system:serviceaccount:team:dev-01");
        let b = workstation_name("be-production", "system:serviceaccount:other:dev-01");
        assert!(a.starts_with("be-production-dev-01-"), "{a}");
        assert_ne!(a, b);
        let c = workstation_name("env", "Alice.Smith@Example.com");
        assert!(c.starts_with("env-alice-smith-example-com-"), "{c}");
        for n in [a, b, c, workstation_name("e", &"x".repeat(400))] {
            assert!(n.len() <= 253);
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
        }
    }
}
