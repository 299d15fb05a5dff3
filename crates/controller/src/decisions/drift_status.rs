//! Drift as status shows it (pure): what a check found and restored, turned into
//! `status.drift` and the one line Events carry.

use claude_env_api::{DriftRemediation, DriftStatus};
use claude_env_drift::{DriftReport, ObjectKey, Remediation};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// What one drift check found and did.
pub(crate) struct Checked {
    /// What was found before any remediation.
    pub(crate) detected: DriftReport,
    pub(crate) remediation: Remediation,
    /// Objects re-applied.
    pub(crate) restored: Vec<ObjectKey>,
    /// Drift left after the remediation (what status and gauges show).
    pub(crate) remaining: DriftReport,
}

/// `status.drift` after a check; keeps the previous remediation record when none happened.
pub(crate) fn status(checked: &Checked, previous: Option<&DriftStatus>, now: &Time) -> DriftStatus {
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
pub(crate) fn clean(desired_leaves: u64, previous: Option<&DriftStatus>) -> DriftStatus {
    DriftStatus {
        managed_fields: desired_leaves as i64,
        last_remediation: previous.and_then(|p| p.last_remediation.clone()),
        ..Default::default()
    }
}

/// One line for Events: counts by category and the first items.
pub(crate) fn summary(report: &DriftReport) -> String {
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
