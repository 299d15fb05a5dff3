//! The steering requests (pure): which revision a command means, the annotation value, the
//! JSON merge patch that sets it, and when the controller has acted on it (read from the
//! rollout machine's state in status, where the controller records the values it spent).
//!
//! A merge patch of `metadata.annotations` touches only the keys it sets: other annotations,
//! labels, spec and status are left alone, and no resourceVersion is needed (steering is
//! last-writer-wins, like `kubectl annotate --overwrite`). Requests that name a person
//! (`approve`, `rollback-to`, `retry`, ...) set their actor annotation in the same patch
//! (`claude-env.io/approved-by`, ...): the caller's user name, which the admission policy
//! checks against the requesting user.

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, HistoryResult, RolloutPhase, annotations,
    condition, reason,
};
use claude_env_rollout::RolloutState;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::ClusterError;

/// `{"metadata": {"annotations": {key: value}}}`.
pub(crate) fn annotation(key: &str, value: &str) -> Value {
    json!({ "metadata": { "annotations": { key: value } } })
}

/// RFC 3339 in UTC to the millisecond: distinct for two requests a moment apart.
pub(crate) fn timestamp(now: Timestamp) -> String {
    now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A request: the annotation and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub key: &'static str,
    pub value: String,
}

impl Request {
    /// The patch without an actor (for requests that name nobody, like `reconcile`).
    pub(crate) fn patch(&self) -> Value {
        self.patch_by(None)
    }

    /// The annotation this request's actor goes in, if it names one.
    pub(crate) fn actor_key(&self) -> Option<&'static str> {
        annotations::actor_of(self.key)
    }

    /// The patch, with `actor` in the actor annotation when the request has one.
    pub(crate) fn patch_by(&self, actor: Option<&str>) -> Value {
        let mut patch = annotation(self.key, &self.value);
        if let (Some(key), Some(actor)) = (self.actor_key(), actor) {
            patch["metadata"]["annotations"][key] = json!(actor);
        }
        patch
    }
}

/// `claude-env.io/reconcile=<now>`: any new value makes the controller fetch and reconcile.
pub(crate) fn reconcile(now: Timestamp) -> Request {
    Request {
        key: annotations::RECONCILE,
        value: timestamp(now),
    }
}

/// The controller has handled this reconcile request.
pub(crate) fn reconcile_done(env: &ClaudeEnvironment, request: &Request) -> bool {
    status(env).last_handled_reconcile_at.as_deref() == Some(request.value.as_str())
}

/// `claude-env.io/rollback-to=<rev>@<now>`: the time makes a second rollback to the same
/// revision a new request (the controller acts on each value once).
pub(crate) fn rollback(revision: &str, now: Timestamp) -> Result<Request, ClusterError> {
    check_revision(revision)?;
    Ok(Request {
        key: annotations::ROLLBACK_TO,
        value: format!("{revision}@{}", timestamp(now)),
    })
}

/// The controller has acted on this rollback request and runs the revision: the applied
/// revision starts with `revision` when that is a (short) SHA; a tag or branch name was
/// resolved by the controller, so acting on the request is all that can be checked.
pub(crate) fn rollback_done(env: &ClaudeEnvironment, request: &Request, revision: &str) -> bool {
    let s = status(env);
    let handled = s.last_handled_rollback_to.as_deref() == Some(request.value.as_str());
    let applied = s.last_applied_revision.as_deref().unwrap_or_default();
    handled && (!looks_like_sha(revision) || applied.starts_with(&revision.to_ascii_lowercase()))
}

/// Where `rollback` without `--to` goes: the last known good revision if it is not the one
/// applied, else the newest revision in the history that succeeded and is not applied.
pub(crate) fn default_rollback_target(status: &ClaudeEnvironmentStatus) -> Option<String> {
    let applied = status.last_applied_revision.as_deref();
    let not_applied = |r: &&str| Some(*r) != applied;
    status
        .last_known_good_revision
        .as_deref()
        .filter(not_applied)
        .or_else(|| {
            status
                .history
                .iter()
                .filter(|h| h.result == HistoryResult::Succeeded)
                .map(|h| h.revision.as_str())
                .find(not_applied)
        })
        .map(str::to_string)
}

/// What `approve` sends, and what is waiting (if anything).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Approval {
    pub request: Request,
    /// The revision approved (the request's value without its nonce).
    pub revision: String,
    /// The revision the rollout is paused on, if it is.
    pub waiting: Option<String>,
}

/// The revision a paused rollout waits on.
pub(crate) fn waiting_for_approval(status: &ClaudeEnvironmentStatus) -> Option<&str> {
    let r = status.rollout.as_ref()?;
    (r.phase == RolloutPhase::Paused)
        .then_some(r.revision.as_deref())
        .flatten()
}

/// `claude-env.io/approve=<revision>@<now>`: the paused revision by default; `--revision` may
/// be a prefix of it (expanded, since the controller compares whole SHAs) or another revision
/// (approved ahead of its rollout). Nothing waiting and no `--revision`: refused. The time
/// makes each approval new: the controller spends one approval per human gate (a `pause: {}`
/// step, then `approval.required` before promotion), so approving the same revision twice
/// must be two values.
pub(crate) fn approve(
    env: &ClaudeEnvironment,
    requested: Option<&str>,
    now: Timestamp,
) -> Result<Approval, ClusterError> {
    let s = status(env);
    let waiting = waiting_for_approval(&s).map(str::to_string);
    let revision = match (requested, &waiting) {
        (Some(r), Some(w)) if !r.is_empty() && w.starts_with(r) => w.clone(),
        (Some(r), _) => {
            check_revision(r)?;
            r.to_string()
        }
        (None, Some(w)) => w.clone(),
        (None, None) => {
            return Err(ClusterError::NothingToApprove {
                namespace: env.metadata.namespace.clone().unwrap_or_default(),
                name: env.metadata.name.clone().unwrap_or_default(),
                rollout: s
                    .rollout
                    .as_ref()
                    .map_or("none".to_string(), |r| format!("{:?}", r.phase)),
            });
        }
    };
    Ok(Approval {
        request: Request {
            key: annotations::APPROVE,
            value: format!("{revision}@{}", timestamp(now)),
        },
        revision,
        waiting,
    })
}

/// The revision held for a security approval (`spec.approval.security`), if one is.
pub(crate) fn waiting_for_security_approval(status: &ClaudeEnvironmentStatus) -> Option<&str> {
    status
        .conditions
        .iter()
        .find(|c| c.type_ == condition::RECONCILING)
        .filter(|c| c.status == "True" && c.reason == reason::SECURITY_APPROVAL_REQUIRED)
        .and(status.last_attempted_revision.as_deref())
}

/// `claude-env.io/security-approve=<revision>@<now>`: the revision held for a security
/// approval by default; `--revision` as for [`approve`]. Each value acts once, so the time
/// makes each approval new.
pub(crate) fn security_approve(
    env: &ClaudeEnvironment,
    requested: Option<&str>,
    now: Timestamp,
) -> Result<Approval, ClusterError> {
    let s = status(env);
    let waiting = waiting_for_security_approval(&s).map(str::to_string);
    let revision = match (requested, &waiting) {
        (Some(r), w) => expand(r, w.as_deref())?,
        (None, Some(w)) => w.clone(),
        (None, None) => {
            return Err(ClusterError::NothingToApprove {
                namespace: env.metadata.namespace.clone().unwrap_or_default(),
                name: env.metadata.name.clone().unwrap_or_default(),
                rollout: "no revision waits for a security approval".into(),
            });
        }
    };
    Ok(Approval {
        request: Request {
            key: annotations::SECURITY_APPROVE,
            value: format!("{revision}@{}", timestamp(now)),
        },
        revision,
        waiting,
    })
}

/// The controller has let a revision through with this security approval.
pub(crate) fn security_approval_done(env: &ClaudeEnvironment, request: &Request) -> bool {
    status(env).last_handled_security_approve.as_deref() == Some(request.value.as_str())
}

/// The rollout machine's state as the controller persisted it in `status.rollout.state`.
pub(crate) fn rollout_state(env: &ClaudeEnvironment) -> RolloutState {
    RolloutState::from_status(status(env).rollout.as_ref())
}

/// The controller has spent this approval on a gate.
pub(crate) fn approval_done(env: &ClaudeEnvironment, request: &Request) -> bool {
    rollout_state(env).consumed_approval.as_deref() == Some(request.value.as_str())
}

/// `requested` expanded to `known` when it is a prefix of it (the controller compares whole
/// SHAs), else checked as a revision of its own.
fn expand(requested: &str, known: Option<&str>) -> Result<String, ClusterError> {
    match known {
        Some(k) if !requested.is_empty() && k.starts_with(requested) => Ok(k.to_string()),
        _ => {
            check_revision(requested)?;
            Ok(requested.to_string())
        }
    }
}

/// What `retry` or `abort` sends, and the revision it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Steer {
    pub request: Request,
    pub revision: String,
}

/// `claude-env.io/retry=<revision>@<now>`: the revision whose rollout failed
/// (`status.rollout.failedRevision`) by default; `--revision` may abbreviate it. Nothing failed
/// and no `--revision`: refused. The time makes each retry new (the controller acts on each
/// value once).
pub(crate) fn retry(
    env: &ClaudeEnvironment,
    requested: Option<&str>,
    now: Timestamp,
) -> Result<Steer, ClusterError> {
    let failed = rollout_state(env).failed_revision;
    let revision = match (requested, failed.as_deref()) {
        (Some(r), f) => expand(r, f)?,
        (None, Some(f)) => f.to_string(),
        (None, None) => {
            return Err(ClusterError::NothingToRetry {
                namespace: env.metadata.namespace.clone().unwrap_or_default(),
                name: env.metadata.name.clone().unwrap_or_default(),
            });
        }
    };
    Ok(Steer {
        request: Request {
            key: annotations::RETRY,
            value: format!("{revision}@{}", timestamp(now)),
        },
        revision,
    })
}

/// The controller has seen this retry (and, if it named the failed revision, started it).
pub(crate) fn retry_done(env: &ClaudeEnvironment, request: &Request) -> bool {
    rollout_state(env).handled_retry.as_deref() == Some(request.value.as_str())
}

/// `claude-env.io/abort=<revision>@<now>`: the revision whose rollout is in flight; `--revision`
/// may abbreviate it. Nothing in flight: refused (an abort of another revision would be spent
/// without effect).
pub(crate) fn abort(
    env: &ClaudeEnvironment,
    requested: Option<&str>,
    now: Timestamp,
) -> Result<Steer, ClusterError> {
    let state = rollout_state(env);
    let in_flight = state
        .stage
        .in_flight()
        .then_some(state.revision.as_deref())
        .flatten();
    let refuse = || ClusterError::NothingToAbort {
        namespace: env.metadata.namespace.clone().unwrap_or_default(),
        name: env.metadata.name.clone().unwrap_or_default(),
        rollout: format!("{:?}", state.phase),
    };
    let Some(flight) = in_flight else {
        return Err(refuse());
    };
    let revision = match requested {
        Some(r) => expand(r, Some(flight))?,
        None => flight.to_string(),
    };
    if revision != flight {
        return Err(ClusterError::NotInFlight {
            revision,
            in_flight: flight.to_string(),
        });
    }
    Ok(Steer {
        request: Request {
            key: annotations::ABORT,
            value: format!("{revision}@{}", timestamp(now)),
        },
        revision,
    })
}

/// The controller has seen this abort (and stopped the rollout it named).
pub(crate) fn abort_done(env: &ClaudeEnvironment, request: &Request) -> bool {
    rollout_state(env).handled_abort.as_deref() == Some(request.value.as_str())
}

/// `{"spec": {"suspend": on}}`: the one spec field the CLI changes.
pub(crate) fn suspend(on: bool) -> Value {
    json!({ "spec": { "suspend": on } })
}

/// A revision as an annotation value can carry it: no `@` (the nonce separator), no spaces.
fn check_revision(revision: &str) -> Result<(), ClusterError> {
    let ok = !revision.is_empty()
        && revision.len() <= 250
        && !revision.contains('@')
        && !revision.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(ClusterError::InvalidRevision(revision.to_string()))
    }
}

/// 4 to 40 hex digits.
pub(crate) fn looks_like_sha(rev: &str) -> bool {
    (4..=40).contains(&rev.len()) && rev.chars().all(|c| c.is_ascii_hexdigit())
}

fn status(env: &ClaudeEnvironment) -> ClaudeEnvironmentStatus {
    env.status.clone().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::{HistoryEntry, RolloutStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

    fn now() -> Timestamp {
        "2026-11-21T05:58:49.087654Z".parse().unwrap()
    }

    fn env(status: ClaudeEnvironmentStatus) -> ClaudeEnvironment {
        let mut e: ClaudeEnvironment = serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "be", "namespace": "team-be"},
            "spec": {"source": {"url": "u"}, "environment": "production"}
        }))
        .unwrap();
        e.status = Some(status);
        e
    }

    fn paused_on(rev: &str) -> ClaudeEnvironmentStatus {
        ClaudeEnvironmentStatus {
            rollout: Some(RolloutStatus {
                phase: RolloutPhase::Paused,
                revision: Some(rev.into()),
                ..RolloutStatus::default()
            }),
            ..ClaudeEnvironmentStatus::default()
        }
    }

    #[test]
    fn requests_naming_a_person_carry_the_actor_in_the_same_patch() {
        let a = approve(&env(paused_on(A)), None, now()).unwrap();
        assert_eq!(
            a.request.patch_by(Some("alice@example.com")),
            json!({"metadata": {"annotations": {
                "claude-env.io/approve": format!("{A}@2026-11-21T05:58:49.087Z"),
                "claude-env.io/approved-by": "alice@example.com",
            }}})
        );
        let rb = rollback(B, now()).unwrap();
        assert_eq!(
            rb.patch_by(Some("bob"))["metadata"]["annotations"]["claude-env.io/rollback-requested-by"],
            "bob"
        );
        // Reconcile names nobody: no actor, whoever asks.
        let r = reconcile(now());
        assert_eq!(r.actor_key(), None);
        assert_eq!(r.patch_by(Some("carol")), r.patch());
    }

    #[test]
    fn a_security_approval_names_the_held_revision_and_is_done_once_acted_on() {
        let held = ClaudeEnvironmentStatus {
            last_applied_revision: Some(A.into()),
            last_attempted_revision: Some(B.into()),
            conditions: vec![k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
                type_: "Reconciling".into(),
                status: "True".into(),
                reason: "SecurityApprovalRequired".into(),
                message: "revision bbbbbbbbbbbb waits for a security approval".into(),
                last_transition_time: Time(now()),
                observed_generation: None,
            }],
            ..Default::default()
        };
        let a = security_approve(&env(held.clone()), None, now()).unwrap();
        assert_eq!(
            a.request.patch_by(Some("sam")),
            json!({"metadata": {"annotations": {
                "claude-env.io/security-approve": format!("{B}@2026-11-21T05:58:49.087Z"),
                "claude-env.io/security-approved-by": "sam",
            }}})
        );
        assert_eq!(a.waiting.as_deref(), Some(B));
        // A prefix of the held revision is expanded; another revision is approved ahead.
        assert_eq!(
            security_approve(&env(held.clone()), Some(&B[..7]), now())
                .unwrap()
                .revision,
            B
        );
        assert_eq!(
            security_approve(&env(held.clone()), Some(C), now())
                .unwrap()
                .revision,
            C
        );
        // Nothing held (a paused rollout is another approval) and no --revision: refused.
        assert!(matches!(
            security_approve(&env(paused_on(A)), None, now()),
            Err(ClusterError::NothingToApprove { .. })
        ));
        assert!(!security_approval_done(&env(held.clone()), &a.request));
        let acted = ClaudeEnvironmentStatus {
            last_handled_security_approve: Some(a.request.value.clone()),
            ..held
        };
        assert!(security_approval_done(&env(acted), &a.request));
    }

    fn entry(rev: &str, result: HistoryResult) -> HistoryEntry {
        HistoryEntry {
            revision: rev.into(),
            time: Time(now()),
            result,
            message: None,
            actor: None,
            reason: None,
            change_class: None,
            security_approved_by: None,
        }
    }

    #[test]
    fn patches_touch_only_one_annotation() {
        assert_eq!(
            annotation("claude-env.io/approve", "abc"),
            json!({"metadata": {"annotations": {"claude-env.io/approve": "abc"}}})
        );
        let r = reconcile(now());
        assert_eq!(
            r.patch(),
            json!({"metadata": {"annotations": {"claude-env.io/reconcile": "2026-11-21T05:58:49.087Z"}}})
        );
    }

    #[test]
    fn a_rollback_request_carries_the_revision_and_a_time_nonce() {
        let r = rollback("1f2e3d4", now()).unwrap();
        assert_eq!(r.key, "claude-env.io/rollback-to");
        assert_eq!(r.value, "1f2e3d4@2026-11-21T05:58:49.087Z");
        let later = rollback("1f2e3d4", now() + jiff::SignedDuration::from_millis(1)).unwrap();
        assert_ne!(
            r.value, later.value,
            "the same revision twice is two requests"
        );
        for bad in ["", "a@b", "a b", "x\n"] {
            assert!(matches!(
                rollback(bad, now()),
                Err(ClusterError::InvalidRevision(_))
            ));
        }
    }

    #[test]
    fn a_rollback_is_done_when_handled_and_running_the_revision() {
        let r = rollback(&A[..7], now()).unwrap();
        let mut s = ClaudeEnvironmentStatus {
            last_applied_revision: Some(B.into()),
            ..Default::default()
        };
        assert!(!rollback_done(&env(s.clone()), &r, &A[..7]));
        s.last_handled_rollback_to = Some(r.value.clone());
        assert!(
            !rollback_done(&env(s.clone()), &r, &A[..7]),
            "not applied yet"
        );
        s.last_applied_revision = Some(A.into());
        assert!(rollback_done(&env(s.clone()), &r, &A[..7]));
        // A tag: the controller resolved it; handling the request is what can be seen.
        let tag = rollback("v1.2", now()).unwrap();
        s.last_handled_rollback_to = Some(tag.value.clone());
        assert!(rollback_done(&env(s), &tag, "v1.2"));
    }

    #[test]
    fn a_reconcile_is_done_when_the_controller_echoes_the_value() {
        let r = reconcile(now());
        let mut s = ClaudeEnvironmentStatus {
            last_handled_reconcile_at: Some("2026-01-01T00:00:00.000Z".into()),
            ..Default::default()
        };
        assert!(!reconcile_done(&env(s.clone()), &r));
        s.last_handled_reconcile_at = Some(r.value.clone());
        assert!(reconcile_done(&env(s), &r));
    }

    #[test]
    fn rollback_defaults_to_the_last_good_revision_that_is_not_applied() {
        let mut s = ClaudeEnvironmentStatus {
            last_applied_revision: Some(C.into()),
            last_known_good_revision: Some(B.into()),
            history: vec![
                entry(C, HistoryResult::Failed),
                entry(B, HistoryResult::Succeeded),
            ],
            ..Default::default()
        };
        assert_eq!(default_rollback_target(&s).as_deref(), Some(B));
        // Applied and good: the one before it.
        s.last_applied_revision = Some(B.into());
        s.history = vec![
            entry(B, HistoryResult::Succeeded),
            entry(C, HistoryResult::Invalid),
            entry(A, HistoryResult::Succeeded),
        ];
        assert_eq!(default_rollback_target(&s).as_deref(), Some(A));
        s.history.truncate(1);
        assert_eq!(default_rollback_target(&s), None);
    }

    #[test]
    fn approve_defaults_to_the_paused_revision_and_expands_a_prefix() {
        let a = approve(&env(paused_on(A)), None, now()).unwrap();
        assert_eq!(a.request.key, "claude-env.io/approve");
        assert_eq!(a.request.value, format!("{A}@2026-11-21T05:58:49.087Z"));
        assert_eq!(a.revision, A);
        assert_eq!(a.waiting.as_deref(), Some(A));
        let short = approve(&env(paused_on(A)), Some(&A[..8]), now()).unwrap();
        assert_eq!(short.revision, A, "the controller compares whole SHAs");
        let other = approve(&env(paused_on(A)), Some(B), now()).unwrap();
        assert_eq!(other.revision, B);
        assert_eq!(other.waiting.as_deref(), Some(A));
    }

    #[test]
    fn approving_twice_is_two_approvals() {
        // One per human gate: the second must differ from the first the controller spent.
        let later = now()
            .checked_add(jiff::SignedDuration::from_millis(1))
            .unwrap();
        let one = approve(&env(paused_on(A)), None, now()).unwrap();
        let two = approve(&env(paused_on(A)), None, later).unwrap();
        assert_ne!(one.request.value, two.request.value);
        assert!(two.request.value.starts_with(&format!("{A}@")));
    }

    #[test]
    fn approve_refuses_when_nothing_waits_unless_a_revision_is_named() {
        let idle = ClaudeEnvironmentStatus {
            rollout: Some(RolloutStatus::default()),
            ..Default::default()
        };
        let err = approve(&env(idle.clone()), None, now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "nothing in team-be/be is waiting for approval (rollout: Idle); pass --revision REV \
             to approve a revision ahead of its rollout"
        );
        let none = approve(&env(ClaudeEnvironmentStatus::default()), None, now()).unwrap_err();
        assert!(none.to_string().contains("(rollout: none)"), "{none}");
        let ahead = approve(&env(idle), Some(C), now()).unwrap();
        assert_eq!((ahead.revision.as_str(), ahead.waiting), (C, None));
        // Progressing is not waiting for anyone.
        let mut progressing = paused_on(A);
        progressing.rollout.as_mut().unwrap().phase = RolloutPhase::Progressing;
        assert!(approve(&env(progressing), None, now()).is_err());
    }

    /// A status whose rollout machine state is `state` (as the controller writes it).
    fn with_state(state: serde_json::Value) -> ClaudeEnvironmentStatus {
        let state: RolloutState = serde_json::from_value(state).unwrap();
        ClaudeEnvironmentStatus {
            rollout: Some(state.to_status()),
            ..Default::default()
        }
    }

    fn in_flight(rev: &str) -> ClaudeEnvironmentStatus {
        with_state(json!({
            "phase": "Progressing", "revision": rev, "stable": B,
            "stage": {"type": "applied", "verify": {"startedAt": "2026-11-21T05:58:00Z"}}
        }))
    }

    #[test]
    fn retry_defaults_to_the_failed_revision_and_expands_a_prefix() {
        let failed = with_state(json!({"phase": "RolledBack", "revision": A, "failedRevision": A}));
        let r = retry(&env(failed.clone()), None, now()).unwrap();
        assert_eq!(r.revision, A);
        assert_eq!(r.request.key, "claude-env.io/retry");
        assert_eq!(r.request.value, format!("{A}@2026-11-21T05:58:49.087Z"));
        assert_eq!(
            retry(&env(failed), Some(&A[..7]), now()).unwrap().revision,
            A
        );
        let nothing = retry(&env(ClaudeEnvironmentStatus::default()), None, now()).unwrap_err();
        assert!(
            matches!(nothing, ClusterError::NothingToRetry { .. }),
            "{nothing}"
        );
        let other = retry(&env(ClaudeEnvironmentStatus::default()), Some(C), now()).unwrap();
        assert_eq!(other.revision, C);
    }

    #[test]
    fn a_retry_is_done_when_the_machine_has_seen_its_value() {
        let failed = with_state(json!({"phase": "RolledBack", "failedRevision": A}));
        let r = retry(&env(failed), None, now()).unwrap();
        let seen = with_state(json!({"phase": "Progressing", "handledRetry": r.request.value}));
        assert!(retry_done(&env(seen), &r.request));
        let other = with_state(json!({"phase": "Progressing", "handledRetry": "x@1"}));
        assert!(!retry_done(&env(other), &r.request));
    }

    #[test]
    fn abort_names_the_revision_in_flight_only() {
        let a = abort(&env(in_flight(A)), None, now()).unwrap();
        assert_eq!(a.revision, A);
        assert_eq!(a.request.key, "claude-env.io/abort");
        assert_eq!(a.request.value, format!("{A}@2026-11-21T05:58:49.087Z"));
        assert_eq!(
            abort(&env(in_flight(A)), Some(&A[..8]), now())
                .unwrap()
                .revision,
            A
        );
        let other = abort(&env(in_flight(A)), Some(C), now()).unwrap_err();
        assert!(matches!(other, ClusterError::NotInFlight { .. }), "{other}");
        let idle = with_state(json!({"phase": "Succeeded", "revision": A, "stable": A}));
        let none = abort(&env(idle), None, now()).unwrap_err();
        assert_eq!(
            none.to_string(),
            "no rollout of team-be/be is in flight (rollout: Succeeded); nothing to abort"
        );
        let seen = with_state(json!({"phase": "RolledBack", "handledAbort": a.request.value}));
        assert!(abort_done(&env(seen), &a.request));
        assert!(!abort_done(&env(in_flight(A)), &a.request));
    }

    #[test]
    fn an_approval_is_done_when_a_gate_spent_it() {
        let a = approve(&env(paused_on(A)), None, now()).unwrap();
        assert!(!approval_done(&env(paused_on(A)), &a.request));
        let spent =
            with_state(json!({"phase": "Progressing", "consumedApproval": a.request.value}));
        assert!(approval_done(&env(spent), &a.request));
    }

    #[test]
    fn suspend_patches_the_one_spec_field() {
        assert_eq!(suspend(true), json!({"spec": {"suspend": true}}));
        assert_eq!(suspend(false), json!({"spec": {"suspend": false}}));
    }
}
