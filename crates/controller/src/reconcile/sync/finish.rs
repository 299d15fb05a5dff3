//! Phase 4: what this sync did, recorded (history, metrics, status), and when to look again.

use claude_env_api::{DriftStatus, HistoryResult, ObjectKind};
use kube::ResourceExt;
use kube::runtime::controller::Action;

use super::{PROGRESS_REQUEUE, Rollout, Run};
use crate::context::Context;
use crate::decisions::actors::Actors;
use crate::decisions::plan::EnvPlan;
use crate::decisions::status::{self, Health, Observation};
use crate::decisions::target::Target;
use crate::decisions::{health, outcomes, workstations};
use crate::error::Result;
use crate::io::apply::Changes;
use crate::io::dependents;
use crate::io::workstations as io_workstations;
use crate::io::{rollout_driver, status_write};
use crate::metrics::{EnvLabels, SyncResult};
use claude_env_render::Manifest;

impl Run<'_> {
    /// Record what this sync did (the rollout's effects and the objects changed, history,
    /// metrics, status), wake
    /// dependents once healthy, and say when to look again.
    pub(super) async fn finish(
        &self,
        plan: &EnvPlan,
        target: Target,
        rollout: Rollout,
        drift: Option<DriftStatus>,
        changes: Changes,
        risk: Option<claude_env_api::ChangeRisk>,
    ) -> Result<Action> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let Rollout {
            decision,
            effects,
            desired,
            inventory,
            config_maps,
            workstations: fleet,
        } = rollout;
        let state = &decision.state;
        let in_flight = state.stage.in_flight();
        rollout_driver::record(ctx, env, &self.labels, &effects, &changes).await;

        let mut rollout_status = decision.status();
        if let Some(revision) = &rollout_status.revision {
            let cache = ctx.sources.cache();
            rollout_status.author = ctx
                .governance
                .authors
                .of(cache, &plan.source.url, revision)
                .await;
        }
        let serving = if in_flight {
            state.revision.clone()
        } else {
            state.stable.clone().or(state.revision.clone())
        };
        let health = workload_health(ctx, plan, &self.labels, &desired);
        let actors = Actors::of(env.annotations());
        let outcomes = outcomes::of(
            &effects,
            state,
            target.rollback.as_ref(),
            &target.revision,
            &actors,
        );
        self.count_changes(&outcomes, risk.as_ref());
        for o in &outcomes {
            let result = if o.result == HistoryResult::Succeeded {
                SyncResult::Success
            } else {
                SyncResult::Failure
            };
            ctx.metrics.synced(&self.labels, result);
        }
        ctx.metrics
            .set_rollout(&self.labels, rollout_status.phase, rollout_status.weight);
        let now = jiff::Timestamp::now();
        let periods = ctx.workstation_periods;
        let counts = workstations::counts(fleet.iter().map(|w| &**w), state, now, periods);
        ctx.metrics.set_workstations(&self.labels, &counts);
        io_workstations::remove_expired(ctx, &plan.namespace, &fleet, now, periods).await;
        let obs = Observation::Reconciled(Box::new(status::Reconciled {
            revision: serving.unwrap_or_else(|| target.revision.clone()),
            inventory,
            health: health.clone(),
            drift,
            rollout: Some(rollout_status),
            last_known_good: state.stable.clone(),
            outcomes,
            rollback: target.rollback,
            config_maps,
            workstations: (counts.total > 0 || old.workstations.is_some()).then_some(counts),
            change_risk: risk,
        }));
        let written = status_write::write(ctx, env, old, &obs).await?;
        ctx.succeeded(&plan.namespace, &plan.name);
        if written && !in_flight && health == Health::Healthy {
            dependents::wake_dependents(ctx, env);
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
fn workload_health(
    ctx: &Context,
    plan: &EnvPlan,
    labels: &EnvLabels,
    desired: &[Manifest],
) -> Health {
    let mut all = Vec::new();
    for d in desired
        .iter()
        .filter(|d| d.key.kind == ObjectKind::Deployment)
    {
        let live = ctx.stores.deployment(&d.key.namespace, &d.key.name);
        if let Some(server) = &d.server {
            ctx.metrics
                .set_mcp_server_up(labels, server, health::is_up(live.as_deref()));
        }
        all.push(health::deployment(&d.key.name, live.as_deref()));
    }
    if plan.readiness {
        health::combine(all)
    } else {
        Health::Healthy
    }
}
