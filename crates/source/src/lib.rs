//! The IO edge for config sources: loading a [`claude_env_config::RepoSnapshot`] from a
//! directory or straight from a Git commit's tree.

pub mod auth;
pub mod git;
pub mod known_hosts;
pub mod load;
pub mod url;
pub mod verify;
pub mod webhook;

pub use load::{LoadError, from_commit, from_dir, from_rev, resolve_rev};
