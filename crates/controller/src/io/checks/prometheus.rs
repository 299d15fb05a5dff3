//! Prometheus checks: one instant query (`/api/v1/query`), judged against the bounds.

use claude_env_api::PrometheusCheck;
use claude_env_rollout::eval::Evaluation;
use claude_env_rollout::eval::prometheus::{self as eval, QueryVars};

use super::{join, read_body, transport_error};

pub(crate) async fn check(
    client: &reqwest::Client,
    check: &PrometheusCheck,
    vars: &QueryVars<'_>,
) -> Evaluation {
    let query = eval::substitute(&check.query, vars);
    match query_values(client, &check.address, &query).await {
        Ok(values) => eval::evaluate(&values, check.min, check.max),
        Err(e) => e,
    }
}

/// The sample values of an instant query, or the evaluation explaining why there are none.
/// A rejected query (HTTP 400 `bad_data`) is an error: a misconfiguration a human must fix,
/// counted toward the consecutive-error limit rather than failing a good revision at once.
pub(crate) async fn query_values(
    client: &reqwest::Client,
    address: &str,
    query: &str,
) -> Result<Vec<f64>, Evaluation> {
    let url = join(address, "/api/v1/query");
    let response = client
        .get(&url)
        .query(&[("query", query)])
        .send()
        .await
        .map_err(|e| transport_error(&format!("query {url}"), &e))?;
    let status = response.status();
    let body = read_body(response)
        .await
        .map_err(|e| transport_error(&format!("query {url} body"), &e))?;
    eval::parse_response(&body)
        .map_err(|e| Evaluation::error(format!("query {query:?} (HTTP {status}): {e}")))
}
