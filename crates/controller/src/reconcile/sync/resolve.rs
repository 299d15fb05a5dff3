//! Phase 1: the revision to run and its document. The spec is parsed, the branch tip
//! fetched, a rollback request resolved, the commit's signature verified when the spec asks;
//! then the document at that revision is loaded and validated, and a new revision waits for
//! the environments it depends on.

use claude_env_api::{ClaudeEnvironment, ClaudeEnvironmentStatus, annotations, reason};
use claude_env_config::Document;
use kube::ResourceExt;
use kube::runtime::controller::Action;
use tracing::{Span, info};

use super::{Announce, Failure, PROGRESS_REQUEUE, Run, Stop, failed};
use crate::context::Context;
use crate::decisions::dependencies::Gate;
use crate::decisions::plan::{EnvPlan, PlanError};
use crate::decisions::status::Observation;
use crate::decisions::target::{self, Target};
use crate::error::{Error, Result};
use crate::io::dependents;
use crate::io::{secrets, status_write};
use crate::metrics::{Limit, SyncResult};

impl Run<'_> {
    /// The plan and the revision to run: the spec parsed, the branch tip fetched, a rollback
    /// request resolved, the commit's signature verified when the spec asks for it.
    pub(super) async fn resolve(&self) -> Result<(EnvPlan, Target), Stop> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let plan = self.plan().await?;
        if env.spec.suspend {
            status_write::write(ctx, env, old, &Observation::Suspended).await?;
            return Err(Stop::Wait(Action::await_change()));
        }
        let tip = self.tip(&plan).await?;
        let target = match choose_target(ctx, env, &plan, old, &tip).await {
            Ok(t) => t,
            Err(e) => {
                self.fail(Failure {
                    observation: failed(None, &e),
                    event: (e.category(), "Rollback", e.to_string()),
                    count: None,
                    announce: Announce::Always,
                })
                .await?;
                return Err(Stop::Wait(Action::await_change()));
            }
        };
        Span::current().record("revision", claude_env_api::short_revision(&target.revision));
        self.verify(&plan, &target).await?;
        Ok((plan, target))
    }

    /// The spec parsed and checked against the operator's policy. A refusal stalls: only a
    /// spec (or policy) change can fix it, and nothing is acted on.
    async fn plan(&self) -> Result<EnvPlan, Stop> {
        let e = match EnvPlan::from_spec(self.env, &self.ctx.policy) {
            Ok(p) => return Ok(p),
            Err(e) => e,
        };
        match e {
            PlanError::IntervalTooShort { .. } => {
                self.ctx.metrics.limit_exceeded(Limit::MinInterval)
            }
            PlanError::TimeoutOutOfRange { .. } => {
                self.ctx.metrics.limit_exceeded(Limit::FetchTimeout)
            }
            _ => {}
        }
        self.fail(Failure {
            observation: Observation::Refused {
                revision: None,
                reason: e.reason(),
                message: e.to_string(),
            },
            event: (e.reason(), "Validate", e.to_string()),
            count: None,
            announce: Announce::OnChange,
        })
        .await?;
        Err(Stop::Wait(Action::await_change()))
    }

    /// The branch tip, fetched when the last fetch is older than the interval (or a
    /// reconcile request asks for the branch as it is now).
    async fn tip(&self, plan: &EnvPlan) -> Result<String, Stop> {
        let (ctx, env) = (self.ctx, self.env);
        if let Some(requested) = env.annotations().get(annotations::RECONCILE)
            && self.old.last_handled_reconcile_at.as_deref() != Some(requested)
        {
            ctx.sources.invalidate(&plan.source);
        }
        let fetched = ctx
            .sources
            .revision(&plan.source, plan.interval, plan.timeout, || {
                secrets::read_auth(ctx, env)
            })
            .await;
        match fetched {
            Ok(rev) => Ok(rev),
            Err(e) => {
                self.fail(Failure {
                    observation: Observation::SourceFailed {
                        reason: e.category(),
                        message: e.to_string(),
                    },
                    event: (e.category(), "Fetch", e.to_string()),
                    count: None,
                    announce: Announce::Always,
                })
                .await?;
                Err(e.into())
            }
        }
    }

    /// With `spec.source.verify`, the revision must be signed by a trusted key; an
    /// unverified one is not applied, and the next interval looks again.
    async fn verify(&self, plan: &EnvPlan, target: &Target) -> Result<(), Stop> {
        let (ctx, env) = (self.ctx, self.env);
        let Some(verify) = &env.spec.source.verify else {
            return Ok(());
        };
        let (version, keys) = secrets::read_secret(ctx, env, &verify.secret_ref.name).await?;
        let Err(e) = ctx
            .sources
            .verify(&plan.source, &target.revision, &version, keys)
            .await?
        else {
            return Ok(());
        };
        self.fail(Failure {
            observation: Observation::Unverified {
                revision: target.revision.clone(),
                message: e.to_string(),
            },
            event: (e.reason(), "Verify", e.to_string()),
            count: None,
            announce: Announce::OnChange,
        })
        .await?;
        Err(Stop::Wait(Action::requeue(plan.interval)))
    }

    /// The document at `revision`, loaded and validated. An invalid revision is not applied;
    /// the next interval looks again.
    pub(super) async fn load(&self, plan: &EnvPlan, revision: &str) -> Result<Document, Stop> {
        let prepared = match self
            .ctx
            .sources
            .prepare(&plan.source, revision, plan.path.as_deref())
            .await
        {
            Ok(p) => p,
            Err(e @ Error::Limit { limit, .. }) => {
                // Over the operator's bounds: nothing of it is read further or applied; the
                // next interval looks at the branch again.
                self.ctx.metrics.limit_exceeded(Limit::Snapshot(limit));
                self.fail(Failure {
                    observation: Observation::Refused {
                        revision: Some(revision.to_string()),
                        reason: e.category(),
                        message: e.to_string(),
                    },
                    event: (e.category(), "Load", e.to_string()),
                    count: Some(SyncResult::Invalid),
                    announce: Announce::OnChange,
                })
                .await?;
                return Err(Stop::Wait(Action::requeue(plan.interval)));
            }
            Err(e) => return Err(e.into()),
        };
        let document = match prepared.parsed.load(&plan.selection, None) {
            Ok(d) => d,
            Err(diagnostics) => {
                let message = diagnostics.to_string();
                info!(
                    problems = diagnostics.len(),
                    "revision is invalid; keeping what is applied"
                );
                self.fail(Failure {
                    observation: Observation::Invalid {
                        revision: revision.to_string(),
                        message: message.clone(),
                    },
                    event: (reason::VALIDATION_FAILED, "Validate", message),
                    count: Some(SyncResult::Invalid),
                    announce: Announce::OnChange,
                })
                .await?;
                return Err(Stop::Wait(Action::requeue(plan.interval)));
            }
        };
        let doc = document
            .document()
            .map_err(|e| Error::Spec(format!("revision {revision}: {e}")))?;
        Ok(doc)
    }

    /// A new revision waits until every `dependsOn` environment is Ready and Healthy on it.
    pub(super) async fn wait_for_dependencies(&self, revision: &str) -> Result<(), Stop> {
        let (ctx, env, old) = (self.ctx, self.env, self.old);
        let changes_revision = old.last_applied_revision.as_deref() != Some(revision);
        if changes_revision
            && !env.spec.depends_on.is_empty()
            && let Gate::Wait(message) = dependents::gate_of(ctx, env, revision)
        {
            let obs = Observation::DependencyNotReady {
                revision: revision.to_string(),
                message,
            };
            status_write::write(ctx, env, old, &obs).await?;
            return Err(Stop::Wait(Action::requeue(PROGRESS_REQUEUE)));
        }
        Ok(())
    }
}

/// The revision to run: the branch tip, unless a rollback asked for another one.
async fn choose_target(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &EnvPlan,
    old: &ClaudeEnvironmentStatus,
    tip: &str,
) -> Result<Target> {
    let requested = env
        .annotations()
        .get(annotations::ROLLBACK_TO)
        .filter(|v| !v.is_empty());
    let resolved = match requested {
        Some(a) if old.last_handled_rollback_to.as_deref() != Some(a.as_str()) => Some((
            a.as_str(),
            ctx.sources
                .resolve(&plan.source, target::rollback_revision(a))
                .await?,
        )),
        _ => None,
    };
    // A failed rollout's revision is held by the rollout machine itself; what the controller
    // holds back is the tip a manual rollback turned away from.
    Ok(target::choose(target::Inputs {
        rollback_to: resolved.as_ref().map(|(a, r)| (*a, r.as_str())),
        last_handled_rollback: old.last_handled_rollback_to.as_deref(),
        rejected: old.rejected_revision.as_deref(),
        last_applied: old.last_applied_revision.as_deref(),
        tip,
    }))
}
