//! Room for a fleet's pods. The local control plane registers three fake KWOK nodes of 110
//! pods; a fleet of N runs about N / 4 pods, twice that while blue-green and canary rollouts
//! hold both versions. Pods that do not fit stay Pending and their environments never Ready,
//! so before a large run this adds fake nodes (KWOK runs every node annotated
//! `kwok.x-k8s.io/node=fake`) until the cluster can hold the peak. They are left in place:
//! later runs reuse them.

use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

/// Pods each added node takes.
const PODS_PER_NODE: usize = 1000;
/// The name of the added nodes, numbered from 1.
const NODE_PREFIX: &str = "kwok-bench-node";

/// The pods a fleet of `n` may run at the peak of a push.
pub(crate) fn peak_pods(n: usize) -> usize {
    n / 2
}

/// Adds fake nodes until the Ready nodes can hold `pods` pods, and waits for them.
pub(crate) async fn ensure_pods(client: &Client, pods: usize) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let have = allocatable_pods(&nodes).await?;
    if have >= pods {
        return Ok(());
    }
    let add = (pods - have).div_ceil(PODS_PER_NODE);
    eprintln!("[capacity] {have} pods allocatable, {pods} wanted: adding {add} fake nodes");
    let existing = nodes
        .list(&Default::default())
        .await?
        .items
        .iter()
        .filter(|n| {
            n.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with(NODE_PREFIX))
        })
        .count();
    for k in existing + 1..=existing + add {
        let name = format!("{NODE_PREFIX}-{k}");
        nodes
            .patch(
                &name,
                &PatchParams::apply("claude-env-scale"),
                &Patch::Apply(node(&name)),
            )
            .await
            .with_context(|| format!("registering node {name}"))?;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while allocatable_pods(&nodes).await? < pods {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "the added fake nodes are not Ready after 120 s (is KWOK running?)"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}

/// The pods the Ready, schedulable nodes can hold.
async fn allocatable_pods(nodes: &Api<Node>) -> anyhow::Result<usize> {
    let list = nodes.list(&Default::default()).await?;
    Ok(list
        .items
        .iter()
        .filter(|n| {
            !n.spec
                .as_ref()
                .and_then(|s| s.unschedulable)
                .unwrap_or(false)
        })
        .filter_map(|n| n.status.as_ref())
        .filter(|s| {
            s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
        .filter_map(|s| s.allocatable.as_ref()?.get("pods"))
        .filter_map(pod_count)
        .sum())
}

/// A pod count as the API server writes it (`110`, or `1k` for 1000).
fn pod_count(Quantity(q): &Quantity) -> Option<usize> {
    match q.strip_suffix('k') {
        Some(thousands) => thousands.parse::<usize>().ok().map(|k| k * 1000),
        None => q.parse().ok(),
    }
}

/// A fake node like the control plane's own (tests/cluster/kwok/nodes.yaml), with room for
/// [`PODS_PER_NODE`] pods.
fn node(name: &str) -> serde_json::Value {
    let resources = json!({"cpu": "320", "memory": "2560Gi", "pods": PODS_PER_NODE.to_string()});
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {
                "type": "kwok",
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/role": "agent",
                "node-role.kubernetes.io/agent": "",
            },
        },
        "spec": {"providerID": format!("kwok://{name}")},
        "status": {"allocatable": resources, "capacity": resources},
    })
}
