//! `--repo DIR|URL`, `--rev`, `--branch`, `--path` → one snapshot of the config repository,
//! with the revision it came from.

use std::path::{Path, PathBuf};

use claude_env_config::RepoSnapshot;

use crate::cli::SourceArgs;
use crate::git_cache::{self, GitError};

/// A loaded repository and how to find it again (recorded in the target's state).
#[derive(Debug)]
pub(crate) struct LoadedRepo {
    pub snapshot: RepoSnapshot,
    /// Commit SHA; for a working tree, `HEAD` with `-dirty` appended when the config differs
    /// from it; `None` outside Git.
    pub revision: Option<String>,
    /// The directory (absolute) or URL (without a password).
    pub repo: String,
    pub path: Option<String>,
    pub branch: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("cannot read the config repository {}", path.display())]
    Dir {
        path: PathBuf,
        #[source]
        source: claude_env_source::load::LoadError,
    },
    #[error("cannot read revision {rev} of {repo}")]
    Commit {
        repo: String,
        rev: String,
        #[source]
        source: claude_env_source::load::LoadError,
    },
    #[error("{} is not a directory (nor a Git URL)", .0.display())]
    NotADir(PathBuf),
    #[error("{} is not in a Git repository, so --rev cannot be used", .0.display())]
    NotGit(PathBuf),
}

impl LoadedRepo {
    pub(crate) fn load(args: &SourceArgs) -> Result<Self, RepoError> {
        let given = args.repo.clone().unwrap_or_else(|| ".".to_string());
        if git_cache::is_url(&given) {
            return load_url(&given, args);
        }
        let dir =
            std::fs::canonicalize(&given).map_err(|_| RepoError::NotADir(given.clone().into()))?;
        if !dir.is_dir() {
            return Err(RepoError::NotADir(dir));
        }
        match &args.rev {
            Some(rev) => load_dir_commit(&dir, rev, args),
            None => load_dir(&dir, args),
        }
    }
}

fn subpath(args: &SourceArgs) -> Option<String> {
    args.path
        .as_deref()
        .map(|p| p.trim_matches('/').to_string())
        .filter(|p| !p.is_empty())
}

fn load_url(url: &str, args: &SourceArgs) -> Result<LoadedRepo, RepoError> {
    let (git, oid) = git_cache::fetch(url, args.branch.as_deref(), args.rev.as_deref())?;
    let path = subpath(args);
    let snapshot =
        claude_env_source::load::from_commit(&git, oid, path.as_deref()).map_err(|source| {
            RepoError::Commit {
                repo: redact(url),
                rev: oid.to_string(),
                source,
            }
        })?;
    Ok(LoadedRepo {
        snapshot,
        revision: Some(oid.to_string()),
        repo: redact(url),
        path,
        branch: args.branch.clone(),
    })
}

fn load_dir(dir: &Path, args: &SourceArgs) -> Result<LoadedRepo, RepoError> {
    let path = subpath(args);
    let root = path.as_deref().map_or(dir.to_path_buf(), |p| dir.join(p));
    let snapshot = claude_env_source::load::from_dir(&root).map_err(|source| RepoError::Dir {
        path: root.clone(),
        source,
    })?;
    Ok(LoadedRepo {
        snapshot,
        revision: work_tree_revision(&root),
        repo: dir.display().to_string(),
        path,
        branch: None,
    })
}

/// `--repo DIR --rev REV`: the commit, not the working tree.
fn load_dir_commit(dir: &Path, rev: &str, args: &SourceArgs) -> Result<LoadedRepo, RepoError> {
    let git = git2::Repository::discover(dir).map_err(|_| RepoError::NotGit(dir.to_path_buf()))?;
    let workdir = git
        .workdir()
        .ok_or_else(|| RepoError::NotGit(dir.to_path_buf()))?;
    let oid = git
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|source| GitError::NoRevision {
            repo: dir.display().to_string(),
            rev: rev.to_string(),
            hint: String::new(),
            source,
        })?
        .id();
    // The config root inside the repository: DIR's place in the work tree, then --path.
    let inside = dir
        .strip_prefix(std::fs::canonicalize(workdir).unwrap_or(workdir.to_path_buf()))
        .unwrap_or(Path::new(""))
        .to_string_lossy()
        .replace('\\', "/");
    let path = subpath(args);
    let full = [inside.as_str(), path.as_deref().unwrap_or("")]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    let snapshot = claude_env_source::load::from_commit(
        &git,
        oid,
        Some(full.as_str()).filter(|f| !f.is_empty()),
    )
    .map_err(|source| RepoError::Commit {
        repo: dir.display().to_string(),
        rev: rev.to_string(),
        source,
    })?;
    Ok(LoadedRepo {
        snapshot,
        revision: Some(oid.to_string()),
        repo: dir.display().to_string(),
        path,
        branch: None,
    })
}

/// `HEAD` of the work tree holding `root`, `-dirty` when anything below `root` differs from
/// it (like `git describe --dirty`); `None` outside Git or before the first commit.
fn work_tree_revision(root: &Path) -> Option<String> {
    let git = git2::Repository::discover(root).ok()?;
    let head = git.head().ok()?.peel_to_commit().ok()?.id().to_string();
    let workdir = std::fs::canonicalize(git.workdir()?).ok()?;
    let inside = root
        .strip_prefix(&workdir)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    if !inside.is_empty() {
        opts.pathspec(&inside);
    }
    let dirty = git
        .statuses(Some(&mut opts))
        .map(|s| !s.is_empty())
        .unwrap_or(false);
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// `https://user:token@host/x` → `https://user@host/x`: state files and output never hold a
/// password.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_dropped_from_urls() {
        assert_eq!(
            redact("https://bob:s3cret@git.example.com/r.git"),
            "https://bob@git.example.com/r.git"
        );
        assert_eq!(
            redact("https://git.example.com/r.git"),
            "https://git.example.com/r.git"
        );
        assert_eq!(
            redact("git@github.com:org/r.git"),
            "git@github.com:org/r.git"
        );
        assert_eq!(redact("file:///tmp/r.git"), "file:///tmp/r.git");
    }
}
