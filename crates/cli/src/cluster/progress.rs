//! What `--wait` shows and decides while it watches a ClaudeEnvironment (pure): one line for
//! each change of the rollout as the controller reports it, and whether the rollout has
//! settled.
//!
//! A wait ends when the controller has acted on the request and the rollout no longer moves
//! on its own: nothing in flight, or paused for a human. A rollout that is progressing
//! (pods starting, checks running, a timed pause) is waited for.

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, RolloutPhase, condition, short_revision,
};

use super::view;
use crate::style;

/// One line about where the environment is: the rollout (phase, step, weight, colour, the
/// revision, its message), else the Ready condition.
pub(crate) fn line(env: &ClaudeEnvironment) -> String {
    let s = status(env);
    if let Some(r) = &s.rollout {
        let revision = r
            .revision
            .as_deref()
            .map(|rev| format!(" {}", short_revision(rev)))
            .unwrap_or_default();
        let message = r
            .message
            .as_deref()
            .and_then(|m| m.lines().next())
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let text = format!("rollout {}{revision}{message}", view::rollout_cell(r));
        return match r.phase {
            RolloutPhase::Succeeded => style::ok(&text),
            RolloutPhase::RolledBack | RolloutPhase::Failed => style::fail(&text),
            _ => style::waiting(&text),
        };
    }
    match s.conditions.iter().find(|c| c.type_ == condition::READY) {
        Some(c) => {
            let text = format!(
                "Ready={} {}: {}",
                c.status,
                c.reason,
                c.message.lines().next().unwrap_or_default()
            );
            match c.status.as_str() {
                "True" => style::ok(&text),
                "False" => style::fail(&text),
                _ => style::waiting(&text),
            }
        }
        None => style::waiting("waiting for the controller to reconcile it"),
    }
}

/// `revision 1f2e3d4c5b6a, Ready=True (ReconciliationSucceeded: Applied revision ...)`.
pub(crate) fn summary(env: &ClaudeEnvironment) -> String {
    let s = env.status.clone().unwrap_or_default();
    let revision = s
        .last_applied_revision
        .as_deref()
        .map_or("-".to_string(), |r| short_revision(r).to_string());
    let ready = s
        .conditions
        .iter()
        .find(|c| c.type_ == condition::READY)
        .map_or("no Ready condition yet".to_string(), |c| {
            let message = c.message.lines().next().unwrap_or_default();
            format!("Ready={} ({}: {message})", c.status, c.reason)
        });
    format!("revision {revision}, {ready}")
}

/// The rollout no longer moves on its own, and the controller has seen the latest spec.
pub(crate) fn settled(env: &ClaudeEnvironment) -> bool {
    let s = status(env);
    let moving = s
        .rollout
        .as_ref()
        .is_some_and(|r| matches!(r.phase, RolloutPhase::Progressing | RolloutPhase::Promoting));
    seen_spec(env) && !moving
}

/// `status.observedGeneration` has caught up with `metadata.generation`.
pub(crate) fn seen_spec(env: &ClaudeEnvironment) -> bool {
    let observed = status(env).observed_generation;
    match (observed, env.metadata.generation) {
        (Some(o), Some(g)) => o >= g,
        (_, None) => true,
        (None, Some(_)) => false,
    }
}

/// Prints [`line`] whenever it changes: every phase change of the rollout, once.
#[derive(Debug, Default)]
pub(crate) struct Printer {
    last: Option<String>,
}

impl Printer {
    /// The line to print for this version of the object, if it says something new.
    pub(crate) fn next(&mut self, env: &ClaudeEnvironment) -> Option<String> {
        let line = line(env);
        if self.last.as_deref() == Some(line.as_str()) {
            return None;
        }
        self.last = Some(line.clone());
        Some(line)
    }
}

fn status(env: &ClaudeEnvironment) -> ClaudeEnvironmentStatus {
    env.status.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(generation: i64, status: serde_json::Value) -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "be", "namespace": "team-a", "generation": generation},
            "spec": {"source": {"url": "u"}, "environment": "staging"},
            "status": status
        }))
        .unwrap()
    }

    const REV: &str = "1f2e3d4c5b6a7988aabbccddeeff001122334455";

    fn rollout(phase: &str, extra: serde_json::Value) -> ClaudeEnvironment {
        let mut r = json!({"phase": phase, "revision": REV});
        r.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        env(2, json!({"observedGeneration": 2, "rollout": r}))
    }

    #[test]
    fn lines_name_the_phase_the_revision_and_what_it_waits_for() {
        let canary = rollout(
            "Progressing",
            json!({"step": 0, "weight": 25, "message": "canary step 0: 1 of 1 pods ready\nmore"}),
        );
        assert_eq!(
            style::plain(&line(&canary)),
            "◎ rollout Progressing (step 0, 25%) 1f2e3d4c5b6a: canary step 0: 1 of 1 pods ready"
        );
        let done = rollout(
            "Succeeded",
            json!({"message": "revision 1f2e3d4c5b6a rolled out"}),
        );
        assert_eq!(
            style::plain(&line(&done)),
            "✔ rollout Succeeded 1f2e3d4c5b6a: revision 1f2e3d4c5b6a rolled out"
        );
        let back = rollout("RolledBack", json!({}));
        assert_eq!(
            style::plain(&line(&back)),
            "✗ rollout RolledBack 1f2e3d4c5b6a"
        );
        let new = env(1, json!(null));
        assert_eq!(
            style::plain(&line(&new)),
            "◎ waiting for the controller to reconcile it"
        );
        let invalid = env(
            1,
            json!({"conditions": [{"type": "Ready", "status": "False", "reason": "ValidationFailed",
                "message": "base/x.yaml:1:1: bad", "lastTransitionTime": "2026-11-21T05:55:00Z"}]}),
        );
        assert_eq!(
            style::plain(&line(&invalid)),
            "✗ Ready=False ValidationFailed: base/x.yaml:1:1: bad"
        );
    }

    #[test]
    fn only_changes_are_printed() {
        let mut p = Printer::default();
        let a = rollout("Progressing", json!({"message": "waiting for pods"}));
        assert!(p.next(&a).is_some());
        assert!(p.next(&a).is_none(), "the same again is not news");
        let b = rollout("Paused", json!({"message": "waiting for approval"}));
        assert!(p.next(&b).unwrap().contains("Paused"));
    }

    #[test]
    fn settled_means_seen_and_not_moving() {
        assert!(!settled(&rollout("Progressing", json!({}))));
        assert!(!settled(&rollout("Promoting", json!({}))));
        for phase in ["Idle", "Succeeded", "Paused", "RolledBack", "Failed"] {
            assert!(settled(&rollout(phase, json!({}))), "{phase}");
        }
        let behind = env(3, json!({"observedGeneration": 2}));
        assert!(
            !settled(&behind),
            "the controller has not seen the spec yet"
        );
        assert!(!settled(&env(1, json!(null))));
    }
}
