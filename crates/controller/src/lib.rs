//! `claude-env-controller`: keeps every ClaudeEnvironment equal to what its Git branch says.
//!
//! IO lives here (kube client, Git cache, HTTP); decisions are pure functions in this crate
//! (`plan`, `target`, `status`, `health`, `depends`, `inventory`) and in the domain crates
//! (config, render, drift).

pub mod apply;
pub mod args;
pub mod checks;
pub mod conditions;
pub mod context;
pub mod depends;
pub mod drift;
pub mod error;
pub mod events;
pub mod health;
pub mod http;
pub mod inventory;
pub mod leader;
pub mod metrics;
pub mod objects;
pub mod plan;
pub mod reconcile;
pub mod render;
pub mod rollout;
pub mod run;
pub mod secrets;
pub mod shape;
pub mod sources;
pub mod status;
pub mod status_io;
pub mod sync;
pub mod target;
pub mod webhook;
