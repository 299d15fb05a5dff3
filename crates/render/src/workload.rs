//! The Deployment and Service of one deployed MCP server.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapVolumeSource, EmptyDirVolumeSource, PodSecurityContext, PodSpec, PodTemplateSpec,
    SeccompProfile, Service, ServicePort, ServiceSpec, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use claude_env_api::annotations::CONFIG_HASH;
use claude_env_config::Deploy;

use crate::container::{CONFIG_VOLUME, PORT_NAME, TMP_VOLUME, container};
use crate::error::{Pointer, RenderError};
use crate::labels::{self, Labels};
use crate::mcp::check_port;
use crate::naming::{is_label_value, is_qualified_key};
use crate::refs;
use crate::{RenderContext, ServerObjects};

/// Default `deploy.replicas`.
pub(crate) const DEFAULT_REPLICAS: i32 = 1;

pub(crate) struct Inputs<'a> {
    pub ctx: &'a RenderContext,
    pub server: &'a str,
    pub object_name: &'a str,
    pub deploy: &'a Deploy,
    pub config_hash: &'a str,
    pub config_volume: &'a ConfigMapVolumeSource,
}

pub(crate) fn server_objects(i: Inputs<'_>, at: &Pointer) -> Result<ServerObjects, RenderError> {
    let d = i.deploy;
    check_port(i.server, d, at)?;
    let replicas = d.replicas.unwrap_or(DEFAULT_REPLICAS);
    if replicas < 0 {
        return Err(RenderError::InvalidServer {
            server: i.server.to_string(),
            pointer: at.child("replicas").render(),
            reason: "replicas must not be negative".into(),
        });
    }

    let own = labels::server(i.ctx, i.server, i.object_name);
    let labels = merge_labels(i.server, &own, &d.labels, &at.child("labels"))?;
    let user_annotations = annotations(i.server, &d.annotations, &at.child("annotations"))?;
    let selector = labels::selector(i.ctx, i.server);

    let mut template_annotations = user_annotations.clone();
    template_annotations.insert(CONFIG_HASH.into(), i.config_hash.into());

    let meta = |labels: &Labels, annotations: &Labels| ObjectMeta {
        name: Some(i.object_name.to_string()),
        namespace: Some(i.ctx.target_namespace.clone()),
        labels: Some(labels.clone()),
        annotations: (!annotations.is_empty()).then(|| annotations.clone()),
        ..Default::default()
    };

    let deployment = Deployment {
        metadata: meta(&labels, &user_annotations),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(selector.clone()),
                ..Default::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    annotations: Some(template_annotations),
                    ..Default::default()
                }),
                spec: Some(pod_spec(&i, at)?),
            },
            ..Default::default()
        }),
        status: None,
    };

    let service = Service {
        metadata: meta(&labels, &BTreeMap::new()),
        spec: Some(ServiceSpec {
            selector: Some(selector),
            ports: Some(vec![ServicePort {
                name: Some(PORT_NAME.into()),
                port: i32::from(d.port),
                target_port: Some(IntOrString::String(PORT_NAME.into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        status: None,
    };

    Ok(ServerObjects {
        server: i.server.to_string(),
        deployment,
        service,
    })
}

fn pod_spec(i: &Inputs<'_>, at: &Pointer) -> Result<PodSpec, RenderError> {
    Ok(PodSpec {
        // MCP servers have no business with the Kubernetes API.
        automount_service_account_token: Some(false),
        security_context: Some(PodSecurityContext {
            run_as_non_root: Some(true),
            seccomp_profile: Some(SeccompProfile {
                type_: "RuntimeDefault".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        containers: vec![container(i.server, i.deploy, at)?],
        volumes: Some(vec![
            Volume {
                name: CONFIG_VOLUME.into(),
                config_map: Some(i.config_volume.clone()),
                ..Default::default()
            },
            Volume {
                name: TMP_VOLUME.into(),
                empty_dir: Some(EmptyDirVolumeSource::default()),
                ..Default::default()
            },
        ]),
        ..Default::default()
    })
}

/// Ours plus the user's `deploy.labels`; the user may add but not override ours.
fn merge_labels(
    server: &str,
    own: &Labels,
    user: &BTreeMap<String, String>,
    at: &Pointer,
) -> Result<Labels, RenderError> {
    let mut out = own.clone();
    for (k, v) in user {
        let at = at.child(k);
        check_key(server, k, &at)?;
        if own.contains_key(k) {
            return Err(RenderError::ReservedKey {
                server: server.to_string(),
                pointer: at.render(),
                key: k.clone(),
            });
        }
        if !is_label_value(v) {
            return Err(invalid(server, &at, "label value", v));
        }
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

/// The user's `deploy.annotations`; the config hash annotation is ours.
fn annotations(
    server: &str,
    user: &BTreeMap<String, String>,
    at: &Pointer,
) -> Result<Labels, RenderError> {
    let mut out = Labels::new();
    for (k, v) in user {
        let at = at.child(k);
        check_key(server, k, &at)?;
        if k == CONFIG_HASH {
            return Err(RenderError::ReservedKey {
                server: server.to_string(),
                pointer: at.render(),
                key: k.clone(),
            });
        }
        refs::reject(server, v, &at)?;
        out.insert(k.clone(), v.clone());
    }
    Ok(out)
}

fn check_key(server: &str, key: &str, at: &Pointer) -> Result<(), RenderError> {
    if is_qualified_key(key) {
        Ok(())
    } else {
        Err(invalid(server, at, "key", key))
    }
}

fn invalid(server: &str, at: &Pointer, what: &'static str, value: &str) -> RenderError {
    RenderError::InvalidMetadata {
        server: server.to_string(),
        pointer: at.render(),
        what,
        value: value.to_string(),
    }
}
