//! Builders for rollout machine tests: a plan, observations at a time, and a driver that
//! feeds decisions back as the next state (as the controller does through status).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use claude_env_api::{Color, InconclusivePolicy, RolloutPhase};
use claude_env_rollout::*;
use jiff::Timestamp;

pub(crate) const OLD: &str = "aaaaaaa0000000000000000000000000000000000";
pub(crate) const NEW: &str = "bbbbbbb0000000000000000000000000000000000";
pub(crate) const NEWER: &str = "ccccccc0000000000000000000000000000000000";

pub(crate) fn t(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

pub(crate) fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub(crate) fn immediate() -> Plan {
    Plan {
        strategy: StrategyPlan::Immediate,
        approval_required: false,
        checks: CheckPlan::default(),
    }
}

pub(crate) fn canary(steps: &[Step]) -> Plan {
    Plan {
        strategy: StrategyPlan::Canary {
            steps: steps.to_vec(),
        },
        ..immediate()
    }
}

pub(crate) fn blue_green(auto_promotion: bool, delay: u64) -> Plan {
    Plan {
        strategy: StrategyPlan::BlueGreen {
            auto_promotion,
            scale_down_delay: secs(delay),
        },
        ..immediate()
    }
}

pub(crate) fn with_check(mut plan: Plan, name: &str, count: u32, failure_limit: u32) -> Plan {
    plan.checks.checks.push(CheckSpec {
        name: name.into(),
        kind: CheckKind::Prometheus,
        interval: secs(10),
        count,
        failure_limit,
        inconclusive: InconclusivePolicy::Pause,
    });
    plan
}

pub(crate) fn with_policy(mut plan: Plan, policy: InconclusivePolicy) -> Plan {
    for c in &mut plan.checks.checks {
        c.inconclusive = policy;
    }
    plan
}

pub(crate) fn approval_required(mut plan: Plan) -> Plan {
    plan.approval_required = true;
    plan
}

/// A fully available Deployment of `n` replicas.
pub(crate) fn ready(n: u32) -> Readiness {
    Readiness {
        replicas: n,
        updated: n,
        available: n,
        total: n,
        current: true,
        ..Readiness::default()
    }
}

pub(crate) fn crashing(n: u32) -> Readiness {
    Readiness {
        available: 0,
        crash_looping: true,
        ..ready(n)
    }
}

/// Observations of one server `ctx` with 4 replicas wanting `desired`.
pub(crate) fn obs(now: i64, desired: &str) -> Observations {
    let mut o = Observations::new(t(now), desired);
    o.servers = BTreeMap::from([("ctx".to_string(), 4)]);
    o
}

pub(crate) trait ObsExt {
    fn with(self, role: Role, r: Readiness) -> Self;
    fn result(self, name: &str, revision: &str, outcome: Outcome, at: i64) -> Self;
    fn approve(self, value: &str) -> Self;
}

impl ObsExt for Observations {
    fn with(mut self, role: Role, r: Readiness) -> Self {
        self.readiness.insert(("ctx".into(), role), r);
        self
    }
    fn result(mut self, name: &str, revision: &str, outcome: Outcome, at: i64) -> Self {
        self.results.push(CheckResult {
            name: name.into(),
            revision: revision.into(),
            outcome,
            at: t(at),
            message: format!("{outcome:?}"),
        });
        self
    }
    fn approve(mut self, value: &str) -> Self {
        self.approval = Some(value.into());
        self
    }
}

/// A state where `OLD` serves and nothing is in flight.
pub(crate) fn stable_on_old() -> RolloutState {
    RolloutState {
        phase: RolloutPhase::Succeeded,
        revision: Some(OLD.into()),
        stable: Some(OLD.into()),
        ..RolloutState::default()
    }
}

pub(crate) fn stable_on_blue() -> RolloutState {
    RolloutState {
        active_color: Some(Color::Blue),
        ..stable_on_old()
    }
}

/// Runs one decision and round-trips the state through `status` (as the controller
/// would), so every test also proves restart safety.
pub(crate) fn step(plan: &Plan, state: &RolloutState, o: &Observations) -> Decision {
    let d = decide(plan, state, o);
    let back = RolloutState::from_status(Some(&d.status()));
    assert_eq!(back, d.state, "state survives a trip through status");
    d
}

pub(crate) fn has(d: &Decision, pred: impl Fn(&Action) -> bool) -> bool {
    d.actions.iter().any(pred)
}

/// Whether the decision records a rollback for `reason`.
pub(crate) fn rolled_back_for(d: &Decision, reason: FailureReason) -> bool {
    has(
        d,
        |a| matches!(a, Action::RecordRollback { reason: r } if *r == reason),
    )
}

pub(crate) fn set_canary_weight(d: &Decision) -> Option<u32> {
    d.actions.iter().find_map(|a| match a {
        Action::SetCanary { weight, .. } => Some(*weight),
        _ => None,
    })
}

pub(crate) fn run_checks(d: &Decision) -> Vec<String> {
    d.actions
        .iter()
        .flat_map(|a| match a {
            Action::RunChecks { checks, .. } => checks.clone(),
            _ => Vec::new(),
        })
        .collect()
}

pub(crate) fn step_of(s: &RolloutState) -> Option<usize> {
    match &s.stage {
        Stage::Canary { step, .. } => Some(*step),
        _ => None,
    }
}

pub(crate) fn weight_of(s: &RolloutState) -> Option<u32> {
    match &s.stage {
        Stage::Canary { weight, .. } => Some(*weight),
        _ => None,
    }
}

pub(crate) fn split(stable: u32, canary: u32) -> Split {
    Split { stable, canary }
}

pub(crate) fn msg(d: &Decision) -> String {
    d.state.message.clone().unwrap_or_default()
}
