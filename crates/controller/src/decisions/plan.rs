//! What a ClaudeEnvironment's spec asks for, parsed and defaulted once (pure).

use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, DriftMode, duration};
use claude_env_config::Selection;
use claude_env_drift::IgnoreRules;
use kube::ResourceExt;

use crate::decisions::branches::BranchMap;
use crate::decisions::branches::SourceKey;
use crate::error::{Error, Result};

pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
pub(crate) const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
pub(crate) struct EnvPlan {
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) source: SourceKey,
    pub(crate) path: Option<String>,
    pub(crate) interval: Duration,
    pub(crate) timeout: Duration,
    pub(crate) selection: Selection,
    pub(crate) target_namespace: String,
    pub(crate) drift_mode: Option<DriftMode>,
    pub(crate) ignore: IgnoreRules,
    pub(crate) readiness: bool,
    pub(crate) progress_deadline: Duration,
}

impl EnvPlan {
    pub(crate) fn from_spec(env: &ClaudeEnvironment, branches: &BranchMap) -> Result<EnvPlan> {
        let spec = &env.spec;
        let namespace = env.namespace().unwrap_or_default();
        let dur = |what: &str, v: Option<&str>, d: Duration| {
            duration::or_default(v, d).map_err(|e| Error::Spec(format!("{what}: {e}")))
        };
        let branch = spec
            .source
            .branch
            .clone()
            .unwrap_or_else(|| branches.branch_for(&spec.environment).to_string());
        let drift = spec.drift_policy.clone().unwrap_or_default();
        let ignore = IgnoreRules::parse(&drift.ignore).map_err(|errs| {
            Error::Spec(
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let checks = spec.health_checks.clone().unwrap_or_default();
        let readiness = checks.readiness.clone().unwrap_or_default();
        Ok(EnvPlan {
            name: env.name_any(),
            source: SourceKey {
                url: spec.source.url.clone(),
                branch,
            },
            path: spec
                .source
                .path
                .clone()
                .filter(|p| !p.is_empty() && p != "."),
            interval: dur(
                "spec.source.interval",
                spec.source.interval.as_deref(),
                DEFAULT_INTERVAL,
            )?,
            timeout: dur(
                "spec.source.timeout",
                spec.source.timeout.as_deref(),
                DEFAULT_TIMEOUT,
            )?,
            selection: Selection {
                environment: spec.environment.clone(),
                team: spec.team.clone(),
                project: spec.project.clone(),
            },
            target_namespace: spec
                .target_namespace
                .clone()
                .unwrap_or_else(|| namespace.clone()),
            namespace,
            drift_mode: drift.mode,
            ignore,
            readiness: readiness.enabled.unwrap_or(true),
            progress_deadline: dur(
                "spec.healthChecks.readiness.progressDeadline",
                readiness.progress_deadline.as_deref(),
                DEFAULT_PROGRESS_DEADLINE,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(spec: serde_json::Value) -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "be", "namespace": "team-be"},
            "spec": spec
        }))
        .unwrap()
    }

    #[test]
    fn defaults_follow_design() {
        let p = EnvPlan::from_spec(
            &env(json!({"source": {"url": "u"}, "environment": "development", "team": "backend"})),
            &BranchMap::new(&[], "main"),
        )
        .unwrap();
        assert_eq!(p.source.branch, "develop");
        assert_eq!(p.interval, DEFAULT_INTERVAL);
        assert_eq!(p.target_namespace, "team-be");
        assert_eq!(p.selection.team.as_deref(), Some("backend"));
        assert!(p.readiness);
    }

    #[test]
    fn spec_values_win_over_defaults() {
        let p = EnvPlan::from_spec(
            &env(json!({"source": {"url": "u", "branch": "release", "interval": "10s", "path": "cfg"},
                "environment": "production", "targetNamespace": "prod",
                "healthChecks": {"readiness": {"progressDeadline": "30s"}}})),
            &BranchMap::new(&[], "main"),
        )
        .unwrap();
        assert_eq!(p.source.branch, "release");
        assert_eq!(p.interval, Duration::from_secs(10));
        assert_eq!(p.path.as_deref(), Some("cfg"));
        assert_eq!(p.target_namespace, "prod");
        assert_eq!(p.progress_deadline, Duration::from_secs(30));
    }

    #[test]
    fn bad_ignore_rules_are_a_spec_error_naming_them() {
        let err = EnvPlan::from_spec(
            &env(json!({"source": {"url": "u"}, "environment": "staging", "driftPolicy": {"ignore": ["nonsense"]}})),
            &BranchMap::new(&[], "main"),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::Spec(m) if m.contains("nonsense")),
            "{err}"
        );
    }
}
