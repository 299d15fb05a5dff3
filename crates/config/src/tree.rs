//! The positioned document tree every fragment is parsed into and every merge works on.
//! Unlike `serde_json::Value` each node remembers the file and position that set it, which
//! is what provenance and file:line diagnostics are made of.

use std::sync::Arc;

use crate::keys::Keys;
use crate::pointer;
use crate::provenance::{Layer, Provenance};

/// A file of one layer. Shared by every node parsed from it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    pub layer: Layer,
    pub file: String,
}

/// Where a node was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct At {
    pub origin: Arc<Origin>,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub col: u32,
}

impl At {
    pub(crate) fn provenance(&self) -> Provenance {
        Provenance {
            layer: self.origin.layer.clone(),
            file: self.origin.file.clone(),
            line: self.line,
            column: self.col,
        }
    }

    /// `file:line:col`, for messages that point at a second place.
    pub(crate) fn describe(&self) -> String {
        format!("{}:{}:{}", self.origin.file, self.line, self.col)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub value: Value,
    pub at: At,
}

#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub key: Arc<str>,
    /// Where the key was written (diagnostics about a key point here).
    pub key_at: At,
    pub node: Node,
}

#[derive(Clone, Debug)]
pub(crate) enum Value {
    /// In a mapping: "no opinion", the parent layer's value stays. In a sequence: a null.
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Seq(Vec<Node>),
    /// Insertion-ordered. Documents are small, so a vector beats hashing.
    Map(Vec<Entry>),
    /// The deletion marker (`{"$patch": "delete"}` or `!delete`). The selector is what the
    /// marker carries besides itself: the element to delete from an array strategy
    /// (`!delete "Bash(rm:*)"`, `{matcher: Bash, $patch: delete}`).
    Delete(Option<Box<Node>>),
}

impl Value {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "mapping",
            Value::Delete(_) => "deletion marker",
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[Entry]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| &*e.key == key)
            .map(|e| &e.node)
    }

    /// Deep equality of the data, ignoring positions (what `union` dedupes by).
    pub(crate) fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.value.same(&y.value))
            }
            (Value::Map(a), Value::Map(b)) => {
                let keys = Keys::new(b);
                a.len() == b.len()
                    && a.iter().all(|e| {
                        keys.find(b, &e.key)
                            .is_some_and(|i| b[i].node.value.same(&e.node.value))
                    })
            }
            (Value::Delete(a), Value::Delete(b)) => match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.value.same(&b.value),
                _ => false,
            },
            _ => false,
        }
    }
}

impl Node {
    /// Plain JSON. Nulls in mappings and deletion markers are left out: in a fragment they
    /// are merge instructions, not data (and in a merged tree there are none).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null | Value::Delete(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(
                items
                    .iter()
                    .filter(|n| !matches!(n.value, Value::Delete(_)))
                    .map(Node::to_json)
                    .collect(),
            ),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .filter(|e| !matches!(e.node.value, Value::Null | Value::Delete(_)))
                    .map(|e| (e.key.to_string(), e.node.to_json()))
                    .collect(),
            ),
        }
    }

    /// The position that best answers "where is `pointer`?": the node itself, or for a
    /// place that does not exist (a missing required key) the deepest existing ancestor.
    pub(crate) fn locate(&self, pointer: &str) -> &At {
        let mut node = self;
        for token in pointer::tokens(pointer) {
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| *e.key == *token).map(|e| &e.node),
                Value::Seq(items) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| data_item(items, i)),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        &node.at
    }

    /// Where the key of the entry at `pointer` was written, if it exists (additional
    /// property errors point at the key, not the value).
    pub(crate) fn locate_key(&self, pointer: &str) -> Option<&At> {
        let mut node = self;
        let mut key_at = None;
        for token in pointer::tokens(pointer) {
            match &node.value {
                Value::Map(entries) => {
                    let e = entries.iter().find(|e| *e.key == *token)?;
                    key_at = Some(&e.key_at);
                    node = &e.node;
                }
                Value::Seq(items) => {
                    node = data_item(items, token.parse::<usize>().ok()?)?;
                    key_at = None;
                }
                _ => return None,
            }
        }
        key_at
    }

    /// Calls `f(parent key, string, position)` for every string in the tree, including
    /// deletion selectors (a secret is a secret wherever it is written).
    pub(crate) fn for_each_string<'a>(
        &'a self,
        f: &mut impl FnMut(Option<&'a str>, &'a str, &'a At),
    ) {
        self.walk_strings(None, f);
    }

    fn walk_strings<'a>(
        &'a self,
        key: Option<&'a str>,
        f: &mut impl FnMut(Option<&'a str>, &'a str, &'a At),
    ) {
        match &self.value {
            Value::Str(s) => f(key, s, &self.at),
            Value::Seq(items) => items.iter().for_each(|n| n.walk_strings(key, f)),
            Value::Map(entries) => entries
                .iter()
                .for_each(|e| e.node.walk_strings(Some(&e.key), f)),
            Value::Delete(Some(sel)) => sel.walk_strings(key, f),
            _ => {}
        }
    }
}

/// Element `i` of an array as [`Node::to_json`] numbers them (deletion markers left out), so
/// schema error paths on a fragment find the right element.
fn data_item(items: &[Node], i: usize) -> Option<&Node> {
    items
        .iter()
        .filter(|n| !matches!(n.value, Value::Delete(_)))
        .nth(i)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::provenance::LayerKind;

    pub(crate) fn at(line: u32) -> At {
        At {
            origin: Arc::new(Origin {
                layer: Layer {
                    kind: LayerKind::Base,
                    name: None,
                },
                file: "base/t.yaml".into(),
            }),
            line,
            col: 1,
        }
    }

    pub(crate) fn node(value: Value) -> Node {
        Node { value, at: at(1) }
    }

    pub(crate) fn map(entries: Vec<(&str, Node)>) -> Node {
        node(Value::Map(
            entries
                .into_iter()
                .map(|(k, n)| Entry {
                    key: k.into(),
                    key_at: at(1),
                    node: n,
                })
                .collect(),
        ))
    }

    pub(crate) fn s(v: &str) -> Node {
        node(Value::Str(v.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn same_ignores_positions_and_key_order() {
        let a = map(vec![("x", s("1")), ("y", s("2"))]);
        let mut b = map(vec![("y", s("2")), ("x", s("1"))]);
        b.at = at(40);
        assert!(a.value.same(&b.value));
        assert!(!a.value.same(&map(vec![("x", s("1"))]).value));
    }

    #[test]
    fn int_and_float_are_different_values() {
        assert!(!Value::Int(1).same(&Value::Float(1.0)));
    }

    #[test]
    fn to_json_drops_null_entries_and_markers() {
        let n = map(vec![
            ("a", node(Value::Null)),
            ("b", node(Value::Delete(None))),
            (
                "c",
                node(Value::Seq(vec![
                    node(Value::Null),
                    node(Value::Delete(None)),
                ])),
            ),
        ]);
        assert_eq!(n.to_json(), serde_json::json!({"c": [null]}));
    }

    #[test]
    fn locate_falls_back_to_the_deepest_existing_ancestor() {
        let mut inner = map(vec![("b", s("x"))]);
        inner.at = at(5);
        let mut leaf = s("v");
        leaf.at = at(9);
        let root = map(vec![("a", inner), ("l", node(Value::Seq(vec![leaf])))]);
        assert_eq!(root.locate("/a/missing/deeper").line, 5);
        assert_eq!(root.locate("/l/0").line, 9);
        assert_eq!(root.locate("/l/7").line, 1);
    }
}
