//! Helpers shared by the render tests: documents from JSON literals, a context.

#![allow(dead_code)]

use claude_env_render::{Document, RenderContext};
use serde_json::Value;

pub(crate) fn doc(v: Value) -> Document {
    serde_json::from_value(v).expect("test document is valid")
}

pub(crate) fn ctx() -> RenderContext {
    RenderContext {
        instance: "dev".into(),
        owner_namespace: "platform".into(),
        target_namespace: "claude-dev".into(),
        environment: "development".into(),
        team: Some("frontend".into()),
        project: None,
        revision: None,
    }
}

pub(crate) fn text(files: &claude_env_render::ClaudeFiles, path: &str) -> String {
    String::from_utf8(
        files
            .get(path)
            .unwrap_or_else(|| panic!("{path} rendered"))
            .to_vec(),
    )
    .unwrap()
}

pub(crate) fn json(files: &claude_env_render::ClaudeFiles, path: &str) -> Value {
    serde_json::from_str(&text(files, path)).unwrap()
}

/// A document with one deployed server `context7` (and nothing else).
pub(crate) fn deployed(extra: Value) -> Document {
    let mut deploy = serde_json::json!({
        "image": "ghcr.io/claude-env/context7-mcp:1.4.2",
        "port": 8080,
    });
    if let (Value::Object(d), Value::Object(e)) = (&mut deploy, extra) {
        d.extend(e);
    }
    doc(serde_json::json!({
        "memory": "# Team\n",
        "mcpServers": { "context7": { "deploy": deploy } },
    }))
}
