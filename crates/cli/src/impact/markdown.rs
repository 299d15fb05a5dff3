//! The report as a pull-request comment: a summary table first, head's validation, then one
//! collapsed `<details>` section per environment with an affected selection (selections
//! with identical changes share one table; text diffs in nested sections). Capped at a size
//! (GitHub refuses comments over 65,536 characters): sections that do not fit lose their
//! diffs, then are left out, and a note says so.

use std::fmt::Write as _;

use super::model::{Change, Counts, Group, ImpactReport, Status, groups};
use super::text::{counts_line, line_counts, revision};

/// Room kept for the note about what was cut and the closing line.
const RESERVE: usize = 1024;
/// Rows of one change table; the rest is counted.
const MAX_ROWS: usize = 100;
const MAX_ROWS_COMPACT: usize = 25;
/// Findings listed; the rest is counted.
const MAX_FINDINGS: usize = 50;

/// `max_bytes`: the size not to exceed. `rerun`: the command that prints it all (named in
/// the note when something is cut).
pub(crate) fn render(report: &ImpactReport, max_bytes: usize, rerun: &str) -> String {
    let mut out = head(report);
    let mut quiet = Vec::new();
    let (mut compacted, mut omitted) = (Vec::new(), Vec::new());
    for env in report.environments() {
        let sels: Vec<_> = report.in_environment(env).collect();
        let c = Counts::of(sels.iter().copied());
        if c.affected() == 0 {
            quiet.push(format!("{} ({} selection(s))", code(env), c.selections));
            continue;
        }
        let full = section(env, &sels, &c, true);
        if out.len() + full.len() + RESERVE <= max_bytes {
            out.push_str(&full);
            continue;
        }
        let compact = section(env, &sels, &c, false);
        if out.len() + compact.len() + RESERVE <= max_bytes {
            out.push_str(&compact);
            compacted.push(code(env));
        } else {
            omitted.push(code(env));
        }
    }
    if !quiet.is_empty() {
        let _ = writeln!(out, "No change in {}.\n", quiet.join(", "));
    }
    if !compacted.is_empty() || !omitted.is_empty() {
        let mut note = format!("> [!NOTE]\n> This report was cut to stay under {max_bytes} bytes:");
        if !compacted.is_empty() {
            let _ = write!(note, " diffs left out for {};", compacted.join(", "));
        }
        if !omitted.is_empty() {
            let _ = write!(note, " sections left out for {};", omitted.join(", "));
        }
        let _ = writeln!(note, " run {} for all of it.\n", code(rerun));
        out.push_str(&note);
    }
    out
}

fn head(report: &ImpactReport) -> String {
    let c = report.counts();
    let mut out = String::new();
    let _ = writeln!(out, "## claude-env change impact\n");
    let _ = writeln!(
        out,
        "{} → {}: {} selection(s), {}.\n",
        code(&revision(&report.base)),
        code(&revision(&report.head)),
        c.selections,
        counts_line(&c)
    );
    let _ = writeln!(
        out,
        "| environment | selections | changed | added | removed | failing | unchanged |\n\
         |---|--:|--:|--:|--:|--:|--:|"
    );
    for env in report.environments() {
        let e = Counts::of(report.in_environment(env));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code(env),
            e.selections,
            e.changed,
            e.added,
            e.removed,
            e.failed,
            e.unchanged
        );
    }
    out.push('\n');
    findings(&mut out, report);
    out
}

fn findings(out: &mut String, report: &ImpactReport) {
    let f = &report.findings;
    let (errors, warnings) = (f.errors().count(), f.warnings().count());
    let verdict = if errors > 0 {
        "❌ invalid"
    } else {
        "✅ valid"
    };
    let _ = writeln!(
        out,
        "**Validation of {}:** {verdict}: {errors} error(s), {warnings} warning(s).\n",
        code(&report.head.name)
    );
    if f.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Validation findings ({})</summary>\n",
        f.len()
    );
    let listed: Vec<String> = f
        .iter()
        .take(MAX_FINDINGS)
        .map(ToString::to_string)
        .collect();
    fenced(out, "text", &listed.join("\n"));
    if f.len() > MAX_FINDINGS {
        let _ = writeln!(out, "… and {} more.\n", f.len() - MAX_FINDINGS);
    }
    let _ = writeln!(out, "</details>\n");
}

fn section(env: &str, sels: &[&super::model::SelectionImpact], c: &Counts, diffs: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<details><summary><b>{}</b>: {} of {} selection(s) affected</summary>\n",
        html(env),
        c.affected(),
        c.selections
    );
    for g in groups(sels.iter().copied()) {
        group(&mut out, &g, diffs);
    }
    let unchanged: Vec<String> = sels
        .iter()
        .filter(|s| s.status == Status::Unchanged)
        .map(|s| code(&s.name))
        .collect();
    if !unchanged.is_empty() {
        let _ = writeln!(
            out,
            "Unchanged ({}): {}\n",
            unchanged.len(),
            unchanged.join(", ")
        );
    }
    let _ = writeln!(out, "</details>\n");
    out
}

fn group(out: &mut String, g: &Group, diffs: bool) {
    let names: Vec<String> = g.names().iter().map(|n| code(n)).collect();
    let _ = writeln!(
        out,
        "**{}** ({}): {}\n",
        g.status.label(),
        g.members.len(),
        names.join(", ")
    );
    if let Some(note) = g.note() {
        let _ = writeln!(out, "> {}\n", cell(note));
    }
    let changes = g.changes();
    if changes.is_empty() {
        return;
    }
    let max = if diffs { MAX_ROWS } else { MAX_ROWS_COMPACT };
    let _ = writeln!(out, "| | area | change |\n|:-:|---|---|");
    for c in changes.iter().take(max) {
        let _ = writeln!(out, "| {} | {} | {} |", sign(c), c.area.label(), row(c));
    }
    if changes.len() > max {
        let _ = writeln!(out, "| | | … and {} more |", changes.len() - max);
    }
    out.push('\n');
    if !diffs {
        return;
    }
    for c in changes.iter().take(max) {
        if let Some(d) = c.diff.as_deref().filter(|d| !d.is_empty()) {
            let _ = writeln!(
                out,
                "<details><summary><code>{}</code> ({})</summary>\n",
                html(&c.subject),
                line_counts(d)
            );
            fenced(out, "diff", d);
            let _ = writeln!(out, "</details>\n");
        }
    }
}

/// `−`, `+`, `~` as a reader sees them in a table.
fn sign(c: &Change) -> &'static str {
    match c.action {
        super::model::Action::Added => "➕",
        super::model::Action::Removed => "➖",
        super::model::Action::Modified => "✏️",
    }
}

fn row(c: &Change) -> String {
    use super::model::Action;
    let value = match (c.action, &c.before, &c.after) {
        (Action::Modified, Some(b), Some(a)) => format!(": {} → {}", code(b), code(a)),
        (Action::Added | Action::Modified, None, Some(a)) => format!(": {}", code(a)),
        (Action::Removed | Action::Modified, Some(b), None) => format!(": was {}", code(b)),
        _ => String::new(),
    };
    let note = c
        .note
        .as_deref()
        .map(|n| format!(" ({})", cell(n)))
        .unwrap_or_default();
    format!("{}{value}{note}", code(&c.subject))
}

/// A fenced block whose fence is longer than any backtick run inside.
fn fenced(out: &mut String, lang: &str, body: &str) {
    let fence = "`".repeat(3.max(longest_run(body, '`') + 1));
    let body = body.trim_end_matches('\n');
    let _ = writeln!(out, "{fence}{lang}\n{body}\n{fence}\n");
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        cur = if c == ch { cur + 1 } else { 0 };
        best = best.max(cur);
    }
    best
}

/// Inline code safe in a table cell: one line, `|` escaped, a fence longer than any
/// backtick run.
pub(crate) fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Text in a table cell: one line, Markdown and HTML specials escaped.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.replace(['\n', '\r'], " ").chars() {
        match ch {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside an HTML element.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
