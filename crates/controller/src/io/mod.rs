//! Effects on the cluster and on Git, each behind a small function the reconcile phases call:
//! server-side apply and prune (`apply`), status writes (`status_write`), Secrets the spec
//! references (`secrets`), Events (`events`), shared Git sources (`sources`), a revision's
//! objects (`revisions`), the risk of a revision's changes (`change_risk`), the rollout machine with its checks (`rollout_driver`, `checks`),
//! drift checks and remediation (`drift_check`), waking dependents (`dependents`), and the
//! workstation records (`workstations`); what follows a status write — the audit log
//! (`audit`) and notifications (`notify`), tied together in `announce` — and commit authors
//! for the approval policy (`author`).

pub(crate) mod announce;
pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod author;
pub(crate) mod change_risk;
pub(crate) mod checks;
pub(crate) mod dependents;
pub(crate) mod drift_check;
pub(crate) mod events;
pub(crate) mod notify;
pub(crate) mod revisions;
pub(crate) mod rollout_driver;
pub(crate) mod secrets;
pub(crate) mod sources;
pub(crate) mod status_write;
pub(crate) mod workstations;
