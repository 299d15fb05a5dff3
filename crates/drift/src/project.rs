//! The live object as the fields we manage see it: for showing a diff of exactly what drift
//! counts (the CLI's `diff --cluster`), with the same list matching and value normalisation.

use serde_json::{Map, Value};

use crate::ObjectKey;
use crate::ignore::IgnoreRules;
use crate::report::same;
use crate::walk::{escape, merge_key};

/// `live` reduced to `desired`'s fields, in `desired`'s order. A live value equal to the
/// desired one after normalisation (quantities, numbers) is shown as the desired value, and
/// ignored paths take the desired value: so a textual diff of `desired` against this shows
/// exactly the drifted fields. A field missing live is left out.
pub fn project(key: &ObjectKey, desired: &Value, live: &Value, ignore: &IgnoreRules) -> Value {
    walk(key, desired, live, "", None, ignore)
}

fn walk(
    key: &ObjectKey,
    desired: &Value,
    live: &Value,
    pointer: &str,
    field: Option<&str>,
    ignore: &IgnoreRules,
) -> Value {
    if !pointer.is_empty() && ignore.matches(key, pointer) {
        return desired.clone();
    }
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                let p = format!("{pointer}/{}", escape(k));
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), walk(key, dv, lv, &p, Some(k), ignore));
                } else if ignore.matches(key, &p) {
                    out.insert(k.clone(), dv.clone());
                }
            }
            Value::Object(out)
        }
        (Value::Array(d), Value::Array(l)) => {
            let merge = field.and_then(|f| merge_key(f, d));
            let mut out = Vec::new();
            for (i, dv) in d.iter().enumerate() {
                let p = format!("{pointer}/{i}");
                let lv = match merge {
                    Some(mk) => l.iter().find(|e| e.get(mk) == dv.get(mk)),
                    None => l.get(i),
                };
                match lv {
                    Some(lv) => out.push(walk(key, dv, lv, &p, None, ignore)),
                    None if ignore.matches(key, &p) => out.push(dv.clone()),
                    None => {}
                }
            }
            Value::Array(out)
        }
        (Value::Object(_) | Value::Array(_), _) => live.clone(),
        (d, l) if same(pointer, d, l) => d.clone(),
        (_, l) => l.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectKind;
    use serde_json::json;

    fn key() -> ObjectKey {
        ObjectKey::new(ObjectKind::Deployment, "ns", "d")
    }

    #[test]
    fn defaults_are_dropped_and_equal_values_shown_as_desired() {
        let desired = json!({"spec": {"replicas": 1, "template": {"spec": {"containers": [
            {"name": "mcp", "image": "a:1", "resources": {"requests": {"cpu": "0.5"}}}]}}}});
        let live = json!({"spec": {"replicas": 1.0, "progressDeadlineSeconds": 600, "template": {"spec": {"containers": [
            {"name": "sidecar", "image": "s"},
            {"name": "mcp", "image": "a:1", "imagePullPolicy": "IfNotPresent", "resources": {"requests": {"cpu": "500m"}}}]}}}});
        assert_eq!(
            project(&key(), &desired, &live, &IgnoreRules::default()),
            desired
        );
    }

    #[test]
    fn drifted_values_show_live_and_missing_fields_are_left_out() {
        let desired = json!({"spec": {"replicas": 2, "paused": false}});
        let live = json!({"spec": {"replicas": 5}});
        assert_eq!(
            project(&key(), &desired, &live, &IgnoreRules::default()),
            json!({"spec": {"replicas": 5}})
        );
    }

    #[test]
    fn ignored_paths_take_the_desired_value() {
        let desired = json!({"spec": {"replicas": 2}});
        let live = json!({"spec": {"replicas": 5}});
        let ignore = IgnoreRules::parse(&["Deployment:/spec/replicas"]).unwrap();
        assert_eq!(project(&key(), &desired, &live, &ignore), desired);
    }
}
