//! The report for a terminal: per environment, the affected selections grouped by identical
//! changes, one line per change (`-` removed, `+` added, `~` modified), text diffs indented;
//! unchanged selections on one line; then head's validation findings.

use std::fmt::Write as _;

use super::model::{Action, Change, Counts, ImpactReport, Revision, Status, groups};

/// `abc123def456 (main)`.
pub(crate) fn revision(r: &Revision) -> String {
    match &r.commit {
        // A SHA given as the name says nothing more.
        Some(c) if c.starts_with(&r.name) => crate::commands::short_rev(Some(c)),
        Some(c) => format!("{} ({})", crate::commands::short_rev(Some(c)), r.name),
        None => r.name.clone(),
    }
}

/// `8 changed, 1 added, 28 unchanged` (zero counts left out, but never an empty string).
pub(crate) fn counts_line(c: &Counts) -> String {
    let parts: Vec<String> = [
        (c.changed, "changed"),
        (c.added, "added"),
        (c.removed, "removed"),
        (c.failed, "failing to render"),
        (c.unchanged, "unchanged"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

/// What changed about the subject: `: old → new`, ` (new)`, ` (was old)`.
pub(crate) fn detail(c: &Change) -> String {
    match (c.action, &c.before, &c.after) {
        (Action::Modified, Some(b), Some(a)) => format!(": {b} → {a}"),
        (Action::Added | Action::Modified, None, Some(a)) => format!(" ({a})"),
        (Action::Removed | Action::Modified, Some(b), None) => format!(" (was {b})"),
        _ => String::new(),
    }
}

/// `+3 -1` for a unified diff.
pub(crate) fn line_counts(diff: &str) -> String {
    let (mut add, mut del) = (0, 0);
    for l in diff.lines() {
        if l.starts_with('+') {
            add += 1;
        } else if l.starts_with('-') {
            del += 1;
        }
    }
    format!("+{add} -{del}")
}

pub(crate) fn render(report: &ImpactReport) -> String {
    let mut out = String::new();
    let c = report.counts();
    let _ = writeln!(
        out,
        "impact of {} → {} on {}",
        revision(&report.base),
        revision(&report.head),
        report.repo
    );
    let _ = writeln!(out, "{} selection(s): {}", c.selections, counts_line(&c));
    let mut quiet = Vec::new();
    for env in report.environments() {
        let sels: Vec<_> = report.in_environment(env).collect();
        let ec = Counts::of(sels.iter().copied());
        if ec.affected() == 0 {
            quiet.push(format!("{env} ({})", ec.selections));
            continue;
        }
        let _ = writeln!(
            out,
            "\n== {env}: {} of {} selection(s) affected ==",
            ec.affected(),
            ec.selections
        );
        for g in groups(sels.iter().copied()) {
            let _ = writeln!(
                out,
                "{} ({}): {}",
                g.names().join(", "),
                g.members.len(),
                g.status.label()
            );
            if let Some(note) = g.note() {
                let _ = writeln!(out, "  {note}");
            }
            for ch in g.changes() {
                change(&mut out, ch);
            }
        }
        let unchanged: Vec<&str> = sels
            .iter()
            .filter(|s| s.status == Status::Unchanged)
            .map(|s| s.name.as_str())
            .collect();
        if !unchanged.is_empty() {
            let _ = writeln!(
                out,
                "unchanged ({}): {}",
                unchanged.len(),
                unchanged.join(", ")
            );
        }
    }
    if !quiet.is_empty() {
        let _ = writeln!(out, "\nno change in: {}", quiet.join(", "));
    }
    findings(&mut out, report);
    out
}

fn change(out: &mut String, c: &Change) {
    let mut line = format!(
        "  {} {:<12} {}{}",
        c.action.symbol(),
        c.area.label(),
        c.subject,
        detail(c)
    );
    if let Some(n) = &c.note {
        line.push_str(&format!(" ({n})"));
    }
    if let Some(d) = &c.diff {
        line.push_str(&format!(" ({})", line_counts(d)));
    }
    let _ = writeln!(out, "{line}");
    if let Some(d) = &c.diff {
        for l in d.lines() {
            let _ = writeln!(out, "      {l}");
        }
    }
}

fn findings(out: &mut String, report: &ImpactReport) {
    let f = &report.findings;
    let (errors, warnings) = (f.errors().count(), f.warnings().count());
    let _ = writeln!(
        out,
        "\nvalidation of {}: {}, {errors} error(s), {warnings} warning(s)",
        report.head.name,
        if errors > 0 { "invalid" } else { "ok" }
    );
    for d in f {
        let _ = writeln!(out, "  {d}");
    }
}
