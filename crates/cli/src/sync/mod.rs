//! The workstation sync engine: a pure plan ([`plan`]), a transactional executor ([`txn`])
//! over an injectable file system ([`fs`]), the on-disk state ([`state`], [`backup`],
//! [`document`]) and the operations built from them ([`engine`]), one at a time per target
//! ([`lock`]).
//!
//! Dependencies point one way: `engine` → `lock`, `backup`, `txn` → `journal` → `step`
//! (the staged steps both the transaction and its journal need) → `fs`; every module may use
//! `state` and `error`.

pub mod backup;
pub mod document;
pub mod engine;
mod error;
pub mod fs;
// Public for the fuzz target that replays damaged journals (fuzz/fuzz_targets/sync_paths.rs).
pub mod journal;
pub mod lock;
pub mod plan;
pub mod state;
mod step;
pub mod txn;

pub use error::SyncError;
