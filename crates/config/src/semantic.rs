//! Checks that need the merged document of one environment (what a single fragment cannot
//! know): MCP servers without a transport, port clashes between deployed servers, image
//! references. Findings point at the file:line that wrote the offending value, through the
//! positions the merge kept.

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::image;
use crate::rules;
use crate::tree::{At, Node, Value};

/// What the environment asks of its documents beyond the schema.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Policy {
    pub require_pinned_images: bool,
}

pub(crate) fn check(root: &Node, policy: Policy) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let Some(servers) = root.value.get("mcpServers").and_then(|n| n.value.as_map()) else {
        return out;
    };
    // port → first server deployed on it, in document order.
    let mut ports: BTreeMap<i64, (&str, &At)> = BTreeMap::new();
    for e in servers {
        let server = &e.node;
        if server
            .value
            .get("enabled")
            .is_some_and(|n| matches!(n.value, Value::Bool(false)))
        {
            continue;
        }
        let has = |k| server.value.get(k).is_some();
        if !has("command") && !has("url") && !has("deploy") {
            out.push(err(
                rules::MCP_NO_TRANSPORT,
                &e.key_at,
                format!("MCP server `{}` has none of `command` (stdio), `url` (remote) or `deploy` (in-cluster)", e.key),
            ));
        }
        if has("command") && has("url") {
            out.push(err(
                rules::MCP_TRANSPORT_CONFLICT,
                &e.key_at,
                format!(
                    "MCP server `{}` has both `command` and `url`; keep the one it is reached by",
                    e.key
                ),
            ));
        }
        let Some(deploy) = server.value.get("deploy") else {
            continue;
        };
        if let Some(port) = deploy.value.get("port")
            && let Value::Int(p) = port.value
        {
            match ports.get(&p) {
                Some((other, other_at)) => out.push(err(
                    rules::PORT_CLASH,
                    &port.at,
                    format!(
                        "MCP server `{}` is deployed on port {p}, like `{other}` ({}); in one environment each deployed server needs its own port",
                        e.key,
                        other_at.describe()
                    ),
                )),
                None => {
                    ports.insert(p, (&e.key, &port.at));
                }
            }
        }
        if let Some(img) = deploy.value.get("image")
            && let Some(s) = img.value.as_str()
        {
            check_image(&e.key, s, &img.at, policy, &mut out);
        }
    }
    out
}

fn check_image(server: &str, s: &str, at: &At, policy: Policy, out: &mut Vec<Diagnostic>) {
    match image::parse(s) {
        Err(e) => out.push(err(
            rules::IMAGE_REFERENCE,
            at,
            format!("MCP server `{server}`: {e}"),
        )),
        Ok(r) if !r.is_pinned() => {
            let msg = format!(
                "MCP server `{server}`: the image has no tag or `latest` and no digest, so what runs can change without a commit; pin a version or a digest"
            );
            out.push(if policy.require_pinned_images {
                err(rules::IMAGE_UNPINNED, at, msg)
            } else {
                Diagnostic::warning(rules::IMAGE_UNPINNED, &at.origin.file, msg).at(at.line, at.col)
            });
        }
        Ok(_) => {}
    }
}

fn err(rule: &'static str, at: &At, msg: String) -> Diagnostic {
    Diagnostic::error(rule, &at.origin.file, msg).at(at.line, at.col)
}

#[cfg(test)]
#[path = "semantic_tests.rs"]
mod tests;
