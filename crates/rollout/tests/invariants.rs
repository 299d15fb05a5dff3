//! Properties over random sequences of observations: whatever happens, stable is never
//! touched by an abort, weights follow the steps, and approvals of other revisions never
//! open a gate.

mod support;

use claude_env_api::RolloutPhase;
use claude_env_rollout::*;
use proptest::prelude::*;
use support::*;

#[derive(Clone, Debug)]
enum Event {
    Ready,
    Rolling,
    Crash,
    Result(Outcome),
    Approve(bool),
    Wait(u16),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        4 => Just(Event::Ready),
        1 => Just(Event::Rolling),
        1 => Just(Event::Crash),
        2 => prop_oneof![
            Just(Outcome::Pass),
            Just(Outcome::Fail),
            Just(Outcome::Inconclusive),
            Just(Outcome::Error)
        ]
        .prop_map(Event::Result),
        2 => any::<bool>().prop_map(Event::Approve),
        2 => (1u16..400).prop_map(Event::Wait),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            (0u32..=100).prop_map(Step::SetWeight),
            Just(Step::Pause(None)),
            (1u64..120).prop_map(|s| Step::Pause(Some(secs(s)))),
        ],
        1..6,
    )
}

/// Observations for `event` at `now`, with every role at the replicas the state expects.
fn observe(e: &Event, s: &RolloutState, now: i64, n: &mut u32) -> Observations {
    let w = weight_of(s).unwrap_or(0);
    let sp = canary_split(4, w);
    let mut o = obs(now, NEW);
    let (canary, stable) = match e {
        Event::Crash => (crashing(sp.canary), ready(sp.stable)),
        Event::Rolling => (
            Readiness {
                available: 0,
                ..ready(sp.canary)
            },
            ready(sp.stable),
        ),
        _ => (
            ready(sp.canary),
            ready(if matches!(s.stage, Stage::Promoting { .. }) {
                4
            } else {
                sp.stable
            }),
        ),
    };
    o = o.with(Role::Canary, canary).with(Role::Stable, stable);
    match e {
        Event::Result(outcome) => o = o.result("errors", NEW, *outcome, now),
        Event::Approve(right) => {
            *n += 1;
            let rev = if *right { NEW } else { NEWER };
            o = o.approve(&format!("{rev}@{n}"));
        }
        _ => {}
    }
    o
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn canary_invariants_hold(
        steps in steps(),
        events in prop::collection::vec(event(), 1..40),
        with_checks in any::<bool>(),
    ) {
        let mut plan = canary(&steps);
        if with_checks {
            plan = with_check(plan, "errors", 2, 1);
        }
        let mut s = stable_on_old();
        let mut now = 0i64;
        let mut nonce = 0;
        let first = step(&plan, &s, &obs(now, NEW));
        s = first.state;
        let mut decisions = vec![first.actions];
        for e in &events {
            now += match e { Event::Wait(d) => i64::from(*d), _ => 5 };
            let before = s.clone();
            let o = observe(e, &s, now, &mut nonce);
            let d = step(&plan, &s, &o);
            for a in &d.actions {
                match a {
                    // Abort never carries anything but the stable revision.
                    Action::Abort { stable } => prop_assert_eq!(Some(stable), before.stable.as_ref()),
                    // A weight is only ever the current step's.
                    Action::SetCanary { weight, .. } => {
                        let at = step_of(&d.state).unwrap();
                        prop_assert_eq!(steps[..=at].iter().rev().find_map(|s| match s {
                            Step::SetWeight(w) => Some(*w),
                            _ => None,
                        }).unwrap_or(0), *weight);
                    }
                    // Stable's spec only changes by promotion of the verified revision.
                    Action::ApplyAll { .. } | Action::RestoreStable { .. } => {
                        prop_assert!(false, "canary with a stable revision applied everything: {a:?}");
                    }
                    _ => {}
                }
            }
            // Promotion only after the last weight was entered (and so observed) earlier.
            if d.actions.iter().any(|a| matches!(a, Action::Promote { .. })) {
                let last_weight = steps.iter().rposition(|s| matches!(s, Step::SetWeight(_)));
                prop_assert!(
                    step_of(&before).is_some_and(|at| last_weight.is_none_or(|w| at >= w)),
                    "promoted from {:?}",
                    before.stage
                );
            }
            s = d.state;
            decisions.push(d.actions);
            if !s.stage.in_flight() {
                prop_assert!(matches!(s.phase, RolloutPhase::Succeeded | RolloutPhase::RolledBack));
                break;
            }
        }
    }

    #[test]
    fn approvals_of_other_revisions_never_open_a_pause(
        events in prop::collection::vec(event(), 1..40),
    ) {
        let plan = canary(&[Step::SetWeight(20), Step::Pause(None), Step::SetWeight(60)]);
        let mut s = step(&plan, &stable_on_old(), &obs(0, NEW)).state;
        let mut now = 0;
        let mut nonce = 0;
        for e in &events {
            now += 5;
            let e = match e { Event::Approve(_) => Event::Approve(false), other => other.clone() };
            let o = observe(&e, &s, now, &mut nonce);
            s = step(&plan, &s, &o).state;
            prop_assert!(step_of(&s).is_none_or(|i| i <= 1), "passed the pause: {s:?}");
            prop_assert!(!matches!(s.stage, Stage::Promoting { .. }), "promoted: {:?}", s);
        }
    }

    #[test]
    fn immediate_with_approval_never_applies_without_one(
        events in prop::collection::vec(event(), 1..30),
    ) {
        let plan = approval_required(immediate());
        let mut s = stable_on_old();
        let mut now = 0;
        let mut nonce = 0;
        for e in &events {
            now += 5;
            let e = match e { Event::Approve(_) => Event::Approve(false), other => other.clone() };
            let o = observe(&e, &s, now, &mut nonce);
            let d = step(&plan, &s, &o);
            prop_assert!(
                !d.actions.iter().any(|a| matches!(a, Action::ApplyAll { .. })),
                "applied: {:?}",
                d.actions
            );
            s = d.state;
        }
    }
}
