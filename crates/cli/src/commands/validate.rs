//! `claude-env validate`: every problem in the repository, each with file:line:col and a
//! rule id; exit 1 if any is an error.

use std::io::Write;

use super::{short_rev, structured_out};
use crate::cli::{SourceArgs, ValidateArgs};
use crate::environment;
use crate::error::{CliError, Exit};
use crate::repo::LoadedRepo;
use crate::style;

pub(super) fn run(
    src: &SourceArgs,
    args: &ValidateArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let repo = LoadedRepo::load(src)?;
    let diagnostics = environment::validate(&repo);
    let exit = if diagnostics.has_errors() {
        Exit::Findings
    } else {
        Exit::Ok
    };
    if structured_out(out, args.output, &diagnostics.to_json())? {
        return Ok(exit);
    }
    for d in &diagnostics {
        writeln!(out, "{d}")?;
    }
    let (errors, warnings) = (diagnostics.errors().count(), diagnostics.warnings().count());
    let summary = format!(
        "{}: {} @ {}: {errors} error(s), {warnings} warning(s)",
        if errors > 0 { "invalid" } else { "ok" },
        repo.repo,
        short_rev(repo.revision.as_deref())
    );
    let summary = if errors > 0 {
        style::fail(&summary)
    } else {
        style::ok(&summary)
    };
    writeln!(out, "{summary}")?;
    Ok(exit)
}
