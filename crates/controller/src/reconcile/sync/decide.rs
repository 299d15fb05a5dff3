//! Phase 2: the rollout machine's next state, and the objects that state calls for.

use claude_env_api::{annotations, reason};
use claude_env_config::Document;
use claude_env_rollout::{Observations, RolloutState};
use kube::ResourceExt;
use kube::runtime::controller::Action;
use tracing::warn;

use super::{Rollout, Run, Stop};
use crate::decisions::plan::EnvPlan;
use crate::decisions::status::Observation;
use crate::decisions::target::Target;
use crate::decisions::{inventory, shape, workstations};
use crate::io::workstations as io_workstations;
use crate::io::{revisions, rollout_driver, status_write};

impl Run<'_> {
    /// The rollout machine's next state, from its state in status and what the caches show
    /// (running the checks it asks for), and the objects that state calls for.
    pub(super) async fn decide(
        &self,
        plan: &EnvPlan,
        doc: &Document,
        target: &Target,
    ) -> Result<Rollout, Stop> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let revision = &target.revision;
        let rollout_plan = match claude_env_rollout::Plan::from_spec(&env.spec) {
            Ok(p) => p,
            Err(e) => {
                let obs = Observation::Refused {
                    revision: Some(revision.clone()),
                    reason: reason::INVALID_SPEC,
                    message: e.to_string(),
                };
                status_write::write(ctx, env, old, &obs).await?;
                return Err(Stop::Wait(Action::await_change()));
            }
        };
        let mut renders = shape::Rendered::new();
        renders.insert(revision.clone(), revisions::document(plan, doc, revision)?);
        let servers = shape::servers(&renders[revision]);
        let now = jiff::Timestamp::now();
        let fleet = io_workstations::records(ctx, &plan.namespace, &plan.name);
        let observations = Observations {
            now,
            desired: revision.clone(),
            last_known_good: old.last_known_good_revision.clone(),
            approval: env.annotations().get(annotations::APPROVE).cloned(),
            retry: env.annotations().get(annotations::RETRY).cloned(),
            abort: env.annotations().get(annotations::ABORT).cloned(),
            manual_rollback: target.rollback.is_some(),
            readiness: rollout_driver::readiness(ctx, plan, &servers).await,
            servers,
            results: Vec::new(),
            workstations: workstations::reports(
                fleet.iter().map(|w| &**w),
                now,
                ctx.workstation_periods,
            ),
        };
        let old_state = RolloutState::from_status(old.rollout.as_ref());
        let (decision, effects) = rollout_driver::decide_with_checks(
            ctx,
            env,
            plan,
            doc,
            &rollout_plan,
            old_state,
            observations,
        )
        .await;

        // The new state may run other revisions too (the stable one, during a rollout).
        let missing: Vec<String> = shape::revisions_needed(&decision.state)
            .into_iter()
            .filter(|r| !renders.contains_key(r))
            .collect();
        for needed in missing {
            match revisions::revision(ctx, plan, &needed).await {
                Ok(objects) => {
                    renders.insert(needed, objects);
                }
                Err(e) => {
                    warn!(revision = claude_env_api::short_revision(&needed), error = %e, "cannot render a revision the rollout needs")
                }
            }
        }
        let desired = shape::desired_set(
            rollout_plan.strategy.kind(),
            &decision.state,
            &plan.name,
            &renders,
        );
        let inventory = inventory::of(&desired);
        let config_maps = workstations::config_maps(&decision.state, &renders, &desired);
        Ok(Rollout {
            decision,
            effects,
            desired,
            inventory,
            config_maps,
            workstations: fleet,
        })
    }
}
