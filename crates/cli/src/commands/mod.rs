//! One module per command; each takes its parsed arguments and a writer for stdout, and
//! returns how it ended. Shared here: where the target is, and what it should hold.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{Cli, Command, ReportFormat};
use crate::error::{CliError, Exit};

mod completion;
mod diff;
mod doctor;
mod history;
mod impact;
mod in_cluster;
pub(crate) mod init;
mod render;
mod report;
mod risk;
mod rollback;
mod status;
mod sync;
mod validate;
mod version;
mod workstation;

pub(crate) fn run(cli: Cli, out: &mut dyn Write) -> Result<Exit, CliError> {
    let src = &cli.source;
    match cli.command {
        Command::Validate(a) => validate::run(src, &a, out),
        Command::Render(a) => render::run(src, &a, out),
        Command::Diff(a) => diff::run(src, &a, out),
        Command::Sync(a) if a.is_cluster() => in_cluster::follow::run(&a, out),
        Command::Sync(a) => sync::run(src, &a, out),
        Command::Doctor(a) => doctor::run(&a, out),
        Command::Status(a) if a.workstations => in_cluster::workstations::run(&a, out),
        Command::Status(a) if a.is_cluster() => in_cluster::status::run(&a, out),
        Command::Status(a) => status::run(src, &a, out),
        Command::Rollback(a) if a.is_cluster() => in_cluster::steer::rollback(&a, out),
        Command::Rollback(a) => rollback::run(&a, out),
        Command::History(a) if a.is_cluster() => in_cluster::history::run(&a, out),
        Command::History(a) => history::run(&a, out),
        Command::Reconcile(a) => in_cluster::steer::reconcile(&a, out),
        Command::Approve(a) => in_cluster::steer::approve(&a, out),
        Command::Suspend(a) => in_cluster::lifecycle::suspend(&a, true, out),
        Command::Resume(a) => in_cluster::lifecycle::suspend(&a, false, out),
        Command::Retry(a) => in_cluster::lifecycle::retry(&a, out),
        Command::Abort(a) => in_cluster::lifecycle::abort(&a, out),
        Command::Version(a) => version::run(&a, out),
        Command::Init(c) => init::run(src, c, out),
        Command::Completion(a) => completion::completion(&a, out),
        Command::Man(a) => completion::man(&a, out),
    }
}

/// `--target`, else `$HOME/.claude`.
pub(crate) fn target_dir(target: Option<&Path>) -> Result<PathBuf, CliError> {
    match target {
        Some(t) => Ok(t.to_path_buf()),
        None => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".claude"))
            .ok_or(CliError::NoHome),
    }
}

/// Say so before a command undoes what an interrupted one left (taking the lock does it).
pub(crate) fn warn_if_interrupted(target: &std::path::Path, dry_run: bool) {
    if crate::sync::state::interrupted(target) {
        let what = if dry_run {
            "will be undone by the next sync or rollback"
        } else {
            "is undone first"
        };
        crate::style::eprint_warning(&format!(
            "an interrupted sync or rollback was found in {}; it {what}",
            target.display()
        ));
    }
}

/// A revision as people read it: 12 characters of the SHA, keeping a `-dirty` suffix.
pub(crate) fn short_rev(rev: Option<&str>) -> String {
    let Some(r) = rev else {
        return "(no revision)".to_string();
    };
    let (sha, dirty) = match r.strip_suffix("-dirty") {
        Some(clean) => (clean, "-dirty"),
        None => (r, ""),
    };
    format!("{}{dirty}", claude_env_api::short_revision(sha))
}

pub(crate) fn json_out(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(value).map_err(|e| CliError::Serialize(e.to_string()))?;
    writeln!(out, "{s}")?;
    Ok(())
}

pub(crate) fn yaml_out(out: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), CliError> {
    let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
    let s = serde_saphyr::to_string_with_options(value, options)
        .map_err(|e| CliError::Serialize(e.to_string()))?;
    write!(out, "{s}")?;
    Ok(())
}

/// `-o json|yaml`: print `value` and return true; `-o human`: false (the caller prints).
pub(crate) fn structured_out(
    out: &mut dyn Write,
    format: ReportFormat,
    value: &impl serde::Serialize,
) -> Result<bool, CliError> {
    match format {
        ReportFormat::Human => Ok(false),
        ReportFormat::Json => json_out(out, value).map(|()| true),
        ReportFormat::Yaml => yaml_out(out, value).map(|()| true),
    }
}
