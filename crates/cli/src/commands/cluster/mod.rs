//! The cluster half of the commands: `status`, `history`, `rollback` and `diff` when the
//! arguments select a cluster, and `reconcile` and `approve`. Each builds a single-threaded
//! runtime, connects, and reports through the same [`crate::Exit`] contract as the local
//! commands.

pub mod diff;
pub mod follow;
pub mod history;
pub mod status;
pub mod steer;
pub mod workstations;
