//! `claude-env`, the command-line tool: validate, render, diff and sync Claude Code
//! environments from a layered config repository.
//!
//! Layout: [`cli`] is the command line, [`commands`] one module per command, [`sync`] the
//! workstation sync engine, [`repo`] / [`git_cache`] load the repository, [`environment`]
//! bridges to the config engine and renderer, [`explain`] formats provenance, [`cluster`]
//! reads and steers ClaudeEnvironments in a cluster, [`impact`] is the change-impact report of
//! `diff --base`, [`templates`] what `init` writes, [`style`] how output looks, [`follow`] a
//! workstation following a ClaudeEnvironment (`sync NAME`), [`doctor`] whether the synced MCP
//! servers answer.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

pub mod cli;
mod cluster;
mod commands;
pub mod doctor;
mod environment;
mod error;
mod explain;
mod follow;
mod git_cache;
pub mod hash;
mod impact;
mod repo;
mod style;
pub mod sync;
mod templates;
#[doc(hidden)]
pub mod testing;

pub use error::{CliError, Exit};

/// The whole program: parse, run, report. Never panics on bad input; every failure is an
/// exit code and a message.
pub fn main_exit_code() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap exits 2 on usage errors and 0 for --help/--version.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    // Escape codes reach a terminal only, and never with NO_COLOR (see `style`).
    let mut stdout = anstream::stdout().lock();
    let result = commands::run(cli, &mut stdout);
    let _ = stdout.flush();
    match result {
        Ok(exit) => exit.into(),
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            anstream::eprintln!("{}", style::paint(style::BAD, &e.report()));
            ExitCode::from(2)
        }
    }
}
