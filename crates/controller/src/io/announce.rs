//! What follows a status write: each state change it made (`decisions::changes`) written to
//! the audit log and published as a notification. Called once per write, by
//! `status_write`, so every change is told once, whatever phase made it.

use claude_env_api::{ClaudeEnvironment, ClaudeEnvironmentStatus};
use claude_env_notify::Event;
use kube::ResourceExt;

use crate::decisions::actors::Actors;
use crate::decisions::changes::{self, Change};
use crate::io::audit::{AuditLog, Record, Subject};
use crate::io::author::Authors;
use crate::io::notify::Notifier;

/// Who did what, and who is told: shared by every reconcile.
pub(crate) struct Governance {
    /// Entries kept in `status.history` (`--history-limit`).
    pub(crate) history_limit: usize,
    pub(crate) audit: AuditLog,
    pub(crate) notifier: Notifier,
    pub(crate) authors: Authors,
}

impl Governance {
    /// Audit and announce the changes from `old` to `new`, just written for `env`.
    pub(crate) fn status_written(
        &self,
        env: &ClaudeEnvironment,
        old: &ClaudeEnvironmentStatus,
        new: &ClaudeEnvironmentStatus,
    ) {
        let changes = changes::between(old, new, &Actors::of(env.annotations()));
        if changes.is_empty() {
            return;
        }
        let now = jiff::Timestamp::now();
        let namespace = env.namespace().unwrap_or_default();
        let name = env.name_any();
        let subject = Subject {
            namespace: &namespace,
            name: &name,
            environment: &env.spec.environment,
        };
        for change in &changes {
            self.audit.write(&Record::of(&subject, change, now));
            self.notifier.publish(event(env, change, now));
        }
    }
}

fn event(env: &ClaudeEnvironment, c: &Change, time: jiff::Timestamp) -> Event {
    Event {
        kind: c.kind,
        namespace: env.namespace().unwrap_or_default(),
        name: env.name_any(),
        environment: env.spec.environment.clone(),
        revision: c.revision.clone(),
        reason: c.reason.clone(),
        message: c.message.clone(),
        actor: c.actor.clone(),
        time,
        source_url: env.spec.source.url.clone(),
        labels: env.labels().clone(),
        occurrence: c.occurrence.clone(),
    }
}
