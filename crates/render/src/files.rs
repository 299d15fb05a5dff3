//! The files Claude Code reads, rendered from a merged document.
//!
//! | path | from |
//! |---|---|
//! | `settings.json` | `settings` (always present, `{}` when empty) |
//! | `mcp.json` | `mcpServers` (always present; see [`crate::mcp`]) |
//! | `CLAUDE.md` | `memory` (when set) |
//! | `commands/<name>.md` | `commands` |
//! | `agents/<name>.md` | `personas` (Claude Code calls them sub-agents) |
//!
//! JSON is pretty-printed with two spaces, object keys sorted (moving keys around in a YAML
//! fragment changes no byte, so it rolls no pod) and a final newline; Markdown gets a final
//! newline if it lacks one. References become `${VAR}` placeholders (see the crate docs
//! and [`crate::secrets`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use claude_env_config::Document;

use crate::RenderContext;
use crate::error::{Pointer, RenderError};
use crate::mcp::mcp_json;
use crate::placeholders::Placeholders;
use crate::secrets::SecretRef;

pub const SETTINGS_JSON: &str = "settings.json";
pub const MCP_JSON: &str = "mcp.json";
pub const CLAUDE_MD: &str = "CLAUDE.md";
pub const COMMANDS_DIR: &str = "commands";
pub const AGENTS_DIR: &str = "agents";

/// Longest command/persona name; keeps ConfigMap keys (max 253) and file names sane.
const MAX_NAME: usize = 200;

/// Rendered files, plus the variables they expect from the environment that runs Claude Code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClaudeFiles {
    /// Relative path (`/`-separated) → content, in path order.
    pub files: BTreeMap<String, Vec<u8>>,
    /// Variables referenced as `${env:VAR}` (now `${VAR}` in the files).
    pub env_vars: BTreeSet<String>,
    /// `CLAUDE_ENV_SECRET_...` variable → the Secret key that provides it.
    pub secret_vars: BTreeMap<String, SecretRef>,
}

impl ClaudeFiles {
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }
}

/// Renders the files Claude Code reads for one environment.
pub fn render_files(doc: &Document, ctx: &RenderContext) -> Result<ClaudeFiles, RenderError> {
    let mut p = Placeholders::default();
    let mut files = BTreeMap::new();
    let root = Pointer::ROOT;

    let settings = Value::Object(doc.settings.clone());
    let settings = p.value(&settings, &root.child("settings"))?;
    files.insert(SETTINGS_JSON.to_string(), json_bytes(&settings));

    files.insert(
        MCP_JSON.to_string(),
        json_bytes(&mcp_json(doc, ctx, &mut p)?),
    );

    if let Some(memory) = &doc.memory {
        let text = p.string(memory, &root.child("memory"))?;
        files.insert(CLAUDE_MD.to_string(), markdown_bytes(text));
    }
    for (kind, dir, key, entries) in [
        ("command", COMMANDS_DIR, "commands", &doc.commands),
        ("persona", AGENTS_DIR, "personas", &doc.personas),
    ] {
        let section = root.child(key);
        for (name, body) in entries {
            let at = section.child(name);
            if !is_file_name(name) {
                return Err(RenderError::InvalidFileName {
                    kind,
                    name: name.clone(),
                    pointer: at.render(),
                });
            }
            let text = p.string(body, &at)?;
            files.insert(format!("{dir}/{name}.md"), markdown_bytes(text));
        }
    }

    Ok(ClaudeFiles {
        files,
        env_vars: p.env,
        secret_vars: p.secrets.into_map(),
    })
}

/// The one JSON formatting of rendered files (also used when resolving `${env:...}`, so a
/// resolved file is formatted exactly like a rendered one).
pub(crate) fn json_bytes(v: &Value) -> Vec<u8> {
    // Serializing a `Value` to memory cannot fail: its keys are strings.
    let mut out = serde_json::to_vec_pretty(v).expect("a JSON value serializes");
    out.push(b'\n');
    out
}

fn markdown_bytes(mut text: String) -> Vec<u8> {
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.into_bytes()
}

/// A single path segment Claude Code loads: no separators, no hidden or relative names.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
