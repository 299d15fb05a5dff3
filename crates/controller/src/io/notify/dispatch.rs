//! The dispatcher: each event to the providers its rules select, once per change and
//! provider, each provider's messages to its own worker.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use claude_env_api::{NotificationProvider, NotificationRule};
use claude_env_notify::dedup::Recent;
use claude_env_notify::{Event, rules};
use kube::ResourceExt;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::deliver::{self, Shared};
use crate::metrics::NotifyResult;

/// Changes remembered for de-duplication (per provider).
const REMEMBERED: usize = 8192;
/// Messages waiting per provider (a receiver that is down holds its worker).
const PER_PROVIDER: usize = 256;
/// How long the first events wait for the rule and provider caches.
const CACHE_WAIT: Duration = Duration::from_secs(30);

pub(super) struct Dispatcher {
    rules: Store<NotificationRule>,
    providers: Store<NotificationProvider>,
    recent: Recent,
    workers: HashMap<ObjectRef<NotificationProvider>, mpsc::Sender<Event>>,
    shared: Arc<Shared>,
}

impl Dispatcher {
    pub(super) fn new(
        rules: Store<NotificationRule>,
        providers: Store<NotificationProvider>,
        shared: Arc<Shared>,
    ) -> Dispatcher {
        Dispatcher {
            rules,
            providers,
            recent: Recent::new(REMEMBERED),
            workers: HashMap::new(),
            shared,
        }
    }

    /// Send `event` to every provider a rule of its namespace selects.
    fn dispatch(&mut self, event: &Event) {
        let mut targets = HashSet::new();
        for rule in self.rules.state() {
            if rule.namespace().as_deref() != Some(event.namespace.as_str())
                || !rules::selects(&rule.spec, event)
            {
                continue;
            }
            for r in &rule.spec.provider_refs {
                targets.insert(ObjectRef::new(&r.name).within(&event.namespace));
            }
        }
        for key in targets {
            let Some(provider) = self.providers.get(&key) else {
                warn!(provider = %key, "a NotificationRule names a missing NotificationProvider");
                continue;
            };
            if provider.spec.suspend || !self.recent.first_time(&key.to_string(), &event.key()) {
                continue;
            }
            self.enqueue(key, &provider, event.clone());
        }
    }

    /// Hand the event to the provider's worker, starting one when there is none.
    fn enqueue(
        &mut self,
        key: ObjectRef<NotificationProvider>,
        provider: &NotificationProvider,
        event: Event,
    ) {
        let event = match self.workers.get(&key) {
            Some(tx) => match tx.try_send(event) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.shared
                        .metrics
                        .notified(Some(provider.spec.type_), NotifyResult::Dropped);
                    warn!(provider = %key, "provider queue full: message dropped");
                    return;
                }
                // The worker went idle and stopped: start a new one.
                Err(mpsc::error::TrySendError::Closed(e)) => e,
            },
            None => event,
        };
        let (tx, rx) = mpsc::channel(PER_PROVIDER);
        tx.try_send(event).expect("a new queue has room");
        tokio::spawn(deliver::worker(
            self.shared.clone(),
            self.providers.clone(),
            key.clone(),
            rx,
        ));
        self.workers.insert(key, tx);
    }
}

/// Dispatch events until the queue closes.
pub(super) async fn run(mut rx: mpsc::Receiver<Event>, mut d: Dispatcher) {
    let mut waited = false;
    while let Some(event) = rx.recv().await {
        if !waited {
            // Events of the first reconciles wait for the caches, not for nothing.
            for ready in [
                tokio::time::timeout(CACHE_WAIT, d.rules.wait_until_ready()).await,
                tokio::time::timeout(CACHE_WAIT, d.providers.wait_until_ready()).await,
            ] {
                if !matches!(ready, Ok(Ok(()))) {
                    warn!("notification caches not ready; dispatching with what they have");
                }
            }
            waited = true;
        }
        debug!(
            namespace = event.namespace,
            name = event.name,
            kind = event.kind.name(),
            "dispatching"
        );
        d.dispatch(&event);
    }
}
