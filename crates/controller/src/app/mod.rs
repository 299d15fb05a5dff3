//! The process: flags (`args`), HTTP servers (`http`: metrics and health; `webhook`), leader
//! election (`leader`), and here the wiring of watch caches and the controller loop.

pub(crate) mod args;
pub(crate) mod http;
pub(crate) mod leader;
pub(crate) mod webhook;
mod workstations;

use std::sync::Arc;

use anyhow::Context as _;
use claude_env_api::{ClaudeEnvironment, ObjectKey, ObjectKind, annotations, labels};
use claude_env_source::git::{BackoffPolicy, GitCache};
use futures::{Stream, StreamExt, TryStreamExt, future};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::runtime::controller::{self, Controller};
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, predicates, watcher};
use kube::{Api, Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tracing::warn;

use crate::app::args::Args;
use crate::app::http::{InitialSync, Readiness};
use crate::context::{Context, OwnedIndex, Stores};
use crate::decisions::egress::Egress;
use crate::decisions::{ownership, shard, slim_cache};
use crate::index::ReverseIndex;
use crate::io::announce::Governance;
use crate::io::audit::AuditLog;
use crate::io::notify::Notifier;
use crate::io::sources::Sources;
use crate::metrics::Metrics;
use crate::own_writes::{AppliedVersions, OwnWrites};
use crate::reconcile::{error_policy, reconcile};

/// Run the controller until `shutdown` resolves.
pub(crate) async fn run(
    client: Client,
    args: &Args,
    metrics: Metrics,
    ready: Readiness,
    leader_slot: webhook::LeaderSlot,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let cache = GitCache::new(&args.cache_dir)
        .with_context(|| format!("git cache in {}", args.cache_dir.display()))?
        .allow_local_urls(args.allow_local_urls)
        .with_socket_timeout(args.git_socket_timeout)
        .with_max_bytes(args.cache_max_bytes);
    let sources = Arc::new(Sources::new(cache, args.snapshot_limits(), metrics.clone()));

    let envs: Api<ClaudeEnvironment> = match &args.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let mut env_config = watcher::Config::default().any_semantic();
    if let Some(selector) = &args.label_selector {
        env_config = env_config.labels(selector);
    }
    let (env_reader, env_writer) = reflector::store();
    // Status writes do not change generation or annotations: no reconcile for our own writes.
    let synced = InitialSync::new(4, ready);
    let (dependents, owned_index) = (ReverseIndex::default(), OwnedIndex::default());
    let (own_writes, applied_versions) = (OwnWrites::default(), AppliedVersions::default());
    let env_stream = watcher(envs, env_config)
        .default_backoff()
        .modify(|e: &mut ClaudeEnvironment| e.managed_fields_mut().clear())
        .reflect(env_writer)
        .inspect_ok(synced.cache())
        .inspect_ok(dependents.feed(depends_on))
        .inspect_ok(own_writes.feed())
        .touched_objects()
        .predicate_filter(spec_or_steering, Default::default());

    // Each shard caches only its own environments' objects (`decisions::shard`).
    let managed_by = format!("{}={}", labels::MANAGED_BY, labels::MANAGED_BY_VALUE);
    let owned = watcher::Config::default()
        .labels(&shard::object_selector(
            &managed_by,
            &args.policy().shard_labels,
        ))
        .any_semantic();
    let (deployments, dep_stream) = owned_watch::<Deployment>(
        (&client, args, &synced),
        owned.clone(),
        (ObjectKind::Deployment, &owned_index, &applied_versions),
        |_| (),
    );
    let (services, svc_stream) = owned_watch::<Service>(
        (&client, args, &synced),
        owned.clone(),
        (ObjectKind::Service, &owned_index, &applied_versions),
        |_| (),
    );
    let (config_maps, cm_stream) = owned_watch::<ConfigMap>(
        (&client, args, &synced),
        owned,
        (ObjectKind::ConfigMap, &owned_index, &applied_versions),
        slim_cache::strip,
    );
    let (workstations, cws_stream) = workstations::watch(&client, args);

    let stores = Stores {
        environments: env_reader.clone(),
        deployments,
        services,
        config_maps,
        workstations,
        owned: owned_index,
        dependents,
    };
    let (trigger_tx, trigger_rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(context(
        client.clone(),
        args,
        metrics,
        sources.clone(),
        (stores, own_writes, applied_versions),
        trigger_tx.clone(),
    )?);

    *leader_slot
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(webhook::LeaderPath {
        sources: sources.clone(),
        environments: env_reader.clone(),
        trigger: trigger_tx,
    });

    let owner = |obj: &dyn OwnerLabels| obj.owner();
    Controller::for_stream(env_stream, env_reader)
        .watches_stream(dep_stream, move |o: Deployment| owner(&o))
        .watches_stream(svc_stream, move |o: Service| owner(&o))
        .watches_stream(cm_stream, move |o: ConfigMap| owner(&o))
        .watches_stream(cws_stream, |w| workstations::environment(&w))
        .reconcile_on(UnboundedReceiverStream::new(trigger_rx))
        .with_config(controller::Config::default().concurrency(args.concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| {
            // Reconcile errors are reported by error_policy; these are watch and queue errors.
            if let Err(e @ controller::Error::QueueError(_)) = result {
                warn!(error = %e, "watch failed; retrying with backoff");
            }
            future::ready(())
        })
        .await;
    Ok(())
}

/// The state every reconcile shares: clients, caches, policy, and the governance sinks.
fn context(
    client: Client,
    args: &Args,
    metrics: Metrics,
    sources: Arc<Sources>,
    (stores, own_writes, applied_versions): (Stores, OwnWrites, AppliedVersions),
    trigger: mpsc::UnboundedSender<ObjectRef<ClaudeEnvironment>>,
) -> anyhow::Result<Context> {
    let reporter = Reporter {
        controller: "claude-env-controller".into(),
        instance: std::env::var("POD_NAME").ok(),
    };
    Ok(Context {
        client: client.clone(),
        metrics: metrics.clone(),
        sources,
        recorder: Recorder::new(client.clone(), reporter),
        stores,
        policy: args.policy(),
        egress: Egress::new(&args.check_allowed_hosts).map_err(anyhow::Error::msg)?,
        backoff: BackoffPolicy {
            base: args.retry_interval,
            ..BackoffPolicy::default()
        },
        failures: Default::default(),
        applied: Default::default(),
        own_writes,
        applied_versions,
        crash_checks: Default::default(),
        claims: Default::default(),
        trigger,
        workstation_periods: crate::decisions::workstations::Periods {
            stale_after: args.workstation_stale_after,
            remove_after: args.workstation_remove_after,
        },
        governance: Governance {
            history_limit: args.history_limit,
            audit: AuditLog::open(&args.audit_log).context("opening the audit log")?,
            notifier: Notifier::start(client, args.watch_namespace.as_deref(), metrics),
            authors: Default::default(),
        },
    })
}

/// Reconcile on spec changes, steering annotations, finalizers (the finalizer helper waits
/// for the event of its own patch) and deletion; not on our status writes.
fn spec_or_steering(e: &ClaudeEnvironment) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    predicates::generation(e).hash(&mut h);
    predicates::finalizers(e).hash(&mut h);
    e.meta().deletion_timestamp.is_some().hash(&mut h);
    for key in [
        annotations::APPROVE,
        annotations::ROLLBACK_TO,
        annotations::RECONCILE,
        annotations::RETRY,
        annotations::ABORT,
        annotations::SECURITY_APPROVE,
    ] {
        e.annotations().get(key).hash(&mut h);
    }
    Some(h.finish())
}

/// A label-selected watch of objects we render, feeding a cache; managedFields are dropped
/// (we compare the fields we render, and they are most of an object's size), then `slim`
/// takes what else the cache need not hold. The watch feeds `index` with each object's
/// owner labels, and tells `applied` which of our applies it has delivered.
fn owned_watch<K>(
    (client, args, synced): (&Client, &Args, &InitialSync),
    config: watcher::Config,
    (kind, index, applied): (ObjectKind, &OwnedIndex, &AppliedVersions),
    slim: fn(&mut K),
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = match &args.watch_namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let (reader, writer) = reflector::store();
    let stream = watcher(api, config)
        .default_backoff()
        .modify(move |o: &mut K| {
            o.managed_fields_mut().clear();
            slim(o);
        })
        .reflect(writer)
        .inspect_ok(synced.cache())
        .inspect_ok(index.of(kind).feed(move |o: &K| {
            let key = ObjectKey::new(kind, o.namespace().unwrap_or_default(), o.name_any());
            let owner = ownership::owner_labels(o.meta().labels.as_ref());
            (key, owner.into_iter().collect())
        }))
        .inspect_ok(applied.feed(move |o: &K| {
            ObjectKey::new(kind, o.namespace().unwrap_or_default(), o.name_any())
        }))
        .touched_objects();
    (reader, stream)
}

/// An environment as the dependents index knows it, and the environments it depends on.
fn depends_on(env: &ClaudeEnvironment) -> ((String, String), Vec<(String, String)>) {
    let ns = env.namespace().unwrap_or_default();
    let deps = env
        .spec
        .depends_on
        .iter()
        .map(|d| {
            (
                d.namespace.clone().unwrap_or_else(|| ns.clone()),
                d.name.clone(),
            )
        })
        .collect();
    ((ns, env.name_any()), deps)
}

/// The ClaudeEnvironment an object we rendered belongs to, from its owner labels
/// (ownerReferences cannot cross namespaces; `targetNamespace` can).
trait OwnerLabels {
    fn owner(&self) -> Option<ObjectRef<ClaudeEnvironment>>;
}

impl<K: Resource> OwnerLabels for K {
    fn owner(&self) -> Option<ObjectRef<ClaudeEnvironment>> {
        let l = self.meta().labels.as_ref()?;
        let name = l.get(labels::OWNER_NAME)?;
        let ns = l.get(labels::OWNER_NAMESPACE)?;
        Some(ObjectRef::new(name).within(ns))
    }
}
