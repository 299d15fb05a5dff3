//! What changed between two statuses of one environment (pure): the state changes the audit
//! log records and notifications tell. Derived from status, the one record of what the
//! controller did, so each change is found exactly once — in the write that made it — and
//! a canary's many writes (every step, every check) are not many changes.
//!
//! Rules:
//! - each new history entry is a change: `RolloutSucceeded`, `RolledBack`, `RolloutFailed`
//!   (an invalid revision is told as `Stalled`);
//! - the rollout machine's state: a new rollout in flight (`RolloutStarted`), a canary
//!   promoted or a blue-green switch (`RolloutPromoted`), a new gate waiting for a human
//!   (`ApprovalRequired`), an approval used (`Approved`), a retry acted on
//!   (`RetryRequested`);
//! - conditions: `Stalled` turning True or changing reason or revision (not for a rollback
//!   or failed rollout, which history already tells); `Reconciling` turning to
//!   `DependencyNotReady` (`DependencyWaiting`), or to `SecurityApprovalRequired` (an
//!   `ApprovalRequired` listing the security changes); a security approval acted on
//!   (`Approved`, by the security approver);
//! - drift: a new detection under Drifted=True (`DriftDetected`), a new remediation
//!   (`DriftRemediated`).

use claude_env_api::{
    CONTROLLER_ACTOR, ClaudeEnvironmentStatus, EventKind, HistoryEntry, HistoryResult,
    RolloutPhase, condition, reason, short_revision,
};
use claude_env_rollout::{RolloutState, Stage};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::decisions::actors::Actors;
use crate::decisions::status::conditions;

/// One state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) kind: EventKind,
    /// The revision it is about (may be empty when none is known yet).
    pub(crate) revision: String,
    /// A PascalCase cause: the failure (`CrashLoop`, ...), the condition's reason, else the
    /// kind.
    pub(crate) reason: String,
    pub(crate) message: String,
    /// A user name, or `claude-env-controller`.
    pub(crate) actor: String,
    /// Tells apart changes of one kind on one revision (gates, detections).
    pub(crate) occurrence: String,
}

impl Change {
    fn by_controller(kind: EventKind, revision: &str, reason: &str, message: String) -> Change {
        Change {
            kind,
            revision: revision.to_string(),
            reason: reason.to_string(),
            message,
            actor: CONTROLLER_ACTOR.to_string(),
            occurrence: String::new(),
        }
    }
}

/// The changes from `old` to `new`, in the order they happened within the write.
pub(crate) fn between(
    old: &ClaudeEnvironmentStatus,
    new: &ClaudeEnvironmentStatus,
    actors: &Actors,
) -> Vec<Change> {
    let mut out = Vec::new();
    let (o, n) = (
        RolloutState::from_status(old.rollout.as_ref()),
        RolloutState::from_status(new.rollout.as_ref()),
    );
    steering(&o, &n, actors, &mut out);
    rollout(&o, &n, actors, &mut out);
    out.extend(new_history(old, new).filter_map(from_history));
    stalled(old, new, &mut out);
    dependency(old, new, &mut out);
    security(old, new, &mut out);
    drift(old, new, &mut out);
    out
}

/// Approvals used and retries acted on.
fn steering(o: &RolloutState, n: &RolloutState, actors: &Actors, out: &mut Vec<Change>) {
    let revision = n.revision.clone().unwrap_or_default();
    if let Some(value) = &n.consumed_approval
        && o.consumed_approval.as_ref() != Some(value)
    {
        out.push(Change {
            kind: EventKind::Approved,
            revision: revision.clone(),
            reason: EventKind::Approved.name().into(),
            message: format!("revision {} approved ({value})", short_revision(&revision)),
            actor: actors.approver_of(value).to_string(),
            occurrence: value.clone(),
        });
    }
    if let Some(value) = &n.handled_retry
        && o.handled_retry.as_ref() != Some(value)
    {
        let retried = value.split('@').next().unwrap_or_default().trim();
        out.push(Change {
            kind: EventKind::RetryRequested,
            revision: retried.to_string(),
            reason: EventKind::RetryRequested.name().into(),
            message: format!("retry of revision {} requested", short_revision(retried)),
            actor: actors.retry_requester.clone(),
            occurrence: value.clone(),
        });
    }
}

/// A new rollout, a promotion, a new gate.
fn rollout(o: &RolloutState, n: &RolloutState, actors: &Actors, out: &mut Vec<Change>) {
    let revision = n.revision.clone().unwrap_or_default();
    let short = short_revision(&revision);
    let same_revision = o.revision == n.revision;
    if n.stage.in_flight() && (!o.stage.in_flight() || !same_revision) {
        let (why, actor, manual) = if n.manual {
            (
                reason::ROLLBACK_REQUESTED,
                actors.rollback_requester.clone(),
                ", manual rollback",
            )
        } else {
            (
                EventKind::RolloutStarted.name(),
                CONTROLLER_ACTOR.into(),
                "",
            )
        };
        let strategy = n.strategy.map(|s| format!("{s:?}")).unwrap_or_default();
        out.push(Change {
            actor,
            ..Change::by_controller(
                EventKind::RolloutStarted,
                &revision,
                why,
                format!("rolling out revision {short} ({strategy}{manual})"),
            )
        });
    }
    let promoted =
        |s: &RolloutState| matches!(s.stage, Stage::Promoting { .. } | Stage::Switched { .. });
    if promoted(n) && (!promoted(o) || !same_revision) {
        out.push(Change::by_controller(
            EventKind::RolloutPromoted,
            &revision,
            EventKind::RolloutPromoted.name(),
            format!("revision {short} promoted"),
        ));
    }
    let gate = stage_id(&n.stage);
    if n.phase == RolloutPhase::Paused
        && (o.phase != RolloutPhase::Paused || !same_revision || stage_id(&o.stage) != gate)
    {
        out.push(Change {
            occurrence: gate,
            ..Change::by_controller(
                EventKind::ApprovalRequired,
                &revision,
                reason::PAUSED,
                n.message.clone().unwrap_or_default(),
            )
        });
    }
}

/// Where a rollout is, as a gate's identity: a canary waits at most once per step.
fn stage_id(stage: &Stage) -> String {
    match stage {
        Stage::Idle => "idle".into(),
        Stage::AwaitingApproval => "approval".into(),
        Stage::Applied { .. } => "applied".into(),
        Stage::Canary { step, .. } => format!("step {step}"),
        Stage::Promoting { .. } => "promoting".into(),
        Stage::Preview { .. } => "preview".into(),
        Stage::Switched { .. } => "switched".into(),
    }
}

/// History entries in `new` that `old` does not have, oldest first.
fn new_history<'a>(
    old: &ClaudeEnvironmentStatus,
    new: &'a ClaudeEnvironmentStatus,
) -> impl Iterator<Item = &'a HistoryEntry> {
    let known = old.history.first();
    let fresh = new.history.iter().take_while(|h| Some(*h) != known).count();
    new.history[..fresh].iter().rev()
}

fn from_history(h: &HistoryEntry) -> Option<Change> {
    let kind = match h.result {
        HistoryResult::Succeeded => EventKind::RolloutSucceeded,
        HistoryResult::RolledBack => EventKind::RolledBack,
        HistoryResult::Failed => EventKind::RolloutFailed,
        // Told as Stalled, with the condition's message.
        HistoryResult::Invalid | HistoryResult::Applied => return None,
    };
    let message = h
        .message
        .clone()
        .unwrap_or_else(|| format!("revision {} rolled out", short_revision(&h.revision)));
    Some(Change {
        kind,
        revision: h.revision.clone(),
        reason: h.reason.clone().unwrap_or_else(|| kind.name().into()),
        message,
        actor: h.actor.clone().unwrap_or_else(|| CONTROLLER_ACTOR.into()),
        occurrence: String::new(),
    })
}

fn true_condition<'a>(s: &'a ClaudeEnvironmentStatus, type_: &str) -> Option<&'a Condition> {
    conditions::get(&s.conditions, type_).filter(|c| c.status == "True")
}

/// The revision a condition is about: the one last attempted.
fn attempted(s: &ClaudeEnvironmentStatus) -> &str {
    s.last_attempted_revision
        .as_deref()
        .or(s.last_applied_revision.as_deref())
        .unwrap_or_default()
}

fn stalled(old: &ClaudeEnvironmentStatus, new: &ClaudeEnvironmentStatus, out: &mut Vec<Change>) {
    let Some(c) = true_condition(new, condition::STALLED) else {
        return;
    };
    // A rollback or failed rollout stalls the tip; its history entry already tells it.
    if c.reason == reason::ROLLED_BACK || c.reason == reason::ROLLOUT_FAILED {
        return;
    }
    let before = true_condition(old, condition::STALLED);
    if before.is_some_and(|b| b.reason == c.reason) && attempted(old) == attempted(new) {
        return;
    }
    out.push(Change {
        occurrence: c.reason.clone(),
        ..Change::by_controller(
            EventKind::Stalled,
            attempted(new),
            &c.reason,
            c.message.clone(),
        )
    });
}

fn dependency(old: &ClaudeEnvironmentStatus, new: &ClaudeEnvironmentStatus, out: &mut Vec<Change>) {
    let waiting = |s: &ClaudeEnvironmentStatus| {
        conditions::get(&s.conditions, condition::RECONCILING)
            .filter(|c| c.reason == reason::DEPENDENCY_NOT_READY)
            .map(|c| c.message.clone())
    };
    let Some(message) = waiting(new) else {
        return;
    };
    if waiting(old).is_some() && attempted(old) == attempted(new) {
        return;
    }
    out.push(Change::by_controller(
        EventKind::DependencyWaiting,
        attempted(new),
        reason::DEPENDENCY_NOT_READY,
        message,
    ));
}

/// A revision held for a security approval (the condition's message lists its security
/// changes), and a security approval acted on.
fn security(old: &ClaudeEnvironmentStatus, new: &ClaudeEnvironmentStatus, out: &mut Vec<Change>) {
    let held = |s: &ClaudeEnvironmentStatus| {
        conditions::get(&s.conditions, condition::RECONCILING)
            .filter(|c| c.reason == reason::SECURITY_APPROVAL_REQUIRED)
            .map(|c| c.message.clone())
    };
    if let Some(message) = held(new)
        && (held(old).is_none() || attempted(old) != attempted(new))
    {
        out.push(Change {
            occurrence: reason::SECURITY_APPROVAL_REQUIRED.into(),
            ..Change::by_controller(
                EventKind::ApprovalRequired,
                attempted(new),
                reason::SECURITY_APPROVAL_REQUIRED,
                message,
            )
        });
    }
    if let Some(value) = &new.last_handled_security_approve
        && old.last_handled_security_approve.as_ref() != Some(value)
    {
        let risk = new.change_risk.as_ref();
        let revision = risk.map(|r| r.revision.clone()).unwrap_or_default();
        out.push(Change {
            kind: EventKind::Approved,
            reason: reason::SECURITY_APPROVED.into(),
            message: format!(
                "security changes of revision {} approved ({value})",
                short_revision(&revision)
            ),
            actor: risk
                .and_then(|r| r.approved_by.clone())
                .unwrap_or_else(|| claude_env_api::UNKNOWN_ACTOR.into()),
            occurrence: value.clone(),
            revision,
        });
    }
}

fn drift(old: &ClaudeEnvironmentStatus, new: &ClaudeEnvironmentStatus, out: &mut Vec<Change>) {
    let revision = new.last_applied_revision.as_deref().unwrap_or_default();
    let (od, nd) = (old.drift.as_ref(), new.drift.as_ref());
    if let Some(c) = true_condition(new, condition::DRIFTED) {
        let detected = nd.and_then(|d| d.detected_at.clone());
        let was = true_condition(old, condition::DRIFTED).is_some()
            && od.and_then(|d| d.detected_at.clone()) == detected;
        if !was {
            out.push(Change {
                occurrence: detected.map(|t| t.0.to_string()).unwrap_or_default(),
                ..Change::by_controller(
                    EventKind::DriftDetected,
                    revision,
                    reason::DRIFT_DETECTED,
                    c.message.clone(),
                )
            });
        }
    }
    let remediation = nd.and_then(|d| d.last_remediation.as_ref());
    if let Some(r) = remediation
        && od
            .and_then(|d| d.last_remediation.as_ref())
            .map(|o| &o.time)
            != Some(&r.time)
    {
        out.push(Change {
            occurrence: r.time.0.to_string(),
            ..Change::by_controller(
                EventKind::DriftRemediated,
                revision,
                reason::DRIFT_REMEDIATED,
                format!(
                    "restored {} drifted field(s): {}",
                    r.drifted_fields,
                    r.objects.join(", ")
                ),
            )
        });
    }
}

#[cfg(test)]
#[path = "changes_tests.rs"]
mod tests;
