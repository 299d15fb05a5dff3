//! Between loading a revision and rolling it out: its changes classified against the applied
//! revision (`io::change_risk`), and with `spec.approval.security` a revision with
//! security-class changes held until a security approval names it
//! (`decisions::security_gate`). Also counts `claude_env_changes_total` for the revisions
//! that rolled out.

use claude_env_api::{ChangeRisk, HistoryResult, annotations, reason, short_revision};
use kube::ResourceExt;
use kube::runtime::controller::Action;
use tracing::{info, warn};

use super::{Announce, Failure, Run, Stop, failed};
use crate::decisions::outcomes::Outcome;
use crate::decisions::plan::EnvPlan;
use crate::decisions::security_gate::{self, Approval, Need, Verdict};
use crate::decisions::status::Observation;
use crate::io::change_risk;
use crate::io::events::publish;

impl Run<'_> {
    /// The target's classification to record (`None`: keep what status has), or a stop
    /// while it waits for a security approval.
    pub(super) async fn security_gate(
        &self,
        plan: &EnvPlan,
        revision: &str,
    ) -> Result<Option<ChangeRisk>, Stop> {
        let (env, old) = (self.env, self.old);
        let gated = env.spec.approval.as_ref().is_some_and(|a| a.security);
        let a = env.annotations();
        let approval = Approval {
            value: a.get(annotations::SECURITY_APPROVE).map(String::as_str),
            actor: a.get(annotations::SECURITY_APPROVED_BY).map(String::as_str),
            last_handled: old.last_handled_security_approve.as_deref(),
        };
        let risk = match security_gate::need(old, revision) {
            Need::Nothing => return Ok(None),
            Need::Recorded(r) => r.clone(),
            Need::Assess { base } => {
                match change_risk::assess(self.ctx, plan, base, revision).await {
                    Ok(report) => security_gate::record(revision, base, &report),
                    Err(e) => return self.unclassified(gated, revision, base, approval, e).await,
                }
            }
        };
        match security_gate::judge(gated, risk, approval) {
            Verdict::Pass(risk) => {
                if risk.approval.is_some() && risk.approval != old.last_handled_security_approve {
                    let note = format!(
                        "revision {} may roll out: its security changes were approved by {}",
                        short_revision(revision),
                        risk.approved_by.as_deref().unwrap_or_default()
                    );
                    info!("{note}");
                    publish(
                        &self.ctx.recorder,
                        env,
                        false,
                        reason::SECURITY_APPROVED,
                        "Approve",
                        note,
                    )
                    .await;
                }
                Ok(Some(risk))
            }
            Verdict::Hold { risk, message } => {
                self.fail(Failure {
                    observation: Observation::SecurityApprovalRequired {
                        risk,
                        message: message.clone(),
                    },
                    event: (reason::SECURITY_APPROVAL_REQUIRED, "Approve", message),
                    count: None,
                    announce: Announce::OnChange,
                })
                .await?;
                Err(Stop::Wait(Action::requeue(plan.interval)))
            }
        }
    }

    /// A revision that could not be classified: without the gate it rolls out unclassified;
    /// with it, only when a security approval names it — else the error is retried and
    /// nothing new is applied.
    async fn unclassified(
        &self,
        gated: bool,
        revision: &str,
        base: &str,
        approval: Approval<'_>,
        e: crate::error::Error,
    ) -> Result<Option<ChangeRisk>, Stop> {
        warn!(base = short_revision(base), error = %e, "cannot classify the revision's changes");
        if let Some(risk) = security_gate::unclassified(gated, revision, base, approval) {
            return Ok(Some(risk));
        }
        self.fail(Failure {
            observation: failed(Some(revision.to_string()), &e),
            event: (e.category(), "Classify", e.to_string()),
            count: None,
            announce: Announce::Always,
        })
        .await?;
        Err(Stop::Error(e))
    }

    /// `claude_env_changes_total`: one per class of each revision that rolled out.
    pub(super) fn count_changes(&self, outcomes: &[Outcome], fresh: Option<&ChangeRisk>) {
        let Some(risk) = fresh.or(self.old.change_risk.as_ref()) else {
            return;
        };
        let rolled_out = outcomes
            .iter()
            .any(|o| o.result == HistoryResult::Succeeded && o.revision == risk.revision);
        if rolled_out {
            for class in &risk.classes {
                self.ctx.metrics.changes_applied(&self.labels, *class);
            }
        }
    }
}
