//! The workstation sync engine: a pure plan ([`plan`]), a transactional executor ([`txn`])
//! over an injectable file system ([`fs`]), the on-disk state ([`state`], [`backup`],
//! [`document`]) and the operations built from them ([`engine`]).

pub mod backup;
pub mod document;
pub mod engine;
pub mod fs;
pub mod journal;
pub mod lock;
pub mod plan;
pub mod state;
pub mod txn;
