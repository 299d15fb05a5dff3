//! One namespace per test, deleted when the test ends (pass or fail).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::{Api, PostParams};

use crate::cluster::{CLUSTER_FOR_DROP, Cluster};

pub struct TestNamespace {
    pub name: String,
    pub client: Client,
    /// Keep the namespace after the test (for debugging): `E2E_KEEP_NAMESPACES=1`.
    keep: bool,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestNamespace {
    /// A fresh namespace `e2e-<prefix>-<unique>` and a client for it.
    pub async fn new(prefix: &str) -> TestNamespace {
        let cluster = Cluster::get().await;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!(
            "e2e-{prefix}-{:x}{n}",
            (nanos ^ std::process::id()) & 0xfffff
        );
        let ns = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                labels: Some([("claude-env.io/e2e".to_string(), "true".to_string())].into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let client = cluster.new_client().await;
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("creating namespace {name}: {e}"));
        let keep = std::env::var_os("E2E_KEEP_NAMESPACES").is_some();
        TestNamespace { name, client, keep }
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.name)
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("keeping namespace {}", self.name);
            return;
        }
        // Drop cannot await, and the test's runtime may be gone: ask kubectl, without waiting
        // for the namespace's finalization.
        let cluster = CLUSTER_FOR_DROP.get();
        if let Some(cluster) = cluster {
            // The test's controller is gone by now: drop our finalizers, or the namespace
            // would wait for it forever.
            let strip = format!(
                "kubectl get claudeenvironments -n {ns} -o name | xargs -r -I{{}} kubectl patch -n {ns} {{}} --type=merge -p '{{\"metadata\":{{\"finalizers\":null}}}}'",
                ns = self.name
            );
            let _ = std::process::Command::new("sh")
                .args(["-c", &strip])
                .env("KUBECONFIG", &cluster.kubeconfig)
                .env(
                    "PATH",
                    format!(
                        "{}:{}",
                        crate::repo_root().join("build/bin").display(),
                        std::env::var("PATH").unwrap_or_default()
                    ),
                )
                .stdout(std::process::Stdio::null())
                .status();
            let _ = cluster
                .kubectl()
                .args([
                    "delete",
                    "namespace",
                    &self.name,
                    "--wait=false",
                    "--ignore-not-found",
                ])
                .stdout(std::process::Stdio::null())
                .status();
        }
    }
}
