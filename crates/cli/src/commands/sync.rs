//! `claude-env sync`: write the rendered environment into a workstation target.

use std::io::Write;

use claude_env_config::Selection;

use super::workstation::desired;
use super::{report, short_rev, target_dir};
use crate::cli::{SourceArgs, SyncArgs};
use crate::error::{CliError, Exit};
use crate::sync::engine::{self, Options, Outcome};
use crate::sync::fs::RealFs;

pub fn run(src: &SourceArgs, args: &SyncArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let target = target_dir(args.target.target.as_deref())?;
    let selection = Selection::from(&args.selection);
    let want = desired(src, selection.clone(), &args.placement, &target)?;
    let opts = Options {
        force: args.force,
        dry_run: args.dry_run,
    };
    super::warn_if_interrupted(&target, args.dry_run);
    let outcome = engine::sync(
        &RealFs,
        &target,
        &want.files,
        &want.origin,
        opts,
        jiff::Timestamp::now(),
    )?;
    let done = format!(
        "synced {selection} @ {} into {}",
        short_rev(want.origin.revision.as_deref()),
        target.display()
    );
    let exit = report::outcome(out, &outcome, &target, &hints(src, args, &target), &done)?;
    if matches!(outcome, Outcome::Applied { .. } | Outcome::UpToDate(_))
        && !want.secret_vars.is_empty()
    {
        // Secrets never reach the workstation's files: Claude Code expands these from its
        // environment when it starts the MCP servers.
        writeln!(
            out,
            "note: mcp.json expects these variables in Claude Code's environment:"
        )?;
        for (var, secret) in &want.secret_vars {
            writeln!(out, "  {var}   (${{secret:{}}})", secret_display(secret))?;
        }
    }
    Ok(exit)
}

fn secret_display(s: &claude_env_render::SecretRef) -> String {
    format!("{}/{}", s.name, s.key)
}

/// `claude-env sync ...` and `claude-env diff ...` with this run's arguments.
fn hints(src: &SourceArgs, args: &SyncArgs, target: &std::path::Path) -> report::Hints {
    let mut common = String::new();
    for (flag, value) in [
        ("--repo", &src.repo),
        ("--path", &src.path),
        ("--branch", &src.branch),
        ("--rev", &src.rev),
    ] {
        if let Some(v) = value {
            common.push_str(&format!(" {flag} {v}"));
        }
    }
    let s = &args.selection;
    common.push_str(&format!(" --env {} --team {}", s.environment, s.team));
    if let Some(p) = &s.project {
        common.push_str(&format!(" --project {p}"));
    }
    common.push_str(&format!(" --target {}", target.display()));
    report::Hints {
        command: format!("claude-env sync{common}"),
        diff: Some(format!("claude-env diff{common}")),
    }
}
