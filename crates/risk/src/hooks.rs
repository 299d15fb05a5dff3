//! `settings.hooks`: shell commands Claude Code runs on its events. Adding or changing one is
//! security (a new program runs on every tool call); removing a hook that can block
//! (`PreToolUse`, `UserPromptSubmit`, `PermissionRequest`) is security too, since a check
//! stops; removing any other is configuration. Hooks of one event run side by side, so
//! their order is cosmetic.
//!
//! Shape: `hooks.<Event>: [{matcher, hooks: [{type: command, command, timeout}]}]`.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Change, Class, Kind, Severity};
use crate::context::{Ctx, Side, clip, keys};
use crate::generic;

const PTR: &str = "/settings/hooks";

/// Events whose hooks can stop what would happen next.
fn guards(event: &str) -> Option<&'static str> {
    match event {
        "PreToolUse" => Some("tool calls"),
        "UserPromptSubmit" => Some("prompts"),
        "PermissionRequest" => Some("permission requests"),
        _ => None,
    }
}

/// One hook, where it sits.
#[derive(Clone, Copy)]
struct Hook<'v> {
    matcher: &'v str,
    group: usize,
    index: usize,
    value: &'v Value,
}

impl Hook<'_> {
    /// What the hook runs: its command (or prompt); what identifies it between versions.
    fn runs(&self) -> String {
        let field = |k: &str| self.value.get(k).and_then(Value::as_str);
        match field("command").or_else(|| field("prompt")) {
            Some(s) => s.to_owned(),
            None => self.value.to_string(),
        }
    }

    fn pointer(&self, event_ptr: &str) -> String {
        let p = format!("{event_ptr}/{}/hooks/{}", self.group, self.index);
        if self.value.get("command").is_some() {
            format!("{p}/command")
        } else {
            p
        }
    }
}

/// Every hook of one event, or `None` if it does not have the documented shape.
fn flatten(v: Option<&Value>) -> Option<Vec<Hook<'_>>> {
    let Some(v) = v else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    for (group, g) in v.as_array()?.iter().enumerate() {
        let matcher = match g.get("matcher") {
            None => "",
            Some(m) => m.as_str()?,
        };
        for (index, value) in g.get("hooks")?.as_array()?.iter().enumerate() {
            out.push(Hook {
                matcher,
                group,
                index,
                value,
            });
        }
    }
    Some(out)
}

/// The special handler for `/settings/hooks`.
pub(crate) fn compare(cx: &mut Ctx<'_>, ptr: &str) -> bool {
    if ptr != PTR {
        return false;
    }
    let (b, h) = cx.pair(PTR);
    let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if !is_map(b) || !is_map(h) {
        generic::leaf(cx, PTR, Class::Security, Severity::High);
        return true;
    }
    for event in keys(b, h) {
        event_hooks(cx, event);
    }
    true
}

fn event_hooks(cx: &mut Ctx<'_>, event: &str) {
    let at = pointer::join(PTR, event);
    let (b, h) = cx.pair(&at);
    if b == h {
        return;
    }
    let (Some(bs), Some(hs)) = (flatten(b), flatten(h)) else {
        let text = format!("changes the {event} hooks");
        cx.report(Class::Security, Severity::High, Kind::Changed, &at, text);
        return;
    };
    let before = cx.out.len();
    let mut matchers: Vec<&str> = hs.iter().chain(&bs).map(|k| k.matcher).collect();
    let mut seen = std::collections::HashSet::new();
    matchers.retain(|m| seen.insert(*m));
    for m in matchers {
        compare_matcher(cx, event, &at, with_matcher(&bs, m), with_matcher(&hs, m));
    }
    if cx.out.len() == before {
        let seq = |xs: &[Hook<'_>]| -> Vec<(String, Value)> {
            xs.iter()
                .map(|k| (k.matcher.to_owned(), k.value.clone()))
                .collect()
        };
        if seq(&bs) == seq(&hs) {
            // Same hooks in the same order: a field of a group itself changed.
            generic::walk(cx, &at, Class::Configuration, Severity::Low, &generic::none);
        } else {
            // The same hooks, grouped or ordered differently.
            let text = format!("reorders the {event} hooks");
            cx.report(Class::Cosmetic, Severity::Low, Kind::Reordered, &at, text);
        }
    }
}

fn with_matcher<'v>(xs: &[Hook<'v>], m: &str) -> Vec<Hook<'v>> {
    xs.iter().filter(|k| k.matcher == m).copied().collect()
}

/// The hooks of one event and matcher: matched by what they run, then paired.
fn compare_matcher(
    cx: &mut Ctx<'_>,
    event: &str,
    at: &str,
    base: Vec<Hook<'_>>,
    head: Vec<Hook<'_>>,
) {
    let mut removed = base;
    let mut added = Vec::new();
    for hk in head {
        match removed.iter().position(|b| b.runs() == hk.runs()) {
            Some(i) => {
                let old = removed.remove(i);
                if old.value != hk.value {
                    let text = format!(
                        "changes the settings of {event} hook `{}`",
                        clip(&hk.runs(), 60)
                    );
                    let change =
                        Change::new(Class::Configuration, Severity::Low, Kind::Changed, at, text);
                    cx.push(change, Side::Head, &hk.pointer(at));
                }
            }
            None => added.push(hk),
        }
    }
    let on = |m: &str| match m {
        "" | "*" => String::new(),
        m => format!(" on `{}`", clip(m, 40)),
    };
    let pairs = added.len().min(removed.len());
    for (old, new) in removed.iter().zip(&added) {
        let text = format!(
            "changes the {event} hook{} to run `{}` (was `{}`)",
            on(new.matcher),
            clip(&new.runs(), 60),
            clip(&old.runs(), 40)
        );
        let change = Change::new(Class::Security, Severity::High, Kind::Changed, at, text);
        cx.push(change, Side::Head, &new.pointer(at));
    }
    for new in &added[pairs..] {
        let text = format!(
            "adds a {event} hook{} running `{}`",
            on(new.matcher),
            clip(&new.runs(), 60)
        );
        let change = Change::new(Class::Security, Severity::High, Kind::Added, at, text);
        cx.push(change, Side::Head, &new.pointer(at));
    }
    for old in &removed[pairs..] {
        let runs = clip(&old.runs(), 60);
        let (class, severity, text) = match guards(event) {
            Some(what) => (
                Class::Security,
                Severity::Medium,
                format!(
                    "removes the {event} hook `{runs}`{}: it no longer checks {what}",
                    on(old.matcher)
                ),
            ),
            None => (
                Class::Configuration,
                Severity::Low,
                format!("removes the {event} hook `{runs}`{}", on(old.matcher)),
            ),
        };
        let change = Change::new(class, severity, Kind::Removed, at, text);
        cx.push(change, Side::Base, &old.pointer(at));
    }
}
