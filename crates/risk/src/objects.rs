//! Rendered Kubernetes objects: the Deployment and Service of each deployed MCP server,
//! compared field by field. This catches what the document alone does not show: a
//! renderer (controller) upgrade that changes a securityContext, or a new namespace.
//!
//! Fields are classified as drift classifies them (`claude_env_drift::classify`), except that
//! a new image is security (new code runs) and resources are availability. The config
//! ConfigMap is left out: its content is the rendered files, already judged from the
//! document, and its name (a content hash) changes with any of them — as do the pod
//! template's config-hash annotation and config volume, which are left out too.

use claude_env_api::ObjectKind;
use claude_env_config::pointer;
use claude_env_render::DesiredObjects;
use serde_json::Value;

use crate::change::{Change, Class, Kind, Severity, Source, dotted};
use crate::context::{Ctx, Side, clip, keys};

/// One object on either side, and the server it belongs to.
struct Pair<'s> {
    server: &'s str,
    kind: ObjectKind,
    base: Option<Value>,
    head: Option<Value>,
}

/// A change of a rendered object, and the document settings that already explain it.
pub(crate) struct ObjectChange {
    pub server: String,
    /// `None`: nothing in the document explains it (a renderer's choice, a new namespace).
    /// `Some(fields)`: a change of the server itself, or of one of these pointers below
    /// `/mcpServers/<server>`, does.
    pub explained_by: Option<&'static [&'static str]>,
    pub change: Change,
}

/// Every change of the servers' objects; `cx` gives their provenance (the server's
/// `deploy` in the document).
pub(crate) fn compare(
    cx: &Ctx<'_>,
    base: &DesiredObjects,
    head: &DesiredObjects,
) -> Vec<ObjectChange> {
    let mut out = Vec::new();
    for p in pairs(base, head) {
        let source = source(cx, p.server);
        let mut changes = Vec::new();
        object(&p, &mut changes);
        for mut change in changes {
            change.source = source.clone();
            out.push(ObjectChange {
                server: p.server.to_owned(),
                explained_by: explained_by(&change.pointer),
                change,
            });
        }
    }
    out
}

/// The `deploy` fields a rendered field is made from; `Some(&[])` for a whole object
/// (created or deleted with its server).
fn explained_by(ptr: &str) -> Option<&'static [&'static str]> {
    let has = |s: &str| ptr.contains(s);
    Some(match ptr {
        "" => &[],
        "/spec/replicas" => &["/deploy/replicas"],
        _ if ptr.ends_with("/image") => &["/deploy/image"],
        _ if has("/resources/") => &["/deploy/resources"],
        _ if has("/env/") => &["/deploy/env"],
        _ if has("/command") => &["/deploy/command"],
        _ if has("/args") => &["/deploy/args"],
        _ if has("/ports/") || has("Probe/") => {
            &["/deploy/port", "/deploy/path", "/deploy/healthCheck"]
        }
        _ if has("/labels/") || has("/annotations/") => &["/deploy/labels", "/deploy/annotations"],
        _ => return None,
    })
}

fn pairs<'s>(base: &'s DesiredObjects, head: &'s DesiredObjects) -> Vec<Pair<'s>> {
    let mut names: Vec<&str> = head.servers.iter().map(|s| s.server.as_str()).collect();
    for s in &base.servers {
        if !names.contains(&s.server.as_str()) {
            names.push(&s.server);
        }
    }
    let mut out = Vec::new();
    for name in names {
        let find = |o: &'s DesiredObjects| o.servers.iter().find(|s| s.server == name);
        let (b, h) = (find(base), find(head));
        out.push(Pair {
            server: name,
            kind: ObjectKind::Deployment,
            base: b.map(|s| json(&s.deployment)),
            head: h.map(|s| json(&s.deployment)),
        });
        out.push(Pair {
            server: name,
            kind: ObjectKind::Service,
            base: b.map(|s| json(&s.service)),
            head: h.map(|s| json(&s.service)),
        });
    }
    out
}

/// Serializing k8s-openapi types to JSON cannot fail (string keys, no custom errors).
fn json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or_default()
}

fn source(cx: &Ctx<'_>, server: &str) -> Option<Source> {
    let deploy = pointer::join(&pointer::join("/mcpServers", server), "deploy");
    cx.source(Side::Head, &deploy)
        .or_else(|| cx.source(Side::Base, &deploy))
}

fn name_of(p: &Pair<'_>) -> String {
    let name = |v: &Option<Value>| {
        v.as_ref()
            .and_then(|o| o.pointer("/metadata/name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    name(&p.head)
        .or_else(|| name(&p.base))
        .unwrap_or_else(|| p.server.to_owned())
}

fn object(p: &Pair<'_>, out: &mut Vec<Change>) {
    let object = format!("{}/{}", p.kind.as_str(), name_of(p));
    let whole = |class, severity, kind, text: String| Change {
        class,
        severity,
        kind,
        path: object.clone(),
        pointer: String::new(),
        explanation: text,
        source: None,
    };
    match (&p.base, &p.head) {
        (None, Some(h)) => {
            let text = match h
                .pointer("/spec/template/spec/containers/0/image")
                .and_then(Value::as_str)
            {
                Some(image) => format!("creates {object} running image `{}`", clip(image, 70)),
                None => format!("creates {object}"),
            };
            let class = if p.kind == ObjectKind::Deployment {
                Class::Security
            } else {
                Class::Availability
            };
            out.push(whole(class, Severity::High, Kind::Added, text));
        }
        (Some(_), None) => out.push(whole(
            Class::Availability,
            Severity::High,
            Kind::Removed,
            format!("deletes {object}"),
        )),
        (Some(b), Some(h)) => {
            let mut leaves = Vec::new();
            walk(String::new(), Some(b), Some(h), &mut leaves);
            for (ptr, vb, vh) in leaves {
                if let Some(c) = field(p.kind, &object, &ptr, vb, vh) {
                    out.push(c);
                }
            }
        }
        (None, None) => {}
    }
}

/// Differing leaves: mappings by key, arrays by index.
fn walk<'v>(
    ptr: String,
    b: Option<&'v Value>,
    h: Option<&'v Value>,
    out: &mut Vec<(String, Option<&'v Value>, Option<&'v Value>)>,
) {
    if b == h {
        return;
    }
    let obj = |v: Option<&Value>| v.is_none_or(Value::is_object);
    let arr = |v: Option<&Value>| v.is_none_or(Value::is_array);
    if obj(b) && obj(h) {
        for k in keys(b, h) {
            let get = |v: Option<&'v Value>| v.and_then(|o| o.get(k));
            walk(pointer::join(&ptr, k), get(b), get(h), out);
        }
    } else if arr(b) && arr(h) && (b.is_some() || h.is_some()) {
        let len = |v: Option<&Value>| v.and_then(Value::as_array).map_or(0, Vec::len);
        for i in 0..len(b).max(len(h)) {
            let get = |v: Option<&'v Value>| v.and_then(|a| a.get(i));
            walk(pointer::join(&ptr, &i.to_string()), get(b), get(h), out);
        }
    } else {
        out.push((ptr, b, h));
    }
}

/// One differing field, or `None` for the fields every config change moves.
fn field(
    kind: ObjectKind,
    object: &str,
    ptr: &str,
    b: Option<&Value>,
    h: Option<&Value>,
) -> Option<Change> {
    if ptr.ends_with("/annotations/claude-env.io~1config-hash") || ptr.ends_with("/configMap/name")
    {
        return None;
    }
    let (class, severity) = if ptr.ends_with("/image") {
        (Class::Security, Severity::High)
    } else if ptr.contains("/resources/") {
        (Class::Availability, Severity::Medium)
    } else {
        claude_env_drift::classify(kind, ptr, h, b)
    };
    let path = dotted(ptr);
    let shown = |v: Option<&Value>| match v {
        Some(Value::String(s)) if ptr.ends_with("/image") || ptr.contains("/resources/") => {
            format!("`{}`", clip(s, 70))
        }
        Some(v @ (Value::Bool(_) | Value::Number(_))) => v.to_string(),
        _ => String::new(),
    };
    let kind_ = crate::context::kind_of(b, h);
    let text = match (kind_, shown(b), shown(h)) {
        (Kind::Added, _, to) if !to.is_empty() => format!("sets {path} of {object} to {to}"),
        (Kind::Added, _, _) => format!("sets {path} of {object}"),
        (Kind::Removed, _, _) => format!("removes {path} of {object}"),
        (_, from, to) if !from.is_empty() && !to.is_empty() => {
            format!("changes {path} of {object} to {to} (was {from})")
        }
        _ => format!("changes {path} of {object}"),
    };
    Some(Change {
        class,
        severity,
        kind: kind_,
        path: format!("{object}:{path}"),
        pointer: ptr.to_owned(),
        explanation: text,
        source: None,
    })
}
