//! Readiness of the Deployments that run a new revision: Available, still rolling, or
//! failed. Failures are decided as soon as they are seen (a crash loop fails now, not when
//! the timeout ends — Flux users wait out whole timeouts for this).

use std::collections::BTreeMap;
use std::time::Duration;

use claude_env_api::Color;
use jiff::Timestamp;

use crate::action::FailureReason;
use crate::observe::{Readiness, Role};

/// One Deployment that must run `replicas` available pods of the new revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub server: String,
    pub role: Role,
    pub replicas: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Ready {
    Ready,
    Waiting(String),
    Failed(FailureReason, String),
}

/// Expectations for every server in `servers` with `role` at `replicas(total)`.
pub fn expect_all(
    servers: &BTreeMap<String, u32>,
    role: Role,
    replicas: impl Fn(u32) -> u32,
) -> Vec<Expect> {
    servers
        .iter()
        .map(|(server, n)| Expect {
            server: server.clone(),
            role,
            replicas: replicas(*n),
        })
        .collect()
}

pub fn role_name(server: &str, role: Role) -> String {
    match role {
        Role::Stable => format!("{server} (stable)"),
        Role::Canary => format!("{server} (canary)"),
        Role::Color(Color::Blue) => format!("{server} (blue)"),
        Role::Color(Color::Green) => format!("{server} (green)"),
    }
}

/// When the progress deadline of one verification runs from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Deadline {
    /// Start of the verification.
    pub started: Timestamp,
    /// When the deadline last restarted: when the Deployment controller had first observed
    /// every new spec, or when the rollout last made [`progress`] since (`None`: not
    /// observed yet).
    pub progressed: Option<Timestamp>,
    /// The progress deadline.
    pub limit: Duration,
}

impl Deadline {
    /// No deadline (a rollback restoring the stable revision is timed, never failed).
    pub fn none(started: Timestamp) -> Deadline {
        Deadline {
            started,
            progressed: Some(started),
            limit: Duration::MAX,
        }
    }

    /// How long a new spec may wait for the Deployment controller to observe it: five
    /// progress deadlines, at least 10 minutes. A busy control plane (1,000 Deployments
    /// rolling at once) works through its queue for minutes; that backlog is not the
    /// revision's fault, and rolling back would only add to it.
    pub fn unobserved_limit(&self) -> Duration {
        self.limit.saturating_mul(5).max(Duration::from_secs(600))
    }
}

/// Whether the Deployment controller has observed the new spec of every expectation (the
/// progress deadline runs from then, as the Deployment's own does).
pub fn observed(expect: &[Expect], live: &BTreeMap<(String, Role), Readiness>) -> bool {
    expect.iter().filter(|e| e.replicas > 0).all(|e| {
        live.get(&(e.server.clone(), e.role))
            .is_some_and(|r| spec_observed(r, e.replicas))
    })
}

/// How far the rollout to the new specs has come, as one number that grows with each step
/// the Deployment controller takes: a new pod created, a pod becoming Available, an old
/// pod gone (the steps that restart a Deployment's own `progressDeadlineSeconds`). An old
/// pod weighs twice, as its removal also takes one from the Available count. A pod that
/// goes unavailable and comes back only returns to an earlier value: callers keep the best
/// value, so a flapping pod is no progress. Deployments whose new spec is not observed
/// count nothing.
pub fn progress(expect: &[Expect], live: &BTreeMap<(String, Role), Readiness>) -> i64 {
    expect
        .iter()
        .filter(|e| e.replicas > 0)
        .filter_map(|e| {
            live.get(&(e.server.clone(), e.role))
                .filter(|r| spec_observed(r, e.replicas))
        })
        .map(|r| {
            let old = i64::from(r.total.saturating_sub(r.updated));
            i64::from(r.updated) + i64::from(r.available) - 2 * old
        })
        .sum()
}

/// Whether the Deployment's status is about the spec that wants `want` replicas: its
/// controller has observed the newest generation, and the cache is past the replica count
/// of an earlier step.
fn spec_observed(r: &Readiness, want: u32) -> bool {
    r.current && r.replicas == want
}

/// Whether every expectation holds. The progress deadline runs from when the Deployment
/// controller had observed every new spec or the rollout last progressed
/// (`deadline.progressed`), and only until the pods were first ready (`was_ready`): a pod
/// restarting later is a crash (caught by `crash_looping`) or a blip, not a missed
/// deadline. A spec not observed yet fails only after [`Deadline::unobserved_limit`].
pub fn evaluate(
    expect: &[Expect],
    live: &BTreeMap<(String, Role), Readiness>,
    now: Timestamp,
    deadline: Deadline,
    was_ready: bool,
) -> Ready {
    let mut waiting = None;
    for e in expect.iter().filter(|e| e.replicas > 0) {
        let name = role_name(&e.server, e.role);
        let Some(r) = live.get(&(e.server.clone(), e.role)) else {
            waiting.get_or_insert_with(|| format!("{name}: not observed yet"));
            continue;
        };
        if r.crash_looping {
            return Ready::Failed(
                FailureReason::CrashLoop,
                format!("{name}: pods crash-looping or failed"),
            );
        }
        if r.deadline_exceeded && r.current {
            return Ready::Failed(
                FailureReason::ProgressDeadline,
                format!("{name}: progress deadline exceeded"),
            );
        }
        if let Some(why) = not_ready(r, e.replicas) {
            waiting.get_or_insert_with(|| format!("{name}: {why}"));
        }
    }
    let Some(why) = waiting else {
        return Ready::Ready;
    };
    if was_ready {
        return Ready::Waiting(why);
    }
    match deadline.progressed {
        Some(at) if elapsed(at, now) >= deadline.limit => Ready::Failed(
            FailureReason::ProgressDeadline,
            format!(
                "not Available, and no progress within the progress deadline ({}s): {why}",
                deadline.limit.as_secs()
            ),
        ),
        None if elapsed(deadline.started, now) >= deadline.unobserved_limit() => Ready::Failed(
            FailureReason::ProgressDeadline,
            format!(
                "the new spec was not observed by the Deployment controller within {}s: {why}",
                deadline.unobserved_limit().as_secs()
            ),
        ),
        _ => Ready::Waiting(why),
    }
}

fn not_ready(r: &Readiness, want: u32) -> Option<String> {
    if !spec_observed(r, want) {
        return Some("new spec not observed yet".into());
    }
    if r.updated < want {
        return Some(format!("{} of {want} updated", r.updated));
    }
    if r.total > r.updated {
        return Some(format!("{} old pods terminating", r.total - r.updated));
    }
    if r.available < want {
        return Some(format!("{} of {want} available", r.available));
    }
    None
}

/// Time from `a` to `b` (zero if `b` is earlier: clocks of restarted controllers differ).
pub fn elapsed(a: Timestamp, b: Timestamp) -> Duration {
    let ns = b.as_nanosecond() - a.as_nanosecond();
    Duration::from_nanos(ns.max(0) as u64)
}

/// `t + d`.
pub fn after(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add(jiff::SignedDuration::try_from(d).unwrap_or(jiff::SignedDuration::MAX))
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn ready(n: u32) -> Readiness {
        Readiness {
            replicas: n,
            updated: n,
            available: n,
            total: n,
            current: true,
            ..Readiness::default()
        }
    }

    fn one(role: Role, n: u32) -> Vec<Expect> {
        vec![Expect {
            server: "ctx".into(),
            role,
            replicas: n,
        }]
    }

    fn live(role: Role, r: Readiness) -> BTreeMap<(String, Role), Readiness> {
        BTreeMap::from([(("ctx".to_string(), role), r)])
    }

    const DEADLINE: Duration = Duration::from_secs(60);

    /// The new specs observed at `secs`.
    fn since(secs: i64) -> Deadline {
        Deadline {
            started: t(0),
            progressed: Some(t(secs)),
            limit: DEADLINE,
        }
    }

    #[test]
    fn all_available_is_ready() {
        let r = evaluate(
            &one(Role::Canary, 2),
            &live(Role::Canary, ready(2)),
            t(1),
            since(0),
            false,
        );
        assert_eq!(r, Ready::Ready);
    }

    #[test]
    fn zero_replicas_need_no_observation() {
        let r = evaluate(
            &one(Role::Canary, 0),
            &BTreeMap::new(),
            t(1),
            since(0),
            false,
        );
        assert_eq!(r, Ready::Ready);
    }

    #[test]
    fn unobserved_is_waiting() {
        let r = evaluate(
            &one(Role::Canary, 1),
            &BTreeMap::new(),
            t(1),
            since(0),
            false,
        );
        assert!(matches!(r, Ready::Waiting(m) if m.contains("not observed")));
    }

    #[test]
    fn stale_replica_count_is_waiting() {
        // The cache still shows the previous step's 1 replica.
        let r = evaluate(
            &one(Role::Canary, 2),
            &live(Role::Canary, ready(1)),
            t(1),
            since(0),
            false,
        );
        assert!(matches!(r, Ready::Waiting(_)));
    }

    #[test]
    fn unavailable_pods_are_waiting() {
        let mut r = ready(2);
        r.available = 1;
        let got = evaluate(
            &one(Role::Canary, 2),
            &live(Role::Canary, r),
            t(1),
            since(0),
            false,
        );
        assert!(matches!(got, Ready::Waiting(m) if m.contains("1 of 2 available")));
    }

    #[test]
    fn crash_loop_fails_at_once() {
        let mut r = ready(2);
        r.available = 0;
        r.crash_looping = true;
        let got = evaluate(
            &one(Role::Canary, 2),
            &live(Role::Canary, r),
            t(1),
            since(0),
            false,
        );
        assert!(matches!(got, Ready::Failed(FailureReason::CrashLoop, _)));
    }

    #[test]
    fn deadline_condition_fails() {
        let mut r = ready(2);
        r.available = 0;
        r.deadline_exceeded = true;
        let got = evaluate(
            &one(Role::Stable, 2),
            &live(Role::Stable, r),
            t(1),
            since(0),
            false,
        );
        assert!(matches!(
            got,
            Ready::Failed(FailureReason::ProgressDeadline, _)
        ));
    }

    #[test]
    fn own_deadline_fails_when_the_condition_never_comes() {
        let mut r = ready(2);
        r.available = 0;
        let got = evaluate(
            &one(Role::Stable, 2),
            &live(Role::Stable, r),
            t(60),
            since(0),
            false,
        );
        assert!(matches!(
            got,
            Ready::Failed(FailureReason::ProgressDeadline, _)
        ));
    }

    #[test]
    fn deadline_does_not_apply_after_first_ready() {
        let mut r = ready(2);
        r.available = 1;
        let got = evaluate(
            &one(Role::Stable, 2),
            &live(Role::Stable, r),
            t(600),
            since(0),
            true,
        );
        assert!(matches!(got, Ready::Waiting(_)));
    }

    fn unobserved(n: u32) -> Readiness {
        Readiness {
            current: false,
            ..ready(n)
        }
    }

    #[test]
    fn observed_means_every_new_spec_seen_by_the_deployment_controller() {
        let expect = one(Role::Stable, 2);
        assert!(observed(&expect, &live(Role::Stable, ready(2))));
        assert!(!observed(&expect, &live(Role::Stable, unobserved(2))));
        assert!(
            !observed(&expect, &live(Role::Stable, ready(1))),
            "old replica count"
        );
        assert!(!observed(&expect, &BTreeMap::new()));
        assert!(observed(&one(Role::Stable, 0), &BTreeMap::new()));
    }

    #[test]
    fn a_backlogged_control_plane_is_not_a_missed_deadline() {
        // Five deadlines without the Deployment controller observing the spec: waiting.
        let d = Deadline {
            started: t(0),
            progressed: None,
            limit: DEADLINE,
        };
        assert_eq!(d.unobserved_limit(), Duration::from_secs(600));
        let live = live(Role::Stable, unobserved(2));
        let got = evaluate(&one(Role::Stable, 2), &live, t(599), d, false);
        assert!(matches!(got, Ready::Waiting(m) if m.contains("new spec not observed yet")));
        // Then it fails, saying why.
        let got = evaluate(&one(Role::Stable, 2), &live, t(600), d, false);
        assert!(matches!(
            got,
            Ready::Failed(FailureReason::ProgressDeadline, m)
                if m.contains("not observed by the Deployment controller within 600s")
        ));
    }

    #[test]
    fn the_deadline_runs_from_the_observation() {
        let mut r = ready(2);
        r.available = 0;
        let expect = one(Role::Stable, 2);
        // Observed at 100 s: at 150 s (150 s after the start) the deadline has 10 s left.
        let got = evaluate(&expect, &live(Role::Stable, r), t(150), since(100), false);
        assert!(matches!(got, Ready::Waiting(_)));
        let got = evaluate(&expect, &live(Role::Stable, r), t(160), since(100), false);
        assert!(matches!(
            got,
            Ready::Failed(FailureReason::ProgressDeadline, m)
                if m.starts_with("not Available, and no progress within the progress deadline (60s)")
        ));
    }

    #[test]
    fn progress_counts_new_pods_up_and_old_pods_gone() {
        let expect = one(Role::Stable, 2);
        let at = |updated, available, total| {
            progress(
                &expect,
                &live(
                    Role::Stable,
                    Readiness {
                        updated,
                        available,
                        total,
                        ..ready(2)
                    },
                ),
            )
        };
        // Two old pods; then a new pod created, Available, an old pod gone, ...
        let steps = [
            at(0, 2, 2),
            at(1, 2, 3),
            at(1, 3, 3),
            at(1, 2, 2),
            at(2, 2, 3),
            at(2, 3, 3),
            at(2, 2, 2),
        ];
        assert!(steps.windows(2).all(|w| w[1] > w[0]), "{steps:?}");
        // A new pod going unavailable is a step back, not progress.
        assert!(at(2, 1, 2) < at(2, 2, 2));
        // Nothing counts before the Deployment controller has observed the new spec.
        assert_eq!(progress(&expect, &live(Role::Stable, unobserved(2))), 0);
        assert_eq!(progress(&expect, &BTreeMap::new()), 0);
    }
}
