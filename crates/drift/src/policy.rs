//! What to do about drift: the environment's policy applied to a report.

use claude_env_api::{DriftCategory, DriftMode};

use crate::report::DriftReport;

/// The remediation a drift report calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remediation {
    /// No drift, or the policy says leave it.
    None,
    /// Report only.
    Alert,
    /// Restore the objects that have security drift (the rest is reported).
    Security,
    /// Restore every drifted object.
    All,
}

/// Remediate by default outside production, alert in production; security drift is
/// remediated under every mode but an explicit Ignore.
pub fn decide(mode: Option<DriftMode>, environment: &str, report: &DriftReport) -> Remediation {
    if report.drifted_leaves == 0 {
        return Remediation::None;
    }
    let mode = mode.unwrap_or(if environment == "production" {
        DriftMode::Alert
    } else {
        DriftMode::Remediate
    });
    let security = report.has_category(DriftCategory::Security);
    match mode {
        DriftMode::Ignore => Remediation::None,
        DriftMode::Remediate => Remediation::All,
        DriftMode::Alert if security => Remediation::Security,
        DriftMode::Alert => Remediation::Alert,
    }
}
