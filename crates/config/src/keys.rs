//! Finding mapping entries by key without making merges quadratic. Mappings keep their
//! entries in a vector (insertion order, and most have a handful of keys, where a scan beats
//! hashing); once one grows past [`INDEX_FROM`] entries a hash index takes over, so parsing,
//! combining and merging an n-key mapping costs O(n), not O(n²). A fragment with hundreds of
//! thousands of keys is hostile input, not configuration, but it must not stall a replica.

use std::collections::HashMap;
use std::sync::Arc;

use crate::tree::Entry;

/// Mappings with more entries than this are indexed.
pub(crate) const INDEX_FROM: usize = 16;

/// A key lookup over a vector of entries the caller owns and only appends to (or marks
/// removed through [`Keys::remove`]; [`Keys::sweep`] drops the removed ones at the end).
#[derive(Default)]
pub(crate) struct Keys {
    index: Option<HashMap<Arc<str>, usize>>,
    /// Positions removed so far (empty until the first removal).
    gone: Vec<bool>,
}

impl Keys {
    /// A lookup over `entries` as they are now.
    pub(crate) fn new(entries: &[Entry]) -> Keys {
        let mut keys = Keys::default();
        keys.grow(entries);
        keys
    }

    /// The position of `key`, unless it was removed.
    pub(crate) fn find(&self, entries: &[Entry], key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => entries
                .iter()
                .enumerate()
                .position(|(i, e)| *e.key == *key && !self.is_gone(i)),
        }
    }

    /// Call after pushing an entry onto `entries`.
    pub(crate) fn pushed(&mut self, entries: &[Entry]) {
        match &mut self.index {
            Some(index) => {
                let i = entries.len() - 1;
                index.insert(entries[i].key.clone(), i);
            }
            None => self.grow(entries),
        }
    }

    /// Marks the entry at `i` removed.
    pub(crate) fn remove(&mut self, entries: &[Entry], i: usize) {
        if self.gone.len() < entries.len() {
            self.gone.resize(entries.len(), false);
        }
        self.gone[i] = true;
        if let Some(index) = &mut self.index {
            index.remove(&*entries[i].key);
        }
    }

    /// Drops the removed entries, keeping the order of the others.
    pub(crate) fn sweep(self, entries: &mut Vec<Entry>) {
        if self.gone.iter().any(|g| *g) {
            let mut i = 0;
            entries.retain(|_| {
                let keep = !self.is_gone(i);
                i += 1;
                keep
            });
        }
    }

    fn is_gone(&self, i: usize) -> bool {
        self.gone.get(i).copied().unwrap_or(false)
    }

    fn grow(&mut self, entries: &[Entry]) {
        if self.index.is_none() && entries.len() > INDEX_FROM {
            let index = entries
                .iter()
                .enumerate()
                .filter(|(i, _)| !self.is_gone(*i))
                .map(|(i, e)| (e.key.clone(), i))
                .collect();
            self.index = Some(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::testing::{at, s};

    fn entry(k: &str) -> Entry {
        Entry {
            key: k.into(),
            key_at: at(1),
            node: s(k),
        }
    }

    /// The same operations below and above the index threshold give the same answers.
    #[test]
    fn scan_and_index_agree() {
        for n in [3, INDEX_FROM + 5, 200] {
            let mut entries: Vec<Entry> = Vec::new();
            let mut keys = Keys::new(&entries);
            for i in 0..n {
                entries.push(entry(&format!("k{i}")));
                keys.pushed(&entries);
            }
            assert_eq!(keys.find(&entries, "k2"), Some(2), "n={n}");
            assert_eq!(keys.find(&entries, "absent"), None);
            keys.remove(&entries, 2);
            assert_eq!(keys.find(&entries, "k2"), None, "n={n}");
            // A removed key can come back, at the end.
            entries.push(entry("k2"));
            keys.pushed(&entries);
            assert_eq!(keys.find(&entries, "k2"), Some(n), "n={n}");
            keys.sweep(&mut entries);
            let names: Vec<&str> = entries.iter().map(|e| &*e.key).collect();
            assert_eq!(names.len(), n, "n={n}");
            assert_eq!(names[2], if n > 3 { "k3" } else { "k2" }, "n={n}");
            assert_eq!(names[n - 1], "k2");
        }
    }
}
