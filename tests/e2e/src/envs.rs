//! Waiting on ClaudeEnvironments as users would (`kubectl wait`): Ready, Ready at a revision,
//! stalled with a reason; and who holds a leader Lease.

use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, condition};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;

use crate::{TestNamespace, condition_of, wait};

/// Wait until `name` is Ready (any revision).
pub async fn ready(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    timeout: Duration,
) -> ClaudeEnvironment {
    wait::until(&format!("{name} Ready"), timeout, || async {
        let env = api.get(name).await.map_err(|e| e.to_string())?;
        match condition_of(&env, condition::READY) {
            Some((s, _, _)) if s == "True" => Ok(env),
            other => Err(format!("{other:?}")),
        }
    })
    .await
}

/// Wait until `name` is Ready with `revision` applied.
pub async fn ready_at(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    revision: &str,
    timeout: Duration,
) -> ClaudeEnvironment {
    let short = claude_env_api::short_revision(revision);
    wait::until(&format!("{name} Ready at {short}"), timeout, || async {
        let env = api.get(name).await.map_err(|e| e.to_string())?;
        let applied = env
            .status
            .as_ref()
            .and_then(|s| s.last_applied_revision.clone());
        let ready = condition_of(&env, condition::READY);
        match (&applied, &ready) {
            (Some(a), Some((s, _, _))) if a == revision && s == "True" => Ok(env),
            _ => Err(format!("applied={applied:?} ready={ready:?}")),
        }
    })
    .await
}

/// Wait until `name` is Stalled, and not Ready, with `reason`; returns the message.
pub async fn stalled_with(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    reason: &str,
    timeout: Duration,
) -> String {
    wait::until(
        &format!("{name} stalled with {reason}"),
        timeout,
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            let ready = condition_of(&env, condition::READY);
            let stalled = condition_of(&env, condition::STALLED);
            match (&ready, &stalled) {
                (Some((r, why, m)), Some((s, _, _)))
                    if r == "False" && why == reason && s == "True" =>
                {
                    Ok(m.clone())
                }
                _ => Err(format!("ready={ready:?} stalled={stalled:?}")),
            }
        },
    )
    .await
}

/// The identity holding Lease `lease` in `ns`.
pub async fn lease_holder(ns: &TestNamespace, lease: &str) -> Option<String> {
    let leases: Api<Lease> = ns.api();
    leases.get_opt(lease).await.ok()??.spec?.holder_identity
}
