//! Changes in the files Claude Code reads: `settings.json` leaf by leaf (permission lists
//! rule by rule), `mcp.json` server by server, Markdown files as unified diffs.

use std::collections::{BTreeMap, BTreeSet};

use claude_env_render::files::{AGENTS_DIR, CLAUDE_MD, COMMANDS_DIR, MCP_JSON, SETTINGS_JSON};
use serde_json::Value;
use similar::TextDiff;

use super::json::{self, Difference, dotted, show};
use super::mask;
use super::model::{Action, Area, Change};

/// Relative path → bytes.
pub(crate) type Files = BTreeMap<String, Vec<u8>>;

/// Every change from `before` to `after` (an empty map for a side that does not exist).
pub(crate) fn changes(before: &Files, after: &Files) -> Vec<Change> {
    let paths: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut out = Vec::new();
    for path in paths {
        let (a, b) = (before.get(path), after.get(path));
        if a == b {
            continue;
        }
        match path.as_str() {
            SETTINGS_JSON => settings(parsed(a), parsed(b), &mut out),
            MCP_JSON => mcp_servers(parsed(a), parsed(b), &mut out),
            _ => out.push(text_file(path, a, b)),
        }
    }
    out
}

/// A JSON file, masked; absent or unreadable is an empty object.
fn parsed(bytes: Option<&Vec<u8>>) -> Value {
    bytes
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .map(|v| mask::json(&v))
        .unwrap_or_else(|| Value::Object(Default::default()))
}

fn action(before: Option<&Value>, after: Option<&Value>) -> Action {
    match (before, after) {
        (None, _) => Action::Added,
        (_, None) => Action::Removed,
        _ => Action::Modified,
    }
}

fn settings(before: Value, after: Value, out: &mut Vec<Change>) {
    let is_set = |p: &[String]| p.len() == 2 && p[0] == "permissions";
    for d in json::diff(Some(&before), Some(&after), &is_set) {
        out.push(match d {
            Difference::Element {
                path,
                element,
                added,
            } => Change::new(
                Area::Permissions,
                if added {
                    Action::Added
                } else {
                    Action::Removed
                },
                format!("{}: {}", dotted(&path[1..]), show(&element)),
            ),
            Difference::Value {
                path,
                before,
                after,
            } => {
                let (area, subject) = match path.first().map(String::as_str) {
                    Some("permissions") if path.len() > 1 => {
                        (Area::Permissions, dotted(&path[1..]))
                    }
                    Some("hooks") => (Area::Hooks, dotted(&path)),
                    _ => (Area::Settings, dotted(&path)),
                };
                Change::new(area, action(before.as_ref(), after.as_ref()), subject)
                    .before(before.as_ref().map(show))
                    .after(after.as_ref().map(show))
            }
        });
    }
}

fn servers(v: &Value) -> serde_json::Map<String, Value> {
    v.get("mcpServers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn mcp_servers(before: Value, after: Value, out: &mut Vec<Change>) {
    let (a, b) = (servers(&before), servers(&after));
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        match (a.get(name), b.get(name)) {
            (None, Some(s)) => out.push(
                Change::new(Area::McpServers, Action::Added, name.as_str()).after(Some(summary(s))),
            ),
            (Some(s), None) => out.push(
                Change::new(Area::McpServers, Action::Removed, name.as_str())
                    .before(Some(summary(s))),
            ),
            (Some(x), Some(y)) => {
                for d in json::diff(Some(x), Some(y), &|_| false) {
                    if let Difference::Value {
                        path,
                        before,
                        after,
                    } = d
                    {
                        let mut full = vec![name.clone()];
                        full.extend(path);
                        out.push(
                            Change::new(
                                Area::McpServers,
                                action(before.as_ref(), after.as_ref()),
                                dotted(&full),
                            )
                            .before(before.as_ref().map(show))
                            .after(after.as_ref().map(show)),
                        );
                    }
                }
            }
            (None, None) => {}
        }
    }
}

/// `stdio: npx -y pkg` or `http: https://...`.
fn summary(server: &Value) -> String {
    let s = |k: &str| server.get(k).and_then(Value::as_str).unwrap_or_default();
    let kind = s("type");
    let what = match kind {
        "stdio" => {
            let args = server
                .get("args")
                .and_then(Value::as_array)
                .map(|a| a.iter().map(show).collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            format!("{} {args}", s("command")).trim_end().to_string()
        }
        _ => s("url").to_string(),
    };
    show(&Value::String(format!("{kind}: {what}")))
}

fn area_of(path: &str) -> Area {
    if path == CLAUDE_MD {
        Area::Memory
    } else if path.starts_with(&format!("{COMMANDS_DIR}/")) {
        Area::Commands
    } else if path.starts_with(&format!("{AGENTS_DIR}/")) {
        Area::Agents
    } else {
        Area::Files
    }
}

fn text_file(path: &str, before: Option<&Vec<u8>>, after: Option<&Vec<u8>>) -> Change {
    let text = |b: Option<&Vec<u8>>| {
        b.map(|b| mask::text(&String::from_utf8_lossy(b)))
            .unwrap_or_default()
    };
    let (old, new) = (text(before), text(after));
    let act = action(before.map(|_| &Value::Null), after.map(|_| &Value::Null));
    let diff = (act != Action::Removed).then(|| unified(&old, &new));
    Change::new(area_of(path), act, path).diff(diff)
}

/// Hunks only: the record names the file.
pub(crate) fn unified(old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(&str, &str)]) -> Files {
        entries
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn permission_rules_are_changes_of_their_own() {
        let a = files(&[(
            "settings.json",
            r#"{"model":"sonnet","permissions":{"deny":["Bash(curl:*)","WebFetch"],"defaultMode":"default"}}"#,
        )]);
        let b = files(&[(
            "settings.json",
            r#"{"model":"opus","permissions":{"deny":["WebFetch"],"defaultMode":"acceptEdits"},"hooks":{"PreToolUse":[]}}"#,
        )]);
        let got: Vec<(Area, Action, String)> = changes(&a, &b)
            .into_iter()
            .map(|c| (c.area, c.action, c.subject))
            .collect();
        assert_eq!(
            got,
            vec![
                (Area::Hooks, Action::Added, "hooks".to_string()),
                (Area::Settings, Action::Modified, "model".to_string()),
                (
                    Area::Permissions,
                    Action::Modified,
                    "defaultMode".to_string()
                ),
                (
                    Area::Permissions,
                    Action::Removed,
                    "deny: Bash(curl:*)".to_string()
                ),
            ]
        );
    }

    #[test]
    fn servers_are_added_and_removed_whole_and_modified_field_by_field() {
        let a = files(&[(
            "mcp.json",
            r#"{"mcpServers":{"old":{"type":"http","url":"https://x"},"db":{"type":"stdio","command":"npx","args":["a"]}}}"#,
        )]);
        let b = files(&[(
            "mcp.json",
            r#"{"mcpServers":{"new":{"type":"stdio","command":"npx","args":["-y","pkg"]},"db":{"type":"stdio","command":"npx","args":["b"]}}}"#,
        )]);
        let got = changes(&a, &b);
        let view: Vec<(Action, &str, Option<&str>)> = got
            .iter()
            .map(|c| (c.action, c.subject.as_str(), c.after.as_deref()))
            .collect();
        assert_eq!(
            view,
            vec![
                (Action::Modified, "db.args", Some(r#"["b"]"#)),
                (Action::Added, "new", Some("stdio: npx -y pkg")),
                (Action::Removed, "old", None),
            ]
        );
        assert_eq!(got[2].before.as_deref(), Some("http: https://x"));
    }

    #[test]
    fn markdown_files_carry_a_masked_unified_diff() {
        let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC".repeat(2));
        let a = files(&[("CLAUDE.md", "# Notes\nold line\n")]);
        let b = files(&[
            ("CLAUDE.md", &format!("# Notes\nnew line {token}\n")),
            ("commands/review.md", "Review.\n"),
        ]);
        let got = changes(&a, &b);
        assert_eq!(got[0].area, Area::Memory);
        let diff = got[0].diff.as_deref().unwrap();
        assert!(
            diff.contains("-old line") && diff.contains("+new line <masked:"),
            "{diff}"
        );
        assert!(!diff.contains("ghp_"));
        assert_eq!(
            (got[1].area, got[1].action),
            (Area::Commands, Action::Added)
        );
        assert!(got[1].diff.as_deref().unwrap().contains("+Review."));
    }
}
