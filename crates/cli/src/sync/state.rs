//! What claude-env keeps in a target directory, below `<target>/.claude-env/`:
//!
//! ```text
//! state.json                 the last sync: revision, selection, repo, the sha256 of every
//!                            managed file as written (what drift is measured against) and
//!                            the merged document synced (what risk is measured against)
//! history.jsonl              one JSON line per sync or rollback
//! journal.json               only while a change commits, or after one was interrupted
//! backups/<id>/manifest.json the state before an operation: every file it could touch
//! backups/<id>/files/<path>  ... their bytes
//! backups/<id>/state.json    ... and the state.json of that time, if there was one
//! ```
//! Everything else in the target belongs to the user (or Claude Code) and is never touched.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::document::SyncedDocument;
use super::plan::Hashes;

/// Paths below the target, relative and `/`-separated (as transactions take them).
pub const DIR: &str = ".claude-env";
pub const STATE: &str = ".claude-env/state.json";
pub const HISTORY: &str = ".claude-env/history.jsonl";
pub const BACKUPS: &str = ".claude-env/backups";
/// The user layer (layer 5), merged last; the user's own file, never written by us.
pub const USER_LAYER: &str = "local-overrides.yaml";
/// Held while a command changes the target, so two syncs never interleave.
pub const LOCK: &str = ".claude-env.lock";
/// Exists only while a transaction is committing, or after one was interrupted.
pub const JOURNAL: &str = ".claude-env/journal.json";

/// Whether an interrupted sync or rollback awaits undoing (the next one does it).
pub fn interrupted(target: &Path) -> bool {
    join(target, JOURNAL).exists()
}

pub const STATE_VERSION: u32 = 1;

/// Which environment a target was synced from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The repository as given to `--repo` (directory or URL).
    pub repo: String,
    /// Config subdirectory inside the repository, if not its root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The branch followed (`--branch`); `None` for the remote's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// Commit SHA; `None` for a directory that is not a Git work tree.
    pub revision: Option<String>,
    pub environment: String,
    pub team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// `--instance` and `--namespace` when given: they shape mcp.json's in-cluster URLs, so
    /// `status` must render with the same ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Origin {
    /// `production/backend` or `production/backend/payments`.
    pub fn selection(&self) -> String {
        [
            Some(&self.environment),
            self.team.as_ref(),
            self.project.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("/")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedFile {
    pub sha256: String,
}

/// `state.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub version: u32,
    #[serde(flatten)]
    pub origin: Origin,
    /// RFC 3339.
    pub synced_at: String,
    pub files: BTreeMap<String, ManagedFile>,
    /// The merged document synced (what the next sync's risk report compares with). Absent
    /// in states written before claude-env kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<SyncedDocument>,
}

impl State {
    pub fn hashes(&self) -> Hashes {
        self.files
            .iter()
            .map(|(p, f)| (p.clone(), f.sha256.clone()))
            .collect()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Sync,
    Rollback,
}

/// One line of `history.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub time: String,
    pub action: Operation,
    /// The state the target is in afterwards.
    #[serde(flatten)]
    pub origin: Option<Origin>,
    /// The backup of the state before, which `rollback --to` accepts.
    pub backup: String,
    pub created: usize,
    pub updated: usize,
    pub removed: usize,
    /// Files whose local changes `--force` overwrote (they are in the backup).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forced: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a claude-env state file (delete it to start over)", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: state version {found} is newer than this claude-env understands ({STATE_VERSION})", path.display())]
    Version { path: PathBuf, found: u32 },
    #[error("{}: lists {file:?}, which is not a file below the target (delete the state file to start over)", path.display())]
    UnsafePath { path: PathBuf, file: String },
}

/// RFC 3339 in UTC to the second: what state.json, manifests and history record.
pub fn format_time(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Whether `path` is `/`-separated, relative and below the directory it is joined to:
/// only normal components (no `..`, `.`, root or drive), no backslash.
pub fn is_below(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)))
}

/// Whether `path` may name a managed file: below the target ([`is_below`]) and none of
/// claude-env's own files or the user layer. Rendered paths come from the repository and
/// the paths in state, journal and backup files from the target directory; neither is
/// trusted to stay inside the target.
pub fn is_safe_path(path: &str) -> bool {
    is_below(path) && !path.starts_with(DIR) && path != USER_LAYER && path != LOCK
}

/// `/`-separated relative path → path below `root`.
pub fn join(root: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(root.to_path_buf(), |p, c| p.join(c))
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StateError> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

pub fn parse_state(path: &Path, bytes: &[u8]) -> Result<State, StateError> {
    let state: State = serde_json::from_slice(bytes).map_err(|source| StateError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    if state.version > STATE_VERSION {
        return Err(StateError::Version {
            path: path.to_path_buf(),
            found: state.version,
        });
    }
    // The managed files are what a sync later deletes or overwrites.
    if let Some(file) = state.files.keys().find(|f| !is_safe_path(f)) {
        return Err(StateError::UnsafePath {
            path: path.to_path_buf(),
            file: file.clone(),
        });
    }
    Ok(state)
}

/// The target's state, `None` if it was never synced.
pub fn load_state(target: &Path) -> Result<Option<State>, StateError> {
    let path = join(target, STATE);
    read_optional(&path)?
        .map(|b| parse_state(&path, &b))
        .transpose()
}

/// The raw bytes of `history.jsonl` (appending keeps earlier lines byte-identical).
pub fn load_history_bytes(target: &Path) -> Result<Vec<u8>, StateError> {
    Ok(read_optional(&join(target, HISTORY))?.unwrap_or_default())
}

/// Every history entry, oldest first; lines that do not parse are skipped rather than
/// hiding the rest.
pub fn load_history(target: &Path) -> Result<Vec<HistoryEntry>, StateError> {
    let bytes = load_history_bytes(target)?;
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}

/// The on-disk sha256 of each of `paths` that exists as a file below `target`.
pub fn current_hashes<'a>(
    target: &Path,
    paths: impl IntoIterator<Item = &'a String>,
) -> Result<Hashes, StateError> {
    let mut out = Hashes::new();
    for rel in paths {
        let path = join(target, rel);
        if path.is_file()
            && let Some(bytes) = read_optional(&path)?
        {
            out.insert(rel.clone(), crate::hash::sha256_hex(&bytes));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_target_or_touch_our_files() {
        for ok in ["settings.json", "commands/review.md", "agents/a b.md"] {
            assert!(is_safe_path(ok), "{ok}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "commands/../../x",
            "./x",
            "a\\b",
            ".claude-env/state.json",
            "local-overrides.yaml",
            ".claude-env.lock",
        ] {
            assert!(!is_safe_path(bad), "{bad}");
        }
        assert!(is_below(".claude-env/state.json"));
        assert!(!is_below("../.bashrc") && !is_below("/x") && !is_below("a/../../b"));
    }

    #[test]
    fn a_state_file_listing_paths_outside_the_target_is_refused() {
        // Found writing the fuzz/ sync_paths target (its property): the next sync removed
        // the files the state listed and no longer rendered, wherever they were.
        for file in ["../../.bashrc", "/etc/hosts", ".claude-env/history.jsonl"] {
            let json = serde_json::json!({
                "version": 1, "repo": "r", "revision": null, "environment": "e",
                "team": null, "syncedAt": "2026-01-01T00:00:00Z",
                "files": {file: {"sha256": "00"}},
            });
            let err = parse_state(Path::new("s.json"), json.to_string().as_bytes()).unwrap_err();
            assert!(
                matches!(err, StateError::UnsafePath { .. }),
                "{file}: {err}"
            );
        }
    }
}
