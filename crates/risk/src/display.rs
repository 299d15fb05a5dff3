//! Text for people: one line per change, riskiest first, for the CLIs and Events.
//!
//! ```text
//! SECURITY  high  settings.permissions.allow  allows any Bash command  (teams/backend/settings.yaml:12)
//! ```

use std::fmt::Write;

use crate::change::{Change, Class, Report, Severity};

/// `SECURITY`, `AVAILABILITY`, `CONFIGURATION`, `COSMETIC`.
pub fn class_name(class: Class) -> &'static str {
    match class {
        Class::Security => "SECURITY",
        Class::Availability => "AVAILABILITY",
        Class::Configuration => "CONFIGURATION",
        Class::Cosmetic => "COSMETIC",
    }
}

/// `critical`, `high`, `medium`, `low`.
pub fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// One change on one line, columns separated by two spaces; the source last, if known.
pub fn line(c: &Change) -> String {
    let mut s = format!(
        "{}  {}  {}  {}",
        class_name(c.class),
        severity_name(c.severity),
        c.path,
        c.explanation
    );
    if let Some(src) = &c.source {
        let _ = write!(s, "  ({src})");
    }
    s
}

/// Every change, one per line (each ending in a newline), with the class, severity and path
/// columns aligned.
pub fn table(changes: &[Change]) -> String {
    let width = |f: &dyn Fn(&Change) -> usize| changes.iter().map(f).max().unwrap_or(0);
    let wc = width(&|c| class_name(c.class).len());
    let ws = width(&|c| severity_name(c.severity).len());
    let wp = width(&|c| c.path.chars().count());
    let mut out = String::new();
    for c in changes {
        let _ = write!(
            out,
            "{:<wc$}  {:<ws$}  {:<wp$}  {}",
            class_name(c.class),
            severity_name(c.severity),
            c.path,
            c.explanation
        );
        if let Some(src) = &c.source {
            let _ = write!(out, "  ({src})");
        }
        out.push('\n');
    }
    out
}

/// `3 changes: 1 security, 2 configuration` (`no changes` when empty).
pub fn summary(report: &Report) -> String {
    if report.is_empty() {
        return "no changes".into();
    }
    let parts: Vec<String> = [
        Class::Security,
        Class::Availability,
        Class::Configuration,
        Class::Cosmetic,
    ]
    .into_iter()
    .filter_map(|class| {
        let n = report.of_class(class).count();
        (n > 0).then(|| format!("{n} {}", class_name(class).to_ascii_lowercase()))
    })
    .collect();
    let n = report.len();
    let noun = if n == 1 { "change" } else { "changes" };
    format!("{n} {noun}: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{Kind, Source};

    fn change(class: Class, severity: Severity, ptr: &str, text: &str) -> Change {
        Change::new(class, severity, Kind::Added, ptr, text)
    }

    #[test]
    fn a_line_has_class_severity_path_explanation_and_source() {
        let c = change(
            Class::Security,
            Severity::High,
            "/settings/permissions/allow",
            "allows any Bash command",
        )
        .at(Some(Source {
            layer: "team/backend".into(),
            file: "teams/backend/settings.yaml".into(),
            line: 12,
            column: 5,
        }));
        assert_eq!(
            line(&c),
            "SECURITY  high  settings.permissions.allow  allows any Bash command  (teams/backend/settings.yaml:12)"
        );
    }

    #[test]
    fn a_table_aligns_columns() {
        let t = table(&[
            change(Class::Security, Severity::Critical, "/a", "x"),
            change(Class::Cosmetic, Severity::Low, "/settings/model", "y"),
        ]);
        assert_eq!(
            t,
            "SECURITY  critical  a               x\nCOSMETIC  low       settings.model  y\n"
        );
    }

    #[test]
    fn the_summary_counts_by_class() {
        let r = Report::new(vec![
            change(Class::Configuration, Severity::Low, "/a", "x"),
            change(Class::Security, Severity::Low, "/b", "y"),
            change(Class::Configuration, Severity::Low, "/c", "z"),
        ]);
        assert_eq!(summary(&r), "3 changes: 1 security, 2 configuration");
        assert_eq!(summary(&Report::default()), "no changes");
    }
}
