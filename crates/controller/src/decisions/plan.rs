//! What a ClaudeEnvironment's spec asks for, parsed, defaulted and checked against the
//! operator's policy once per reconcile (pure). A spec the policy refuses is never acted on:
//! the refusal names the field, and only a spec (or policy) change lifts it.

use std::collections::BTreeMap;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, DriftMode, duration, reason};
use claude_env_config::Selection;
use claude_env_drift::IgnoreRules;
use kube::ResourceExt;

use crate::decisions::branches::{BranchMap, SourceKey};
use crate::decisions::tenancy::Tenancy;

pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
pub(crate) const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(120);
/// The shortest `spec.source.timeout`: less cannot complete a TLS handshake.
pub(crate) const MIN_TIMEOUT: Duration = Duration::from_secs(1);

/// The operator's settings every spec is checked against (controller flags).
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    pub(crate) branches: BranchMap,
    pub(crate) tenancy: Tenancy,
    /// `--min-interval`: a shorter `spec.source.interval` is refused.
    pub(crate) min_interval: Duration,
    /// `--max-fetch-timeout`: a longer `spec.source.timeout` is refused.
    pub(crate) max_fetch_timeout: Duration,
    /// Labels every rendered object gets: this shard's (`decisions::shard`).
    pub(crate) shard_labels: BTreeMap<String, String>,
}

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
    /// Labels stamped on every object rendered for the environment (its shard's).
    pub(crate) shard_labels: BTreeMap<String, String>,
}

/// Why a spec is refused. Each is stalled with its own reason until the spec changes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("invalid spec: {0}")]
    Invalid(String),
    #[error("{0}")]
    NamespaceNotAllowed(String),
    #[error(
        "spec.source.interval {got:?} is shorter than the minimum {min:?} this controller \
         allows (--min-interval)"
    )]
    IntervalTooShort { got: Duration, min: Duration },
    #[error("spec.source.timeout {got:?} is outside {min:?}..{max:?} (--max-fetch-timeout)")]
    TimeoutOutOfRange {
        got: Duration,
        min: Duration,
        max: Duration,
    },
    #[error("{0}")]
    InsecureCredentials(String),
}

impl PlanError {
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            PlanError::Invalid(_) => reason::INVALID_SPEC,
            PlanError::NamespaceNotAllowed(_) => reason::NAMESPACE_NOT_ALLOWED,
            PlanError::IntervalTooShort { .. } => reason::INTERVAL_TOO_SHORT,
            PlanError::TimeoutOutOfRange { .. } => reason::TIMEOUT_OUT_OF_RANGE,
            PlanError::InsecureCredentials(_) => reason::INSECURE_CREDENTIALS,
        }
    }
}

impl EnvPlan {
    pub(crate) fn from_spec(
        env: &ClaudeEnvironment,
        policy: &Policy,
    ) -> Result<EnvPlan, PlanError> {
        let spec = &env.spec;
        let namespace = env.namespace().unwrap_or_default();
        let dur = |what: &str, v: Option<&str>, d: Duration| {
            duration::or_default(v, d).map_err(|e| PlanError::Invalid(format!("{what}: {e}")))
        };
        let branch = spec
            .source
            .branch
            .clone()
            .unwrap_or_else(|| policy.branches.branch_for(&spec.environment).to_string());
        let drift = spec.drift_policy.clone().unwrap_or_default();
        let ignore = IgnoreRules::parse(&drift.ignore).map_err(|errs| {
            PlanError::Invalid(
                errs.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let checks = spec.health_checks.clone().unwrap_or_default();
        let readiness = checks.readiness.clone().unwrap_or_default();
        let target_namespace = spec
            .target_namespace
            .clone()
            .unwrap_or_else(|| namespace.clone());
        check_namespaces(env, &namespace, &target_namespace, &policy.tenancy)?;
        let interval = dur(
            "spec.source.interval",
            spec.source.interval.as_deref(),
            DEFAULT_INTERVAL,
        )?;
        if interval < policy.min_interval {
            return Err(PlanError::IntervalTooShort {
                got: interval,
                min: policy.min_interval,
            });
        }
        let timeout = dur(
            "spec.source.timeout",
            spec.source.timeout.as_deref(),
            DEFAULT_TIMEOUT,
        )?;
        if !(MIN_TIMEOUT..=policy.max_fetch_timeout).contains(&timeout) {
            return Err(PlanError::TimeoutOutOfRange {
                got: timeout,
                min: MIN_TIMEOUT,
                max: policy.max_fetch_timeout,
            });
        }
        let url = spec.source.url.clone();
        check_credentials(&url, spec.source.secret_ref.is_some())?;
        let identity = credential_identity(&namespace, spec.source.secret_ref.as_ref());
        Ok(EnvPlan {
            name: env.name_any(),
            source: SourceKey {
                url,
                branch,
                identity,
            },
            path: spec
                .source
                .path
                .clone()
                .filter(|p| !p.is_empty() && p != "."),
            interval,
            timeout,
            selection: Selection {
                environment: spec.environment.clone(),
                team: spec.team.clone(),
                project: spec.project.clone(),
            },
            target_namespace,
            namespace,
            drift_mode: drift.mode,
            ignore,
            readiness: readiness.enabled.unwrap_or(true),
            progress_deadline: dur(
                "spec.healthChecks.readiness.progressDeadline",
                readiness.progress_deadline.as_deref(),
                DEFAULT_PROGRESS_DEADLINE,
            )?,
            shard_labels: policy.shard_labels.clone(),
        })
    }
}

/// The target namespace and every dependency's namespace must be ones the environment's
/// namespace may act in.
fn check_namespaces(
    env: &ClaudeEnvironment,
    namespace: &str,
    target: &str,
    tenancy: &Tenancy,
) -> Result<(), PlanError> {
    let wanted = std::iter::once(("spec.targetNamespace".to_string(), target)).chain(
        env.spec.depends_on.iter().enumerate().filter_map(|(i, d)| {
            d.namespace
                .as_deref()
                .map(|ns| (format!("spec.dependsOn[{i}].namespace"), ns))
        }),
    );
    tenancy
        .check(namespace, wanted)
        .map_err(PlanError::NamespaceNotAllowed)
}

/// Who a fetch proves access as: the Secret it authenticates with, or nobody. A revision
/// fetched with one identity is never served to another (`io::sources`).
pub(crate) fn credential_identity(
    namespace: &str,
    secret: Option<&claude_env_api::LocalObjectReference>,
) -> String {
    match secret {
        Some(s) => format!("{namespace}/{}", s.name),
        None => ANONYMOUS.to_string(),
    }
}

/// The identity of fetches without credentials.
pub(crate) const ANONYMOUS: &str = "anonymous";

/// Credentials stay in Secrets and off plain-text transports: a URL carrying userinfo over
/// HTTP(S) (a token or password anyone who can read the spec would see) is refused, and so
/// is a Secret's credential sent over `http://` or `git://` — except to a loopback address,
/// which no network carries.
fn check_credentials(url: &str, with_secret: bool) -> Result<(), PlanError> {
    let lower = url.to_ascii_lowercase();
    let scheme = lower.split_once("://").map(|(s, _)| s);
    let authority = url
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default())
        .unwrap_or_default();
    if matches!(scheme, Some("http" | "https")) && authority.contains('@') {
        return Err(PlanError::InsecureCredentials(
            "spec.source.url carries credentials (user or token before '@'): anyone who \
             can read the ClaudeEnvironment sees them; put them in the Secret named by \
             spec.source.secretRef"
                .into(),
        ));
    }
    if with_secret && matches!(scheme, Some("http" | "git")) && !is_loopback(authority) {
        return Err(PlanError::InsecureCredentials(format!(
            "spec.source.secretRef would send credentials over {}://, which is not \
             encrypted: use https:// or ssh://",
            scheme.unwrap_or_default()
        )));
    }
    Ok(())
}

/// Whether a URL authority (`host[:port]`, no userinfo) names this machine.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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

    fn policy() -> Policy {
        Policy {
            branches: BranchMap::new(&[], "main"),
            tenancy: Tenancy::default(),
            min_interval: Duration::from_secs(10),
            max_fetch_timeout: Duration::from_secs(600),
            shard_labels: BTreeMap::new(),
        }
    }

    fn plan(spec: serde_json::Value) -> Result<EnvPlan, PlanError> {
        EnvPlan::from_spec(&env(spec), &policy())
    }

    #[test]
    fn defaults_follow_design() {
        let p =
            plan(json!({"source": {"url": "u"}, "environment": "development", "team": "backend"}))
                .unwrap();
        assert_eq!(p.source.branch, "develop");
        assert_eq!(p.source.identity, ANONYMOUS);
        assert_eq!(p.interval, DEFAULT_INTERVAL);
        assert_eq!(p.target_namespace, "team-be");
        assert_eq!(p.selection.team.as_deref(), Some("backend"));
        assert!(p.readiness);
    }

    #[test]
    fn spec_values_win_over_defaults() {
        let p = plan(
            json!({"source": {"url": "u", "branch": "release", "interval": "10s", "path": "cfg",
                "secretRef": {"name": "git"}},
            "environment": "production",
            "healthChecks": {"readiness": {"progressDeadline": "30s"}}}),
        )
        .unwrap();
        assert_eq!(p.source.branch, "release");
        assert_eq!(p.source.identity, "team-be/git");
        assert_eq!(p.interval, Duration::from_secs(10));
        assert_eq!(p.path.as_deref(), Some("cfg"));
        assert_eq!(p.progress_deadline, Duration::from_secs(30));
    }

    #[test]
    fn bad_ignore_rules_are_a_spec_error_naming_them() {
        let err = plan(json!({"source": {"url": "u"}, "environment": "staging", "driftPolicy": {"ignore": ["nonsense"]}}))
            .unwrap_err();
        assert!(
            matches!(&err, PlanError::Invalid(m) if m.contains("nonsense")),
            "{err}"
        );
        assert_eq!(err.reason(), "InvalidSpec");
    }

    #[test]
    fn another_namespace_is_refused_unless_the_operator_allows_it() {
        let cross = json!({"source": {"url": "u"}, "environment": "staging", "targetNamespace": "kube-system"});
        let err = plan(cross.clone()).unwrap_err();
        assert_eq!(err.reason(), "NamespaceNotAllowed");
        assert!(
            err.to_string()
                .contains("spec.targetNamespace \"kube-system\""),
            "{err}"
        );
        let mut allowing = policy();
        allowing.tenancy = Tenancy::new(&[("team-be".into(), "kube-system".into())]);
        let p = EnvPlan::from_spec(&env(cross), &allowing).unwrap();
        assert_eq!(p.target_namespace, "kube-system");
        // The own namespace, named explicitly, is fine.
        assert!(plan(json!({"source": {"url": "u"}, "environment": "staging", "targetNamespace": "team-be"})).is_ok());
    }

    #[test]
    fn a_dependency_in_another_namespace_is_refused_unless_allowed() {
        let err = plan(json!({"source": {"url": "u"}, "environment": "production",
            "dependsOn": [{"name": "staging"}, {"name": "staging", "namespace": "team-x"}]}))
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("spec.dependsOn[1].namespace \"team-x\""),
            "{err}"
        );
    }

    #[test]
    fn intervals_below_the_floor_and_timeouts_out_of_bounds_are_refused() {
        let e = plan(json!({"source": {"url": "u", "interval": "1ms"}, "environment": "staging"}))
            .unwrap_err();
        assert_eq!(e.reason(), "IntervalTooShort");
        assert!(e.to_string().contains("--min-interval"), "{e}");
        for t in ["500ms", "11m"] {
            let e = plan(json!({"source": {"url": "u", "timeout": t}, "environment": "staging"}))
                .unwrap_err();
            assert_eq!(e.reason(), "TimeoutOutOfRange", "{t}");
        }
        assert!(
            plan(json!({"source": {"url": "u", "timeout": "10m"}, "environment": "staging"}))
                .is_ok()
        );
    }

    #[test]
    fn credentials_in_the_url_or_over_plain_transports_are_refused() {
        for url in [
            "https://x-access-token:ghp_secret@github.com/org/repo.git",
            "https://ghp_secret@github.com/org/repo.git",
            "HTTP://user:pw@git.example/repo",
        ] {
            let e = plan(json!({"source": {"url": url}, "environment": "staging"})).unwrap_err();
            assert_eq!(e.reason(), "InsecureCredentials", "{url}");
            assert!(!e.to_string().contains("ghp_secret"), "{e}");
        }
        for url in ["http://git.example/repo", "git://git.example/repo"] {
            let with_secret = json!({"source": {"url": url, "secretRef": {"name": "s"}}, "environment": "staging"});
            assert_eq!(
                plan(with_secret).unwrap_err().reason(),
                "InsecureCredentials",
                "{url}"
            );
            assert!(
                plan(json!({"source": {"url": url}, "environment": "staging"})).is_ok(),
                "{url}"
            );
        }
        // Loopback carries no traffic over a network.
        for url in [
            "http://127.0.0.1:8080/repo.git",
            "http://localhost/repo",
            "http://[::1]:9/r",
        ] {
            assert!(plan(json!({"source": {"url": url, "secretRef": {"name": "s"}}, "environment": "staging"})).is_ok(), "{url}");
        }
        // A user name for SSH is not a credential; an '@' in the path is not userinfo.
        for url in [
            "ssh://git@github.com/org/repo.git",
            "git@github.com:org/repo.git",
            "https://git.example/a@b/repo",
        ] {
            assert!(plan(json!({"source": {"url": url, "secretRef": {"name": "s"}}, "environment": "staging"})).is_ok(), "{url}");
        }
    }
}
