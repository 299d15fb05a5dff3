//! Documents for the tests: loaded by the real config engine (so provenance is real), or
//! built from JSON with made-up provenance (for generated documents).

#![allow(dead_code)]

use std::collections::BTreeMap;

use claude_env_config::{Layer, LayerKind, MergedDocument, Provenance, RepoSnapshot, Selection};
use serde_json::Value;

pub(crate) const SETTINGS: &str = "schemaVersion: 1\nenvironments: [dev]\nmerge:\n  settings.permissions.allow: union\n  settings.permissions.deny: union\n  settings.permissions.ask: union\n  settings.hooks.*: {merge-by-key: matcher}\n  settings.hooks.*.*.hooks: union\n";

/// The merged `dev/backend` document of a repository with these files (plus
/// `claude-env.yaml` and an empty team), validated.
pub(crate) fn load(files: &[(&str, &str)]) -> MergedDocument {
    let mut all: Vec<(String, Vec<u8>)> = vec![
        ("claude-env.yaml".into(), SETTINGS.as_bytes().to_vec()),
        ("teams/backend/.gitkeep".into(), Vec::new()),
    ];
    all.extend(
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    );
    let snap = RepoSnapshot::new(None, all);
    claude_env_config::load_environment(&snap, &Selection::new("dev").team("backend"), None)
        .unwrap_or_else(|d| panic!("the test repository loads:\n{d}"))
}

/// One base fragment.
pub(crate) fn base(yaml: &str) -> MergedDocument {
    load(&[("base/doc.yaml", yaml)])
}

/// A document from JSON; every leaf "set" at `base/doc.json`, line = its order + 1.
pub(crate) fn from_json(value: Value) -> MergedDocument {
    let mut provenance = BTreeMap::new();
    let mut ptr = String::new();
    leaves(&value, &mut ptr, &mut provenance);
    MergedDocument { value, provenance }
}

fn leaves(v: &Value, ptr: &mut String, out: &mut BTreeMap<String, Provenance>) {
    let len = ptr.len();
    let children: Vec<(String, &Value)> = match v {
        Value::Object(m) if !m.is_empty() => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ if ptr.is_empty() => return,
        _ => {
            let line = out.len() as u32 + 1;
            out.insert(
                ptr.clone(),
                Provenance {
                    layer: Layer {
                        kind: LayerKind::Base,
                        name: None,
                    },
                    file: "base/doc.json".into(),
                    line,
                    column: 1,
                },
            );
            return;
        }
    };
    for (k, child) in children {
        claude_env_config::pointer::push(ptr, &k);
        leaves(child, ptr, out);
        ptr.truncate(len);
    }
}
