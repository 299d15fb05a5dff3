//! Drift: where and how far the live cluster differs from what we rendered.
//!
//! Only the fields we manage count: the leaves of the desired objects we server-side apply.
//! Fields the API server defaults (or other managers set) are not in the desired objects, so
//! they never show up as drift — the noise Argo CD users complain about. Values are compared
//! after the normalisation the API server applies (resource quantities), and list elements
//! are matched by their merge keys (containers by name, env by name, ...) as SSA does.
//!
//! Pure: inputs are JSON values, outputs are plain data.

mod classify;
mod ignore;
mod policy;
mod project;
mod quantity;
mod report;
mod walk;

pub use classify::classify;
pub use claude_env_api::{ObjectKey, ObjectKind};
pub use ignore::{IgnoreRule, IgnoreRuleError, IgnoreRules};
pub use policy::{Remediation, decide};
pub use project::project;
pub use report::{DriftReport, ITEM_LIMIT};

use serde_json::Value;

/// Compare every desired object with its live counterpart (`None`: it does not exist).
pub fn detect<'a, 'l, D, F>(desired: D, live: F, ignore: &IgnoreRules) -> DriftReport
where
    D: IntoIterator<Item = (&'a ObjectKey, &'a Value)>,
    F: Fn(&ObjectKey) -> Option<&'l Value>,
{
    let mut report = DriftReport::default();
    for (key, want) in desired {
        let leaves = walk::managed_leaves(key, want, ignore);
        report.add_object(key, &leaves, live(key));
    }
    report.finish();
    report
}
