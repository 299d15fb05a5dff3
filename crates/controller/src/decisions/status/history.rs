//! `status.history`: one entry per (revision, result) transition, newest first, at most the
//! configured number (`--history-limit`).

use claude_env_api::{ChangeRisk, HistoryEntry};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::decisions::outcomes::Outcome;
use crate::decisions::security_gate;

/// Record an outcome, unless the same revision and result is already the newest entry; with
/// the class and security approver of its revision when `risk` classifies it.
pub(super) fn record(
    history: &mut Vec<HistoryEntry>,
    outcome: &Outcome,
    risk: Option<&ChangeRisk>,
    now: &Time,
    limit: usize,
) {
    if history
        .first()
        .is_some_and(|h| h.revision == outcome.revision && h.result == outcome.result)
    {
        return;
    }
    let credit = security_gate::credit(&outcome.revision, outcome.result, &outcome.actor, risk);
    history.insert(
        0,
        HistoryEntry {
            revision: outcome.revision.clone(),
            time: now.clone(),
            result: outcome.result,
            message: outcome.message.clone(),
            actor: Some(credit.actor),
            reason: Some(outcome.reason.clone()),
            change_class: credit.class,
            security_approved_by: credit.security_approved_by,
        },
    );
    history.truncate(limit.max(1));
}
