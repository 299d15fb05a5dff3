//! The merged document a sync wrote, kept in `state.json` so the next sync and `diff` can
//! say what a change does (its risk class) and where the old value came from — without the
//! old revision, which may be a dirty work tree or a commit no longer fetched. Rollback
//! restores it with the rest of `state.json`.
//!
//! `${env:VAR}` references are kept as written (the merged document is unresolved), so no
//! workstation value ends up here.

use std::collections::BTreeMap;

use claude_env_config::{Layer, LayerKind, MergedDocument, Provenance};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedDocument {
    pub value: Value,
    /// JSON pointer of each leaf → where it was set.
    pub provenance: BTreeMap<String, SetAt>,
}

/// `["team/backend", "teams/backend/settings.yaml", 12, 5]`: layer, file, line, column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAt(pub String, pub String, pub u32, pub u32);

impl From<&MergedDocument> for SyncedDocument {
    fn from(doc: &MergedDocument) -> Self {
        SyncedDocument {
            value: doc.value.clone(),
            provenance: doc
                .provenance
                .iter()
                .map(|(ptr, p)| {
                    let at = SetAt(p.layer.to_string(), p.file.clone(), p.line, p.column);
                    (ptr.clone(), at)
                })
                .collect(),
        }
    }
}

impl SyncedDocument {
    /// The document again. A leaf whose layer does not parse (a hand-edited state file)
    /// loses its provenance, not the document.
    pub fn to_merged(&self) -> MergedDocument {
        MergedDocument {
            value: self.value.clone(),
            provenance: self
                .provenance
                .iter()
                .filter_map(|(ptr, SetAt(layer, file, line, column))| {
                    let p = Provenance {
                        layer: parse_layer(layer)?,
                        file: file.clone(),
                        line: *line,
                        column: *column,
                    };
                    Some((ptr.clone(), p))
                })
                .collect(),
        }
    }
}

/// The inverse of `Layer`'s `Display`: `base`, `user`, `environment/x`, `team/x`, `project/x`.
fn parse_layer(s: &str) -> Option<Layer> {
    let (kind, name) = match s.split_once('/') {
        Some((k, n)) => (k, Some(n.to_owned())),
        None => (s, None),
    };
    let kind = match (kind, &name) {
        ("base", None) => LayerKind::Base,
        ("user", None) => LayerKind::User,
        ("environment", Some(_)) => LayerKind::Environment,
        ("team", Some(_)) => LayerKind::Team,
        ("project", Some(_)) => LayerKind::Project,
        _ => return None,
    };
    Some(Layer { kind, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_round_trips_through_json() {
        let mut provenance = BTreeMap::new();
        for (i, layer) in [
            Layer {
                kind: LayerKind::Base,
                name: None,
            },
            Layer {
                kind: LayerKind::Team,
                name: Some("backend".into()),
            },
            Layer {
                kind: LayerKind::User,
                name: None,
            },
        ]
        .into_iter()
        .enumerate()
        {
            provenance.insert(
                format!("/settings/x{i}"),
                Provenance {
                    layer,
                    file: format!("f{i}.yaml"),
                    line: i as u32 + 1,
                    column: 3,
                },
            );
        }
        let doc = MergedDocument {
            value: serde_json::json!({"settings": {"x0": 1, "x1": 2, "x2": 3}}),
            provenance,
        };
        let stored = SyncedDocument::from(&doc);
        let json = serde_json::to_string(&stored).unwrap();
        assert!(json.contains(r#"["team/backend","f1.yaml",2,3]"#), "{json}");
        let back: SyncedDocument = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_merged(), doc);
    }

    #[test]
    fn unknown_layers_lose_only_their_provenance() {
        assert_eq!(parse_layer("team"), None);
        assert_eq!(parse_layer("base/x"), None);
        assert_eq!(parse_layer("galaxy/x"), None);
        assert_eq!(
            parse_layer("environment/prod"),
            Some(Layer {
                kind: LayerKind::Environment,
                name: Some("prod".into())
            })
        );
    }
}
