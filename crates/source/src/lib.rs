//! The IO edge for config sources: loading a [`claude_env_config::RepoSnapshot`] from a
//! directory or straight from a Git commit's tree.

pub mod auth;
pub mod deliveries;
pub mod git;
pub mod known_hosts;
pub mod load;
pub mod url;
pub mod verify;
pub mod webhook;

pub use load::{
    Limit, LimitExceeded, Limits, LoadError, from_commit, from_commit_with, from_dir,
    from_dir_with, from_rev, from_rev_with, resolve_rev,
};
