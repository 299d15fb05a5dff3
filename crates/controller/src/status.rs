//! The next status of an environment, as a pure function of the old status and what one
//! reconcile observed. Writes happen only when this returns something different.

use claude_env_api::{
    ClaudeEnvironmentStatus, DriftStatus, HISTORY_LIMIT, HistoryEntry, HistoryResult, Inventory,
    RolloutPhase, RolloutStatus, condition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::conditions::{self, Status};
use crate::target::Rollback;

/// Workload health after an apply.
#[derive(Clone, Debug, PartialEq)]
pub enum Health {
    Healthy,
    /// Still rolling out; not a failure yet.
    Progressing(String),
    Unhealthy(String),
}

/// What one reconcile found. Built once per reconcile and never stored, so the size of
/// `Reconciled` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Observation {
    /// `spec.suspend`: nothing changes but the observed generation.
    Suspended,
    /// The source could not be fetched or read; what is applied stays.
    SourceFailed {
        reason: &'static str,
        message: String,
    },
    /// The revision failed validation (syntax, schema, plain-text secret, ...).
    Invalid { revision: String, message: String },
    /// `spec.source.verify` is set and the commit is not signed by a trusted key.
    Unverified { revision: String, message: String },
    /// A `dependsOn` environment is not Ready and Healthy on this revision yet.
    DependencyNotReady { revision: String, message: String },
    /// Applying or pruning failed (retried with backoff).
    Failed {
        revision: Option<String>,
        reason: &'static str,
        message: String,
    },
    /// Objects are applied for the rollout's current state.
    Reconciled(Box<Reconciled>),
}

/// A reconcile that applied (or kept) the objects the rollout machine's state calls for.
#[derive(Clone, Debug, PartialEq)]
pub struct Reconciled {
    /// The revision the workloads run or are moving to (`lastAppliedRevision`).
    pub revision: String,
    pub inventory: Inventory,
    /// Readiness of the workloads we applied.
    pub health: Health,
    pub drift: Option<DriftStatus>,
    /// From the rollout machine (`None`: keep what status has).
    pub rollout: Option<RolloutStatus>,
    /// The machine's stable revision: the rollback target.
    pub last_known_good: Option<String>,
    /// History to record, oldest first.
    pub outcomes: Vec<(String, HistoryResult, Option<String>)>,
    /// Set when this reconcile acted on a `rollback-to` request.
    pub rollback: Option<Rollback>,
}

pub struct Input<'a> {
    pub old: &'a ClaudeEnvironmentStatus,
    pub observation: &'a Observation,
    pub generation: Option<i64>,
    /// `spec.source.verify` is set (adds the SourceVerified condition).
    pub verify: bool,
    pub now: &'a Time,
}

/// The status after `input.observation`.
pub fn next(input: Input<'_>) -> ClaudeEnvironmentStatus {
    let Input {
        old,
        observation,
        generation,
        verify,
        now,
    } = input;
    let mut s = old.clone();
    s.observed_generation = generation;
    let c = &mut s.conditions;
    let g = generation;
    match observation {
        Observation::Suspended => {}
        Observation::SourceFailed { reason, message } => {
            conditions::set(c, condition::READY, Status::False, reason, message, g, now);
            conditions::set(
                c,
                condition::RECONCILING,
                Status::True,
                "ProgressingWithRetry",
                message,
                g,
                now,
            );
            conditions::remove(c, condition::STALLED);
        }
        Observation::Invalid { revision, message } => {
            s.last_attempted_revision = Some(revision.clone());
            let msg = format!("revision {} is invalid: {message}", short(revision));
            conditions::set(
                c,
                condition::READY,
                Status::False,
                "ValidationFailed",
                &msg,
                g,
                now,
            );
            conditions::set(
                c,
                condition::STALLED,
                Status::True,
                "ValidationFailed",
                &msg,
                g,
                now,
            );
            conditions::remove(c, condition::RECONCILING);
            record(
                &mut s.history,
                revision,
                HistoryResult::Invalid,
                Some(message),
                now,
            );
        }
        Observation::Unverified { revision, message } => {
            s.last_attempted_revision = Some(revision.clone());
            let msg = format!(
                "revision {} failed verification: {message}",
                short(revision)
            );
            conditions::set(
                c,
                condition::READY,
                Status::False,
                "VerificationFailed",
                &msg,
                g,
                now,
            );
            conditions::set(
                c,
                condition::STALLED,
                Status::True,
                "VerificationFailed",
                &msg,
                g,
                now,
            );
            conditions::set(
                c,
                condition::SOURCE_VERIFIED,
                Status::False,
                "VerificationFailed",
                &msg,
                g,
                now,
            );
            conditions::remove(c, condition::RECONCILING);
        }
        Observation::DependencyNotReady { revision, message } => {
            s.last_attempted_revision = Some(revision.clone());
            conditions::set(
                c,
                condition::READY,
                Status::False,
                "DependencyNotReady",
                message,
                g,
                now,
            );
            conditions::set(
                c,
                condition::RECONCILING,
                Status::True,
                "DependencyNotReady",
                message,
                g,
                now,
            );
            conditions::remove(c, condition::STALLED);
        }
        Observation::Failed {
            revision,
            reason,
            message,
        } => {
            if let Some(r) = revision {
                s.last_attempted_revision = Some(r.clone());
            }
            conditions::set(c, condition::READY, Status::False, reason, message, g, now);
            conditions::set(
                c,
                condition::RECONCILING,
                Status::True,
                "ProgressingWithRetry",
                message,
                g,
                now,
            );
            conditions::remove(c, condition::STALLED);
        }
        Observation::Reconciled(r) => reconciled(&mut s, old, r, verify, g, now),
    }
    s
}

fn reconciled(
    s: &mut ClaudeEnvironmentStatus,
    old: &ClaudeEnvironmentStatus,
    r: &Reconciled,
    verify: bool,
    g: Option<i64>,
    now: &Time,
) {
    let revision = &r.revision;
    if let Some(rb) = &r.rollback {
        s.last_handled_rollback_to = Some(rb.annotation.clone());
        s.rejected_revision = rb.rejected.clone();
    }
    s.last_attempted_revision = Some(revision.clone());
    s.last_applied_revision = Some(revision.clone());
    s.inventory = Some(r.inventory.clone());
    if let Some(rollout) = &r.rollout {
        s.rollout = Some(rollout.clone());
    }
    if let Some(good) = &r.last_known_good {
        s.last_known_good_revision = Some(good.clone());
    }
    for (rev, result, message) in &r.outcomes {
        record(&mut s.history, rev, *result, message.as_ref(), now);
    }
    let rejected = rejected_tip(s);
    let c = &mut s.conditions;
    if verify {
        let msg = format!("revision {} is signed by a trusted key", short(revision));
        conditions::set(
            c,
            condition::SOURCE_VERIFIED,
            Status::True,
            "Succeeded",
            &msg,
            g,
            now,
        );
    }
    let phase = s.rollout.as_ref().map(|r| r.phase).unwrap_or_default();
    let message = s
        .rollout
        .as_ref()
        .and_then(|r| r.message.clone())
        .unwrap_or_default();
    let applied = format!("Applied revision {}", short(revision));
    match phase {
        RolloutPhase::Progressing | RolloutPhase::Promoting | RolloutPhase::Paused => {
            let reason = if phase == RolloutPhase::Paused {
                "Paused"
            } else {
                "Progressing"
            };
            conditions::set(
                c,
                condition::READY,
                Status::Unknown,
                reason,
                &message,
                g,
                now,
            );
            conditions::set(
                c,
                condition::RECONCILING,
                Status::True,
                reason,
                &message,
                g,
                now,
            );
            conditions::set(
                c,
                condition::PROGRESSING,
                Status::True,
                reason,
                &message,
                g,
                now,
            );
            conditions::set(
                c,
                condition::HEALTHY,
                Status::Unknown,
                reason,
                &message,
                g,
                now,
            );
            conditions::remove(c, condition::STALLED);
        }
        RolloutPhase::RolledBack | RolloutPhase::Failed if rejected => {
            let reason = if phase == RolloutPhase::RolledBack {
                "RolledBack"
            } else {
                "RolloutFailed"
            };
            conditions::set(c, condition::READY, Status::False, reason, &message, g, now);
            conditions::set(
                c,
                condition::STALLED,
                Status::True,
                reason,
                &message,
                g,
                now,
            );
            conditions::set(
                c,
                condition::PROGRESSING,
                Status::False,
                reason,
                &message,
                g,
                now,
            );
            conditions::remove(c, condition::RECONCILING);
            set_health(c, &r.health, g, now);
        }
        _ => {
            conditions::remove(c, condition::STALLED);
            conditions::remove(c, condition::PROGRESSING);
            match &r.health {
                Health::Healthy => {
                    conditions::set(
                        c,
                        condition::READY,
                        Status::True,
                        "ReconciliationSucceeded",
                        &applied,
                        g,
                        now,
                    );
                    conditions::remove(c, condition::RECONCILING);
                }
                Health::Progressing(why) => {
                    conditions::set(
                        c,
                        condition::READY,
                        Status::Unknown,
                        "Progressing",
                        why,
                        g,
                        now,
                    );
                    conditions::set(
                        c,
                        condition::RECONCILING,
                        Status::True,
                        "Progressing",
                        &applied,
                        g,
                        now,
                    );
                }
                Health::Unhealthy(why) => {
                    conditions::set(
                        c,
                        condition::READY,
                        Status::False,
                        "HealthCheckFailed",
                        why,
                        g,
                        now,
                    );
                    conditions::remove(c, condition::RECONCILING);
                }
            }
            set_health(c, &r.health, g, now);
        }
    }
    s.drift = r
        .drift
        .clone()
        .map(|d| keep_detection_time(old.drift.as_ref(), d));
    set_drifted(&mut s.conditions, s.drift.as_ref(), g, now);
}

/// A failed rollout stalls the environment while the branch still points at the failed
/// revision (it is not retried until a new commit or `retry`).
fn rejected_tip(s: &ClaudeEnvironmentStatus) -> bool {
    s.rollout
        .as_ref()
        .is_some_and(|r| r.failed_revision.is_some())
}

fn set_health(
    c: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    health: &Health,
    g: Option<i64>,
    now: &Time,
) {
    match health {
        Health::Healthy => conditions::set(
            c,
            condition::HEALTHY,
            Status::True,
            "Healthy",
            "all workloads are Available",
            g,
            now,
        ),
        Health::Progressing(why) => conditions::set(
            c,
            condition::HEALTHY,
            Status::Unknown,
            "Progressing",
            why,
            g,
            now,
        ),
        Health::Unhealthy(why) => conditions::set(
            c,
            condition::HEALTHY,
            Status::False,
            "HealthCheckFailed",
            why,
            g,
            now,
        ),
    }
}

/// `Some(new)` when it differs from `old`: the status patch to send, if any.
pub fn changed(
    old: &ClaudeEnvironmentStatus,
    new: ClaudeEnvironmentStatus,
) -> Option<ClaudeEnvironmentStatus> {
    (old != &new).then_some(new)
}

fn set_drifted(
    c: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    drift: Option<&DriftStatus>,
    g: Option<i64>,
    now: &Time,
) {
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
            conditions::set(
                c,
                condition::DRIFTED,
                Status::True,
                "DriftDetected",
                &msg,
                g,
                now,
            );
        }
        Some(d) => {
            let (reason, msg) = match &d.last_remediation {
                Some(r) => (
                    "DriftRemediated",
                    format!("restored {} drifted field(s)", r.drifted_fields),
                ),
                None => (
                    "NoDrift",
                    "live objects match the desired state".to_string(),
                ),
            };
            conditions::set(c, condition::DRIFTED, Status::False, reason, &msg, g, now);
        }
        None => conditions::remove(c, condition::DRIFTED),
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

/// Newest first; one entry per (revision, result) transition.
fn record(
    history: &mut Vec<HistoryEntry>,
    revision: &str,
    result: HistoryResult,
    message: Option<&String>,
    now: &Time,
) {
    if history
        .first()
        .is_some_and(|h| h.revision == revision && h.result == result)
    {
        return;
    }
    history.insert(
        0,
        HistoryEntry {
            revision: revision.to_string(),
            time: now.clone(),
            result,
            message: message.cloned(),
        },
    );
    history.truncate(HISTORY_LIMIT);
}

/// Revisions in messages: the first 12 hex digits, like `git log --oneline` with room.
pub fn short(revision: &str) -> &str {
    &revision[..revision.len().min(12)]
}
