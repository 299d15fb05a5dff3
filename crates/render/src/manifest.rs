//! Rendered objects as the controller applies them: JSON with its identity. One shape for
//! the controller (which server-side applies them) and the CLI (which compares them with the
//! live objects), so both see exactly the same fields.

use std::time::Duration;

use claude_env_api::{InventoryEntry, ObjectKey, ObjectKind, UnknownKind};
use serde_json::Value;

use crate::DesiredObjects;

/// One object to server-side apply.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub key: ObjectKey,
    /// The whole object (`apiVersion`, `kind`, `metadata`, ...), as sent in the apply.
    pub value: Value,
    /// The MCP server a Deployment or Service belongs to.
    pub server: Option<String>,
}

impl Manifest {
    fn new(kind: ObjectKind, value: Value, server: Option<String>) -> Manifest {
        let s = |p: &str| {
            value
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Manifest {
            key: ObjectKey::new(kind, s("/metadata/namespace"), s("/metadata/name")),
            value,
            server,
        }
    }

    /// A manifest for any object value of a kind we render (its `kind` field decides).
    pub fn from_value(value: Value, server: Option<String>) -> Result<Manifest, UnknownKind> {
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .parse()?;
        Ok(Manifest::new(kind, value, server))
    }

    /// The inventory entry recording this object.
    pub fn entry(&self) -> InventoryEntry {
        self.key.entry()
    }
}

/// The objects of a render as the controller applies them: the ConfigMap first (pods mount
/// it), then each server's Service and Deployment. Each Deployment carries the environment's
/// readiness deadline (`spec.healthChecks.readiness.progressDeadline`) as its
/// `progressDeadlineSeconds`: the deployment controller then reports
/// `ProgressDeadlineExceeded`, which is what the readiness check reads.
pub fn manifests(rendered: &DesiredObjects, progress_deadline: Duration) -> Vec<Manifest> {
    let mut out = vec![Manifest::new(
        ObjectKind::ConfigMap,
        json(&rendered.config_map),
        None,
    )];
    for s in &rendered.servers {
        out.push(Manifest::new(
            ObjectKind::Service,
            json(&s.service),
            Some(s.server.clone()),
        ));
        let mut deployment = json(&s.deployment);
        deployment["spec"]["progressDeadlineSeconds"] = progress_deadline.as_secs().max(1).into();
        out.push(Manifest::new(
            ObjectKind::Deployment,
            deployment,
            Some(s.server.clone()),
        ));
    }
    out
}

fn json<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize to JSON")
}
