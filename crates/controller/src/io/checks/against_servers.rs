//! The health checks against real servers: an MCP server built on the official SDK (healthy,
//! then failing the handshake), and real Prometheus scraping an endpoint whose error rate
//! the test sets.

use std::time::Duration;

use super::{Checks, Context, Measured, ServerEndpoint};
use crate::decisions::egress::Egress;
use crate::metrics::Metrics;
use claude_env_api::HealthChecks;
use claude_env_rollout::{CheckKind, CheckTarget, Outcome};
use claude_env_testkit::mcp::{McpMode, McpServer};
use claude_env_testkit::prometheus::{self, MetricsEndpoint, Prometheus};
use claude_env_testkit::{CannedServer, SilentServer};
use serde_json::json;

const REV: &str = "0123456789abcdef0123456789abcdef01234567";

fn checks(spec: serde_json::Value) -> Checks {
    let spec: HealthChecks = serde_json::from_value(spec).unwrap();
    Checks::from_spec(Some(&spec)).unwrap()
}

fn no_servers(_: &str, _: CheckTarget) -> Option<ServerEndpoint> {
    None
}

async fn run_one(checks: &Checks, name: &str) -> Measured {
    run_with(checks, name, &no_servers).await
}

async fn run_with(
    checks: &Checks,
    name: &str,
    endpoint: &(dyn Fn(&str, CheckTarget) -> Option<ServerEndpoint> + Sync),
) -> Measured {
    let ctx = Context {
        revision: REV,
        namespace: "team-a",
        environment: "production",
        target: CheckTarget::Service,
        egress: &Egress::new(&["127.0.0.1".to_string()]).unwrap(),
        namespaces: &["team-a"],
        metrics: &Metrics::new(),
        endpoint,
    };
    let mut out = checks.run(&[name.to_string()], &ctx).await;
    assert_eq!(out.len(), 1, "{out:?}");
    out.remove(0)
}

#[tokio::test]
async fn mcp_handshake_against_a_real_server_passes_with_its_tools() {
    let server = McpServer::start();
    let c = checks(json!({"mcp": [{"name": "ctx", "url": server.url(),
        "expectedTools": ["echo", "resolve-library-id"]}]}));
    let m = run_one(&c, "ctx").await;
    assert_eq!(m.kind, CheckKind::Mcp);
    assert_eq!(m.result.outcome, Outcome::Pass, "{}", m.result.message);
    assert!(
        m.result.message.contains("speaks MCP"),
        "{}",
        m.result.message
    );
    assert_eq!(m.result.revision, REV);
}

#[tokio::test]
async fn a_missing_expected_tool_fails() {
    let server = McpServer::start();
    let c = checks(json!({"mcp": [{"name": "ctx", "url": server.url(),
        "expectedTools": ["get-library-docs"]}]}));
    let m = run_one(&c, "ctx").await;
    assert_eq!(m.result.outcome, Outcome::Fail);
    assert!(m.result.message.contains("get-library-docs"));
}

#[tokio::test]
async fn a_server_flipped_to_failing_fails_the_handshake() {
    let server = McpServer::start();
    let c = checks(json!({"mcp": [{"name": "ctx", "url": server.url()}]}));
    assert_eq!(run_one(&c, "ctx").await.result.outcome, Outcome::Pass);
    server.set_mode(McpMode::ServerError);
    let m = run_one(&c, "ctx").await;
    assert_eq!(m.result.outcome, Outcome::Fail);
    assert!(m.result.message.contains("500"), "{}", m.result.message);
    server.set_mode(McpMode::InvalidResponse);
    let m = run_one(&c, "ctx").await;
    assert_eq!(m.result.outcome, Outcome::Fail);
    assert!(
        m.result.message.contains("initialize"),
        "{}",
        m.result.message
    );
    server.set_mode(McpMode::Healthy);
    assert_eq!(run_one(&c, "ctx").await.result.outcome, Outcome::Pass);
}

#[tokio::test]
async fn a_server_check_goes_to_the_resolved_service() {
    let server = McpServer::start();
    let base = format!("http://127.0.0.1:{}", server.port());
    let resolve = move |name: &str, target: CheckTarget| {
        (name == "context7" && target == CheckTarget::Service).then(|| ServerEndpoint {
            base: base.clone(),
            mcp_path: "/mcp".into(),
        })
    };
    let c = checks(json!({"mcp": [{"name": "ctx", "server": "context7"}],
        "http": [{"name": "other", "server": "missing"}]}));
    assert_eq!(
        run_with(&c, "ctx", &resolve).await.result.outcome,
        Outcome::Pass
    );
    assert_eq!(
        run_with(&c, "other", &resolve).await.result.outcome,
        Outcome::Error
    );
}

#[tokio::test]
async fn nothing_listening_is_an_error_not_a_failure() {
    let port = claude_env_testkit::free_port();
    let c =
        checks(json!({"mcp": [{"name": "ctx", "url": format!("http://127.0.0.1:{port}/mcp")}]}));
    let m = run_one(&c, "ctx").await;
    assert_eq!(m.result.outcome, Outcome::Error);
    assert!(
        m.result.message.contains("connection"),
        "{}",
        m.result.message
    );
}

#[tokio::test]
async fn a_hanging_server_times_out_as_an_error() {
    let silent = SilentServer::start();
    let c = checks(json!({"http": [{"name": "h", "url": silent.http_url("health")}]}));
    let started = std::time::Instant::now();
    let m = run_one(&c, "h").await;
    assert_eq!(m.result.outcome, Outcome::Error);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn unknown_names_are_skipped() {
    let c = checks(json!({}));
    let ctx = Context {
        revision: REV,
        namespace: "n",
        environment: "e",
        target: CheckTarget::Service,
        egress: &Egress::default(),
        namespaces: &["n"],
        metrics: &Metrics::new(),
        endpoint: &no_servers,
    };
    assert!(c.run(&["nope".into()], &ctx).await.is_empty());
}

const SECRET_BODY: &str = r#"{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI"}"#;

#[tokio::test]
async fn redirects_are_not_followed_and_bodies_never_echoed() {
    let redirect = CannedServer::http(
        "302 Found",
        &[("Location", "http://169.254.169.254/latest/meta-data/")],
        "",
    );
    let c = checks(json!({"http": [{"name": "h", "url": redirect.http_url("health")}]}));
    let m = run_one(&c, "h").await;
    assert_eq!(m.result.outcome, Outcome::Fail, "{}", m.result.message);
    assert!(
        m.result.message.contains("status 302"),
        "{}",
        m.result.message
    );

    let leaky = CannedServer::http("500 Oops", &[], SECRET_BODY);
    let port = leaky.port();
    for spec in [
        json!({"http": [{"name": "x", "url": format!("http://127.0.0.1:{port}/")}]}),
        json!({"mcp": [{"name": "x", "url": format!("http://127.0.0.1:{port}/mcp")}]}),
        json!({"prometheus": [{"name": "x", "address": format!("http://127.0.0.1:{port}"), "query": "up", "max": 1.0}]}),
    ] {
        let m = run_one(&checks(spec.clone()), "x").await;
        assert_ne!(m.result.outcome, Outcome::Pass, "{spec}");
        for needle in ["ASIA", "wJalr", "Oops"] {
            assert!(
                !m.result.message.contains(needle),
                "{spec}: {}",
                m.result.message
            );
        }
        assert!(
            m.result.message.contains(" ms)"),
            "latency: {}",
            m.result.message
        );
    }
}

#[tokio::test]
async fn hosts_outside_the_egress_rules_are_never_contacted() {
    let server = McpServer::start();
    let probe = CannedServer::http("200 OK", &[], "");
    let c = checks(json!({"mcp": [{"name": "ctx", "url": server.url()}],
        "http": [{"name": "meta", "url": "http://169.254.169.254/latest/meta-data/"},
                 {"name": "other", "url": "http://mcp.team-b.svc:8080/"},
                 {"name": "probe", "url": probe.http_url("")}]}));
    let metrics = Metrics::new();
    let ctx = |egress| Context {
        revision: REV,
        namespace: "team-a",
        environment: "production",
        target: CheckTarget::Service,
        egress,
        namespaces: &["team-a"],
        metrics: &metrics,
        endpoint: &no_servers,
    };
    let strict = Egress::default();
    let names = ["ctx", "meta", "other", "probe"].map(String::from);
    let out = c.run(&names, &ctx(&strict)).await;
    for m in &out {
        assert_eq!(m.result.outcome, Outcome::Error, "{}", m.result.name);
    }
    assert!(
        out[0]
            .result
            .message
            .contains("not allowed for health checks"),
        "{}",
        out[0].result.message
    );
    assert!(
        out[1]
            .result
            .message
            .contains("link-local or cloud metadata"),
        "{}",
        out[1].result.message
    );
    assert!(
        out[2].result.message.contains("not allowed"),
        "{}",
        out[2].result.message
    );
    assert_eq!(probe.connections(), 0, "a refused check connected");
    assert!(
        metrics
            .render()
            .contains("claude_env_limit_exceeded_total{limit=\"egress\"} 4"),
        "{}",
        metrics.render()
    );
    // Listed, even metadata stays unreachable.
    let loose = Egress::new(&["127.0.0.1".into(), "169.254.0.0/16".into()]).unwrap();
    let out = c.run(&["ctx".into(), "meta".into()], &ctx(&loose)).await;
    assert_eq!(
        out[0].result.outcome,
        Outcome::Pass,
        "{}",
        out[0].result.message
    );
    assert!(
        out[1].result.message.contains("link-local"),
        "{}",
        out[1].result.message
    );
}

#[tokio::test]
async fn names_resolving_to_blocked_addresses_do_not_resolve() {
    use reqwest::dns::Resolve;
    use std::str::FromStr;
    let r = super::GuardedResolver;
    assert!(
        r.resolve(reqwest::dns::Name::from_str("169.254.169.254").unwrap())
            .await
            .is_err()
    );
    let ok = r
        .resolve(reqwest::dns::Name::from_str("127.0.0.1").unwrap())
        .await
        .unwrap();
    assert_eq!(ok.count(), 1);
}

/// Real Prometheus scraping the endpoint; `None` (and a loud message) when not installed.
fn prometheus_with(endpoint: &MetricsEndpoint) -> Option<Prometheus> {
    if !prometheus::available() {
        eprintln!(
            "SKIPPED: {} not installed (apt-get install prometheus)",
            prometheus::PROMETHEUS_BIN
        );
        return None;
    }
    let p = Prometheus::start(&[endpoint.target()]).expect("prometheus starts");
    assert!(
        p.wait_for_scrapes(3, Duration::from_secs(60)),
        "prometheus never scraped the endpoint"
    );
    Some(p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_thresholds_against_a_real_server() {
    let endpoint = MetricsEndpoint::start(0.0);
    let Some(prom) = tokio::task::block_in_place(|| prometheus_with(&endpoint)) else {
        return;
    };
    let c = checks(json!({"prometheus": [
        {"name": "errors", "address": prom.url(), "query": prometheus::error_rate_query("3s"), "max": 0.05},
        {"name": "empty", "address": prom.url(), "query": "sum(http_requests_total{code=\"418\"})", "max": 1.0},
        {"name": "broken", "address": prom.url(), "query": "sum(rate(", "max": 1.0}
    ]}));
    let m = run_one(&c, "errors").await;
    assert_eq!(m.result.outcome, Outcome::Pass, "{}", m.result.message);
    assert_eq!(
        run_one(&c, "empty").await.result.outcome,
        Outcome::Inconclusive
    );
    assert_eq!(run_one(&c, "broken").await.result.outcome, Outcome::Error);

    endpoint.set_error_ratio(0.5);
    // The 3s rate window fills with the new ratio within a few scrapes.
    let mut last = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let m = run_one(&c, "errors").await;
        if m.result.outcome == Outcome::Fail {
            assert!(m.result.message.contains("outside"), "{}", m.result.message);
            return;
        }
        last = Some(m);
    }
    panic!("error rate never crossed the threshold: {last:?}");
}
