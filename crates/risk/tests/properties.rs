//! The classifier's laws over generated documents: identical documents have no changes,
//! order-only changes are cosmetic, widening is always security, narrowing never is.

mod common;

use claude_env_risk::{Class, Report, compare};
use proptest::prelude::*;
use proptest::sample::subsequence;
use serde_json::{Map, Value, json};

const RULES: [&str; 10] = [
    "Bash",
    "Bash(git status:*)",
    "Bash(cargo:*)",
    "Bash(rm -rf:*)",
    "Read",
    "Edit(./src/**)",
    "WebFetch",
    "WebFetch(domain:docs.rs)",
    "mcp__github",
    "mcp__github__get_issue",
];
const DIRS: [&str; 4] = ["../docs", "../shared", "/opt/data", "~"];
const MODES: [&str; 6] = [
    "dontAsk",
    "plan",
    "default",
    "acceptEdits",
    "auto",
    "bypassPermissions",
];
const SERVERS: [&str; 4] = ["ctx", "db", "remote", "svc"];
const HOOKS: [&str; 3] = ["guard.sh", "audit.sh", "fmt.sh"];

fn strings(items: Vec<&str>) -> Value {
    Value::Array(items.into_iter().map(Value::from).collect())
}

fn server(name: &str) -> Value {
    match name {
        "ctx" => json!({"command": "npx", "args": ["-y", "@upstash/context7-mcp"]}),
        "db" => json!({"command": "db-mcp", "env": {"LOG_LEVEL": "info"}}),
        "remote" => json!({"type": "http", "url": "https://mcp.example.com/mcp"}),
        _ => json!({"deploy": {"image": "ghcr.io/x/svc:1.0", "port": 8080}}),
    }
}

/// A document with every kind of setting, its sets drawn from the pools above.
fn document() -> impl Strategy<Value = Value> {
    (
        subsequence(RULES.to_vec(), 0..5),
        subsequence(RULES.to_vec(), 0..3),
        subsequence(RULES.to_vec(), 0..3),
        subsequence(DIRS.to_vec(), 0..3),
        prop::option::of(0..MODES.len()),
        subsequence(HOOKS.to_vec(), 0..3),
        subsequence(SERVERS.to_vec(), 0..4),
        prop::option::of("[a-z ]{0,20}"),
    )
        .prop_map(|(allow, ask, deny, dirs, mode, hooks, servers, memory)| {
            let mut permissions = json!({
                "allow": strings(allow), "ask": strings(ask), "deny": strings(deny),
                "additionalDirectories": strings(dirs),
            });
            if let Some(m) = mode {
                permissions["defaultMode"] = json!(MODES[m]);
            }
            let hooks: Vec<Value> = hooks
                .into_iter()
                .map(|c| json!({"type": "command", "command": c}))
                .collect();
            let servers: Map<String, Value> = servers
                .into_iter()
                .map(|s| (s.to_owned(), server(s)))
                .collect();
            let mut doc = json!({
                "settings": {
                    "model": "sonnet",
                    "env": {"LOG_LEVEL": "info"},
                    "permissions": permissions,
                    "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": hooks}]},
                },
                "mcpServers": servers,
            });
            if let Some(m) = memory {
                doc["memory"] = json!(m);
            }
            doc
        })
}

fn report(base: &Value, head: &Value) -> Report {
    compare(
        &common::from_json(base.clone()),
        &common::from_json(head.clone()),
    )
}

fn list<'v>(doc: &'v mut Value, ptr: &str) -> &'v mut Vec<Value> {
    doc.pointer_mut(ptr)
        .and_then(Value::as_array_mut)
        .expect("a list")
}

fn has(doc: &Value, list: &str, rule: &str) -> bool {
    doc.pointer(&format!("/settings/permissions/{list}"))
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == rule))
}

fn in_no_list(doc: &Value, rule: &str) -> bool {
    ["allow", "ask", "deny"].iter().all(|l| !has(doc, l, rule))
}

fn mode_rank(doc: &Value) -> usize {
    let m = doc
        .pointer("/settings/permissions/defaultMode")
        .and_then(Value::as_str)
        .unwrap_or("default");
    MODES.iter().position(|x| *x == m).unwrap_or(2)
}

/// Reverses every set-like list and every map's key order.
fn reorder(doc: &Value) -> Value {
    let mut d = doc.clone();
    for l in ["allow", "ask", "deny", "additionalDirectories"] {
        list(&mut d, &format!("/settings/permissions/{l}")).reverse();
    }
    list(&mut d, "/settings/hooks/PreToolUse/0/hooks").reverse();
    reverse_maps(&d)
}

fn reverse_maps(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reverse_maps(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reverse_maps).collect()),
        v => v.clone(),
    }
}

/// A change that widens what the agent may do, if `pick` finds one for this document.
fn widen(doc: &Value, pick: usize, n: usize) -> Option<Value> {
    let mut d = doc.clone();
    let rule = RULES[n % RULES.len()];
    match pick % 9 {
        0 if in_no_list(doc, rule) => list(&mut d, "/settings/permissions/allow").push(json!(rule)),
        1 if has(doc, "deny", rule) => {
            list(&mut d, "/settings/permissions/deny").retain(|r| r != rule)
        }
        2 if has(doc, "ask", rule) && !has(doc, "deny", rule) => {
            list(&mut d, "/settings/permissions/ask").retain(|r| r != rule)
        }
        3 if has(doc, "ask", rule) && !has(doc, "deny", rule) => {
            list(&mut d, "/settings/permissions/ask").retain(|r| r != rule);
            list(&mut d, "/settings/permissions/allow").push(json!(rule));
        }
        4 => {
            let dir = DIRS[n % DIRS.len()];
            let dirs = list(&mut d, "/settings/permissions/additionalDirectories");
            if dirs.iter().any(|x| x == dir) {
                return None;
            }
            dirs.push(json!(dir));
        }
        5 if mode_rank(doc) < MODES.len() - 1 => {
            let to = mode_rank(doc) + 1 + n % (MODES.len() - 1 - mode_rank(doc));
            d["settings"]["permissions"]["defaultMode"] = json!(MODES[to]);
        }
        6 => {
            let name = SERVERS[n % SERVERS.len()];
            if doc["mcpServers"].get(name).is_some() {
                return None;
            }
            d["mcpServers"][name] = server(name);
        }
        7 => {
            let hook = format!("new-{n}.sh");
            list(&mut d, "/settings/hooks/PreToolUse/0/hooks")
                .push(json!({"type": "command", "command": hook}));
        }
        8 => d["settings"]["env"]["ANTHROPIC_BASE_URL"] = json!(format!("https://llm-{n}.example")),
        _ => return None,
    }
    Some(d)
}

/// A change that narrows what the agent may do (or changes something harmless).
fn narrow(doc: &Value, pick: usize, n: usize) -> Option<Value> {
    let mut d = doc.clone();
    let rule = RULES[n % RULES.len()];
    match pick % 8 {
        0 if has(doc, "allow", rule) => {
            list(&mut d, "/settings/permissions/allow").retain(|r| r != rule)
        }
        1 if !has(doc, "deny", rule) => {
            list(&mut d, "/settings/permissions/deny").push(json!(rule))
        }
        2 if !has(doc, "ask", rule) => list(&mut d, "/settings/permissions/ask").push(json!(rule)),
        3 => {
            let dirs = list(&mut d, "/settings/permissions/additionalDirectories");
            if dirs.is_empty() {
                return None;
            }
            dirs.remove(n % dirs.len());
        }
        4 if mode_rank(doc) > 0 => {
            d["settings"]["permissions"]["defaultMode"] = json!(MODES[n % mode_rank(doc)]);
        }
        5 => {
            let servers = d["mcpServers"].as_object_mut()?;
            let name = servers.keys().nth(n % servers.len().max(1))?.clone();
            servers.remove(&name);
        }
        6 => d["settings"]["env"]["LOG_LEVEL"] = json!(format!("level-{n}")),
        7 => d["settings"]["model"] = json!(format!("model-{n}")),
        _ => return None,
    }
    Some(d)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn identical_documents_have_no_changes(doc in document()) {
        prop_assert!(report(&doc, &doc).is_empty());
    }

    #[test]
    fn order_only_changes_are_cosmetic(doc in document()) {
        let r = report(&doc, &reorder(&doc));
        prop_assert!(r.changes.iter().all(|c| c.class == Class::Cosmetic), "{:?}", r.changes);
    }

    #[test]
    fn widening_is_always_security(doc in document(), picks in prop::collection::vec((0..9usize, 0..40usize), 1..4)) {
        let mut head = doc.clone();
        let mut widened = false;
        for (pick, n) in picks {
            if let Some(d) = widen(&head, pick, n) {
                head = d;
                widened = true;
            }
        }
        prop_assume!(widened);
        let r = report(&doc, &head);
        prop_assert!(r.has_security(), "{:?}", r.changes);
        // Reordering on top changes nothing about that.
        prop_assert!(report(&doc, &reorder(&head)).has_security());
    }

    #[test]
    fn narrowing_is_never_security(doc in document(), picks in prop::collection::vec((0..8usize, 0..40usize), 1..4)) {
        let mut head = doc.clone();
        for (pick, n) in picks {
            if let Some(d) = narrow(&head, pick, n) {
                head = d;
            }
        }
        let r = report(&doc, &reorder(&head));
        prop_assert!(!r.has_security(), "{:?}", r.changes);
    }

    #[test]
    fn every_change_names_its_source_and_reports_are_sorted(a in document(), b in document()) {
        let r = report(&a, &b);
        prop_assert_eq!(r.clone(), claude_env_risk::Report::new(r.changes.clone()));
        for c in &r.changes {
            prop_assert!(c.source.is_some(), "{:?}", c);
        }
        prop_assert_eq!(a == b, r.is_empty());
    }
}
