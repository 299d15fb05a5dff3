//! The real controller binary, run for one test namespace.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use claude_env_testkit::free_port;

use crate::cluster::{Cluster, repo_root};
use crate::wait;

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

#[derive(Default)]
pub struct Options {
    pub leader_elect: bool,
    pub extra_args: Vec<String>,
    /// Reuse a cache dir (a restarted controller keeps its Git cache like a pod's volume).
    pub cache_dir: Option<PathBuf>,
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

    pub async fn start_with(namespace: &str, opts: Options) -> Controller {
        let cluster = Cluster::get().await;
        let tmp = tempfile::tempdir().expect("tempdir");
        let secret = format!("webhook-secret-{namespace}");
        let secret_file = tmp.path().join("webhook-secret");
        fs::write(&secret_file, &secret).expect("write webhook secret");
        let cache_dir = opts
            .cache_dir
            .clone()
            .unwrap_or_else(|| tmp.path().join("cache"));
        let (metrics_port, webhook_port) = (free_port(), free_port());
        let logs = repo_root().join("target/e2e-logs");
        fs::create_dir_all(&logs).expect("log dir");
        let log = logs.join(format!("{namespace}-{metrics_port}.log"));
        let out = fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(bin("claude-env-controller"));
        cmd.env("KUBECONFIG", &cluster.kubeconfig)
            .env(
                "RUST_LOG",
                // `E2E_CONTROLLER_LOG=...,kube=debug` to see watches and requests.
                std::env::var("E2E_CONTROLLER_LOG")
                    .unwrap_or_else(|_| "info,claude_env_controller=debug,kube=warn".into()),
            )
            .env("POD_NAME", format!("controller-{metrics_port}"))
            .args(["--watch-namespace", namespace])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics_port}")])
            .args(["--webhook-addr", &format!("127.0.0.1:{webhook_port}")])
            .arg("--webhook-secret-file")
            .arg(&secret_file)
            .arg("--cache-dir")
            .arg(&cache_dir)
            .args(["--retry-interval", "1s"])
            .args(&opts.extra_args)
            .stdout(out.try_clone().expect("log fd"))
            .stderr(out);
        if opts.leader_elect {
            cmd.args(["--leader-elect", "--leader-elect-lease-duration", "6s"]);
        }
        let child = cmd.spawn().expect("spawn claude-env-controller");
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
        wait::until("controller ready", Duration::from_secs(60), || async {
            match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("readyz {}", r.status())),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        c
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://127.0.0.1:{}/metrics", self.metrics_port))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body")
    }

    /// POST a body to a webhook endpoint with the given headers; returns the status code.
    pub async fn webhook(&self, path: &str, headers: &[(&str, String)], body: &[u8]) -> u16 {
        let client = reqwest::Client::new();
        let mut req = client
            .post(format!("http://127.0.0.1:{}{path}", self.webhook_port))
            .body(body.to_vec());
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        req.send().await.expect("webhook request").status().as_u16()
    }

    /// The generic webhook, correctly signed.
    pub async fn push_hook(&self, url: &str, branch: &str) -> u16 {
        let body = serde_json::json!({"url": url, "branch": branch}).to_string();
        let sig = claude_env_source::webhook::sign(self.webhook_secret.as_bytes(), body.as_bytes());
        self.webhook("/hooks/generic", &[("X-Signature", sig)], body.as_bytes())
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
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let f = fs::File::open(&self.log).map(BufReader::new);
            let lines: Vec<String> = f
                .map(|r| r.lines().map_while(Result::ok).collect())
                .unwrap_or_default();
            eprintln!(
                "---- controller log {} (last 80 lines) ----",
                self.log.display()
            );
            for l in lines.iter().skip(lines.len().saturating_sub(80)) {
                eprintln!("{l}");
            }
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
