//! `hack/own-cluster.sh`, the README's "on your own cluster" path: its dry run prints every
//! step, and on the local control plane (no image built: KWOK runs the pods) it installs the
//! chart, creates the Secrets and applies the example ClaudeEnvironments pointed at the given
//! repository, then shows the controller's version.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::process::{Command, Output};

use claude_env_api::ClaudeEnvironment;
use claude_env_e2e::controller::bin;
use claude_env_e2e::ship_support::{ClusterScopedCleanup, shared_cluster_values, values_file};
use claude_env_e2e::{Cluster, TestNamespace, repo_root};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use serde_json::json;

const IMAGE: &str = "registry.example.com/platform/claude-env-controller:9.9.9-own";
const REPO_URL: &str = "https://git.example.com/me/claude-config.git";

/// The script with the local control plane's kubeconfig and this build's tools.
fn script(cluster: &Cluster, args: &[&str]) -> Command {
    let mut c = Command::new(repo_root().join("hack/own-cluster.sh"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("KUBECONFIG", &cluster.kubeconfig)
        .env("HELM", repo_root().join("build/bin/helm"))
        .env("KUBECTL", repo_root().join("build/bin/kubectl"))
        .env("CLAUDE_ENV", bin("claude-env"))
        .env("CONTAINER_TOOL", "docker")
        .env("E2E_GIT_TOKEN", "s3cret-token")
        .args(args);
    c
}

async fn run(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output())
        .await
        .expect("join")
        .expect("run hack/own-cluster.sh")
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[tokio::test]
async fn the_dry_run_prints_every_step_and_runs_none() {
    let cluster = Cluster::get().await;
    let out = run(script(
        cluster,
        &[
            "--image",
            IMAGE,
            "--repo-url",
            REPO_URL,
            "--git-username",
            "ci",
            "--git-password-env",
            "E2E_GIT_TOKEN",
            "--dry-run",
        ],
    ))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for expected in [
        format!("+ docker build -t {IMAGE} ."),
        format!("+ docker push {IMAGE}"),
        "upgrade --install claude-env charts/claude-env-controller --namespace claude-env-system \
         --create-namespace --set image.repository=registry.example.com/platform/claude-env-controller \
         --set image.tag=9.9.9-own --wait --timeout 5m"
            .to_string(),
        "create namespace team-a --dry-run=client -o yaml".to_string(),
        "-n team-a create secret generic claude-config-git --from-literal=username=ci \
         --from-literal=password=\"$E2E_GIT_TOKEN\""
            .to_string(),
        format!("    url: {REPO_URL}\n    secretRef: {{name: claude-config-git}}\n"),
        "  namespace: team-a\n".to_string(),
        "version --controller-namespace claude-env-system".to_string(),
        "status -n team-a".to_string(),
    ] {
        assert!(stdout.contains(&expected), "{expected:?} in\n{}", text(&out));
    }
    assert!(!stdout.contains("SOURCE_URL"), "{stdout}");
    assert!(
        !stdout.contains("s3cret-token"),
        "the password is never printed"
    );
}

#[tokio::test]
async fn it_installs_the_chart_and_the_examples_on_the_local_control_plane() {
    let cluster = Cluster::get().await;
    let ctl = TestNamespace::new("own-ctl").await;
    let envs_ns = TestNamespace::new("own-envs").await;
    let release = format!("own-{}", &ctl.name[ctl.name.len() - 6..]);
    let _cleanup = ClusterScopedCleanup {
        release: release.clone(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let values = values_file(
        tmp.path(),
        "values.json",
        &shared_cluster_values(&[&ctl.name, &envs_ns.name], json!({})),
    );
    let out = run(script(
        cluster,
        &[
            "--skip-build",
            "--image",
            IMAGE,
            "--repo-url",
            REPO_URL,
            "--git-username",
            "ci",
            "--git-password-env",
            "E2E_GIT_TOKEN",
            "--controller-namespace",
            &ctl.name,
            "--namespace",
            &envs_ns.name,
            "--release",
            &release,
            "--values",
            values.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fullname = format!("{release}-claude-env-controller");
    assert!(
        stdout.contains(&format!(
            "controller:  9.9.9-own ({}/{fullname}, image {IMAGE}, ",
            ctl.name
        )),
        "claude-env version finds what was installed:\n{}",
        text(&out)
    );
    assert!(stdout.contains("Next:\n"), "{stdout}");

    // The controller runs the pushed image.
    let dep = Api::<Deployment>::namespaced(ctl.client.clone(), &ctl.name)
        .get(&fullname)
        .await
        .unwrap();
    let image = dep.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone();
    assert_eq!(image.as_deref(), Some(IMAGE));

    // The three example environments, on the given repository with its credentials.
    let envs: Api<ClaudeEnvironment> = envs_ns.api();
    let mut names: Vec<String> = Vec::new();
    for env in envs.list(&Default::default()).await.unwrap() {
        assert_eq!(env.spec.source.url, REPO_URL);
        assert_eq!(
            env.spec.source.secret_ref.map(|r| r.name).as_deref(),
            Some("claude-config-git")
        );
        names.push(env.metadata.name.unwrap());
    }
    names.sort();
    assert_eq!(names, ["development", "production", "staging"]);
    let secrets: Api<Secret> = envs_ns.api();
    let git = secrets
        .get("claude-config-git")
        .await
        .unwrap()
        .data
        .unwrap();
    assert_eq!(git["username"].0, b"ci");
    assert_eq!(git["password"].0, b"s3cret-token");
    assert!(secrets.get_opt("context7").await.unwrap().is_some());

    // Running it again upgrades in place.
    let again = run(script(
        cluster,
        &[
            "--skip-build",
            "--image",
            IMAGE,
            "--repo-url",
            REPO_URL,
            "--controller-namespace",
            &ctl.name,
            "--namespace",
            &envs_ns.name,
            "--release",
            &release,
            "--values",
            values.to_str().unwrap(),
        ],
    ))
    .await;
    assert!(again.status.success(), "{}", text(&again));
    let _ = Command::new(repo_root().join("build/bin/helm"))
        .env("KUBECONFIG", &cluster.kubeconfig)
        .args(["uninstall", &release, "--namespace", &ctl.name, "--wait"])
        .output();
}
