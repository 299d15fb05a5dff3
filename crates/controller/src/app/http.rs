//! `/metrics`, `/healthz` and `/readyz` on `--metrics-addr`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::metrics::Metrics;

/// Readiness: true once the watch caches have synced (or, on a standby replica, once it
/// is waiting for the lease — it is ready to take over).
#[derive(Clone, Default)]
pub(crate) struct Readiness(Arc<AtomicBool>);

impl Readiness {
    pub(crate) fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }
    pub(crate) fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Turns readiness on once every watch cache has its first listing.
///
/// Fed by the watch streams themselves (their first `InitDone`), not by
/// `Store::wait_until_ready`: kube-runtime 5.0 keeps one waker per store, so a second waiter
/// next to the Controller's own could sleep forever (seen: a controller never ready after
/// its environments' CRD was created).
#[derive(Clone)]
pub(crate) struct InitialSync {
    pending: Arc<AtomicUsize>,
    ready: Readiness,
}

impl InitialSync {
    pub(crate) fn new(caches: usize, ready: Readiness) -> Self {
        InitialSync {
            pending: Arc::new(AtomicUsize::new(caches)),
            ready,
        }
    }

    /// A callback for one cache's watch events: the first `InitDone` counts, relists do not.
    pub(crate) fn cache<K>(
        &self,
    ) -> impl FnMut(&kube::runtime::watcher::Event<K>) + Send + 'static {
        let (sync, mut listed) = (self.clone(), false);
        move |event| {
            if !listed && matches!(event, kube::runtime::watcher::Event::InitDone) {
                listed = true;
                if sync.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                    tracing::info!("caches synced; ready");
                    sync.ready.set(true);
                }
            }
        }
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    ready: Readiness,
}

pub(crate) fn router(metrics: Metrics, ready: Readiness) -> Router {
    Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { metrics, ready })
}

async fn metrics_handler(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    if s.ready.get() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches not synced")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::watcher::Event;

    #[test]
    fn ready_only_after_every_cache_listed_once() {
        let ready = Readiness::default();
        let sync = InitialSync::new(2, ready.clone());
        let (mut a, mut b) = (sync.cache::<()>(), sync.cache::<()>());
        a(&Event::Init);
        a(&Event::InitDone);
        assert!(!ready.get(), "one of two caches listed");
        // A relist of the same cache is not the other cache's listing.
        a(&Event::Init);
        a(&Event::InitDone);
        assert!(!ready.get(), "a relist counted as another cache");
        b(&Event::Apply(()));
        assert!(!ready.get());
        b(&Event::InitDone);
        assert!(ready.get());
    }
}
