//! Phase 3: the cluster brought to what the rollout calls for, or checked for drift.

use claude_env_api::DriftStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use super::{Announce, Failure, Rollout, Run, Stop, failed};
use crate::decisions::drift_status;
use crate::decisions::plan::EnvPlan;
use crate::decisions::status::Observation;
use crate::error::Error;
use crate::io::apply::Changes;
use crate::io::{apply, drift_check};
use crate::metrics::SyncResult;
use kube::runtime::controller::Action;

impl Run<'_> {
    /// Bring the objects to what the rollout calls for: apply and prune when that changed,
    /// else check drift (not during a rollout). Returns the drift status to record.
    pub(super) async fn converge(
        &self,
        plan: &EnvPlan,
        revision: &str,
        rollout: &Rollout,
    ) -> Result<(Option<DriftStatus>, Changes), Stop> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let (desired, inventory) = (&rollout.desired, &rollout.inventory);
        let state = &rollout.decision.state;
        let must_apply = ctx.needs_apply(&plan.namespace, &plan.name, desired)
            || old.inventory.as_ref() != Some(inventory);
        let mut changes = Changes::default();
        let drift_status = if must_apply {
            let applied =
                apply::apply_and_prune(ctx, plan, old.inventory.as_ref(), desired, inventory).await;
            changes = match applied {
                Ok(c) => c,
                Err(e @ Error::Conflict(_)) => {
                    // Only the other owner (or a rename) can lift it: stalled, looked at again
                    // at the interval, nothing of the other object touched.
                    self.fail(Failure {
                        observation: Observation::Refused {
                            revision: Some(revision.to_string()),
                            reason: e.category(),
                            message: e.to_string(),
                        },
                        event: (e.category(), "Apply", e.to_string()),
                        count: Some(SyncResult::Failure),
                        announce: Announce::OnChange,
                    })
                    .await?;
                    return Err(Stop::Wait(Action::requeue(plan.interval)));
                }
                Err(e) => {
                    self.fail(Failure {
                        observation: failed(Some(revision.to_string()), &e),
                        event: (e.category(), "Apply", e.to_string()),
                        count: Some(SyncResult::Failure),
                        announce: Announce::Always,
                    })
                    .await?;
                    return Err(e.into());
                }
            };
            ctx.applied(&plan.namespace, &plan.name, desired);
            let managed = claude_env_drift::detect(
                desired.iter().map(|d| (&d.key, &d.value)),
                |k| desired.iter().find(|d| &d.key == k).map(|d| &d.value),
                &plan.ignore,
            )
            .managed_leaves;
            Some(drift_status::clean(managed, old.drift.as_ref()))
        } else if state.stage.in_flight() {
            // Objects change under a rollout: drift is judged once it is over.
            old.drift.clone()
        } else {
            let checked = drift_check::check(ctx, plan, desired).await?;
            drift_check::report(ctx, env, &self.labels, old.drift.as_ref(), &checked).await;
            Some(drift_status::status(
                &checked,
                old.drift.as_ref(),
                &Time(jiff::Timestamp::now()),
            ))
        };
        if let Some(d) = &drift_status {
            ctx.metrics.set_drift(&self.labels, d);
        }
        Ok((drift_status, changes))
    }
}
