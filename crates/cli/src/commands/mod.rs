//! One module per command; each takes its parsed arguments and a writer for stdout, and
//! returns how it ended. Shared here: where the target is, and what it should hold.

use std::io::Write;
use std::path::PathBuf;

use crate::cli::{Cli, Command, TargetArgs};
use crate::error::{CliError, Exit};

mod diff;
mod history;
mod render;
mod report;
mod rollback;
mod status;
mod sync;
mod validate;
mod workstation;

pub fn run(cli: Cli, out: &mut dyn Write) -> Result<Exit, CliError> {
    let src = &cli.source;
    match cli.command {
        Command::Validate(a) => validate::run(src, &a, out),
        Command::Render(a) => render::run(src, &a, out),
        Command::Diff(a) => diff::run(src, &a, out),
        Command::Sync(a) => sync::run(src, &a, out),
        Command::Status(a) => status::run(src, &a, out),
        Command::Rollback(a) => rollback::run(&a, out),
        Command::History(a) => history::run(&a, out),
    }
}

/// `--target`, else `$HOME/.claude`.
pub fn target_dir(args: &TargetArgs) -> Result<PathBuf, CliError> {
    match &args.target {
        Some(t) => Ok(t.clone()),
        None => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".claude"))
            .ok_or(CliError::NoHome),
    }
}

/// Say so before a command undoes what an interrupted one left (taking the lock does it).
pub fn warn_if_interrupted(target: &std::path::Path, dry_run: bool) {
    if crate::sync::state::interrupted(target) {
        let what = if dry_run {
            "will be undone by the next sync or rollback"
        } else {
            "is undone first"
        };
        eprintln!(
            "warning: an interrupted sync or rollback was found in {}; it {what}",
            target.display()
        );
    }
}

/// A revision as people read it: 12 characters of the SHA, keeping a `-dirty` suffix.
pub fn short_rev(rev: Option<&str>) -> String {
    let Some(r) = rev else {
        return "(no revision)".to_string();
    };
    let (sha, dirty) = match r.strip_suffix("-dirty") {
        Some(clean) => (clean, "-dirty"),
        None => (r, ""),
    };
    format!("{}{dirty}", sha.chars().take(12).collect::<String>())
}

pub fn json_out(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(value).map_err(|e| CliError::Serialize(e.to_string()))?;
    writeln!(out, "{s}")?;
    Ok(())
}
