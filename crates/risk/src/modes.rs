//! Permission modes (`permissions.defaultMode`, a sub-agent's `permissionMode`), ranked by
//! how much runs without asking.

use serde_json::Value;

use crate::change::{Class, Severity};
use crate::context::{Ctx, kind_of};
use crate::generic;

/// Least permissive first. `dontAsk` denies whatever would prompt; `plan` only reads;
/// `default` prompts; `acceptEdits` edits without asking; `auto` runs tools with background
/// checks; `bypassPermissions` never asks.
const RANKED: [&str; 6] = [
    "dontAsk",
    "plan",
    "default",
    "acceptEdits",
    "auto",
    "bypassPermissions",
];

/// Whose mode it is, for the explanation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Mode<'a> {
    /// `permissions.defaultMode`: how Claude Code starts.
    Default,
    /// A sub-agent's `permissionMode`.
    Persona(&'a str),
}

fn rank(mode: &str) -> Option<usize> {
    RANKED.iter().position(|m| *m == mode)
}

/// Compares the mode at `ptr`; absent means `default`.
pub(crate) fn compare(cx: &mut Ctx<'_>, ptr: &str, whose: Mode<'_>) {
    let (b, h) = cx.pair(ptr);
    if b == h {
        return;
    }
    match judge(b, h, whose) {
        Some((class, severity, text)) => cx.report(class, severity, kind_of(b, h), ptr, text),
        None => generic::leaf(cx, ptr, Class::Security, Severity::Medium),
    }
}

/// What changing the mode from `b` to `h` means; `None` when either is not a string.
pub(crate) fn judge(
    b: Option<&Value>,
    h: Option<&Value>,
    whose: Mode<'_>,
) -> Option<(Class, Severity, String)> {
    fn name(v: Option<&Value>) -> Option<&str> {
        v.map_or(Some("default"), Value::as_str)
    }
    let (from, to) = (name(b)?, name(h)?);
    let subject = match whose {
        Mode::Default => "starts Claude Code".to_owned(),
        Mode::Persona(p) => format!("runs sub-agent {p}"),
    };
    Some(match (rank(from), rank(to)) {
        (_, None) => (
            Class::Security,
            Severity::Medium,
            format!("{subject} in permission mode `{to}`, which claude-env does not know"),
        ),
        (Some(f), Some(t)) if f == t => (
            Class::Cosmetic,
            Severity::Low,
            format!("{subject} in `{to}` mode as before (written differently)"),
        ),
        (Some(f), Some(t)) if t > f => {
            let severity = match to {
                "bypassPermissions" => Severity::Critical,
                "auto" => Severity::High,
                _ => Severity::Medium,
            };
            let why = match to {
                "bypassPermissions" => ": no permission prompts at all",
                "auto" => ": tools run without asking",
                "acceptEdits" => ": file edits without asking",
                _ => "",
            };
            (
                Class::Security,
                severity,
                format!("{subject} in `{to}` mode (was `{from}`){why}"),
            )
        }
        _ => (
            Class::Configuration,
            Severity::Low,
            format!("{subject} in `{to}` mode (was `{from}`)"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn more_permissive_modes_are_security_and_stricter_ones_are_not() {
        let j = |a: Option<Value>, b: Option<Value>| {
            judge(a.as_ref(), b.as_ref(), Mode::Default).map(|(c, s, _)| (c, s))
        };
        let m = |s: &str| Some(json!(s));
        assert_eq!(
            j(None, m("bypassPermissions")),
            Some((Class::Security, Severity::Critical))
        );
        assert_eq!(
            j(m("plan"), m("acceptEdits")),
            Some((Class::Security, Severity::Medium))
        );
        assert_eq!(
            j(m("acceptEdits"), None),
            Some((Class::Configuration, Severity::Low))
        );
        assert_eq!(
            j(None, m("default")),
            Some((Class::Cosmetic, Severity::Low))
        );
        assert_eq!(
            j(None, m("yolo")),
            Some((Class::Security, Severity::Medium))
        );
        assert_eq!(
            j(m("yolo"), m("plan")),
            Some((Class::Configuration, Severity::Low))
        );
        assert_eq!(j(None, Some(json!(3))), None);
    }
}
