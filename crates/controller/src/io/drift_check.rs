//! Drift of one environment: detected from the watch caches, confirmed with fresh reads,
//! remediated by policy, told in Events.

use std::collections::HashMap;

use claude_env_api::{ClaudeEnvironment, DriftStatus, reason};
use claude_env_drift::{ObjectKey, Remediation, decide, detect};
use claude_env_render::Manifest;
use serde_json::Value;

use crate::context::Context;
use crate::decisions::drift_status::{self, Checked};
use crate::decisions::plan::EnvPlan;
use crate::decisions::slim_cache;
use crate::error::Result;
use crate::io::apply;
use crate::io::events::publish;
use crate::metrics::EnvLabels;

/// Detect drift of `desired` against the live objects and restore what the policy says.
pub(crate) async fn check(ctx: &Context, plan: &EnvPlan, desired: &[Manifest]) -> Result<Checked> {
    let pairs = || desired.iter().map(|d| (&d.key, &d.value));
    let mut live: HashMap<ObjectKey, Value> = desired
        .iter()
        .filter_map(|d| {
            let v = ctx.stores.live(&d.key);
            let cached = v
                .as_ref()
                .and_then(|v| v["metadata"]["resourceVersion"].as_str());
            if ctx.applied_versions.cache_lags(&d.key, cached) {
                // Not judged until the watch shows our own apply (its event reconciles again).
                return Some((d.key.clone(), d.value.clone()));
            }
            Some((d.key.clone(), slim_cache::restore(d, v?)))
        })
        .collect();
    let mut report = detect(pairs(), |k| live.get(k), &plan.ignore);
    if report.is_drifted() {
        // The cache may lag behind our own last apply: confirm with fresh reads before
        // reporting or acting (drift is rare, so these reads are too).
        for key in &report.drifted_objects {
            match apply::get(&ctx.client, key).await? {
                Some(v) => live.insert(key.clone(), v),
                None => live.remove(key),
            };
        }
        report = detect(pairs(), |k| live.get(k), &plan.ignore);
    }
    let remediation = decide(plan.drift_mode, &plan.selection.environment, &report);
    let restore: Vec<ObjectKey> = match remediation {
        Remediation::All => report.drifted_objects.iter().cloned().collect(),
        Remediation::Security => report.security_objects.iter().cloned().collect(),
        Remediation::None | Remediation::Alert => Vec::new(),
    };
    for key in &restore {
        if let Some(d) = desired.iter().find(|d| &d.key == key) {
            apply::apply(ctx, d).await?;
            live.insert(key.clone(), d.value.clone());
        }
    }
    let remaining = if restore.is_empty() {
        report.clone()
    } else {
        detect(pairs(), |k| live.get(k), &plan.ignore)
    };
    Ok(Checked {
        detected: report,
        remediation,
        restored: restore,
        remaining,
    })
}

/// Events for a check: DriftDetected when the drift is new (or was just remediated),
/// DriftRemediated for what was restored. `previous`: the drift status has before this check.
pub(crate) async fn report(
    ctx: &Context,
    env: &ClaudeEnvironment,
    labels: &EnvLabels,
    previous: Option<&DriftStatus>,
    checked: &Checked,
) {
    let detected = &checked.detected;
    if !detected.is_drifted() {
        return;
    }
    let already_reported = previous.is_some_and(|d| d.items == detected.items);
    if !already_reported || !checked.restored.is_empty() {
        publish(
            &ctx.recorder,
            env,
            true,
            reason::DRIFT_DETECTED,
            "DetectDrift",
            drift_status::summary(detected),
        )
        .await;
    }
    if !checked.restored.is_empty() {
        let restored: Vec<String> = checked.restored.iter().map(ToString::to_string).collect();
        ctx.metrics.drift_remediated(labels, restored.len());
        publish(
            &ctx.recorder,
            env,
            false,
            reason::DRIFT_REMEDIATED,
            "Remediate",
            format!(
                "restored ({:?} policy): {}",
                checked.remediation,
                restored.join(", ")
            ),
        )
        .await;
    }
}
