//! `claude-env completion SHELL` and the hidden `claude-env man DIR`: both generated from the
//! clap definitions, so they never fall behind the commands.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionArgs, ManArgs};
use crate::error::{CliError, Exit};

const BIN: &str = "claude-env";

pub(super) fn completion(args: &CompletionArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, BIN, out);
    Ok(Exit::Ok)
}

/// One page per command: `claude-env.1`, `claude-env-init-repo.1`, ... (not for hidden ones).
pub(super) fn man(args: &ManArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    std::fs::create_dir_all(&args.dir)?;
    clap_mangen::generate_to(Cli::command(), &args.dir)?;
    let mut pages: Vec<_> = std::fs::read_dir(&args.dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "1"))
        .collect();
    pages.sort();
    for p in pages {
        writeln!(out, "{}", p.display())?;
    }
    Ok(Exit::Ok)
}
