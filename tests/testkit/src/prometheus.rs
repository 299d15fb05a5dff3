//! Real Prometheus (the Debian package's `/usr/bin/prometheus`) scraping a metrics endpoint
//! whose error rate the test controls, both on free ports of 127.0.0.1. Everything is
//! stopped (Prometheus killed, endpoint shut down) and its storage removed on drop.
//!
//! Install: `apt-get install -y --no-install-recommends prometheus`. The package's service
//! is not started without systemd, and this fixture never uses it: it runs its own process
//! with its own config and a temporary storage directory.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::routing::get;
use tokio::sync::oneshot;

use crate::net::{free_port, wait_for_port};

pub const PROMETHEUS_BIN: &str = "/usr/bin/prometheus";
/// The scrape job of the metrics endpoint (`up{job="fixture"}`).
pub const JOB: &str = "fixture";
/// Requests the endpoint counts per tick (every 100 ms): 200 requests a second.
const PER_TICK: u64 = 20;

/// Whether the Prometheus binary is installed (tests needing it skip loudly otherwise).
pub fn available() -> bool {
    Path::new(PROMETHEUS_BIN).exists()
}

/// Serves `/metrics` with `http_requests_total{code="200"|"500"}`, advanced in the
/// background at 200 requests per second, a settable share of them errors.
pub struct MetricsEndpoint {
    port: u16,
    /// Error share in millionths (0..=1_000_000).
    error_ppm: Arc<AtomicU64>,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    errors: AtomicU64,
    /// Fractional errors carried between ticks, in millionths of a request.
    carry: AtomicU64,
}

impl MetricsEndpoint {
    pub fn start(error_ratio: f64) -> MetricsEndpoint {
        let error_ppm = Arc::new(AtomicU64::new(ppm(error_ratio)));
        let counters = Arc::new(Counters::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, mut shutdown_rx) = oneshot::channel::<()>();
        let ratio = error_ppm.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
                    .await
                    .expect("bind 127.0.0.1:0");
                let _ = ready_tx.send(listener.local_addr().expect("addr").port());
                let served = counters.clone();
                let app = axum::Router::new().route(
                    "/metrics",
                    get(move || {
                        let c = served.clone();
                        async move { exposition(&c) }
                    }),
                );
                let mut tick = tokio::time::interval(Duration::from_millis(100));
                let server = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::pin!(server);
                loop {
                    tokio::select! {
                        _ = &mut server => break,
                        _ = &mut shutdown_rx => break,
                        _ = tick.tick() => advance(&counters, ratio.load(Ordering::SeqCst)),
                    }
                }
            });
        });
        let port = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("metrics endpoint bound");
        MetricsEndpoint {
            port,
            error_ppm,
            running: Some((shutdown_tx, thread)),
        }
    }

    /// From now on this share (0.0..=1.0) of the counted requests are errors.
    pub fn set_error_ratio(&self, ratio: f64) {
        self.error_ppm.store(ppm(ratio), Ordering::SeqCst);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>` (a scrape target).
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        if let Some((shutdown, thread)) = self.running.take() {
            let _ = shutdown.send(());
            let _ = thread.join();
        }
    }
}

fn ppm(ratio: f64) -> u64 {
    (ratio.clamp(0.0, 1.0) * 1_000_000.0).round() as u64
}

fn advance(c: &Counters, error_ppm: u64) {
    let carried = c.carry.load(Ordering::SeqCst) + PER_TICK * error_ppm;
    let errors = carried / 1_000_000;
    c.carry.store(carried % 1_000_000, Ordering::SeqCst);
    c.errors.fetch_add(errors, Ordering::SeqCst);
    c.ok.fetch_add(PER_TICK - errors, Ordering::SeqCst);
}

fn exposition(c: &Counters) -> String {
    format!(
        "# HELP http_requests_total Requests served.\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{{code=\"200\"}} {}\n\
         http_requests_total{{code=\"500\"}} {}\n",
        c.ok.load(Ordering::SeqCst),
        c.errors.load(Ordering::SeqCst)
    )
}

/// A Prometheus server scraping `targets` every second; killed on drop.
pub struct Prometheus {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

#[derive(Debug)]
pub enum PrometheusError {
    NotInstalled,
    Start(std::io::Error),
    NotReady(String),
}

impl std::fmt::Display for PrometheusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PrometheusError::NotInstalled => write!(
                f,
                "{PROMETHEUS_BIN} not found: apt-get install -y --no-install-recommends prometheus"
            ),
            PrometheusError::Start(e) => write!(f, "cannot start prometheus: {e}"),
            PrometheusError::NotReady(log) => write!(f, "prometheus did not become ready: {log}"),
        }
    }
}

impl std::error::Error for PrometheusError {}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port`) as job [`JOB`] at 1 s.
    pub fn start(targets: &[String]) -> Result<Prometheus, PrometheusError> {
        if !available() {
            return Err(PrometheusError::NotInstalled);
        }
        let dir = tempfile::tempdir().map_err(PrometheusError::Start)?;
        let quoted: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: {JOB}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n\
             \x20   static_configs:\n      - targets: [{}]\n",
            quoted.join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).map_err(PrometheusError::Start)?;
        let log = std::fs::File::create(dir.path().join("prometheus.log"))
            .map_err(PrometheusError::Start)?;
        let port = free_port();
        let child = Command::new(PROMETHEUS_BIN)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(PrometheusError::Start)?;
        let mut p = Prometheus {
            child,
            port,
            _dir: dir,
        };
        if !wait_for_port(port, Duration::from_secs(30)) || !p.wait_ready(Duration::from_secs(30)) {
            let log =
                std::fs::read_to_string(p._dir.path().join("prometheus.log")).unwrap_or_default();
            let _ = p.child.kill();
            return Err(PrometheusError::NotReady(log));
        }
        Ok(p)
    }

    /// `http://127.0.0.1:<port>` (the `address` of a prometheus check).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if http_get(self.port, "/-/ready").is_ok_and(|(status, _)| status == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// The instant query's raw JSON answer.
    pub fn query_raw(&self, promql: &str) -> std::io::Result<String> {
        http_get(
            self.port,
            &format!("/api/v1/query?query={}", percent_encode(promql)),
        )
        .map(|(_, body)| body)
    }

    /// The value of a query returning one sample (`None`: no sample or not a number).
    pub fn query(&self, promql: &str) -> Option<f64> {
        let body = self.query_raw(promql).ok()?;
        let v: serde_json::Value = serde_json::from_str(&body).ok()?;
        let value = match v.pointer("/data/resultType")?.as_str()? {
            "scalar" => v.pointer("/data/result/1")?,
            _ => v.pointer("/data/result/0/value/1")?,
        };
        value.as_str()?.parse().ok()
    }

    /// Waits until every target of [`JOB`] was scraped successfully (`up == 1`) `samples`
    /// times, so rates over a few seconds have data; false after `timeout`.
    pub fn wait_for_scrapes(&self, samples: u32, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let q = format!("min(count_over_time(up{{job=\"{JOB}\"}}[1m]))");
        let up = format!("min(up{{job=\"{JOB}\"}})");
        while Instant::now() < deadline {
            if self.query(&up) == Some(1.0)
                && self.query(&q).is_some_and(|n| n >= f64::from(samples))
            {
                return true;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        false
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The share of 500s among `http_requests_total` over the last `window` (e.g. `5s`).
pub fn error_rate_query(window: &str) -> String {
    format!(
        "sum(rate(http_requests_total{{code=\"500\"}}[{window}])) / sum(rate(http_requests_total[{window}]))"
    )
}

/// GET on 127.0.0.1:`port` with HTTP/1.0 semantics (the server closes): (status, body).
fn http_get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(2),
    )?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = String::new();
    s.read_to_string(&mut raw)?;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_share_is_exact_over_ticks() {
        let c = Counters::default();
        for _ in 0..10 {
            advance(&c, ppm(0.25));
        }
        assert_eq!(c.errors.load(Ordering::SeqCst), 50);
        assert_eq!(c.ok.load(Ordering::SeqCst), 150);
    }

    #[test]
    fn fractional_errors_carry_over() {
        let c = Counters::default();
        for _ in 0..100 {
            advance(&c, ppm(0.001));
        }
        assert_eq!(c.errors.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(percent_encode("up{a=\"b\"}"), "up%7Ba%3D%22b%22%7D");
    }
}
