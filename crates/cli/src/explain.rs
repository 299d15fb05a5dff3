//! `render --explain`: every leaf of the merged document with the layer and file:line that
//! set it, in document order:
//!
//! ```text
//! settings.permissions.deny[2] = "Bash(rm -rf:*)"   ← environment/production environments/production/permissions.yaml:7
//! ```

use serde::Serialize;
use serde_json::Value;

use claude_env_config::{MergedDocument, Provenance, pointer};

/// One explained leaf.
#[derive(Debug, Serialize)]
pub(crate) struct Leaf<'a> {
    /// `settings.permissions.deny[2]`.
    pub path: String,
    /// RFC 6901, as the config engine and diagnostics name it.
    pub pointer: String,
    pub value: &'a Value,
    /// `None` only if the engine recorded no provenance (it always should).
    #[serde(flatten)]
    pub from: Option<SetAt<'a>>,
}

/// Where a leaf was set, flat: `{"layer": "environment/production", "file": ..., "line": 7, "column": 5}`.
#[derive(Debug, Serialize)]
pub(crate) struct SetAt<'a> {
    pub layer: String,
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
}

impl<'a> SetAt<'a> {
    fn of(p: &'a Provenance) -> Self {
        SetAt {
            layer: p.layer.to_string(),
            file: &p.file,
            line: p.line,
            column: p.column,
        }
    }
}

/// Every leaf (scalars and empty containers) in document order.
pub(crate) fn leaves(doc: &MergedDocument) -> Vec<Leaf<'_>> {
    let mut out = Vec::new();
    walk(doc, &doc.value, String::new(), String::new(), &mut out);
    out
}

fn walk<'a>(
    doc: &'a MergedDocument,
    v: &'a Value,
    ptr: String,
    path: String,
    out: &mut Vec<Leaf<'a>>,
) {
    let children: Vec<(String, String, &Value)> = match v {
        Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, c)| (pointer::join(&ptr, k), key_path(&path, k), c))
            .collect(),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    pointer::join(&ptr, &i.to_string()),
                    format!("{path}[{i}]"),
                    c,
                )
            })
            .collect(),
        _ => {
            if !ptr.is_empty() {
                let from = doc.provenance.get(&ptr).map(SetAt::of);
                out.push(Leaf {
                    path,
                    pointer: ptr,
                    value: v,
                    from,
                });
            }
            return;
        }
    };
    for (p, dotted, child) in children {
        walk(doc, child, p, dotted, out);
    }
}

/// `a.b` for identifier-like keys, `a["x.y"]` otherwise, so every path reads back unambiguously.
fn key_path(parent: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (plain, parent.is_empty()) {
        (true, true) => key.to_string(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", Value::String(key.into())),
    }
}

/// Longest value shown in human output; longer ones (Markdown bodies) are cut at the first
/// line break or this many characters.
const MAX_VALUE: usize = 60;

fn short_value(v: &Value) -> String {
    let Some(s) = v.as_str() else {
        return v.to_string();
    };
    let first = s.lines().next().unwrap_or("");
    if first.len() == s.len() && s.chars().count() <= MAX_VALUE {
        return v.to_string();
    }
    let head = Value::String(first.chars().take(MAX_VALUE).collect()).to_string();
    let head = head.strip_suffix('"').unwrap_or(&head);
    format!("{head}…\" ({} chars)", s.chars().count())
}

/// The human form, values aligned in one column.
pub(crate) fn render_text(leaves: &[Leaf<'_>]) -> String {
    let lefts: Vec<String> = leaves
        .iter()
        .map(|l| format!("{} = {}", l.path, short_value(l.value)))
        .collect();
    // Capped, so one long value does not push every arrow off the screen.
    let width = lefts
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
        .min(64);
    let mut out = String::new();
    for (left, leaf) in lefts.iter().zip(leaves) {
        let pad = width.saturating_sub(left.chars().count());
        let from = leaf.from.as_ref().map_or("(unknown)".to_string(), |p| {
            format!("{} {}:{}", p.layer, p.file, p.line)
        });
        out.push_str(&format!("{left}{:pad$}   ← {from}\n", ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_config::{Layer, LayerKind};
    use serde_json::json;

    fn prov(kind: LayerKind, name: Option<&str>, file: &str, line: u32) -> Provenance {
        Provenance {
            layer: Layer {
                kind,
                name: name.map(str::to_string),
            },
            file: file.into(),
            line,
            column: 3,
        }
    }

    #[test]
    fn leaves_come_in_document_order_with_readable_paths_and_their_layer() {
        let mut doc = MergedDocument {
            value: json!({
                "settings": {"permissions": {"deny": ["a", "b", "Bash(rm -rf:*)"]}, "model": "opus"},
                "mcpServers": {"my.server": {"args": []}},
            }),
            ..Default::default()
        };
        let base = prov(LayerKind::Base, None, "base/settings.yaml", 2);
        let prod = prov(
            LayerKind::Environment,
            Some("production"),
            "environments/production/permissions.yaml",
            7,
        );
        for (p, v) in [
            ("/settings/permissions/deny/0", &base),
            ("/settings/permissions/deny/1", &base),
            ("/settings/permissions/deny/2", &prod),
            ("/settings/model", &base),
            ("/mcpServers/my.server/args", &base),
        ] {
            doc.provenance.insert(p.into(), v.clone());
        }
        let l = leaves(&doc);
        let paths: Vec<&str> = l.iter().map(|l| l.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "settings.permissions.deny[0]",
                "settings.permissions.deny[1]",
                "settings.permissions.deny[2]",
                "settings.model",
                "mcpServers[\"my.server\"].args",
            ]
        );
        let text = render_text(&l);
        let line = text.lines().nth(2).expect("third line");
        assert!(
            line.starts_with("settings.permissions.deny[2] = \"Bash(rm -rf:*)\""),
            "{line}"
        );
        assert!(
            line.ends_with("← environment/production environments/production/permissions.yaml:7"),
            "{line}"
        );
        assert!(text.lines().nth(4).expect("line").contains("args = []"));
    }

    #[test]
    fn long_markdown_values_are_cut_in_text_but_whole_in_json() {
        let body = format!("# Title\n{}", "x".repeat(200));
        let doc = MergedDocument {
            value: json!({"memory": body}),
            ..Default::default()
        };
        let l = leaves(&doc);
        let text = render_text(&l);
        assert!(
            text.starts_with("memory = \"# Title…\" (208 chars)"),
            "{text}"
        );
        let json = serde_json::to_value(&l).expect("json");
        assert_eq!(json[0]["value"], body);
    }

    #[test]
    fn json_form_is_flat() {
        let mut doc = MergedDocument {
            value: json!({"settings": {"model": "opus"}}),
            ..Default::default()
        };
        let p = prov(LayerKind::Team, Some("backend"), "teams/backend/s.yaml", 4);
        doc.provenance.insert("/settings/model".into(), p);
        let json = serde_json::to_value(leaves(&doc)).expect("json");
        assert_eq!(
            json,
            json!([{"path": "settings.model", "pointer": "/settings/model", "value": "opus",
                    "layer": "team/backend", "file": "teams/backend/s.yaml", "line": 4, "column": 3}])
        );
    }
}
