//! `settings`: Claude Code's `settings.json`. Permissions, hooks and env have their own
//! modules; the settings below are known by what they widen; everything else is
//! configuration, leaf by leaf.

use serde_json::Value;

use crate::change::{Class, Kind, Severity};
use crate::context::{Ctx, clip, kind_of};
use crate::generic;
use crate::{env, hooks, permissions, sets};

const PTR: &str = "/settings";

/// What a known setting means.
#[derive(Clone, Copy, Debug)]
enum Meaning {
    /// A boolean that widens when it becomes `widens_when`; absent is `default`.
    Flag {
        widens_when: bool,
        default: bool,
        what: &'static str,
    },
    /// A list whose new elements widen: "`what` `element`".
    Grants { what: &'static str },
    /// A list whose removed elements widen.
    Guards { what: &'static str },
    /// A command Claude Code runs.
    Command { what: &'static str },
    /// A plain value worth quoting (not a credential).
    Shown,
}

/// Pointers below `/settings`.
const KNOWN: [(&str, Meaning); 21] = {
    use Meaning::*;
    [
        ("/model", Shown),
        (
            "/enableAllProjectMcpServers",
            Flag {
                widens_when: true,
                default: false,
                what: "starts every MCP server of a project's .mcp.json without asking",
            },
        ),
        (
            "/enabledMcpjsonServers",
            Grants {
                what: "starts project MCP server",
            },
        ),
        (
            "/disabledMcpjsonServers",
            Guards {
                what: "no longer blocks project MCP server",
            },
        ),
        (
            "/skipDangerousModePermissionPrompt",
            Flag {
                widens_when: true,
                default: false,
                what: "skips the warning before bypassPermissions mode",
            },
        ),
        (
            "/disableAllHooks",
            Flag {
                widens_when: true,
                default: false,
                what: "turns every hook off, guards included",
            },
        ),
        (
            "/apiKeyHelper",
            Command {
                what: "gets API keys by running",
            },
        ),
        (
            "/awsAuthRefresh",
            Command {
                what: "refreshes AWS credentials by running",
            },
        ),
        (
            "/awsCredentialExport",
            Command {
                what: "gets AWS credentials by running",
            },
        ),
        (
            "/otelHeadersHelper",
            Command {
                what: "gets telemetry headers by running",
            },
        ),
        (
            "/statusLine/command",
            Command {
                what: "draws the status line by running",
            },
        ),
        (
            "/sandbox/enabled",
            Flag {
                widens_when: false,
                default: false,
                what: "runs Bash commands outside the sandbox",
            },
        ),
        (
            "/sandbox/autoAllowBashIfSandboxed",
            Flag {
                widens_when: true,
                default: true,
                what: "runs sandboxed Bash commands without asking",
            },
        ),
        (
            "/sandbox/allowUnsandboxedCommands",
            Flag {
                widens_when: true,
                default: true,
                what: "lets commands leave the sandbox",
            },
        ),
        (
            "/sandbox/enableWeakerNestedSandbox",
            Flag {
                widens_when: true,
                default: false,
                what: "weakens the nested sandbox",
            },
        ),
        (
            "/sandbox/excludedCommands",
            Grants {
                what: "runs outside the sandbox:",
            },
        ),
        (
            "/sandbox/network/allowedDomains",
            Grants {
                what: "lets sandboxed commands reach",
            },
        ),
        (
            "/sandbox/network/allowUnixSockets",
            Grants {
                what: "lets sandboxed commands use the socket",
            },
        ),
        (
            "/sandbox/network/allowAllUnixSockets",
            Flag {
                widens_when: true,
                default: false,
                what: "lets sandboxed commands use any Unix socket",
            },
        ),
        (
            "/sandbox/network/allowLocalBinding",
            Flag {
                widens_when: true,
                default: false,
                what: "lets sandboxed commands listen on local ports",
            },
        ),
        (
            "/sandbox/filesystem/allowWrite",
            Grants {
                what: "lets sandboxed commands write to",
            },
        ),
    ]
};

/// Reports every change of `settings`.
pub(crate) fn compare(cx: &mut Ctx<'_>) {
    generic::walk(cx, PTR, Class::Configuration, Severity::Medium, &special);
}

fn special(cx: &mut Ctx<'_>, ptr: &str) -> bool {
    if permissions::compare(cx, ptr) || hooks::compare(cx, ptr) {
        return true;
    }
    let Some(rel) = ptr.strip_prefix(PTR) else {
        return false;
    };
    if rel == "/env" {
        env::compare(cx, ptr, "Claude Code");
        return true;
    }
    if matches!(
        rel,
        "/sandbox/filesystem/denyRead" | "/sandbox/filesystem/denyWrite"
    ) {
        guards(cx, ptr, "lets sandboxed commands touch");
        return true;
    }
    let Some((_, meaning)) = KNOWN.iter().find(|(p, _)| *p == rel) else {
        return false;
    };
    match *meaning {
        Meaning::Flag {
            widens_when,
            default,
            what,
        } => flag(cx, ptr, widens_when, default, what),
        Meaning::Grants { what } => grants(cx, ptr, what),
        Meaning::Guards { what } => guards(cx, ptr, what),
        Meaning::Command { what } => command(cx, ptr, what),
        Meaning::Shown => shown(cx, ptr),
    }
    true
}

fn flag(cx: &mut Ctx<'_>, ptr: &str, widens_when: bool, default: bool, what: &str) {
    let (b, h) = cx.pair(ptr);
    let value = |v: Option<&Value>| v.map_or(Some(default), Value::as_bool);
    let (Some(from), Some(to)) = (value(b), value(h)) else {
        generic::leaf(cx, ptr, Class::Security, Severity::Medium);
        return;
    };
    let kind = kind_of(b, h);
    let path = crate::change::dotted(ptr);
    if from == to {
        let text =
            format!("writes {path} out or leaves it to its default ({to}), which is the same");
        cx.report(Class::Cosmetic, Severity::Low, kind, ptr, text);
    } else if to == widens_when {
        cx.report(
            Class::Security,
            Severity::High,
            kind,
            ptr,
            format!("{what} ({path}: {to})"),
        );
    } else {
        let text = format!("sets {path} to {to} (undoes: {what})");
        cx.report(Class::Configuration, Severity::Low, kind, ptr, text);
    }
}

fn grants(cx: &mut Ctx<'_>, ptr: &str, what: &str) {
    let path = crate::change::dotted(ptr);
    let added = |x: &str| {
        (
            Class::Security,
            Severity::High,
            format!("{what} `{}`", clip(x, 60)),
        )
    };
    let removed = |x: &str| {
        (
            Class::Configuration,
            Severity::Low,
            format!("removes `{}` from {path}", clip(x, 60)),
        )
    };
    sets::compare(cx, ptr, Class::Security, &added, &removed);
}

fn guards(cx: &mut Ctx<'_>, ptr: &str, what: &str) {
    let path = crate::change::dotted(ptr);
    let added = |x: &str| {
        (
            Class::Configuration,
            Severity::Low,
            format!("adds `{}` to {path}", clip(x, 60)),
        )
    };
    let removed = |x: &str| {
        (
            Class::Security,
            Severity::High,
            format!("{what} `{}`", clip(x, 60)),
        )
    };
    sets::compare(cx, ptr, Class::Security, &added, &removed);
}

fn command(cx: &mut Ctx<'_>, ptr: &str, what: &str) {
    let (b, h) = cx.pair(ptr);
    match (b, h.and_then(Value::as_str)) {
        (_, Some(cmd)) => {
            let text = format!("{what} `{}`", clip(cmd, 60));
            cx.report(Class::Security, Severity::High, kind_of(b, h), ptr, text);
        }
        (Some(_), None) if h.is_none() => {
            let text = format!("removes {}", crate::change::dotted(ptr));
            cx.report(
                Class::Configuration,
                Severity::Low,
                Kind::Removed,
                ptr,
                text,
            );
        }
        _ => generic::leaf(cx, ptr, Class::Security, Severity::High),
    }
}

fn shown(cx: &mut Ctx<'_>, ptr: &str) {
    let (b, h) = cx.pair(ptr);
    let quote = |v: Option<&Value>| v.and_then(Value::as_str).map(|s| clip(s, 60));
    let path = crate::change::dotted(ptr);
    let text = match (quote(b), quote(h)) {
        (None, Some(to)) => format!("sets {path} to `{to}`"),
        (Some(from), Some(to)) => format!("changes {path} to `{to}` (was `{from}`)"),
        _ => return generic::leaf(cx, ptr, Class::Configuration, Severity::Medium),
    };
    cx.report(
        Class::Configuration,
        Severity::Medium,
        kind_of(b, h),
        ptr,
        text,
    );
}
