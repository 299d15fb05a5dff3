//! `claude-env doctor`: do the synced files work on this workstation? Every MCP server of
//! `mcp.json` is started (stdio) or reached (streamable HTTP) with the official MCP SDK and
//! must answer `initialize` and `tools/list` within the timeout, and every `${VAR}` the
//! files leave for the environment must be set. Every sync from a cluster runs it and
//! reports the result in the workstation's ClaudeWorkstation.
//!
//! [`servers`] reads mcp.json and fills in variables (pure); [`client`] talks MCP.

pub mod client;
pub mod servers;

use std::path::Path;
use std::time::Duration;

use claude_env_api::{DoctorReport, DoctorResult, ServerCheck};
use claude_env_render::files::{MCP_JSON, SETTINGS_JSON};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::environment::Files;
use crate::sync::state;

/// How long one server may take to start and answer both requests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Check the target's synced files. `revision`: what the files are (for the report).
pub async fn check(
    target: &Path,
    revision: Option<String>,
    timeout: Duration,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> DoctorReport {
    // HTTPS servers: rustls with ring, as the Kubernetes client (set once per process).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let read = |p: &str| std::fs::read(state::join(target, p)).ok();
    let files: Files = [SETTINGS_JSON, MCP_JSON]
        .into_iter()
        .filter_map(|p| Some((p.to_string(), read(p)?)))
        .collect();
    let missing_variables: Vec<String> = crate::follow::files::variables(&files)
        .into_iter()
        .filter(|v| lookup(v).is_none())
        .collect();
    let mut checks = Vec::new();
    match files.get(MCP_JSON).map(|b| servers::parse(b)) {
        None => {}
        Some(Err(message)) => checks.push(ServerCheck {
            name: MCP_JSON.into(),
            transport: "-".into(),
            ok: false,
            tools: None,
            message: Some(message),
        }),
        Some(Ok(list)) => {
            let runs = list.iter().map(|s| client::check(s, timeout, lookup));
            checks = futures::future::join_all(runs).await;
        }
    }
    let healthy = missing_variables.is_empty() && checks.iter().all(|c| c.ok);
    DoctorReport {
        result: if healthy {
            DoctorResult::Healthy
        } else {
            DoctorResult::Failing
        },
        revision,
        checked_at: Time(jiff::Timestamp::now()),
        servers: checks,
        missing_variables,
    }
}

/// The report as people read it.
pub fn describe(r: &DoctorReport) -> String {
    let mut out = String::new();
    for s in &r.servers {
        let status = if s.ok { "ok  " } else { "FAIL" };
        let detail = match (&s.tools, &s.message) {
            (_, Some(m)) => m.clone(),
            (Some(n), None) => format!("{n} tool(s)"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "  {status} {:<24} {:<6} {detail}\n",
            s.name, s.transport
        ));
    }
    for v in &r.missing_variables {
        out.push_str(&format!("  FAIL ${{{v}}} is not set in this environment\n"));
    }
    let verdict = match r.result {
        DoctorResult::Healthy => "healthy",
        DoctorResult::Failing => "failing",
    };
    out.push_str(&format!(
        "doctor: {verdict} ({} server(s), {} failing; {} variable(s) missing)\n",
        r.servers.len(),
        r.servers.iter().filter(|s| !s.ok).count(),
        r.missing_variables.len()
    ));
    out
}
