//! One provider's worker: its messages in order, each resolved (the Secret read at delivery
//! time, never stored), rendered, and posted with retries and backoff.

use std::time::Duration;

use claude_env_api::notification_provider::secret_keys;
use claude_env_api::{NotificationProvider, reason};
use claude_env_notify::payload::{Delivery, Target};
use claude_env_notify::{Event, render, retry};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Api, Client, ResourceExt};
use tokio::sync::mpsc;
use tracing::{info, warn};

use super::provider_status::{self, Verdict};
use crate::metrics::{Metrics, NotifyResult};

/// A worker with nothing to send for this long stops (the dispatcher starts a new one).
const IDLE: Duration = Duration::from_secs(600);
/// Timeout of one attempt unless the provider says otherwise.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every worker shares.
pub(super) struct Shared {
    pub(super) client: Client,
    pub(super) http: reqwest::Client,
    pub(super) metrics: Metrics,
}

impl Shared {
    pub(super) fn new(client: Client, metrics: Metrics) -> Shared {
        let http = reqwest::Client::builder()
            // Receivers answer; they do not send us elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with default TLS");
        Shared {
            client,
            http,
            metrics,
        }
    }
}

/// Deliver the provider's messages until idle.
pub(super) async fn worker(
    shared: std::sync::Arc<Shared>,
    providers: Store<NotificationProvider>,
    key: ObjectRef<NotificationProvider>,
    mut rx: mpsc::Receiver<Event>,
) {
    while let Ok(Some(event)) = tokio::time::timeout(IDLE, rx.recv()).await {
        // The provider as it is now: an edit between queueing and sending applies.
        let Some(provider) = providers.get(&key) else {
            continue;
        };
        let verdict = deliver(&shared, &provider, &event).await;
        if let Some(verdict) = verdict {
            provider_status::record(&shared.client, &provider, &verdict).await;
        }
    }
}

/// One message to one provider; the verdict for its `Ready` condition (`None`: this
/// provider does not take this kind of event).
async fn deliver(shared: &Shared, p: &NotificationProvider, event: &Event) -> Option<Verdict> {
    let type_ = p.spec.type_;
    let refused = |message: String| {
        shared.metrics.notified(Some(type_), NotifyResult::Failure);
        warn!(provider = p.name_any(), namespace = p.namespace(), %message, "notification not sent");
        Some(Verdict::failed(reason::INVALID_PROVIDER, message))
    };
    let target = match resolve(&shared.client, p).await {
        Ok(t) => t,
        Err(message) => return refused(message),
    };
    let delivery = match render(&target, event) {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(e) => return refused(e.to_string()),
    };
    let timeout = p
        .spec
        .timeout
        .as_deref()
        .and_then(|t| t.parse::<claude_env_api::Duration>().ok())
        .map_or(DEFAULT_TIMEOUT, |d| d.0);
    let mut attempt = 1;
    loop {
        let failure = match post(&shared.http, &delivery, timeout).await {
            Ok(()) => {
                shared.metrics.notified(Some(type_), NotifyResult::Success);
                info!(
                    provider = p.name_any(),
                    namespace = p.namespace(),
                    kind = event.kind.name(),
                    attempt,
                    "notification delivered"
                );
                return Some(Verdict::delivered());
            }
            Err(f) => f,
        };
        match retry::delay_after(attempt).filter(|_| failure.retryable) {
            Some(delay) => {
                shared.metrics.notified(Some(type_), NotifyResult::Retry);
                warn!(provider = p.name_any(), namespace = p.namespace(), attempt, error = %failure.message, "notification attempt failed; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            None => {
                shared.metrics.notified(Some(type_), NotifyResult::Failure);
                warn!(provider = p.name_any(), namespace = p.namespace(), attempt, error = %failure.message, "notification not delivered");
                let message = format!(
                    "{} for {}/{} not delivered after {attempt} attempt(s): {}",
                    event.kind.name(),
                    event.namespace,
                    event.name,
                    failure.message
                );
                return Some(Verdict::failed(reason::DELIVERY_FAILED, message));
            }
        }
    }
}

/// The provider with its Secret's values.
async fn resolve(client: &Client, p: &NotificationProvider) -> Result<Target, String> {
    let mut target = Target {
        type_: Some(p.spec.type_),
        address: p.spec.address.clone(),
        channel: p.spec.channel.clone(),
        repository: p.spec.repository.clone(),
        token: None,
        hmac_key: None,
    };
    let Some(r) = &p.spec.secret_ref else {
        return Ok(target);
    };
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &p.namespace().unwrap_or_default());
    let secret = secrets
        .get(&r.name)
        .await
        .map_err(|e| format!("reading Secret {}: {}", r.name, describe(&e)))?;
    let data = secret.data.unwrap_or_default();
    let text = |key: &str| {
        data.get(key)
            .map(|v| String::from_utf8_lossy(&v.0).trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let Some(address) = text(secret_keys::ADDRESS) {
        target.address = Some(address);
    }
    target.token = text(secret_keys::TOKEN);
    target.hmac_key = data.get(secret_keys::HMAC_KEY).map(|v| v.0.clone());
    Ok(target)
}

fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if !s.message.is_empty() => s.message.clone(),
        other => other.to_string(),
    }
}

/// Why an attempt failed (never naming the URL: chat webhook URLs are credentials).
struct Failure {
    retryable: bool,
    message: String,
}

async fn post(http: &reqwest::Client, d: &Delivery, timeout: Duration) -> Result<(), Failure> {
    let mut request = http.post(&d.url).timeout(timeout).body(d.body.clone());
    for (k, v) in &d.headers {
        request = request.header(k, v);
    }
    match request.send().await {
        Ok(response) if response.status().is_success() => Ok(()),
        Ok(response) => {
            let status = response.status();
            Err(Failure {
                retryable: retry::retryable_status(status.as_u16()),
                message: format!("the receiver answered HTTP {status}"),
            })
        }
        Err(e) => Err(Failure {
            retryable: true,
            message: transport_error(e),
        }),
    }
}

/// A transport error's causes, without the URL.
fn transport_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut out = kind.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
