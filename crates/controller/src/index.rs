//! Reverse indexes kept by the watches: which cached objects point at a key (the objects
//! carrying an environment's owner labels, the environments naming one in `dependsOn`).
//!
//! A reflector `Store` answers "the object called X"; "every object pointing at X" would
//! otherwise be a sweep of the whole cache per question, and one question per environment
//! made the first reconcile of a fleet quadratic. The index is fed the same watch events as
//! the store, in the same order, so it is exactly as fresh as the store: a relist keeps the
//! old entries until it is done (as the store does) and then drops what it did not list, so
//! a watch restart (a new leader, an expired resource version) leaves no stale entry.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use kube::runtime::watcher;

use crate::lock::LockExt;

/// What a watch says about one item: it is there and points at these keys, or it is gone;
/// and the relist markers.
#[derive(Debug)]
pub(crate) enum Change<Key, Item> {
    /// The item exists and points at `keys` (none: it is kept out of the index).
    Upsert {
        item: Item,
        keys: Vec<Key>,
    },
    Delete(Item),
    /// A relist starts: what it does not list again is dropped at [`Change::RelistDone`].
    Relist,
    /// Like `Upsert`, during a relist.
    Relisted {
        item: Item,
        keys: Vec<Key>,
    },
    RelistDone,
}

/// Items by the keys they point at. Cloning shares the index.
#[derive(Clone)]
pub(crate) struct ReverseIndex<Key, Item> {
    state: Arc<Mutex<State<Key, Item>>>,
}

struct State<Key, Item> {
    by_key: HashMap<Key, BTreeSet<Item>>,
    keys_of: HashMap<Item, Vec<Key>>,
    /// The items a relist in progress has listed.
    relisted: Option<HashSet<Item>>,
}

impl<Key, Item> Default for ReverseIndex<Key, Item> {
    fn default() -> Self {
        ReverseIndex {
            state: Arc::new(Mutex::new(State {
                by_key: HashMap::new(),
                keys_of: HashMap::new(),
                relisted: None,
            })),
        }
    }
}

impl<Key, Item> ReverseIndex<Key, Item>
where
    Key: Eq + Hash + Clone,
    Item: Ord + Eq + Hash + Clone,
{
    /// The items pointing at `key`, in order.
    pub(crate) fn get(&self, key: &Key) -> Vec<Item> {
        let state = self.state.locked();
        state
            .by_key
            .get(key)
            .map(|items| items.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Applies one change.
    pub(crate) fn apply(&self, change: Change<Key, Item>) {
        let mut state = self.state.locked();
        match change {
            Change::Upsert { item, keys } => state.set(item, keys),
            Change::Delete(item) => state.set(item, Vec::new()),
            Change::Relist => state.relisted = Some(HashSet::new()),
            Change::Relisted { item, keys } => {
                if let Some(seen) = &mut state.relisted {
                    seen.insert(item.clone());
                }
                state.set(item, keys);
            }
            Change::RelistDone => {
                let Some(seen) = state.relisted.take() else {
                    return;
                };
                let gone: Vec<Item> = state
                    .keys_of
                    .keys()
                    .filter(|i| !seen.contains(*i))
                    .cloned()
                    .collect();
                for item in gone {
                    state.set(item, Vec::new());
                }
            }
        }
    }

    /// A watch-stream observer (for `inspect_ok`) feeding the index: `read` says which
    /// item an object is and which keys it points at.
    pub(crate) fn feed<K>(
        &self,
        read: impl Fn(&K) -> (Item, Vec<Key>) + Send + 'static,
    ) -> impl FnMut(&watcher::Event<K>) + Send + 'static
    where
        Key: Send + 'static,
        Item: Send + 'static,
    {
        let index = self.clone();
        move |event| {
            let change = match event {
                watcher::Event::Apply(o) => {
                    let (item, keys) = read(o);
                    Change::Upsert { item, keys }
                }
                watcher::Event::Delete(o) => Change::Delete(read(o).0),
                watcher::Event::Init => Change::Relist,
                watcher::Event::InitApply(o) => {
                    let (item, keys) = read(o);
                    Change::Relisted { item, keys }
                }
                watcher::Event::InitDone => Change::RelistDone,
            };
            index.apply(change);
        }
    }
}

impl<Key, Item> State<Key, Item>
where
    Key: Eq + Hash + Clone,
    Item: Ord + Eq + Hash + Clone,
{
    /// Makes `item` point at exactly `keys` (none: out of the index).
    fn set(&mut self, item: Item, keys: Vec<Key>) {
        if let Some(old) = self.keys_of.remove(&item) {
            for key in old {
                if let Some(items) = self.by_key.get_mut(&key) {
                    items.remove(&item);
                    if items.is_empty() {
                        self.by_key.remove(&key);
                    }
                }
            }
        }
        if keys.is_empty() {
            return;
        }
        for key in &keys {
            self.by_key
                .entry(key.clone())
                .or_default()
                .insert(item.clone());
        }
        self.keys_of.insert(item, keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Index = ReverseIndex<&'static str, u32>;

    fn upsert(item: u32, keys: &[&'static str]) -> Change<&'static str, u32> {
        Change::Upsert {
            item,
            keys: keys.to_vec(),
        }
    }

    #[test]
    fn items_are_found_by_every_key_they_point_at() {
        let index = Index::default();
        index.apply(upsert(2, &["a"]));
        index.apply(upsert(1, &["a", "b"]));
        assert_eq!(index.get(&"a"), vec![1, 2]);
        assert_eq!(index.get(&"b"), vec![1]);
        assert!(index.get(&"c").is_empty());
    }

    #[test]
    fn an_update_moves_an_item_and_a_delete_removes_it() {
        let index = Index::default();
        index.apply(upsert(1, &["a"]));
        index.apply(upsert(1, &["b"]));
        assert!(index.get(&"a").is_empty(), "no longer points at a");
        assert_eq!(index.get(&"b"), vec![1]);
        index.apply(upsert(1, &[]));
        assert!(
            index.get(&"b").is_empty(),
            "labels removed: out of the index"
        );
        index.apply(upsert(3, &["b"]));
        index.apply(Change::Delete(3));
        assert!(index.get(&"b").is_empty());
        assert!(index.state.locked().keys_of.is_empty());
        assert!(index.state.locked().by_key.is_empty());
    }

    #[test]
    fn a_relist_keeps_entries_until_done_then_drops_what_it_did_not_list() {
        let index = Index::default();
        index.apply(upsert(1, &["a"]));
        index.apply(upsert(2, &["a"]));
        index.apply(Change::Relist);
        index.apply(Change::Relisted {
            item: 2,
            keys: vec!["b"],
        });
        // Mid-relist the old answer stands for what is not listed again yet.
        assert_eq!(index.get(&"a"), vec![1]);
        index.apply(Change::RelistDone);
        assert!(index.get(&"a").is_empty(), "1 was deleted while unwatched");
        assert_eq!(index.get(&"b"), vec![2]);
    }
}
