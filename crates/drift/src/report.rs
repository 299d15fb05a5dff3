//! The drift of one environment: items, counts and the percentage.

use std::collections::{BTreeMap, BTreeSet};

use claude_env_api::{DriftCategory, DriftItem, DriftKind, DriftSeverity};
use serde_json::Value;

use crate::ObjectKey;
use crate::classify::{classify, classify_missing};
use crate::quantity;
use crate::walk::{Leaf, resolve};

/// Items kept in the report (and so in status); counts stay exact beyond it.
pub const ITEM_LIMIT: usize = 50;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct DriftReport {
    /// Most severe first, then by object and path; at most [`ITEM_LIMIT`].
    pub items: Vec<DriftItem>,
    /// Items before truncation.
    pub total_items: usize,
    /// Leaves of every desired object (minus ignored paths).
    pub managed_leaves: u64,
    /// Managed leaves whose live value differs or is gone.
    pub drifted_leaves: u64,
    /// Item count per category and severity (for the `drift_items` metric).
    pub by_class: BTreeMap<(DriftCategory, DriftSeverity), u64>,
    /// Objects with any drift.
    pub drifted_objects: BTreeSet<ObjectKey>,
    /// Objects with security drift.
    pub security_objects: BTreeSet<ObjectKey>,
}

impl DriftReport {
    /// Drifted managed leaves / managed leaves × 100, rounded to 0.1.
    pub fn percentage(&self) -> f64 {
        if self.managed_leaves == 0 {
            return 0.0;
        }
        (self.drifted_leaves as f64 * 1000.0 / self.managed_leaves as f64).round() / 10.0
    }

    pub fn is_drifted(&self) -> bool {
        self.drifted_leaves > 0
    }

    pub fn has_category(&self, category: DriftCategory) -> bool {
        self.by_class.keys().any(|(c, _)| *c == category)
    }

    pub(crate) fn add_object(
        &mut self,
        key: &ObjectKey,
        leaves: &[Leaf<'_>],
        live: Option<&Value>,
    ) {
        self.managed_leaves += leaves.len() as u64;
        let Some(live) = live else {
            if !leaves.is_empty() {
                self.drifted_leaves += leaves.len() as u64;
                let (category, severity) = classify_missing(key.kind);
                self.push(key, String::new(), category, severity, DriftKind::Missing);
            }
            return;
        };
        for leaf in leaves {
            let found = resolve(live, &leaf.steps);
            let kind = match found {
                None => DriftKind::Removed,
                Some(v) if same(&leaf.pointer, leaf.value, v) => continue,
                Some(_) => DriftKind::Changed,
            };
            self.drifted_leaves += 1;
            let (category, severity) = classify(key.kind, &leaf.pointer, Some(leaf.value), found);
            self.push(key, leaf.pointer.clone(), category, severity, kind);
        }
    }

    fn push(
        &mut self,
        key: &ObjectKey,
        path: String,
        category: DriftCategory,
        severity: DriftSeverity,
        kind: DriftKind,
    ) {
        *self.by_class.entry((category, severity)).or_default() += 1;
        self.drifted_objects.insert(key.clone());
        if category == DriftCategory::Security {
            self.security_objects.insert(key.clone());
        }
        self.items.push(DriftItem {
            object: key.to_string(),
            path,
            category,
            severity,
            kind,
        });
    }

    pub(crate) fn finish(&mut self) {
        self.total_items = self.items.len();
        self.items.sort_by(|a, b| {
            (a.severity, a.category, &a.object, &a.path)
                .cmp(&(b.severity, b.category, &b.object, &b.path))
        });
        self.items.truncate(ITEM_LIMIT);
    }
}

/// Equal as the API server would store it.
pub(crate) fn same(pointer: &str, desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::String(d), Value::String(l)) if pointer.contains("/resources/") => {
            quantity::equal(d, l)
        }
        (Value::Number(d), Value::Number(l)) => d.as_f64() == l.as_f64(),
        _ => desired == live,
    }
}
