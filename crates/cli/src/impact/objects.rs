//! Changes in the Kubernetes objects: the config ConfigMap and each deployed server's
//! Deployment and Service, named by role (`Deployment github`), not by object name, which
//! holds the instance and the content hash.
//!
//! The ConfigMap's content is the files (compared in [`super::files`]); here a new content
//! hash is one record ("replaced"), and each Deployment that stays gets a "pods roll"
//! record, because its pod template carries the hash. With the hash, the ConfigMap's name
//! and its projected file list set aside, what is left of the objects is compared field by
//! field (containers, env, ports, volumes keyed by name).

use std::collections::BTreeMap;

use claude_env_api::annotations::CONFIG_HASH;
use claude_env_render::DesiredObjects;
use serde_json::Value;

use super::json::{self, Difference, dotted, show};
use super::mask;
use super::model::{Action, Area, Change};

const HASH_PLACEHOLDER: &str = "<config-hash>";
const CONFIG_MAP_PLACEHOLDER: &str = "<config-map>";

/// Role (`ConfigMap config`, `Deployment <server>`, `Service <server>`) → the object as
/// compared.
fn by_role(objects: &DesiredObjects) -> BTreeMap<String, Value> {
    let cm_name = objects.config_map.metadata.name.clone().unwrap_or_default();
    let mut out = BTreeMap::new();
    let mut cm = to_json(&objects.config_map);
    if let Some(m) = cm.as_object_mut() {
        m.remove("data");
        m.remove("binaryData");
    }
    out.insert("ConfigMap config".to_string(), cm);
    for s in &objects.servers {
        out.insert(format!("Service {}", s.server), to_json(&s.service));
        let mut d = to_json(&s.deployment);
        if let Some(a) = d.pointer_mut("/spec/template/metadata/annotations")
            && let Some(m) = a.as_object_mut()
            && m.contains_key(CONFIG_HASH)
        {
            m.insert(CONFIG_HASH.to_string(), HASH_PLACEHOLDER.into());
        }
        if let Some(volumes) = d
            .pointer_mut("/spec/template/spec/volumes")
            .and_then(Value::as_array_mut)
        {
            for v in volumes {
                if let Some(c) = v.get_mut("configMap").and_then(Value::as_object_mut) {
                    c.remove("items");
                }
            }
        }
        out.insert(format!("Deployment {}", s.server), d);
    }
    for v in out.values_mut() {
        replace_string(v, &cm_name, CONFIG_MAP_PLACEHOLDER);
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut)
            && meta.get("name").and_then(Value::as_str) == Some(CONFIG_MAP_PLACEHOLDER)
        {
            meta.remove("name");
        }
        *v = json::keyed(&mask::json(v));
    }
    out
}

fn to_json<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize to JSON")
}

fn replace_string(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) if s == from => *s = to.to_string(),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_string(x, from, to)),
        Value::Object(m) => m.values_mut().for_each(|x| replace_string(x, from, to)),
        _ => {}
    }
}

/// What a new object is, in a few words.
fn describe(role: &str, v: &Value) -> Option<String> {
    if role.starts_with("Deployment ") {
        let image = v.pointer("/spec/template/spec/containers")?.as_object()?;
        let images: Vec<String> = image
            .values()
            .filter_map(|c| c.get("image").map(show))
            .collect();
        return Some(format!("image {}", images.join(", ")));
    }
    None
}

fn with_note(c: Change, note: Option<String>) -> Change {
    match note {
        Some(n) => c.note(n),
        None => c,
    }
}

/// Every change from `before` to `after` (`None`: the selection does not render there).
pub(crate) fn changes(
    before: Option<&DesiredObjects>,
    after: Option<&DesiredObjects>,
) -> Vec<Change> {
    let a = before.map(by_role).unwrap_or_default();
    let b = after.map(by_role).unwrap_or_default();
    let rehashed = match (before, after) {
        (Some(x), Some(y)) => x.config_hash != y.config_hash,
        _ => false,
    };
    let mut out = Vec::new();
    let mut roles: Vec<&String> = a.keys().chain(b.keys()).collect();
    roles.sort();
    roles.dedup();
    for role in roles {
        match (a.get(role), b.get(role)) {
            (None, Some(v)) => out.push(with_note(
                Change::new(Area::Objects, Action::Added, role),
                describe(role, v),
            )),
            (Some(v), None) => out.push(with_note(
                Change::new(Area::Objects, Action::Removed, role),
                describe(role, v),
            )),
            (Some(x), Some(y)) => {
                if rehashed && role.starts_with("ConfigMap ") {
                    out.push(
                        Change::new(Area::Objects, Action::Modified, role)
                            .note("replaced by a new one: the files changed"),
                    );
                }
                if rehashed && role.starts_with("Deployment ") {
                    out.push(
                        Change::new(
                            Area::Objects,
                            Action::Modified,
                            format!("{role}: pods roll"),
                        )
                        .note("its pod template carries the new config hash"),
                    );
                }
                for d in json::diff(Some(x), Some(y), &|_| false) {
                    if let Difference::Value {
                        path,
                        before,
                        after,
                    } = d
                    {
                        let action = match (&before, &after) {
                            (None, _) => Action::Added,
                            (_, None) => Action::Removed,
                            _ => Action::Modified,
                        };
                        out.push(
                            Change::new(
                                Area::Objects,
                                action,
                                format!("{role}: {}", dotted(&path)),
                            )
                            .before(before.as_ref().map(show))
                            .after(after.as_ref().map(show)),
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}
