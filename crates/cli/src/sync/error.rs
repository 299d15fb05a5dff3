//! Why a sync or rollback failed: shared by the engine and the lock it takes.

use super::backup::BackupError;
use super::journal::RecoverError;
use super::state::StateError;
use super::step::TxnError;

/// A sync or rollback that could not finish; the target is as it was before (or the
/// message says how to restore it).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Backup(#[from] BackupError),
    #[error(transparent)]
    Txn(#[from] TxnError),
    #[error("cannot undo the interrupted operation found in the target")]
    Recover(#[from] RecoverError),
    #[error(
        "refusing to write {0:?}: rendered paths must stay inside the target and out of .claude-env"
    )]
    UnsafePath(String),
    #[error("cannot create the target directory {path}")]
    CreateTarget {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "another claude-env command{} is changing this target (it holds {path}); run this \
         one again when it has finished",
        holder.map(|p| format!(" (process {p})")).unwrap_or_default()
    )]
    Locked {
        path: String,
        /// The holder's process id, as it wrote it into the file.
        holder: Option<u32>,
    },
    #[error("cannot lock {path}")]
    Lock {
        path: String,
        #[source]
        source: std::io::Error,
    },
}
