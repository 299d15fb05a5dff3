//! The public merged document: plain JSON plus the provenance of every leaf, and its typed
//! form.

use std::collections::BTreeMap;

use crate::model::Document;
use crate::pointer;
use crate::provenance::{MergedDocument, Provenance};
use crate::tree::{Node, Value};

#[derive(Debug, thiserror::Error)]
#[error("the merged document does not fit the document model: {0}")]
pub struct DocumentError(#[from] serde_json::Error);

pub(crate) fn to_merged(root: &Node) -> MergedDocument {
    with_value(root, root.to_json())
}

/// The document of `root`, whose JSON form the caller already has.
pub(crate) fn with_value(root: &Node, value: serde_json::Value) -> MergedDocument {
    let mut provenance = BTreeMap::new();
    let mut ptr = String::new();
    leaves(root, &mut ptr, &mut provenance);
    MergedDocument { value, provenance }
}

/// Scalars and empty containers are leaves; array elements are addressed by index. The
/// root itself is never a leaf.
fn leaves(node: &Node, ptr: &mut String, out: &mut BTreeMap<String, Provenance>) {
    let len = ptr.len();
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => {
            for e in entries {
                pointer::push(ptr, &e.key);
                leaves(&e.node, ptr, out);
                ptr.truncate(len);
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            for (i, n) in items.iter().enumerate() {
                pointer::push(ptr, &i.to_string());
                leaves(n, ptr, out);
                ptr.truncate(len);
            }
        }
        _ if ptr.is_empty() => {}
        _ => {
            out.insert(ptr.clone(), node.at.provenance());
        }
    }
}

impl MergedDocument {
    /// The typed document. Validation ([`crate::ParsedRepo::load`]) makes this succeed;
    /// after a bare merge it may not.
    pub fn document(&self) -> Result<Document, DocumentError> {
        Ok(Document::deserialize(&self.value)?)
    }

    /// Where the leaf at `pointer` (RFC 6901) was set: the highest layer that set it.
    pub fn provenance_of(&self, pointer: &str) -> Option<&Provenance> {
        self.provenance.get(pointer)
    }

    /// Every leaf at or below `pointer`, in pointer order (`""` for all of them).
    pub fn provenance_under<'a>(
        &'a self,
        pointer: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Provenance)> {
        // Descendants are exactly the keys in [pointer + "/", pointer + "0"): '0' follows '/'.
        let below = self
            .provenance
            .range(format!("{pointer}/")..format!("{pointer}0"));
        self.provenance
            .get_key_value(pointer)
            .into_iter()
            .chain(below)
            .map(|(p, v)| (p.as_str(), v))
    }
}

use serde::Deserialize;
