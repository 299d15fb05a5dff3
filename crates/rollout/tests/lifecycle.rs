//! Across rollouts: new revisions mid-flight, no rollback loops, retries, strategy changes.

mod support;

use claude_env_api::RolloutPhase;
use claude_env_rollout::*;
use support::*;

fn rolled_back(plan: &Plan) -> RolloutState {
    let s = step(plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        plan,
        &s,
        &obs(5, NEW)
            .with(Role::Stable, crashing(4))
            .with(Role::Canary, crashing(1)),
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    d.state
}

#[test]
fn a_rejected_revision_is_not_retried() {
    let plan = immediate();
    let s = rolled_back(&plan);
    let d = step(&plan, &s, &obs(100, NEW).with(Role::Stable, ready(4)));
    assert!(!has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn a_new_commit_rolls_out_after_a_rejection() {
    let plan = immediate();
    let s = rolled_back(&plan);
    let d = step(&plan, &s, &obs(100, NEWER));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEWER)
    ));
}

#[test]
fn a_retry_naming_the_failed_revision_rolls_it_out_once() {
    let plan = immediate();
    let s = rolled_back(&plan);
    let mut o = obs(100, NEW);
    o.retry = Some(format!("{}@1", &NEW[..7]));
    let d = step(&plan, &s, &o);
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
    // It fails again: the same retry value does not start a loop.
    let failed = step(&plan, &d.state, &{
        let mut o = obs(105, NEW).with(Role::Stable, crashing(4));
        o.retry = Some(format!("{}@1", &NEW[..7]));
        o
    })
    .state;
    let mut o = obs(110, NEW);
    o.retry = Some(format!("{}@1", &NEW[..7]));
    let d = step(&plan, &failed, &o);
    assert!(!has(&d, |a| matches!(a, Action::ApplyAll { .. })));
}

#[test]
fn a_retry_for_another_revision_changes_nothing() {
    let plan = immediate();
    let s = rolled_back(&plan);
    let mut o = obs(100, NEW);
    o.retry = Some(NEWER.into());
    let d = step(&plan, &s, &o);
    assert!(d.actions.is_empty() || !has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn a_new_revision_mid_canary_aborts_and_starts_over() {
    let plan = canary(&[Step::SetWeight(50), Step::Pause(None)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(5, NEWER));
    let kinds: Vec<&Action> = d
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Abort { .. } | Action::SetCanary { .. }))
        .collect();
    assert_eq!(kinds.len(), 2);
    assert_eq!(kinds[0], &Action::Abort { stable: OLD.into() });
    assert!(
        matches!(kinds[1], Action::SetCanary { revision, weight: 50, .. } if revision == NEWER)
    );
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            result: RolloutResult::Superseded,
            ..
        }
    )));
    assert_eq!(d.state.revision.as_deref(), Some(NEWER));
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
    assert_eq!(d.state.failed_revision, None, "superseded is not failed");
}

#[test]
fn a_new_revision_does_not_wait_for_the_old_timeout() {
    let plan = with_check(immediate(), "errors", 5, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(1, NEWER));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEWER)
    ));
}

#[test]
fn going_back_to_stable_mid_canary_just_aborts() {
    let plan = canary(&[Step::SetWeight(50), Step::Pause(None)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(5, OLD));
    assert!(has(&d, |a| *a == Action::Abort { stable: OLD.into() }));
    assert!(!has(&d, |a| matches!(a, Action::SetCanary { .. })));
    assert_eq!(d.state.stage, Stage::Idle);
}

#[test]
fn going_back_to_stable_mid_immediate_restores_it() {
    let plan = immediate();
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &obs(5, OLD));
    assert!(has(&d, |a| *a
        == Action::RestoreStable {
            revision: OLD.into()
        }));
}

#[test]
fn a_strategy_change_mid_rollout_restarts_with_the_new_strategy() {
    let s = step(
        &canary(&[Step::SetWeight(50)]),
        &stable_on_old(),
        &obs(0, NEW),
    )
    .state;
    let d = step(&immediate(), &s, &obs(5, NEW));
    assert!(has(&d, |a| matches!(a, Action::Abort { .. })));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
}

#[test]
fn a_manual_rollback_mid_canary_aborts_and_applies_at_once() {
    let plan = canary(&[Step::SetWeight(50), Step::Pause(None)]);
    let mut state = stable_on_old();
    state.stable = Some(NEW.into());
    let s = step(&plan, &state, &obs(0, NEWER)).state;
    let mut o = obs(5, OLD);
    o.manual_rollback = true;
    let d = step(&plan, &s, &o);
    assert!(has(&d, |a| matches!(a, Action::Abort { .. })));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == OLD)
    ));
    // The next reconcile no longer says "manual": the rollback carries on, not restarts.
    let d = step(&plan, &d.state, &obs(10, OLD).with(Role::Stable, ready(4)));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
}

#[test]
fn success_clears_an_earlier_rejection() {
    let plan = immediate();
    let s = rolled_back(&plan);
    let s = step(&plan, &s, &obs(100, NEWER)).state;
    let d = step(&plan, &s, &obs(105, NEWER).with(Role::Stable, ready(4)));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.failed_revision, None);
}
