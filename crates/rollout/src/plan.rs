//! What the spec asks for, parsed and defaulted once: the machine never sees a string
//! duration or an `Option` that means "the default".

use std::time::Duration;

use claude_env_api::{
    ClaudeEnvironmentSpec, DurationError, HealthChecks, InconclusivePolicy, StrategyType,
    duration::or_default,
};

use crate::workstations::WorkstationGate;

/// Overall verification timeout when `healthChecks.timeout` is absent.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// Time between check runs when `healthChecks.interval` is absent.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Readiness deadline when `healthChecks.readiness.progressDeadline` is absent.
pub const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(120);
/// How long the old colour keeps running after a blue-green switch (Argo's default).
pub const DEFAULT_SCALE_DOWN_DELAY: Duration = Duration::from_secs(30);
/// Errors in a row that fail a check (Argo's `consecutiveErrorLimit`): a flaky network
/// must not roll back a good revision, a dead endpoint must not stall a rollout forever.
pub const CONSECUTIVE_ERROR_LIMIT: u32 = 4;

/// The parsed rollout configuration of one environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub strategy: StrategyPlan,
    /// Wait for an approval before the new revision serves all traffic.
    pub approval_required: bool,
    pub checks: CheckPlan,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StrategyPlan {
    Immediate,
    BlueGreen {
        auto_promotion: bool,
        scale_down_delay: Duration,
    },
    Canary {
        steps: Vec<Step>,
    },
}

impl StrategyPlan {
    pub fn kind(&self) -> StrategyType {
        match self {
            StrategyPlan::Immediate => StrategyType::Immediate,
            StrategyPlan::BlueGreen { .. } => StrategyType::BlueGreen,
            StrategyPlan::Canary { .. } => StrategyType::Canary,
        }
    }
}

/// One canary step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Percentage of pods on the new revision (0..=100).
    SetWeight(u32),
    /// Wait this long, or with `None` until approved.
    Pause(Option<Duration>),
}

/// Health checks as the machine needs them (URLs and queries stay with the IO side).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckPlan {
    /// Bounds each verification (a step's readiness and checks); human waits never time out.
    pub timeout: Duration,
    /// Workloads must become Available (and not crash-loop) within `progress_deadline`.
    pub readiness: bool,
    pub progress_deadline: Duration,
    pub checks: Vec<CheckSpec>,
    /// Canary steps gated on the cohort's workstations.
    pub workstations: Option<WorkstationGate>,
}

impl Default for CheckPlan {
    fn default() -> Self {
        CheckPlan {
            timeout: DEFAULT_TIMEOUT,
            readiness: true,
            progress_deadline: DEFAULT_PROGRESS_DEADLINE,
            checks: Vec::new(),
            workstations: None,
        }
    }
}

/// What kind of check a named check is (the `check` label of `health_check_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CheckKind {
    Readiness,
    Http,
    Mcp,
    Prometheus,
}

impl CheckKind {
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Readiness => "readiness",
            CheckKind::Http => "http",
            CheckKind::Mcp => "mcp",
            CheckKind::Prometheus => "prometheus",
        }
    }
}

/// One configured check: how often, how many measurements per verification, how many
/// failures are tolerated, and what an inconclusive measurement means.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckSpec {
    pub name: String,
    pub kind: CheckKind,
    pub interval: Duration,
    pub count: u32,
    pub failure_limit: u32,
    pub inconclusive: InconclusivePolicy,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{field}: {source}")]
    Duration {
        field: String,
        source: DurationError,
    },
    #[error("strategy Canary needs canary.steps")]
    NoCanarySteps,
    #[error("canary step {index}: {reason}")]
    Step { index: usize, reason: &'static str },
    #[error("two health checks are named {0:?}; check names must be unique")]
    DuplicateCheck(String),
}

impl Plan {
    /// The plan of a ClaudeEnvironment spec.
    pub fn from_spec(spec: &ClaudeEnvironmentSpec) -> Result<Plan, PlanError> {
        Ok(Plan {
            strategy: strategy(spec)?,
            approval_required: spec.approval.as_ref().is_some_and(|a| a.required),
            checks: checks(spec.health_checks.as_ref())?,
        })
    }
}

fn duration(field: &str, value: Option<&str>, default: Duration) -> Result<Duration, PlanError> {
    or_default(value, default).map_err(|source| PlanError::Duration {
        field: field.to_string(),
        source,
    })
}

fn strategy(spec: &ClaudeEnvironmentSpec) -> Result<StrategyPlan, PlanError> {
    let s = &spec.strategy;
    Ok(match s.type_ {
        StrategyType::Immediate => StrategyPlan::Immediate,
        StrategyType::BlueGreen => {
            let bg = s.blue_green.clone().unwrap_or_default();
            StrategyPlan::BlueGreen {
                auto_promotion: bg.auto_promotion.unwrap_or(true),
                scale_down_delay: duration(
                    "strategy.blueGreen.scaleDownDelay",
                    bg.scale_down_delay.as_deref(),
                    DEFAULT_SCALE_DOWN_DELAY,
                )?,
            }
        }
        StrategyType::Canary => {
            let canary = s.canary.as_ref().ok_or(PlanError::NoCanarySteps)?;
            if canary.steps.is_empty() {
                return Err(PlanError::NoCanarySteps);
            }
            let steps = canary
                .steps
                .iter()
                .enumerate()
                .map(|(index, step)| match (step.set_weight, &step.pause) {
                    (Some(w), None) if (0..=100).contains(&w) => Ok(Step::SetWeight(w as u32)),
                    (Some(_), None) => Err(PlanError::Step {
                        index,
                        reason: "setWeight must be within 0..=100",
                    }),
                    (None, Some(p)) => Ok(Step::Pause(match &p.duration {
                        Some(d) => Some(duration(
                            &format!("strategy.canary.steps[{index}].pause.duration"),
                            Some(d),
                            Duration::ZERO,
                        )?),
                        None => None,
                    })),
                    _ => Err(PlanError::Step {
                        index,
                        reason: "a step is exactly one of setWeight or pause",
                    }),
                })
                .collect::<Result<_, _>>()?;
            StrategyPlan::Canary { steps }
        }
    })
}

fn checks(hc: Option<&HealthChecks>) -> Result<CheckPlan, PlanError> {
    let Some(hc) = hc else {
        return Ok(CheckPlan::default());
    };
    let interval = duration(
        "healthChecks.interval",
        hc.interval.as_deref(),
        DEFAULT_INTERVAL,
    )?;
    let failure_limit = hc.failure_limit.unwrap_or(0).max(0) as u32;
    let simple = |name: &str, kind| CheckSpec {
        name: name.to_string(),
        kind,
        interval,
        count: 1,
        failure_limit,
        inconclusive: InconclusivePolicy::Pause,
    };
    let mut checks: Vec<CheckSpec> = hc
        .http
        .iter()
        .map(|c| simple(&c.name, CheckKind::Http))
        .chain(hc.mcp.iter().map(|c| simple(&c.name, CheckKind::Mcp)))
        .collect();
    for p in &hc.prometheus {
        checks.push(CheckSpec {
            name: p.name.clone(),
            kind: CheckKind::Prometheus,
            interval: duration(
                &format!("healthChecks.prometheus[{}].interval", p.name),
                p.interval.as_deref(),
                interval,
            )?,
            count: p.count.unwrap_or(1).max(1) as u32,
            failure_limit: p.failure_limit.unwrap_or(0).max(0) as u32,
            inconclusive: p.inconclusive.unwrap_or_default(),
        });
    }
    let mut names = std::collections::BTreeSet::new();
    for c in &checks {
        if !names.insert(c.name.as_str()) {
            return Err(PlanError::DuplicateCheck(c.name.clone()));
        }
    }
    let readiness = hc.readiness.clone().unwrap_or_default();
    Ok(CheckPlan {
        timeout: duration(
            "healthChecks.timeout",
            hc.timeout.as_deref(),
            DEFAULT_TIMEOUT,
        )?,
        readiness: readiness.enabled.unwrap_or(true),
        progress_deadline: duration(
            "healthChecks.readiness.progressDeadline",
            readiness.progress_deadline.as_deref(),
            DEFAULT_PROGRESS_DEADLINE,
        )?,
        checks,
        workstations: hc.workstations.as_ref().map(|w| {
            let d = WorkstationGate::default();
            WorkstationGate {
                min_healthy: w.min_healthy.map_or(d.min_healthy, |n| n.max(0) as u32),
                max_failing: w.max_failing.map_or(d.max_failing, |n| n.max(0) as u32),
            }
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: serde_json::Value) -> ClaudeEnvironmentSpec {
        let mut v = json!({"source": {"url": "https://example.com/r.git"}, "environment": "prod"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_are_immediate_with_readiness() {
        let p = Plan::from_spec(&spec(json!({}))).unwrap();
        assert_eq!(p.strategy, StrategyPlan::Immediate);
        assert!(!p.approval_required);
        assert_eq!(p.checks, CheckPlan::default());
    }

    #[test]
    fn canary_steps_parse() {
        let p = Plan::from_spec(&spec(
            json!({"strategy": {"type": "Canary", "canary": {"steps": [
                {"setWeight": 20}, {"pause": {"duration": "1m"}}, {"pause": {}}
            ]}}}),
        ))
        .unwrap();
        assert_eq!(
            p.strategy,
            StrategyPlan::Canary {
                steps: vec![
                    Step::SetWeight(20),
                    Step::Pause(Some(Duration::from_secs(60))),
                    Step::Pause(None)
                ]
            }
        );
    }

    #[test]
    fn blue_green_defaults_to_auto_promotion_and_30s() {
        let p = Plan::from_spec(&spec(json!({"strategy": {"type": "BlueGreen"}}))).unwrap();
        assert_eq!(
            p.strategy,
            StrategyPlan::BlueGreen {
                auto_promotion: true,
                scale_down_delay: DEFAULT_SCALE_DOWN_DELAY
            }
        );
    }

    #[test]
    fn checks_take_their_own_or_the_shared_settings() {
        let p = Plan::from_spec(&spec(
            json!({"approval": {"required": true}, "healthChecks": {
                "timeout": "2m", "interval": "10s", "failureLimit": 2,
                "readiness": {"progressDeadline": "30s"},
                "http": [{"name": "h", "url": "http://x"}],
                "mcp": [{"name": "m", "server": "ctx"}],
                "prometheus": [{"name": "p", "address": "http://prom", "query": "up", "max": 1.0,
                                "interval": "20s", "count": 3, "inconclusive": "Fail"}]
            }}),
        ))
        .unwrap();
        assert!(p.approval_required);
        assert_eq!(p.checks.timeout, Duration::from_secs(120));
        assert_eq!(p.checks.progress_deadline, Duration::from_secs(30));
        let by = |n: &str| {
            p.checks
                .checks
                .iter()
                .find(|c| c.name == n)
                .unwrap()
                .clone()
        };
        assert_eq!(by("h").interval, Duration::from_secs(10));
        assert_eq!(by("h").failure_limit, 2);
        assert_eq!(by("m").kind, CheckKind::Mcp);
        let prom = by("p");
        assert_eq!(prom.interval, Duration::from_secs(20));
        assert_eq!(prom.count, 3);
        assert_eq!(prom.failure_limit, 0);
        assert_eq!(prom.inconclusive, InconclusivePolicy::Fail);
    }

    #[test]
    fn the_workstations_check_defaults_to_one_healthy_and_no_failing() {
        let p = Plan::from_spec(&spec(json!({"healthChecks": {"workstations": {}}}))).unwrap();
        assert_eq!(p.checks.workstations, Some(WorkstationGate::default()));
        assert_eq!(WorkstationGate::default().min_healthy, 1);
        let p = Plan::from_spec(&spec(
            json!({"healthChecks": {"workstations": {"minHealthy": 3, "maxFailing": 2}}}),
        ))
        .unwrap();
        assert_eq!(
            p.checks.workstations,
            Some(WorkstationGate {
                min_healthy: 3,
                max_failing: 2
            })
        );
        assert_eq!(
            Plan::from_spec(&spec(json!({})))
                .unwrap()
                .checks
                .workstations,
            None
        );
    }

    #[test]
    fn duplicate_check_names_are_rejected() {
        let e = Plan::from_spec(&spec(json!({"healthChecks": {
            "http": [{"name": "x", "url": "http://a"}],
            "mcp": [{"name": "x", "url": "http://b"}]
        }})))
        .unwrap_err();
        assert!(matches!(e, PlanError::DuplicateCheck(n) if n == "x"));
    }

    #[test]
    fn invalid_steps_and_durations_are_errors_naming_the_field() {
        let e = Plan::from_spec(&spec(
            json!({"strategy": {"type": "Canary", "canary": {"steps": [
                {"setWeight": 20, "pause": {}}
            ]}}}),
        ))
        .unwrap_err();
        assert!(e.to_string().contains("step 0"));
        let e = Plan::from_spec(&spec(json!({"healthChecks": {"timeout": "soon"}}))).unwrap_err();
        assert!(e.to_string().contains("healthChecks.timeout"));
        let e = Plan::from_spec(&spec(json!({"strategy": {"type": "Canary"}}))).unwrap_err();
        assert!(matches!(e, PlanError::NoCanarySteps));
    }
}
