//! `dependsOn` against the watch cache: the gate for an environment with its dependencies as
//! cached, and waking the environments that wait for one.

use std::sync::Arc;

use claude_env_api::ClaudeEnvironment;
use kube::ResourceExt;
use kube::runtime::reflector::ObjectRef;

use crate::context::Context;
use crate::decisions::dependencies::{Gate, gate};

/// The gate for `env` on `revision`, with its dependencies as the watch cache has them.
pub(crate) fn gate_of(ctx: &Context, env: &ClaudeEnvironment, revision: &str) -> Gate {
    let own_ns = env.namespace().unwrap_or_default();
    let deps: Vec<(String, Option<Arc<ClaudeEnvironment>>)> = env
        .spec
        .depends_on
        .iter()
        .map(|d| {
            let ns = d.namespace.clone().unwrap_or_else(|| own_ns.clone());
            let found = ctx
                .stores
                .environments
                .get(&ObjectRef::new(&d.name).within(&ns));
            (format!("{ns}/{}", d.name), found)
        })
        .collect();
    let borrowed: Vec<(String, Option<&ClaudeEnvironment>)> = deps
        .iter()
        .map(|(n, e)| (n.clone(), e.as_deref()))
        .collect();
    gate(revision, &borrowed)
}

/// Environments depending on `env` may be waiting for it: look now, not at their requeue.
pub(crate) fn wake_dependents(ctx: &Context, env: &ClaudeEnvironment) {
    let (ns, name) = (env.namespace().unwrap_or_default(), env.name_any());
    for (other_ns, other) in ctx.stores.dependents_of(&ns, &name) {
        let _ = ctx.trigger.send(ObjectRef::new(&other).within(&other_ns));
    }
}
