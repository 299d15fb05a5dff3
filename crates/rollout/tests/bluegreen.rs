//! Blue-green: preview, switch, keep the old colour, flip back on failure.

mod support;

use claude_env_api::{Color, RolloutPhase};
use claude_env_rollout::*;
use support::*;

fn preview_ready(now: i64) -> Observations {
    obs(now, NEW)
        .with(Role::Color(Color::Green), ready(4))
        .with(Role::Color(Color::Blue), ready(4))
}

#[test]
fn the_new_revision_goes_to_the_other_colour_as_preview() {
    let d = step(&blue_green(true, 30), &stable_on_blue(), &obs(0, NEW));
    assert!(has(&d, |a| *a
        == Action::DeployColor {
            color: Color::Green,
            revision: NEW.into()
        }));
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
    assert_eq!(d.state.active_color, Some(Color::Blue));
}

#[test]
fn a_healthy_preview_switches() {
    let plan = blue_green(true, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &preview_ready(5));
    assert!(has(&d, |a| *a
        == Action::SwitchActive {
            color: Color::Green
        }));
    assert_eq!(d.state.active_color, Some(Color::Green));
    assert_eq!(d.state.phase, RolloutPhase::Promoting);
}

#[test]
fn checks_run_against_the_preview_before_the_switch() {
    let plan = with_check(blue_green(true, 30), "errors", 1, 0);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &preview_ready(5));
    assert!(has(&d, |a| matches!(
        a,
        Action::RunChecks { target: CheckTarget::Preview, checks, .. } if checks == &["errors"]
    )));
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
}

#[test]
fn an_unhealthy_preview_never_switches() {
    let plan = blue_green(true, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let d = step(
        &plan,
        &s,
        &obs(5, NEW).with(Role::Color(Color::Green), crashing(4)),
    );
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
    assert!(has(&d, |a| *a
        == Action::ScaleDownColor {
            color: Color::Green
        }));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert_eq!(d.state.active_color, Some(Color::Blue));
    assert_eq!(d.state.failed_revision.as_deref(), Some(NEW));
    assert!(msg(&d).contains("on the Green preview"), "{}", msg(&d));
}

#[test]
fn without_auto_promotion_the_switch_waits_for_approval() {
    let plan = blue_green(false, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let d = step(&plan, &s, &preview_ready(5));
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
    assert_eq!(d.state.phase, RolloutPhase::Paused);
    let d = step(&plan, &d.state, &preview_ready(9).approve(NEWER));
    assert!(!has(&d, |a| matches!(a, Action::SwitchActive { .. })));
    let d = step(&plan, &d.state, &preview_ready(10).approve(NEW));
    assert!(has(&d, |a| *a
        == Action::SwitchActive {
            color: Color::Green
        }));
}

#[test]
fn the_old_colour_is_kept_for_the_scale_down_delay() {
    let plan = blue_green(true, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let switched = step(&plan, &s, &preview_ready(5)).state;
    let d = step(&plan, &switched, &preview_ready(20));
    assert!(!has(&d, |a| matches!(a, Action::ScaleDownColor { .. })));
    assert_eq!(d.requeue_after, Some(secs(15)));
    let d = step(&plan, &d.state, &preview_ready(35));
    assert!(has(&d, |a| *a == Action::ScaleDownColor { color: Color::Blue }));
    assert_eq!(d.state.phase, RolloutPhase::Succeeded);
    assert_eq!(d.state.stable.as_deref(), Some(NEW));
    assert_eq!(d.state.active_color, Some(Color::Green));
}

#[test]
fn a_failure_after_the_switch_flips_back() {
    let plan = with_check(blue_green(true, 30), "errors", 1, 0);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &preview_ready(5)).state;
    let s = step(
        &plan,
        &s,
        &preview_ready(10).result("errors", NEW, Outcome::Pass, 6),
    )
    .state;
    assert_eq!(s.active_color, Some(Color::Green));
    let d = step(
        &plan,
        &s,
        &preview_ready(15).result("errors", NEW, Outcome::Fail, 12),
    );
    assert_eq!(
        d.actions
            .iter()
            .filter(|a| matches!(
                a,
                Action::SwitchActive { .. } | Action::ScaleDownColor { .. }
            ))
            .collect::<Vec<_>>(),
        vec![
            &Action::SwitchActive { color: Color::Blue },
            &Action::ScaleDownColor {
                color: Color::Green
            }
        ]
    );
    assert_eq!(d.state.active_color, Some(Color::Blue));
    assert_eq!(d.state.phase, RolloutPhase::RolledBack);
    assert!(msg(&d).contains("after the switch to Green"), "{}", msg(&d));
    // The old colour never stopped: the rollback completes at the next look.
    let d = step(&plan, &d.state, &preview_ready(16));
    assert!(has(
        &d,
        |a| matches!(a, Action::RecordRollbackDuration { duration, .. } if *duration == secs(1))
    ));
}

#[test]
fn first_blue_green_deploy_uses_blue_and_fails_without_restore() {
    let plan = blue_green(true, 30);
    let d = step(&plan, &RolloutState::default(), &obs(0, NEW));
    assert!(has(&d, |a| matches!(
        a,
        Action::DeployColor {
            color: Color::Blue,
            ..
        }
    )));
    let d = step(
        &plan,
        &d.state,
        &obs(5, NEW).with(Role::Color(Color::Blue), crashing(4)),
    );
    assert_eq!(d.state.phase, RolloutPhase::Failed);
}

#[test]
fn a_new_revision_after_the_switch_flips_back_then_previews_it() {
    let plan = blue_green(true, 30);
    let s = step(&plan, &stable_on_blue(), &obs(0, NEW)).state;
    let s = step(&plan, &s, &preview_ready(5)).state;
    let d = step(&plan, &s, &obs(10, NEWER));
    let order: Vec<&Action> = d
        .actions
        .iter()
        .filter(|a| matches!(a, Action::SwitchActive { .. } | Action::DeployColor { .. }))
        .collect();
    assert_eq!(
        order,
        vec![
            &Action::SwitchActive { color: Color::Blue },
            &Action::DeployColor {
                color: Color::Green,
                revision: NEWER.into()
            }
        ]
    );
}
