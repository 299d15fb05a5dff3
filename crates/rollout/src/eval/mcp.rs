//! The MCP handshake over streamable HTTP, as pure functions: the JSON-RPC messages a client
//! sends, the parsing of a response (a JSON body, or a `text/event-stream` body carrying the
//! response as an SSE event), and the judgement of `initialize` and `tools/list` results.

use serde_json::{Value, json};

use super::Evaluation;

/// The protocol version the check asks for. A server supporting another answers with its
/// own; any version the server names is accepted (the check is about liveness, not
/// negotiation).
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// `Accept` header of every POST (the transport requires both).
pub const ACCEPT: &str = "application/json, text/event-stream";
/// Header carrying the session id from the `initialize` response on.
pub const SESSION_HEADER: &str = "Mcp-Session-Id";
/// Header carrying the negotiated protocol version after `initialize`.
pub const PROTOCOL_HEADER: &str = "MCP-Protocol-Version";

pub fn initialize_request(id: u64, client_version: &str) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "claude-env-controller", "version": client_version}
        }
    })
}

pub fn initialized_notification() -> Value {
    json!({"jsonrpc": "2.0", "method": "notifications/initialized"})
}

pub fn tools_list_request(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/list", "params": {}})
}

/// Who answered the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub protocol_version: String,
    pub name: String,
    pub version: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum McpError {
    /// Never quotes the answer (checks may be aimed anywhere): its size only.
    #[error("response ({0} bytes) is not JSON-RPC")]
    NotJson(usize),
    #[error("no JSON-RPC response with id {0} in the answer")]
    NoResponse(u64),
    #[error("the answer is JSON but not JSON-RPC 2.0")]
    NotJsonRpc,
    /// The server's own message is not quoted, only the code.
    #[error("the server answered with JSON-RPC error {code}")]
    Rpc { code: i64 },
    #[error("the initialize result lacks {0}")]
    Incomplete(&'static str),
}

/// The JSON-RPC response with `id` in a POST's answer, by its content type.
pub fn response(content_type: &str, body: &str, id: u64) -> Result<Value, McpError> {
    let messages = if content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/event-stream"))
    {
        sse_messages(body)?
    } else {
        match serde_json::from_str::<Value>(body).map_err(|_| McpError::NotJson(body.len()))? {
            Value::Array(batch) => batch,
            one => vec![one],
        }
    };
    messages
        .into_iter()
        .find(|m| m.get("id").and_then(Value::as_u64) == Some(id) && m.get("method").is_none())
        .ok_or(McpError::NoResponse(id))
}

/// The JSON messages of an SSE body: `data:` lines of one event joined by newlines;
/// events without data (priming events, comments) are skipped.
pub fn sse_messages(body: &str) -> Result<Vec<Value>, McpError> {
    let mut out = Vec::new();
    let mut data: Vec<&str> = Vec::new();
    let body = body.replace("\r\n", "\n");
    for line in body.lines().chain(std::iter::once("")) {
        if line.is_empty() {
            if !data.is_empty() {
                let joined = data.join("\n");
                if !joined.trim().is_empty() {
                    out.push(
                        serde_json::from_str(&joined)
                            .map_err(|_| McpError::NotJson(joined.len()))?,
                    );
                }
                data.clear();
            }
        } else if let Some(rest) = line.strip_prefix("data:") {
            data.push(rest.strip_prefix(' ').unwrap_or(rest));
        }
    }
    Ok(out)
}

fn result(response: &Value) -> Result<&Value, McpError> {
    if let Some(e) = response.get("error") {
        return Err(McpError::Rpc {
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
        });
    }
    if response.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(McpError::NotJsonRpc);
    }
    response
        .get("result")
        .ok_or(McpError::Incomplete("a result"))
}

/// An `initialize` response must carry `protocolVersion` and `serverInfo.name`.
pub fn check_initialize(response: &Value) -> Result<ServerInfo, McpError> {
    let r = result(response)?;
    let protocol_version = r
        .get("protocolVersion")
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or(McpError::Incomplete("protocolVersion"))?;
    let info = r
        .get("serverInfo")
        .ok_or(McpError::Incomplete("serverInfo"))?;
    let name = info
        .get("name")
        .and_then(Value::as_str)
        .ok_or(McpError::Incomplete("serverInfo.name"))?;
    Ok(ServerInfo {
        protocol_version: protocol_version.to_string(),
        name: name.to_string(),
        version: info
            .get("version")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// A `tools/list` response must name every expected tool.
pub fn check_tools(response: &Value, expected: &[String]) -> Evaluation {
    let r = match result(response) {
        Ok(r) => r,
        Err(e) => return Evaluation::fail(format!("tools/list: {e}")),
    };
    let names: Vec<&str> = r
        .get("tools")
        .and_then(Value::as_array)
        .map(|tools| {
            tools
                .iter()
                .filter_map(|t| t.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&str> = expected
        .iter()
        .map(String::as_str)
        .filter(|e| !names.contains(e))
        .collect();
    if missing.is_empty() {
        Evaluation::pass(format!("{} tools, all expected present", names.len()))
    } else {
        Evaluation::fail(format!(
            "tools/list lacks {} (has {})",
            missing.join(", "),
            names.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Outcome;

    fn init_ok() -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "result": {
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "context7", "version": "1.2.0"}
        }})
    }

    #[test]
    fn requests_carry_what_the_spec_requires() {
        let r = initialize_request(7, "0.1.0");
        assert_eq!(r["method"], "initialize");
        assert_eq!(r["id"], 7);
        assert_eq!(r["params"]["protocolVersion"], PROTOCOL_VERSION);
        assert!(r["params"]["capabilities"].is_object());
        assert_eq!(r["params"]["clientInfo"]["name"], "claude-env-controller");
        assert!(initialized_notification().get("id").is_none());
    }

    #[test]
    fn a_complete_initialize_result_passes() {
        let info = check_initialize(&init_ok()).unwrap();
        assert_eq!(info.name, "context7");
        assert_eq!(info.protocol_version, "2025-11-25");
        assert_eq!(info.version.as_deref(), Some("1.2.0"));
    }

    #[test]
    fn missing_protocol_version_or_server_info_fails() {
        let mut v = init_ok();
        v["result"]
            .as_object_mut()
            .unwrap()
            .remove("protocolVersion");
        assert_eq!(
            check_initialize(&v),
            Err(McpError::Incomplete("protocolVersion"))
        );
        let mut v = init_ok();
        v["result"].as_object_mut().unwrap().remove("serverInfo");
        assert_eq!(
            check_initialize(&v),
            Err(McpError::Incomplete("serverInfo"))
        );
    }

    #[test]
    fn a_json_rpc_error_fails_with_its_code_not_the_servers_message() {
        let v = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "boom"}});
        assert_eq!(check_initialize(&v), Err(McpError::Rpc { code: -32603 }));
        assert!(!McpError::Rpc { code: -32603 }.to_string().contains("boom"));
    }

    #[test]
    fn json_body_is_read() {
        let body = init_ok().to_string();
        assert_eq!(response("application/json", &body, 1).unwrap(), init_ok());
    }

    #[test]
    fn sse_body_is_read_skipping_priming_events_and_notifications() {
        let body = format!(
            "id: 0\ndata: \n\nevent: message\ndata: {}\n\nevent: message\nid: 2\ndata: {}\n\n",
            json!({"jsonrpc":"2.0","method":"notifications/message","params":{}}),
            init_ok()
        );
        assert_eq!(
            response("text/event-stream; charset=utf-8", &body, 1).unwrap(),
            init_ok()
        );
    }

    #[test]
    fn sse_data_split_over_lines_is_joined() {
        let body = "data: {\"jsonrpc\":\"2.0\",\ndata: \"id\":1,\"result\":{}}\n\n";
        assert_eq!(sse_messages(body).unwrap()[0]["id"], 1);
    }

    #[test]
    fn sse_with_crlf_line_ends() {
        let body = format!("event: message\r\ndata: {}\r\n\r\n", init_ok());
        assert_eq!(sse_messages(&body).unwrap(), vec![init_ok()]);
    }

    #[test]
    fn a_response_for_another_id_is_not_the_answer() {
        let body = init_ok().to_string();
        assert_eq!(
            response("application/json", &body, 2),
            Err(McpError::NoResponse(2))
        );
    }

    #[test]
    fn html_is_not_json_rpc() {
        assert!(matches!(
            response("text/html", "<h1>502</h1>", 1),
            Err(McpError::NotJson(_))
        ));
    }

    #[test]
    fn expected_tools_present_passes_and_missing_fails() {
        let v = json!({"jsonrpc":"2.0","id":2,"result":{"tools":[
            {"name":"echo","inputSchema":{}},{"name":"resolve-library-id","inputSchema":{}}
        ]}});
        assert_eq!(check_tools(&v, &["echo".into()]).outcome, Outcome::Pass);
        let e = check_tools(&v, &["echo".into(), "get-library-docs".into()]);
        assert_eq!(e.outcome, Outcome::Fail);
        assert!(e.message.contains("get-library-docs"));
    }
}
