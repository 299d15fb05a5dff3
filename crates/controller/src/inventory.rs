//! The inventory: what the controller applied for an environment, and what to prune.

use std::collections::BTreeSet;

use claude_env_api::{Inventory, InventoryEntry};

/// Entries of `old` that are not in `new`: objects no longer rendered.
pub fn stale(old: Option<&Inventory>, new: &Inventory) -> Vec<InventoryEntry> {
    let keep: BTreeSet<&InventoryEntry> = new.entries.iter().collect();
    let mut out: Vec<InventoryEntry> = old
        .map(|i| {
            i.entries
                .iter()
                .filter(|e| !keep.contains(e))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    // Workloads before the ConfigMaps their pods mount.
    out.sort_by_key(|e| (prune_order(&e.kind), e.namespace.clone(), e.name.clone()));
    out
}

/// Sorted and deduplicated, so equal sets compare equal in status.
pub fn normalized(mut entries: Vec<InventoryEntry>) -> Inventory {
    entries.sort();
    entries.dedup();
    Inventory { entries }
}

fn prune_order(kind: &str) -> u8 {
    match kind {
        "Service" => 0,
        "Deployment" => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: &str, name: &str) -> InventoryEntry {
        InventoryEntry {
            api_version: if kind == "Deployment" {
                "apps/v1"
            } else {
                "v1"
            }
            .into(),
            kind: kind.into(),
            namespace: "ns".into(),
            name: name.into(),
        }
    }

    #[test]
    fn stale_is_old_minus_new_workloads_first() {
        let old = normalized(vec![
            e("ConfigMap", "cfg-1"),
            e("Deployment", "a"),
            e("Service", "a"),
            e("Deployment", "b"),
        ]);
        let new = normalized(vec![e("ConfigMap", "cfg-2"), e("Deployment", "b")]);
        assert_eq!(
            stale(Some(&old), &new),
            vec![
                e("Service", "a"),
                e("Deployment", "a"),
                e("ConfigMap", "cfg-1")
            ]
        );
    }

    #[test]
    fn nothing_is_stale_without_an_old_inventory() {
        assert!(stale(None, &normalized(vec![e("Service", "a")])).is_empty());
    }

    #[test]
    fn normalized_sorts_and_dedupes() {
        let i = normalized(vec![
            e("Service", "b"),
            e("Service", "a"),
            e("Service", "b"),
        ]);
        assert_eq!(i.entries, vec![e("Service", "a"), e("Service", "b")]);
    }
}
