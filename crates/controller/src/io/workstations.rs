//! The ClaudeWorkstations following an environment, from the watch cache, and the deletion
//! of records not heard from for too long.

use std::sync::Arc;

use claude_env_api::ClaudeWorkstation;
use jiff::Timestamp;
use kube::ResourceExt;
use kube::api::{Api, DeleteParams};
use tracing::{info, warn};

use crate::context::Context;
use crate::decisions::workstations::{self, Periods};

/// The cached records of the environment `namespace/name`.
pub(crate) fn records(ctx: &Context, namespace: &str, name: &str) -> Vec<Arc<ClaudeWorkstation>> {
    ctx.stores
        .workstations
        .state()
        .into_iter()
        .filter(|w| w.namespace().as_deref() == Some(namespace) && w.spec.environment == name)
        .collect()
}

/// Delete the records not heard from within the removal period (best effort: a failure is
/// retried by the next reconcile).
pub(crate) async fn remove_expired(
    ctx: &Context,
    namespace: &str,
    records: &[Arc<ClaudeWorkstation>],
    now: Timestamp,
    periods: Periods,
) {
    let names = workstations::expired(records.iter().map(|w| &**w), now, periods);
    if names.is_empty() {
        return;
    }
    let api: Api<ClaudeWorkstation> = Api::namespaced(ctx.client.clone(), namespace);
    for name in names {
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => info!(workstation = %name, "removed a workstation record not heard from"),
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => warn!(workstation = %name, error = %e, "removing a workstation record"),
        }
    }
}
