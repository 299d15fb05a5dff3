//! The two documents being compared, and the changes found so far.

use claude_env_config::MergedDocument;
use serde_json::{Map, Value};

use crate::change::{Change, Class, Kind, Severity, Source};

/// Which document a value or its provenance comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Base,
    Head,
}

pub(crate) struct Ctx<'a> {
    base: &'a MergedDocument,
    head: &'a MergedDocument,
    pub out: Vec<Change>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(base: &'a MergedDocument, head: &'a MergedDocument) -> Self {
        Ctx {
            base,
            head,
            out: Vec::new(),
        }
    }

    fn doc(&self, side: Side) -> &'a MergedDocument {
        match side {
            Side::Base => self.base,
            Side::Head => self.head,
        }
    }

    /// The value at `ptr` (RFC 6901) of one side.
    pub(crate) fn get(&self, side: Side, ptr: &str) -> Option<&'a Value> {
        self.doc(side).value.pointer(ptr)
    }

    /// Both sides' values at `ptr`.
    pub(crate) fn pair(&self, ptr: &str) -> (Option<&'a Value>, Option<&'a Value>) {
        (self.get(Side::Base, ptr), self.get(Side::Head, ptr))
    }

    /// Where the value at `ptr` was set: the leaf itself, or for a mapping or array the first
    /// leaf below it.
    pub(crate) fn source(&self, side: Side, ptr: &str) -> Option<Source> {
        let doc = self.doc(side);
        doc.provenance_of(ptr)
            .or_else(|| doc.provenance_under(ptr).next().map(|(_, p)| p))
            .map(Source::from)
    }

    /// Records a change whose cause is the value at `at` of `side`.
    pub(crate) fn push(&mut self, change: Change, side: Side, at: &str) {
        let source = self.source(side, at);
        self.out.push(change.at(source));
    }

    /// Records a change of the setting at `ptr` caused by its own value: the head's, or the
    /// base's when the head has none.
    pub(crate) fn push_here(&mut self, change: Change) {
        let ptr = change.pointer.clone();
        let side = self.side_of(&ptr);
        self.push(change, side, &ptr);
    }

    /// The side whose value explains a change at `ptr`: the head, unless it is gone there.
    pub(crate) fn side_of(&self, ptr: &str) -> Side {
        match self.get(Side::Head, ptr) {
            Some(_) => Side::Head,
            None => Side::Base,
        }
    }

    /// A shorthand for the common case.
    pub(crate) fn report(
        &mut self,
        class: Class,
        severity: Severity,
        kind: Kind,
        ptr: &str,
        explanation: impl Into<String>,
    ) {
        self.push_here(Change::new(class, severity, kind, ptr, explanation));
    }
}

/// `Added`, `Removed` or `Changed`, from which sides have a value.
pub(crate) fn kind_of(base: Option<&Value>, head: Option<&Value>) -> Kind {
    match (base, head) {
        (None, Some(_)) => Kind::Added,
        (Some(_), None) => Kind::Removed,
        _ => Kind::Changed,
    }
}

/// The keys of two optional mappings, in the head's order then the base's leftovers (stable
/// and as written).
pub(crate) fn keys<'v>(base: Option<&'v Value>, head: Option<&'v Value>) -> Vec<&'v str> {
    let obj = |v: Option<&'v Value>| v.and_then(Value::as_object);
    let mut out: Vec<&str> = obj(head)
        .into_iter()
        .flat_map(Map::keys)
        .map(String::as_str)
        .collect();
    for k in obj(base).into_iter().flat_map(Map::keys) {
        if !obj(head).is_some_and(|m| m.contains_key(k)) {
            out.push(k);
        }
    }
    out
}

/// A value of one mapping entry.
pub(crate) fn entry<'v>(v: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    v?.as_object()?.get(key)
}

/// Text for a one-line explanation: at most `max` characters, cut with `…`.
pub(crate) fn clip(text: &str, max: usize) -> String {
    let one_line = text.lines().next().unwrap_or_default();
    let cut = one_line != text.trim_end();
    if one_line.chars().count() <= max && !cut {
        return one_line.to_owned();
    }
    let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The strings of an array, if it is one and holds only strings.
pub(crate) fn strings(v: Option<&Value>) -> Option<Vec<&str>> {
    match v {
        None => Some(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(Value::as_str).collect(),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn clip_cuts_long_or_multi_line_text() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("abcdefghijkl", 5), "abcd…");
        assert_eq!(clip("first\nsecond", 40), "first…");
        assert_eq!(clip("first\n", 40), "first");
    }

    #[test]
    fn keys_keep_the_head_order_then_removed_ones() {
        let b = json!({"a": 1, "gone": 2, "b": 3});
        let h = json!({"b": 3, "a": 1, "new": 4});
        assert_eq!(keys(Some(&b), Some(&h)), ["b", "a", "new", "gone"]);
        assert_eq!(keys(None, Some(&json!(1))), Vec::<&str>::new());
    }

    #[test]
    fn strings_refuses_mixed_arrays() {
        assert_eq!(strings(Some(&json!(["a", "b"]))), Some(vec!["a", "b"]));
        assert_eq!(strings(Some(&json!(["a", 1]))), None);
        assert_eq!(strings(None), Some(vec![]));
    }
}
