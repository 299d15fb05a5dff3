//! `claude-env rollback`: restore a target from one of its backups.

use std::io::Write;

use super::{report, short_rev, target_dir};
use crate::cli::RollbackArgs;
use crate::error::{CliError, Exit};
use crate::sync::engine::{self, Options};
use crate::sync::fs::RealFs;

pub fn run(args: &RollbackArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
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
