//! Support for the shipping tests (tests/ship.rs): helm and kubectl from `build/bin`, YAML
//! streams, a real Prometheus server, and a kubeconfig with a ServiceAccount token (the
//! controller run with it proves the chart's RBAC).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use claude_env_testkit::free_port;
use serde_json::Value;

use crate::cluster::{Cluster, repo_root};
use crate::wait;

pub const CHART: &str = "charts/claude-env-controller";

/// The cluster-scoped kinds a release of the chart creates (besides the CRD, which it keeps).
pub const CLUSTER_SCOPED_KINDS: &str =
    "clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding";

/// `build/bin/helm` with the admin kubeconfig, run from the repository root.
pub fn helm(cluster: &Cluster) -> Command {
    let mut cmd = Command::new(repo_root().join("build/bin/helm"));
    cmd.env("KUBECONFIG", &cluster.kubeconfig)
        .current_dir(repo_root());
    cmd
}

/// `build/bin/kubectl` with the admin kubeconfig, run from the repository root.
pub fn kubectl(cluster: &Cluster) -> Command {
    let mut cmd = cluster.kubectl();
    cmd.current_dir(repo_root());
    cmd
}

/// Run to completion, feeding `stdin`; the output, whatever the exit status.
pub fn run_with_input(cmd: &mut Command, stdin: Option<&str>) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_string();
        // Write from a thread: a large input must not deadlock against a full stdout pipe.
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    child.wait_with_output().expect("command output")
}

/// Run; panic with the command and its stderr unless it succeeds. Returns stdout.
pub fn run_ok(cmd: &mut Command, stdin: Option<&str>) -> String {
    let out = run_with_input(cmd, stdin);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// The documents of a YAML stream (empty documents dropped).
pub fn yaml_docs(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .unwrap_or_else(|e| panic!("parsing YAML stream: {e}\n{text}"))
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// Re-serialize documents as a YAML stream (JSON is YAML).
pub fn to_stream(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| format!("---\n{d}\n"))
        .collect::<String>()
}

/// `kind/name` of each document.
pub fn kinds_and_names(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap_or("?"),
                d["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// The one document of `kind` (panics when there is not exactly one).
pub fn only<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "expected one {kind}, got {}", found.len());
    found[0]
}

/// Deletes cluster-scoped objects of a Helm release (ClusterRoles, ClusterRoleBindings,
/// admission policies and their bindings) when dropped: a test namespace's deletion does not
/// take them.
pub struct ClusterScopedCleanup {
    pub release: String,
}

impl Drop for ClusterScopedCleanup {
    fn drop(&mut self) {
        if std::env::var_os("E2E_KEEP_NAMESPACES").is_some() {
            return;
        }
        let kubeconfig = repo_root().join("build/cluster/kubeconfig");
        let _ = Command::new(repo_root().join("build/bin/kubectl"))
            .env("KUBECONFIG", kubeconfig)
            .args([
                "delete",
                CLUSTER_SCOPED_KINDS,
                "-l",
                &format!("app.kubernetes.io/instance={}", self.release),
                "--ignore-not-found",
                "--wait=false",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A `namespaceSelector` matching exactly `namespaces` (by their `kubernetes.io/metadata.name`
/// label): confines a release's admission policies to one test's namespaces, so releases of
/// tests running in parallel on the shared cluster do not judge each other's objects.
pub fn only_namespaces(namespaces: &[&str]) -> Value {
    serde_json::json!({"matchExpressions": [{
        "key": "kubernetes.io/metadata.name",
        "operator": "In",
        "values": namespaces,
    }]})
}

/// Values for a release of the chart on the shared cluster: the CRD stays the one the test
/// harness installs (`crds.install=false`), the admission policies check only `namespaces`,
/// and the people's ClusterRoles (one set of names per cluster) are left out: two releases
/// installing `claude-env-viewer` (or `claude-env-workstation`) at once would collide.
/// `extra` is merged over them.
pub fn shared_cluster_values(namespaces: &[&str], extra: Value) -> Value {
    let mut values = serde_json::json!({
        "crds": {"install": false},
        "admission": {"namespaceSelector": only_namespaces(namespaces)},
        "governance": {"roles": {"create": false}},
        "workstations": {"role": {"create": false}},
    });
    crate::fixture::merge(&mut values, extra);
    values
}

/// Write `values` (JSON is YAML) into `dir` for `helm --values`.
pub fn values_file(dir: &Path, name: &str, values: &Value) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, values.to_string()).expect("write values file");
    path
}

/// A kubeconfig for the same API server as the admin one, authenticating with `token`.
pub fn token_kubeconfig(admin: &Path, token: &str, dir: &Path) -> PathBuf {
    let text = fs::read_to_string(admin).expect("admin kubeconfig");
    let kc: Value = serde_saphyr::from_str(&text).expect("admin kubeconfig parses");
    let cluster = &kc["clusters"][0]["cluster"];
    let server = cluster["server"].as_str().expect("server");
    let ca = cluster["certificate-authority-data"]
        .as_str()
        .expect("certificate-authority-data");
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": "sa", "user": {"token": token.trim()}}],
        "contexts": [{"name": "sa", "context": {"cluster": "local", "user": "sa"}}],
        "current-context": "sa",
    });
    let path = dir.join("kubeconfig-sa");
    fs::write(&path, config.to_string()).expect("write kubeconfig");
    path
}

/// Debian's Prometheus (`apt-get install prometheus`), or `$PROMETHEUS_BIN`.
pub fn prometheus_bin() -> PathBuf {
    std::env::var_os("PROMETHEUS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/prometheus"))
}

/// A real Prometheus server on 127.0.0.1 scraping `targets` every second, with
/// `rule_files` loaded; its storage is a temporary directory. Killed on drop.
pub struct Prometheus {
    child: Option<Child>,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    pub async fn start(job: &str, targets: &[String], rule_files: &[PathBuf]) -> Prometheus {
        let bin = prometheus_bin();
        assert!(
            bin.exists(),
            "{} not found: apt-get install -y --no-install-recommends prometheus (or set PROMETHEUS_BIN)",
            bin.display()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let config = serde_json::json!({
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": rule_files,
            "scrape_configs": [{
                "job_name": job,
                "static_configs": [{"targets": targets}],
            }],
        });
        let config_file = dir.path().join("prometheus.yml");
        fs::write(&config_file, config.to_string()).expect("write prometheus.yml");
        let port = free_port();
        let log = dir.path().join("prometheus.log");
        let out = fs::File::create(&log).expect("log file");
        let child = Command::new(&bin)
            .arg(format!("--config.file={}", config_file.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--storage.tsdb.retention.time=1h")
            .current_dir(dir.path())
            .stdout(out.try_clone().expect("log fd"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", bin.display()));
        let p = Prometheus {
            child: Some(child),
            port,
            log,
            _dir: dir,
        };
        let url = format!("http://127.0.0.1:{port}/-/ready");
        wait::until("prometheus ready", Duration::from_secs(60), || async {
            match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("/-/ready {}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        p
    }

    /// `GET /api/v1/<path>` with query parameters; the whole JSON answer, whatever the status.
    pub async fn api(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let url = format!("http://127.0.0.1:{}/api/v1/{path}", self.port);
        let resp = reqwest::Client::new()
            .get(&url)
            .query(params)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        resp.json().await.expect("Prometheus answers JSON")
    }

    /// An instant query: `Ok(result array)` or `Err(error message)`.
    pub async fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let v = self.api("query", &[("query", expr)]).await;
        if v["status"] == "success" {
            Ok(v["data"]["result"].as_array().cloned().unwrap_or_default())
        } else {
            Err(format!("{}: {}", v["errorType"], v["error"]))
        }
    }

    pub fn logs(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            eprintln!("---- prometheus log ----\n{}", self.logs());
        }
    }
}
