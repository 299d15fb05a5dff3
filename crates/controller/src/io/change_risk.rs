//! The risk of a revision's changes: both revisions' merged documents loaded from the Git
//! cache (parsed once per revision, shared with every environment on it) and rendered, then
//! compared by `claude_env_risk::assess`.

use claude_env_config::MergedDocument;
use claude_env_risk::{Input, Report};

use crate::context::Context;
use crate::decisions::plan::EnvPlan;
use crate::error::{Error, Result};
use crate::io::revisions;

/// Every change from `base` to `head` for this environment's selection, riskiest first.
pub(crate) async fn assess(
    ctx: &Context,
    plan: &EnvPlan,
    base: &str,
    head: &str,
) -> Result<Report> {
    let (b, h) = (
        merged(ctx, plan, base).await?,
        merged(ctx, plan, head).await?,
    );
    let b_objects = revisions::objects(plan, &document(&b, base)?, base)?;
    let h_objects = revisions::objects(plan, &document(&h, head)?, head)?;
    Ok(claude_env_risk::assess(
        Input::new(&b).with_objects(&b_objects),
        Input::new(&h).with_objects(&h_objects),
    ))
}

/// The merged document (with provenance) of `revision`.
async fn merged(ctx: &Context, plan: &EnvPlan, revision: &str) -> Result<MergedDocument> {
    let prepared = ctx
        .sources
        .prepare(&plan.source, revision, plan.path.as_deref())
        .await?;
    prepared
        .parsed
        .load(&plan.selection, None)
        .map_err(|d| Error::Spec(format!("revision {revision} does not load: {d}")))
}

fn document(merged: &MergedDocument, revision: &str) -> Result<claude_env_config::Document> {
    merged
        .document()
        .map_err(|e| Error::Spec(format!("revision {revision}: {e}")))
}
