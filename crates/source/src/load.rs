//! Loading a [`RepoSnapshot`] from a working directory or straight from a Git commit's tree
//! (blobs read from the object database, no checkout), with the same file selection either
//! way so both give identical snapshots.
//!
//! Selected: `claude-env.yaml` and, below `base/`, `environments/`, `teams/`, `projects/` and
//! `schemas/`, every `*.yaml`, `*.yml`, `*.json` and `*.md` file, plus `.gitkeep` files
//! (they are what makes an otherwise empty layer directory exist in Git). Skipped: hidden
//! files and directories, symbolic links (they could point outside the repository) and
//! submodules.
//!
//! Every load is bounded by [`Limits`]: a few KB pushed must not expand to gigabytes in
//! every replica. Git stores a blob (and a tree) once however many paths use it, so one
//! 4 MiB blob referenced from hundreds of paths, or a directory tree nested into itself,
//! is a tiny push; the loader counts each *use*, checks sizes from object headers before
//! reading any content, and refuses the snapshot with [`LoadError::LimitExceeded`] as soon
//! as a limit is passed, rather than skipping files (which would change what the repository
//! means).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use claude_env_config::RepoSnapshot;
use git2::{ObjectType, Oid, Repository, Tree};

/// The default largest config file read ([`Limits::max_file_bytes`]).
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

const TOP_DIRS: &[&str] = &["base", "environments", "teams", "projects", "schemas"];
const SETTINGS_FILE: &str = "claude-env.yaml";
const EXTENSIONS: &[&str] = &["yaml", "yml", "json", "md"];
/// Git's mode for symbolic links and submodules (`gitlink`).
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// Bounds on one snapshot. The defaults fit any real config repository with a wide margin
/// (config-repo-example is about 60 files and 40 KiB) and keep one snapshot well below the
/// memory a controller replica has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest single selected file. Default 4 MiB ([`MAX_FILE_SIZE`]).
    pub max_file_bytes: u64,
    /// Sum of the sizes of the selected files, a Git blob counted once per path that uses it.
    /// Default 64 MiB (controller flag `--max-snapshot-bytes`).
    pub max_total_bytes: u64,
    /// Entries visited below the config directories: files (selected or not) and
    /// directories, a Git tree counted once per path that uses it. Default 10 000 (controller
    /// flag `--max-snapshot-files`).
    pub max_files: u64,
    /// Deepest directory below the config root (`base/a/b` is 3). Default 32.
    pub max_depth: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: MAX_FILE_SIZE,
            max_total_bytes: 64 * 1024 * 1024,
            max_files: 10_000,
            max_depth: 32,
        }
    }
}

/// Which of the [`Limits`] a snapshot passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    FileBytes,
    TotalBytes,
    Files,
    Depth,
}

impl Limit {
    /// Stable name: `file-bytes`, `total-bytes`, `files`, `depth`.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::FileBytes => "file-bytes",
            Limit::TotalBytes => "total-bytes",
            Limit::Files => "files",
            Limit::Depth => "depth",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Limit::FileBytes => "bytes in one file",
            Limit::TotalBytes => "bytes in the snapshot",
            Limit::Files => "files and directories in the snapshot",
            Limit::Depth => "directory levels",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{} is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{} has a file name that is not UTF-8", path.display())]
    NonUtf8Path { path: PathBuf },
    /// A snapshot passed one of its [`Limits`]; nothing of it is used.
    #[error(transparent)]
    LimitExceeded(Box<LimitExceeded>),
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

/// Which limit a snapshot passed, where, and by how much.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{path}{at}: the config repository is too large: {value} {what} (or more), the limit is {max}",
    at = at(revision),
    what = limit.describe()
)]
pub struct LimitExceeded {
    pub limit: Limit,
    /// The limit in force.
    pub max: u64,
    /// What was counted when the limit was passed (the file's size for
    /// [`Limit::FileBytes`]; the running total for the others).
    pub value: u64,
    /// The path (relative to the config root) that passed it.
    pub path: String,
    pub revision: Option<String>,
}

impl LoadError {
    /// Stable label for metrics and condition reasons: `limit`, `io`, `invalid`,
    /// `not-found`, `corrupt`.
    pub fn category(&self) -> &'static str {
        match self {
            LoadError::LimitExceeded(_) => "limit",
            LoadError::Io { .. } => "io",
            LoadError::NotADirectory { .. }
            | LoadError::NonUtf8Path { .. }
            | LoadError::SubpathNotADirectory { .. } => "invalid",
            LoadError::Revision { .. } | LoadError::MissingSubpath { .. } => "not-found",
            LoadError::Git { .. } => "corrupt",
        }
    }
}

fn at(revision: &Option<String>) -> String {
    revision
        .as_ref()
        .map_or_else(String::new, |r| format!(" at {r}"))
}

/// What one load has read so far, against its limits.
struct Budget<'a> {
    limits: &'a Limits,
    revision: Option<&'a str>,
    total_bytes: u64,
    files: u64,
}

impl<'a> Budget<'a> {
    fn new(limits: &'a Limits, revision: Option<&'a str>) -> Self {
        Budget {
            limits,
            revision,
            total_bytes: 0,
            files: 0,
        }
    }

    fn exceeded(&self, limit: Limit, max: u64, value: u64, path: &str) -> LoadError {
        LoadError::LimitExceeded(Box::new(LimitExceeded {
            limit,
            max,
            value,
            path: path.to_owned(),
            revision: self.revision.map(str::to_owned),
        }))
    }

    /// One more entry (file or directory) at `depth` directory levels below the root.
    fn entry(&mut self, path: &str, depth: u64) -> Result<(), LoadError> {
        self.files += 1;
        if self.files > self.limits.max_files {
            return Err(self.exceeded(Limit::Files, self.limits.max_files, self.files, path));
        }
        if depth > self.limits.max_depth {
            return Err(self.exceeded(Limit::Depth, self.limits.max_depth, depth, path));
        }
        Ok(())
    }

    /// A selected file of `size` bytes is about to be read.
    fn file(&mut self, path: &str, size: u64) -> Result<(), LoadError> {
        if size > self.limits.max_file_bytes {
            return Err(self.exceeded(Limit::FileBytes, self.limits.max_file_bytes, size, path));
        }
        self.total_bytes = self.total_bytes.saturating_add(size);
        if self.total_bytes > self.limits.max_total_bytes {
            let (max, value) = (self.limits.max_total_bytes, self.total_bytes);
            return Err(self.exceeded(Limit::TotalBytes, max, value, path));
        }
        Ok(())
    }
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

/// Loads the config repository rooted at `root` (a working directory; revision `None`)
/// within the default [`Limits`].
pub fn from_dir(root: impl AsRef<Path>) -> Result<RepoSnapshot, LoadError> {
    from_dir_with(root, &Limits::default())
}

/// Loads the config repository rooted at `root` within `limits`.
pub fn from_dir_with(root: impl AsRef<Path>, limits: &Limits) -> Result<RepoSnapshot, LoadError> {
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
    let mut budget = Budget::new(limits, None);
    walk_dir(root, "", 0, &mut budget, &mut files)?;
    Ok(RepoSnapshot::new(None, files))
}

fn walk_dir(
    dir: &Path,
    rel: &str,
    depth: u64,
    budget: &mut Budget<'_>,
    out: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), LoadError> {
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
                budget.entry(&child, depth + 1)?;
                walk_dir(&path, &child, depth + 1, budget, out)?;
            }
        } else if kind.is_file() && (depth > 0 || is_config_path(&child)) {
            budget.entry(&child, depth)?;
            if is_config_path(&child) {
                let size = entry.metadata().map_err(io_err(&path))?.len();
                budget.file(&child, size)?;
                out.push((
                    child.clone(),
                    read_capped(&path, size).map_err(io_err(&path))?,
                ));
            }
        }
    }
    Ok(())
}

/// The file's bytes, at most `size` of them: a file that grew since its size was checked
/// cannot bring more than was counted.
fn read_capped(path: &Path, size: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    fs::File::open(path)?.take(size).read_to_end(&mut bytes)?;
    Ok(bytes)
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

/// [`from_rev`] within `limits`.
pub fn from_rev_with(
    repo: &Repository,
    rev: &str,
    subpath: Option<&str>,
    limits: &Limits,
) -> Result<RepoSnapshot, LoadError> {
    from_commit_with(repo, resolve_rev(repo, rev)?, subpath, limits)
}

/// Loads the config repository at `subpath` (default: the root) of `commit`'s tree,
/// reading blobs straight from the object database, within the default [`Limits`]. The
/// revision is the commit SHA.
pub fn from_commit(
    repo: &Repository,
    commit: Oid,
    subpath: Option<&str>,
) -> Result<RepoSnapshot, LoadError> {
    from_commit_with(repo, commit, subpath, &Limits::default())
}

/// [`from_commit`] within `limits`.
pub fn from_commit_with(
    repo: &Repository,
    commit: Oid,
    subpath: Option<&str>,
    limits: &Limits,
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
    let odb = repo.odb().map_err(git("the object database"))?;
    let mut walk = TreeWalk {
        repo,
        odb,
        revision: &revision,
        budget: Budget::new(limits, Some(revision.as_str())),
        blobs: HashMap::new(),
        out: Vec::new(),
    };
    walk.tree(&tree, "", 0)?;
    // Tree entries come in Git's order; the snapshot sorts, so both loaders agree.
    Ok(RepoSnapshot::new(Some(revision.clone()), walk.out))
}

struct TreeWalk<'r> {
    repo: &'r Repository,
    odb: git2::Odb<'r>,
    revision: &'r str,
    budget: Budget<'r>,
    /// Blobs read so far: a blob used by many paths is counted for each, but held once.
    blobs: HashMap<Oid, Arc<[u8]>>,
    out: Vec<(String, Arc<[u8]>)>,
}

impl TreeWalk<'_> {
    fn tree(&mut self, tree: &Tree<'_>, rel: &str, depth: u64) -> Result<(), LoadError> {
        for entry in tree.iter() {
            let Ok(name) = entry.name() else {
                let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                return Err(LoadError::NonUtf8Path {
                    path: PathBuf::from(rel).join(name),
                });
            };
            let child = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            let git = |source| LoadError::Git {
                what: child.clone(),
                revision: self.revision.to_owned(),
                source,
            };
            match entry.kind() {
                Some(ObjectType::Tree) if is_config_dir(&child) => {
                    self.budget.entry(&child, depth + 1)?;
                    let sub = self.repo.find_tree(entry.id()).map_err(git)?;
                    self.tree(&sub, &child, depth + 1)?;
                }
                Some(ObjectType::Blob) if depth > 0 || is_config_path(&child) => {
                    self.budget.entry(&child, depth)?;
                    if !matches!(entry.filemode(), MODE_LINK | MODE_GITLINK)
                        && is_config_path(&child)
                    {
                        let bytes = self.blob(entry.id(), &child)?;
                        self.out.push((child, bytes));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The blob's bytes, its size checked against the budget from the object header before
    /// anything is inflated.
    fn blob(&mut self, id: Oid, path: &str) -> Result<Arc<[u8]>, LoadError> {
        let git = |source| LoadError::Git {
            what: path.to_owned(),
            revision: self.revision.to_owned(),
            source,
        };
        if let Some(bytes) = self.blobs.get(&id) {
            self.budget.file(path, bytes.len() as u64)?;
            return Ok(bytes.clone());
        }
        let (size, _) = self.odb.read_header(id).map_err(git)?;
        self.budget.file(path, size as u64)?;
        let blob = self.repo.find_blob(id).map_err(git)?;
        let bytes: Arc<[u8]> = Arc::from(blob.content());
        self.blobs.insert(id, bytes.clone());
        Ok(bytes)
    }
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
