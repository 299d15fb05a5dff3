//! The controller's own decisions, as pure functions of plain values (no client, no IO),
//! each unit-tested on its own:
//! - what a spec asks for and whether the operator's policy allows it (`plan`, `tenancy`),
//!   and which Git source it follows (`branches`);
//! - which revision to run (`target`);
//! - which objects a rollout state calls for (`shape`), what the inventory records
//!   (`inventory`), and whose an object is (`ownership`);
//! - whether workloads are healthy (`health`), and what the rollout machine reads of them
//!   (`readiness`);
//! - whether dependencies let a revision through (`dependencies`), and where health checks
//!   may connect (`egress`), and whether a revision's security changes wait for a security
//!   approval (`security_gate`);
//! - drift as status shows it (`drift_status`), the history entries of a reconcile
//!   (`outcomes`), and the status users see (`status`);
//! - who asked for a steering action (`actors`), and what changed between two statuses,
//!   for the audit log and notifications (`changes`);
//! - the workstations following an environment (`workstations`);
//! - what the watch cache keeps of a ConfigMap (`slim_cache`), and which objects a shard
//!   labels and caches (`shard`).

pub(crate) mod actors;
pub(crate) mod branches;
pub(crate) mod changes;
pub(crate) mod dependencies;
pub(crate) mod drift_status;
pub(crate) mod egress;
pub(crate) mod health;
pub(crate) mod inventory;
pub(crate) mod outcomes;
pub(crate) mod ownership;
pub(crate) mod plan;
pub(crate) mod readiness;
pub(crate) mod security_gate;
pub(crate) mod shape;
pub(crate) mod shard;
pub(crate) mod slim_cache;
pub(crate) mod status;
pub(crate) mod target;
pub(crate) mod tenancy;
pub(crate) mod workstations;
