//! `claude-env version`: this CLI's version, and the controller's as the cluster runs it.
//!
//! The controller is found by its Deployment's label `app.kubernetes.io/name=
//! claude-env-controller` (the chart and the plain manifests both set it) in
//! `--controller-namespace`, else in every namespace. Its version is the tag of the image it
//! runs (what actually runs, also when a chart was installed with another `image.tag`), else
//! — an image pinned by digest — the Deployment's `app.kubernetes.io/version` label. No
//! controller found is a finding (exit 1); a cluster that cannot be reached is an error
//! (exit 2), after the CLI's own version is printed.

use std::io::Write;

use k8s_openapi::api::apps::v1::Deployment;
use serde::Serialize;

use super::structured_out;
use crate::cli::{ReportFormat, VersionArgs};
use crate::cluster::client::{CONTROLLER_NAME, NAME_LABEL, VERSION_LABEL};
use crate::cluster::{Cluster, client};
use crate::error::{CliError, Exit};
use crate::style;

/// This binary's version.
pub(super) const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    client: String,
    /// `None` with `--client`.
    #[serde(skip_serializing_if = "Option::is_none")]
    controllers: Option<Vec<Controller>>,
}

/// One controller Deployment.
#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Controller {
    namespace: String,
    name: String,
    /// The image tag, else the version label.
    version: Option<String>,
    image: Option<String>,
    ready_replicas: i32,
    replicas: i32,
}

pub(super) fn run(args: &VersionArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let mut versions = Versions {
        client: CLIENT_VERSION.to_string(),
        controllers: None,
    };
    if args.client {
        if !structured_out(out, args.output, &versions)? {
            write!(out, "{}", text(&versions, None))?;
        }
        return Ok(Exit::Ok);
    }
    let found = client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.kube).await?;
        cluster
            .controller_deployments(args.controller_namespace.as_deref())
            .await
    });
    let deployments = match found {
        Ok(d) => d,
        Err(e) => {
            // What this binary is, even when the cluster cannot say what it runs.
            if args.output == ReportFormat::Human {
                write!(out, "{}", text(&versions, None))?;
            }
            return Err(e.into());
        }
    };
    versions.controllers = Some(deployments.iter().map(controller).collect());
    let exit = if deployments.is_empty() {
        Exit::Findings
    } else {
        Exit::Ok
    };
    if !structured_out(out, args.output, &versions)? {
        write!(
            out,
            "{}",
            text(&versions, args.controller_namespace.as_deref())
        )?;
    }
    Ok(exit)
}

fn controller(d: &Deployment) -> Controller {
    let image = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.containers.first())
        .and_then(|c| c.image.clone());
    let label = d
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(VERSION_LABEL))
        .filter(|v| !v.is_empty())
        .cloned();
    Controller {
        namespace: d.metadata.namespace.clone().unwrap_or_default(),
        name: d.metadata.name.clone().unwrap_or_default(),
        version: image.as_deref().and_then(tag).map(str::to_string).or(label),
        image,
        ready_replicas: d
            .status
            .as_ref()
            .and_then(|s| s.ready_replicas)
            .unwrap_or(0),
        replicas: d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1),
    }
}

/// `repo/name:tag` → `tag` (not a registry port, not a digest).
fn tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next()?;
    let last = without_digest.rsplit('/').next()?;
    last.split_once(':').map(|(_, t)| t)
}

fn text(v: &Versions, namespace: Option<&str>) -> String {
    let mut o = format!("client:      claude-env {}\n", v.client);
    let Some(controllers) = &v.controllers else {
        return o;
    };
    if controllers.is_empty() {
        let where_ = namespace.map_or("any namespace".to_string(), |n| format!("namespace {n}"));
        o.push_str(&format!(
            "controller:  {}\n",
            style::fail(&format!(
                "not found (no Deployment labelled {NAME_LABEL}={CONTROLLER_NAME} in {where_})"
            ))
        ));
    }
    for c in controllers {
        let mut about = vec![format!("{}/{}", c.namespace, c.name)];
        about.extend(c.image.as_ref().map(|i| format!("image {i}")));
        about.push(format!("{}/{} ready", c.ready_replicas, c.replicas));
        let version = c.version.as_deref().unwrap_or("unknown");
        o.push_str(&format!("controller:  {version} ({})\n", about.join(", ")));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(labels: serde_json::Value, image: &str) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "claude-env-controller", "namespace": "claude-env-system",
                "labels": labels},
            "spec": {"replicas": 2, "selector": {},
                "template": {"spec": {"containers": [{"name": "controller", "image": image}]}}},
            "status": {"readyReplicas": 1}
        }))
        .unwrap()
    }

    #[test]
    fn the_version_is_the_image_tag_else_the_label() {
        let tagged = controller(&deployment(
            json!({"app.kubernetes.io/version": "0.3.1"}),
            "ghcr.io/acme/claude-env-controller:0.3.2",
        ));
        assert_eq!(tagged.version.as_deref(), Some("0.3.2"), "what runs");
        let port = controller(&deployment(
            json!({}),
            "registry:5000/claude-env-controller:0.2.0",
        ));
        assert_eq!(port.version.as_deref(), Some("0.2.0"));
        let pinned = controller(&deployment(
            json!({"app.kubernetes.io/version": "0.3.1"}),
            "registry:5000/c@sha256:abc",
        ));
        assert_eq!(pinned.version.as_deref(), Some("0.3.1"));
        let neither = controller(&deployment(json!({}), "registry:5000/c@sha256:abc"));
        assert_eq!(neither.version, None);
    }

    #[test]
    fn golden_text_and_json() {
        let v = Versions {
            client: "0.1.0".into(),
            controllers: Some(vec![controller(&deployment(
                json!({"app.kubernetes.io/version": "0.1.0"}),
                "claude-env-controller:0.1.0",
            ))]),
        };
        assert_eq!(
            style::plain(&text(&v, None)),
            "client:      claude-env 0.1.0\n\
             controller:  0.1.0 (claude-env-system/claude-env-controller, image claude-env-controller:0.1.0, 1/2 ready)\n"
        );
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!({"client": "0.1.0", "controllers": [{
                "namespace": "claude-env-system", "name": "claude-env-controller",
                "version": "0.1.0", "image": "claude-env-controller:0.1.0",
                "readyReplicas": 1, "replicas": 2}]})
        );
        let none = Versions {
            client: "0.1.0".into(),
            controllers: Some(vec![]),
        };
        assert_eq!(
            style::plain(&text(&none, Some("ops"))),
            "client:      claude-env 0.1.0\n\
             controller:  ✗ not found (no Deployment labelled app.kubernetes.io/name=claude-env-controller in namespace ops)\n"
        );
    }
}
