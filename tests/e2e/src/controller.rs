//! The real controller binary, run for one test namespace.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use claude_env_testkit::free_port;

use crate::cluster::{Cluster, repo_root};

/// A built binary of this workspace: `$CLAUDE_ENV_<NAME>_BIN`, else next to the test
/// executable's target directory (`make e2e` builds them first).
pub fn bin(name: &str) -> PathBuf {
    let var = format!("{}_BIN", name.to_uppercase().replace('-', "_"));
    if let Some(p) = std::env::var_os(&var) {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let path = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join(name);
    assert!(
        path.exists(),
        "{} not built: run `cargo build -p claude-env-controller -p claude-env-cli` (or set {var})",
        path.display()
    );
    path
}

/// How to run the controller. The defaults are the e2e tests': this workspace's binary, the
/// local cluster's admin kubeconfig, `--watch-namespace`, the webhook receiver on with a
/// secret, `--retry-interval 1s`, a log in `target/e2e-logs`.
pub struct Options {
    pub leader_elect: bool,
    pub extra_args: Vec<String>,
    /// Reuse a cache dir (a restarted controller keeps its Git cache like a pod's volume).
    pub cache_dir: Option<PathBuf>,
    /// The binary; default [`bin`]`("claude-env-controller")`.
    pub binary: Option<PathBuf>,
    /// Default: the local cluster's admin kubeconfig.
    pub kubeconfig: Option<PathBuf>,
    /// More environment variables (`POD_NAMESPACE`, ...).
    pub env: Vec<(String, String)>,
    /// `RUST_LOG`; default `$E2E_CONTROLLER_LOG`, else
    /// `info,claude_env_controller=debug,kube=warn`.
    pub rust_log: Option<String>,
    /// `POD_NAME` is this followed by the metrics port (the Lease holder and the Events'
    /// reporting instance); `None`: no `POD_NAME`. Default `controller-`.
    pub pod_name_prefix: Option<String>,
    /// The log file (stdout and stderr); default
    /// `target/e2e-logs/<namespace>-<metrics port>.log`.
    pub log: Option<PathBuf>,
    /// `--watch-namespace <namespace>`; `false`: all namespaces. Default `true`.
    pub watch_namespace: bool,
    /// `--webhook-secret-file` (the receiver on); `false`: no secret, the receiver off.
    /// Default `true`.
    pub webhook: bool,
    /// `--retry-interval`; `None`: the controller's default. Default `1s`.
    pub retry_interval: Option<String>,
    /// `--min-interval`; `None`: the controller's default (10s). Default `1s`: tests poll
    /// fast.
    pub min_interval: Option<String>,
    /// `--check-allowed-hosts`; `None`: the controller's default (Services of the
    /// environment's namespaces only). Default `127.0.0.1`: the tests' MCP servers and
    /// Prometheus listen there.
    pub check_allowed_hosts: Option<String>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            leader_elect: false,
            extra_args: Vec::new(),
            cache_dir: None,
            binary: None,
            kubeconfig: None,
            env: Vec::new(),
            rust_log: None,
            pod_name_prefix: Some("controller-".into()),
            log: None,
            watch_namespace: true,
            webhook: true,
            retry_interval: Some("1s".into()),
            min_interval: Some("1s".into()),
            check_allowed_hosts: Some("127.0.0.1".into()),
        }
    }
}

pub struct Controller {
    child: Option<Child>,
    pub namespace: String,
    pub metrics_port: u16,
    pub webhook_port: u16,
    pub webhook_secret: String,
    pub cache_dir: PathBuf,
    pub log: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Controller {
    /// Start the controller watching `namespace` and wait until it is ready.
    pub async fn start(namespace: &str) -> Controller {
        Self::start_with(namespace, Options::default()).await
    }

    /// Start the controller for `namespace` (the Lease's namespace too when it watches only
    /// that one) and wait until it is ready; panics with the log's end when it is not.
    pub async fn start_with(namespace: &str, opts: Options) -> Controller {
        Self::try_start_with(namespace, opts)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// [`Controller::start_with`], failing instead of panicking when the process cannot be
    /// started or is not ready within 60 s (the scale benchmark cleans up after itself).
    pub async fn try_start_with(namespace: &str, opts: Options) -> anyhow::Result<Controller> {
        let tmp = tempfile::tempdir().context("tempdir")?;
        let secret = format!("webhook-secret-{namespace}");
        let secret_file = tmp.path().join("webhook-secret");
        fs::write(&secret_file, &secret).context("writing the webhook secret")?;
        let cache_dir = opts
            .cache_dir
            .clone()
            .unwrap_or_else(|| tmp.path().join("cache"));
        let (metrics_port, webhook_port) = (free_port(), free_port());
        let log = opts.log.clone().unwrap_or_else(|| {
            repo_root()
                .join("target/e2e-logs")
                .join(format!("{namespace}-{metrics_port}.log"))
        });
        if let Some(dir) = log.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let out = fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let kubeconfig = match opts.kubeconfig {
            Some(k) => k,
            None => Cluster::get().await.kubeconfig.clone(),
        };
        let binary = opts.binary.unwrap_or_else(|| bin("claude-env-controller"));
        let rust_log = opts.rust_log.unwrap_or_else(|| {
            // `E2E_CONTROLLER_LOG=...,kube=debug` to see watches and requests.
            std::env::var("E2E_CONTROLLER_LOG")
                .unwrap_or_else(|_| "info,claude_env_controller=debug,kube=warn".into())
        });
        let mut cmd = Command::new(&binary);
        cmd.env("KUBECONFIG", &kubeconfig).env("RUST_LOG", rust_log);
        if let Some(prefix) = &opts.pod_name_prefix {
            cmd.env("POD_NAME", format!("{prefix}{metrics_port}"));
        }
        cmd.envs(opts.env);
        if opts.watch_namespace {
            cmd.args(["--watch-namespace", namespace]);
        }
        cmd.args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
            .args(["--webhook-addr", &format!("127.0.0.1:{webhook_port}")]);
        if opts.webhook {
            cmd.arg("--webhook-secret-file").arg(&secret_file);
        }
        cmd.arg("--cache-dir").arg(&cache_dir);
        if let Some(interval) = &opts.retry_interval {
            cmd.args(["--retry-interval", interval]);
        }
        if let Some(interval) = &opts.min_interval {
            cmd.args(["--min-interval", interval]);
        }
        if let Some(hosts) = &opts.check_allowed_hosts {
            cmd.args(["--check-allowed-hosts", hosts]);
        }
        cmd.args(&opts.extra_args)
            .stdout(out.try_clone().context("log fd")?)
            .stderr(out);
        if opts.leader_elect {
            cmd.args(["--leader-elect", "--leader-elect-lease-duration", "6s"]);
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let c = Controller {
            child: Some(child),
            namespace: namespace.to_string(),
            metrics_port,
            webhook_port,
            webhook_secret: secret,
            cache_dir,
            log,
            _tmp: tmp,
        };
        let url = format!("http://127.0.0.1:{metrics_port}/readyz");
        let timeout = Duration::from_secs(60);
        let deadline = Instant::now() + timeout;
        loop {
            let last = match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => return Ok(c),
                Ok(r) => format!("readyz {}", r.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                bail!(
                    "timed out after {timeout:?} waiting for controller ready; last seen: {last}\n{}",
                    c.log_tail(80)
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The process id; `None` once killed or terminated.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.try_metrics().await.expect("GET /metrics")
    }

    /// The `/metrics` text, or why the controller did not answer.
    pub async fn try_metrics(&self) -> reqwest::Result<String> {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .await?
            .text()
            .await
    }

    /// POST a body to a webhook endpoint with the given headers; returns the status code.
    pub async fn webhook(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> u16 {
        self.post(path, headers, body)
            .await
            .expect("webhook request")
    }

    async fn post(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: &[u8],
    ) -> reqwest::Result<u16> {
        let client = reqwest::Client::new();
        let mut req = client
            .post(format!("http://127.0.0.1:{}{path}", self.webhook_port))
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        Ok(req.send().await?.status().as_u16())
    }

    /// The generic webhook, correctly signed.
    pub async fn push_hook(&self, url: &str, branch: &str) -> u16 {
        self.try_push_hook(url, branch)
            .await
            .expect("webhook request")
    }

    /// [`Controller::push_hook`], or why the request failed.
    pub async fn try_push_hook(&self, url: &str, branch: &str) -> reqwest::Result<u16> {
        let body = serde_json::json!({"url": url, "branch": branch}).to_string();
        let sig = claude_env_source::webhook::sign(self.webhook_secret.as_bytes(), body.as_bytes());
        self.post("/hooks/generic", &[("X-Signature", sig)], body.as_bytes())
            .await
    }

    /// SIGKILL: no graceful shutdown, no lease release.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for a graceful exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(s)) = c.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        c.wait().ok()
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn logs(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last `n` lines of the log, under a header naming the file.
    fn log_tail(&self, n: usize) -> String {
        let f = fs::File::open(&self.log).map(BufReader::new);
        let lines: Vec<String> = f
            .map(|r| r.lines().map_while(Result::ok).collect())
            .unwrap_or_default();
        let mut text = format!(
            "---- controller log {} (last {n} lines) ----",
            self.log.display()
        );
        for l in lines.iter().skip(lines.len().saturating_sub(n)) {
            text.push('\n');
            text.push_str(l);
        }
        text
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail(80));
        }
    }
}

/// The value of a sample in Prometheus text format: the sum over samples named `name`
/// whose labels include all of `labels`. `None` when no sample matches.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = match line.rsplit_once(' ') {
            Some(x) => x,
            None => continue,
        };
        let (metric_name, label_text) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if metric_name != name {
            continue;
        }
        if labels
            .iter()
            .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")))
        {
            *found.get_or_insert(0.0) += value.parse::<f64>().unwrap_or(0.0);
        }
    }
    found
}
