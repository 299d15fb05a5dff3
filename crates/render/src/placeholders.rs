//! How references appear in the files Claude Code reads: as Claude Code's own `${VAR}`
//! expansion, never as a value.
//!
//! - `${secret:<name>/<key>}` → `${CLAUDE_ENV_SECRET_<NAME>__<KEY>}` ([`crate::SecretRef::env_var`]);
//! - `${env:VAR}` → `${VAR}`, which the CLI replaces with the workstation's value at sync
//!   ([`crate::ClaudeFiles::resolve_env`]) and Claude Code expands from its environment in
//!   the cluster.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::error::{Pointer, RenderError};
use crate::refs::{self, Segment};
use crate::secrets::SecretVars;

/// Rewrites references in strings and remembers which variables the files now expect.
#[derive(Default)]
pub(crate) struct Placeholders {
    pub secrets: SecretVars,
    pub env: BTreeSet<String>,
}

impl Placeholders {
    pub(crate) fn string(&mut self, s: &str, at: &Pointer) -> Result<String, RenderError> {
        if !refs::may_contain_ref(s) {
            return Ok(s.to_string());
        }
        let segments = refs::parse(s).map_err(|e| e.at(at))?;
        let mut out = String::with_capacity(s.len() + 16);
        for seg in segments {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Secret(r) => {
                    let var = self.secrets.add(r, at)?;
                    push_var(&mut out, &var);
                }
                Segment::Env(var) => {
                    self.env.insert(var.to_string());
                    push_var(&mut out, var);
                }
            }
        }
        Ok(out)
    }

    /// Rewrites every string value (not keys) of a JSON tree, with object keys sorted: maps
    /// that compare equal must render equal bytes, whatever order they were built in.
    pub(crate) fn value(&mut self, v: &Value, at: &Pointer) -> Result<Value, RenderError> {
        Ok(match v {
            Value::String(s) => Value::String(self.string(s, at)?),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let index = i.to_string();
                    out.push(self.value(item, &at.child(&index))?);
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable();
                let mut out = serde_json::Map::with_capacity(map.len());
                for k in keys {
                    out.insert(k.clone(), self.value(&map[k], &at.child(k))?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

fn push_var(out: &mut String, var: &str) {
    out.push_str("${");
    out.push_str(var);
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_become_claude_code_variables_and_are_recorded() {
        let mut p = Placeholders::default();
        let got = p
            .string(
                "${secret:magic/api-key}:${env:USER}:${HOME}",
                &Pointer::ROOT,
            )
            .unwrap();
        assert_eq!(got, "${CLAUDE_ENV_SECRET_MAGIC__API_KEY}:${USER}:${HOME}");
        assert_eq!(p.env.iter().collect::<Vec<_>>(), ["USER"]);
        let secrets = p.secrets.into_map();
        assert_eq!(secrets["CLAUDE_ENV_SECRET_MAGIC__API_KEY"].name, "magic");
    }

    #[test]
    fn json_keys_are_left_alone_and_errors_point_at_the_value() {
        let mut p = Placeholders::default();
        let v = json!({"${env:K}": "${env:V}"});
        let out = p.value(&v, &Pointer::ROOT).unwrap();
        assert_eq!(out, json!({"${env:K}": "${V}"}));

        let bad = json!({"env": {"X": ["ok", "${secret:nokey}"]}});
        let root = Pointer::ROOT;
        let err = p.value(&bad, &root.child("settings")).unwrap_err();
        assert!(
            matches!(&err, RenderError::MalformedReference { pointer, .. } if pointer == "/settings/env/X/1"),
            "{err:?}"
        );
    }
}
