//! Settings nothing more specific knows: every differing leaf is one change of a given class.
//! This is what makes the report complete: a key Claude Code learns tomorrow still shows up.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Class, Kind, Severity, dotted};
use crate::context::{Ctx, keys, kind_of};

/// A handler for places that mean more than their leaves: returns true when it reported
/// the difference at the pointer itself.
pub(crate) type Special<'h> = &'h dyn Fn(&mut Ctx<'_>, &str) -> bool;

/// Handles nothing.
pub(crate) fn none(_: &mut Ctx<'_>, _: &str) -> bool {
    false
}

/// Reports every difference at or below `ptr`: `special` first at every level, then mappings
/// key by key, then anything else as one leaf change of `class`/`severity`.
pub(crate) fn walk(
    cx: &mut Ctx<'_>,
    ptr: &str,
    class: Class,
    severity: Severity,
    special: Special,
) {
    let (b, h) = cx.pair(ptr);
    if b == h || special(cx, ptr) {
        return;
    }
    let mapping_or_absent = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if mapping_or_absent(b) && mapping_or_absent(h) {
        for k in keys(b, h) {
            walk(cx, &pointer::join(ptr, k), class, severity, special);
        }
        return;
    }
    leaf(cx, ptr, class, severity);
}

/// One change for the value at `ptr`: set, removed, reordered or changed. String values are
/// not quoted (any of them could be a credential); booleans and numbers are.
pub(crate) fn leaf(cx: &mut Ctx<'_>, ptr: &str, class: Class, severity: Severity) {
    let (b, h) = cx.pair(ptr);
    let path = dotted(ptr);
    let (kind, text) = match (b, h) {
        (None, Some(v)) => (Kind::Added, format!("sets {path}{}", shown(" to ", v))),
        (Some(_), None) => (Kind::Removed, format!("removes {path}")),
        (Some(a), Some(v)) if same_elements(a, v) => (Kind::Reordered, format!("reorders {path}")),
        (Some(a), Some(v)) => {
            let from_to = match (shown("", a), shown("", v)) {
                (x, y) if !x.is_empty() && !y.is_empty() => format!(" from {x} to {y}"),
                _ => String::new(),
            };
            (kind_of(b, h), format!("changes {path}{from_to}"))
        }
        (None, None) => return,
    };
    // The order of an array nobody knows may matter, so it stays in its class, but low.
    let severity = if kind == Kind::Reordered {
        Severity::Low
    } else {
        severity
    };
    cx.report(class, severity, kind, ptr, text);
}

/// `prefix` and the value for booleans and numbers; nothing otherwise.
fn shown(prefix: &str, v: &Value) -> String {
    match v {
        Value::Bool(_) | Value::Number(_) => format!("{prefix}{v}"),
        _ => String::new(),
    }
}

/// Two arrays with the same elements (and counts) in another order.
pub(crate) fn same_elements(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_array(), b.as_array()) else {
        return false;
    };
    if a.len() != b.len() || a == b {
        return false;
    }
    let mut left: Vec<&Value> = b.iter().collect();
    for x in a {
        match left.iter().position(|y| *y == x) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_elements_is_a_reorder_only() {
        assert!(same_elements(&json!([1, 2, 2]), &json!([2, 1, 2])));
        assert!(!same_elements(&json!([1, 2]), &json!([1, 2])));
        assert!(!same_elements(&json!([1, 2, 2]), &json!([1, 1, 2])));
        assert!(!same_elements(&json!([1]), &json!("1")));
    }
}
