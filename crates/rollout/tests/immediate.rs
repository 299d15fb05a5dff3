//! Immediate: apply, health-gate, roll back to the last known good on failure.

mod support;

use claude_env_api::RolloutPhase;
use claude_env_rollout::*;
use support::*;

#[test]
fn a_new_revision_is_applied_at_once() {
    let d = step(&immediate(), &stable_on_old(), &obs(0, NEW));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    assert_eq!(d.state.revision.as_deref(), Some(NEW));
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
}

#[test]
fn the_serving_revision_needs_nothing() {
    let d = step(&immediate(), &stable_on_old(), &obs(0, OLD));
    assert!(d.actions.is_empty());
    assert_eq!(d.state, stable_on_old());
}

#[test]
fn ready_pods_without_checks_succeed() {
    let applied = step(&immediate(), &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        &immediate(),
        &applied,
        &obs(5, NEW).with(Role::Stable, ready(4)),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.stable.as_deref(), Some(NEW));
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            result: RolloutResult::Success,
            ..
        }
    )));
}

#[test]
fn pods_still_rolling_keep_waiting() {
    let applied = step(&immediate(), &stable_on_old(), &obs(0, NEW)).state;
    let mut rolling = ready(4);
    rolling.available = 2;
    let d = step(
        &immediate(),
        &applied,
        &obs(5, NEW).with(Role::Stable, rolling),
    );
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    assert!(msg(&d).contains("2 of 4 available"));
    assert!(d.requeue_after.is_some());
}

#[test]
fn crash_loop_restores_the_last_known_good() {
    let applied = step(&immediate(), &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        &immediate(),
        &applied,
        &obs(5, NEW).with(Role::Stable, crashing(4)),
    );
    assert!(has(
        &d,
        |a| matches!(a, Action::RestoreStable { revision } if revision == OLD)
    ));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
    assert!(rolled_back_for(&d, FailureReason::CrashLoop));
    assert!(msg(&d).contains("crash"));
}

#[test]
fn first_deploy_failing_is_failed_with_nothing_to_restore() {
    let applied = step(&immediate(), &RolloutState::default(), &obs(0, NEW)).state;
    let d = step(
        &immediate(),
        &applied,
        &obs(5, NEW).with(Role::Stable, crashing(4)),
    );
    assert_eq!(d.state.phase, RolloutPhase::Failed);
    assert!(!has(&d, |a| matches!(a, Action::RestoreStable { .. })));
    assert!(!has(&d, |a| matches!(a, Action::RecordRollback { .. })));
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            result: RolloutResult::Failed,
            ..
        }
    )));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn last_known_good_from_status_seeds_the_stable_revision() {
    let mut o = obs(0, NEW);
    o.last_known_good = Some(OLD.into());
    let d = step(&immediate(), &RolloutState::default(), &o);
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
}

#[test]
fn approval_required_applies_nothing_until_approved() {
    let plan = approval_required(immediate());
    let d = step(&plan, &stable_on_old(), &obs(0, NEW));
    assert!(!has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert!(msg(&d).contains("approval"));
    let d = step(&plan, &d.state, &obs(60, NEW).approve(NEW));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
}

#[test]
fn approval_for_another_revision_is_ignored() {
    let plan = approval_required(immediate());
    let waiting = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &waiting, &obs(60, NEW).approve(NEWER));
    assert!(!has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert!(msg(&d).contains("another revision"));
}

#[test]
fn waiting_for_approval_never_times_out() {
    let plan = approval_required(immediate());
    let waiting = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &waiting, &obs(86_400, NEW));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
}

#[test]
fn manual_rollback_skips_the_approval_gate() {
    let plan = approval_required(immediate());
    let mut state = stable_on_old();
    state.stable = Some(NEW.into());
    let mut o = obs(0, OLD);
    o.manual_rollback = true;
    let d = step(&plan, &state, &o);
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == OLD)
    ));
}

#[test]
fn a_revision_without_workloads_or_checks_succeeds_as_it_is_applied() {
    let mut o = obs(0, NEW);
    o.servers.clear();
    let d = step(&immediate(), &stable_on_old(), &o);
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.stable.as_deref(), Some(NEW));
    assert!(!d.state.stage.in_flight());
    let events: Vec<&str> = d
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Event { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        ["RolloutSucceeded"],
        "one Event for the whole rollout"
    );
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            result: RolloutResult::Success,
            ..
        }
    )));
}

#[test]
fn servers_scaled_to_zero_have_nothing_to_wait_for() {
    let mut o = obs(0, NEW);
    o.servers.insert("ctx".into(), 0);
    let d = step(&immediate(), &stable_on_old(), &o);
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
}

#[test]
fn without_workloads_configured_checks_still_wait_for_the_apply() {
    let mut o = obs(0, NEW);
    o.servers.clear();
    let d = step(
        &with_check(immediate(), "smoke", 1, 0),
        &stable_on_old(),
        &o,
    );
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    assert!(d.state.stage.in_flight());
    assert!(run_checks(&d).is_empty(), "no check runs before the apply");
}

#[test]
fn without_workloads_an_approval_gate_still_holds() {
    let mut o = obs(0, NEW);
    o.servers.clear();
    let d = step(&approval_required(immediate()), &stable_on_old(), &o);
    assert!(!has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
}
