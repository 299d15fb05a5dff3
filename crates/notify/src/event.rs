//! One change of one environment, as every provider and rule sees it.

use std::collections::BTreeMap;

use claude_env_api::{EventKind, Severity, short_revision};
use jiff::Timestamp;

/// A change worth telling people about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    /// The ClaudeEnvironment's namespace and name.
    pub namespace: String,
    pub name: String,
    /// `spec.environment` (`production`, ...).
    pub environment: String,
    /// The full commit SHA the event is about.
    pub revision: String,
    /// A stable PascalCase identifier (`CrashLoop`, `ValidationFailed`, ...); may be empty.
    pub reason: String,
    /// What happened, for people.
    pub message: String,
    /// Who caused it: a user name, or `claude-env-controller`.
    pub actor: String,
    pub time: Timestamp,
    /// The environment's `spec.source.url` (commit statuses default their repository to it).
    pub source_url: String,
    /// The ClaudeEnvironment's labels (rules select by them).
    pub labels: BTreeMap<String, String>,
    /// Tells apart events of one kind on one revision that are distinct changes (the gates
    /// of a rollout that waits for approval twice); empty for most.
    pub occurrence: String,
}

impl Event {
    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub fn short_revision(&self) -> &str {
        short_revision(&self.revision)
    }

    /// What a message is about, once per change: see [`crate::dedup`].
    pub fn key(&self) -> Key {
        Key {
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            revision: self.revision.clone(),
            kind: self.kind,
            occurrence: self.occurrence.clone(),
        }
    }
}

/// The identity of a change: a message is sent once per key and provider.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub namespace: String,
    pub name: String,
    pub revision: String,
    pub kind: EventKind,
    pub occurrence: String,
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    pub(crate) const REV: &str = "0123456789abcdef0123456789abcdef01234567";

    /// A canary of `be-prod` rolled back for a crash loop.
    pub(crate) fn rolled_back() -> Event {
        Event {
            kind: EventKind::RolledBack,
            namespace: "team-be".into(),
            name: "be-prod".into(),
            environment: "production".into(),
            revision: REV.into(),
            reason: "CrashLoop".into(),
            message: "revision 0123456789ab rolled back to fedcba987654: canary step 1: \
                      pods crash-loop"
                .into(),
            actor: "claude-env-controller".into(),
            time: "2026-11-21T10:00:00Z".parse().unwrap(),
            source_url: "https://github.com/acme/claude-config.git".into(),
            labels: [("team".to_string(), "backend".to_string())].into(),
            occurrence: String::new(),
        }
    }
}
