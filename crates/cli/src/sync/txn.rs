//! All-or-nothing application of a set of file changes below one directory.
//!
//! Three phases, so that a failure at any point leaves the directory exactly as it was:
//! 1. stage: check each path still holds what the caller planned against, write every new
//!    file to a temp file beside its destination (same directory, so the rename is atomic)
//!    and fsync it, read it back to verify it, and copy each file about to be replaced to an
//!    undo file beside it;
//! 2. commit: rename temp files over their destinations (deletions are renames to the undo
//!    name), in the caller's order, then fsync the directories;
//! 3. clean up the undo files.
//!
//! A failure while staging deletes what was staged. A failure while committing undoes the
//! renames already done in reverse order. Undoing is itself only renames and deletions, which
//! need no free space, so it works in the situation most likely to break a sync: a full disk.
//! A process killed part-way leaves the journal behind, and [`super::journal::recover`] undoes
//! the same way on the next run ([`super::step`] holds what both share).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::fs::{Fs, Kind};
pub use super::step::TxnError;
use super::step::{Step, io_err, remove_dirs, sibling, undo_steps};
use crate::hash::sha256_hex;

/// What the caller expects at a path when it planned the change; checked before anything is
/// committed, so a file edited meanwhile is never overwritten unseen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    Absent,
    Sha256(String),
    Anything,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `path` is relative to the transaction's root, `/`-separated.
    Write {
        path: String,
        bytes: Vec<u8>,
        expect: Expect,
    },
    Delete {
        path: String,
        expect: Expect,
    },
}

impl Change {
    fn path(&self) -> &str {
        match self {
            Change::Write { path, .. } | Change::Delete { path, .. } => path,
        }
    }

    fn expect(&self) -> &Expect {
        match self {
            Change::Write { expect, .. } | Change::Delete { expect, .. } => expect,
        }
    }
}

/// Apply `changes` below `root` atomically, journaling at `journal` (relative to `root`).
/// Returns warnings about leftovers that could not be cleaned up after a successful commit
/// (the change itself is complete then).
pub fn apply(
    fs: &dyn Fs,
    root: &Path,
    journal: &str,
    changes: &[Change],
) -> Result<Vec<String>, TxnError> {
    run(fs, root, journal, changes, None)
}

/// For tests: stage, journal and commit the first `renames` steps, then stop as if the
/// process had been killed — no undo, no cleanup.
#[doc(hidden)]
pub fn apply_then_die_after(
    fs: &dyn Fs,
    root: &Path,
    journal: &str,
    changes: &[Change],
    renames: usize,
) -> Result<Vec<String>, TxnError> {
    run(fs, root, journal, changes, Some(renames))
}

fn run(
    fs: &dyn Fs,
    root: &Path,
    journal: &str,
    changes: &[Change],
    die_after: Option<usize>,
) -> Result<Vec<String>, TxnError> {
    let mut txn = Txn {
        fs,
        root,
        steps: Vec::new(),
        staged_files: Vec::new(),
        created_dirs: Vec::new(),
    };
    let journal = super::state::join(root, journal);
    if let Err(e) = changes
        .iter()
        .try_for_each(|c| txn.stage(c))
        .and_then(|()| txn.write_journal(&journal))
    {
        return Err(with_undo(e, txn.undo()));
    }
    for i in 0..txn.steps.len() {
        if die_after == Some(i) {
            return Ok(vec![]);
        }
        if let Err(e) = txn.commit_step(i) {
            return Err(with_undo(e, txn.undo()));
        }
    }
    if die_after.is_some() {
        return Ok(vec![]);
    }
    // Deleting the journal is the commit point: until then a crash is undone on the next run.
    let committed = txn.sync_dirs().and_then(|()| {
        fs.remove_file(&journal)
            .map_err(io_err("remove", &journal))?;
        let dir = journal.parent().unwrap_or(root);
        fs.sync_dir(dir).map_err(io_err("fsync directory", dir))
    });
    if let Err(e) = committed {
        return Err(with_undo(e, txn.undo()));
    }
    Ok(txn.clean_up())
}

fn with_undo(cause: TxnError, undo: Result<(), TxnError>) -> TxnError {
    match undo {
        Ok(()) => cause,
        Err(undo) => TxnError::UndoFailed {
            cause: Box::new(cause),
            undo: Box::new(undo),
        },
    }
}

struct Txn<'a> {
    fs: &'a dyn Fs,
    root: &'a Path,
    steps: Vec<Step>,
    /// Temp and undo files written while staging (removed again on failure).
    staged_files: Vec<PathBuf>,
    /// Directories this transaction created, parents first.
    created_dirs: Vec<PathBuf>,
}

impl Txn<'_> {
    fn stage(&mut self, change: &Change) -> Result<(), TxnError> {
        let dest = change
            .path()
            .split('/')
            .fold(self.root.to_path_buf(), |p, c| p.join(c));
        let current = self.read_regular(&dest)?;
        let ok = match (change.expect(), &current) {
            (Expect::Anything, _) | (Expect::Absent, None) => true,
            (Expect::Sha256(want), Some(bytes)) => *want == sha256_hex(bytes),
            _ => false,
        };
        if !ok {
            return Err(TxnError::Changed {
                path: change.path().to_string(),
            });
        }
        match change {
            Change::Write { bytes, .. } => {
                self.ensure_parent(&dest)?;
                let tmp = sibling(&dest, "new");
                self.write_staged(&tmp, bytes, Some(&dest))?;
                if self.fs.read(&tmp).ok().flatten().as_deref() != Some(&bytes[..]) {
                    return Err(TxnError::Verify { path: tmp });
                }
                let undo = match &current {
                    Some(old) => {
                        let undo = sibling(&dest, "old");
                        self.write_staged(&undo, old, Some(&dest))?;
                        Some(undo)
                    }
                    None => None,
                };
                self.steps.push(Step::Write { dest, tmp, undo });
            }
            // Deleting what is not there is already done.
            Change::Delete { .. } if current.is_none() => {}
            Change::Delete { .. } => {
                let undo = sibling(&dest, "old");
                self.steps.push(Step::Delete { dest, undo });
            }
        }
        Ok(())
    }

    /// The file's bytes; refuses symlinks and directories, which a rename would replace.
    fn read_regular(&self, path: &Path) -> Result<Option<Vec<u8>>, TxnError> {
        match self.fs.kind(path).map_err(io_err("inspect", path))? {
            None => Ok(None),
            Some(Kind::File) => self.fs.read(path).map_err(io_err("read", path)),
            Some(other) => Err(TxnError::NotAFile {
                path: path.to_path_buf(),
                kind: match other {
                    Kind::Dir => "directory",
                    Kind::Symlink => "symlink",
                    _ => "special file",
                },
            }),
        }
    }

    fn write_staged(
        &mut self,
        path: &Path,
        bytes: &[u8],
        like: Option<&Path>,
    ) -> Result<(), TxnError> {
        // Recorded first: a failed write may still have created the file.
        self.staged_files.push(path.to_path_buf());
        self.fs
            .write_synced(path, bytes, like)
            .map_err(io_err("write", path))
    }

    fn ensure_parent(&mut self, dest: &Path) -> Result<(), TxnError> {
        let mut missing = Vec::new();
        let mut dir = dest.parent();
        while let Some(d) = dir {
            if d == self.root || self.fs.kind(d).map_err(io_err("inspect", d))?.is_some() {
                break;
            }
            missing.push(d.to_path_buf());
            dir = d.parent();
        }
        for d in missing.into_iter().rev() {
            self.fs
                .create_dir(&d)
                .map_err(io_err("create directory", &d))?;
            self.created_dirs.push(d);
        }
        Ok(())
    }

    fn commit_step(&self, i: usize) -> Result<(), TxnError> {
        match &self.steps[i] {
            Step::Write { dest, tmp, .. } => {
                self.fs.rename(tmp, dest).map_err(io_err("replace", dest))
            }
            Step::Delete { dest, undo } => {
                self.fs.rename(dest, undo).map_err(io_err("remove", dest))
            }
        }
    }

    /// Every directory a committed rename touched, and the root.
    fn touched_dirs(&self) -> BTreeSet<PathBuf> {
        let mut dirs: BTreeSet<PathBuf> = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Write { dest, .. } | Step::Delete { dest, .. } => dest.parent(),
            })
            .map(Path::to_path_buf)
            .collect();
        dirs.extend(
            self.created_dirs
                .iter()
                .filter_map(|d| d.parent())
                .map(Path::to_path_buf),
        );
        dirs.insert(self.root.to_path_buf());
        dirs
    }

    fn sync_dirs(&self) -> Result<(), TxnError> {
        self.touched_dirs()
            .iter()
            .try_for_each(|d| self.fs.sync_dir(d).map_err(io_err("fsync directory", d)))
    }

    fn write_journal(&mut self, journal: &Path) -> Result<(), TxnError> {
        self.ensure_parent(journal)?;
        let bytes = super::journal::encode(self.root, &self.steps, &self.created_dirs);
        self.write_staged(journal, &bytes, None)?;
        let dir = journal.parent().unwrap_or(self.root);
        self.fs
            .sync_dir(dir)
            .map_err(io_err("fsync directory", dir))
    }

    /// Undo whatever was committed, then delete everything staged (the journal too) and
    /// every directory created. Keeps going after an error, reporting the first.
    fn undo(&self) -> Result<(), TxnError> {
        let mut first_err = undo_steps(self.fs, &self.steps).err();
        let mut note = |r: Result<(), TxnError>| {
            if let Err(e) = r {
                first_err.get_or_insert(e);
            }
        };
        for f in &self.staged_files {
            if matches!(self.fs.kind(f), Ok(Some(_))) {
                note(self.fs.remove_file(f).map_err(io_err("remove", f)));
            }
        }
        note(remove_dirs(self.fs, &self.created_dirs));
        let _ = self.sync_dirs();
        first_err.map_or(Ok(()), Err)
    }

    fn clean_up(&self) -> Vec<String> {
        let warnings = self
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Write { undo: Some(u), .. } | Step::Delete { undo: u, .. } => Some(u),
                Step::Write { undo: None, .. } => None,
            })
            .filter_map(|u| {
                let e = self.fs.remove_file(u).err()?;
                Some(format!("cannot remove {}: {e}", u.display()))
            })
            .collect();
        // Directories emptied by deletions go too (a removed last command takes
        // `commands/` with it), so a rollback restores the tree, not just the files.
        for step in &self.steps {
            if let Step::Delete { dest, .. } = step {
                let mut dir = dest.parent();
                while let Some(d) = dir.filter(|d| *d != self.root && d.starts_with(self.root)) {
                    if self.fs.remove_dir(d).is_err() {
                        break;
                    }
                    dir = d.parent();
                }
            }
        }
        warnings
    }
}

#[cfg(test)]
#[path = "txn_tests.rs"]
mod tests;
