//! The canary cohort's workstations as a check: steps wait for healthy doctor reports, and
//! too many failing ones roll the canary back.

mod support;

use claude_env_api::RolloutPhase;
use claude_env_rollout::*;
use support::*;

fn gated(min_healthy: u32, max_failing: u32) -> Plan {
    let mut p = canary(&[Step::SetWeight(25), Step::Pause(None), Step::SetWeight(100)]);
    p.checks.workstations = Some(WorkstationGate {
        min_healthy,
        max_failing,
    });
    p.checks.timeout = secs(600);
    p
}

fn ready_at(now: i64, weight: u32) -> Observations {
    let split = canary_split(4, weight);
    obs(now, NEW)
        .with(Role::Canary, ready(split.canary))
        .with(Role::Stable, ready(split.stable))
}

fn reports(o: Observations, list: &[(&str, bool)]) -> Observations {
    let mut o = o;
    o.workstations = list
        .iter()
        .map(|(revision, healthy)| WorkstationReport {
            revision: revision.to_string(),
            healthy: *healthy,
        })
        .collect();
    o
}

#[test]
fn a_set_weight_step_waits_for_healthy_cohort_reports() {
    let plan = gated(2, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    assert_eq!(step_of(&s), Some(0));
    // Pods ready, one healthy report: not enough.
    let d = step(
        &plan,
        &s,
        &reports(ready_at(10, 25), &[(NEW, true), (OLD, true)]),
    );
    assert_eq!(step_of(&d.state), Some(0));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    assert!(msg(&d).contains("1 of 2"), "{}", msg(&d));
    // Reports on the stable revision never count for the canary.
    let d = step(
        &plan,
        &d.state,
        &reports(ready_at(20, 25), &[(NEW, true), (OLD, true), (OLD, true)]),
    );
    assert_eq!(step_of(&d.state), Some(0));
    // Two healthy on the new revision: on to the pause, which waits for approval.
    let d = step(
        &plan,
        &d.state,
        &reports(ready_at(30, 25), &[(NEW, true), (NEW, true)]),
    );
    assert_eq!(step_of(&d.state), Some(1));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
}

#[test]
fn failing_cohort_reports_roll_the_canary_back() {
    let plan = gated(1, 1);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    // One failing is tolerated.
    let d = step(&plan, &s, &reports(ready_at(10, 25), &[(NEW, false)]));
    assert_eq!(step_of(&d.state), Some(0));
    // Two are not: abort to stable, the revision is rejected, the reason is recorded.
    let d = step(
        &plan,
        &d.state,
        &reports(ready_at(20, 25), &[(NEW, false), (NEW, false), (NEW, true)]),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
    assert!(has(
        &d,
        |a| matches!(a, Action::Abort { stable } if stable == OLD)
    ));
    assert!(rolled_back_for(&d, FailureReason::WorkstationsFailing));
    assert!(msg(&d).contains("failing doctor"), "{}", msg(&d));
    // Workstations now go back to the stable revision.
    let back = assignment(&d.state, 0).unwrap();
    assert_eq!(back.revision, OLD);
}

#[test]
fn failing_reports_during_a_pause_roll_back_too() {
    let plan = gated(1, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &reports(ready_at(10, 25), &[(NEW, true)])).state;
    assert_eq!(s.phase, RolloutPhase::Paused);
    let d = step(
        &plan,
        &s,
        &reports(ready_at(20, 25), &[(NEW, true), (NEW, false)]),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
}

#[test]
fn a_cohort_that_never_reports_times_out() {
    let mut plan = gated(1, 0);
    plan.checks.timeout = secs(60);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &ready_at(10, 25)).state;
    assert_eq!(step_of(&s), Some(0));
    let d = step(&plan, &s, &ready_at(70, 25));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert!(rolled_back_for(&d, FailureReason::Timeout));
}

#[test]
fn without_the_check_reports_change_nothing() {
    let plan = canary(&[Step::SetWeight(25), Step::Pause(None)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        &plan,
        &s,
        &reports(ready_at(10, 25), &[(NEW, false), (NEW, false)]),
    );
    assert_eq!(step_of(&d.state), Some(1));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
}

#[test]
fn immediate_rollouts_ignore_the_cohort_gate() {
    let mut plan = immediate();
    plan.checks.workstations = Some(WorkstationGate::default());
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        &plan,
        &s,
        &reports(obs(10, NEW).with(Role::Stable, ready(4)), &[(NEW, false)]),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}
