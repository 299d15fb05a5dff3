//! The risk of what a sync would change on a workstation: the merged document last synced
//! (kept in `state.json`) against the one about to be synced, classified by
//! `claude_env_risk`; and the question a sync asks before it applies a security change.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use claude_env_config::MergedDocument;
use claude_env_risk::{Report, display};
use serde::Serialize;

use crate::error::CliError;
use crate::sync::state;

/// What the report was measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Baseline {
    /// The document the last sync recorded.
    LastSync,
    /// Never synced: every setting is new.
    NeverSynced,
    /// Synced by a claude-env that kept no document: every setting counts as new.
    Unrecorded,
}

/// The risk of syncing `head` into `target`.
#[derive(Debug, Serialize)]
pub(super) struct Risk {
    pub baseline: Baseline,
    #[serde(flatten)]
    pub report: Report,
}

pub(super) fn assess(target: &Path, head: &MergedDocument) -> Result<Risk, CliError> {
    let (baseline, base) = match state::load_state(target)? {
        None => (Baseline::NeverSynced, MergedDocument::default()),
        Some(s) => match s.document {
            Some(d) => (Baseline::LastSync, d.to_merged()),
            None => (Baseline::Unrecorded, MergedDocument::default()),
        },
    };
    Ok(Risk {
        baseline,
        report: claude_env_risk::compare(&base, head),
    })
}

/// The changes, riskiest first, under a heading; nothing when there are none.
pub(super) fn print(out: &mut dyn Write, risk: &Risk) -> Result<(), CliError> {
    if risk.report.is_empty() {
        return Ok(());
    }
    let against = match risk.baseline {
        Baseline::LastSync => "since the last sync",
        Baseline::NeverSynced => "the target was never synced: every setting is new",
        Baseline::Unrecorded => {
            "the last sync recorded no document (an older claude-env): every setting counts as new"
        }
    };
    writeln!(
        out,
        "changes, riskiest first ({}; {against}):",
        display::summary(&risk.report)
    )?;
    for line in display::table(&risk.report.changes).lines() {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

/// Whether to apply security changes without `--yes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Answer {
    Yes,
    /// The user said no.
    Declined,
    /// Nobody to ask: stdin is not a terminal.
    Refused,
}

/// Asks on the terminal (stderr, then a line from stdin) whether to apply `n` security
/// changes; refuses when stdin is not a terminal.
pub(super) fn confirm(n: usize) -> Answer {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Answer::Refused;
    }
    let noun = if n == 1 { "change" } else { "changes" };
    eprint!("Apply {n} security {noun} (listed above)? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    match stdin.lock().read_line(&mut line) {
        Ok(_) if matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes") => Answer::Yes,
        _ => Answer::Declined,
    }
}

/// What a sync says when it applied nothing because nobody confirmed.
pub(super) fn not_confirmed(answer: Answer, n: usize, command: &str) -> String {
    let noun = if n == 1 { "change" } else { "changes" };
    match answer {
        Answer::Refused => format!(
            "refusing to apply {n} security {noun} without confirmation: stdin is not a terminal, \
             so there is nobody to ask; nothing was written.\nReview them above, then run `{command} --yes` to apply."
        ),
        _ => format!("not applied: {n} security {noun} declined; nothing was written."),
    }
}
