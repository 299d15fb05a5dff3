//! `claude-env sync`: write the rendered environment into a workstation target.

use std::io::Write;

use claude_env_config::Selection;
use claude_env_risk::Class;
use serde::Serialize;

use super::risk::{self, Answer, Risk};
use super::workstation::desired;
use super::{report, short_rev, structured_out, target_dir};
use crate::cli::{ReportFormat, SourceArgs, SyncArgs};
use crate::error::{CliError, Exit};
use crate::sync::document::SyncedDocument;
use crate::sync::engine::{self, Options, Outcome};
use crate::sync::fs::RealFs;
use crate::sync::plan::{Conflict, Step};

pub(super) fn run(
    src: &SourceArgs,
    args: &SyncArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let target = target_dir(args.target.target.as_deref())?;
    let selection = Selection::from(&args.selection);
    let want = desired(src, selection.clone(), &args.placement, &target)?;
    let risk = risk::assess(&target, &want.merged)?;
    let document = SyncedDocument::from(&want.merged);
    let opts = Options {
        force: args.force,
        dry_run: args.dry_run,
    };
    super::warn_if_interrupted(&target, args.dry_run);
    let hints = hints(src, args, &target);
    let human = args.output == ReportFormat::Human;
    let sync = |opts| {
        let now = jiff::Timestamp::now();
        engine::sync(
            &RealFs,
            &target,
            &want.files,
            &want.origin,
            Some(&document),
            opts,
            now,
        )
    };
    // Security changes are applied only when someone said yes: `--yes`, or the answer on
    // the terminal. Asked only when files would change (a blocked or up-to-date sync
    // applies nothing anyway).
    let mut shown = false;
    if risk.report.has_security() && !args.yes && !args.dry_run {
        let preview = sync(Options {
            dry_run: true,
            ..opts
        })?;
        if writes_files(&preview) {
            let asked = Asked {
                args,
                target: &target,
                origin: &want.origin,
                risk: &risk,
                preview: &preview,
            };
            match asked.consent(out, &hints.command)? {
                None => shown = human,
                Some(exit) => return Ok(exit),
            }
        }
    }
    let outcome = sync(opts)?;
    if !human {
        let r = SyncReport::new(&target, &want.origin, result(&outcome), &outcome, &risk);
        structured_out(out, args.output, &r)?;
        return Ok(match outcome {
            Outcome::Blocked(_) => Exit::Findings,
            _ => Exit::Ok,
        });
    }
    if !shown && writes_files(&outcome) {
        risk::print(out, &risk)?;
    }
    let done = format!(
        "synced {selection} @ {} into {}",
        short_rev(want.origin.revision.as_deref()),
        target.display()
    );
    let exit = report::outcome(out, &outcome, &target, &hints, &done)?;
    if matches!(outcome, Outcome::Applied { .. } | Outcome::UpToDate(_)) {
        secret_note(out, &want.secret_vars)?;
    }
    Ok(exit)
}

/// Secrets never reach the workstation's files: Claude Code expands these from its
/// environment when it starts the MCP servers.
fn secret_note(
    out: &mut dyn Write,
    vars: &std::collections::BTreeMap<String, claude_env_render::SecretRef>,
) -> Result<(), CliError> {
    if vars.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "note: mcp.json expects these variables in Claude Code's environment:"
    )?;
    for (var, secret) in vars {
        writeln!(out, "  {var}   (${{secret:{}}})", secret_display(secret))?;
    }
    Ok(())
}

/// A sync about to apply security changes, and what it would do.
struct Asked<'a> {
    args: &'a SyncArgs,
    target: &'a std::path::Path,
    origin: &'a crate::sync::state::Origin,
    risk: &'a Risk,
    preview: &'a Outcome,
}

impl Asked<'_> {
    /// Lists the changes (human output) and asks. `None`: go on; `Some(exit)`: stop, the
    /// refusal printed.
    fn consent(&self, out: &mut dyn Write, command: &str) -> Result<Option<Exit>, CliError> {
        let human = self.args.output == ReportFormat::Human;
        if human {
            risk::print(out, self.risk)?;
            out.flush()?;
        }
        let security = self.risk.report.of_class(Class::Security).count();
        let answer = risk::confirm(security);
        if answer == Answer::Yes {
            return Ok(None);
        }
        let msg = risk::not_confirmed(answer, security, command);
        if human {
            writeln!(out, "{msg}")?;
        } else {
            eprintln!("{msg}");
            let result = match answer {
                Answer::Refused => "refused",
                _ => "declined",
            };
            let r = SyncReport::new(self.target, self.origin, result, self.preview, self.risk);
            structured_out(out, self.args.output, &r)?;
        }
        Ok(Some(Exit::Findings))
    }
}

/// Whether the outcome changes (or would change) a file in the target.
fn writes_files(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::DryRun(plan) | Outcome::Applied { plan, .. } => plan.writes().next().is_some(),
        Outcome::UpToDate(_) | Outcome::Blocked(_) => false,
    }
}

fn result(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::UpToDate(_) => "up-to-date",
        Outcome::Blocked(_) => "blocked",
        Outcome::DryRun(_) => "dry-run",
        Outcome::Applied { .. } => "applied",
    }
}

/// `sync -o json|yaml`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SyncReport<'a> {
    target: String,
    selection: String,
    revision: Option<&'a str>,
    /// `applied`, `dry-run`, `up-to-date`, `blocked`, or without `--yes`: `declined`,
    /// `refused` (nothing written).
    result: &'static str,
    /// The backup of the state before (`applied` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    backup: Option<&'a str>,
    /// The files written, or that would be.
    steps: Vec<&'a Step>,
    conflicts: Vec<ConflictItem<'a>>,
    #[serde(flatten)]
    risk: &'a Risk,
}

#[derive(Serialize)]
struct ConflictItem<'a> {
    path: &'a str,
    conflict: Conflict,
}

impl<'a> SyncReport<'a> {
    fn new(
        target: &std::path::Path,
        origin: &'a crate::sync::state::Origin,
        result: &'static str,
        outcome: &'a Outcome,
        risk: &'a Risk,
    ) -> Self {
        let (plan, backup) = match outcome {
            Outcome::UpToDate(p) | Outcome::Blocked(p) | Outcome::DryRun(p) => (p, None),
            Outcome::Applied { plan, backup, .. } => (plan, Some(backup.as_str())),
        };
        SyncReport {
            target: target.display().to_string(),
            selection: origin.selection(),
            revision: origin.revision.as_deref(),
            result,
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
            risk,
        }
    }
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
    for (flag, value) in [("--env", &s.environment), ("--team", &s.team)] {
        if let Some(v) = value {
            common.push_str(&format!(" {flag} {v}"));
        }
    }
    if let Some(p) = &s.project {
        common.push_str(&format!(" --project {p}"));
    }
    common.push_str(&format!(" --target {}", target.display()));
    report::Hints {
        command: format!("claude-env sync{common}"),
        diff: Some(format!("claude-env diff{common}")),
    }
}
