//! The steps a transaction stages, and how to undo them: shared by [`super::txn`] (which
//! stages and commits them) and [`super::journal`] (which records them, and undoes them
//! after a crash).

use std::io;
use std::path::{Path, PathBuf};

use super::fs::Fs;

#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    #[error("cannot {op} {}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} changed while this command ran; nothing was changed, run it again")]
    Changed { path: String },
    #[error("{} is a {kind}, not a regular file; replacing it would break it", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{} does not read back as written (disk full or failing?)", path.display())]
    Verify { path: PathBuf },
    #[error(
        "{cause}; undoing the partial change also failed ({undo}): the target may be \
         inconsistent, restore it with `claude-env rollback`"
    )]
    UndoFailed {
        cause: Box<TxnError>,
        undo: Box<TxnError>,
    },
}

pub(super) fn io_err<'a>(
    op: &'static str,
    path: &'a Path,
) -> impl FnOnce(io::Error) -> TxnError + 'a {
    move |source| TxnError::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// One staged change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// `tmp` holds the new content; `undo` a copy of the replaced file, if there was one.
    Write {
        dest: PathBuf,
        tmp: PathBuf,
        undo: Option<PathBuf>,
    },
    /// Committing renames `dest` to `undo`.
    Delete { dest: PathBuf, undo: PathBuf },
}

/// `dir/.name.claude-env-<what>`: hidden, beside the destination, recognisably ours.
pub(super) fn sibling(dest: &Path, what: &str) -> PathBuf {
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    dest.with_file_name(format!(".{name}.claude-env-{what}"))
}

fn exists(fs: &dyn Fs, path: &Path) -> bool {
    matches!(fs.kind(path), Ok(Some(_)))
}

/// Undo staged steps, newest first, judging from what is on disk whether each was committed,
/// so it is right after an error in this process and after a crash alike, and running it
/// twice is harmless. A staged temp file still present means its rename never happened.
pub(super) fn undo_steps(fs: &dyn Fs, steps: &[Step]) -> Result<(), TxnError> {
    let mut first_err = None;
    for step in steps.iter().rev() {
        let r = match step {
            Step::Write { tmp, undo, .. } if exists(fs, tmp) => {
                // Not committed: drop the staged files, the destination is untouched.
                let undo = undo.as_ref().filter(|u| exists(fs, u));
                std::iter::once(tmp)
                    .chain(undo)
                    .try_for_each(|f| fs.remove_file(f).map_err(io_err("remove", f)))
            }
            Step::Write {
                dest,
                undo: Some(undo),
                ..
            }
            | Step::Delete { dest, undo } => {
                if exists(fs, undo) {
                    fs.rename(undo, dest).map_err(io_err("restore", dest))
                } else {
                    Ok(())
                }
            }
            Step::Write {
                dest, undo: None, ..
            } if exists(fs, dest) => fs.remove_file(dest).map_err(io_err("remove", dest)),
            Step::Write { undo: None, .. } => Ok(()),
        };
        if let Err(e) = r {
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

/// Remove directories a transaction created, deepest first.
pub(super) fn remove_dirs(fs: &dyn Fs, created: &[PathBuf]) -> Result<(), TxnError> {
    created.iter().rev().try_for_each(|d| {
        if exists(fs, d) {
            fs.remove_dir(d).map_err(io_err("remove directory", d))
        } else {
            Ok(())
        }
    })
}
