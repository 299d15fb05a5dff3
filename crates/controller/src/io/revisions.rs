//! A revision's objects as the controller applies them: the target's from the document this
//! reconcile loaded and validated, others (the stable revision a rollout still runs) from Git.

use claude_env_config::Document;
use claude_env_render::{DesiredObjects, RenderContext};

use crate::context::Context;
use crate::decisions::plan::EnvPlan;
use crate::decisions::shard;
use crate::error::{Error, Result};
use claude_env_render::Manifest;

/// The objects of `doc` (already loaded and validated) at `revision`.
pub(crate) fn document(plan: &EnvPlan, doc: &Document, revision: &str) -> Result<Vec<Manifest>> {
    let rendered = objects(plan, doc, revision)?;
    let mut manifests = claude_env_render::manifests(&rendered, plan.progress_deadline);
    shard::stamp(&mut manifests, &plan.shard_labels);
    Ok(manifests)
}

/// The objects `render_objects` makes of `doc` at `revision` for this environment.
pub(crate) fn objects(plan: &EnvPlan, doc: &Document, revision: &str) -> Result<DesiredObjects> {
    let render_ctx = RenderContext {
        instance: plan.name.clone(),
        owner_namespace: plan.namespace.clone(),
        target_namespace: plan.target_namespace.clone(),
        environment: plan.selection.environment.clone(),
        team: plan.selection.team.clone(),
        project: plan.selection.project.clone(),
        revision: Some(revision.to_string()),
    };
    claude_env_render::render_objects(doc, &render_ctx).map_err(|source| Error::Render {
        selection: plan.selection.to_string(),
        revision: revision.to_string(),
        source: Box::new(source),
    })
}

/// Another revision's objects (the stable one, during and after a rollout), from Git.
pub(crate) async fn revision(
    ctx: &Context,
    plan: &EnvPlan,
    revision: &str,
) -> Result<Vec<Manifest>> {
    let prepared = ctx
        .sources
        .prepare(&plan.source, revision, plan.path.as_deref())
        .await?;
    let doc = prepared
        .parsed
        .load(&plan.selection, None)
        .map_err(|d| Error::Spec(format!("revision {revision} no longer loads: {d}")))?
        .document()
        .map_err(|e| Error::Spec(format!("revision {revision}: {e}")))?;
    document(plan, &doc, revision)
}
