//! Everything the API server showed of some objects, in order: a watch sees every write, so a
//! state that lasted a few milliseconds between two polls is still recorded. Proofs like
//! "each canary step in order" or "the stable template never changed" read the timeline
//! instead of hoping a poll lands at the right moment.

use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::Resource;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use serde::de::DeserializeOwned;

use crate::wait;

/// One observation and when it was made.
#[derive(Clone, Debug)]
pub struct Seen<T> {
    pub at: Instant,
    /// The object was deleted (the value is its last state).
    pub deleted: bool,
    pub value: T,
}

/// Observations keyed by object name, in the order they were made.
type Log<T> = Arc<Mutex<Vec<(String, Seen<T>)>>>;

/// The values `map` takes from every event of a watch, consecutive duplicates dropped per
/// object (keyed by name). Stops when dropped.
pub struct Timeline<T> {
    seen: Log<T>,
    listed: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl<T: Clone + PartialEq + Debug + Send + 'static> Timeline<T> {
    /// Watches `api` with `config`; `map` returns `None` for events to leave out.
    pub fn start<K>(
        api: Api<K>,
        config: watcher::Config,
        map: impl Fn(&K) -> Option<T> + Send + 'static,
    ) -> Timeline<T>
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
        K::DynamicType: Default,
    {
        let seen: Log<T> = Arc::default();
        let listed = Arc::new(AtomicBool::new(false));
        let (s, l) = (seen.clone(), listed.clone());
        let task = tokio::spawn(async move {
            let mut stream = watcher::watcher(api, config).boxed();
            while let Some(event) = stream.next().await {
                let (obj, deleted) = match event {
                    Ok(Event::Apply(o) | Event::InitApply(o)) => (o, false),
                    Ok(Event::Delete(o)) => (o, true),
                    Ok(Event::InitDone) => {
                        l.store(true, Ordering::SeqCst);
                        continue;
                    }
                    Ok(Event::Init) | Err(_) => continue,
                };
                let Some(value) = map(&obj) else { continue };
                let name = obj.meta().name.clone().unwrap_or_default();
                let mut v = s.lock().unwrap();
                let last = v.iter().rev().find(|(n, _)| *n == name).map(|(_, x)| x);
                if last.is_some_and(|x| x.value == value && x.deleted == deleted) {
                    continue;
                }
                v.push((
                    name,
                    Seen {
                        at: Instant::now(),
                        deleted,
                        value,
                    },
                ));
            }
        });
        Timeline { seen, listed, task }
    }

    /// Waits until the watch has listed what exists (later changes are all seen).
    pub async fn listed(self) -> Self {
        let l = self.listed.clone();
        wait::until("watch listed", Duration::from_secs(30), || async {
            if l.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("not yet".into())
            }
        })
        .await;
        self
    }

    /// Everything seen so far, oldest first: (object name, observation).
    pub fn all(&self) -> Vec<(String, Seen<T>)> {
        self.seen.lock().unwrap().clone()
    }

    /// The values seen of object `name`, oldest first (deletions left out).
    pub fn of(&self, name: &str) -> Vec<T> {
        self.all()
            .into_iter()
            .filter(|(n, s)| n == name && !s.deleted)
            .map(|(_, s)| s.value)
            .collect()
    }

    /// Whether object `name` was seen deleted.
    pub fn deleted(&self, name: &str) -> bool {
        self.all().iter().any(|(n, s)| n == name && s.deleted)
    }
}

impl<T> Drop for Timeline<T> {
    fn drop(&mut self) {
        self.task.abort();
    }
}
