//! Merging one layer's tree onto the merged result of the layers below it
//! (docs/config-repo.md): maps deep-merge; scalars override; arrays replace unless a
//! strategy says otherwise; `null` keeps the parent value; the deletion marker removes an
//! inherited key.
//!
//! Provenance falls out of the tree: every node that survives carries the position it was
//! written at, and a node from a higher layer replaces (or, for containers, re-stamps) the
//! lower one, so a leaf always names the highest layer that set it.

use std::sync::Arc;

use crate::diagnostics::Diagnostic;
use crate::keys::Keys;
use crate::pointer;
use crate::rules;
use crate::strategy::{Step, Strategies, Strategy};
use crate::tree::{At, Entry, Node, Value};

/// Where the merge is in the document, and what it found wrong.
pub(crate) struct Cursor<'s> {
    strategies: &'s Strategies,
    steps: Vec<Step>,
    pointer: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'s> Cursor<'s> {
    pub(crate) fn new(strategies: &'s Strategies) -> Self {
        Self {
            strategies,
            steps: Vec::new(),
            pointer: String::new(),
            diagnostics: Vec::new(),
        }
    }

    pub(crate) fn strategy(&self) -> &'s Strategy {
        self.strategies.lookup(&self.steps)
    }

    pub(crate) fn pointer(&self) -> &str {
        &self.pointer
    }

    /// Runs `f` one step deeper: a mapping key, or (`key == None`) array element `index`.
    pub(crate) fn enter<R>(
        &mut self,
        key: Option<&Arc<str>>,
        index: usize,
        f: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let len = self.pointer.len();
        match key {
            Some(k) => {
                self.steps.push(Step::Key(k.clone()));
                pointer::push(&mut self.pointer, k);
            }
            None => {
                self.steps.push(Step::Item);
                pointer::push(&mut self.pointer, &index.to_string());
            }
        }
        let r = f(self);
        self.steps.pop();
        self.pointer.truncate(len);
        r
    }

    pub(crate) fn report(&mut self, rule: &'static str, at: &At, msg: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(rule, &at.origin.file, msg).at(at.line, at.col));
    }
}

/// `higher` merged onto nothing: what a layer contributes where no lower layer has a value.
/// Nulls and deletion markers in mappings vanish (nothing to keep or delete); arrays still
/// go through their strategy (union dedupes, merge-by-key checks keys).
pub(crate) fn fresh(higher: &Node, cur: &mut Cursor) -> Option<Node> {
    let empty = match &higher.value {
        Value::Null | Value::Delete(_) => return None,
        Value::Map(_) => Value::Map(Vec::new()),
        Value::Seq(_) => Value::Seq(Vec::new()),
        _ => return Some(higher.clone()),
    };
    let mut node = Node {
        value: empty,
        at: higher.at.clone(),
    };
    merge_into(&mut node, higher, cur);
    Some(node)
}

/// Merges `higher` onto `lower` in place.
pub(crate) fn merge_into(lower: &mut Node, higher: &Node, cur: &mut Cursor) {
    match (&mut lower.value, &higher.value) {
        (_, Value::Null) => {}
        (Value::Map(lo), Value::Map(hi)) => {
            // A container re-stamped by a higher layer: an empty one names that layer.
            lower.at = higher.at.clone();
            let mut keys = Keys::new(lo);
            for e in hi {
                cur.enter(Some(&e.key), 0, |cur| merge_entry(lo, &mut keys, e, cur));
            }
            keys.sweep(lo);
        }
        (Value::Seq(lo), Value::Seq(hi)) => {
            lower.at = higher.at.clone();
            let strategy = cur.strategy();
            merge_seq(lo, hi, strategy, cur);
        }
        // Anything else is an override, including a change of type (map → scalar, ...).
        _ => {
            if let Some(n) = fresh(higher, cur) {
                *lower = n;
            }
        }
    }
}

fn merge_entry(lo: &mut Vec<Entry>, keys: &mut Keys, e: &Entry, cur: &mut Cursor) {
    match &e.node.value {
        Value::Null => {}
        Value::Delete(selector) => {
            if selector.is_some() {
                cur.report(
                    rules::PATCH_MARKER,
                    &e.node.at,
                    format!(
                        "`{}`: a deletion marker with a value selects array elements; on a key it takes none",
                        cur.pointer()
                    ),
                );
            }
            if let Some(i) = keys.find(lo, &e.key) {
                keys.remove(lo, i);
            }
        }
        _ => match keys.find(lo, &e.key) {
            Some(i) => {
                let x = &mut lo[i];
                x.key_at = e.key_at.clone();
                merge_into(&mut x.node, &e.node, cur);
            }
            None => {
                if let Some(node) = fresh(&e.node, cur) {
                    lo.push(Entry {
                        key: e.key.clone(),
                        key_at: e.key_at.clone(),
                        node,
                    });
                    keys.pushed(lo);
                }
            }
        },
    }
}

/// An array element on its own: nulls are data here, not "keep the parent".
fn fresh_item(n: &Node, cur: &mut Cursor) -> Option<Node> {
    match n.value {
        Value::Null => Some(n.clone()),
        _ => fresh(n, cur),
    }
}

fn merge_seq(lo: &mut Vec<Node>, hi: &[Node], strategy: &Strategy, cur: &mut Cursor) {
    match strategy {
        Strategy::Replace => {
            let mut out = Vec::with_capacity(hi.len());
            for h in hi {
                if let Value::Delete(_) = h.value {
                    let msg = format!(
                        "`{}`: a deletion marker in an array that replaces the inherited one means nothing (give the path a union, append or merge-by-key strategy)",
                        cur.pointer()
                    );
                    cur.report(rules::PATCH_MARKER, &h.at, msg);
                } else if let Some(n) = fresh_item(h, cur) {
                    out.push(n);
                }
            }
            *lo = out;
        }
        Strategy::Union | Strategy::Append => {
            let union = *strategy == Strategy::Union;
            for h in hi {
                match &h.value {
                    Value::Delete(Some(sel)) => lo.retain(|x| !x.value.same(&sel.value)),
                    Value::Delete(None) => {
                        let msg = format!(
                            "`{}`: `!delete` in an array needs the value to delete",
                            cur.pointer()
                        );
                        cur.report(rules::PATCH_MARKER, &h.at, msg);
                    }
                    _ => {
                        let Some(item) = fresh_item(h, cur) else {
                            continue;
                        };
                        match lo.iter_mut().find(|x| union && x.value.same(&item.value)) {
                            // Already inherited: keep its place, name the higher layer.
                            Some(x) => *x = item,
                            None => lo.push(item),
                        }
                    }
                }
            }
        }
        Strategy::MergeByKey(field) => merge_by_key(lo, hi, field, cur),
    }
}

fn merge_by_key(lo: &mut Vec<Node>, hi: &[Node], field: &str, cur: &mut Cursor) {
    // Elements of `lo` this array already matched or added: meeting one again is a
    // duplicate key within one layer's array.
    let mut touched = vec![false; lo.len()];
    for h in hi {
        let (key, delete) = match &h.value {
            Value::Map(_) => (h.value.get(field), false),
            Value::Delete(Some(sel)) => match sel.value {
                Value::Map(_) => (sel.value.get(field), true),
                // `- !delete Bash`: the selector is the key itself.
                _ => (Some(&**sel), true),
            },
            _ => (None, false),
        };
        let Some(key) = key else {
            let msg = format!(
                "`{}`: an element of this merge-by-key array needs a `{field}` field",
                cur.pointer()
            );
            cur.report(rules::MERGE_KEY_MISSING, &h.at, msg);
            continue;
        };
        let found = lo
            .iter()
            .position(|x| x.value.get(field).is_some_and(|k| k.value.same(&key.value)));
        match (found, delete) {
            (Some(i), true) => {
                lo.remove(i);
                touched.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => {
                if touched[i] {
                    let msg = format!(
                        "`{}`: two elements with the same `{field}` in one layer; merge them into one",
                        cur.pointer()
                    );
                    cur.report(rules::MERGE_KEY_DUPLICATE, &h.at, msg);
                }
                touched[i] = true;
                cur.enter(None, i, |cur| merge_into(&mut lo[i], h, cur));
            }
            (None, false) => {
                let i = lo.len();
                if let Some(n) = cur.enter(None, i, |cur| fresh(h, cur)) {
                    lo.push(n);
                    touched.push(true);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
