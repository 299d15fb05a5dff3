//! Loading a [`RepoSnapshot`] from a working directory or straight from a Git commit's tree
//! (blobs read from the object database, no checkout), with the same file selection either
//! way so both give identical snapshots.
//!
//! Selected: `claude-env.yaml` and, below `base/`, `environments/`, `teams/`, `projects/` and
//! `schemas/`, every `*.yaml`, `*.yml`, `*.json` and `*.md` file, plus `.gitkeep` files
//! (they are what makes an otherwise empty layer directory exist in Git). Skipped: hidden
//! files and directories, symbolic links (they could point outside the repository) and
//! submodules. A selected file larger than [`MAX_FILE_SIZE`] is an error rather than a
//! silent skip: it would change what the repository means.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use claude_env_config::RepoSnapshot;
use git2::{ObjectType, Oid, Repository, Tree};

/// The largest config file read (config files are small; this bounds memory).
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

const TOP_DIRS: &[&str] = &["base", "environments", "teams", "projects", "schemas"];
const SETTINGS_FILE: &str = "claude-env.yaml";
const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "md"];
/// Git's mode for symbolic links and submodules (`gitlink`).
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{} has a file name that is not UTF-8", path.display())]
    NonUtf8Path { path: PathBuf },
    #[error("{path}{at}: {size} bytes is more than the {MAX_FILE_SIZE}-byte limit for a config file", at = at(revision))]
    TooLarge {
        path: String,
        revision: Option<String>,
        size: u64,
    },
    #[error("cannot resolve revision `{rev}` to a commit: {source}")]
    Revision { rev: String, source: git2::Error },
    #[error("reading {what} at {revision}: {source}")]
    Git {
        what: String,
        revision: String,
        source: git2::Error,
    },
    #[error("{subpath} does not exist at {revision}")]
    MissingSubpath { subpath: String, revision: String },
    #[error("{subpath} at {revision} is not a directory")]
    SubpathNotADirectory { subpath: String, revision: String },
}

fn at(revision: &Option<String>) -> String {
    revision
        .as_ref()
        .map_or_else(String::new, |r| format!(" at {r}"))
}

/// Whether a path (relative to the config root, `/`-separated) belongs in the snapshot.
pub fn is_config_path(path: &str) -> bool {
    let mut components = path.split('/');
    let Some(top) = components.next() else {
        return false;
    };
    if path == SETTINGS_FILE {
        return true;
    }
    if !TOP_DIRS.contains(&top) || path.split('/').any(str::is_empty) {
        return false;
    }
    let file = path.rsplit('/').next().unwrap_or(path);
    let dirs_visible = path.split('/').rev().skip(1).all(|c| !c.starts_with('.'));
    if !dirs_visible {
        return false;
    }
    if file == ".gitkeep" {
        return true;
    }
    !file.starts_with('.')
        && file
            .rsplit_once('.')
            .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext))
}

/// Whether to descend into a directory (relative path): hidden directories never, and at
/// the top only the layer and schema directories.
fn is_config_dir(path: &str) -> bool {
    let top = path.split('/').next().unwrap_or(path);
    TOP_DIRS.contains(&top) && !path.split('/').any(|c| c.starts_with('.'))
}

/// Loads the config repository rooted at `root` (a working directory; revision `None`).
pub fn from_dir(root: impl AsRef<Path>) -> Result<RepoSnapshot, LoadError> {
    let root = root.as_ref();
    let meta = fs::metadata(root).map_err(|source| LoadError::Io {
        path: root.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(LoadError::NotADirectory {
            path: root.to_owned(),
        });
    }
    let mut files = Vec::new();
    walk_dir(root, "", &mut files)?;
    Ok(RepoSnapshot::new(None, files))
}

fn walk_dir(dir: &Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), LoadError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| LoadError::Io { path, source }
    };
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| LoadError::NonUtf8Path { path: path.clone() })?;
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        // `file_type` does not follow symlinks: a link is neither a file nor a directory here.
        let kind = entry.file_type().map_err(io_err(&path))?;
        if kind.is_dir() {
            if is_config_dir(&child) {
                walk_dir(&path, &child, out)?;
            }
        } else if kind.is_file() && is_config_path(&child) {
            let size = entry.metadata().map_err(io_err(&path))?.len();
            check_size(&child, None, size)?;
            out.push((child, fs::read(&path).map_err(io_err(&path))?));
        }
    }
    Ok(())
}

fn check_size(path: &str, revision: Option<&str>, size: u64) -> Result<(), LoadError> {
    if size > MAX_FILE_SIZE {
        return Err(LoadError::TooLarge {
            path: path.to_owned(),
            revision: revision.map(str::to_owned),
            size,
        });
    }
    Ok(())
}

/// Resolves a branch, tag, SHA (full or short) or any `git rev-parse` expression to the
/// commit it names.
pub fn resolve_rev(repo: &Repository, rev: &str) -> Result<Oid, LoadError> {
    let err = |source| LoadError::Revision {
        rev: rev.to_owned(),
        source,
    };
    let object = repo.revparse_single(rev).map_err(err)?;
    Ok(object.peel_to_commit().map_err(err)?.id())
}

/// [`resolve_rev`] then [`from_commit`]: the snapshot of a branch, tag or SHA.
pub fn from_rev(
    repo: &Repository,
    rev: &str,
    subpath: Option<&str>,
) -> Result<RepoSnapshot, LoadError> {
    from_commit(repo, resolve_rev(repo, rev)?, subpath)
}

/// Loads the config repository at `subpath` (default: the root) of `commit`'s tree,
/// reading blobs straight from the object database. The revision is the commit SHA.
pub fn from_commit(
    repo: &Repository,
    commit: Oid,
    subpath: Option<&str>,
) -> Result<RepoSnapshot, LoadError> {
    let revision = commit.to_string();
    let git = |what: &str| {
        let (what, revision) = (what.to_owned(), revision.clone());
        move |source| LoadError::Git {
            what,
            revision,
            source,
        }
    };
    let commit = repo.find_commit(commit).map_err(git("the commit"))?;
    let mut tree = commit.tree().map_err(git("the commit's tree"))?;
    let subpath = subpath
        .map(|s| s.trim_matches('/'))
        .filter(|s| !s.is_empty());
    if let Some(sub) = subpath {
        let entry = tree
            .get_path(Path::new(sub))
            .map_err(|_| LoadError::MissingSubpath {
                subpath: sub.to_owned(),
                revision: revision.clone(),
            })?;
        if entry.kind() != Some(ObjectType::Tree) {
            return Err(LoadError::SubpathNotADirectory {
                subpath: sub.to_owned(),
                revision,
            });
        }
        tree = repo.find_tree(entry.id()).map_err(git(sub))?;
    }
    let mut files = Vec::new();
    walk_tree(repo, &tree, "", &revision, &mut files)?;
    // Tree entries come in Git's order; the snapshot sorts, so both loaders agree.
    Ok(RepoSnapshot::new(Some(revision), files))
}

fn walk_tree(
    repo: &Repository,
    tree: &Tree<'_>,
    rel: &str,
    revision: &str,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), LoadError> {
    for entry in tree.iter() {
        let Ok(name) = entry.name() else {
            return Err(LoadError::NonUtf8Path {
                path: PathBuf::from(rel).join(String::from_utf8_lossy(entry.name_bytes()).as_ref()),
            });
        };
        let child = if rel.is_empty() {
            name.to_owned()
        } else {
            format!("{rel}/{name}")
        };
        let git = |source| LoadError::Git {
            what: child.clone(),
            revision: revision.to_owned(),
            source,
        };
        match entry.kind() {
            Some(ObjectType::Tree) if is_config_dir(&child) => {
                let sub = repo.find_tree(entry.id()).map_err(git)?;
                walk_tree(repo, &sub, &child, revision, out)?;
            }
            Some(ObjectType::Blob)
                if !matches!(entry.filemode(), MODE_LINK | MODE_GITLINK)
                    && is_config_path(&child) =>
            {
                let blob = repo.find_blob(entry.id()).map_err(git)?;
                check_size(&child, Some(revision), blob.size() as u64)?;
                out.push((child, blob.content().to_vec()));
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_paths() {
        for p in [
            "claude-env.yaml",
            "base/settings.yaml",
            "base/nested/mcp.yml",
            "environments/prod/x.json",
            "teams/a/README.md",
            "projects/p/.gitkeep",
            "schemas/policy.json",
        ] {
            assert!(is_config_path(p), "{p}");
        }
        for p in [
            "README.md",
            "claude-env.yml",
            "charts/x.yaml",
            "base/.hidden.yaml",
            "base/.git/config.yaml",
            "teams/a/logo.png",
            "teams/a/noext",
            "base//x.yaml",
        ] {
            assert!(!is_config_path(p), "{p}");
        }
    }

    #[test]
    fn config_dirs() {
        assert!(is_config_dir("base"));
        assert!(is_config_dir("teams/backend"));
        assert!(!is_config_dir("charts"));
        assert!(!is_config_dir(".git"));
        assert!(!is_config_dir("base/.cache"));
    }
}
