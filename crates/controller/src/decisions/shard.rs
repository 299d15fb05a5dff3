//! A shard's own objects (pure). `--label-selector` splits the environments between
//! controller processes. Its equality terms (`key=value`, `key==value`) hold for every
//! environment the shard serves, so the shard stamps them on every object it renders and
//! adds them to the selector of its object watches: each process then caches only its own
//! environments' objects, and two shards hold half the objects each instead of all of them.
//! Other terms (`!=`, `in`, `notin`, existence) say nothing a label can carry and are left
//! to the environment watch alone.
//!
//! An object this shard's watches do not see (another shard's, or one rendered before the
//! label was stamped) is read from the API server where ownership is checked, as any
//! object outside the caches is: nothing is overwritten or pruned that is not the
//! environment's own.

use std::collections::BTreeMap;

use claude_env_render::Manifest;
use serde_json::Value;

/// The `key=value` terms of a label selector, by key (the last wins, as both must hold).
pub(crate) fn equality_terms(selector: &str) -> BTreeMap<String, String> {
    terms(selector)
        .into_iter()
        .filter_map(|term| {
            if term.contains("!=") {
                return None;
            }
            let (k, v) = term.split_once("==").or_else(|| term.split_once('='))?;
            let (k, v) = (k.trim(), v.trim());
            (!k.is_empty() && !k.contains(char::is_whitespace) && !v.contains(char::is_whitespace))
                .then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// The selector's terms: split at the commas outside `in (a, b)` lists.
fn terms(selector: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(selector[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(selector[start..].trim());
    out.retain(|t| !t.is_empty());
    out
}

/// `base` (the object watches' selector) with the shard's terms added.
pub(crate) fn object_selector(base: &str, shard: &BTreeMap<String, String>) -> String {
    std::iter::once(base.to_string())
        .chain(shard.iter().map(|(k, v)| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(",")
}

/// Put the shard's labels on each object's own metadata (not on pod templates: a Deployment
/// that changes shard must not roll).
pub(crate) fn stamp(objects: &mut [Manifest], shard: &BTreeMap<String, String>) {
    if shard.is_empty() {
        return;
    }
    for o in objects {
        let Some(meta) = o.value.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        let labels = meta
            .entry("labels")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(labels) = labels.as_object_mut() {
            for (k, v) in shard {
                labels.insert(k.clone(), Value::String(v.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::{ObjectKey, ObjectKind};
    use serde_json::json;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_equality_terms_are_a_shards_labels() {
        assert_eq!(
            equality_terms("claude-env.io/shard=0"),
            map(&[("claude-env.io/shard", "0")])
        );
        assert_eq!(
            equality_terms(" team == a , tier!=gold, env in (dev, prod), !legacy, region"),
            map(&[("team", "a")])
        );
        assert_eq!(
            equality_terms("zone notin (x,y),shard=b,owner=,x=1"),
            map(&[("shard", "b"), ("owner", ""), ("x", "1")])
        );
        assert!(equality_terms("").is_empty());
        assert!(equality_terms("a in (b=c)").is_empty(), "a set, not a term");
    }

    #[test]
    fn the_object_selector_adds_the_terms() {
        let base = "app.kubernetes.io/managed-by=claude-env-controller";
        assert_eq!(object_selector(base, &BTreeMap::new()), base);
        assert_eq!(
            object_selector(base, &map(&[("s", "1"), ("t", "a")])),
            format!("{base},s=1,t=a")
        );
    }

    #[test]
    fn stamping_labels_the_object_not_its_pod_template() {
        let key = ObjectKey::new(ObjectKind::Deployment, "ns", "d");
        let mut objects = vec![
            Manifest {
                key: key.clone(),
                value: json!({"metadata": {"name": "d", "labels": {"app": "x"}},
                    "spec": {"template": {"metadata": {"labels": {"app": "x"}}}}}),
                server: None,
            },
            Manifest {
                key,
                value: json!({"metadata": {"name": "c"}}),
                server: None,
            },
        ];
        stamp(&mut objects, &map(&[("shard", "1")]));
        assert_eq!(
            objects[0].value["metadata"]["labels"],
            json!({"app": "x", "shard": "1"})
        );
        assert_eq!(
            objects[0].value["spec"]["template"]["metadata"]["labels"],
            json!({"app": "x"})
        );
        assert_eq!(
            objects[1].value["metadata"]["labels"],
            json!({"shard": "1"})
        );
        let before = objects.clone();
        stamp(&mut objects, &BTreeMap::new());
        assert_eq!(objects, before);
    }
}
