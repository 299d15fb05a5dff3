//! HTTP GET checks: fetch, then judge status and body with the pure expectation.

use claude_env_rollout::eval::Evaluation;
use claude_env_rollout::eval::http::Expectation;

use super::{read_body, transport_error};

pub(crate) async fn check(client: &reqwest::Client, url: &str, expect: &Expectation) -> Evaluation {
    let response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return transport_error(&format!("GET {url}"), &e),
    };
    let status = response.status().as_u16();
    match read_body(response).await {
        Ok(body) => expect.evaluate(status, &body),
        Err(e) => transport_error(&format!("GET {url} body"), &e),
    }
}
