//! Where two JSON values differ, leaf by leaf: the shape the report's records take.
//! Maps are compared key by key; arrays that are sets (permission lists) element by
//! element; any other array as one value (its order matters: `args`, hooks).

use serde_json::Value;

/// A path of map keys; `[name]` segments are elements of a keyed list.
pub(crate) type Path = Vec<String>;

/// One difference.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Difference {
    /// A value at `path` was added, removed or replaced.
    Value {
        path: Path,
        before: Option<Value>,
        after: Option<Value>,
    },
    /// An element of the set at `path` was added or removed.
    Element {
        path: Path,
        element: Value,
        added: bool,
    },
}

/// Every difference between `before` and `after`; `is_set` says which array paths are
/// sets.
pub(crate) fn diff(
    before: Option<&Value>,
    after: Option<&Value>,
    is_set: &dyn Fn(&[String]) -> bool,
) -> Vec<Difference> {
    let mut out = Vec::new();
    walk(&mut Vec::new(), before, after, is_set, &mut out);
    out
}

fn walk(
    path: &mut Path,
    before: Option<&Value>,
    after: Option<&Value>,
    is_set: &dyn Fn(&[String]) -> bool,
    out: &mut Vec<Difference>,
) {
    if before == after {
        return;
    }
    match (before, after) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                path.push(k.clone());
                walk(path, a.get(k), b.get(k), is_set, out);
                path.pop();
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) if is_set(path) => {
            let found = out.len();
            for (from, to, added) in [(a, b, false), (b, a, true)] {
                for e in from.iter().filter(|e| !to.contains(e)) {
                    out.push(Difference::Element {
                        path: path.clone(),
                        element: e.clone(),
                        added,
                    });
                }
            }
            // Same elements in another order (or repeated): the file still changed.
            if out.len() == found {
                out.push(Difference::Value {
                    path: path.clone(),
                    before: before.cloned(),
                    after: after.cloned(),
                });
            }
        }
        _ => out.push(Difference::Value {
            path: path.clone(),
            before: before.cloned(),
            after: after.cloned(),
        }),
    }
}

/// `a.b[name].c`.
pub(crate) fn dotted(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if !s.is_empty() && !seg.starts_with('[') {
            s.push('.');
        }
        s.push_str(seg);
    }
    s
}

/// Longest value shown in a record; longer ones are cut (the diff of a text file is whole).
const MAX_VALUE: usize = 200;

/// A value as a record shows it: a string bare, anything else as compact JSON.
pub(crate) fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.chars().count() <= MAX_VALUE {
        return s;
    }
    let cut: String = s.chars().take(MAX_VALUE).collect();
    format!("{cut}…")
}

/// Lists of objects with distinct `name`s (containers, env, ports, volumes) as maps keyed
/// `[name]`, so one changed element is one difference, not the whole list.
pub(crate) fn keyed(v: &Value) -> Value {
    match v {
        Value::Array(items) => {
            let names: Option<Vec<&str>> = items
                .iter()
                .map(|i| i.get("name").and_then(Value::as_str))
                .collect();
            match names {
                Some(names)
                    if !names.is_empty()
                        && names
                            .iter()
                            .collect::<std::collections::BTreeSet<_>>()
                            .len()
                            == names.len() =>
                {
                    names
                        .iter()
                        .zip(items)
                        .map(|(n, i)| (format!("[{n}]"), keyed(i)))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                }
                _ => Value::Array(items.iter().map(keyed).collect()),
            }
        }
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), keyed(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_by_key_sets_by_element_other_arrays_whole() {
        let a = json!({"model": "sonnet", "permissions": {"deny": ["A", "B"]}, "args": [1, 2]});
        let b = json!({"permissions": {"deny": ["B", "C"]}, "args": [2, 1], "env": {"X": "1"}});
        let got = diff(Some(&a), Some(&b), &|p| {
            p.first().is_some_and(|s| s == "permissions")
        });
        assert_eq!(
            got,
            vec![
                Difference::Value {
                    path: vec!["args".into()],
                    before: Some(json!([1, 2])),
                    after: Some(json!([2, 1]))
                },
                Difference::Value {
                    path: vec!["env".into()],
                    before: None,
                    after: Some(json!({"X": "1"}))
                },
                Difference::Value {
                    path: vec!["model".into()],
                    before: Some(json!("sonnet")),
                    after: None
                },
                Difference::Element {
                    path: vec!["permissions".into(), "deny".into()],
                    element: json!("A"),
                    added: false
                },
                Difference::Element {
                    path: vec!["permissions".into(), "deny".into()],
                    element: json!("C"),
                    added: true
                },
            ]
        );
    }

    #[test]
    fn a_reordered_set_is_one_modified_value() {
        let (a, b) = (json!({"deny": ["A", "B"]}), json!({"deny": ["B", "A"]}));
        let got = diff(Some(&a), Some(&b), &|_| true);
        assert_eq!(
            got,
            vec![Difference::Value {
                path: vec!["deny".into()],
                before: Some(json!(["A", "B"])),
                after: Some(json!(["B", "A"]))
            }]
        );
    }

    #[test]
    fn named_lists_become_keyed_maps_and_paths_read_naturally() {
        let v = json!({"containers": [{"name": "mcp", "env": [{"name": "A", "value": "1"}]}], "args": ["x"]});
        let k = keyed(&v);
        assert_eq!(k["containers"]["[mcp]"]["env"]["[A]"]["value"], "1");
        assert_eq!(k["args"], json!(["x"]));
        let path: Vec<String> = ["spec", "containers", "[mcp]", "image"]
            .map(String::from)
            .into();
        assert_eq!(dotted(&path), "spec.containers[mcp].image");
    }

    #[test]
    fn long_values_are_cut() {
        let s = "x".repeat(500);
        assert_eq!(show(&json!(s)).chars().count(), MAX_VALUE + 1);
        assert_eq!(show(&json!({"a": 1})), r#"{"a":1}"#);
    }
}
