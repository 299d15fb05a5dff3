//! The managed leaves of a desired object, and how to find each one in the live object.

use serde_json::Value;

use crate::ObjectKey;
use crate::ignore::IgnoreRules;

/// One step from a value to a child, as the live object must be navigated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    Key(String),
    /// Positional list element (lists without a merge key, e.g. `args`).
    Index(usize),
    /// The list element whose `field` equals `value` (SSA merge keys).
    Match {
        field: &'static str,
        value: Value,
    },
}

/// A scalar we set, with its JSON pointer in the desired object.
#[derive(Debug)]
pub(crate) struct Leaf<'a> {
    pub pointer: String,
    pub steps: Vec<Step>,
    pub value: &'a Value,
}

/// Identity fields are how we find the object, not state we manage.
const IDENTITY: [&str; 4] = [
    "/apiVersion",
    "/kind",
    "/metadata/name",
    "/metadata/namespace",
];

pub(crate) fn managed_leaves<'a>(
    key: &ObjectKey,
    desired: &'a Value,
    ignore: &IgnoreRules,
) -> Vec<Leaf<'a>> {
    let mut out = Vec::new();
    collect(desired, String::new(), Vec::new(), None, &mut out);
    out.retain(|l| !IDENTITY.contains(&l.pointer.as_str()) && !ignore.matches(key, &l.pointer));
    out
}

fn collect<'a>(
    value: &'a Value,
    pointer: String,
    steps: Vec<Step>,
    field: Option<&str>,
    out: &mut Vec<Leaf<'a>>,
) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut s = steps.clone();
                s.push(Step::Key(k.clone()));
                collect(v, format!("{pointer}/{}", escape(k)), s, Some(k), out);
            }
        }
        Value::Array(items) => {
            let merge_key = field.and_then(|f| merge_key(f, items));
            for (i, v) in items.iter().enumerate() {
                let step = match merge_key {
                    Some(mk) => Step::Match {
                        field: mk,
                        value: v[mk].clone(),
                    },
                    None => Step::Index(i),
                };
                let mut s = steps.clone();
                s.push(step);
                collect(v, format!("{pointer}/{i}"), s, None, out);
            }
        }
        _ => out.push(Leaf {
            pointer,
            steps,
            value,
        }),
    }
}

/// The merge key Kubernetes uses for the lists we render (`patchMergeKey`), when every
/// element carries it. Other lists are atomic and compared by position.
pub(crate) fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let candidates: &[&'static str] = match field {
        "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets" => &["name"],
        "volumeMounts" => &["mountPath"],
        // Container ports merge on containerPort, Service ports on port.
        "ports" => &["containerPort", "port"],
        _ => &[],
    };
    candidates
        .iter()
        .copied()
        .find(|k| items.iter().all(|i| i.get(k).is_some()))
}

/// Follow `steps` in the live object.
pub(crate) fn resolve<'v>(live: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    steps.iter().try_fold(live, |v, step| match step {
        Step::Key(k) => v.get(k),
        Step::Index(i) => v.get(i),
        Step::Match { field, value } => v.as_array()?.iter().find(|e| e.get(field) == Some(value)),
    })
}

/// RFC 6901 escaping of one reference token.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectKind;
    use serde_json::json;

    fn key() -> ObjectKey {
        ObjectKey::new(ObjectKind::Deployment, "ns", "d")
    }

    fn pointers(v: &Value) -> Vec<String> {
        managed_leaves(&key(), v, &IgnoreRules::default())
            .into_iter()
            .map(|l| l.pointer)
            .collect()
    }

    #[test]
    fn identity_fields_are_not_managed_leaves() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "ns", "labels": {"a": "b"}}});
        assert_eq!(pointers(&v), ["/metadata/labels/a"]);
    }

    #[test]
    fn empty_containers_are_not_leaves() {
        let v = json!({"spec": {"emptyDir": {}, "args": []}, "data": {"k": "v"}});
        assert_eq!(pointers(&v), ["/data/k"]);
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let v =
            json!({"metadata": {"annotations": {"claude-env.io/config-hash": "h", "a~b": "c"}}});
        let mut got = pointers(&v);
        got.sort();
        assert_eq!(
            got,
            [
                "/metadata/annotations/a~0b",
                "/metadata/annotations/claude-env.io~1config-hash"
            ]
        );
    }

    #[test]
    fn containers_are_found_by_name_even_when_reordered_live() {
        let desired = json!({"containers": [{"name": "b", "image": "b:1"}]});
        let live =
            json!({"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]});
        let leaves = managed_leaves(&key(), &desired, &IgnoreRules::default());
        let image = leaves
            .iter()
            .find(|l| l.pointer == "/containers/0/image")
            .unwrap();
        assert_eq!(resolve(&live, &image.steps), Some(&json!("b:1")));
    }

    #[test]
    fn service_ports_merge_on_port_container_ports_on_container_port() {
        let svc = json!([{"port": 80, "name": "mcp"}]);
        let ctr = json!([{"containerPort": 8080, "name": "mcp"}]);
        assert_eq!(merge_key("ports", svc.as_array().unwrap()), Some("port"));
        assert_eq!(
            merge_key("ports", ctr.as_array().unwrap()),
            Some("containerPort")
        );
    }

    #[test]
    fn args_are_positional() {
        let desired = json!({"args": ["--a", "--b"]});
        let live = json!({"args": ["--b", "--a"]});
        let leaves = managed_leaves(&key(), &desired, &IgnoreRules::default());
        assert_eq!(resolve(&live, &leaves[0].steps), Some(&json!("--b")));
    }

    #[test]
    fn a_missing_parent_resolves_to_none() {
        let desired =
            json!({"spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": true}}}}});
        let live = json!({"spec": {"template": {"spec": {}}}});
        let leaves = managed_leaves(&key(), &desired, &IgnoreRules::default());
        assert_eq!(resolve(&live, &leaves[0].steps), None);
    }
}
