//! The next status of an environment, as a pure function of the old status and what one
//! reconcile observed ([`next`]). Writes happen only when the result differs ([`changed`]).
//!
//! Every observation maps to one kstatus pattern (`kstatus`): a retried failure, a stall
//! that only a change can fix, or work in progress; a reconcile that applied objects also
//! records revisions, inventory, rollout, health, drift and history (`reconciled`).
//! Reasons are the constants of `claude_env_api::reason`.

pub(crate) mod conditions;
mod history;
mod kstatus;
mod reconciled;

use claude_env_api::{
    CONTROLLER_ACTOR, ChangeRisk, ClaudeEnvironmentStatus, DriftStatus, HistoryResult, Inventory,
    RevisionConfig, RolloutStatus, WorkstationCounts, condition, reason, short_revision,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::decisions::outcomes::Outcome;
use crate::decisions::target::Rollback;
use conditions::Status;
use kstatus::Conditions;

/// Workload health after an apply.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Health {
    Healthy,
    /// Still rolling out; not a failure yet.
    Progressing(String),
    Unhealthy(String),
}

/// What one reconcile found. Built once per reconcile and never stored, so the size of
/// `Reconciled` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Observation {
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
    /// `spec.approval.security`: the revision's security changes wait for a security
    /// approval (`decisions::security_gate`); what is applied stays.
    SecurityApprovalRequired { risk: ChangeRisk, message: String },
    /// The spec asks for something the controller refuses (a namespace, an interval, an
    /// object another environment owns): nothing is applied until the spec, the operator's
    /// settings or the other owner change.
    Refused {
        revision: Option<String>,
        reason: &'static str,
        message: String,
    },
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
pub(crate) struct Reconciled {
    /// The revision the workloads run or are moving to (`lastAppliedRevision`).
    pub(crate) revision: String,
    pub(crate) inventory: Inventory,
    /// Readiness of the workloads we applied.
    pub(crate) health: Health,
    pub(crate) drift: Option<DriftStatus>,
    /// From the rollout machine (`None`: keep what status has).
    pub(crate) rollout: Option<RolloutStatus>,
    /// The machine's stable revision: the rollback target.
    pub(crate) last_known_good: Option<String>,
    /// History to record, oldest first.
    pub(crate) outcomes: Vec<Outcome>,
    /// Set when this reconcile acted on a `rollback-to` request.
    pub(crate) rollback: Option<Rollback>,
    /// The config ConfigMap of each revision in play.
    pub(crate) config_maps: Vec<RevisionConfig>,
    /// The workstations following the environment (`None`: it never had one).
    pub(crate) workstations: Option<WorkstationCounts>,
    /// The target revision's classification (`None`: keep what status has).
    pub(crate) change_risk: Option<ChangeRisk>,
}

pub(crate) struct Input<'a> {
    pub(crate) old: &'a ClaudeEnvironmentStatus,
    pub(crate) observation: &'a Observation,
    pub(crate) generation: Option<i64>,
    /// `spec.source.verify` is set (adds the SourceVerified condition).
    pub(crate) verify: bool,
    pub(crate) now: &'a Time,
    /// The most history entries kept (`--history-limit`).
    pub(crate) history_limit: usize,
}

/// The status after `input.observation`.
pub(crate) fn next(input: Input<'_>) -> ClaudeEnvironmentStatus {
    let Input {
        old,
        observation,
        generation,
        verify,
        now,
        history_limit,
    } = input;
    let mut s = old.clone();
    s.observed_generation = generation;
    if let Some(revision) = attempted(observation) {
        s.last_attempted_revision = Some(revision.to_string());
    }
    if let Observation::Invalid { revision, message } = observation {
        let outcome = Outcome {
            revision: revision.clone(),
            result: HistoryResult::Invalid,
            message: Some(message.clone()),
            actor: CONTROLLER_ACTOR.to_string(),
            reason: reason::VALIDATION_FAILED.to_string(),
        };
        history::record(&mut s.history, &outcome, None, now, history_limit);
    }
    let mut c = Conditions {
        all: &mut s.conditions,
        generation,
        now,
    };
    match observation {
        Observation::Suspended | Observation::Reconciled(_) => {}
        Observation::SourceFailed { reason, message }
        | Observation::Failed {
            reason, message, ..
        } => c.retrying(reason, message),
        Observation::Invalid { revision, message } => c.stalled(
            reason::VALIDATION_FAILED,
            &format!(
                "revision {} is invalid: {message}",
                short_revision(revision)
            ),
        ),
        Observation::Unverified { revision, message } => {
            let message = format!(
                "revision {} failed verification: {message}",
                short_revision(revision)
            );
            c.stalled(reason::VERIFICATION_FAILED, &message);
            c.set(
                condition::SOURCE_VERIFIED,
                Status::False,
                reason::VERIFICATION_FAILED,
                &message,
            );
        }
        Observation::DependencyNotReady { message, .. } => {
            c.in_progress(Status::False, reason::DEPENDENCY_NOT_READY, message)
        }
        Observation::SecurityApprovalRequired { message, .. } => {
            c.in_progress(Status::False, reason::SECURITY_APPROVAL_REQUIRED, message)
        }
        Observation::Refused {
            reason, message, ..
        } => c.stalled(reason, message),
    }
    if let Observation::SecurityApprovalRequired { risk, .. } = observation {
        s.change_risk = Some(risk.clone());
    }
    if let Observation::Reconciled(r) = observation {
        reconciled::apply(&mut s, old, r, verify, generation, now, history_limit);
    }
    s
}

/// The revision an observation is about, when it names one.
fn attempted(observation: &Observation) -> Option<&str> {
    match observation {
        Observation::Invalid { revision, .. }
        | Observation::Unverified { revision, .. }
        | Observation::DependencyNotReady { revision, .. } => Some(revision),
        Observation::SecurityApprovalRequired { risk, .. } => Some(&risk.revision),
        Observation::Failed { revision, .. } | Observation::Refused { revision, .. } => {
            revision.as_deref()
        }
        Observation::Reconciled(r) => Some(&r.revision),
        Observation::Suspended | Observation::SourceFailed { .. } => None,
    }
}

/// `Some(new)` when it differs from `old`: the status patch to send, if any.
pub(crate) fn changed(
    old: &ClaudeEnvironmentStatus,
    new: ClaudeEnvironmentStatus,
) -> Option<ClaudeEnvironmentStatus> {
    (old != &new).then_some(new)
}

#[cfg(test)]
mod tests;
