//! The watch cache of ClaudeWorkstations, and the environments their changes reconcile.
//!
//! A workstation reports on every sync and heartbeat; only what the environment's status
//! and the canary gate read (revision, doctor result, drift) reconciles it, not a heartbeat.
//! Staleness is a matter of time, seen at the environment's next reconcile (its interval).
//! The cache does not hold back readiness: a cluster without the ClaudeWorkstation CRD
//! still runs environments (the watch retries with backoff).

use claude_env_api::{ClaudeEnvironment, ClaudeWorkstation, DoctorResult};
use futures::Stream;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};

use crate::app::args::Args;

/// The cache and the stream of changed records.
pub(crate) fn watch(
    client: &Client,
    args: &Args,
) -> (
    Store<ClaudeWorkstation>,
    impl Stream<Item = Result<ClaudeWorkstation, watcher::Error>> + Send + 'static,
) {
    let api: Api<ClaudeWorkstation> = match &args.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let (reader, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default().any_semantic())
        .default_backoff()
        .modify(|w: &mut ClaudeWorkstation| w.managed_fields_mut().clear())
        .reflect(writer)
        .touched_objects()
        .predicate_filter(reported, Default::default());
    (reader, stream)
}

/// The environment a record follows (same namespace).
pub(crate) fn environment(w: &ClaudeWorkstation) -> Option<ObjectRef<ClaudeEnvironment>> {
    Some(ObjectRef::new(&w.spec.environment).within(&w.namespace()?))
}

/// What of a record the environment reads (not `lastSeenTime`).
fn reported(w: &ClaudeWorkstation) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let s = &w.spec;
    (
        &s.environment,
        &s.revision,
        &s.track,
        &s.drift.modified_files,
    )
        .hash(&mut h);
    s.doctor
        .as_ref()
        .map(|d| (d.result == DoctorResult::Healthy, &d.revision))
        .hash(&mut h);
    Some(h.finish())
}
