//! How sync and rollback describe a plan and its outcome.

use std::io::Write;
use std::path::Path;

use crate::error::{CliError, Exit};
use crate::style;
use crate::sync::engine::Outcome;
use crate::sync::plan::{Action, Plan};

/// `  create  commands/review.md` for every step that changes a file.
pub(super) fn steps(out: &mut dyn Write, plan: &Plan) -> Result<(), CliError> {
    for s in plan.writes() {
        let verb = match s.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Remove => "remove",
            Action::Keep | Action::Forget => continue,
        };
        match s.forced {
            Some(c) => writeln!(out, "  {verb:<7} {}   (was {c}; backed up)", s.path)?,
            None => writeln!(out, "  {verb:<7} {}", s.path)?,
        }
    }
    Ok(())
}

/// Local changes block the operation: list them and say how to proceed.
pub(super) fn blocked(
    out: &mut dyn Write,
    plan: &Plan,
    target: &Path,
    hints: &Hints,
) -> Result<Exit, CliError> {
    writeln!(
        out,
        "{}",
        style::fail(&format!(
            "local changes in {} would be lost; nothing was written:",
            target.display()
        ))
    )?;
    for (path, why) in &plan.conflicts {
        writeln!(out, "  {path}: {why}")?;
    }
    writeln!(
        out,
        "\nTo keep a change for good, put it in {}/local-overrides.yaml (merged last on every sync).",
        target.display()
    )?;
    if let Some(diff) = &hints.diff {
        writeln!(out, "To see the differences:  {diff}")?;
    }
    writeln!(
        out,
        "To overwrite them (backed up first, restorable with `claude-env rollback`):  {} --force",
        hints.command
    )?;
    Ok(Exit::Findings)
}

pub(super) fn counts(plan: &Plan) -> String {
    let n = |a: Action| plan.writes().filter(|s| s.action == a).count();
    format!(
        "{} created, {} updated, {} removed",
        n(Action::Create),
        n(Action::Update),
        n(Action::Remove)
    )
}

/// The commands to suggest when local changes block an operation.
pub(super) struct Hints {
    /// The command as run, to repeat with `--force`.
    pub command: String,
    pub diff: Option<String>,
}

/// Print an outcome; `done` describes a successful change.
pub(super) fn outcome(
    out: &mut dyn Write,
    outcome: &Outcome,
    target: &Path,
    hints: &Hints,
    done: &str,
) -> Result<Exit, CliError> {
    match outcome {
        Outcome::UpToDate(_) => {
            writeln!(
                out,
                "{}",
                style::ok(&format!("{} is up to date", target.display()))
            )?;
            Ok(Exit::Ok)
        }
        Outcome::Blocked(plan) => blocked(out, plan, target, hints),
        Outcome::DryRun(plan) => {
            writeln!(out, "would change {} ({}):", target.display(), counts(plan))?;
            steps(out, plan)?;
            Ok(Exit::Ok)
        }
        Outcome::Applied {
            plan,
            backup,
            warnings,
        } => {
            steps(out, plan)?;
            writeln!(out, "{}", style::ok(&format!("{done}: {}", counts(plan))))?;
            writeln!(
                out,
                "the state before is backup {backup} (undo: claude-env rollback)"
            )?;
            for w in warnings {
                style::eprint_warning(w);
            }
            Ok(Exit::Ok)
        }
    }
}
