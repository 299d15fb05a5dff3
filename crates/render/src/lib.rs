//! Pure rendering: one environment's merged [`Document`] → the files Claude Code reads
//! ([`render_files`]) and the Kubernetes objects the controller applies ([`render_objects`]).
//! No IO; equal input gives byte-identical output.
//!
//! Conventions (details in each module):
//! - files: `settings.json`, `mcp.json`, `CLAUDE.md`, `commands/<n>.md`, `agents/<n>.md`
//!   ([`files`]); deployed servers appear in `mcp.json` with their in-cluster URL ([`mcp`]);
//! - references: `${secret:n/k}` → `${CLAUDE_ENV_SECRET_N__K}` in files ([`secrets`]) and
//!   `secretKeyRef` in Deployments ([`container`]); `${env:VAR}` → `${VAR}` in files,
//!   resolved on workstations by [`ClaudeFiles::resolve_env`], an error in Deployments;
//! - objects: an immutable ConfigMap `<instance>-config-<hash>` ([`hash`]),
//!   and per enabled server with `deploy:` a Deployment and a Service `<instance>-<server>`
//!   ([`naming`], [`labels`], [`container`]).

mod configmap;
pub mod container;
mod error;
pub mod files;
pub mod hash;
pub mod labels;
mod manifest;
pub mod mcp;
pub mod naming;
mod objects;
mod placeholders;
pub mod refs;
pub mod secrets;
mod stream;
mod workload;
mod workstation;

pub use claude_env_api::{ObjectKey, ObjectKind};
pub use claude_env_config::Document;
pub use error::{MissingEnvVars, RenderError};
pub use files::{ClaudeFiles, render_files};
pub use manifest::{Manifest, manifests};
pub use objects::{
    DesiredObjects, Rendered, ServerObjects, objects_for_files, render, render_objects,
};
pub use secrets::SecretRef;
pub use stream::ObjectRef;

/// Who the render is for and where its objects go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RenderContext {
    /// Name of the ClaudeEnvironment: prefixes every object name.
    pub instance: String,
    /// Namespace of the ClaudeEnvironment (a label on every object).
    pub owner_namespace: String,
    /// Where the objects are created (`spec.targetNamespace`, else the owner's namespace).
    pub target_namespace: String,
    pub environment: String,
    pub team: Option<String>,
    pub project: Option<String>,
    /// The source revision rendered. Deliberately not written into any object: a new commit
    /// that changes nothing must render byte-identical objects, or every commit would
    /// re-apply (and, on a pod template, roll) everything. Kept for callers' status/events.
    pub revision: Option<String>,
}
