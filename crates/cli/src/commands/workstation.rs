//! What a workstation target should hold: the environment rendered with the target's user
//! layer merged last and every `${env:VAR}` resolved from this process's environment.

use std::collections::BTreeMap;
use std::path::Path;

use claude_env_config::{MergedDocument, Selection};
use claude_env_render::SecretRef;

use crate::cli::{PlacementArgs, SourceArgs};
use crate::environment::{self, Placement};
use crate::error::CliError;
use crate::repo::LoadedRepo;
use crate::sync::state::{self, Origin};

pub(super) struct Desired {
    pub origin: Origin,
    /// The merged document (with the user layer) the files are rendered from.
    pub merged: MergedDocument,
    /// Relative path → bytes, as they should be on disk.
    pub files: BTreeMap<String, Vec<u8>>,
    /// `${env:VAR}` values written into the files (output masks them).
    pub env_values: BTreeMap<String, String>,
    /// `${secret:...}` references left for Claude Code to expand from its environment.
    pub secret_vars: BTreeMap<String, SecretRef>,
}

pub(super) fn desired(
    src: &SourceArgs,
    selection: Selection,
    placement: &PlacementArgs,
    target: &Path,
) -> Result<Desired, CliError> {
    let repo = LoadedRepo::load(src)?;
    let user = environment::read_user_layer(&state::join(target, state::USER_LAYER))?;
    let env = environment::load(&repo, selection.clone(), user)?;
    let place = Placement {
        instance: placement.instance.clone(),
        namespace: placement.namespace().to_string(),
        target_namespace: None,
    };
    let rendered = env.files(&repo, &place)?;
    let (files, env_values) = environment::resolve_env(&rendered, |v| std::env::var(v).ok())?;
    let default_ns = placement.namespace() == "default";
    let origin = Origin {
        repo: repo.repo.clone(),
        path: repo.path.clone(),
        branch: repo.branch.clone(),
        revision: repo.revision.clone(),
        environment: selection.environment,
        team: selection.team,
        project: selection.project,
        instance: placement.instance.clone(),
        namespace: (!default_ns).then(|| placement.namespace().to_string()),
    };
    Ok(Desired {
        origin,
        merged: env.merged,
        files,
        env_values,
        secret_vars: rendered.secret_vars,
    })
}

/// The arguments that load what `origin` was synced from, unless `--repo` overrides them.
pub(super) fn source_of(origin: &Origin, cli: &SourceArgs) -> SourceArgs {
    if cli.repo.is_some() {
        return cli.clone();
    }
    SourceArgs {
        repo: Some(origin.repo.clone()),
        rev: cli.rev.clone(),
        branch: cli.branch.clone().or_else(|| origin.branch.clone()),
        path: cli.path.clone().or_else(|| origin.path.clone()),
    }
}

pub(super) fn placement_of(origin: &Origin) -> PlacementArgs {
    PlacementArgs {
        instance: origin.instance.clone(),
        namespace: origin.namespace.clone(),
    }
}

pub(super) fn selection_of(origin: &Origin) -> Selection {
    Selection {
        environment: origin.environment.clone(),
        team: origin.team.clone(),
        project: origin.project.clone(),
    }
}
