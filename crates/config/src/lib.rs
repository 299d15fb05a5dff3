//! The config engine: a layered config repository (base → environment → team → project,
//! plus the workstation-only user layer) turned into one merged, validated document whose
//! every leaf remembers where it came from.
//!
//! Pure: it works on an in-memory [`RepoSnapshot`]; loading from a directory or a Git commit
//! happens at the edges (`claude-env-source`).
//!
//! Entry points: [`load_environment`] (one selection, validated), [`validate_repo`] (every
//! file and every selection), and [`ParsedRepo`] to parse a revision once and merge many
//! selections from it.

pub mod diagnostics;
pub mod document;
pub mod image;
pub mod model;
pub mod pointer;
pub mod provenance;
pub mod reference;
pub mod rules;
pub mod settings;
pub mod snapshot;
pub mod strategy;

mod keys;
mod layer;
mod layout;
mod merge;
mod parse;
mod repo;
mod schema;
mod secrets;
mod semantic;
#[cfg(test)]
mod testutil;
mod tree;
mod validate;

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use document::DocumentError;
pub use model::{Deploy, Document, McpServer};
pub use provenance::{Layer, LayerKind, MergedDocument, Provenance};
pub use repo::{Checked, ParsedRepo, UserLayer};
pub use schema::DOCUMENT_SCHEMA;
pub use settings::{EnvironmentSettings, RepoSettings};
pub use snapshot::RepoSnapshot;
pub use strategy::{MergeRule, PathPattern, Strategy};

/// Which layers of the repository make up one environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selection {
    pub environment: String,
    pub team: Option<String>,
    pub project: Option<String>,
}

impl Selection {
    pub fn new(environment: impl Into<String>) -> Self {
        Self {
            environment: environment.into(),
            team: None,
            project: None,
        }
    }

    pub fn team(mut self, team: impl Into<String>) -> Self {
        self.team = Some(team.into());
        self
    }

    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }
}

/// `env`, `env/team`, `env/team/project`, or `env/-/project` without a team.
impl std::fmt::Display for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.environment)?;
        match (&self.team, &self.project) {
            (Some(t), Some(p)) => write!(f, "/{t}/{p}"),
            (Some(t), None) => write!(f, "/{t}"),
            (None, Some(p)) => write!(f, "/-/{p}"),
            (None, None) => Ok(()),
        }
    }
}

/// Whether `value` looks like a plain-text credential: what kind (e.g. "a GitHub personal
/// access token") and the byte offset in `value` where it starts (0 when the whole value is
/// the finding). `key` is the mapping key the value is written under (credential-like keys
/// catch high-entropy text). The detector validation uses; reports use it to mask values.
pub fn find_credential(key: Option<&str>, value: &str) -> Option<(&'static str, usize)> {
    secrets::scan(key, value).map(|f| (f.kind, f.offset))
}

/// Loads one environment: parses the layers it needs, merges them (with the user layer on
/// top, if given) and validates the result. Any error fails it, with every finding.
pub fn load_environment(
    snapshot: &RepoSnapshot,
    selection: &Selection,
    user_layer: Option<UserLayer>,
) -> Result<MergedDocument, Diagnostics> {
    let wanted = |l: &Layer| match l.kind {
        LayerKind::Base | LayerKind::User => true,
        LayerKind::Environment => l.name.as_deref() == Some(&selection.environment),
        LayerKind::Team => l.name.as_deref() == selection.team.as_deref(),
        LayerKind::Project => l.name.as_deref() == selection.project.as_deref(),
    };
    ParsedRepo::parse_layers(snapshot, wanted).load(selection, user_layer.as_ref())
}

/// Every problem in the repository, all at once: each file, claude-env.yaml, the layout,
/// and the merged document of every environment × team × project combination.
pub fn validate_repo(snapshot: &RepoSnapshot) -> Diagnostics {
    ParsedRepo::parse(snapshot).validate()
}
