//! Health checks, the IO side: fetch what each configured check looks at and let the pure
//! evaluators of `claude_env_rollout::eval` judge it. The rollout machine asks for checks by
//! name ([`claude_env_rollout::Action::RunChecks`]); [`Checks::run`] runs them concurrently
//! and returns one [`Measured`] per check, which the controller feeds back as
//! `Observations::results` and counts in `health_check_total{check,result}` (labels from
//! [`CheckKind::label`] and [`Outcome::label`]).

pub(crate) mod http;
pub(crate) mod mcp;
pub(crate) mod prometheus;

use std::time::{Duration, Instant};

use claude_env_api::{HealthChecks, McpCheck, PrometheusCheck};
use claude_env_rollout::eval::Evaluation;
use claude_env_rollout::eval::http::{Expectation, ExpectationError};
use claude_env_rollout::eval::prometheus::QueryVars;
use claude_env_rollout::{CheckKind, CheckResult, CheckTarget};

use crate::decisions::egress::{self, Egress};
use crate::metrics::{Limit, Metrics};

/// Per request: a check that cannot answer in this time is an error, not a hang.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Bodies are read up to this size (a health endpoint answering megabytes is broken).
pub(crate) const MAX_BODY: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ChecksError {
    #[error("http check {name:?}: {source}")]
    Http {
        name: String,
        source: ExpectationError,
    },
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Where a server's checks go: its Service, or the preview Service before a blue-green
/// switch. Resolved by the controller (it knows names, namespaces and ports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServerEndpoint {
    /// `http://<service>.<namespace>.svc:<port>`.
    pub(crate) base: String,
    /// The server's MCP path (`deploy.path`, e.g. `/mcp`).
    pub(crate) mcp_path: String,
}

/// What the checks of one decision are about.
pub(crate) struct Context<'a> {
    pub(crate) revision: &'a str,
    pub(crate) namespace: &'a str,
    pub(crate) environment: &'a str,
    pub(crate) target: CheckTarget,
    /// Where checks may connect, and the environment's namespaces (whose Services they may
    /// always reach).
    pub(crate) egress: &'a Egress,
    pub(crate) namespaces: &'a [&'a str],
    /// Counts refused checks (`limit_exceeded_total{limit="egress"}`).
    pub(crate) metrics: &'a Metrics,
    /// `server` → endpoint for `target` (`None`: the server is not deployed).
    pub(crate) endpoint: &'a (dyn Fn(&str, CheckTarget) -> Option<ServerEndpoint> + Sync),
}

/// One measurement and the kind of check it came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Measured {
    pub(crate) kind: CheckKind,
    pub(crate) result: CheckResult,
}

struct HttpSpec {
    name: String,
    url: Option<String>,
    server: Option<String>,
    path: String,
    expect: Expectation,
}

/// The configured checks of an environment, validated once.
pub(crate) struct Checks {
    client: reqwest::Client,
    http: Vec<HttpSpec>,
    mcp: Vec<McpCheck>,
    prometheus: Vec<PrometheusCheck>,
}

impl Checks {
    pub(crate) fn from_spec(spec: Option<&HealthChecks>) -> Result<Checks, ChecksError> {
        let empty = HealthChecks::default();
        let spec = spec.unwrap_or(&empty);
        let http = spec
            .http
            .iter()
            .map(|c| {
                Ok(HttpSpec {
                    name: c.name.clone(),
                    url: c.url.clone(),
                    server: c.server.clone(),
                    path: c.path.clone().unwrap_or_else(|| "/".into()),
                    expect: Expectation::new(c.expected_status, c.body_matches.as_deref())
                        .map_err(|source| ChecksError::Http {
                            name: c.name.clone(),
                            source,
                        })?,
                })
            })
            .collect::<Result<_, ChecksError>>()?;
        Ok(Checks {
            client: client()?,
            http,
            mcp: spec.mcp.clone(),
            prometheus: spec.prometheus.clone(),
        })
    }

    /// Runs the named checks concurrently; unknown names are skipped.
    pub(crate) async fn run(&self, names: &[String], ctx: &Context<'_>) -> Vec<Measured> {
        let runs = names.iter().filter_map(|name| self.one(name, ctx));
        futures::future::join_all(runs).await
    }

    fn one<'a>(
        &'a self,
        name: &'a str,
        ctx: &'a Context<'a>,
    ) -> Option<impl Future<Output = Measured> + 'a> {
        let kind = if self.http.iter().any(|c| c.name == name) {
            CheckKind::Http
        } else if self.mcp.iter().any(|c| c.name == name) {
            CheckKind::Mcp
        } else if self.prometheus.iter().any(|c| c.name == name) {
            CheckKind::Prometheus
        } else {
            return None;
        };
        Some(async move {
            let started = Instant::now();
            let mut evaluation = match kind {
                CheckKind::Http => self.run_http(name, ctx).await,
                CheckKind::Mcp => self.run_mcp(name, ctx).await,
                _ => self.run_prometheus(name, ctx).await,
            };
            evaluation.message = format!(
                "{} (in {} ms)",
                evaluation.message,
                started.elapsed().as_millis()
            );
            Measured {
                kind,
                result: CheckResult {
                    name: name.to_string(),
                    revision: ctx.revision.to_string(),
                    outcome: evaluation.outcome,
                    at: jiff::Timestamp::now(),
                    message: evaluation.message,
                },
            }
        })
    }

    async fn run_http(&self, name: &str, ctx: &Context<'_>) -> Evaluation {
        let Some(c) = self.http.iter().find(|c| c.name == name) else {
            return Evaluation::error("no such check");
        };
        let url = match (&c.url, &c.server) {
            (Some(url), _) => url.clone(),
            (None, Some(server)) => match (ctx.endpoint)(server, ctx.target) {
                Some(e) => join(&e.base, &c.path),
                None => return undeployed(server),
            },
            (None, None) => return Evaluation::error("neither url nor server is set"),
        };
        if let Err(e) = allowed(ctx, &url) {
            return e;
        }
        http::check(&self.client, &url, &c.expect).await
    }

    async fn run_mcp(&self, name: &str, ctx: &Context<'_>) -> Evaluation {
        let Some(c) = self.mcp.iter().find(|c| c.name == name) else {
            return Evaluation::error("no such check");
        };
        let url = match (&c.url, &c.server) {
            (Some(url), _) => url.clone(),
            (None, Some(server)) => match (ctx.endpoint)(server, ctx.target) {
                Some(e) => join(&e.base, &e.mcp_path),
                None => return undeployed(server),
            },
            (None, None) => return Evaluation::error("neither url nor server is set"),
        };
        if let Err(e) = allowed(ctx, &url) {
            return e;
        }
        mcp::handshake(&self.client, &url, &c.expected_tools).await
    }

    async fn run_prometheus(&self, name: &str, ctx: &Context<'_>) -> Evaluation {
        let Some(c) = self.prometheus.iter().find(|c| c.name == name) else {
            return Evaluation::error("no such check");
        };
        if let Err(e) = allowed(ctx, &c.address) {
            return e;
        }
        let vars = QueryVars {
            revision: ctx.revision,
            namespace: ctx.namespace,
            environment: ctx.environment,
        };
        prometheus::check(&self.client, c, &vars).await
    }
}

fn undeployed(server: &str) -> Evaluation {
    Evaluation::error(format!("server {server:?} has no deployed Service"))
}

/// `base` + `path` with exactly one slash between them.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Whether a check may connect to `url`'s host (`decisions::egress`); the error is the
/// check's evaluation.
fn allowed(ctx: &Context<'_>, url: &str) -> Result<(), Evaluation> {
    let host = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .ok_or_else(|| Evaluation::error("the URL has no host"))?;
    ctx.egress.check(&host, ctx.namespaces).map_err(|denied| {
        ctx.metrics.limit_exceeded(Limit::Egress);
        Evaluation::error(denied.to_string())
    })
}

/// One client for all checks: rustls, no proxy (checks reach in-cluster Services and a
/// proxy from the environment would intercept them), no redirects (a redirect would lead a
/// check past the egress rules), bounded time, and a resolver that never returns a
/// link-local or metadata address.
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(GuardedResolver))
        .user_agent(concat!("claude-env-controller/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// DNS through the system resolver, with every blocked address (`egress::blocked`)
/// removed: a name that resolves only to such addresses fails to connect.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !egress::blocked(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves to no address health checks may reach (link-local or metadata)"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A transport failure (no answer at all) is an error; any answer is judged.
pub(crate) fn transport_error(what: &str, e: &reqwest::Error) -> Evaluation {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    Evaluation::error(format!("{what}: {kind}: {}", root_cause(e)))
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Reads at most [`MAX_BODY`] bytes of a response body.
pub(crate) async fn read_body(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_BODY {
            body.truncate(MAX_BODY);
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod against_servers;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_puts_one_slash_between() {
        assert_eq!(join("http://a:1", "/mcp"), "http://a:1/mcp");
        assert_eq!(join("http://a:1/", "mcp"), "http://a:1/mcp");
        assert_eq!(join("http://a:1/", "/"), "http://a:1/");
    }

    #[test]
    fn an_invalid_body_regex_is_rejected_naming_the_check() {
        let spec: HealthChecks = serde_json::from_value(serde_json::json!({
            "http": [{"name": "health", "url": "http://x", "bodyMatches": "("}]
        }))
        .unwrap();
        let Err(e) = Checks::from_spec(Some(&spec)) else {
            panic!("accepted an invalid regex");
        };
        assert!(e.to_string().contains("\"health\""));
    }
}
