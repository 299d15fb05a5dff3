//! Phase 4: what this sync did, recorded (history, metrics, status), and when to look again.

use claude_env_api::{DriftStatus, HistoryResult};
use kube::runtime::controller::Action;

use super::{PROGRESS_REQUEUE, Rollout, Run};
use crate::apply::Changes;
use crate::context::Context;
use crate::depends;
use crate::error::Result;
use crate::objects::Desired;
use crate::plan::Plan;
use crate::status::{self, Health, Observation};
use crate::target::Target;
use crate::{health, rollout, status_io};

impl Run<'_> {
    /// Record what this sync did (the rollout's effects and the objects changed, history,
    /// metrics, status), wake
    /// dependents once healthy, and say when to look again.
    pub(super) async fn finish(
        &self,
        plan: &Plan,
        target: Target,
        rollout: Rollout,
        drift: Option<DriftStatus>,
        changes: Changes,
    ) -> Result<Action> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let Rollout {
            decision,
            effects,
            desired,
            inventory,
            ..
        } = rollout;
        let state = &decision.state;
        let in_flight = state.stage.in_flight();
        rollout::record(ctx, env, &effects, &changes).await;

        let rollout_status = decision.status();
        let serving = if in_flight {
            state.revision.clone()
        } else {
            state.stable.clone().or(state.revision.clone())
        };
        let health = workload_health(ctx, plan, &desired);
        let outcomes =
            rollout::outcomes(&effects, state, target.rollback.as_ref(), &target.revision);
        for (_, result, _) in &outcomes {
            let label = if *result == HistoryResult::Succeeded {
                "success"
            } else {
                "failure"
            };
            ctx.metrics
                .sync_total
                .with_label_values(&[&plan.selection.environment, label])
                .inc();
        }
        ctx.metrics.set_rollout_phase(
            &plan.namespace,
            &plan.name,
            &plan.selection.environment,
            &format!("{:?}", rollout_status.phase),
        );
        ctx.metrics
            .canary_weight
            .with_label_values(&[&plan.namespace, &plan.name, &plan.selection.environment])
            .set(i64::from(rollout_status.weight.unwrap_or(0)));
        let obs = Observation::Reconciled(Box::new(status::Reconciled {
            revision: serving.unwrap_or_else(|| target.revision.clone()),
            inventory,
            health: health.clone(),
            drift,
            rollout: Some(rollout_status),
            last_known_good: state.stable.clone(),
            outcomes,
            rollback: target.rollback,
        }));
        let written = status_io::write(ctx, env, old, &obs).await?;
        ctx.succeeded(&plan.namespace, &plan.name);
        if written && !in_flight && health == Health::Healthy {
            depends::wake_dependents(ctx, env);
        }
        let wake = if in_flight || matches!(health, Health::Progressing(_)) {
            PROGRESS_REQUEUE
        } else {
            plan.interval
        };
        Ok(Action::requeue(
            decision.requeue_after.map_or(wake, |d| d.min(wake)),
        ))
    }
}

/// Health of the Deployments in `desired` (Healthy when the spec turns readiness off), and
/// each MCP server's up gauge.
fn workload_health(ctx: &Context, plan: &Plan, desired: &[Desired]) -> Health {
    let mut all = Vec::new();
    for d in desired.iter().filter(|d| d.key.kind == "Deployment") {
        let live = ctx.stores.deployment(&d.key.namespace, &d.key.name);
        if let Some(server) = &d.server {
            let up = health::is_up(live.as_deref());
            ctx.metrics
                .mcp_server_up
                .with_label_values(&[&plan.selection.environment, server])
                .set(i64::from(up));
        }
        all.push(health::deployment(&d.key.name, live.as_deref()));
    }
    if plan.readiness {
        health::combine(all)
    } else {
        Health::Healthy
    }
}
