//! `settings.permissions`: the allow/ask/deny rules, the starting mode, the bypass lock and
//! the extra directories.
//!
//! A rule's effect is decided by the strongest list holding it (deny, then ask, then
//! allow); a rule in no list falls back to the mode. A change that makes a rule's effect
//! more permissive — unset → allow, ask → allow, deny → anything, ask → unset — is
//! `Security`; one that makes it stricter is `Configuration`; moving a rule without changing
//! its effect is `Configuration`/`Low`. Overlapping patterns (`Bash` vs `Bash(rm:*)`) are
//! judged rule by rule, not by what commands they match.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Change, Class, Kind, Severity};
use crate::context::{Ctx, Side, keys, strings};
use crate::generic;
use crate::modes::{self, Mode};
use crate::rule::Rule;
use crate::sets;

const PTR: &str = "/settings/permissions";
const LISTS: [&str; 3] = ["allow", "ask", "deny"];

/// What a rule does, least permissive first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Effect {
    Deny,
    Ask,
    /// In no list: the permission mode decides.
    Unset,
    Allow,
}

impl Effect {
    fn list(self) -> &'static str {
        match self {
            Effect::Deny => "deny",
            Effect::Ask => "ask",
            Effect::Unset => "",
            Effect::Allow => "allow",
        }
    }
}

/// Which of allow/ask/deny hold a rule.
type Members = [bool; 3];

fn effect(m: Members) -> Effect {
    match m {
        [_, _, true] => Effect::Deny,
        [_, true, _] => Effect::Ask,
        [true, _, _] => Effect::Allow,
        _ => Effect::Unset,
    }
}

/// The special handler for `/settings/permissions`.
pub(crate) fn compare(cx: &mut Ctx<'_>, ptr: &str) -> bool {
    if ptr != PTR {
        return false;
    }
    let (b, h) = cx.pair(PTR);
    let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if !is_map(b) || !is_map(h) {
        generic::leaf(cx, PTR, Class::Security, Severity::Medium);
        return true;
    }
    rules(cx);
    for key in keys(b, h) {
        let at = pointer::join(PTR, key);
        match key {
            "allow" | "ask" | "deny" => {}
            "defaultMode" => modes::compare(cx, &at, Mode::Default),
            "disableBypassPermissionsMode" => bypass_lock(cx, &at),
            "additionalDirectories" => directories(cx, &at),
            _ => generic::walk(
                cx,
                &at,
                Class::Configuration,
                Severity::Medium,
                &generic::none,
            ),
        }
    }
    true
}

/// One list's rules, or `None` if it is not a list of strings.
fn list<'v>(cx: &Ctx<'v>, side: Side, name: &str) -> Option<Vec<&'v str>> {
    strings(cx.get(side, &pointer::join(PTR, name)))
}

fn rules(cx: &mut Ctx<'_>) {
    let mut base: [Vec<&str>; 3] = Default::default();
    let mut head: [Vec<&str>; 3] = Default::default();
    for (i, name) in LISTS.iter().enumerate() {
        match (list(cx, Side::Base, name), list(cx, Side::Head, name)) {
            (Some(b), Some(h)) => {
                if sets::diff(&b, &h).reordered {
                    sets::reordered(cx, &pointer::join(PTR, name));
                }
                (base[i], head[i]) = (b, h);
            }
            // A malformed list: reported whole; its rules cannot be judged one by one.
            _ => generic::leaf(
                cx,
                &pointer::join(PTR, name),
                Class::Security,
                Severity::Medium,
            ),
        }
    }
    let mut all: Vec<&str> = head.iter().chain(&base).flatten().copied().collect();
    let mut seen = std::collections::HashSet::new();
    all.retain(|r| seen.insert(*r));
    for rule in all {
        let members =
            |lists: &[Vec<&str>; 3]| -> Members { [0, 1, 2].map(|i| lists[i].contains(&rule)) };
        let (b, h) = (members(&base), members(&head));
        if b != h {
            let pos = |lists: &[Vec<&str>; 3], l: &str| {
                let i = LISTS.iter().position(|x| *x == l).unwrap_or(0);
                let at = lists[i].iter().position(|r| *r == rule).unwrap_or(0);
                pointer::join(&pointer::join(PTR, l), &at.to_string())
            };
            let t = transition(&Rule::parse(rule), b, h);
            let (side, lists) = match t.side {
                Side::Base => (Side::Base, &base),
                Side::Head => (Side::Head, &head),
            };
            let at = pos(lists, t.list);
            let change = Change::new(
                t.class,
                t.severity,
                t.kind,
                &pointer::join(PTR, t.list),
                t.text,
            );
            cx.push(change, side, &at);
        }
    }
}

/// What moving one rule between lists means.
struct Transition {
    class: Class,
    severity: Severity,
    kind: Kind,
    /// The list the change is reported at.
    list: &'static str,
    /// Whose element is the cause.
    side: Side,
    text: String,
}

fn transition(rule: &Rule<'_>, b: Members, h: Members) -> Transition {
    use Effect::*;
    let (from, to) = (effect(b), effect(h));
    let raw = rule.raw;
    let t = |class, severity, kind, list, side, text: String| Transition {
        class,
        severity,
        kind,
        list,
        side,
        text,
    };
    let sec = Class::Security;
    let cfg = Class::Configuration;
    match (from, to) {
        // Same effect: the rule moved within lists that a stronger one overrides.
        _ if from == to => redundant(raw, b, h, to),
        (Unset, Allow) => {
            let sev = if rule.is_critical() {
                Severity::Critical
            } else {
                Severity::High
            };
            t(
                sec,
                sev,
                Kind::Added,
                "allow",
                Side::Head,
                format!("allows {}", rule.describe()),
            )
        }
        (Ask | Deny, Allow) => {
            let sev = if rule.is_critical() || from == Deny {
                Severity::Critical
            } else {
                Severity::High
            };
            let text = format!("turns {} rule `{raw}` into allow", from.list());
            t(sec, sev, Kind::Changed, "allow", Side::Head, text)
        }
        (Deny, Unset) => t(
            sec,
            Severity::High,
            Kind::Removed,
            "deny",
            Side::Base,
            format!("removes deny rule `{raw}`"),
        ),
        (Ask, Unset) => t(
            sec,
            Severity::Medium,
            Kind::Removed,
            "ask",
            Side::Base,
            format!("removes ask rule `{raw}`"),
        ),
        (Deny, Ask) => t(
            sec,
            Severity::Medium,
            Kind::Changed,
            "ask",
            Side::Head,
            format!("turns deny rule `{raw}` into ask"),
        ),
        (Allow, Unset) => t(
            cfg,
            Severity::Low,
            Kind::Removed,
            "allow",
            Side::Base,
            format!("removes allow rule `{raw}`"),
        ),
        (Unset, Ask | Deny) => {
            let text = format!("adds {} rule `{raw}`", to.list());
            t(cfg, Severity::Low, Kind::Added, to.list(), Side::Head, text)
        }
        (Allow | Ask, Ask | Deny) => {
            let text = format!("turns {} rule `{raw}` into {}", from.list(), to.list());
            t(
                cfg,
                Severity::Low,
                Kind::Changed,
                to.list(),
                Side::Head,
                text,
            )
        }
        // Every narrowing is one of the arms above.
        _ => redundant(raw, b, h, to),
    }
}

/// A list change that does not change what the rule does.
fn redundant(raw: &str, b: Members, h: Members, effect: Effect) -> Transition {
    let i = (0..3).find(|&i| b[i] != h[i]).unwrap_or(0);
    let (kind, side, verb) = if h[i] {
        (Kind::Added, Side::Head, "adds")
    } else {
        (Kind::Removed, Side::Base, "removes")
    };
    Transition {
        class: Class::Configuration,
        severity: Severity::Low,
        kind,
        list: LISTS[i],
        side,
        text: format!(
            "{verb} {} rule `{raw}` (no effect: the {} rule decides)",
            LISTS[i],
            effect.list()
        ),
    }
}

/// `disableBypassPermissionsMode: disable` locks bypass mode away; lifting it is security.
fn bypass_lock(cx: &mut Ctx<'_>, ptr: &str) {
    let (b, h) = cx.pair(ptr);
    let locked = |v: Option<&Value>| v.and_then(Value::as_str) == Some("disable");
    match (locked(b), locked(h)) {
        (true, false) => cx.report(
            Class::Security,
            Severity::High,
            Kind::Removed,
            ptr,
            "allows bypassPermissions mode again",
        ),
        (false, true) => cx.report(
            Class::Configuration,
            Severity::Low,
            Kind::Added,
            ptr,
            "disables bypassPermissions mode",
        ),
        _ => generic::leaf(cx, ptr, Class::Configuration, Severity::Low),
    }
}

/// Directories outside the project Claude Code may read and edit.
fn directories(cx: &mut Ctx<'_>, ptr: &str) {
    const EVERYWHERE: [&str; 7] = ["/", "//", "~", "~/", "$HOME", "${HOME}", "$HOME/"];
    let added = |d: &str| {
        let severity = if EVERYWHERE.contains(&d.trim()) {
            Severity::Critical
        } else {
            Severity::High
        };
        (
            Class::Security,
            severity,
            format!("gives Claude Code access to directory `{d}`"),
        )
    };
    let removed = |d: &str| {
        (
            Class::Configuration,
            Severity::Low,
            format!("takes directory `{d}` out of Claude Code's reach"),
        )
    };
    sets::compare(cx, ptr, Class::Security, &added, &removed);
}
