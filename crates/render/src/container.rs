//! The container of a deployed MCP server: environment (secrets as `secretKeyRef`), command
//! and args, resources, readiness probe and a locked-down security context.
//!
//! Secrets in the cluster:
//! - a value that is exactly `${secret:<name>/<key>}` becomes
//!   `valueFrom.secretKeyRef {name, key}` on that variable;
//! - a secret inside a longer value (`Bearer ${secret:api/token}`) or inside `command`/`args`
//!   becomes Kubernetes' dependent-variable syntax `$(CLAUDE_ENV_SECRET_API__TOKEN)`, and that
//!   variable is defined from the Secret first (Kubernetes only expands variables defined
//!   earlier in the list). Literal text is passed as written, so Kubernetes' own `$(VAR)`
//!   expansion applies to it as users expect;
//! - `${env:VAR}` is an error: the cluster has no workstation environment.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction, Probe,
    ResourceRequirements, SecretKeySelector, SecurityContext, TCPSocketAction, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use claude_env_config::Deploy;

use crate::error::{Pointer, RenderError};
use crate::refs::{self, Segment};
use crate::secrets::{SECRET_VAR_PREFIX, SecretRef, SecretVars};

/// Name of the container and of its port (the Service targets the port by name).
pub const CONTAINER_NAME: &str = "mcp";
pub const PORT_NAME: &str = "mcp";
/// Where the config ConfigMap is mounted (read-only).
pub const CONFIG_MOUNT_PATH: &str = "/etc/claude-env";
pub const CONFIG_VOLUME: &str = "config";
/// A writable `/tmp`: the root filesystem is read-only and most servers need scratch space.
pub const TMP_VOLUME: &str = "tmp";
pub const TMP_MOUNT_PATH: &str = "/tmp";

pub(crate) fn container(server: &str, d: &Deploy, at: &Pointer) -> Result<Container, RenderError> {
    let mut secrets = SecretVars::default();
    let mut cx = Cx {
        server,
        secrets: &mut secrets,
    };
    if d.image.trim().is_empty() {
        return Err(cx.invalid(&at.child("image"), "image must not be empty"));
    }
    refs::reject(server, &d.image, &at.child("image"))?;
    let command = cx.list(&d.command, &at.child("command"))?;
    let args = cx.list(&d.args, &at.child("args"))?;
    let user_env = cx.env(&d.env, &at.child("env"))?;

    // Variables the other values expand: defined first, in name order.
    let mut env: Vec<EnvVar> = secrets
        .into_map()
        .into_iter()
        .map(|(var, r)| secret_env(var, r))
        .collect();
    env.extend(user_env);

    Ok(Container {
        name: CONTAINER_NAME.into(),
        image: Some(d.image.clone()),
        command: (!command.is_empty()).then_some(command),
        args: (!args.is_empty()).then_some(args),
        env: (!env.is_empty()).then_some(env),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.into()),
            container_port: i32::from(d.port),
            ..Default::default()
        }]),
        resources: resources(server, d, &at.child("resources"))?,
        readiness_probe: Some(readiness_probe(d)),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(true),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: CONFIG_VOLUME.into(),
                mount_path: CONFIG_MOUNT_PATH.into(),
                read_only: Some(true),
                ..Default::default()
            },
            VolumeMount {
                name: TMP_VOLUME.into(),
                mount_path: TMP_MOUNT_PATH.into(),
                ..Default::default()
            },
        ]),
        ..Default::default()
    })
}

/// `healthCheck.path` as an HTTP GET on the named port; without a path, a TCP check, so
/// a pod is only Ready once the server listens.
fn readiness_probe(d: &Deploy) -> Probe {
    let port = IntOrString::String(PORT_NAME.into());
    match d.health_check.as_ref().and_then(|h| h.path.as_deref()) {
        Some(path) => Probe {
            http_get: Some(HTTPGetAction {
                path: Some(if path.starts_with('/') {
                    path.to_string()
                } else {
                    format!("/{path}")
                }),
                port,
                ..Default::default()
            }),
            ..Default::default()
        },
        None => Probe {
            tcp_socket: Some(TCPSocketAction {
                port,
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

fn resources(
    server: &str,
    d: &Deploy,
    at: &Pointer,
) -> Result<Option<ResourceRequirements>, RenderError> {
    let Some(r) = &d.resources else {
        return Ok(None);
    };
    let quantities = |m: &BTreeMap<String, String>, at: &Pointer| {
        if m.is_empty() {
            return Ok(None);
        }
        let mut out = BTreeMap::new();
        for (k, v) in m {
            refs::reject(server, v, &at.child(k))?;
            out.insert(k.clone(), Quantity(v.clone()));
        }
        Ok(Some(out))
    };
    let requests = quantities(&r.requests, &at.child("requests"))?;
    let limits = quantities(&r.limits, &at.child("limits"))?;
    if requests.is_none() && limits.is_none() {
        return Ok(None);
    }
    Ok(Some(ResourceRequirements {
        requests,
        limits,
        ..Default::default()
    }))
}

fn secret_env(var: String, r: SecretRef) -> EnvVar {
    EnvVar {
        name: var,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: r.name,
                key: r.key,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Per-container state while mapping references.
struct Cx<'s> {
    server: &'s str,
    secrets: &'s mut SecretVars,
}

impl Cx<'_> {
    fn invalid(&self, at: &Pointer, reason: &str) -> RenderError {
        RenderError::InvalidServer {
            server: self.server.to_string(),
            pointer: at.render(),
            reason: reason.to_string(),
        }
    }

    fn segments<'v>(&self, s: &'v str, at: &Pointer) -> Result<Vec<Segment<'v>>, RenderError> {
        refs::parse(s).map_err(|e| e.at(at))
    }

    /// A string with secrets as `$(VAR)`.
    fn expand(&mut self, s: &str, at: &Pointer) -> Result<String, RenderError> {
        if !refs::may_contain_ref(s) {
            return Ok(s.to_string());
        }
        let mut out = String::with_capacity(s.len() + 16);
        for seg in self.segments(s, at)? {
            match seg {
                Segment::Text(t) => out.push_str(t),
                Segment::Secret(r) => {
                    let var = self.secrets.add(r, at)?;
                    out.push_str("$(");
                    out.push_str(&var);
                    out.push(')');
                }
                Segment::Env(var) => return Err(self.env_in_cluster(var, at)),
            }
        }
        Ok(out)
    }

    fn env_in_cluster(&self, var: &str, at: &Pointer) -> RenderError {
        RenderError::EnvInCluster {
            server: self.server.to_string(),
            pointer: at.render(),
            var: var.to_string(),
        }
    }

    fn list(&mut self, items: &[String], at: &Pointer) -> Result<Vec<String>, RenderError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, s) in items.iter().enumerate() {
            let index = i.to_string();
            out.push(self.expand(s, &at.child(&index))?);
        }
        Ok(out)
    }

    fn env(
        &mut self,
        env: &BTreeMap<String, String>,
        at: &Pointer,
    ) -> Result<Vec<EnvVar>, RenderError> {
        let mut out = Vec::with_capacity(env.len());
        for (name, value) in env {
            let at = at.child(name);
            if !is_env_name(name) {
                return Err(self.invalid(&at, "not a valid environment variable name"));
            }
            if name.starts_with(SECRET_VAR_PREFIX) {
                return Err(RenderError::ReservedKey {
                    server: self.server.to_string(),
                    pointer: at.render(),
                    key: name.clone(),
                });
            }
            // Exactly one secret reference: reference the Secret directly.
            if refs::may_contain_ref(value)
                && let [Segment::Secret(r)] = self.segments(value, &at)?.as_slice()
            {
                out.push(secret_env(name.clone(), r.clone()));
                continue;
            }
            out.push(EnvVar {
                name: name.clone(),
                value: Some(self.expand(value, &at)?),
                ..Default::default()
            });
        }
        Ok(out)
    }
}

/// Kubernetes' rule for container variable names: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || matches!(c, '-' | '.' | '_'))
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
}
