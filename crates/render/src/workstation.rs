//! Resolving `${env:VAR}` references at workstation sync time.
//!
//! In the cluster a rendered file keeps `${VAR}` and Claude Code expands it from its own
//! environment. On a workstation the CLI writes the value instead, so `~/.claude` works in
//! any shell; a variable that is not set is an error and nothing is resolved.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::MissingEnvVars;
use crate::files::{ClaudeFiles, json_bytes};

impl ClaudeFiles {
    /// Replaces `${VAR}` for every `VAR` in [`ClaudeFiles::env_vars`] with `lookup(VAR)`.
    /// JSON files are rewritten value by value (so a value with quotes or backslashes stays
    /// valid JSON) and re-serialized exactly as rendering does; other files textually.
    /// Secret variables (`${CLAUDE_ENV_SECRET_...}`) are not touched. Errors list every
    /// missing variable at once.
    pub fn resolve_env<F>(&self, lookup: F) -> Result<ClaudeFiles, MissingEnvVars>
    where
        F: Fn(&str) -> Option<String>,
    {
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for var in &self.env_vars {
            match lookup(var) {
                Some(v) => {
                    values.insert(var.clone(), v);
                }
                None => missing.push(var.clone()),
            }
        }
        if !missing.is_empty() {
            return Err(MissingEnvVars { missing });
        }
        let files = self
            .files
            .iter()
            .map(|(path, bytes)| (path.clone(), resolve_file(path, bytes, &values)))
            .collect();
        Ok(ClaudeFiles {
            files,
            env_vars: Default::default(),
            secret_vars: self.secret_vars.clone(),
        })
    }
}

/// Variable name → value.
type Values = BTreeMap<String, String>;

fn resolve_file(path: &str, bytes: &[u8], values: &Values) -> Vec<u8> {
    if values.is_empty() {
        return bytes.to_vec();
    }
    if path.ends_with(".json")
        && let Ok(mut v) = serde_json::from_slice::<Value>(bytes)
    {
        replace_in_value(&mut v, values);
        return json_bytes(&v);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => replace_all(text, values).into_bytes(),
        Err(_) => bytes.to_vec(),
    }
}

fn replace_in_value(v: &mut Value, values: &Values) {
    match v {
        Value::String(s) if s.contains("${") => *s = replace_all(s, values),
        Value::Array(items) => items.iter_mut().for_each(|i| replace_in_value(i, values)),
        Value::Object(map) => map.values_mut().for_each(|i| replace_in_value(i, values)),
        _ => {}
    }
}

/// One left-to-right pass, so a value that itself contains `${...}` is not expanded again.
fn replace_all(text: &str, values: &Values) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let value = tail
            .find('}')
            .and_then(|close| values.get(&tail[2..close]).map(|v| (v, close)));
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &tail[close + 1..];
            }
            None => {
                out.push_str("${");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}
