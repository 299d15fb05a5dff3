//! The security gate (pure): which revision is classified against which, whether a
//! revision with security-class changes waits for `claude-env.io/security-approve`, and
//! what history records of a classified revision.
//!
//! Rules:
//! - A revision is classified once, when it arrives: against the revision applied then
//!   (`status.lastAppliedRevision`), with `claude_env_risk::assess`; the result is kept in
//!   `status.changeRisk` so later reconciles reuse it. A revision already running or rolling
//!   out is not classified again; the first revision has nothing to compare with and is not
//!   classified at all (whoever creates an environment chooses its spec anyway).
//! - With `spec.approval.security`, a revision whose changes include a security-class one
//!   is held until `claude-env.io/security-approve=<revision>[@<nonce>]` names it (the full
//!   SHA or a prefix of at least 7 characters); each value acts once. Other revisions pass.
//! - History entries of a classified revision carry the class of its riskiest change and
//!   who approved its security changes; a rollout that no other person approved is credited
//!   to that security approver.

use claude_env_api::{
    CONTROLLER_ACTOR, ChangeRisk, ClaudeEnvironmentStatus, DriftCategory, HistoryResult,
    UNKNOWN_ACTOR, short_revision,
};
use claude_env_risk::{Class, Report, display};
use claude_env_rollout::observe::names_revision;

/// The most security changes a record lists (status stays small; the Event says how many
/// more there are).
pub(crate) const LISTED: usize = 20;

/// What the gate needs before it can judge a target revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Need<'a> {
    /// Nothing: the revision already runs or rolls out, or nothing was applied before it.
    Nothing,
    /// `status.changeRisk` already classifies it against the applied revision.
    Recorded(&'a ChangeRisk),
    /// Classify it against `base`.
    Assess { base: &'a str },
}

/// What the gate needs for `target`, given the environment's status.
pub(crate) fn need<'a>(status: &'a ClaudeEnvironmentStatus, target: &str) -> Need<'a> {
    let Some(applied) = status.last_applied_revision.as_deref() else {
        return Need::Nothing;
    };
    let rolling = status.rollout.as_ref().and_then(|r| r.revision.as_deref());
    if applied == target || rolling == Some(target) {
        return Need::Nothing;
    }
    match &status.change_risk {
        Some(r) if r.revision == target && r.base == applied => Need::Recorded(r),
        _ => Need::Assess { base: applied },
    }
}

/// The record of a classification: its classes, riskiest first, and its security changes.
pub(crate) fn record(revision: &str, base: &str, report: &Report) -> ChangeRisk {
    let mut classes: Vec<DriftCategory> = report.changes.iter().map(|c| c.class).collect();
    classes.sort();
    classes.dedup();
    ChangeRisk {
        revision: revision.to_string(),
        base: base.to_string(),
        classes,
        security_changes: report
            .of_class(Class::Security)
            .take(LISTED)
            .map(display::line)
            .collect(),
        approval: None,
        approved_by: None,
    }
}

/// The `claude-env.io/security-approve` annotation, its actor, and the value last acted on.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Approval<'a> {
    pub(crate) value: Option<&'a str>,
    pub(crate) actor: Option<&'a str>,
    pub(crate) last_handled: Option<&'a str>,
}

impl Approval<'_> {
    /// The value, when it approves `revision` and has not acted yet.
    fn approving(&self, revision: &str) -> Option<&str> {
        self.value
            .map(str::trim)
            .filter(|v| names_revision(v, revision) && Some(*v) != self.last_handled)
    }

    fn actor(&self) -> String {
        self.actor
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .unwrap_or(UNKNOWN_ACTOR)
            .to_string()
    }
}

/// What the gate decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Roll it out; the record goes into status (with the approval that let it through).
    Pass(ChangeRisk),
    /// Keep serving the applied revision; status and an Event say why.
    Hold { risk: ChangeRisk, message: String },
}

/// Whether `risk`'s revision may roll out: always without the gate (`gated` false) or
/// without security changes; else once an unused approval names it.
pub(crate) fn judge(gated: bool, mut risk: ChangeRisk, approval: Approval<'_>) -> Verdict {
    let security = risk.classes.first() == Some(&DriftCategory::Security);
    if !gated || !security || risk.approval.is_some() {
        return Verdict::Pass(risk);
    }
    if let Some(value) = approval.approving(&risk.revision) {
        risk.approval = Some(value.to_string());
        risk.approved_by = Some(approval.actor());
        return Verdict::Pass(risk);
    }
    let message = held_message(&risk);
    Verdict::Hold { risk, message }
}

/// A revision that could not be classified: with the gate it rolls out only when an unused
/// approval names it (`None`: hold, the error is retried); without the gate it rolls out,
/// unclassified.
pub(crate) fn unclassified(
    gated: bool,
    revision: &str,
    base: &str,
    approval: Approval<'_>,
) -> Option<ChangeRisk> {
    let mut risk = ChangeRisk {
        revision: revision.to_string(),
        base: base.to_string(),
        ..ChangeRisk::default()
    };
    if !gated {
        return Some(risk);
    }
    let value = approval.approving(revision)?;
    risk.approval = Some(value.to_string());
    risk.approved_by = Some(approval.actor());
    Some(risk)
}

/// `revision 0123456789ab waits for a security approval (claude-env.io/security-approve):
/// 2 security changes against 9f8e7d6c5b4a: SECURITY  high  …; SECURITY  …`.
pub(crate) fn held_message(risk: &ChangeRisk) -> String {
    let n = risk.security_changes.len();
    let listed = risk.security_changes.join("; ");
    let more = if n >= LISTED { " (and maybe more)" } else { "" };
    format!(
        "revision {} waits for a security approval (claude-env.io/security-approve): {n} security change{} against {}{more}: {listed}",
        short_revision(&risk.revision),
        if n == 1 { "" } else { "s" },
        short_revision(&risk.base),
    )
}

/// What a history entry of `revision` records beyond the outcome: the class of its riskiest
/// change, who approved its security changes, and the actor (the security approver for a
/// rollout the controller would otherwise be credited with).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credit {
    pub(crate) class: Option<DriftCategory>,
    pub(crate) security_approved_by: Option<String>,
    pub(crate) actor: String,
}

pub(crate) fn credit(
    revision: &str,
    result: HistoryResult,
    actor: &str,
    risk: Option<&ChangeRisk>,
) -> Credit {
    let Some(risk) = risk.filter(|r| r.revision == revision) else {
        return Credit {
            class: None,
            security_approved_by: None,
            actor: actor.to_string(),
        };
    };
    let actor = match &risk.approved_by {
        Some(by) if actor == CONTROLLER_ACTOR && result == HistoryResult::Succeeded => by.clone(),
        _ => actor.to_string(),
    };
    Credit {
        class: risk.classes.first().copied(),
        security_approved_by: risk.approved_by.clone(),
        actor,
    }
}

#[cfg(test)]
#[path = "security_gate_tests.rs"]
mod tests;
