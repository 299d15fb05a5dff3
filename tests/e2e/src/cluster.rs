//! The one local cluster every test shares.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, Config};
use tokio::sync::OnceCell;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// The running cluster. Holds no client: each `#[tokio::test]` has its own runtime, and a
/// client's connection tasks die with the runtime that created it.
pub struct Cluster {
    pub kubeconfig: PathBuf,
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();
/// The same cluster, reachable from synchronous `Drop` impls.
pub(crate) static CLUSTER_FOR_DROP: std::sync::OnceLock<&'static Cluster> =
    std::sync::OnceLock::new();

impl Cluster {
    /// The running local cluster, started with `make cluster-up` if it is not up (idempotent,
    /// so concurrent test binaries are safe), with the CRDs installed.
    pub async fn get() -> &'static Cluster {
        let cluster = CLUSTER
            .get_or_init(|| async { Self::start().await.expect("the local control plane is up") })
            .await;
        CLUSTER_FOR_DROP.get_or_init(|| cluster);
        cluster
    }

    async fn start() -> anyhow::Result<Cluster> {
        let root = repo_root();
        let kubeconfig = root.join("build/cluster/kubeconfig");
        let client = match Self::client(&kubeconfig).await {
            Ok(c) if c.apiserver_version().await.is_ok() => c,
            _ => {
                let status = tokio::task::spawn_blocking(move || {
                    Command::new("make")
                        .arg("cluster-up")
                        .current_dir(repo_root())
                        .status()
                })
                .await??;
                if !status.success() {
                    bail!("make cluster-up failed: {status}");
                }
                Self::client(&kubeconfig).await?
            }
        };
        install_crds(&client).await?;
        Ok(Cluster { kubeconfig })
    }

    /// A client for the calling test's runtime.
    pub async fn new_client(&self) -> Client {
        Self::client(&self.kubeconfig)
            .await
            .expect("client from the admin kubeconfig")
    }

    /// A new client from the admin kubeconfig (each has its own connection pool).
    pub async fn client(kubeconfig: &Path) -> anyhow::Result<Client> {
        let kc = Kubeconfig::read_from(kubeconfig)
            .with_context(|| format!("reading {}", kubeconfig.display()))?;
        let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
        Ok(Client::try_from(config)?)
    }

    /// `build/bin/kubectl` with the admin kubeconfig.
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new(repo_root().join("build/bin/kubectl"));
        cmd.env("KUBECONFIG", &self.kubeconfig);
        cmd
    }
}

/// Apply every CRD under `crds/` (server-side) and wait until each is Established.
pub async fn install_crds(client: &Client) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let dir = repo_root().join("crds");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let text = std::fs::read_to_string(entry.path())?;
        let crd: CustomResourceDefinition = serde_saphyr::from_str(&text)
            .with_context(|| format!("parsing {}", entry.path().display()))?;
        let name = crd.metadata.name.clone().context("CRD without a name")?;
        api.patch(
            &name,
            &PatchParams::apply("claude-env-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .with_context(|| format!("applying CRD {name}"))?;
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(api.clone(), &name, conditions::is_crd_established()),
        )
        .await
        .with_context(|| format!("CRD {name} not Established"))??;
    }
    Ok(())
}
