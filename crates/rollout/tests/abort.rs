//! `claude-env.io/abort=<revision>[@<nonce>]`: the rollout in flight of that revision goes
//! back to stable and the revision is rejected like a failed one, until a new commit or a
//! retry. Each value acts once.

mod support;

use claude_env_api::{Color, RolloutPhase};
use claude_env_rollout::*;
use support::*;

fn aborting(mut o: Observations, value: &str) -> Observations {
    o.abort = Some(value.to_string());
    o
}

fn canary_plan() -> Plan {
    canary(&[Step::SetWeight(25), Step::Pause(None)])
}

/// A canary of NEW at 25%, waiting for its pods.
fn canary_in_flight(plan: &Plan) -> RolloutState {
    let d = step(plan, &stable_on_old(), &obs(0, NEW));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
    d.state
}

fn recorded_abort(d: &Decision) -> bool {
    rolled_back_for(d, FailureReason::Aborted)
}

#[test]
fn aborting_a_canary_returns_to_stable_and_rejects_the_revision() {
    let plan = canary_plan();
    let s = canary_in_flight(&plan);
    let d = step(&plan, &s, &aborting(obs(5, NEW), &format!("{NEW}@1")));
    assert!(has(&d, |a| *a == Action::Abort { stable: OLD.into() }));
    assert!(recorded_abort(&d));
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            result: RolloutResult::RolledBack,
            ..
        }
    )));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert_eq!(d.state.stage, Stage::Idle);
    assert!(msg(&d).contains("aborted on request"), "{}", msg(&d));
    // The branch still points at NEW: it is held, not rolled out again.
    let held = step(
        &plan,
        &d.state,
        &aborting(obs(10, NEW), &format!("{NEW}@1")),
    );
    assert!(!has(&held, |a| matches!(a, Action::SetCanary { .. })));
    assert_eq!(held.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn a_seven_character_abbreviation_names_the_revision() {
    let plan = canary_plan();
    let s = canary_in_flight(&plan);
    let d = step(&plan, &s, &aborting(obs(5, NEW), &NEW[..7]));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn an_abort_naming_another_revision_is_spent_without_effect() {
    let plan = canary_plan();
    let s = canary_in_flight(&plan);
    let d = step(&plan, &s, &aborting(obs(5, NEW), NEWER));
    assert!(!recorded_abort(&d));
    assert_eq!(d.state.revision.as_deref(), Some(NEW));
    assert!(d.state.stage.in_flight());
    // NEWER arrives later, with the old value still on the object: it is not aborted.
    let later = step(&plan, &d.state, &aborting(obs(10, NEWER), NEWER));
    assert!(!recorded_abort(&later));
    assert_eq!(later.state.revision.as_deref(), Some(NEWER));
    assert!(later.state.stage.in_flight());
}

#[test]
fn an_abort_with_nothing_in_flight_does_nothing_now_or_later() {
    let plan = immediate();
    let d = step(&plan, &stable_on_old(), &aborting(obs(0, OLD), NEW));
    assert!(d.actions.is_empty(), "{:?}", d.actions);
    // NEW's rollout starts later; the value seen before does not abort it.
    let d = step(&plan, &d.state, &aborting(obs(5, NEW), NEW));
    assert!(has(&d, |a| matches!(a, Action::ApplyAll { .. })));
    assert!(!recorded_abort(&d));
}

#[test]
fn a_retry_after_an_abort_rolls_the_revision_out_again_and_the_old_abort_stays_spent() {
    let plan = canary_plan();
    let s = canary_in_flight(&plan);
    let value = format!("{NEW}@1");
    let aborted = step(&plan, &s, &aborting(obs(5, NEW), &value)).state;
    let mut o = aborting(obs(10, NEW), &value);
    o.retry = Some(format!("{NEW}@2"));
    let d = step(&plan, &aborted, &o);
    assert_eq!(set_canary_weight(&d), Some(25), "{:?}", d.actions);
    assert_eq!(d.state.failed_revision, None);
    assert!(!recorded_abort(&d));
    // A new abort value aborts the retried rollout.
    let d = step(
        &plan,
        &d.state,
        &aborting(obs(15, NEW), &format!("{NEW}@3")),
    );
    assert!(recorded_abort(&d));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}

#[test]
fn aborting_a_first_deploy_fails_it_with_nothing_to_restore() {
    let plan = immediate();
    let s = step(&plan, &RolloutState::default(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &aborting(obs(5, NEW), NEW));
    assert_eq!(d.state.phase, RolloutPhase::Failed);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert!(!has(&d, |a| matches!(a, Action::RestoreStable { .. })));
}

#[test]
fn aborting_an_immediate_rollout_restores_the_stable_revision() {
    let plan = with_check(immediate(), "errors", 3, 0);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &aborting(obs(5, NEW), NEW));
    assert!(has(&d, |a| *a
        == Action::RestoreStable {
            revision: OLD.into()
        }));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
}

#[test]
fn aborting_a_revision_waiting_for_approval_applies_nothing() {
    let plan = approval_required(immediate());
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    assert_eq!(s.stage, Stage::AwaitingApproval);
    let d = step(&plan, &s, &aborting(obs(5, NEW), NEW));
    assert!(!has(&d, |a| matches!(
        a,
        Action::ApplyAll { .. } | Action::RestoreStable { .. }
    )));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert!(
        msg(&d).contains("rolled back to aaaaaaa00000"),
        "{}",
        msg(&d)
    );
}

#[test]
fn aborting_a_blue_green_preview_scales_the_preview_down() {
    let plan = blue_green(true, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &aborting(obs(5, NEW), NEW));
    assert!(has(&d, |a| *a
        == Action::ScaleDownColor {
            color: Color::Green
        }));
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
    assert_eq!(d.state.active_color, Some(Color::Blue));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
}
