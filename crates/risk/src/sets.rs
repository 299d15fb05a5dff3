//! Lists Claude Code reads as sets (permission rules, directories, domains): what was added,
//! what was removed, and whether only the order changed.

use claude_env_config::pointer;

use crate::change::{Change, Class, Kind, Severity};
use crate::context::{Ctx, Side, strings};
use crate::generic;

/// Elements of a head list not in the base, and of the base not in the head, each with
/// its index on its own side (for provenance).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SetDiff<'v> {
    pub added: Vec<(usize, &'v str)>,
    pub removed: Vec<(usize, &'v str)>,
    /// The same elements, but another order or other duplicates.
    pub reordered: bool,
}

pub(crate) fn diff<'v>(base: &[&'v str], head: &[&'v str]) -> SetDiff<'v> {
    let new_in = |xs: &[&'v str], ys: &[&'v str]| -> Vec<(usize, &'v str)> {
        let mut seen = Vec::new();
        xs.iter()
            .enumerate()
            .filter(|(_, x)| !ys.contains(x))
            .filter(|(_, x)| {
                let first = !seen.contains(*x);
                seen.push(**x);
                first
            })
            .map(|(i, x)| (i, *x))
            .collect()
    };
    let added = new_in(head, base);
    let removed = new_in(base, head);
    let reordered = added.is_empty() && removed.is_empty() && base != head;
    SetDiff {
        added,
        removed,
        reordered,
    }
}

/// What one added or removed element means.
pub(crate) type Meaning = (Class, Severity, String);

/// Compares the string set at `ptr`: `added`/`removed` say what each element means; a pure
/// reorder is one cosmetic change. A value that is not a list of strings is reported whole
/// as `(odd_class, Medium)`.
pub(crate) fn compare(
    cx: &mut Ctx<'_>,
    ptr: &str,
    odd_class: Class,
    added: &dyn Fn(&str) -> Meaning,
    removed: &dyn Fn(&str) -> Meaning,
) {
    let (b, h) = cx.pair(ptr);
    if b == h {
        return;
    }
    let (Some(bs), Some(hs)) = (strings(b), strings(h)) else {
        generic::leaf(cx, ptr, odd_class, Severity::Medium);
        return;
    };
    let d = diff(&bs, &hs);
    for (i, item) in &d.added {
        let (class, severity, text) = added(item);
        let change = Change::new(class, severity, Kind::Added, ptr, text);
        cx.push(change, Side::Head, &pointer::join(ptr, &i.to_string()));
    }
    for (i, item) in &d.removed {
        let (class, severity, text) = removed(item);
        let change = Change::new(class, severity, Kind::Removed, ptr, text);
        cx.push(change, Side::Base, &pointer::join(ptr, &i.to_string()));
    }
    if d.reordered {
        reordered(cx, ptr);
    }
}

/// The one change a reordered set makes: none Claude Code acts on.
pub(crate) fn reordered(cx: &mut Ctx<'_>, ptr: &str) {
    let text = format!("reorders {}", crate::change::dotted(ptr));
    cx.report(Class::Cosmetic, Severity::Low, Kind::Reordered, ptr, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_additions_removals_and_pure_reorders() {
        let d = diff(&["a", "b", "c"], &["c", "d", "a", "d"]);
        assert_eq!(d.added, [(1, "d")]);
        assert_eq!(d.removed, [(1, "b")]);
        assert!(!d.reordered);
        assert!(diff(&["a", "b"], &["b", "a"]).reordered);
        assert!(diff(&["a", "b"], &["a", "b", "a"]).reordered);
        assert_eq!(diff(&["a"], &["a"]), SetDiff::default());
    }
}
