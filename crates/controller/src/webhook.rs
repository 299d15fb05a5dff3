//! The push webhook receiver on `--webhook-addr`: a verified push marks its sources stale
//! and reconciles only the environments using them. The payload is a hint; the fetch decides.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use claude_env_api::ClaudeEnvironment;
use claude_env_source::url::same_repo;
use claude_env_source::webhook::{self, MAX_BODY_BYTES, Outcome, Provider, PushHint};
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::args::BranchMap;
use crate::metrics::Metrics;
use crate::sources::{SourceKey, Sources};

#[derive(Clone)]
pub struct Receiver {
    /// Read on every request: a mounted Secret is updated in place when rotated.
    pub secret_file: Arc<PathBuf>,
    pub metrics: Metrics,
    pub sources: Arc<Sources>,
    pub environments: Store<ClaudeEnvironment>,
    pub branches: BranchMap,
    pub trigger: mpsc::UnboundedSender<ObjectRef<ClaudeEnvironment>>,
}

pub fn router(receiver: Receiver) -> Router {
    Router::new()
        .route("/hooks/{provider}", post(handle))
        .with_state(receiver)
}

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
    let label = format!("{provider:?}").to_lowercase();
    let count = |result: &str| {
        r.metrics
            .webhook_requests_total
            .with_label_values(&[&label, result])
            .inc()
    };
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        count("too-large");
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large\n".into());
    };
    let secret = match tokio::fs::read(&*r.secret_file).await {
        Ok(s) => trim_newline(s),
        Err(e) => {
            warn!(file = %r.secret_file.display(), error = %e, "cannot read the webhook secret");
            count("no-secret");
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
        Outcome::Accepted(hint) => {
            let (sources, environments) = r.refresh(&hint);
            if environments == 0 {
                count("unknown-repository");
                return (
                    StatusCode::ACCEPTED,
                    "no environment uses this repository\n".into(),
                );
            }
            count("accepted");
            info!(provider = %label, sources, environments, "push received; reconciling");
            (
                status,
                format!("refreshing {sources} source(s) for {environments} environment(s)\n"),
            )
        }
        other => {
            count(other.category());
            (status, format!("{}\n", other.category()))
        }
    }
}

impl Receiver {
    /// Mark matching sources stale and enqueue their environments. Returns (sources, envs).
    fn refresh(&self, hint: &PushHint) -> (usize, usize) {
        let mut keys = std::collections::BTreeSet::new();
        let mut envs = 0;
        for env in self.environments.state() {
            let url = &env.spec.source.url;
            if !hint.urls.iter().any(|h| same_repo(h, url)) {
                continue;
            }
            let branch = env
                .spec
                .source
                .branch
                .clone()
                .unwrap_or_else(|| self.branches.branch_for(&env.spec.environment).to_string());
            if hint.branch.as_ref().is_some_and(|b| b != &branch) {
                continue;
            }
            let key = SourceKey {
                url: url.clone(),
                branch,
            };
            if keys.insert(key.clone()) {
                self.sources.invalidate(&key);
            }
            envs += 1;
            let _ = self.trigger.send(ObjectRef::from_obj(&*env));
        }
        (keys.len(), envs)
    }
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
    use super::trim_newline;

    #[test]
    fn trailing_newlines_are_not_part_of_the_secret() {
        assert_eq!(trim_newline(b"s3cret\n".to_vec()), b"s3cret");
        assert_eq!(trim_newline(b"s3cret\r\n".to_vec()), b"s3cret");
        assert_eq!(trim_newline(b"s3 cret".to_vec()), b"s3 cret");
    }
}
