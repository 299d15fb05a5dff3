//! The cluster half of the commands (`crate::cluster` is the client library they use):
//! `status`, `history`, `rollback` and `diff` when the arguments select a cluster, a
//! workstation following an environment (`sync NAME`, [`follow`]), the fleet view
//! (`status --workstations`, [`workstations`]), and the
//! steering commands `reconcile`, `approve` ([`steer`]; `approve --security` in [`security`]), `suspend`, `resume`, `retry` and
//! `abort` ([`lifecycle`]), which share [`request`]. Each builds a single-threaded runtime,
//! connects, and reports through the same [`crate::Exit`] contract as the local commands.

pub(super) mod diff;
pub(super) mod follow;
pub(super) mod history;
pub(super) mod lifecycle;
mod request;
mod security;
pub(super) mod status;
pub(super) mod steer;
pub(super) mod workstations;
