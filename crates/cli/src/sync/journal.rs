//! The transaction journal: which steps a transaction staged, written (and fsynced) before
//! its first rename and deleted at its commit point. If a process dies in between, the
//! journal is still there and [`recover`] undoes the partial change from it, so even a
//! `kill -9` or a power cut mid-sync leaves the target as it was before.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::fs::Fs;
use super::step::{Step, TxnError, io_err, remove_dirs, sibling, undo_steps};

/// Paths relative to the transaction's root; temp and undo names follow from them.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Journal {
    steps: Vec<JournalStep>,
    created_dirs: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum JournalStep {
    /// `replaces`: the destination existed, and its copy is the undo file.
    Write {
        path: String,
        replaces: bool,
    },
    Delete {
        path: String,
    },
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

pub(super) fn encode(root: &Path, steps: &[Step], created_dirs: &[PathBuf]) -> Vec<u8> {
    let journal = Journal {
        steps: steps
            .iter()
            .map(|s| match s {
                Step::Write { dest, undo, .. } => JournalStep::Write {
                    path: rel(root, dest),
                    replaces: undo.is_some(),
                },
                Step::Delete { dest, .. } => JournalStep::Delete {
                    path: rel(root, dest),
                },
            })
            .collect(),
        created_dirs: created_dirs.iter().map(|d| rel(root, d)).collect(),
    };
    serde_json::to_vec_pretty(&journal).unwrap_or_default()
}

fn decode(root: &Path, bytes: &[u8]) -> Option<(Vec<Step>, Vec<PathBuf>)> {
    let j: Journal = serde_json::from_slice(bytes).ok()?;
    // Undoing renames and removes files: a journal naming anything outside the target is
    // not one we wrote.
    let paths = j.steps.iter().map(|s| match s {
        JournalStep::Write { path, .. } | JournalStep::Delete { path } => path,
    });
    if !paths
        .chain(&j.created_dirs)
        .all(|p| super::state::is_below(p))
    {
        return None;
    }
    let abs = |p: &str| super::state::join(root, p);
    let steps = j
        .steps
        .iter()
        .map(|s| match s {
            JournalStep::Write { path, replaces } => {
                let dest = abs(path);
                Step::Write {
                    tmp: sibling(&dest, "new"),
                    undo: replaces.then(|| sibling(&dest, "old")),
                    dest,
                }
            }
            JournalStep::Delete { path } => {
                let dest = abs(path);
                Step::Delete {
                    undo: sibling(&dest, "old"),
                    dest,
                }
            }
        })
        .collect();
    Some((steps, j.created_dirs.iter().map(|d| abs(d)).collect()))
}

#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error("{} is not a transaction journal; inspect the target and delete it", .0.display())]
    Unreadable(PathBuf),
    #[error(transparent)]
    Undo(#[from] TxnError),
}

/// Undo the transaction an interrupted process left behind, if any (call it holding the
/// lock). Returns whether there was one.
pub fn recover(fs: &dyn Fs, root: &Path, journal: &str) -> Result<bool, RecoverError> {
    let path = super::state::join(root, journal);
    let bytes = match fs.read(&path) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(false),
        Err(source) => return Err(io_err("read", &path)(source).into()),
    };
    let (steps, dirs) =
        decode(root, &bytes).ok_or_else(|| RecoverError::Unreadable(path.clone()))?;
    undo_steps(fs, &steps)?;
    fs.remove_file(&path).map_err(io_err("remove", &path))?;
    remove_dirs(fs, &dirs)?;
    let mut parents: Vec<&Path> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Write { dest, .. } | Step::Delete { dest, .. } => dest.parent(),
        })
        .collect();
    parents.push(root);
    parents.sort();
    parents.dedup();
    for d in parents.into_iter().filter(|d| d.exists()) {
        fs.sync_dir(d).map_err(io_err("fsync directory", d))?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::fs::RealFs;

    #[test]
    fn a_journal_naming_paths_outside_the_target_is_not_replayed() {
        // Found writing the fuzz/ sync_paths target (its property): recovering renamed
        // `../.victim.claude-env-old` over `../victim`, outside the target.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::create_dir_all(target.join(".claude-env")).unwrap();
        std::fs::write(dir.path().join("victim"), "mine").unwrap();
        std::fs::write(dir.path().join(".victim.claude-env-old"), "planted").unwrap();
        let journal = r#"{"steps": [{"op": "delete", "path": "../victim"}], "createdDirs": []}"#;
        std::fs::write(target.join(".claude-env/journal.json"), journal).unwrap();

        let err = recover(&RealFs, &target, crate::sync::state::JOURNAL).unwrap_err();
        assert!(matches!(err, RecoverError::Unreadable(_)), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("victim")).unwrap(),
            "mine"
        );
        for dirs in [r#"["../up"]"#, r#"["/abs"]"#] {
            let j = format!(r#"{{"steps": [], "createdDirs": {dirs}}}"#);
            assert!(decode(&target, j.as_bytes()).is_none(), "{dirs}");
        }
        let ok = r#"{"steps": [{"op": "write", "path": "commands/x.md", "replaces": false}], "createdDirs": ["commands"]}"#;
        assert!(decode(&target, ok.as_bytes()).is_some());
    }
}
