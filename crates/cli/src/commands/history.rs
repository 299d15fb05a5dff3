//! `claude-env history`: the syncs and rollbacks of a target, oldest first.

use std::io::Write;

use super::{short_rev, structured_out, target_dir};
use crate::cli::HistoryArgs;
use crate::error::{CliError, Exit};
use crate::sync::state::{self, Operation};

pub(super) fn run(args: &HistoryArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let target = target_dir(args.target.as_deref())?;
    let entries = state::load_history(&target)?;
    if structured_out(out, args.output, &entries)? {
        return Ok(Exit::Ok);
    }
    if entries.is_empty() {
        writeln!(out, "no history in {}", target.display())?;
        return Ok(Exit::Ok);
    }
    writeln!(
        out,
        "{:<20} {:<8} {:<18} {:<28} {:<14} BACKUP (state before)",
        "TIME", "ACTION", "REVISION", "ENVIRONMENT", "CHANGES"
    )?;
    for e in &entries {
        let action = match e.action {
            Operation::Sync => "sync",
            Operation::Rollback => "rollback",
        };
        let (rev, sel) = match &e.origin {
            Some(o) => (short_rev(o.revision.as_deref()), o.selection()),
            None => ("-".to_string(), "(nothing synced)".to_string()),
        };
        let changes = format!("+{} ~{} -{}", e.created, e.updated, e.removed);
        let forced = if e.forced.is_empty() {
            String::new()
        } else {
            format!("  forced: {}", e.forced.join(", "))
        };
        writeln!(
            out,
            "{:<20} {action:<8} {rev:<18} {sel:<28} {changes:<14} {}{forced}",
            e.time, e.backup
        )?;
    }
    Ok(Exit::Ok)
}
