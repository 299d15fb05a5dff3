//! Health checks, the IO side: fetch what each configured check looks at and let the pure
//! evaluators of `claude_env_rollout::eval` judge it. The rollout machine asks for checks by
//! name ([`claude_env_rollout::Action::RunChecks`]); [`Checks::run`] runs them concurrently
//! and returns one [`Measured`] per check, which the controller feeds back as
//! `Observations::results` and counts in `health_check_total{check,result}` (labels from
//! [`CheckKind::label`] and [`Outcome::label`]).

pub(crate) mod http;
pub(crate) mod mcp;
pub(crate) mod prometheus;

use std::time::Duration;

use claude_env_api::{HealthChecks, McpCheck, PrometheusCheck};
use claude_env_rollout::eval::Evaluation;
use claude_env_rollout::eval::http::{Expectation, ExpectationError};
use claude_env_rollout::eval::prometheus::QueryVars;
use claude_env_rollout::{CheckKind, CheckResult, CheckTarget};

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
            let evaluation = match kind {
                CheckKind::Http => self.run_http(name, ctx).await,
                CheckKind::Mcp => self.run_mcp(name, ctx).await,
                _ => self.run_prometheus(name, ctx).await,
            };
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
        mcp::handshake(&self.client, &url, &c.expected_tools).await
    }

    async fn run_prometheus(&self, name: &str, ctx: &Context<'_>) -> Evaluation {
        let Some(c) = self.prometheus.iter().find(|c| c.name == name) else {
            return Evaluation::error("no such check");
        };
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

/// One client for all checks: rustls, no proxy (checks reach in-cluster Services and a
/// proxy from the environment would intercept them), bounded redirects and time.
pub(crate) fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("claude-env-controller/", env!("CARGO_PKG_VERSION")))
        .build()
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
