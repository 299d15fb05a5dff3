//! Notifications: events of the environments' state changes, sent to the
//! `NotificationProvider`s that `NotificationRule`s select, in the background.
//!
//! A reconcile only [`Notifier::publish`]es: a non-blocking push onto a bounded queue (when
//! it is full the message is dropped and counted, never waited for). One dispatcher task
//! matches rules (from watch caches), keeps one message per change and provider
//! (`claude_env_notify::dedup`), and hands each message to its provider's worker task; a
//! worker delivers in order, retrying with backoff, so a receiver that is down delays only
//! its own messages. Outcomes are counted in `claude_env_notifications_total` and shown in
//! the provider's `Ready` condition. The pure parts (payloads, rules, de-duplication,
//! retries) are in the `claude-env-notify` crate.

mod deliver;
mod dispatch;
mod provider_status;

use std::sync::Arc;

use claude_env_api::{NotificationProvider, NotificationRule};
use claude_env_notify::Event;
use futures::StreamExt;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tracing::warn;

use crate::metrics::{Metrics, NotifyResult};

/// Events waiting for the dispatcher; beyond this they are dropped (and counted).
const QUEUE: usize = 1024;

/// The reconcile's side of notifications.
#[derive(Clone)]
pub(crate) struct Notifier {
    tx: mpsc::Sender<Event>,
    metrics: Metrics,
}

impl Notifier {
    /// Start the watch caches of providers and rules and the dispatcher (in `namespace`
    /// only, or everywhere).
    pub(crate) fn start(client: Client, namespace: Option<&str>, metrics: Metrics) -> Notifier {
        let (tx, rx) = mpsc::channel(QUEUE);
        let rules = cache::<NotificationRule>(&client, namespace);
        let providers = cache::<NotificationProvider>(&client, namespace);
        let shared = Arc::new(deliver::Shared::new(client, metrics.clone()));
        tokio::spawn(dispatch::run(
            rx,
            dispatch::Dispatcher::new(rules, providers, shared),
        ));
        Notifier { tx, metrics }
    }

    /// Queue an event; never waits.
    pub(crate) fn publish(&self, event: Event) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(e)) => {
                self.metrics.notified(None, NotifyResult::Dropped);
                warn!(
                    namespace = e.namespace,
                    name = e.name,
                    kind = e.kind.name(),
                    "notification queue full: message dropped"
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// A watch cache of `K`, fed by its own task (watch errors are retried with backoff and
/// logged; a missing CRD only means no notifications).
fn cache<K>(client: &Client, namespace: Option<&str>) -> Store<K>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let (reader, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        .reflect(writer)
        .applied_objects();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                warn!(error = %e, kind = %K::kind(&()), "notification watch failed; retrying");
            }
        }
    });
    reader
}
