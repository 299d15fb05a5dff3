//! Canary: weighted steps, pauses, promotion, abort.

mod support;

use claude_env_api::RolloutPhase;
use claude_env_rollout::*;
use support::*;

fn steps() -> Vec<Step> {
    vec![
        Step::SetWeight(25),
        Step::Pause(None),
        Step::SetWeight(50),
        Step::Pause(Some(secs(60))),
        Step::SetWeight(75),
    ]
}

fn plan() -> Plan {
    canary(&steps())
}

fn canary_ready(now: i64, weight: u32) -> Observations {
    let split = canary_split(4, weight);
    obs(now, NEW)
        .with(Role::Canary, ready(split.canary))
        .with(Role::Stable, ready(split.stable))
}

/// Runs the canary until step `target` is entered (approving pauses, waiting out timers).
fn at_step(plan: &Plan, target: usize) -> (RolloutState, i64) {
    let mut s = step(plan, &stable_on_old(), &obs(0, NEW)).state;
    let mut now = 0;
    let mut approvals = 0;
    while step_of(&s) != Some(target) {
        now += 100;
        let mut o = canary_ready(now, weight_of(&s).unwrap_or(0));
        // Approve only a pause already waiting, so no gate is passed on the way in.
        if s.phase == RolloutPhase::Paused {
            approvals += 1;
            o = o.approve(&format!("{NEW}@{approvals}"));
        }
        s = step(plan, &s, &o).state;
        assert!(now < 10_000, "never reached step {target}: {s:?}");
    }
    (s, now)
}

#[test]
fn start_sets_the_first_weight_as_a_replica_split() {
    let d = step(&plan(), &stable_on_old(), &obs(0, NEW));
    let Some(Action::SetCanary {
        revision,
        weight,
        splits,
    }) = d
        .actions
        .iter()
        .find(|a| matches!(a, Action::SetCanary { .. }))
    else {
        panic!("no SetCanary in {:?}", d.actions);
    };
    assert_eq!(revision, NEW);
    assert_eq!(*weight, 25);
    assert_eq!(splits[0].server, "ctx");
    assert_eq!(splits[0].split, split(3, 1));
    assert_eq!(step_of(&d.state), Some(0));
    assert_eq!(d.status().weight, Some(25));
    assert_eq!(d.state.phase, RolloutPhase::Progressing);
}

#[test]
fn a_step_waits_for_its_canary_pods() {
    let s = step(&plan(), &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan(), &s, &obs(5, NEW).with(Role::Canary, ready(0)));
    assert_eq!(step_of(&d.state), Some(0));
    assert!(msg(&d).contains("canary"));
}

#[test]
fn ready_canary_advances_into_a_pause_that_waits_for_approval() {
    let s = step(&plan(), &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan(), &s, &canary_ready(5, 25));
    assert_eq!(step_of(&d.state), Some(1));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert!(msg(&d).contains("approval"), "{}", msg(&d));
    assert_eq!(
        d.requeue_after, None,
        "a human wait is woken by the annotation"
    );
}

#[test]
fn approval_of_the_revision_continues_to_the_next_weight() {
    let (s, now) = at_step(&plan(), 1);
    let d = step(&plan(), &s, &canary_ready(now + 5, 25).approve(NEW));
    assert_eq!(step_of(&d.state), Some(2));
    assert_eq!(set_canary_weight(&d), Some(50));
    assert!(has(&d, |a| matches!(
        a,
        Action::SetCanary { splits, .. } if splits[0].split == split(2, 2)
    )));
}

#[test]
fn approval_of_another_revision_does_not_continue() {
    let (s, now) = at_step(&plan(), 1);
    let d = step(&plan(), &s, &canary_ready(now + 5, 25).approve(OLD));
    assert_eq!(step_of(&d.state), Some(1));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert_eq!(set_canary_weight(&d), None);
}

#[test]
fn an_approval_opens_one_pause_only() {
    let plan = canary(&[Step::Pause(None), Step::Pause(None), Step::SetWeight(50)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &canary_ready(5, 0).approve(NEW));
    assert_eq!(step_of(&d.state), Some(1));
    let d = step(&plan, &d.state, &canary_ready(10, 0).approve(NEW));
    assert_eq!(
        step_of(&d.state),
        Some(1),
        "the same value again is not a new approval"
    );
    assert!(msg(&d).contains("earlier gate"));
    let d = step(
        &plan,
        &d.state,
        &canary_ready(15, 0).approve(&format!("{NEW}@2")),
    );
    assert_eq!(step_of(&d.state), Some(2));
}

#[test]
fn a_timed_pause_waits_its_duration() {
    let (s, now) = at_step(&plan(), 3);
    let d = step(&plan(), &s, &canary_ready(now + 30, 50));
    assert_eq!(step_of(&d.state), Some(3));
    assert_eq!(d.requeue_after, Some(secs(30)));
    let d = step(&plan(), &d.state, &canary_ready(now + 60, 50));
    assert_eq!(step_of(&d.state), Some(4));
    assert_eq!(set_canary_weight(&d), Some(75));
}

#[test]
fn after_the_last_step_the_new_spec_is_promoted_then_succeeds() {
    let (s, now) = at_step(&plan(), 4);
    let d = step(&plan(), &s, &canary_ready(now + 5, 75));
    assert!(has(
        &d,
        |a| matches!(a, Action::Promote { revision } if revision == NEW)
    ));
    assert_eq!(d.state.phase, RolloutPhase::Promoting);
    let d = step(
        &plan(),
        &d.state,
        &obs(now + 10, NEW).with(Role::Stable, ready(4)),
    );
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.stable.as_deref(), Some(NEW));
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollout {
            strategy: claude_env_api::StrategyType::Canary,
            result: RolloutResult::Success
        }
    )));
}

#[test]
fn approval_required_gates_promotion_with_its_own_approval() {
    let plan = approval_required(canary(&[Step::Pause(None), Step::SetWeight(50)]));
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &canary_ready(5, 0).approve(NEW)).state;
    assert_eq!(step_of(&s), Some(1));
    let d = step(&plan, &s, &canary_ready(10, 50).approve(NEW));
    assert_eq!(step_of(&d.state), Some(2), "all steps done");
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    assert!(!has(&d, |a| matches!(a, Action::Promote { .. })));
    let d = step(
        &plan,
        &d.state,
        &canary_ready(15, 50).approve(&format!("{NEW}@p")),
    );
    assert!(has(&d, |a| matches!(a, Action::Promote { .. })));
}

#[test]
fn crash_looping_canary_aborts_without_touching_stable() {
    let s = step(&plan(), &stable_on_old(), &obs(0, NEW)).state;
    let d = step(
        &plan(),
        &s,
        &obs(5, NEW)
            .with(Role::Canary, crashing(1))
            .with(Role::Stable, ready(3)),
    );
    assert_eq!(
        d.actions
            .iter()
            .filter(|a| matches!(
                a,
                Action::Abort { .. }
                    | Action::ApplyAll { .. }
                    | Action::Promote { .. }
                    | Action::RestoreStable { .. }
                    | Action::SetCanary { .. }
            ))
            .collect::<Vec<_>>(),
        vec![&Action::Abort { stable: OLD.into() }]
    );
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert_eq!(d.state.stable.as_deref(), Some(OLD));
    assert!(msg(&d).contains("crash"), "{}", msg(&d));
}

#[test]
fn a_crash_during_a_pause_aborts_too() {
    let (s, now) = at_step(&plan(), 1);
    let d = step(
        &plan(),
        &s,
        &obs(now + 5, NEW).with(Role::Canary, crashing(1)),
    );
    assert!(has(&d, |a| matches!(a, Action::Abort { .. })));
}

#[test]
fn the_rollback_duration_runs_until_stable_is_available_again() {
    let s = step(&plan(), &stable_on_old(), &obs(0, NEW)).state;
    let failed = step(&plan(), &s, &obs(5, NEW).with(Role::Canary, crashing(1))).state;
    let mut scaling = ready(4);
    scaling.available = 3;
    let d = step(&plan(), &failed, &obs(8, NEW).with(Role::Stable, scaling));
    assert!(!has(&d, |a| matches!(
        a,
        Action::RecordRollbackDuration { .. }
    )));
    let d = step(
        &plan(),
        &d.state,
        &obs(12, NEW).with(Role::Stable, ready(4)),
    );
    assert!(has(&d, |a| matches!(
        a,
        Action::RecordRollbackDuration { reason: FailureReason::CrashLoop, duration, .. }
            if *duration == secs(7)
    )));
    assert_eq!(d.state.restoring, None);
}

#[test]
fn a_failure_while_promoting_restores_the_stable_spec() {
    let plan = canary(&[Step::SetWeight(50)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &canary_ready(5, 50)).state;
    assert!(matches!(s.stage, Stage::Promoting { .. }));
    let d = step(&plan, &s, &obs(10, NEW).with(Role::Stable, crashing(4)));
    assert!(has(
        &d,
        |a| matches!(a, Action::RestoreStable { revision } if revision == OLD)
    ));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
}

#[test]
fn first_deploy_has_nothing_to_split_and_applies_at_once() {
    let d = step(&plan(), &RolloutState::default(), &obs(0, NEW));
    assert!(has(
        &d,
        |a| matches!(a, Action::ApplyAll { revision } if revision == NEW)
    ));
    assert!(!has(&d, |a| matches!(a, Action::SetCanary { .. })));
}

#[test]
fn a_first_pause_creates_the_canary_at_zero() {
    let plan = canary(&[Step::Pause(None), Step::SetWeight(50)]);
    let d = step(&plan, &stable_on_old(), &obs(0, NEW));
    assert_eq!(set_canary_weight(&d), Some(0));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
}

#[test]
fn weight_zero_and_hundred_steps_work() {
    let plan = canary(&[Step::SetWeight(0), Step::SetWeight(100)]);
    let s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &canary_ready(5, 0));
    assert!(has(&d, |a| matches!(
        a,
        Action::SetCanary { weight: 100, splits, .. } if splits[0].split == split(0, 4)
    )));
}

#[test]
fn a_restarted_controller_resumes_at_the_same_step() {
    let (s, now) = at_step(&plan(), 2);
    let status = s.to_status();
    assert_eq!(status.step, Some(2));
    assert_eq!(status.weight, Some(50));
    let json = serde_json::to_string(&status).unwrap();
    let resumed = RolloutState::from_status(Some(&serde_json::from_str(&json).unwrap()));
    let d = step(&plan(), &resumed, &obs(now + 1, NEW));
    assert_eq!(step_of(&d.state), Some(2));
    assert_eq!(
        set_canary_weight(&d),
        None,
        "nothing re-applied for earlier steps"
    );
    assert!(!has(&d, |a| matches!(a, Action::RecordRollout { .. })));
}
