//! `claude-env init repo|team|project|templates`: scaffolding. Every command builds a
//! [`Plan`] (the files to create), refuses it if any of them exists or if it would leave the
//! repository with validation errors it did not have, then prints it (`--dry-run`) or
//! writes it (each file created exclusively, so a file appearing meanwhile is not lost).

use std::io::Write;
use std::path::{Path, PathBuf};

use claude_env_config::{Diagnostics, RepoSnapshot};

use crate::cli::{InitCommand, SourceArgs};
use crate::error::{CliError, Exit};
use crate::templates::TemplateError;

mod layer;
mod prompt;
mod repo;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("refusing to overwrite: {} already exist(s): {}", .0.len(), .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Exists(Vec<PathBuf>),
    #[error("invalid {what}: {why}")]
    Invalid { what: String, why: String },
    #[error("{0} is required (no terminal to ask on)")]
    Missing(String),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{} is not a claude-env repository (no claude-env.yaml); start one with `claude-env init repo DIR`", .0.display())]
    NotARepo(PathBuf),
    #[error("init works on a local directory: {0}")]
    NotLocal(String),
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the repository at {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: claude_env_source::load::LoadError,
    },
    #[error("prompt failed")]
    Prompt(#[from] dialoguer::Error),
}

pub(crate) fn run(
    src: &SourceArgs,
    command: InitCommand,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    match command {
        InitCommand::Repo(a) => repo::run(src, &a, out),
        InitCommand::Team(a) => layer::team(src, &a, out),
        InitCommand::Project(a) => layer::project(src, &a, out),
        InitCommand::Templates(a) => layer::list_templates(src, &a, out),
    }
}

/// Files to create below `root`.
pub(crate) struct Plan {
    pub root: PathBuf,
    /// Relative path (`/`-separated) → content.
    pub files: Vec<(String, String)>,
}

impl Plan {
    /// Paths of the plan that exist already (`extra`: directories that must not exist).
    fn existing(&self, extra: &[String]) -> Vec<PathBuf> {
        extra
            .iter()
            .chain(self.files.iter().map(|(p, _)| p))
            .map(|p| self.root.join(p))
            .filter(|p| p.symlink_metadata().is_ok())
            .collect()
    }

    /// Refuses when anything of the plan (or a directory of `dirs`) exists.
    pub(crate) fn check_free(&self, dirs: &[String]) -> Result<(), InitError> {
        let existing = self.existing(dirs);
        if existing.is_empty() {
            Ok(())
        } else {
            Err(InitError::Exists(existing))
        }
    }

    /// `snapshot` with the plan's config files added (what validation would see after).
    pub(crate) fn applied_to(&self, snapshot: &RepoSnapshot) -> RepoSnapshot {
        let mut files: Vec<(String, Vec<u8>)> = snapshot
            .files()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect();
        files.extend(
            self.files
                .iter()
                .filter(|(p, _)| claude_env_source::load::is_config_path(p))
                .map(|(p, c)| (p.clone(), c.as_bytes().to_vec())),
        );
        RepoSnapshot::new(None, files)
    }

    /// Creates every file, never replacing one.
    pub(crate) fn write(&self) -> Result<(), InitError> {
        for (rel, content) in &self.files {
            let path = self.root.join(rel);
            let err = |source| InitError::Write {
                path: path.clone(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(err)?;
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(err)?;
            f.write_all(content.as_bytes()).map_err(err)?;
        }
        Ok(())
    }

    /// `  create path` per file, relative to where the user stands if possible.
    pub(crate) fn print(&self, out: &mut dyn Write, verb: &str) -> Result<(), CliError> {
        for (rel, _) in &self.files {
            writeln!(out, "  {verb:<6} {}", shown(&self.root.join(rel)).display())?;
        }
        Ok(())
    }
}

/// A path relative to the current directory when it is below it.
fn shown(p: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| p.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| p.to_path_buf())
}

/// Findings in `after` that `before` did not have (compared as printed).
pub(crate) fn new_errors(before: &Diagnostics, after: &Diagnostics) -> Diagnostics {
    let old: Vec<String> = before.errors().map(ToString::to_string).collect();
    after
        .errors()
        .filter(|d| !old.contains(&d.to_string()))
        .cloned()
        .collect()
}

/// Names of teams, projects and environments end up in object names and labels: a DNS
/// label (lowercase letters, digits, `-`, at most 63).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if claude_env_render::naming::is_dns1123_label(name) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be lowercase letters, digits and `-`, start and end with a letter or digit, at most 63 characters"
        ))
    }
}

/// Print the refused plan's new errors and say nothing was written.
pub(crate) fn refuse_invalid(out: &mut dyn Write, errors: &Diagnostics) -> Result<Exit, CliError> {
    writeln!(
        out,
        "the repository would not validate after this; nothing was written:"
    )?;
    for d in errors {
        writeln!(out, "  {d}")?;
    }
    Ok(Exit::Findings)
}
