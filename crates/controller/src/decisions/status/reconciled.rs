//! Status after a reconcile that applied (or kept) the objects the rollout state calls for:
//! revisions, inventory, rollout and history, then the conditions of the rollout phase,
//! workload health and drift.

use claude_env_api::{
    ClaudeEnvironmentStatus, DriftStatus, RolloutPhase, condition, reason, short_revision,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::conditions::Status;
use super::kstatus::Conditions;
use super::{Health, Reconciled, history};

pub(super) fn apply(
    s: &mut ClaudeEnvironmentStatus,
    old: &ClaudeEnvironmentStatus,
    r: &Reconciled,
    verify: bool,
    generation: Option<i64>,
    now: &Time,
    history_limit: usize,
) {
    record_revisions(s, r, now, history_limit);
    let phase = s.rollout.as_ref().map(|r| r.phase).unwrap_or_default();
    let message = s
        .rollout
        .as_ref()
        .and_then(|r| r.message.clone())
        .unwrap_or_default();
    let rejected = rejected_tip(s);
    s.drift = r
        .drift
        .clone()
        .map(|d| keep_detection_time(old.drift.as_ref(), d));
    let mut c = Conditions {
        all: &mut s.conditions,
        generation,
        now,
    };
    if verify {
        let msg = format!(
            "revision {} is signed by a trusted key",
            short_revision(&r.revision)
        );
        c.set(
            condition::SOURCE_VERIFIED,
            Status::True,
            reason::SUCCEEDED,
            &msg,
        );
    }
    match phase {
        RolloutPhase::Progressing | RolloutPhase::Promoting | RolloutPhase::Paused => {
            rolling_out(&mut c, phase, &message)
        }
        RolloutPhase::RolledBack | RolloutPhase::Failed if rejected => {
            let why = if phase == RolloutPhase::RolledBack {
                reason::ROLLED_BACK
            } else {
                reason::ROLLOUT_FAILED
            };
            c.stalled(why, &message);
            c.set(condition::PROGRESSING, Status::False, why, &message);
            set_health(&mut c, &r.health);
        }
        _ => settled(&mut c, &r.health, &r.revision),
    }
    set_drifted(&mut c, s.drift.as_ref());
}

/// Revisions, inventory, rollout state and history of what the reconcile did.
fn record_revisions(s: &mut ClaudeEnvironmentStatus, r: &Reconciled, now: &Time, limit: usize) {
    if let Some(rb) = &r.rollback {
        s.last_handled_rollback_to = Some(rb.annotation.clone());
        s.rejected_revision = rb.rejected.clone();
    }
    s.last_applied_revision = Some(r.revision.clone());
    s.last_applied_short_revision = Some(claude_env_api::short_revision(&r.revision).into());
    s.inventory = Some(r.inventory.clone());
    s.config_maps = r.config_maps.clone();
    s.workstations = r.workstations;
    if let Some(rollout) = &r.rollout {
        s.rollout = Some(rollout.clone());
    }
    if let Some(good) = &r.last_known_good {
        s.last_known_good_revision = Some(good.clone());
    }
    if let Some(risk) = &r.change_risk {
        if risk.approval.is_some() {
            s.last_handled_security_approve = risk.approval.clone();
        }
        s.change_risk = Some(risk.clone());
    }
    for outcome in &r.outcomes {
        history::record(&mut s.history, outcome, s.change_risk.as_ref(), now, limit);
    }
}

/// A rollout step runs or waits: Ready and Healthy are unknown until it is over.
fn rolling_out(c: &mut Conditions<'_>, phase: RolloutPhase, message: &str) {
    let why = if phase == RolloutPhase::Paused {
        reason::PAUSED
    } else {
        reason::PROGRESSING
    };
    c.in_progress(Status::Unknown, why, message);
    c.set(condition::PROGRESSING, Status::True, why, message);
    c.set(condition::HEALTHY, Status::Unknown, why, message);
}

/// No rollout in flight: Ready follows the workloads' health.
fn settled(c: &mut Conditions<'_>, health: &Health, revision: &str) {
    c.remove(condition::STALLED);
    c.remove(condition::PROGRESSING);
    let applied = format!("Applied revision {}", short_revision(revision));
    match health {
        Health::Healthy => {
            c.set(
                condition::READY,
                Status::True,
                reason::RECONCILIATION_SUCCEEDED,
                &applied,
            );
            c.remove(condition::RECONCILING);
        }
        Health::Progressing(why) => {
            c.set(condition::READY, Status::Unknown, reason::PROGRESSING, why);
            c.set(
                condition::RECONCILING,
                Status::True,
                reason::PROGRESSING,
                &applied,
            );
        }
        Health::Unhealthy(why) => {
            c.set(
                condition::READY,
                Status::False,
                reason::HEALTH_CHECK_FAILED,
                why,
            );
            c.remove(condition::RECONCILING);
        }
    }
    set_health(c, health);
}

/// A failed rollout stalls the environment while the branch still points at the failed
/// revision (it is not retried until a new commit or `retry`).
fn rejected_tip(s: &ClaudeEnvironmentStatus) -> bool {
    s.rollout
        .as_ref()
        .is_some_and(|r| r.failed_revision.is_some())
}

fn set_health(c: &mut Conditions<'_>, health: &Health) {
    match health {
        Health::Healthy => c.set(
            condition::HEALTHY,
            Status::True,
            reason::HEALTHY,
            "all workloads are Available",
        ),
        Health::Progressing(why) => c.set(
            condition::HEALTHY,
            Status::Unknown,
            reason::PROGRESSING,
            why,
        ),
        Health::Unhealthy(why) => c.set(
            condition::HEALTHY,
            Status::False,
            reason::HEALTH_CHECK_FAILED,
            why,
        ),
    }
}

fn set_drifted(c: &mut Conditions<'_>, drift: Option<&DriftStatus>) {
    match drift {
        Some(d) if d.drifted_fields > 0 => {
            let msg = format!(
                "{} of {} managed fields drifted ({}%): {}",
                d.drifted_fields,
                d.managed_fields,
                d.percentage,
                d.items
                    .iter()
                    .take(3)
                    .map(|i| format!("{} {} ({:?})", i.object, i.path, i.category))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            c.set(
                condition::DRIFTED,
                Status::True,
                reason::DRIFT_DETECTED,
                &msg,
            );
        }
        Some(d) => {
            let (why, msg) = match &d.last_remediation {
                Some(r) => (
                    reason::DRIFT_REMEDIATED,
                    format!("restored {} drifted field(s)", r.drifted_fields),
                ),
                None => (
                    reason::NO_DRIFT,
                    "live objects match the desired state".to_string(),
                ),
            };
            c.set(condition::DRIFTED, Status::False, why, &msg);
        }
        None => c.remove(condition::DRIFTED),
    }
}

/// The detection time is when this drift appeared, not when it was last seen.
fn keep_detection_time(old: Option<&DriftStatus>, mut new: DriftStatus) -> DriftStatus {
    if let Some(old) = old
        && old.items == new.items
        && old.drifted_fields == new.drifted_fields
    {
        new.detected_at = old.detected_at.clone();
    }
    new
}
