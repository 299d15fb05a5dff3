//! One verification: the new pods become ready, then every check reaches its measurement
//! count within its failure limit — or the verification fails, times out, or waits for a
//! human on an inconclusive measurement.

use std::collections::BTreeMap;
use std::time::Duration;

use claude_env_api::InconclusivePolicy;
use jiff::Timestamp;

use crate::action::{Action, CheckTarget, FailureReason};
use crate::approval::Gate;
use crate::observe::{Observations, Outcome, Readiness, Role};
use crate::plan::{CONSECUTIVE_ERROR_LIMIT, CheckKind, CheckPlan};
use crate::readiness::{self, Deadline, Expect, Ready, after, elapsed};
use crate::state::{CheckCounters, Inconclusive, Progress, Verification};
use crate::workstations;

/// How soon to look again while pods roll (Deployment watch events usually come first).
pub const POLL: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Done,
    Waiting {
        message: String,
        requeue: Duration,
    },
    /// Waiting for a human (no timeout applies).
    Human(String),
    Failed(FailureReason, String),
}

/// Everything a verification reads besides its own progress.
pub struct Input<'a> {
    pub plan: &'a CheckPlan,
    pub obs: &'a Observations,
    pub revision: &'a str,
    pub expect: &'a [Expect],
    pub target: CheckTarget,
    /// Run the configured checks (false: readiness only, e.g. while promoting).
    pub with_checks: bool,
    /// A canary step at this weight: the workstation gate applies (its failure bound at
    /// every step, its healthy minimum with the checks when the weight is above 0).
    pub cohort_weight: Option<u32>,
}

/// Advance `v` by one decision; actions to run checks are pushed to `actions`.
pub fn verify(
    v: &mut Verification,
    input: &Input<'_>,
    consumed_approval: &mut Option<String>,
    actions: &mut Vec<Action>,
) -> Verdict {
    let Input { plan, obs, .. } = *input;
    let now = obs.now;
    let gate = plan.workstations.filter(|_| input.cohort_weight.is_some());
    if let Some(gate) = &gate
        && let Some(message) = workstations::failing(gate, &obs.workstations, input.revision)
    {
        return Verdict::Failed(FailureReason::WorkstationsFailing, message);
    }
    if let Some(verdict) = readiness_step(v, input, actions) {
        return verdict;
    }
    if !input.with_checks {
        return Verdict::Done;
    }
    if let Some(failed) = count_results(v, input) {
        return failed;
    }
    if let Some(verdict) = inconclusive_step(v, input, consumed_approval) {
        return verdict;
    }
    let (due, next) = schedule(v, plan, now);
    let cohort_wait = gate
        .filter(|_| input.cohort_weight.is_some_and(|w| w > 0))
        .and_then(|g| workstations::waiting(&g, &obs.workstations, input.revision));
    let Some(requeue) = next else {
        return match cohort_wait {
            Some(message) => timed_out(v, plan, now, &message).unwrap_or(Verdict::Waiting {
                message,
                requeue: POLL,
            }),
            None => Verdict::Done,
        };
    };
    let incomplete: Vec<&str> = plan
        .checks
        .iter()
        .filter(|s| {
            v.checks
                .get(&s.name)
                .is_none_or(|c| c.passed + c.failed < s.count)
        })
        .map(|s| s.name.as_str())
        .collect();
    let message = format!("checks running: {}", incomplete.join(", "));
    if let Some(failed) = timed_out(v, plan, now, &message) {
        return failed;
    }
    if !due.is_empty() {
        actions.push(Action::RunChecks {
            revision: input.revision.to_string(),
            checks: due,
            target: input.target,
        });
    }
    Verdict::Waiting {
        message,
        requeue: requeue.max(Duration::from_secs(1)),
    }
}

/// Readiness of the revision's workloads: `Some` ends this decision (failed, or still
/// waiting); the first time everything is ready is recorded.
fn readiness_step(
    v: &mut Verification,
    input: &Input<'_>,
    actions: &mut Vec<Action>,
) -> Option<Verdict> {
    let Input { plan, obs, .. } = *input;
    let now = obs.now;
    let ready = if plan.readiness {
        if v.observed_at.is_none() && readiness::observed(input.expect, &obs.readiness) {
            v.observed_at = Some(now);
        }
        let progressed = track_progress(v, input.expect, &obs.readiness, now);
        let deadline = Deadline {
            started: v.started_at,
            progressed,
            limit: plan.progress_deadline,
        };
        readiness::evaluate(
            input.expect,
            &obs.readiness,
            now,
            deadline,
            v.ready_at.is_some(),
        )
    } else {
        Ready::Ready
    };
    match ready {
        Ready::Failed(reason, message) => {
            actions.push(record(CheckKind::Readiness, Outcome::Fail));
            return Some(Verdict::Failed(reason, message));
        }
        Ready::Waiting(message) => {
            return Some(
                timed_out(v, plan, now, &message).unwrap_or(Verdict::Waiting {
                    message,
                    requeue: POLL,
                }),
            );
        }
        Ready::Ready if v.ready_at.is_none() => {
            v.ready_at = Some(now);
            if plan.readiness && !input.expect.iter().all(|e| e.replicas == 0) {
                actions.push(record(CheckKind::Readiness, Outcome::Pass));
            }
        }
        Ready::Ready => {}
    }
    None
}

/// Records a new best [`readiness::progress`] once the new specs are observed, and returns
/// when the progress deadline last restarted (`None`: not observed yet). The first best is
/// dated from the observation.
fn track_progress(
    v: &mut Verification,
    expect: &[Expect],
    live: &BTreeMap<(String, Role), Readiness>,
    now: Timestamp,
) -> Option<Timestamp> {
    let observed_at = v.observed_at?;
    let score = readiness::progress(expect, live);
    let best = v.progress.get_or_insert(Progress {
        best: score,
        at: observed_at,
    });
    if score > best.best {
        *best = Progress {
            best: score,
            at: now,
        };
    }
    Some(best.at)
}

/// An inconclusive check waits for a human: `Some` while no approval of this revision is
/// there to spend. An approval counts the measurement as a pass and restarts the timeout
/// (the wait was not the revision's fault).
fn inconclusive_step(
    v: &mut Verification,
    input: &Input<'_>,
    consumed_approval: &mut Option<String>,
) -> Option<Verdict> {
    let inc = v.inconclusive.clone()?;
    let gate = Gate {
        approval: input.obs.approval.as_deref(),
        revision: input.revision,
    };
    if !gate.take(consumed_approval) {
        let why = format!("check {:?} is inconclusive ({})", inc.check, inc.message);
        return Some(Verdict::Human(
            gate.waiting_message(&why, consumed_approval.as_deref()),
        ));
    }
    v.checks.entry(inc.check).or_default().passed += 1;
    v.inconclusive = None;
    v.started_at = input.obs.now;
    None
}

/// The checks due now (marked requested), and how long until the next one is due (`None`:
/// every check has its count of results).
fn schedule(
    v: &mut Verification,
    plan: &CheckPlan,
    now: Timestamp,
) -> (Vec<String>, Option<Duration>) {
    let mut due = Vec::new();
    let mut next: Option<Duration> = None;
    for spec in &plan.checks {
        let c = v.checks.entry(spec.name.clone()).or_default();
        if c.passed + c.failed >= spec.count {
            continue;
        }
        match c.requested_at {
            Some(at) if now < after(at, spec.interval) => {
                let wait = elapsed(now, after(at, spec.interval));
                next = Some(next.map_or(wait, |n| n.min(wait)));
            }
            _ => {
                c.requested_at = Some(now);
                due.push(spec.name.clone());
                next = Some(next.map_or(spec.interval, |n| n.min(spec.interval)));
            }
        }
    }
    (due, next)
}

/// Fold this decision's results into the counters; a failure beyond the limits fails.
fn count_results(v: &mut Verification, input: &Input<'_>) -> Option<Verdict> {
    for r in &input.obs.results {
        if r.revision != input.revision || r.at < v.started_at {
            continue;
        }
        let Some(spec) = input.plan.checks.iter().find(|s| s.name == r.name) else {
            continue;
        };
        let c: &mut CheckCounters = v.checks.entry(r.name.clone()).or_default();
        let outcome = match (r.outcome, spec.inconclusive) {
            (Outcome::Inconclusive, InconclusivePolicy::Pass) => Outcome::Pass,
            (Outcome::Inconclusive, InconclusivePolicy::Fail) => Outcome::Fail,
            (o, _) => o,
        };
        match outcome {
            Outcome::Pass => {
                c.passed += 1;
                c.consecutive_errors = 0;
            }
            Outcome::Fail => {
                c.failed += 1;
                c.consecutive_errors = 0;
                if c.failed > spec.failure_limit {
                    return Some(Verdict::Failed(
                        FailureReason::CheckFailed,
                        format!(
                            "check {:?} failed {} time(s), limit {}: {}",
                            r.name, c.failed, spec.failure_limit, r.message
                        ),
                    ));
                }
            }
            Outcome::Inconclusive => {
                c.consecutive_errors = 0;
                v.inconclusive = Some(Inconclusive {
                    check: r.name.clone(),
                    message: r.message.clone(),
                });
            }
            Outcome::Error => {
                c.consecutive_errors += 1;
                if c.consecutive_errors >= CONSECUTIVE_ERROR_LIMIT {
                    return Some(Verdict::Failed(
                        FailureReason::CheckError,
                        format!(
                            "check {:?} could not run {} times in a row: {}",
                            r.name, c.consecutive_errors, r.message
                        ),
                    ));
                }
            }
        }
    }
    None
}

/// The timeout runs from the start, or from when the Deployment controller had observed
/// the new specs if that was later: its backlog is not the revision's fault. Until then
/// only [`Deadline::unobserved_limit`] applies.
fn timed_out(
    v: &Verification,
    plan: &CheckPlan,
    now: jiff::Timestamp,
    doing: &str,
) -> Option<Verdict> {
    let from = match v.observed_at {
        Some(at) => at.max(v.started_at),
        None if plan.readiness => return None,
        None => v.started_at,
    };
    (elapsed(from, now) >= plan.timeout).then(|| {
        Verdict::Failed(
            FailureReason::Timeout,
            format!(
                "not verified within the timeout ({}s): {doing}",
                plan.timeout.as_secs()
            ),
        )
    })
}

fn record(check: CheckKind, outcome: Outcome) -> Action {
    Action::RecordCheck { check, outcome }
}
