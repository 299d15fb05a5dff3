//! `mcp.json` in Claude Code's format: `{"mcpServers": {<name>: {...}}}`.
//!
//! Which transport a server gets, first match wins — so an environment can move a server
//! that base runs over stdio into the cluster just by adding `deploy:`:
//! 1. `deploy:` → `{"type": "http", "url": "http://<service>.<targetNamespace>.svc.cluster.local:<port><path>", "headers"}`
//!    (`type` is ignored: deployed servers speak streamable HTTP; the server-level `env` is
//!    for stdio and not used — the pod's environment is `deploy.env`);
//! 2. `url` → `{"type": "sse"|"http", "url", "headers"}` (`sse` only when `type: sse`, so
//!    a `type: stdio` inherited from a lower layer does not break a server moved to `url`);
//! 3. `command` → `{"type": "stdio", "command", "args", "env"}`.
//!
//! Disabled servers are left out.

use serde_json::{Map, Value};

use claude_env_config::{Deploy, Document, McpServer};

use crate::RenderContext;
use crate::error::{Pointer, RenderError};
use crate::naming::server_object_name;
use crate::placeholders::Placeholders;

/// The MCP endpoint path of a deployed server when `deploy.path` is not set.
pub const DEFAULT_MCP_PATH: &str = "/mcp";

pub(crate) fn mcp_json(
    doc: &Document,
    ctx: &RenderContext,
    p: &mut Placeholders,
) -> Result<Value, RenderError> {
    let root = Pointer::ROOT;
    let servers_at = root.child("mcpServers");
    let mut servers = Map::new();
    for (name, server) in doc.mcp_servers.iter().filter(|(_, s)| s.is_enabled()) {
        let at = servers_at.child(name);
        servers.insert(
            name.clone(),
            Value::Object(entry(name, server, ctx, p, &at)?),
        );
    }
    let mut out = Map::new();
    out.insert("mcpServers".into(), Value::Object(servers));
    Ok(Value::Object(out))
}

fn entry(
    name: &str,
    server: &McpServer,
    ctx: &RenderContext,
    p: &mut Placeholders,
    at: &Pointer,
) -> Result<Map<String, Value>, RenderError> {
    let mut e = Map::new();
    if let Some(deploy) = &server.deploy {
        check_port(name, deploy, &at.child("deploy"))?;
        let url = in_cluster_url(ctx, name, deploy);
        e.insert("type".into(), "http".into());
        e.insert("url".into(), url.into());
        insert_map(&mut e, "headers", &server.headers, p, &at.child("headers"))?;
    } else if let Some(url) = &server.url {
        let transport = match server.transport.as_deref() {
            Some("sse") => "sse",
            _ => "http",
        };
        e.insert("type".into(), transport.into());
        e.insert("url".into(), p.string(url, &at.child("url"))?.into());
        insert_map(&mut e, "headers", &server.headers, p, &at.child("headers"))?;
    } else if let Some(command) = &server.command {
        e.insert("type".into(), "stdio".into());
        e.insert(
            "command".into(),
            p.string(command, &at.child("command"))?.into(),
        );
        if !server.args.is_empty() {
            let args_at = at.child("args");
            let mut args = Vec::with_capacity(server.args.len());
            for (i, a) in server.args.iter().enumerate() {
                let index = i.to_string();
                args.push(Value::String(p.string(a, &args_at.child(&index))?));
            }
            e.insert("args".into(), Value::Array(args));
        }
        insert_map(&mut e, "env", &server.env, p, &at.child("env"))?;
    } else {
        return Err(RenderError::InvalidServer {
            server: name.to_string(),
            pointer: at.render(),
            reason: "needs one of `command`, `url` or `deploy`".into(),
        });
    }
    Ok(e)
}

/// Where the Service of a deployed server answers inside the cluster (also what the
/// controller's MCP health checks call).
pub fn in_cluster_url(ctx: &RenderContext, server: &str, deploy: &Deploy) -> String {
    format!(
        "http://{service}.{ns}.svc.cluster.local:{port}{path}",
        service = server_object_name(&ctx.instance, server),
        ns = ctx.target_namespace,
        port = deploy.port,
        path = mcp_path(deploy),
    )
}

/// `deploy.path`, defaulting to `/mcp` and always starting with `/`.
pub fn mcp_path(deploy: &Deploy) -> String {
    match deploy.path.as_deref() {
        None | Some("") => DEFAULT_MCP_PATH.to_string(),
        Some(p) if p.starts_with('/') => p.to_string(),
        Some(p) => format!("/{p}"),
    }
}

pub(crate) fn check_port(name: &str, deploy: &Deploy, at: &Pointer) -> Result<(), RenderError> {
    if deploy.port == 0 {
        return Err(RenderError::InvalidServer {
            server: name.to_string(),
            pointer: at.child("port").render(),
            reason: "port must be 1-65535".into(),
        });
    }
    Ok(())
}

fn insert_map(
    e: &mut Map<String, Value>,
    key: &str,
    map: &std::collections::BTreeMap<String, String>,
    p: &mut Placeholders,
    at: &Pointer,
) -> Result<(), RenderError> {
    if map.is_empty() {
        return Ok(());
    }
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        out.insert(k.clone(), p.string(v, &at.child(k))?.into());
    }
    e.insert(key.into(), Value::Object(out));
    Ok(())
}
