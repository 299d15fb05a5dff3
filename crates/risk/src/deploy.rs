//! `mcpServers.<name>.deploy`: a server the controller runs in the cluster.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Class, Kind, Severity, dotted};
use crate::context::{Ctx, clip, keys, kind_of};
use crate::{env, generic};

/// Compares the `deploy` of a running server at `ptr`.
pub(crate) fn compare(cx: &mut Ctx<'_>, name: &str, ptr: &str) {
    let (b, h) = cx.pair(ptr);
    match (b, h) {
        (None, Some(d)) => {
            let image = d.get("image").and_then(Value::as_str).unwrap_or("?");
            let text = format!(
                "runs MCP server {name} in the cluster from image `{}`",
                clip(image, 70)
            );
            cx.report(Class::Security, Severity::High, Kind::Added, ptr, text);
            return;
        }
        (Some(_), None) => {
            let text = format!("stops running MCP server {name} in the cluster");
            cx.report(
                Class::Availability,
                Severity::Medium,
                Kind::Removed,
                ptr,
                text,
            );
            return;
        }
        _ => {}
    }
    if !b.is_some_and(Value::is_object) || !h.is_some_and(Value::is_object) {
        generic::leaf(cx, ptr, Class::Security, Severity::High);
        return;
    }
    for key in keys(b, h) {
        let at = pointer::join(ptr, key);
        let (vb, vh) = cx.pair(&at);
        if vb == vh {
            continue;
        }
        let kind = kind_of(vb, vh);
        match key {
            "image" => {
                let image = vh.and_then(Value::as_str).unwrap_or("?");
                let text = format!(
                    "changes the image of MCP server {name} to `{}`",
                    clip(image, 70)
                );
                cx.report(Class::Security, Severity::High, kind, &at, text);
            }
            "command" | "args" => {
                let text = format!(
                    "changes the {key} of deployed MCP server {name}: `{}`",
                    words(vh)
                );
                cx.report(Class::Security, Severity::High, kind, &at, text);
            }
            "env" => env::compare(cx, &at, &format!("deployed MCP server {name}")),
            "replicas" => {
                let n = |v: Option<&Value>| v.map_or("default".to_owned(), Value::to_string);
                let severity = if vh.and_then(Value::as_i64) == Some(0) {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let text = format!(
                    "scales MCP server {name} to {} replicas (was {})",
                    n(vh),
                    n(vb)
                );
                cx.report(Class::Availability, severity, kind, &at, text);
            }
            "port" | "path" => {
                let text = format!(
                    "moves MCP server {name} to another {key}: clients follow on their next sync"
                );
                cx.report(Class::Availability, Severity::Medium, kind, &at, text);
            }
            "resources" => {
                generic::walk(cx, &at, Class::Availability, Severity::Medium, &resources)
            }
            "healthCheck" => {
                generic::walk(cx, &at, Class::Availability, Severity::Low, &generic::none)
            }
            "labels" | "annotations" => {
                generic::walk(cx, &at, Class::Cosmetic, Severity::Low, &generic::none)
            }
            _ => generic::walk(
                cx,
                &at,
                Class::Configuration,
                Severity::Medium,
                &generic::none,
            ),
        }
    }
}

/// Resource quantities are safe to show: `limits.memory 512Mi → 256Mi`.
fn resources(cx: &mut Ctx<'_>, ptr: &str) -> bool {
    let (b, h) = cx.pair(ptr);
    let q = |v: Option<&Value>| v.and_then(Value::as_str).map(|s| clip(s, 20));
    let text = match (q(b), q(h)) {
        (Some(x), Some(y)) => format!("changes {} from {x} to {y}", dotted(ptr)),
        (None, Some(y)) if b.is_none() => format!("sets {} to {y}", dotted(ptr)),
        (Some(_), None) if h.is_none() => format!("removes {}", dotted(ptr)),
        _ => return false,
    };
    cx.report(
        Class::Availability,
        Severity::Medium,
        kind_of(b, h),
        ptr,
        text,
    );
    true
}

/// A command or argument list as one line.
fn words(v: Option<&Value>) -> String {
    let parts: Vec<String> = v
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
        .collect();
    clip(&parts.join(" "), 60)
}
