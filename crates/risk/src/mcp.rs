//! `mcpServers`: programs every developer's Claude Code starts (stdio), services it talks to
//! (remote), and servers the controller runs in the cluster (deploy).
//!
//! A new or re-enabled server, a new command, arguments, URL or image is security: new code
//! runs, or tool calls go somewhere new. A removed or disabled server is availability.
//! Replicas, resources, ports and probes of a deployed server are availability; env and
//! headers configuration (values never shown); description, labels and annotations cosmetic.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Class, Kind, Severity};
use crate::context::{Ctx, clip, entry, keys, kind_of};
use crate::{env, generic};

const PTR: &str = "/mcpServers";

fn enabled(server: Option<&Value>) -> bool {
    server.is_some_and(|s| s.get("enabled").and_then(Value::as_bool) != Some(false))
}

/// `running `npx -y x``, `at `https://...``, `deployed from image `x``.
fn what_it_runs(server: &Value) -> String {
    let s = |k: &str| server.get(k).and_then(Value::as_str);
    if let Some(cmd) = s("command") {
        return format!("running `{}`", command_line(cmd, server.get("args")));
    }
    if let Some(url) = s("url") {
        return format!("at `{}`", clip(url, 70));
    }
    match server.pointer("/deploy/image").and_then(Value::as_str) {
        Some(image) => format!("deployed from image `{}`", clip(image, 70)),
        None => "with no transport".into(),
    }
}

/// `command arg arg`, cut to one line.
fn command_line(cmd: &str, args: Option<&Value>) -> String {
    let mut line = cmd.to_owned();
    for a in args.and_then(Value::as_array).into_iter().flatten() {
        line.push(' ');
        match a.as_str() {
            Some(s) => line.push_str(s),
            None => line.push_str(&a.to_string()),
        }
    }
    clip(&line, 60)
}

/// Reports every change of `mcpServers`.
pub(crate) fn compare(cx: &mut Ctx<'_>) {
    let (b, h) = cx.pair(PTR);
    if b == h {
        return;
    }
    let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if !is_map(b) || !is_map(h) {
        generic::leaf(cx, PTR, Class::Security, Severity::High);
        return;
    }
    for name in keys(b, h) {
        server(cx, name);
    }
}

fn server(cx: &mut Ctx<'_>, name: &str) {
    let at = pointer::join(PTR, name);
    let (b, h) = cx.pair(&at);
    if b == h {
        return;
    }
    match (b, h) {
        (None, Some(s)) if enabled(h) => {
            let text = format!("adds MCP server {name} {}", what_it_runs(s));
            cx.report(Class::Security, Severity::High, Kind::Added, &at, text);
        }
        (None, Some(_)) => {
            let text = format!("adds MCP server {name}, disabled");
            cx.report(Class::Configuration, Severity::Low, Kind::Added, &at, text);
        }
        (Some(_), None) if enabled(b) => {
            let text = format!("removes MCP server {name}");
            cx.report(
                Class::Availability,
                Severity::Medium,
                Kind::Removed,
                &at,
                text,
            );
        }
        (Some(_), None) => {
            let text = format!("removes MCP server {name}, which was disabled");
            cx.report(Class::Cosmetic, Severity::Low, Kind::Removed, &at, text);
        }
        (Some(_), Some(s)) => match (enabled(b), enabled(h)) {
            (false, true) => {
                let text = format!("enables MCP server {name} {}", what_it_runs(s));
                let enabled_at = pointer::join(&at, "enabled");
                let change = crate::change::Change::new(
                    Class::Security,
                    Severity::High,
                    Kind::Changed,
                    &at,
                    text,
                );
                let side = cx.side_of(&enabled_at);
                cx.push(change, side, &enabled_at);
            }
            (true, false) => {
                let text = format!("disables MCP server {name}");
                let enabled_at = pointer::join(&at, "enabled");
                let change = crate::change::Change::new(
                    Class::Availability,
                    Severity::Medium,
                    Kind::Changed,
                    &at,
                    text,
                );
                cx.push(change, crate::context::Side::Head, &enabled_at);
            }
            (false, false) => {
                // Nothing runs either way.
                generic::walk(cx, &at, Class::Configuration, Severity::Low, &generic::none);
            }
            (true, true) => fields(cx, name, &at),
        },
        (None, None) => {}
    }
}

/// Both versions of a running server: field by field.
fn fields(cx: &mut Ctx<'_>, name: &str, at: &str) {
    let (b, h) = cx.pair(at);
    let mut command_done = false;
    for key in keys(b, h) {
        let field = pointer::join(at, key);
        if entry(b, key) == entry(h, key) {
            continue;
        }
        match key {
            "command" | "args" if !command_done => {
                command_done = true;
                command(cx, name, at);
            }
            "command" | "args" => {}
            "url" => {
                let text = match entry(h, "url").and_then(Value::as_str) {
                    Some(u) => format!("points MCP server {name} at `{}`", clip(u, 70)),
                    None => format!("removes the URL of MCP server {name}"),
                };
                cx.report(
                    Class::Security,
                    Severity::High,
                    kind_of(entry(b, key), entry(h, key)),
                    &field,
                    text,
                );
            }
            "env" => env::compare(cx, &field, &format!("MCP server {name}")),
            "headers" => headers(cx, name, &field),
            "deploy" => crate::deploy::compare(cx, name, &field),
            "enabled" => {
                // `enabled: true` written out or left to its default: the same.
                let text = format!("states that MCP server {name} is enabled, as it was");
                cx.report(
                    Class::Cosmetic,
                    Severity::Low,
                    kind_of(entry(b, key), entry(h, key)),
                    &field,
                    text,
                );
            }
            "description" => generic::leaf(cx, &field, Class::Cosmetic, Severity::Low),
            "type" => {
                let text = match entry(h, "type").and_then(Value::as_str) {
                    Some(t) => format!(
                        "switches MCP server {name} to the `{}` transport",
                        clip(t, 20)
                    ),
                    None => format!("leaves the transport of MCP server {name} to its default"),
                };
                cx.report(
                    Class::Configuration,
                    Severity::Medium,
                    kind_of(entry(b, key), entry(h, key)),
                    &field,
                    text,
                );
            }
            _ => generic::walk(
                cx,
                &field,
                Class::Configuration,
                Severity::Medium,
                &generic::none,
            ),
        }
    }
}

/// A new command line runs on every developer's machine.
fn command(cx: &mut Ctx<'_>, name: &str, at: &str) {
    let (b, h) = cx.pair(at);
    let changed = |k: &str| entry(b, k) != entry(h, k);
    let cmd = entry(h, "command").and_then(Value::as_str);
    let field = if changed("command") {
        "command"
    } else {
        "args"
    };
    let ptr = pointer::join(at, field);
    let (text, class, severity) = match cmd {
        Some(c) if changed("command") => (
            format!(
                "changes the command of MCP server {name} to `{}`",
                command_line(c, entry(h, "args"))
            ),
            Class::Security,
            Severity::High,
        ),
        Some(c) => (
            format!(
                "changes the arguments of MCP server {name}: `{}`",
                command_line(c, entry(h, "args"))
            ),
            Class::Security,
            Severity::High,
        ),
        None => (
            format!("removes the command of MCP server {name}"),
            Class::Availability,
            Severity::Medium,
        ),
    };
    cx.report(
        class,
        severity,
        kind_of(entry(b, field), entry(h, field)),
        &ptr,
        text,
    );
}

/// Header names only: their values are credentials more often than not.
fn headers(cx: &mut Ctx<'_>, name: &str, ptr: &str) {
    let (b, h) = cx.pair(ptr);
    if !b.is_none_or(Value::is_object) || !h.is_none_or(Value::is_object) {
        generic::leaf(cx, ptr, Class::Configuration, Severity::Medium);
        return;
    }
    for header in keys(b, h) {
        let at = pointer::join(ptr, header);
        let (vb, vh) = cx.pair(&at);
        if vb == vh {
            continue;
        }
        let kind = kind_of(vb, vh);
        let verb = match kind {
            Kind::Added => "sets",
            Kind::Removed => "removes",
            _ => "changes",
        };
        let text = format!("{verb} header {header} of MCP server {name}");
        cx.report(Class::Configuration, Severity::Medium, kind, &at, text);
    }
}
