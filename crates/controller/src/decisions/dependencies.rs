//! `dependsOn`: apply revision R only after every dependency is Ready and Healthy on R.

use claude_env_api::{ClaudeEnvironment, condition};

use crate::decisions::status::conditions;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    Open,
    Wait(String),
}

/// `deps`: each dependency's `namespace/name` and what the cache holds for it.
pub(crate) fn gate(revision: &str, deps: &[(String, Option<&ClaudeEnvironment>)]) -> Gate {
    let mut waiting = Vec::new();
    for (name, env) in deps {
        let Some(env) = env else {
            waiting.push(format!("{name} does not exist"));
            continue;
        };
        let status = env.status.clone().unwrap_or_default();
        let on_revision = status.last_applied_revision.as_deref() == Some(revision);
        let current = status.observed_generation == env.metadata.generation;
        let ready = conditions::is_true(&status.conditions, condition::READY);
        let healthy = conditions::is_true(&status.conditions, condition::HEALTHY);
        if env.spec.suspend {
            waiting.push(format!("{name} is suspended"));
        } else if !on_revision {
            let at = status
                .last_applied_revision
                .as_deref()
                .map(claude_env_api::short_revision)
                .unwrap_or("nothing");
            waiting.push(format!(
                "{name} is at {at}, not {}",
                claude_env_api::short_revision(revision)
            ));
        } else if !(current && ready && healthy) {
            waiting.push(format!(
                "{name} is not Ready and Healthy on {}",
                claude_env_api::short_revision(revision)
            ));
        }
    }
    if waiting.is_empty() {
        Gate::Open
    } else {
        Gate::Wait(format!("waiting for dependencies: {}", waiting.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn staging(revision: &str, ready: &str, healthy: &str) -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "staging", "namespace": "ns", "generation": 3},
            "spec": {"source": {"url": "u"}, "environment": "staging"},
            "status": {"observedGeneration": 3, "lastAppliedRevision": revision, "conditions": [
                {"type": "Ready", "status": ready, "reason": "r", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                {"type": "Healthy", "status": healthy, "reason": "r", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}
            ]}
        }))
        .unwrap()
    }

    #[test]
    fn open_when_ready_and_healthy_on_the_same_revision() {
        let s = staging("abc", "True", "True");
        assert_eq!(gate("abc", &[("ns/staging".into(), Some(&s))]), Gate::Open);
    }

    #[test]
    fn waits_for_another_revision_unhealthy_or_missing() {
        let old = staging("old", "True", "True");
        assert!(
            matches!(gate("abc", &[("ns/staging".into(), Some(&old))]), Gate::Wait(m) if m.contains("is at old"))
        );
        let sick = staging("abc", "True", "False");
        assert!(
            matches!(gate("abc", &[("ns/staging".into(), Some(&sick))]), Gate::Wait(m) if m.contains("not Ready and Healthy"))
        );
        assert!(
            matches!(gate("abc", &[("ns/gone".into(), None)]), Gate::Wait(m) if m.contains("does not exist"))
        );
    }

    #[test]
    fn a_stale_observed_generation_is_not_ready() {
        let mut s = staging("abc", "True", "True");
        s.metadata.generation = Some(4);
        assert!(matches!(
            gate("abc", &[("ns/staging".into(), Some(&s))]),
            Gate::Wait(_)
        ));
    }

    #[test]
    fn no_dependencies_is_open() {
        assert_eq!(gate("abc", &[]), Gate::Open);
    }
}
