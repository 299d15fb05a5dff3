//! Rendered objects as the controller applies them: JSON values with identity, shaped by the
//! environment's spec (pure).

use claude_env_api::{Inventory, InventoryEntry};
use claude_env_drift::ObjectKey;
use claude_env_render::DesiredObjects;
use serde_json::Value;

use crate::inventory;
use crate::plan::Plan;

/// One object to server-side apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    pub key: ObjectKey,
    pub api_version: String,
    pub value: Value,
    /// The MCP server a workload belongs to.
    pub server: Option<String>,
}

impl Desired {
    fn new(value: Value, server: Option<String>) -> Desired {
        let s = |p: &str| {
            value
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Desired {
            key: ObjectKey::new(s("/kind"), s("/metadata/namespace"), s("/metadata/name")),
            api_version: s("/apiVersion"),
            value,
            server,
        }
    }

    pub fn entry(&self) -> InventoryEntry {
        InventoryEntry {
            api_version: self.api_version.clone(),
            kind: self.key.kind.clone(),
            namespace: self.key.namespace.clone(),
            name: self.key.name.clone(),
        }
    }
}

/// The ConfigMap first (pods mount it), then each server's Service and Deployment.
pub fn desired(rendered: &DesiredObjects, plan: &Plan) -> Vec<Desired> {
    let mut out = vec![Desired::new(json(&rendered.config_map), None)];
    for s in &rendered.servers {
        out.push(Desired::new(json(&s.service), Some(s.server.clone())));
        let mut deployment = json(&s.deployment);
        // The readiness deadline is the Deployment's: the deployment controller then reports
        // ProgressDeadlineExceeded, which is what the health check reads.
        deployment["spec"]["progressDeadlineSeconds"] =
            plan.progress_deadline.as_secs().max(1).into();
        out.push(Desired::new(deployment, Some(s.server.clone())));
    }
    out
}

pub fn inventory_of(desired: &[Desired]) -> Inventory {
    inventory::normalized(desired.iter().map(Desired::entry).collect())
}

fn json<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize to JSON")
}
