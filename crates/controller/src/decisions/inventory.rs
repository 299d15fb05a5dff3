//! The inventory: what the controller applied for an environment, and what to prune.

use std::collections::BTreeSet;

use claude_env_api::{Inventory, ObjectKey, UnknownKind};
use claude_env_render::Manifest;

/// The inventory recording `desired`: sorted and deduplicated, so equal sets compare equal
/// in status.
pub(crate) fn of(desired: &[Manifest]) -> Inventory {
    let mut entries: Vec<_> = desired.iter().map(Manifest::entry).collect();
    entries.sort();
    entries.dedup();
    Inventory { entries }
}

/// The keys an inventory records. Entries of a kind the controller does not render (an
/// inventory edited by hand) come back apart: they are never pruned, since the controller
/// cannot know what such an object is.
pub(crate) fn keys(inventory: Option<&Inventory>) -> (Vec<ObjectKey>, Vec<UnknownKind>) {
    let mut keys = Vec::new();
    let mut unknown = Vec::new();
    for e in inventory.iter().flat_map(|i| i.entries.iter()) {
        match e.key() {
            Ok(k) => keys.push(k),
            Err(u) => unknown.push(u),
        }
    }
    (keys, unknown)
}

/// Objects of `old` that `new` does not have, in prune order: Services stop routing first,
/// then the workloads go, then the ConfigMaps their pods mount.
pub(crate) fn stale(old: &[ObjectKey], new: &Inventory) -> Vec<ObjectKey> {
    let keep: BTreeSet<(&str, &str, &str)> = new
        .entries
        .iter()
        .map(|e| (e.kind.as_str(), e.namespace.as_str(), e.name.as_str()))
        .collect();
    let mut out: Vec<ObjectKey> = old
        .iter()
        .filter(|k| !keep.contains(&(k.kind.as_str(), k.namespace.as_str(), k.name.as_str())))
        .cloned()
        .collect();
    out.sort_by(|a, b| {
        (a.kind.prune_order(), &a.namespace, &a.name).cmp(&(
            b.kind.prune_order(),
            &b.namespace,
            &b.name,
        ))
    });
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::{InventoryEntry, ObjectKind};
    use serde_json::json;

    fn m(kind: ObjectKind, name: &str) -> Manifest {
        Manifest::from_value(
            json!({"kind": kind.as_str(), "metadata": {"namespace": "ns", "name": name}}),
            None,
        )
        .unwrap()
    }

    fn k(kind: ObjectKind, name: &str) -> ObjectKey {
        ObjectKey::new(kind, "ns", name)
    }

    use ObjectKind::{ConfigMap, Deployment, Service};

    #[test]
    fn stale_is_old_minus_new_services_then_workloads_then_config() {
        let old = [
            k(ConfigMap, "cfg-1"),
            k(Deployment, "a"),
            k(Service, "a"),
            k(Deployment, "b"),
        ];
        let new = of(&[m(ConfigMap, "cfg-2"), m(Deployment, "b")]);
        assert_eq!(
            stale(&old, &new),
            vec![k(Service, "a"), k(Deployment, "a"), k(ConfigMap, "cfg-1")]
        );
    }

    #[test]
    fn nothing_is_stale_without_an_old_inventory() {
        assert!(stale(&[], &of(&[m(Service, "a")])).is_empty());
    }

    #[test]
    fn inventories_are_sorted_and_deduplicated() {
        let i = of(&[m(Service, "b"), m(Service, "a"), m(Service, "b")]);
        let names: Vec<&str> = i.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(i.entries[0].api_version, "v1");
    }

    #[test]
    fn entries_of_unknown_kinds_are_kept_apart_not_guessed() {
        let inventory = Inventory {
            entries: vec![
                k(Deployment, "a").entry(),
                InventoryEntry {
                    api_version: "v1".into(),
                    kind: "Secret".into(),
                    namespace: "ns".into(),
                    name: "s".into(),
                },
            ],
        };
        let (keys, unknown) = keys(Some(&inventory));
        assert_eq!(keys, [k(Deployment, "a")]);
        assert_eq!(unknown, [UnknownKind("Secret".into())]);
    }
}
