//! `memory` (CLAUDE.md), `commands` (slash commands) and `personas` (sub-agents): Markdown
//! Claude Code reads as instructions. A change of the words is configuration; a change of
//! whitespace only is cosmetic. Two front-matter keys grant permissions and are judged like
//! settings: a slash command's `allowed-tools` (run without asking while the command runs)
//! and a sub-agent's `permissionMode`.

use claude_env_config::pointer;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::change::{Change, Class, Kind, Severity};
use crate::context::{Ctx, Side, keys, kind_of};
use crate::generic;
use crate::modes::{self, Mode};
use crate::rule::Rule;

/// What a Markdown entry is, for explanations.
#[derive(Clone, Copy)]
enum What<'a> {
    Memory,
    Command(&'a str),
    Persona(&'a str),
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::Memory => f.write_str("CLAUDE.md"),
            What::Command(n) => write!(f, "slash command /{n}"),
            What::Persona(n) => write!(f, "sub-agent {n}"),
        }
    }
}

/// Reports every change of `memory`, `commands` and `personas`.
pub(crate) fn compare(cx: &mut Ctx<'_>) {
    text(cx, "/memory", What::Memory);
    for section in ["/commands", "/personas"] {
        let (b, h) = cx.pair(section);
        if b == h {
            continue;
        }
        if !b.is_none_or(Value::is_object) || !h.is_none_or(Value::is_object) {
            generic::leaf(cx, section, Class::Configuration, Severity::Medium);
            continue;
        }
        for name in keys(b, h) {
            let what = match section {
                "/commands" => What::Command(name),
                _ => What::Persona(name),
            };
            text(cx, &pointer::join(section, name), what);
        }
    }
}

fn text(cx: &mut Ctx<'_>, ptr: &str, what: What<'_>) {
    let (b, h) = cx.pair(ptr);
    if b == h {
        return;
    }
    let as_text = |v: Option<&Value>| v.map(|v| v.as_str().map(str::to_owned));
    let (Some(old), Some(new)) = (
        as_text(b).unwrap_or(Some(String::new())),
        as_text(h).unwrap_or(Some(String::new())),
    ) else {
        generic::leaf(cx, ptr, Class::Configuration, Severity::Medium);
        return;
    };
    let kind = kind_of(b, h);
    let (class, severity, explanation) = match kind {
        Kind::Added => (
            Class::Configuration,
            Severity::Low,
            format!("adds {what} ({})", lines(new.lines().count())),
        ),
        Kind::Removed => (
            Class::Configuration,
            Severity::Low,
            format!("removes {what}"),
        ),
        _ if words(&old) == words(&new) => (
            Class::Cosmetic,
            Severity::Low,
            format!("reformats {what} (whitespace only)"),
        ),
        _ => {
            let (plus, minus) = line_counts(&old, &new);
            (
                Class::Configuration,
                Severity::Medium,
                format!("changes {what} (+{plus} -{minus} lines)"),
            )
        }
    };
    cx.report(class, severity, kind, ptr, explanation);
    match what {
        What::Command(name) => allowed_tools(cx, ptr, name, &old, &new),
        What::Persona(name) => permission_mode(cx, ptr, name, &old, &new),
        What::Memory => {}
    }
}

/// `1 line`, `3 lines`.
fn lines(n: usize) -> String {
    if n == 1 {
        "1 line".into()
    } else {
        format!("{n} lines")
    }
}

fn words(s: &str) -> Vec<&str> {
    s.split_whitespace().collect()
}

/// Lines inserted and deleted.
fn line_counts(old: &str, new: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    let count = |tag| diff.iter_all_changes().filter(|c| c.tag() == tag).count();
    (count(ChangeTag::Insert), count(ChangeTag::Delete))
}

/// The YAML front matter of a Markdown document (between leading `---` lines), parsed.
fn front_matter(doc: &str) -> Option<Value> {
    let rest = doc.strip_prefix("---")?.trim_start_matches([' ', '\t']);
    let rest = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))?;
    let end = rest
        .match_indices("\n---")
        .map(|(i, _)| i)
        .find(|&i| rest[i + 4..].starts_with(['\n', '\r']) || rest.len() == i + 4)?;
    serde_saphyr::from_str::<Value>(&rest[..end]).ok()
}

/// `allowed-tools: Bash(git add:*), Read` or a YAML list: the rules.
fn tools(doc: &str) -> Vec<String> {
    match front_matter(doc)
        .as_ref()
        .and_then(|f| f.get("allowed-tools"))
    {
        Some(Value::String(s)) => split_rules(s),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split_rules)
            .collect(),
        _ => Vec::new(),
    }
}

/// Splits on commas outside parentheses (`Bash(a, b)` is one rule).
fn split_rules(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth) = (Vec::new(), String::new(), 0i32);
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}

/// New `allowed-tools` rules run without asking whenever the command is used.
fn allowed_tools(cx: &mut Ctx<'_>, ptr: &str, name: &str, old: &str, new: &str) {
    let before = tools(old);
    for rule in tools(new).iter().filter(|r| !before.contains(r)) {
        let r = Rule::parse(rule);
        let severity = if r.is_critical() {
            Severity::Critical
        } else {
            Severity::High
        };
        let text = format!(
            "slash command /{name} allows {} (allowed-tools)",
            r.describe()
        );
        let change = Change::new(Class::Security, severity, Kind::Added, ptr, text);
        cx.push(change, Side::Head, ptr);
    }
}

/// A sub-agent's `permissionMode` ranks like `permissions.defaultMode`.
fn permission_mode(cx: &mut Ctx<'_>, ptr: &str, name: &str, old: &str, new: &str) {
    let mode = |doc: &str| front_matter(doc).and_then(|f| f.get("permissionMode").cloned());
    let (b, h) = (mode(old), mode(new));
    if b == h {
        return;
    }
    let (class, severity, text) = modes::judge(b.as_ref(), h.as_ref(), Mode::Persona(name))
        .unwrap_or((
            Class::Security,
            Severity::Medium,
            format!("changes the permission mode of sub-agent {name}"),
        ));
    let change = Change::new(class, severity, kind_of(b.as_ref(), h.as_ref()), ptr, text);
    cx.push_here(change);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_read_from_leading_dashes_only() {
        let doc = "---\nallowed-tools: Bash(git add:*), Bash(git commit -m, x:*), Read\ndescription: c\n---\nbody\n";
        assert_eq!(
            tools(doc),
            ["Bash(git add:*)", "Bash(git commit -m, x:*)", "Read"]
        );
        let list = "---\nallowed-tools:\n  - Bash(make:*)\n  - Edit\n---\n";
        assert_eq!(tools(list), ["Bash(make:*)", "Edit"]);
        assert!(tools("no front matter\n---\nallowed-tools: Bash\n---\n").is_empty());
        assert!(tools("---\nallowed-tools: [unclosed\n---\n").is_empty());
    }

    #[test]
    fn line_counts_count_inserted_and_deleted_lines() {
        assert_eq!(line_counts("a\nb\nc\n", "a\nB\nc\nd\n"), (2, 1));
    }
}
