//! The MCP handshake over streamable HTTP: POST `initialize` (answered as JSON or as an SSE
//! stream), carry `Mcp-Session-Id`, POST `notifications/initialized`, optionally
//! `tools/list`, then DELETE the session so checks do not pile up sessions on the server.
//! Any answer that is not a correct handshake fails the check; no answer at all is an error.

use claude_env_rollout::eval::Evaluation;
use claude_env_rollout::eval::mcp::{self as eval, McpError};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use super::{MAX_BODY, read_body, transport_error};

const INITIALIZE_ID: u64 = 1;
const TOOLS_ID: u64 = 2;

pub(crate) async fn handshake(
    client: &reqwest::Client,
    url: &str,
    expected_tools: &[String],
) -> Evaluation {
    let mut session = Session {
        client,
        url,
        headers: HeaderMap::new(),
    };
    let result = session.run(expected_tools).await;
    session.close().await;
    result.unwrap_or_else(|e| e)
}

struct Session<'a> {
    client: &'a reqwest::Client,
    url: &'a str,
    /// Session id and negotiated protocol version, once known.
    headers: HeaderMap,
}

impl Session<'_> {
    async fn run(&mut self, expected_tools: &[String]) -> Result<Evaluation, Evaluation> {
        let init = self
            .request(
                &eval::initialize_request(INITIALIZE_ID, env!("CARGO_PKG_VERSION")),
                INITIALIZE_ID,
            )
            .await?;
        let info = eval::check_initialize(&init.0)
            .map_err(|e| Evaluation::fail(format!("initialize: {e}")))?;
        if let Some(id) = init.1 {
            self.headers.insert(eval::SESSION_HEADER, id);
        }
        if let Ok(v) = HeaderValue::from_str(&info.protocol_version) {
            self.headers.insert(eval::PROTOCOL_HEADER, v);
        }
        self.notify(&eval::initialized_notification()).await?;
        // Only what the check judged: the server's self-description is not quoted.
        let mut message = match protocol_date(&info.protocol_version) {
            Some(v) => format!("the server speaks MCP {v}"),
            None => "the server completed the MCP handshake".to_string(),
        };
        if !expected_tools.is_empty() {
            let (tools, _) = self
                .request(&eval::tools_list_request(TOOLS_ID), TOOLS_ID)
                .await?;
            let e = eval::check_tools(&tools, expected_tools);
            if e.outcome != claude_env_rollout::Outcome::Pass {
                return Err(e);
            }
            message = format!("{message}; {}", e.message);
        }
        Ok(Evaluation::pass(message))
    }

    /// POSTs a request; returns its JSON-RPC response and the session id header.
    async fn request(
        &self,
        body: &Value,
        id: u64,
    ) -> Result<(Value, Option<HeaderValue>), Evaluation> {
        let method = body["method"].as_str().unwrap_or("request").to_string();
        let response = self
            .post(body)
            .await
            .map_err(|e| transport_error(&method, &e))?;
        let status = response.status();
        let session = response.headers().get(eval::SESSION_HEADER).cloned();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if !status.is_success() {
            // The body is not quoted: a check may be aimed anywhere.
            let size = read_body(response).await.map(|b| b.len()).unwrap_or(0);
            return Err(Evaluation::fail(format!(
                "{method}: HTTP {status} ({size} bytes)"
            )));
        }
        let found = if is_event_stream(&content_type) {
            read_sse_response(response, id).await
        } else {
            match read_body(response).await {
                Ok(body) => eval::response(&content_type, &body, id),
                Err(e) => return Err(transport_error(&method, &e)),
            }
        };
        found
            .map(|v| (v, session))
            .map_err(|e| Evaluation::fail(format!("{method}: {e}")))
    }

    /// POSTs a notification: the server must accept it (202, or any 2xx).
    async fn notify(&self, body: &Value) -> Result<(), Evaluation> {
        let method = body["method"]
            .as_str()
            .unwrap_or("notification")
            .to_string();
        let response = self
            .post(body)
            .await
            .map_err(|e| transport_error(&method, &e))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(Evaluation::fail(format!(
                "{method}: HTTP {}",
                response.status()
            )))
        }
    }

    async fn post(&self, body: &Value) -> Result<reqwest::Response, reqwest::Error> {
        self.client
            .post(self.url)
            .header(ACCEPT, eval::ACCEPT)
            .header(CONTENT_TYPE, "application/json")
            .headers(self.headers.clone())
            .body(body.to_string())
            .send()
            .await
    }

    /// Ends the session (servers may answer 405 when they do not support it: fine).
    async fn close(&self) {
        if self.headers.contains_key(eval::SESSION_HEADER) {
            let _ = self
                .client
                .delete(self.url)
                .headers(self.headers.clone())
                .send()
                .await;
        }
    }
}

/// An MCP protocol version (`2025-06-18`): dates only, nothing else a server says.
fn protocol_date(v: &str) -> Option<&str> {
    let b = v.as_bytes();
    (b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        }))
    .then_some(v)
}

fn is_event_stream(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/event-stream"))
}

/// Reads an SSE stream only until the response with `id` arrived: a server may keep the
/// stream open after it, and the check must not wait for the stream to end.
async fn read_sse_response(mut response: reqwest::Response, id: u64) -> Result<Value, McpError> {
    let mut buffer = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                if let Some(v) = complete_events(&buffer, id)? {
                    return Ok(v);
                }
                if buffer.len() > MAX_BODY {
                    return Err(McpError::NoResponse(id));
                }
            }
            Ok(None) | Err(_) => {
                return eval::response("text/event-stream", &buffer, id);
            }
        }
    }
}

/// The response with `id` among the complete events (up to the last blank line) of `buffer`.
fn complete_events(buffer: &str, id: u64) -> Result<Option<Value>, McpError> {
    let normalized = buffer.replace("\r\n", "\n");
    let Some(end) = normalized.rfind("\n\n") else {
        return Ok(None);
    };
    match eval::response("text/event-stream", &normalized[..end + 2], id) {
        Ok(v) => Ok(Some(v)),
        Err(McpError::NoResponse(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_date_shaped_protocol_versions_are_quoted() {
        assert_eq!(protocol_date("2025-06-18"), Some("2025-06-18"));
        assert_eq!(protocol_date("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(protocol_date("2025-06-18x"), None);
    }

    #[test]
    fn event_stream_content_types() {
        assert!(is_event_stream("text/event-stream"));
        assert!(is_event_stream("Text/Event-Stream; charset=utf-8"));
        assert!(!is_event_stream("application/json"));
    }

    #[test]
    fn incomplete_events_wait_for_more() {
        let partial = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,";
        assert_eq!(complete_events(partial, 1).unwrap(), None);
    }

    #[test]
    fn a_complete_response_event_is_found_before_the_stream_ends() {
        let buf = "id: 0\ndata: \n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\nevent: mess";
        let v = complete_events(buf, 1).unwrap().unwrap();
        assert_eq!(v["id"], 1);
    }

    #[test]
    fn broken_json_in_a_complete_event_is_an_error() {
        let buf = "data: {not json}\n\n";
        assert!(matches!(complete_events(buf, 1), Err(McpError::NotJson(_))));
    }
}
