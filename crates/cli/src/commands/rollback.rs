//! `claude-env rollback`: restore a target from one of its backups.

use std::io::Write;

use serde::Serialize;

use super::{report, short_rev, structured_out, target_dir};
use crate::cli::{ReportFormat, RollbackArgs};
use crate::error::{CliError, Exit};
use crate::sync::engine::{self, Options, Outcome};
use crate::sync::fs::RealFs;
use crate::sync::plan::{Conflict, Step};
use crate::sync::state::Origin;

pub(super) fn run(args: &RollbackArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let target = target_dir(args.target.as_deref())?;
    let opts = Options {
        force: args.force,
        dry_run: args.dry_run,
    };
    super::warn_if_interrupted(&target, args.dry_run);
    let (outcome, restored) = engine::rollback(
        &RealFs,
        &target,
        args.to.as_deref(),
        opts,
        jiff::Timestamp::now(),
    )?;
    if args.output != ReportFormat::Human {
        let r = RollbackReport::new(&target, &restored.id, restored.origin.as_ref(), &outcome);
        structured_out(out, args.output, &r)?;
        return Ok(match outcome {
            Outcome::Blocked(_) => Exit::Findings,
            _ => Exit::Ok,
        });
    }
    let what = match &restored.origin {
        Some(o) => format!("{} @ {}", o.selection(), short_rev(o.revision.as_deref())),
        None => "the state before the first sync".to_string(),
    };
    let done = format!(
        "rolled {} back to {what} from backup {}",
        target.display(),
        restored.id
    );
    let mut command = format!("claude-env rollback --target {}", target.display());
    if let Some(to) = &args.to {
        command.push_str(&format!(" --to {to}"));
    }
    let hints = report::Hints {
        command,
        diff: None,
    };
    report::outcome(out, &outcome, &target, &hints, &done)
}

/// `rollback -o json|yaml` (local).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RollbackReport<'a> {
    target: String,
    /// `applied`, `dry-run`, `up-to-date` or `blocked`.
    result: &'static str,
    /// The backup restored.
    restored: &'a str,
    /// What the target was synced from at the time of that backup (`None`: never synced).
    origin: Option<&'a Origin>,
    /// The backup of the state before this rollback (`applied` only: a rollback is undone
    /// by rolling back to it).
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<&'a str>,
    /// The files written, or that would be.
    steps: Vec<&'a Step>,
    conflicts: Vec<ConflictItem<'a>>,
}

#[derive(Serialize)]
struct ConflictItem<'a> {
    path: &'a str,
    conflict: Conflict,
}

impl<'a> RollbackReport<'a> {
    fn new(
        target: &std::path::Path,
        restored: &'a str,
        origin: Option<&'a Origin>,
        outcome: &'a Outcome,
    ) -> Self {
        let (result, plan, backup) = match outcome {
            Outcome::UpToDate(p) => ("up-to-date", p, None),
            Outcome::Blocked(p) => ("blocked", p, None),
            Outcome::DryRun(p) => ("dry-run", p, None),
            Outcome::Applied { plan, backup, .. } => ("applied", plan, Some(backup.as_str())),
        };
        RollbackReport {
            target: target.display().to_string(),
            result,
            restored,
            origin,
            backup,
            steps: plan.writes().collect(),
            conflicts: plan
                .conflicts
                .iter()
                .map(|(path, conflict)| ConflictItem {
                    path,
                    conflict: *conflict,
                })
                .collect(),
        }
    }
}
