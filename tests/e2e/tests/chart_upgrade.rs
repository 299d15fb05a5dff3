//! Chart upgrades (issue 16): `helm upgrade` from the previous chart version, which shipped
//! the CRD in `crds/` (installed once, never upgraded by Helm), to the current one, which
//! templates it, upgrades the CRD on the local control plane; the CRD is then owned by the
//! release and kept on `helm uninstall`. Also the values around it: `crds.install`,
//! `crds.keep`, `extraObjects`, and `kubeVersion`.
//!
//! The previous chart comes from Git (`PREVIOUS_CHART_REVISION`). The cluster is shared and
//! its `claudeenvironments.claude-env.io` CRD serves every other test, so both charts' CRDs
//! are renamed into a group of this test's own (same schema, different names): Helm's
//! handling of the CRD is what is tested, not the name.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use claude_env_e2e::ship_support::{
    CHART, ClusterScopedCleanup, helm, kubectl, run_ok, run_with_input, shared_cluster_values,
    values_file, yaml_docs,
};
use claude_env_e2e::{Cluster, TestNamespace, repo_root};
use serde_json::{Value, json};

/// The last revision with the chart before its CRDs became templates (chart 0.1.0).
const PREVIOUS_CHART_REVISION: &str = "143b465fca78c8f9f7b4048b64b2ed15a34277cb";
const CRD_FILE: &str = "claude-env.io_claudeenvironments.yaml";

/// `charts/claude-env-controller` as of `revision`, extracted into `dir`.
fn chart_at(revision: &str, dir: &Path) -> PathBuf {
    let archive = run_with_input(
        Command::new("git")
            .args(["archive", "--format=tar", revision, CHART])
            .current_dir(repo_root()),
        None,
    );
    assert!(
        archive.status.success(),
        "git archive {revision} (the previous chart; a shallow clone lacks it): {}",
        String::from_utf8_lossy(&archive.stderr)
    );
    let mut tar = Command::new("tar");
    tar.args(["-x", "-C"]).arg(dir);
    let out = run_with_input_bytes(&mut tar, &archive.stdout);
    assert!(
        out.status.success(),
        "tar: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(CHART)
}

fn run_with_input_bytes(cmd: &mut Command, input: &[u8]) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Copy of the current chart in `dir`.
fn current_chart(dir: &Path) -> PathBuf {
    let to = dir.join("current");
    let out = run_with_input(
        Command::new("cp")
            .arg("-R")
            .arg(repo_root().join(CHART))
            .arg(&to),
        None,
    );
    assert!(out.status.success());
    to
}

/// The names a renamed CRD gets: group `<suffix>.e2e.claude-env.io`, kind and plural unique
/// too (another group's `claudeenvironments` would make `kubectl get claudeenvironments`
/// ambiguous for the other tests).
struct Names {
    group: String,
    plural: String,
    kind: String,
}

impl Names {
    fn new(unique: &str) -> Names {
        let suffix: String = unique.chars().filter(char::is_ascii_alphanumeric).collect();
        Names {
            group: format!("{unique}.e2e.claude-env.io"),
            plural: format!("upgradeprobes{suffix}"),
            kind: format!("UpgradeProbe{suffix}"),
        }
    }

    fn crd_name(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }
}

/// Rename the CRD file at `path` in place (YAML in, YAML out: the chart's template needs a
/// block-style `metadata:`), appending `marker` to the description of its kind.
fn rename_crd(path: &Path, names: &Names, marker: Option<&str>) -> Value {
    let mut crd: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).expect("CRD YAML");
    crd["metadata"]["name"] = json!(names.crd_name());
    crd["spec"]["group"] = json!(names.group);
    crd["spec"]["names"] = json!({
        "kind": names.kind,
        "plural": names.plural,
        "singular": names.plural.trim_end_matches('s'),
    });
    if let Some(marker) = marker {
        for v in crd["spec"]["versions"].as_array_mut().unwrap() {
            let schema = &mut v["schema"]["openAPIV3Schema"];
            let description = schema["description"].as_str().unwrap_or_default();
            schema["description"] = json!(format!("{description} {marker}"));
        }
    }
    std::fs::write(path, serde_saphyr::to_string(&crd).unwrap()).unwrap();
    crd
}

/// Every `description` and property path of a schema (`a.b.c#description`, `a.b.c`).
fn schema_paths(schema: &Value, at: &str, out: &mut BTreeSet<String>) {
    if let Some(d) = schema["description"].as_str() {
        out.insert(format!("{at}#description={d}"));
    }
    if let Some(props) = schema["properties"].as_object() {
        for (k, v) in props {
            let path = format!("{at}.{k}");
            out.insert(path.clone());
            schema_paths(v, &path, out);
        }
    }
    if schema["items"].is_object() {
        schema_paths(&schema["items"], &format!("{at}[]"), out);
    }
}

fn paths_of(crd: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for v in crd["spec"]["versions"].as_array().unwrap() {
        let name = v["name"].as_str().unwrap();
        schema_paths(&v["schema"]["openAPIV3Schema"], name, &mut out);
        for c in v["additionalPrinterColumns"]
            .as_array()
            .into_iter()
            .flatten()
        {
            out.insert(format!("{name}#column={c}"));
        }
    }
    out
}

fn live_crd(cluster: &Cluster, name: &str) -> Value {
    serde_json::from_str(&run_ok(
        kubectl(cluster).args(["get", "crd", name, "-o", "json"]),
        None,
    ))
    .unwrap()
}

/// Deletes the test's CRD at the end (the release keeps it on uninstall, by design).
struct CrdCleanup(String);

impl Drop for CrdCleanup {
    fn drop(&mut self) {
        let _ = Command::new(repo_root().join("build/bin/kubectl"))
            .env("KUBECONFIG", repo_root().join("build/cluster/kubeconfig"))
            .args([
                "delete",
                "crd",
                &self.0,
                "--ignore-not-found",
                "--wait=false",
            ])
            .output();
    }
}

#[tokio::test]
async fn helm_upgrade_from_the_previous_chart_upgrades_the_crd() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("chart-upgrade").await;
    let release = ns.name.clone();
    let _cleanup = ClusterScopedCleanup {
        release: release.clone(),
    };
    let tmp = tempfile::tempdir().unwrap();
    let names = Names::new(&ns.name);
    let _crd_cleanup = CrdCleanup(names.crd_name());

    let previous = chart_at(PREVIOUS_CHART_REVISION, tmp.path());
    let previous_version = run_ok(helm(cluster).arg("show").arg("chart").arg(&previous), None);
    let current = current_chart(tmp.path());
    let current_version = run_ok(helm(cluster).arg("show").arg("chart").arg(&current), None);
    let version = |text: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix("version: "))
            .unwrap()
            .to_string()
    };
    assert_ne!(
        version(&previous_version),
        version(&current_version),
        "the chart changed since {PREVIOUS_CHART_REVISION}: its version must too"
    );
    let old_crd = rename_crd(&previous.join("crds").join(CRD_FILE), &names, None);
    // The current copy also gets a description of its own, so the test sees the new CRD
    // replace the old one even when the API has not changed since the previous chart.
    let marker = format!("(the current chart's CRD, {})", ns.name);
    let new_crd = rename_crd(
        &current.join("files/crds").join(CRD_FILE),
        &names,
        Some(&marker),
    );
    let old_paths = paths_of(&old_crd);
    let new_paths = paths_of(&new_crd);
    let only_new: BTreeSet<&String> = new_paths.difference(&old_paths).collect();
    eprintln!(
        "schema paths and descriptions only the new CRD has:\n{}",
        only_new
            .iter()
            .map(|p| format!("  {p}\n"))
            .collect::<String>()
    );
    assert!(only_new.iter().any(|p| p.ends_with(&marker)));

    // The previous chart: Helm installs crds/ once, outside the release.
    run_ok(
        helm(cluster)
            .args(["install", &release])
            .arg(&previous)
            .args(["--namespace", &ns.name, "--set", "replicaCount=1"]),
        None,
    );
    let live = live_crd(cluster, &names.crd_name());
    assert_eq!(paths_of(&live), old_paths, "the previous CRD is served");
    assert!(only_new.iter().all(|p| !paths_of(&live).contains(*p)));
    assert!(
        live["metadata"]["labels"]["app.kubernetes.io/managed-by"].is_null(),
        "crds/ is not part of the release: {}",
        live["metadata"]
    );

    // The current chart templates the CRD. Helm adopts an object it did not create only when
    // told to (docs/operations.md "Upgrades"): without --take-ownership the upgrade stops.
    let values = values_file(
        tmp.path(),
        "values.json",
        &shared_cluster_values(
            &[&ns.name],
            json!({"crds": {"install": true}, "replicaCount": 1}),
        ),
    );
    let upgrade = |extra: &[&str]| {
        run_with_input(
            helm(cluster)
                .args(["upgrade", &release])
                .arg(&current)
                .args(["--namespace", &ns.name, "--values"])
                .arg(&values)
                .args(extra),
            None,
        )
    };
    let refused = upgrade(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success()
            && stderr.contains(&names.crd_name())
            && stderr.contains("invalid ownership metadata"),
        "{stderr}"
    );
    let out = upgrade(&["--take-ownership"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The CRD is the new one (every field and description only it has is served), owned by
    // the release and kept on uninstall.
    let live = live_crd(cluster, &names.crd_name());
    assert_eq!(paths_of(&live), new_paths, "the new CRD is served");
    assert!(only_new.iter().all(|p| paths_of(&live).contains(*p)));
    let meta = &live["metadata"];
    assert_eq!(meta["labels"]["app.kubernetes.io/managed-by"], "Helm");
    assert_eq!(
        meta["labels"]["helm.sh/chart"],
        format!("claude-env-controller-{}", version(&current_version)).as_str()
    );
    assert_eq!(
        meta["annotations"]["meta.helm.sh/release-name"],
        release.as_str()
    );
    assert_eq!(meta["annotations"]["helm.sh/resource-policy"], "keep");

    run_ok(
        helm(cluster).args(["uninstall", &release, "--namespace", &ns.name, "--wait"]),
        None,
    );
    live_crd(cluster, &names.crd_name());
}

fn template(cluster: &Cluster, args: &[&str]) -> std::process::Output {
    run_with_input(
        helm(cluster)
            .args([
                "template",
                "claude-env",
                CHART,
                "--namespace",
                "claude-env-system",
            ])
            .args(args),
        None,
    )
}

fn rendered(cluster: &Cluster, args: &[&str]) -> Vec<Value> {
    let out = template(cluster, args);
    assert!(
        out.status.success(),
        "helm template {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    yaml_docs(&String::from_utf8_lossy(&out.stdout))
}

fn crds_of(docs: &[Value]) -> Vec<&Value> {
    docs.iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .collect()
}

#[tokio::test]
async fn chart_values_control_the_crds_extra_objects_and_the_kubernetes_version() {
    let cluster = Cluster::get().await;

    // Default: the CRD, kept on uninstall; crds.keep=false drops the annotation;
    // crds.install=false drops the CRD.
    let docs = rendered(cluster, &[]);
    let crds = crds_of(&docs);
    let generated = std::fs::read_dir(repo_root().join("crds")).unwrap().count();
    assert_eq!(crds.len(), generated, "every CRD of crds/");
    for crd in &crds {
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
        assert_eq!(
            crd["metadata"]["labels"]["app.kubernetes.io/instance"],
            "claude-env"
        );
    }
    let docs = rendered(cluster, &["--set", "crds.keep=false"]);
    assert!(
        crds_of(&docs)
            .iter()
            .all(|crd| crd["metadata"]["annotations"].is_null())
    );
    let docs = rendered(cluster, &["--set", "crds.install=false"]);
    assert!(crds_of(&docs).is_empty());

    // extraObjects: objects and YAML strings, through tpl.
    let docs = rendered(
        cluster,
        &[
            "--values",
            "charts/claude-env-controller/ci/full-values.yaml",
        ],
    );
    let config_map = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "ConfigMap" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no ConfigMap {name}"))
    };
    assert_eq!(
        config_map("claude-env-extra")["data"]["release"],
        "claude-env"
    );
    let from_string = config_map("extra-from-a-string");
    assert_eq!(from_string["data"]["chart"], "claude-env-controller");
    assert_eq!(from_string["metadata"]["namespace"], "claude-env-system");

    // The new values are checked by values.schema.json.
    for (set, expected) in [
        ("crds.bogus=1", "additional properties 'bogus' not allowed"),
        ("limits.minInterval=ten", "/limits/minInterval"),
        ("tenancy.allowedTargetNamespaces.Team_A={x}", "Team_A"),
        (
            "admission.validationActions={Deny,Warn}",
            "/admission/validationActions",
        ),
    ] {
        let out = template(cluster, &["--set", set]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(expected),
            "--set {set}: expected a schema error with {expected:?}: {stderr}"
        );
    }

    // kubeVersion: the oldest Kubernetes the controller's API client is built for (1.33).
    let old = template(cluster, &["--kube-version", "1.32.9"]);
    let stderr = String::from_utf8_lossy(&old.stderr);
    assert!(
        !old.status.success() && stderr.contains("chart requires kubeVersion: >=1.33.0-0"),
        "{stderr}"
    );
    rendered(cluster, &["--kube-version", "1.33.0"]);
}
