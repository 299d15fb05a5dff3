//! The doctor against real MCP servers: the SDK's own server over streamable HTTP (healthy
//! and failing), a command that does not exist, and variables that are not set.

use std::time::Duration;

use claude_env_api::DoctorResult;
use claude_env_cli::doctor;
use claude_env_testkit::mcp::{McpMode, McpServer};

fn target(mcp: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mcp.json"), mcp).unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        "{\"env\": {\"A\": \"${TOKEN}\"}}\n",
    )
    .unwrap();
    dir
}

fn env(v: &str) -> Option<String> {
    (v == "TOKEN").then(|| "t".to_string())
}

#[tokio::test]
async fn a_server_that_answers_is_healthy_and_its_tools_are_counted() {
    let server = McpServer::start();
    let t = target(&format!(
        r#"{{"mcpServers": {{"docs": {{"type": "http", "url": "{}", "headers": {{"Authorization": "Bearer ${{TOKEN}}"}}}}}}}}"#,
        server.url()
    ));
    let r = doctor::check(t.path(), Some("abc".into()), Duration::from_secs(10), &env).await;
    assert_eq!(r.result, DoctorResult::Healthy, "{}", doctor::describe(&r));
    assert_eq!(r.servers[0].tools, Some(2));
    assert_eq!(r.revision.as_deref(), Some("abc"));
    assert!(doctor::describe(&r).contains("doctor: healthy"));
}

#[tokio::test]
async fn a_failing_server_a_missing_command_and_a_missing_variable_fail() {
    let server = McpServer::start();
    server.set_mode(McpMode::ServerError);
    let t = target(&format!(
        r#"{{"mcpServers": {{
            "broken": {{"type": "http", "url": "{}"}},
            "gone": {{"type": "stdio", "command": "/nonexistent/mcp-server", "args": []}},
            "needs": {{"type": "stdio", "command": "true", "env": {{"KEY": "${{UNSET_VAR}}"}}}}
        }}}}"#,
        server.url()
    ));
    let r = doctor::check(t.path(), None, Duration::from_secs(10), &env).await;
    assert_eq!(r.result, DoctorResult::Failing);
    let by = |n: &str| r.servers.iter().find(|s| s.name == n).unwrap();
    assert!(!by("broken").ok);
    assert!(
        by("gone")
            .message
            .as_deref()
            .unwrap()
            .contains("cannot start"),
        "{:?}",
        by("gone")
    );
    assert!(
        by("needs")
            .message
            .as_deref()
            .unwrap()
            .contains("${UNSET_VAR}")
    );
    assert_eq!(r.missing_variables, ["UNSET_VAR"]);
    let text = doctor::describe(&r);
    assert!(text.contains("FAIL gone"), "{text}");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    // `sleep` reads nothing and never answers.
    let t = target(
        r#"{"mcpServers": {"mute": {"type": "stdio", "command": "sleep", "args": ["30"]}}}"#,
    );
    let started = std::time::Instant::now();
    let r = doctor::check(t.path(), None, Duration::from_millis(800), &env).await;
    assert_eq!(r.result, DoctorResult::Failing);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        r.servers[0].message.as_deref().unwrap().contains("within"),
        "{:?}",
        r.servers[0]
    );
}
