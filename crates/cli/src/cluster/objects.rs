//! `diff --cluster` (pure): the objects the controller would apply for a revision, compared
//! with the live ones on the fields claude-env manages.
//!
//! The verdict — which fields differ, their category and severity, the percentage — is
//! [`claude_env_drift::detect`], the controller's own drift detection, so the CLI and the
//! controller never disagree. The unified diffs shown with it compare the desired object
//! with a *projection* of the live one onto the desired fields: only what we set, found the
//! way the drift crate finds it (list elements by their merge keys, values equal as the API
//! server stores them), so server defaults and other managers' fields never show.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use claude_env_drift::{DriftReport, IgnoreRules, ObjectKey, detect};
use claude_env_render::{Manifest, ObjectKind};
use serde_json::Value;
use similar::TextDiff;

use super::view::drift_items_table;

/// The outcome of one comparison.
#[derive(Debug)]
pub(crate) struct Comparison {
    pub report: DriftReport,
    /// Unified diffs, then the summary.
    pub text: String,
    /// Objects in the inventory that are no longer rendered (the next apply prunes them).
    pub stale: Vec<ObjectKey>,
}

impl Comparison {
    pub(crate) fn differs(&self) -> bool {
        self.report.is_drifted() || !self.stale.is_empty()
    }
}

/// Compare `desired` with `live` (what exists, by key). `stale` are inventory objects not
/// rendered any more, with their live values (absent ones are already gone and not listed).
pub(crate) fn compare(
    desired: &[Manifest],
    live: &HashMap<ObjectKey, Value>,
    stale: &[(ObjectKey, Value)],
    ignore: &IgnoreRules,
) -> Comparison {
    let report = detect(
        desired.iter().map(|d| (&d.key, &d.value)),
        |k| live.get(k),
        ignore,
    );
    let mut text = String::new();
    // A renamed ConfigMap (its name is a content hash) is best shown against the one it
    // replaces, when that is unambiguous.
    let stale_config_maps: Vec<&(ObjectKey, Value)> = stale
        .iter()
        .filter(|(k, _)| k.kind == ObjectKind::ConfigMap)
        .collect();
    let missing_config_maps = desired
        .iter()
        .filter(|d| d.key.kind == ObjectKind::ConfigMap && !live.contains_key(&d.key))
        .count();
    let mut replaced: BTreeSet<&ObjectKey> = BTreeSet::new();
    for d in desired {
        let name = |k: &ObjectKey| k.to_string();
        match live.get(&d.key) {
            Some(l) if report.drifted_objects.contains(&d.key) => {
                let old = claude_env_drift::project(&d.key, &d.value, l, ignore);
                unified(
                    &mut text,
                    &yaml(&old),
                    &yaml(&d.value),
                    &name(&d.key),
                    &name(&d.key),
                );
            }
            Some(_) => {}
            None if d.key.kind == ObjectKind::ConfigMap
                && missing_config_maps == 1
                && stale_config_maps.len() == 1 =>
            {
                let (old_key, old_live) = stale_config_maps[0];
                replaced.insert(old_key);
                let mut old = claude_env_drift::project(&d.key, &d.value, old_live, ignore);
                old["metadata"]["name"] = old_key.name.clone().into();
                unified(
                    &mut text,
                    &yaml(&old),
                    &yaml(&d.value),
                    &name(old_key),
                    &name(&d.key),
                );
            }
            None => {
                let diff = TextDiff::from_lines("", &yaml(&d.value))
                    .unified_diff()
                    .to_string();
                let _ = write!(text, "--- /dev/null\n+++ b/{}\n{diff}", name(&d.key));
            }
        }
    }
    let stale_keys: Vec<ObjectKey> = stale.iter().map(|(k, _)| k.clone()).collect();
    summary(&mut text, desired, &report, &stale_keys, &replaced);
    Comparison {
        report,
        text,
        stale: stale_keys,
    }
}

fn unified(out: &mut String, old: &str, new: &str, old_name: &str, new_name: &str) {
    let diff = TextDiff::from_lines(old, new);
    let _ = write!(
        out,
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{old_name}"), &format!("b/{new_name}"))
    );
}

fn summary(
    out: &mut String,
    desired: &[Manifest],
    report: &DriftReport,
    stale: &[ObjectKey],
    replaced: &BTreeSet<&ObjectKey>,
) {
    if !report.is_drifted() && stale.is_empty() {
        let _ = writeln!(
            out,
            "no differences: {} managed field(s) of {} object(s) match",
            report.managed_leaves,
            desired.len()
        );
        return;
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} of {} managed field(s) differ ({:.1}%):",
        report.drifted_leaves,
        report.managed_leaves,
        report.percentage()
    );
    if !report.items.is_empty() {
        for line in drift_items_table(&report.items).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    if report.total_items > report.items.len() {
        let _ = writeln!(
            out,
            "  ({} more not listed)",
            report.total_items - report.items.len()
        );
    }
    if !stale.is_empty() {
        let _ = writeln!(out, "no longer rendered (the next apply prunes them):");
        for k in stale {
            let note = if replaced.contains(k) {
                " (replaced by the new config ConfigMap, diffed above)"
            } else {
                ""
            };
            let _ = writeln!(out, "  {k}{note}");
        }
    }
}

fn yaml(value: &Value) -> String {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    serde_saphyr::to_string_with_options(value, options).unwrap_or_else(|e| format!("# {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "be-context7", "namespace": "ns", "labels": {"app": "context7"}},
            "spec": {
                "replicas": 1,
                "template": {"spec": {"containers": [{
                    "name": "mcp", "image": "ctx7:1",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}
                }]}}
            }
        })
    }

    fn config_map(name: &str, model: &str) -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ns"},
            "data": {"settings.json": format!("{{\n  \"model\": \"{model}\",\n  \"x\": 1\n}}\n")}
        })
    }

    /// What the API server returns: defaults, other managers' fields, reordered lists.
    fn live_deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "be-context7", "namespace": "ns", "labels": {"app": "context7"},
                "uid": "123", "resourceVersion": "9", "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {
                "replicas": 1, "revisionHistoryLimit": 10,
                "template": {"spec": {"containers": [{
                    "name": "mcp", "image": "ctx7:1", "imagePullPolicy": "IfNotPresent",
                    "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                    "resources": {"limits": {"cpu": "0.5", "memory": "128Mi"}}
                }], "restartPolicy": "Always"}}
            },
            "status": {"replicas": 1}
        })
    }

    fn keyed(values: &[Value]) -> HashMap<ObjectKey, Value> {
        values
            .iter()
            .map(|v| {
                (
                    Manifest::from_value(v.clone(), None).unwrap().key,
                    v.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn server_defaults_and_reordered_lists_are_no_difference() {
        let desired = [Manifest::from_value(deployment(), None).unwrap()];
        let c = compare(
            &desired,
            &keyed(&[live_deployment()]),
            &[],
            &IgnoreRules::default(),
        );
        assert!(!c.differs(), "{}", c.text);
        assert_eq!(
            c.text,
            "no differences: 10 managed field(s) of 1 object(s) match\n"
        );
    }

    #[test]
    fn a_changed_field_shows_as_a_diff_of_managed_fields_only() {
        let mut live = live_deployment();
        live["spec"]["template"]["spec"]["containers"][0]["image"] = "evil:6".into();
        live["spec"]["replicas"] = 3.into();
        let desired = [Manifest::from_value(deployment(), None).unwrap()];
        let c = compare(&desired, &keyed(&[live]), &[], &IgnoreRules::default());
        assert!(c.differs());
        assert_eq!(c.report.drifted_leaves, 2);
        let t = &c.text;
        assert!(
            t.starts_with("--- a/Deployment/ns/be-context7\n+++ b/Deployment/ns/be-context7\n"),
            "{t}"
        );
        assert!(t.contains("-  replicas: 3\n+  replicas: 1\n"), "{t}");
        assert!(
            t.contains("-      - name: mcp\n        image: evil:6")
                || t.contains("-        image: evil:6\n+        image: ctx7:1\n"),
            "{t}"
        );
        for noise in [
            "imagePullPolicy",
            "revisionHistoryLimit",
            "uid",
            "status",
            "0.5",
        ] {
            assert!(!t.contains(noise), "{noise} in\n{t}");
        }
        assert!(
            t.contains("2 of 10 managed field(s) differ (20.0%):"),
            "{t}"
        );
        assert!(
            t.contains("Deployment/ns/be-context7   /spec/replicas"),
            "{t}"
        );
    }

    #[test]
    fn ignored_paths_are_neither_drift_nor_diff() {
        let mut live = live_deployment();
        live["spec"]["replicas"] = 3.into();
        live["metadata"]["labels"]["app"] = "other".into();
        let ignore = IgnoreRules::parse(&["Deployment:/spec/replicas"]).unwrap();
        let c = compare(
            &[Manifest::from_value(deployment(), None).unwrap()],
            &keyed(&[live]),
            &[],
            &ignore,
        );
        assert_eq!(c.report.drifted_leaves, 1);
        assert!(!c.text.contains("-  replicas"), "{}", c.text);
        assert!(
            c.text.contains("-    app: other\n+    app: context7\n"),
            "{}",
            c.text
        );
    }

    #[test]
    fn a_missing_object_is_shown_whole_and_a_stale_one_is_listed() {
        let stale = ObjectKey::new(ObjectKind::Service, "ns", "be-old");
        let c = compare(
            &[Manifest::from_value(deployment(), None).unwrap()],
            &HashMap::new(),
            &[(stale.clone(), json!({}))],
            &IgnoreRules::default(),
        );
        assert!(c.differs());
        assert!(
            c.text
                .starts_with("--- /dev/null\n+++ b/Deployment/ns/be-context7\n@@"),
            "{}",
            c.text
        );
        assert!(c.text.contains("+        image: ctx7:1\n"), "{}", c.text);
        assert!(
            c.text.contains("(whole object)   Availability"),
            "{}",
            c.text
        );
        assert!(
            c.text.contains(
                "no longer rendered (the next apply prunes them):\n  Service/ns/be-old\n"
            ),
            "{}",
            c.text
        );
        assert_eq!(c.stale, vec![stale]);
    }

    #[test]
    fn a_renamed_config_map_is_diffed_against_the_one_it_replaces() {
        let old = config_map("be-config-aaa", "sonnet");
        let new = config_map("be-config-bbb", "opus");
        let old_key = Manifest::from_value(old.clone(), None).unwrap().key;
        let c = compare(
            &[Manifest::from_value(new, None).unwrap()],
            &HashMap::new(),
            &[(old_key, old)],
            &IgnoreRules::default(),
        );
        let t = &c.text;
        assert!(
            t.starts_with("--- a/ConfigMap/ns/be-config-aaa\n+++ b/ConfigMap/ns/be-config-bbb\n"),
            "{t}"
        );
        assert!(
            t.contains("-  name: be-config-aaa\n+  name: be-config-bbb\n"),
            "{t}"
        );
        assert!(
            t.contains("-      \"model\": \"sonnet\",\n+      \"model\": \"opus\",\n"),
            "{t}"
        );
        assert!(
            t.contains(
                "ConfigMap/ns/be-config-aaa (replaced by the new config ConfigMap, diffed above)"
            ),
            "{t}"
        );
    }
}
