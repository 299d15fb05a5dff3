//! Verification by checks: counts, intervals, failure limits, inconclusive results,
//! errors, timeouts.

mod support;

use claude_env_api::{InconclusivePolicy, RolloutPhase};
use claude_env_rollout::*;
use support::*;

/// Immediate with one Prometheus check; returns the state with pods ready and the first
/// measurement requested at t=5.
fn measuring(count: u32, limit: u32) -> (Plan, RolloutState) {
    let plan = with_check(immediate(), "errors", count, limit);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(5, NEW).with(Role::Stable, ready(4)));
    assert_eq!(run_checks(&d), vec!["errors"]);
    (plan, d.state)
}

fn ready_obs(now: i64) -> Observations {
    obs(now, NEW).with(Role::Stable, ready(4))
}

#[test]
fn no_checks_run_before_the_pods_are_ready() {
    let plan = with_check(immediate(), "errors", 1, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(5, NEW));
    assert!(run_checks(&d).is_empty());
}

#[test]
fn a_pass_completes_a_count_of_one() {
    let (plan, s) = measuring(1, 0);
    let d = step(
        &plan,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Pass, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}

#[test]
fn measurements_are_repeated_at_the_interval_until_the_count() {
    let (plan, s) = measuring(3, 0);
    let d = step(
        &plan,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Pass, 5),
    );
    assert!(run_checks(&d).is_empty(), "not due before the interval");
    assert_eq!(d.requeue_after, Some(secs(9)));
    let d = step(&plan, &d.state, &ready_obs(15));
    assert_eq!(run_checks(&d), vec!["errors"]);
    let d = step(
        &plan,
        &d.state,
        &ready_obs(16).result("errors", NEW, Outcome::Pass, 15),
    );
    let d = step(&plan, &d.state, &ready_obs(25));
    let d = step(
        &plan,
        &d.state,
        &ready_obs(26).result("errors", NEW, Outcome::Pass, 25),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}

#[test]
fn a_failure_over_the_limit_rolls_back() {
    let (plan, s) = measuring(1, 0);
    let d = step(
        &plan,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Fail, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert!(rolled_back_for(&d, FailureReason::CheckFailed));
    assert!(msg(&d).contains("errors"));
}

#[test]
fn failures_within_the_limit_are_tolerated() {
    let (plan, s) = measuring(3, 1);
    let d = step(
        &plan,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Fail, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    let d = step(&plan, &d.state, &ready_obs(15));
    let d = step(
        &plan,
        &d.state,
        &ready_obs(16).result("errors", NEW, Outcome::Fail, 15),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
}

#[test]
fn inconclusive_pauses_for_a_human_by_default() {
    let (plan, s) = measuring(1, 0);
    let d = step(
        &plan,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Inconclusive, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert!(msg(&d).contains("inconclusive"), "{}", msg(&d));
    // Long past the timeout, still waiting for the human.
    let d = step(&plan, &d.state, &ready_obs(10_000));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    let d = step(&plan, &d.state, &ready_obs(10_001).approve(NEW));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}

#[test]
fn inconclusive_can_be_configured_to_fail_or_pass() {
    let (plan, s) = measuring(1, 0);
    let failing = with_policy(plan.clone(), InconclusivePolicy::Fail);
    let d = step(
        &failing,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Inconclusive, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    let passing = with_policy(plan, InconclusivePolicy::Pass);
    let d = step(
        &passing,
        &s,
        &ready_obs(6).result("errors", NEW, Outcome::Inconclusive, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}

#[test]
fn errors_fail_only_after_four_in_a_row() {
    let (plan, mut s) = measuring(1, 0);
    for i in 0..3 {
        let now = 6 + i * 10;
        let d = step(
            &plan,
            &s,
            &ready_obs(now).result("errors", NEW, Outcome::Error, now - 1),
        );
        assert_eq!(d.state.phase, RolloutPhase::Progressing, "error {}", i + 1);
        s = d.state;
    }
    let d = step(
        &plan,
        &s,
        &ready_obs(40).result("errors", NEW, Outcome::Error, 39),
    );
    assert!(rolled_back_for(&d, FailureReason::CheckError));
}

#[test]
fn a_pass_resets_the_error_streak() {
    let (plan, s) = measuring(3, 0);
    let mut s = s;
    for (i, o) in [
        Outcome::Error,
        Outcome::Error,
        Outcome::Error,
        Outcome::Pass,
        Outcome::Error,
    ]
    .into_iter()
    .enumerate()
    {
        let now = 6 + i as i64 * 10;
        s = step(&plan, &s, &ready_obs(now).result("errors", NEW, o, now - 1)).state;
    }
    assert_eq!(s.phase, RolloutPhase::Progressing);
}

#[test]
fn results_for_another_revision_or_before_the_verification_are_ignored() {
    let (plan, s) = measuring(1, 0);
    let d = step(
        &plan,
        &s,
        &ready_obs(6)
            .result("errors", OLD, Outcome::Fail, 5)
            .result("errors", NEW, Outcome::Fail, -10)
            .result("unknown", NEW, Outcome::Fail, 5),
    );
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
}

#[test]
fn checks_not_done_within_the_timeout_fail() {
    let (mut plan, s) = measuring(1, 0);
    plan.checks.timeout = secs(60);
    // From when the new spec was observed (5 s), not from the apply.
    let d = step(&plan, &s, &ready_obs(64));
    assert!(!has(&d, |a| matches!(a, Action::RecordRollback { .. })));
    let d = step(&plan, &s, &ready_obs(65));
    assert!(rolled_back_for(&d, FailureReason::Timeout));
}

#[test]
fn pods_never_ready_fail_at_the_progress_deadline_not_the_timeout() {
    let plan = immediate();
    let mut stuck = ready(4);
    stuck.available = 0;
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    // The Deployment controller observed the new spec by the first look (1 s); its pods
    // never become ready.
    let s = step(&plan, &s, &obs(1, NEW).with(Role::Stable, stuck)).state;
    let d = step(&plan, &s, &obs(120, NEW).with(Role::Stable, stuck));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    let d = step(&plan, &d.state, &obs(121, NEW).with(Role::Stable, stuck));
    assert!(rolled_back_for(&d, FailureReason::ProgressDeadline));
}

#[test]
fn a_spec_the_deployment_controller_has_not_observed_is_not_rolled_back_at_the_deadline() {
    let plan = immediate();
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let behind = Readiness {
        current: false,
        ..ready(4)
    };
    // A backlogged control plane: three deadlines without the new spec observed.
    let d = step(&plan, &s, &obs(360, NEW).with(Role::Stable, behind));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    assert!(!has(&d, |a| matches!(a, Action::RecordRollback { .. })));
    // Observed at 360 s, its pods then stuck: the deadline runs from the observation.
    let mut stuck = ready(4);
    stuck.available = 0;
    let d = step(&plan, &d.state, &obs(361, NEW).with(Role::Stable, stuck));
    let d = step(&plan, &d.state, &obs(480, NEW).with(Role::Stable, stuck));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    let d = step(&plan, &d.state, &obs(481, NEW).with(Role::Stable, stuck));
    assert!(rolled_back_for(&d, FailureReason::ProgressDeadline));
}

#[test]
fn a_slow_rollout_that_keeps_progressing_is_not_rolled_back_at_the_deadline() {
    let mut plan = immediate();
    plan.checks.timeout = secs(1000);
    let rolling = |updated, available, total| Readiness {
        updated,
        available,
        total,
        ..ready(4)
    };
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    // Observed at 1 s with a first new pod; each later step comes within the deadline
    // (120 s) of the one before, the last more than two deadlines after the observation.
    let mut s = step(&plan, &s, &obs(1, NEW).with(Role::Stable, rolling(1, 4, 5))).state;
    for (now, r) in [
        (100, rolling(1, 5, 5)),
        (200, rolling(2, 4, 5)),
        (300, rolling(4, 4, 5)),
    ] {
        let d = step(&plan, &s, &obs(now, NEW).with(Role::Stable, r));
        assert_eq!(d.state.phase, RolloutPhase::Progressing, "at {now}s");
        assert!(!has(&d, |a| matches!(a, Action::RecordRollback { .. })));
        s = d.state;
    }
    // A new pod that goes unavailable and comes back is no progress: the deadline still
    // runs from 300 s, while the last old pod is not gone.
    let s = step(
        &plan,
        &s,
        &obs(350, NEW).with(Role::Stable, rolling(4, 3, 5)),
    )
    .state;
    let d = step(
        &plan,
        &s,
        &obs(419, NEW).with(Role::Stable, rolling(4, 4, 5)),
    );
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    let d = step(
        &plan,
        &d.state,
        &obs(420, NEW).with(Role::Stable, rolling(4, 4, 5)),
    );
    assert!(rolled_back_for(&d, FailureReason::ProgressDeadline));
}

#[test]
fn readiness_outcomes_are_recorded_once() {
    let plan = with_check(immediate(), "errors", 1, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &ready_obs(5));
    let passes = |d: &Decision| {
        d.actions
            .iter()
            .filter(|a| {
                matches!(
                    a,
                    Action::RecordCheck {
                        check: CheckKind::Readiness,
                        outcome: Outcome::Pass
                    }
                )
            })
            .count()
    };
    assert_eq!(passes(&d), 1);
    let d = step(&plan, &d.state, &ready_obs(6));
    assert_eq!(passes(&d), 0);
}

#[test]
fn disabled_readiness_skips_the_pod_gate() {
    let mut plan = immediate();
    plan.checks.readiness = false;
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(1, NEW));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}
