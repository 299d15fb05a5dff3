//! `claude-env`, the command-line tool: validate, render, diff and sync Claude Code
//! environments from a layered config repository.

pub mod hash;
pub mod sync;
#[doc(hidden)]
pub mod testing;
