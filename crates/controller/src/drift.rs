//! Drift of one environment: detected from the watch caches, confirmed with fresh reads,
//! remediated by policy, told in Events and gauges.

use std::collections::HashMap;

use claude_env_api::{ClaudeEnvironment, DriftRemediation, DriftStatus};
use claude_env_drift::{DriftReport, ObjectKey, Remediation, decide, detect};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::Value;

use crate::apply;
use crate::context::Context;
use crate::error::Result;
use crate::events::publish;
use crate::objects::Desired;
use crate::plan::Plan;

pub struct Checked {
    /// What was found before any remediation.
    pub detected: DriftReport,
    pub remediation: Remediation,
    /// Objects re-applied.
    pub restored: Vec<ObjectKey>,
    /// Drift left after the remediation (what status and gauges show).
    pub remaining: DriftReport,
}

/// Detect drift of `desired` against the live objects and restore what the policy says.
pub async fn check(ctx: &Context, plan: &Plan, desired: &[Desired]) -> Result<Checked> {
    let pairs = || desired.iter().map(|d| (&d.key, &d.value));
    let mut live: HashMap<ObjectKey, Value> = desired
        .iter()
        .filter_map(|d| ctx.stores.live(&d.key).map(|v| (d.key.clone(), v)))
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
            apply::apply(&ctx.client, d).await?;
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

/// `status.drift` after a check; keeps the previous remediation record when none happened.
pub fn status(checked: &Checked, previous: Option<&DriftStatus>, now: &Time) -> DriftStatus {
    let r = &checked.remaining;
    let last_remediation = if checked.restored.is_empty() {
        previous.and_then(|p| p.last_remediation.clone())
    } else {
        let restored: Vec<String> = checked.restored.iter().map(ToString::to_string).collect();
        Some(DriftRemediation {
            time: now.clone(),
            percentage: checked.detected.percentage(),
            drifted_fields: checked.detected.drifted_leaves as i64,
            items: checked
                .detected
                .items
                .iter()
                .filter(|i| restored.contains(&i.object))
                .take(10)
                .cloned()
                .collect(),
            objects: restored,
        })
    };
    DriftStatus {
        percentage: r.percentage(),
        managed_fields: r.managed_leaves as i64,
        drifted_fields: r.drifted_leaves as i64,
        items: r.items.clone(),
        detected_at: r.is_drifted().then(|| now.clone()),
        last_remediation,
    }
}

/// A drift status for objects just applied: nothing drifted, the remediation record kept.
pub fn clean(desired_leaves: u64, previous: Option<&DriftStatus>) -> DriftStatus {
    DriftStatus {
        managed_fields: desired_leaves as i64,
        last_remediation: previous.and_then(|p| p.last_remediation.clone()),
        ..Default::default()
    }
}

/// Events for a check: DriftDetected when the drift is new (or was just remediated),
/// DriftRemediated for what was restored. `previous`: the drift status has before this check.
pub async fn report(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
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
            "DriftDetected",
            "DetectDrift",
            summary(detected),
        )
        .await;
    }
    if !checked.restored.is_empty() {
        let restored: Vec<String> = checked.restored.iter().map(ToString::to_string).collect();
        ctx.metrics
            .drift_remediations_total
            .with_label_values(&[&plan.selection.environment])
            .inc_by(restored.len() as u64);
        ctx.metrics
            .apply_requests_total
            .inc_by(restored.len() as u64);
        publish(
            &ctx.recorder,
            env,
            false,
            "DriftRemediated",
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

/// The drift gauges of one environment, from its drift status.
pub fn export(ctx: &Context, plan: &Plan, d: &DriftStatus) {
    ctx.metrics
        .set_drift(&plan.namespace, &plan.name, &plan.selection.environment, d);
}

/// One line for Events: counts by category and the first items.
pub fn summary(report: &DriftReport) -> String {
    let classes: Vec<String> = report
        .by_class
        .iter()
        .map(|((c, s), n)| format!("{n} {c:?}/{s:?}"))
        .collect();
    let first: Vec<String> = report
        .items
        .iter()
        .take(5)
        .map(|i| {
            format!(
                "{} {} {:?}",
                i.object,
                if i.path.is_empty() {
                    "(object)"
                } else {
                    &i.path
                },
                i.kind
            )
        })
        .collect();
    format!(
        "{} of {} managed fields drifted ({}%): {}; {}",
        report.drifted_leaves,
        report.managed_leaves,
        report.percentage(),
        classes.join(", "),
        first.join("; ")
    )
}
