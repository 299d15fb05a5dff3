//! One sync of one ClaudeEnvironment (the finalizer's apply side), one phase per module:
//!
//! 1. `resolve`: the plan and the revision to run (fetched, chosen, verified), its document
//!    loaded and validated, its changes classified and let through (`security`), its
//!    dependencies ready;
//! 2. `decide`: the rollout machine's next state and the objects it calls for;
//! 3. `converge`: apply and prune them, or check drift;
//! 4. `finish`: history, metrics, status, and when to look again.
//!
//! A phase that cannot go on stops the sync (`Stop`): a wait, with status saying why, or an
//! error, retried with backoff.

mod converge;
mod decide;
mod finish;
mod resolve;
mod security;

use std::sync::Arc;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, ClaudeEnvironmentStatus, Inventory};
use claude_env_rollout::Decision;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use tracing::{field, instrument};

use crate::context::Context;
use crate::decisions::status::Observation;
use crate::error::{Error, Result};
use crate::io::events::publish;
use crate::io::status_write;
use crate::metrics::{EnvLabels, SyncResult};
use claude_env_render::Manifest;

/// How soon to look again while workloads roll out or dependencies catch up (watch events
/// usually come first).
const PROGRESS_REQUEUE: Duration = Duration::from_secs(5);

/// Bring `env` to what its branch says, phase by phase.
#[instrument(skip_all, fields(namespace = env.namespace(), name = env.name_any(), revision = field::Empty))]
pub(crate) async fn sync(env: Arc<ClaudeEnvironment>, ctx: &Context) -> Result<Action> {
    let old = env.status.clone().unwrap_or_default();
    let run = Run {
        ctx,
        env: &env,
        old: &old,
        labels: EnvLabels::of(&env),
    };
    match run.phases().await {
        Ok(action) | Err(Stop::Wait(action)) => Ok(action),
        Err(Stop::Error(e)) => Err(e),
    }
}

/// What every phase reads.
struct Run<'a> {
    ctx: &'a Context,
    env: &'a ClaudeEnvironment,
    /// The status this reconcile started from: what every status write compares against.
    old: &'a ClaudeEnvironmentStatus,
    /// The environment's identity in metrics.
    labels: EnvLabels,
}

/// Why a phase ended the sync early.
enum Stop {
    /// Not an error (status says what is wrong or awaited): look again as `Action` says.
    Wait(Action),
    /// An error: retried with backoff (`reconcile::error_policy`).
    Error(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Stop::Error(e)
    }
}

/// What the rollout machine decided, and the objects its new state calls for.
struct Rollout {
    decision: Decision,
    /// The machine's non-object actions of every round (metrics, Events, history).
    effects: Vec<claude_env_rollout::Action>,
    desired: Vec<Manifest>,
    inventory: Inventory,
    /// The config ConfigMap of each revision the new state runs (for workstations).
    config_maps: Vec<claude_env_api::RevisionConfig>,
    /// The ClaudeWorkstations following the environment.
    workstations: Vec<Arc<claude_env_api::ClaudeWorkstation>>,
}

/// A failure: the status it leads to, a warning Event and, for some, a `sync_total` count.
struct Failure {
    observation: Observation,
    /// Reason, action, note.
    event: (&'static str, &'static str, String),
    /// The `sync_total` result to count.
    count: Option<SyncResult>,
    announce: Announce,
}

/// When a failure is told beyond status.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Announce {
    /// Every time: it is retried with backoff, or met again only when the object changes.
    Always,
    /// Only when status changed: an invalid or unverified revision is met again at every
    /// interval until the branch moves.
    OnChange,
}

impl Run<'_> {
    async fn phases(&self) -> Result<Action, Stop> {
        let (plan, target) = self.resolve().await?;
        let doc = self.load(&plan, &target.revision).await?;
        let risk = self.security_gate(&plan, &target.revision).await?;
        self.wait_for_dependencies(&target.revision).await?;
        let rollout = self.decide(&plan, &doc, &target).await?;
        let (drift, changes) = self.converge(&plan, &target.revision, &rollout).await?;
        Ok(self
            .finish(&plan, target, rollout, drift, changes, risk)
            .await?)
    }

    /// Write the failure's status; then count it and publish its warning Event, always or
    /// only when status changed (`Announce`).
    async fn fail(&self, failure: Failure) -> Result<()> {
        let Failure {
            observation,
            event: (reason, action, note),
            count,
            announce,
        } = failure;
        let written = status_write::write(self.ctx, self.env, self.old, &observation).await?;
        if written || announce == Announce::Always {
            if let Some(result) = count {
                self.ctx.metrics.synced(&self.labels, result);
            }
            publish(&self.ctx.recorder, self.env, true, reason, action, note).await;
        }
        Ok(())
    }
}

/// `Observation::Failed` for an error, on `revision` when it is known.
fn failed(revision: Option<String>, e: &Error) -> Observation {
    Observation::Failed {
        revision,
        reason: e.category(),
        message: e.to_string(),
    }
}
