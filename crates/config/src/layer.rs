//! One layer's document from its fragments. Fragments deep-merge like layers do, with one
//! difference: they have no order of precedence (lexical file order is an accident of
//! naming), so two files setting the same leaf is an error naming both, never a silent
//! override. Arrays with a strategy other than `replace` are the exception by design: their
//! elements from several files are combined (in file order), since that is what the
//! strategy asks for.

use crate::keys::Keys;
use crate::merge::Cursor;
use crate::rules;
use crate::strategy::Strategy;
use crate::tree::{Entry, Node, Value};

/// Adds one fragment (a mapping) to the layer's tree.
pub(crate) fn add_fragment(layer: &mut Node, fragment: &Node, cur: &mut Cursor) {
    combine(layer, fragment, cur);
}

fn combine(acc: &mut Node, next: &Node, cur: &mut Cursor) {
    match (&mut acc.value, &next.value) {
        (_, Value::Null) => {}
        // A null written in one file is no opinion: the other file's value stands.
        (Value::Null, _) => *acc = next.clone(),
        (Value::Map(a), Value::Map(n)) => {
            let mut keys = Keys::new(a);
            for e in n {
                cur.enter(Some(&e.key), 0, |cur| combine_entry(a, &mut keys, e, cur));
            }
        }
        (Value::Seq(a), Value::Seq(n)) if *cur.strategy() != Strategy::Replace => {
            match cur.strategy() {
                Strategy::MergeByKey(field) => combine_by_key(a, n, field, cur),
                _ => a.extend(n.iter().cloned()),
            }
        }
        _ => {
            let msg = format!(
                "`{}` is also set at {}; one layer may set a value in only one file",
                display_pointer(cur.pointer()),
                acc.at.describe()
            );
            cur.report(rules::AMBIGUOUS_LEAF, &next.at, msg);
        }
    }
}

fn combine_entry(a: &mut Vec<Entry>, keys: &mut Keys, e: &Entry, cur: &mut Cursor) {
    if let Value::Null = e.node.value {
        return;
    }
    match keys.find(a, &e.key) {
        Some(i) => combine(&mut a[i].node, &e.node, cur),
        None => {
            a.push(e.clone());
            keys.pushed(a);
        }
    }
}

/// Elements with equal keys from different files are combined leaf by leaf; everything
/// else (new keys, keyless elements, deletion markers) is appended for the cross-layer
/// merge to apply or report.
fn combine_by_key(a: &mut Vec<Node>, n: &[Node], field: &str, cur: &mut Cursor) {
    let from_before = a.len();
    for item in n {
        let key = match item.value {
            Value::Map(_) => item.value.get(field),
            _ => None,
        };
        let found = key.and_then(|k| {
            a[..from_before]
                .iter()
                .position(|x| x.value.get(field).is_some_and(|xk| xk.value.same(&k.value)))
        });
        match found {
            // The key field matched, so it is the one leaf both files may write.
            Some(i) => cur.enter(None, i, |cur| {
                combine(&mut a[i], &without(item, field), cur)
            }),
            None => a.push(item.clone()),
        }
    }
}

fn without(item: &Node, field: &str) -> Node {
    let mut n = item.clone();
    if let Value::Map(entries) = &mut n.value {
        entries.retain(|e| &*e.key != field);
    }
    n
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
