//! What a workstation should hold for one revision, from what the controller rendered (pure):
//! the files of the revision's config ConfigMap, the user layer (`local-overrides.yaml`)
//! merged last, and `${VAR}` placeholders filled in from the workstation's environment.
//!
//! The ConfigMap holds rendered files, not the merged document. With a user layer, the
//! document is taken back from the files (settings.json → `settings`, mcp.json's servers →
//! `mcpServers`, CLAUDE.md → `memory`, `commands/`, `agents/`), the user layer is merged onto
//! it by the config engine (its rules: maps deep-merge, scalars override, `null` keeps, the
//! deletion marker removes; arrays replace, as no repository strategy travels with the
//! files) and the result is rendered again. Without one the files are used byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use claude_env_config::{MergedDocument, RepoSnapshot, Selection, UserLayer};
use claude_env_render::files::{AGENTS_DIR, CLAUDE_MD, COMMANDS_DIR, MCP_JSON, SETTINGS_JSON};
use claude_env_render::{ClaudeFiles, RenderContext};
use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::{Map, Value};

use crate::environment::{EnvError, Files};

/// Prefix of the placeholders of `${secret:...}` references: left for Claude Code.
const SECRET_PREFIX: &str = "CLAUDE_ENV_SECRET_";
/// The selection of the one-layer repository the document is rebuilt in.
const ENVIRONMENT: &str = "cluster";

/// Relative path → bytes of every file in the ConfigMap (`commands__x.md` → `commands/x.md`).
pub(crate) fn from_config_map(cm: &ConfigMap) -> Files {
    let text = cm
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.as_bytes().to_vec()));
    let binary = cm
        .binary_data
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.0.clone()));
    text.chain(binary)
        .map(|(key, bytes)| (claude_env_render::naming::file_path(key), bytes))
        .collect()
}

/// The document the files were rendered from, as far as files tell it.
pub(crate) fn document_of(files: &Files) -> Value {
    let json = |path: &str| {
        files
            .get(path)
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
    };
    let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
    let mut doc = Map::new();
    if let Some(settings) =
        json(SETTINGS_JSON).filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    {
        doc.insert("settings".into(), settings);
    }
    if let Some(servers) = json(MCP_JSON)
        .and_then(|m| m.get("mcpServers").cloned())
        .filter(|s| s.as_object().is_some_and(|m| !m.is_empty()))
    {
        doc.insert("mcpServers".into(), servers);
    }
    if let Some(memory) = files.get(CLAUDE_MD) {
        doc.insert("memory".into(), text(memory).into());
    }
    for (dir, key) in [(COMMANDS_DIR, "commands"), (AGENTS_DIR, "personas")] {
        let prefix = format!("{dir}/");
        let entries: Map<String, Value> = files
            .iter()
            .filter_map(|(p, b)| {
                let name = p.strip_prefix(&prefix)?.strip_suffix(".md")?;
                Some((name.to_string(), text(b).into()))
            })
            .collect();
        if !entries.is_empty() {
            doc.insert(key.into(), Value::Object(entries));
        }
    }
    Value::Object(doc)
}

/// The files to write for `rendered` (a revision's ConfigMap files) with the user layer, and
/// the merged document (for the sync state), when the document could be rebuilt.
pub(crate) fn with_user_layer(
    rendered: &Files,
    user: Option<UserLayer>,
) -> Result<(Files, Option<MergedDocument>), EnvError> {
    let snapshot = RepoSnapshot::new(
        None,
        [
            (
                "claude-env.yaml".to_string(),
                b"schemaVersion: 1\n".to_vec(),
            ),
            (
                format!("environments/{ENVIRONMENT}/empty.yaml"),
                b"{}\n".to_vec(),
            ),
            (
                "base/rendered.json".to_string(),
                serde_json::to_vec(&document_of(rendered)).unwrap_or_default(),
            ),
        ],
    );
    let Some(user) = user else {
        // The files as rendered, byte for byte; the document only for the state.
        let merged =
            claude_env_config::load_environment(&snapshot, &Selection::new(ENVIRONMENT), None).ok();
        return Ok((rendered.clone(), merged));
    };
    let selection = Selection::new(ENVIRONMENT);
    let merged = claude_env_config::load_environment(&snapshot, &selection, Some(user)).map_err(
        |diagnostics| EnvError::Invalid {
            selection: "the environment with local-overrides.yaml".into(),
            diagnostics,
        },
    )?;
    let document = merged.document().map_err(|source| EnvError::Document {
        selection: "the environment with local-overrides.yaml".into(),
        source,
    })?;
    let files = claude_env_render::render_files(&document, &RenderContext::default()).map_err(
        |source| EnvError::Render {
            selection: "the environment with local-overrides.yaml".into(),
            source,
        },
    )?;
    Ok((files.files, Some(merged)))
}

/// Every `${NAME}` placeholder of the files that is a workstation variable (not a secret's).
pub(crate) fn variables(files: &Files) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for bytes in files.values() {
        let text = String::from_utf8_lossy(bytes);
        let mut rest = text.as_ref();
        while let Some(at) = rest.find("${") {
            let tail = &rest[at + 2..];
            if let Some(end) = tail.find('}') {
                let name = &tail[..end];
                if is_var_name(name) && !name.starts_with(SECRET_PREFIX) {
                    out.insert(name.to_string());
                }
            }
            rest = tail;
        }
    }
    out
}

fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The files with every variable `lookup` knows written in (JSON files value by value, as
/// rendering formats them), and the variables left as `${NAME}` for want of a value (Claude
/// Code expands those itself when its environment has them; the doctor reports them).
pub(crate) fn resolve(
    files: &Files,
    lookup: impl Fn(&str) -> Option<String>,
) -> (Files, Vec<String>) {
    let (known, missing): (BTreeSet<String>, BTreeSet<String>) = variables(files)
        .into_iter()
        .partition(|v| lookup(v).is_some());
    let claude = ClaudeFiles {
        files: files.clone(),
        env_vars: known,
        secret_vars: BTreeMap::new(),
    };
    match claude.resolve_env(&lookup) {
        Ok(resolved) => (resolved.files, missing.into_iter().collect()),
        // Every variable resolved was known a moment ago; keep the placeholders if not.
        Err(e) => (files.clone(), e.missing),
    }
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
