//! Where every merged value came from.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    Base,
    Environment,
    Team,
    Project,
    /// Workstation-only `~/.claude/local-overrides.yaml`; never in Git.
    User,
}

/// One layer of the stack, lowest first: base, environments/<name>, teams/<name>,
/// projects/<name>, user.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Layer {
    pub kind: LayerKind,
    /// The directory name for environment/team/project layers.
    pub name: Option<String>,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            LayerKind::Base => "base",
            LayerKind::Environment => "environment",
            LayerKind::Team => "team",
            LayerKind::Project => "project",
            LayerKind::User => "user",
        };
        match &self.name {
            Some(n) => write!(f, "{kind}/{n}"),
            None => f.write_str(kind),
        }
    }
}

/// The file position that set a leaf.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Provenance {
    pub layer: Layer,
    /// Path relative to the repository root (e.g. `teams/backend/mcp.yaml`).
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}:{}:{}",
            self.layer, self.file, self.line, self.column
        )
    }
}

/// The merged document of one environment, with the provenance of every leaf.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MergedDocument {
    /// The merged document (see [`crate::model::Document`] for its typed form).
    pub value: serde_json::Value,
    /// JSON pointer (RFC 6901) of each leaf (scalars and empty containers; array elements
    /// by index) → where it was set. Always the highest layer that set it.
    pub provenance: BTreeMap<String, Provenance>,
}
