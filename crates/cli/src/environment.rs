//! The bridge to the config engine and the renderer: one selection of a loaded repository
//! → merged document (with provenance) → the files Claude Code reads.

use std::collections::BTreeMap;
use std::path::Path;

use claude_env_config::{Diagnostics, Document, MergedDocument, Selection, UserLayer};
use claude_env_render::{ClaudeFiles, DesiredObjects, RenderContext};

use crate::cli::{SelectionArgs, TeamSelectionArgs};
use crate::repo::LoadedRepo;

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// Every finding, one per line, compiler style.
    #[error("{selection} does not load:\n{diagnostics}")]
    Invalid {
        selection: String,
        diagnostics: Diagnostics,
    },
    #[error("{selection}: the merged document is malformed")]
    Document {
        selection: String,
        #[source]
        source: claude_env_config::DocumentError,
    },
    #[error("rendering {selection}")]
    Render {
        selection: String,
        #[source]
        source: claude_env_render::RenderError,
    },
    #[error("cannot read the user layer {path}")]
    UserLayer {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "environment variables referenced as ${{env:VAR}} are not set: {}\n\
         Set them (e.g. `export {}=...`) and run again; nothing was written.",
        .0.join(", "),
        .0.first().map(String::as_str).unwrap_or("VAR")
    )]
    MissingEnv(Vec<String>),
}

impl From<&SelectionArgs> for Selection {
    fn from(a: &SelectionArgs) -> Self {
        Selection {
            environment: a.environment.clone(),
            team: a.team.clone(),
            project: a.project.clone(),
        }
    }
}

/// Both required outside cluster mode (clap enforces it).
impl From<&TeamSelectionArgs> for Selection {
    fn from(a: &TeamSelectionArgs) -> Self {
        Selection {
            environment: a.environment.clone().unwrap_or_default(),
            team: a.team.clone(),
            project: a.project.clone(),
        }
    }
}

/// Where rendered objects (and the in-cluster URLs in mcp.json) point.
#[derive(Clone, Debug, Default)]
pub(crate) struct Placement {
    /// ClaudeEnvironment name; default: the selection joined by `-`.
    pub instance: Option<String>,
    /// The ClaudeEnvironment's namespace.
    pub namespace: String,
    /// Where the objects go (`spec.targetNamespace`); default: `namespace`.
    pub target_namespace: Option<String>,
}

/// One selection, merged and typed.
#[derive(Debug)]
pub(crate) struct Environment {
    pub selection: Selection,
    pub merged: MergedDocument,
    pub document: Document,
}

/// Reads the optional user layer (layer 5). Absent is normal.
pub(crate) fn read_user_layer(path: &Path) -> Result<Option<UserLayer>, EnvError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(UserLayer::named(path.display().to_string(), bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(EnvError::UserLayer {
            path: path.display().to_string(),
            source,
        }),
    }
}

pub(crate) fn load(
    repo: &LoadedRepo,
    selection: Selection,
    user: Option<UserLayer>,
) -> Result<Environment, EnvError> {
    let name = selection.to_string();
    let merged = claude_env_config::load_environment(&repo.snapshot, &selection, user).map_err(
        |diagnostics| EnvError::Invalid {
            selection: name.clone(),
            diagnostics,
        },
    )?;
    let document = merged.document().map_err(|source| EnvError::Document {
        selection: name,
        source,
    })?;
    Ok(Environment {
        selection,
        merged,
        document,
    })
}

pub(crate) fn validate(repo: &LoadedRepo) -> Diagnostics {
    claude_env_config::validate_repo(&repo.snapshot)
}

impl Environment {
    fn context(&self, repo: &LoadedRepo, placement: &Placement) -> RenderContext {
        let s = &self.selection;
        let default_instance = [Some(&s.environment), s.team.as_ref(), s.project.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("-");
        RenderContext {
            instance: placement.instance.clone().unwrap_or(default_instance),
            owner_namespace: placement.namespace.clone(),
            target_namespace: placement
                .target_namespace
                .clone()
                .unwrap_or_else(|| placement.namespace.clone()),
            environment: s.environment.clone(),
            team: s.team.clone(),
            project: s.project.clone(),
            revision: repo.revision.clone(),
        }
    }

    fn render_err(&self, source: claude_env_render::RenderError) -> EnvError {
        EnvError::Render {
            selection: self.selection.to_string(),
            source,
        }
    }

    /// The files, with `${env:VAR}` still as `${VAR}` (as the cluster gets them).
    pub(crate) fn files(
        &self,
        repo: &LoadedRepo,
        placement: &Placement,
    ) -> Result<ClaudeFiles, EnvError> {
        claude_env_render::render_files(&self.document, &self.context(repo, placement))
            .map_err(|e| self.render_err(e))
    }

    pub(crate) fn objects(
        &self,
        repo: &LoadedRepo,
        placement: &Placement,
    ) -> Result<DesiredObjects, EnvError> {
        claude_env_render::render_objects(&self.document, &self.context(repo, placement))
            .map_err(|e| self.render_err(e))
    }
}

/// Relative path → bytes.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;
/// Variable → value.
pub(crate) type EnvValues = BTreeMap<String, String>;

/// Files as written to a workstation: every `${env:VAR}` resolved from `lookup`. Returns
/// the files and the values used (so output can mask them).
pub(crate) fn resolve_env(
    files: &ClaudeFiles,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(Files, EnvValues), EnvError> {
    let resolved = files
        .resolve_env(&lookup)
        .map_err(|m| EnvError::MissingEnv(m.missing))?;
    let values = files
        .env_vars
        .iter()
        .filter_map(|v| Some((v.clone(), lookup(v)?)))
        .collect();
    Ok((resolved.files, values))
}
