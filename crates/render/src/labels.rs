//! Labels of rendered objects. Selectors use only what never changes for the life of a
//! server (owner and server name) — never the config hash, revision or environment, since a
//! Deployment's selector is immutable and a changed one would orphan its pods.

use std::collections::BTreeMap;

use claude_env_api::labels;

use crate::RenderContext;
use crate::naming::label_value;

pub const APP_NAME: &str = "app.kubernetes.io/name";
pub const APP_INSTANCE: &str = "app.kubernetes.io/instance";
pub const APP_PART_OF: &str = "app.kubernetes.io/part-of";
pub const APP_COMPONENT: &str = "app.kubernetes.io/component";

/// `app.kubernetes.io/component` of the config ConfigMap.
pub const COMPONENT_CONFIG: &str = "config";
/// `app.kubernetes.io/component` of a server's Deployment and Service.
pub const COMPONENT_MCP_SERVER: &str = "mcp-server";

pub type Labels = BTreeMap<String, String>;

/// On every object: who manages it, which ClaudeEnvironment owns it, which environment.
pub fn common(ctx: &RenderContext) -> Labels {
    let mut l = Labels::new();
    l.insert(labels::MANAGED_BY.into(), labels::MANAGED_BY_VALUE.into());
    l.insert(labels::OWNER_NAME.into(), label_value(&ctx.instance));
    l.insert(
        labels::OWNER_NAMESPACE.into(),
        label_value(&ctx.owner_namespace),
    );
    l.insert(labels::ENVIRONMENT.into(), label_value(&ctx.environment));
    l.insert(APP_PART_OF.into(), label_value(&ctx.instance));
    l
}

pub fn config_map(ctx: &RenderContext) -> Labels {
    let mut l = common(ctx);
    l.insert(APP_COMPONENT.into(), COMPONENT_CONFIG.into());
    l
}

/// Deployment, pod template and Service of one server.
pub fn server(ctx: &RenderContext, server: &str, object_name: &str) -> Labels {
    let mut l = common(ctx);
    l.insert(labels::SERVER.into(), label_value(server));
    l.insert(APP_NAME.into(), label_value(server));
    l.insert(APP_INSTANCE.into(), label_value(object_name));
    l.insert(APP_COMPONENT.into(), COMPONENT_MCP_SERVER.into());
    l
}

/// The Deployment selector and Service selector of one server: a subset of [`server`].
pub fn selector(ctx: &RenderContext, server: &str) -> Labels {
    let mut l = Labels::new();
    l.insert(labels::OWNER_NAME.into(), label_value(&ctx.instance));
    l.insert(
        labels::OWNER_NAMESPACE.into(),
        label_value(&ctx.owner_namespace),
    );
    l.insert(labels::SERVER.into(), label_value(server));
    l
}
