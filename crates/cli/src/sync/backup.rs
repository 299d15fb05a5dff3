//! Backups: the target's managed files as they were before an operation, so any sync or
//! rollback can be undone byte for byte. A backup is written inside the same transaction as
//! the change it precedes: it exists exactly when that change happened.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::state::{self, BACKUPS, Operation, Origin};
use super::txn::{Change, Expect};
use crate::hash::sha256_hex;

/// `backups/<id>/manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub created_at: String,
    /// The operation this backup was taken before.
    pub before: Operation,
    /// What the target was synced from at the time; `None` if it never was.
    pub origin: Option<Origin>,
    /// Every path the operation could touch → sha256 of its content then, `None` if absent
    /// (restoring the backup deletes it).
    pub files: BTreeMap<String, Option<String>>,
}

impl Manifest {
    /// Whether restoring it stays inside the target: its id is one directory name and its
    /// files are paths a sync may manage ([`state::is_safe_path`]).
    pub fn is_safe(&self) -> bool {
        state::is_below(&self.id)
            && !self.id.contains('/')
            && self.files.keys().all(|p| state::is_safe_path(p))
    }
}

/// A backup read back for restoring.
#[derive(Clone, Debug)]
pub struct Backup {
    pub manifest: Manifest,
    /// The paths that existed, with their bytes.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The `state.json` of the time, verbatim.
    pub state: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no backups in {0}: nothing has been synced there yet")]
    None(String),
    #[error("no backup matches {0:?} (see `claude-env history`)")]
    NoMatch(String),
    #[error("backup {id} is damaged: {what}")]
    Damaged { id: String, what: String },
}

/// A new, unique backup id: `<UTC time>-<revision, 12 chars>` so that ids sort by time and
/// say what they hold.
pub fn new_id(now: jiff::Timestamp, revision: Option<&str>, existing: &[Manifest]) -> String {
    // "initial": the state before the first sync.
    let rev: String = revision.map_or("initial".into(), |r| {
        r.chars()
            .filter(char::is_ascii_alphanumeric)
            .take(12)
            .collect()
    });
    let base = format!(
        "{}{:03}Z-{rev}",
        now.strftime("%Y%m%dT%H%M%S."),
        now.subsec_millisecond()
    );
    let taken = |id: &str| existing.iter().any(|m| m.id == id);
    (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|id| !taken(id))
        .unwrap_or(base)
}

/// The transaction changes that write a backup. `files` maps each path the operation may
/// touch to its current bytes (`None` if absent).
pub fn changes(
    manifest: &Manifest,
    files: &BTreeMap<String, Option<Vec<u8>>>,
    state: Option<&[u8]>,
) -> Vec<Change> {
    let dir = format!("{BACKUPS}/{}", manifest.id);
    let write = |path: String, bytes: Vec<u8>| Change::Write {
        path,
        bytes,
        expect: Expect::Absent,
    };
    let mut out: Vec<Change> = files
        .iter()
        .filter_map(|(p, b)| Some(write(format!("{dir}/files/{p}"), b.clone()?)))
        .collect();
    if let Some(s) = state {
        out.push(write(format!("{dir}/state.json"), s.to_vec()));
    }
    let mut m = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    m.push(b'\n');
    // The manifest last: a backup directory with a manifest is complete.
    out.push(write(format!("{dir}/manifest.json"), m));
    out
}

/// Every backup of the target, oldest first.
pub fn list(target: &Path) -> Vec<Manifest> {
    let dir = state::join(target, BACKUPS);
    let mut out: Vec<Manifest> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("manifest.json")).ok())
        .filter_map(|b| serde_json::from_slice::<Manifest>(&b).ok())
        // A manifest naming paths outside the target was not written by us: never restore it.
        .filter(Manifest::is_safe)
        .collect();
    out.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    out
}

/// The newest backup, or the one named by `selector`: a backup id, or a revision (prefix of
/// at least 4 characters) whose newest backup is wanted.
pub fn select<'a>(
    target: &Path,
    backups: &'a [Manifest],
    selector: Option<&str>,
) -> Result<&'a Manifest, BackupError> {
    let newest = backups.last();
    let found = match selector {
        None => newest,
        Some(s) => backups.iter().rev().find(|m| {
            m.id == s
                || s.len() >= 4
                    && m.origin
                        .as_ref()
                        .and_then(|o| o.revision.as_deref())
                        .is_some_and(|r| r.starts_with(s))
        }),
    };
    match (found, selector, newest) {
        (Some(m), _, _) => Ok(m),
        (None, _, None) => Err(BackupError::None(target.display().to_string())),
        (None, s, Some(_)) => Err(BackupError::NoMatch(s.unwrap_or_default().to_string())),
    }
}

/// Read a backup's files and check them against its manifest.
pub fn load(target: &Path, manifest: &Manifest) -> Result<Backup, BackupError> {
    let dir = state::join(target, &format!("{BACKUPS}/{}", manifest.id));
    let damaged = |what: String| BackupError::Damaged {
        id: manifest.id.clone(),
        what,
    };
    let mut files = BTreeMap::new();
    for (path, sha) in &manifest.files {
        let Some(sha) = sha else { continue };
        let bytes = std::fs::read(state::join(&dir.join("files"), path))
            .map_err(|e| damaged(format!("{path}: {e}")))?;
        if sha256_hex(&bytes) != *sha {
            return Err(damaged(format!(
                "{path} does not match its recorded sha256"
            )));
        }
        files.insert(path.clone(), bytes);
    }
    let state = std::fs::read(dir.join("state.json")).ok();
    if state.is_none() && manifest.origin.is_some() {
        return Err(damaged("state.json is missing".into()));
    }
    Ok(Backup {
        manifest: manifest.clone(),
        files,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(id: &str, file: &str) -> Manifest {
        Manifest {
            id: id.into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            before: Operation::Sync,
            origin: None,
            files: [(file.to_owned(), None)].into_iter().collect(),
        }
    }

    #[test]
    fn manifests_naming_paths_outside_the_target_are_not_listed() {
        assert!(manifest("20260101-abc", "settings.json").is_safe());
        for (id, file) in [
            ("../../x", "settings.json"),
            ("a/b", "settings.json"),
            ("20260101-abc", "../../.bashrc"),
            ("20260101-abc", ".claude-env/state.json"),
        ] {
            assert!(!manifest(id, file).is_safe(), "{id} {file}");
        }
        let dir = tempfile::tempdir().unwrap();
        for (n, m) in [
            manifest("good", "settings.json"),
            manifest("evil", "../../.bashrc"),
        ]
        .iter()
        .enumerate()
        {
            let d = state::join(dir.path(), &format!("{BACKUPS}/b{n}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("manifest.json"), serde_json::to_vec(m).unwrap()).unwrap();
        }
        let ids: Vec<String> = list(dir.path()).into_iter().map(|m| m.id).collect();
        assert_eq!(ids, ["good"]);
    }
}
