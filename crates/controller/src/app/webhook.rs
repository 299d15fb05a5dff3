//! The push webhook receiver on `--webhook-addr`, on every replica: a verified push marks
//! its sources stale and reconciles only the environments using them. The payload is a hint;
//! the fetch decides.
//!
//! The leader acts directly (its caches and queue). A standby — the webhook Service sends
//! deliveries to any ready replica — marks the matching environments with
//! `claude-env.io/reconcile=<now>`, which the leader acts on (as Flux's receiver does).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use claude_env_api::{ClaudeEnvironment, annotations};
use claude_env_source::deliveries::{Delivery, DeliveryId, RecentDeliveries};
use claude_env_source::url::same_repo;
use claude_env_source::webhook::{self, MAX_BODY_BYTES, Outcome, Provider, PushHint};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, ResourceExt};
use serde_json::json;
use tokio::sync::{Semaphore, mpsc};
use tracing::{info, warn};

use crate::decisions::branches::BranchMap;
use crate::decisions::branches::SourceKey;
use crate::decisions::plan::credential_identity;
use crate::io::sources::Sources;
use crate::lock::LockExt;
use crate::metrics::{Limit, Metrics, WebhookResult};

/// What only the running controller (the leader) has: its caches and its queue.
#[derive(Clone)]
pub(crate) struct LeaderPath {
    pub(crate) sources: Arc<Sources>,
    pub(crate) environments: Store<ClaudeEnvironment>,
    pub(crate) trigger: mpsc::UnboundedSender<ObjectRef<ClaudeEnvironment>>,
}

/// Filled by the controller when it starts; empty on a standby.
pub(crate) type LeaderSlot = Arc<RwLock<Option<LeaderPath>>>;

#[derive(Clone)]
pub(crate) struct Receiver {
    /// Read on every request: a mounted Secret is updated in place when rotated.
    pub(crate) secret_file: Arc<PathBuf>,
    pub(crate) metrics: Metrics,
    pub(crate) branches: BranchMap,
    pub(crate) leader: LeaderSlot,
    /// For the standby path: where and which environments to mark.
    pub(crate) client: Client,
    pub(crate) watch_namespace: Option<String>,
    pub(crate) label_selector: Option<String>,
    /// Requests handled at once (`--webhook-concurrency`); more are answered 503 at once.
    pub(crate) in_flight: Arc<Semaphore>,
    /// How long one request may take, body included (`--webhook-timeout`).
    pub(crate) timeout: Duration,
    /// Deliveries accepted recently: a sender's redelivery is answered, not acted on twice.
    pub(crate) recent: Arc<Mutex<RecentDeliveries>>,
}

pub(crate) fn router(receiver: Receiver) -> Router {
    Router::new()
        .route("/hooks/{provider}", post(handle))
        .with_state(receiver)
}

/// One delivery, within the receiver's concurrency and time limits: a flood or a sender
/// trickling its body cannot hold the receiver (or the controller's memory).
async fn handle(
    State(r): State<Receiver>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, String) {
    let provider = match provider.as_str() {
        "github" => Provider::GitHub,
        "gitlab" => Provider::GitLab,
        "generic" => Provider::Generic,
        _ => return (StatusCode::NOT_FOUND, "unknown provider\n".into()),
    };
    let Ok(_permit) = r.in_flight.clone().try_acquire_owned() else {
        r.metrics.webhook(provider, WebhookResult::Busy);
        r.metrics.limit_exceeded(Limit::WebhookConcurrency);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many deliveries at once; retry later\n".into(),
        );
    };
    match tokio::time::timeout(r.timeout, deliver(&r, provider, headers, body)).await {
        Ok(answer) => answer,
        Err(_) => {
            r.metrics.webhook(provider, WebhookResult::TimedOut);
            r.metrics.limit_exceeded(Limit::WebhookTimeout);
            (
                StatusCode::REQUEST_TIMEOUT,
                "the delivery took too long\n".into(),
            )
        }
    }
}

async fn deliver(
    r: &Receiver,
    provider: Provider,
    headers: HeaderMap,
    body: Body,
) -> (StatusCode, String) {
    let count = |result: WebhookResult| r.metrics.webhook(provider, result);
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        count(WebhookResult::TooLarge);
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n".into());
    };
    let secret = match tokio::fs::read(&*r.secret_file).await {
        Ok(s) => trim_newline(s),
        Err(e) => {
            warn!(file = %r.secret_file.display(), error = %e, "cannot read the webhook secret");
            count(WebhookResult::NoSecret);
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "webhook secret unavailable\n".into(),
            );
        }
    };
    let outcome = webhook::receive(
        provider,
        &secret,
        |name| headers.get(name).and_then(|v| v.to_str().ok()),
        &body,
    );
    let status = StatusCode::from_u16(outcome.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    match outcome {
        Outcome::Accepted(_) if r.redelivered(provider, &headers, &body) => {
            count(WebhookResult::Duplicate);
            (status, "already received\n".into())
        }
        Outcome::Accepted(hint) => {
            let leader = r
                .leader
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            let (sources, environments) = match leader {
                Some(l) => r.refresh(&l, &hint),
                None => match r.mark(&hint).await {
                    Ok(n) => n,
                    Err(e) => {
                        warn!(error = %e, "standby could not mark environments for reconcile");
                        count(WebhookResult::Error);
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "cannot reach the API server\n".into(),
                        );
                    }
                },
            };
            if environments == 0 {
                count(WebhookResult::UnknownRepository);
                return (
                    StatusCode::ACCEPTED,
                    "no environment uses this repository\n".into(),
                );
            }
            count(WebhookResult::Accepted);
            info!(
                ?provider,
                sources, environments, "push received; reconciling"
            );
            (
                status,
                format!("refreshing {sources} source(s) for {environments} environment(s)\n"),
            )
        }
        other => {
            count(WebhookResult::Refused(other.category()));
            (status, format!("{}\n", other.category()))
        }
    }
}

impl Receiver {
    /// Whether this accepted delivery was seen before (recording it if not). A delivery
    /// without an id (a generic hook without `X-Delivery-Id`) never is.
    fn redelivered(&self, provider: Provider, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some(id) = DeliveryId::of(
            provider,
            |name| headers.get(name).and_then(|v| v.to_str().ok()),
            body,
        ) else {
            return false;
        };
        self.recent.locked().check(id, std::time::Instant::now()) == Delivery::Duplicate
    }

    /// Leader: mark matching sources stale and enqueue their environments.
    /// Returns (sources, environments).
    fn refresh(&self, l: &LeaderPath, hint: &PushHint) -> (usize, usize) {
        let mut keys = BTreeSet::new();
        let mut envs = 0;
        for env in l.environments.state() {
            let Some(key) = matching_source(&env, hint, &self.branches) else {
                continue;
            };
            if keys.insert(key.clone()) {
                l.sources.invalidate(&key);
            }
            envs += 1;
            let _ = l.trigger.send(ObjectRef::from_obj(&*env));
        }
        (keys.len(), envs)
    }

    /// Standby: annotate matching environments so the leader reconciles them now.
    async fn mark(&self, hint: &PushHint) -> Result<(usize, usize), kube::Error> {
        let api: Api<ClaudeEnvironment> = match &self.watch_namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let mut lp = ListParams::default();
        if let Some(sel) = &self.label_selector {
            lp = lp.labels(sel);
        }
        let now = jiff::Timestamp::now().to_string();
        let patch = json!({"metadata": {"annotations": {annotations::RECONCILE: now}}});
        let mut keys = BTreeSet::new();
        let mut envs = 0;
        for env in api.list(&lp).await? {
            let Some(key) = matching_source(&env, hint, &self.branches) else {
                continue;
            };
            keys.insert(key);
            let ns = env.namespace().unwrap_or_default();
            Api::<ClaudeEnvironment>::namespaced(self.client.clone(), &ns)
                .patch(
                    &env.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await?;
            envs += 1;
        }
        Ok((keys.len(), envs))
    }
}

/// The source of `env` when the push is for it: same repository, and the branch it follows
/// (a hint without a branch matches every branch).
pub(crate) fn matching_source(
    env: &ClaudeEnvironment,
    hint: &PushHint,
    branches: &BranchMap,
) -> Option<SourceKey> {
    let url = &env.spec.source.url;
    if !hint.urls.iter().any(|h| same_repo(h, url)) {
        return None;
    }
    let branch = env
        .spec
        .source
        .branch
        .clone()
        .unwrap_or_else(|| branches.branch_for(&env.spec.environment).to_string());
    if hint.branch.as_ref().is_some_and(|b| b != &branch) {
        return None;
    }
    Some(SourceKey {
        url: url.clone(),
        branch,
        identity: credential_identity(
            &env.namespace().unwrap_or_default(),
            env.spec.source.secret_ref.as_ref(),
        ),
    })
}

/// Secret files usually end with a newline nobody means as part of the secret.
fn trim_newline(mut secret: Vec<u8>) -> Vec<u8> {
    while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        secret.pop();
    }
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(url: &str, environment: &str, branch: Option<&str>) -> ClaudeEnvironment {
        let mut source = json!({"url": url});
        if let Some(b) = branch {
            source["branch"] = json!(b);
        }
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "e", "namespace": "ns"},
            "spec": {"source": source, "environment": environment}
        }))
        .unwrap()
    }

    fn hint(url: &str, branch: Option<&str>) -> PushHint {
        PushHint {
            urls: vec![url.into()],
            branch: branch.map(str::to_string),
        }
    }

    #[test]
    fn a_push_matches_by_repository_and_the_branch_the_environment_follows() {
        let b = BranchMap::new(&[], "main");
        let dev = env("https://git.example.com/org/cfg.git", "development", None);
        let prod = env("https://git.example.com/org/cfg", "production", None);
        let push_main = hint("git@git.example.com:org/cfg.git", Some("main"));
        assert_eq!(
            matching_source(&dev, &push_main, &b),
            None,
            "development follows develop"
        );
        let key = matching_source(&prod, &push_main, &b).unwrap();
        assert_eq!(
            (key.url.as_str(), key.branch.as_str()),
            ("https://git.example.com/org/cfg", "main")
        );
        assert!(
            matching_source(&dev, &hint("https://git.example.com/org/cfg.git", None), &b).is_some()
        );
        assert!(
            matching_source(
                &prod,
                &hint("https://git.example.com/org/other.git", Some("main")),
                &b
            )
            .is_none()
        );
    }

    #[test]
    fn an_explicit_branch_wins_over_the_default() {
        let b = BranchMap::new(&[], "main");
        let e = env("https://g/o/c.git", "production", Some("release"));
        assert!(matching_source(&e, &hint("https://g/o/c.git", Some("main")), &b).is_none());
        assert!(matching_source(&e, &hint("https://g/o/c.git", Some("release")), &b).is_some());
    }

    #[test]
    fn trailing_newlines_are_not_part_of_the_secret() {
        assert_eq!(trim_newline(b"s3cret\n".to_vec()), b"s3cret");
        assert_eq!(trim_newline(b"s3cret\r\n".to_vec()), b"s3cret");
        assert_eq!(trim_newline(b"s3 cret".to_vec()), b"s3 cret");
    }
}
