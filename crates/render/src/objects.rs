//! The desired Kubernetes objects of one environment, ready for server-side apply: every
//! object carries `apiVersion`/`kind` (k8s-openapi writes them from `k8s_openapi::Resource`)
//! and a namespace, and sets only fields the controller means to own — no status, no
//! values the API server would default anyway (protocol, pull policy, probe timings, ...),
//! so a diff against the live object shows real drift only.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};

use claude_env_config::Document;

use crate::RenderContext;
use crate::configmap::{config_map, volume_source};
use crate::error::{Pointer, RenderError};
use crate::files::{ClaudeFiles, render_files};
use crate::naming::server_object_name;
use crate::workload::{Inputs, server_objects};

/// Everything the controller applies for one environment.
#[derive(Clone, Debug, PartialEq)]
pub struct DesiredObjects {
    /// The content hash naming the ConfigMap and annotating every pod template.
    pub config_hash: String,
    pub config_map: ConfigMap,
    /// One entry per enabled server with `deploy:`, in server name order.
    pub servers: Vec<ServerObjects>,
}

/// The objects of one deployed MCP server (both named `<instance>-<server>`).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerObjects {
    /// The server's name in `mcpServers`.
    pub server: String,
    pub deployment: Deployment,
    pub service: Service,
}

/// Files and objects of one render (the objects embed the files).
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub files: ClaudeFiles,
    pub objects: DesiredObjects,
}

/// Renders the files and the objects in one pass.
pub fn render(doc: &Document, ctx: &RenderContext) -> Result<Rendered, RenderError> {
    let files = render_files(doc, ctx)?;
    let objects = objects_for_files(doc, ctx, &files)?;
    Ok(Rendered { files, objects })
}

/// Renders the desired objects of one environment.
pub fn render_objects(doc: &Document, ctx: &RenderContext) -> Result<DesiredObjects, RenderError> {
    Ok(render(doc, ctx)?.objects)
}

/// The objects for files already rendered from `doc` with the same context (as rendered:
/// never files after [`ClaudeFiles::resolve_env`], whose workstation values must not end
/// up in a ConfigMap).
pub fn objects_for_files(
    doc: &Document,
    ctx: &RenderContext,
    files: &ClaudeFiles,
) -> Result<DesiredObjects, RenderError> {
    let (config_map, config_hash) = config_map(ctx, files);
    let config_volume = volume_source(&config_map, files);

    let root = Pointer::ROOT;
    let servers_at = root.child("mcpServers");
    let mut names: BTreeMap<String, &str> = BTreeMap::new();
    let mut servers = Vec::new();
    for (server, spec) in doc.mcp_servers.iter().filter(|(_, s)| s.is_enabled()) {
        let Some(deploy) = &spec.deploy else { continue };
        let object_name = server_object_name(&ctx.instance, server);
        if let Some(first) = names.insert(object_name.clone(), server) {
            return Err(RenderError::NameCollision {
                name: object_name,
                first: first.to_string(),
                second: server.clone(),
            });
        }
        let inputs = Inputs {
            ctx,
            server,
            object_name: &object_name,
            deploy,
            config_hash: &config_hash,
            config_volume: &config_volume,
        };
        let at = servers_at.child(server);
        servers.push(server_objects(inputs, &at.child("deploy"))?);
    }
    Ok(DesiredObjects {
        config_hash,
        config_map,
        servers,
    })
}
