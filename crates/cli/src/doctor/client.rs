//! One MCP server checked with the official SDK (rmcp) as the client: start it (stdio) or
//! connect (streamable HTTP), `initialize`, `tools/list`, close — within a timeout.

use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

use claude_env_api::ServerCheck;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};

use super::servers::{Server, Transport, expand, expand_all};

/// Check `server`; never fails, the result says what went wrong.
pub async fn check(
    server: &Server,
    timeout: Duration,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> ServerCheck {
    let result = match tokio::time::timeout(timeout, handshake(&server.transport, lookup)).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "no answer to initialize and tools/list within {}s",
            timeout.as_secs()
        )),
    };
    let (ok, tools, message) = match result {
        Ok(Some(n)) => (true, Some(n), None),
        Ok(None) => (
            true,
            None,
            Some("not checked: the SDK's client has no SSE transport".into()),
        ),
        Err(m) => (false, None, Some(m)),
    };
    ServerCheck {
        name: server.name.clone(),
        transport: server.transport.label().into(),
        ok,
        tools,
        message,
    }
}

/// The number of tools listed (`None`: a transport not checked).
async fn handshake(
    transport: &Transport,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Option<i32>, String> {
    let unset = |vars: Vec<String>| {
        format!(
            "variable(s) not set in this environment: {}",
            vars.iter()
                .map(|v| format!("${{{v}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let client = match transport {
        Transport::Sse { .. } => return Ok(None),
        Transport::Stdio { command, args, env } => {
            let command = expand(command, lookup).map_err(unset)?;
            let args = expand_all(args, lookup).map_err(unset)?;
            let values = expand_all(env.values(), lookup).map_err(unset)?;
            let mut cmd = tokio::process::Command::new(&command);
            cmd.args(&args).envs(env.keys().zip(values));
            let (process, _) = TokioChildProcess::builder(cmd)
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start {command:?}: {e}"))?;
            ().serve(process)
                .await
                .map_err(|e| format!("initialize failed: {e}"))?
        }
        Transport::Http { url, headers } => {
            let url = expand(url, lookup).map_err(unset)?;
            let values = expand_all(headers.values(), lookup).map_err(unset)?;
            let mut custom = HashMap::new();
            for (k, v) in headers.keys().zip(values) {
                let name = http::HeaderName::try_from(k.as_str())
                    .map_err(|_| format!("invalid header name {k:?}"))?;
                let value = http::HeaderValue::try_from(v)
                    .map_err(|_| format!("invalid value of header {k:?}"))?;
                custom.insert(name, value);
            }
            let mut config = StreamableHttpClientTransportConfig::with_uri(url.as_str());
            config.custom_headers = custom;
            ().serve(StreamableHttpClientTransport::from_config(config))
                .await
                .map_err(|e| format!("initialize failed: {e}"))?
        }
    };
    let tools = client.list_all_tools().await;
    let _ = client.cancel().await;
    let tools = tools.map_err(|e| format!("tools/list failed: {e}"))?;
    Ok(Some(i32::try_from(tools.len()).unwrap_or(i32::MAX)))
}
