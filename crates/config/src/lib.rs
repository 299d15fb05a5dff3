//! The config engine: a layered config repository (base → environment → team → project,
//! plus the workstation-only user layer) turned into one merged, validated document whose
//! every leaf remembers where it came from.
//!
//! Pure: it works on an in-memory [`RepoSnapshot`]; loading from a directory or a Git commit
//! happens at the edges (`claude-env-source`).

pub mod model;
pub mod provenance;
pub mod snapshot;

pub use model::{Deploy, Document, McpServer};
pub use provenance::{Layer, LayerKind, MergedDocument, Provenance};
pub use snapshot::RepoSnapshot;

/// Which layers of the repository make up one environment.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selection {
    pub environment: String,
    pub team: Option<String>,
    pub project: Option<String>,
}
