//! The files Claude Code reads: layout, mcp.json transports, references, env resolution.

mod common;

use std::collections::BTreeMap;

use claude_env_render::{MissingEnvVars, RenderError, SecretRef, render_files};
use common::{ctx, doc, json, text};
use pretty_assertions::assert_eq;
use serde_json::json;

#[test]
fn an_empty_document_renders_empty_settings_and_servers_only() {
    let files = render_files(&doc(json!({})), &ctx()).unwrap();
    assert_eq!(
        files.files.keys().collect::<Vec<_>>(),
        ["mcp.json", "settings.json"]
    );
    assert_eq!(text(&files, "settings.json"), "{}\n");
    assert_eq!(text(&files, "mcp.json"), "{\n  \"mcpServers\": {}\n}\n");
}

#[test]
fn memory_commands_and_personas_become_markdown_files_with_a_final_newline() {
    let files = render_files(
        &doc(json!({
            "memory": "# Rules",
            "commands": {"review": "Review the diff.\n"},
            "personas": {"sre": "You are an SRE."},
        })),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        files.files.keys().collect::<Vec<_>>(),
        [
            "CLAUDE.md",
            "agents/sre.md",
            "commands/review.md",
            "mcp.json",
            "settings.json"
        ]
    );
    assert_eq!(text(&files, "CLAUDE.md"), "# Rules\n");
    assert_eq!(text(&files, "commands/review.md"), "Review the diff.\n");
    assert_eq!(text(&files, "agents/sre.md"), "You are an SRE.\n");
}

#[test]
fn command_names_that_are_not_plain_file_names_are_rejected() {
    for name in ["../escape", ".hidden", "a/b", ""] {
        let err = render_files(&doc(json!({"commands": {name: "x"}})), &ctx()).unwrap_err();
        assert!(
            matches!(
                &err,
                RenderError::InvalidFileName {
                    kind: "command",
                    ..
                }
            ),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn settings_keys_are_sorted_so_equal_documents_render_equal_bytes() {
    let a = doc(json!({"settings": {"model": "opus", "env": {"B": "1", "A": "2"}}}));
    let b = doc(json!({"settings": {"env": {"A": "2", "B": "1"}, "model": "opus"}}));
    let (fa, fb) = (
        render_files(&a, &ctx()).unwrap(),
        render_files(&b, &ctx()).unwrap(),
    );
    assert_eq!(fa, fb);
    assert_eq!(
        text(&fa, "settings.json"),
        "{\n  \"env\": {\n    \"A\": \"2\",\n    \"B\": \"1\"\n  },\n  \"model\": \"opus\"\n}\n"
    );
}

#[test]
fn stdio_and_remote_servers_use_claude_code_fields() {
    let files = render_files(
        &doc(json!({"mcpServers": {
            "playwright": {"command": "npx", "args": ["@playwright/mcp@latest"], "env": {"DEBUG": "0"}},
            "docs": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "web"}},
            "events": {"type": "sse", "url": "https://mcp.example.com/sse"},
        }})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        json(&files, "mcp.json"),
        json!({"mcpServers": {
            "docs": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"X-Team": "web"}},
            "events": {"type": "sse", "url": "https://mcp.example.com/sse"},
            "playwright": {"type": "stdio", "command": "npx", "args": ["@playwright/mcp@latest"], "env": {"DEBUG": "0"}},
        }})
    );
}

#[test]
fn a_deployed_server_is_reached_over_http_at_its_in_cluster_service() {
    let files = render_files(
        &doc(json!({"mcpServers": {
            // An environment added `deploy:` to a server base runs over stdio: deploy wins.
            "context7": {"command": "npx", "args": ["-y", "@upstash/context7-mcp"],
                         "deploy": {"image": "ghcr.io/claude-env/context7-mcp:1.4.2", "port": 8080}},
            "thinking": {"deploy": {"image": "ghcr.io/claude-env/st:2.0.0", "port": 3000, "path": "rpc"}},
        }})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        json(&files, "mcp.json"),
        json!({"mcpServers": {
            "context7": {"type": "http", "url": "http://dev-context7.claude-dev.svc.cluster.local:8080/mcp"},
            "thinking": {"type": "http", "url": "http://dev-thinking.claude-dev.svc.cluster.local:3000/rpc"},
        }})
    );
}

#[test]
fn disabled_servers_are_left_out() {
    let files = render_files(
        &doc(json!({"mcpServers": {
            "on": {"command": "a"},
            "off": {"command": "b", "enabled": false},
        }})),
        &ctx(),
    )
    .unwrap();
    let servers = json(&files, "mcp.json")["mcpServers"].clone();
    assert_eq!(
        servers.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["on"]
    );
}

#[test]
fn a_server_with_no_transport_is_an_error_naming_it() {
    let err =
        render_files(&doc(json!({"mcpServers": {"x": {"args": ["a"]}}})), &ctx()).unwrap_err();
    assert!(
        matches!(&err, RenderError::InvalidServer { server, pointer, .. } if server == "x" && pointer == "/mcpServers/x"),
        "{err:?}"
    );
}

#[test]
fn secrets_become_claude_code_variables_and_are_listed_with_their_secret_key() {
    let files = render_files(
        &doc(json!({"mcpServers": {
            "magic": {"command": "npx", "args": ["-y", "@21st-dev/magic@latest"],
                      "env": {"API_KEY": "${secret:magic/api-key}"}},
            "docs": {"url": "https://x/mcp", "headers": {"Authorization": "Bearer ${secret:docs/token}"}},
        }})),
        &ctx(),
    )
    .unwrap();
    let mcp = text(&files, "mcp.json");
    assert!(!mcp.contains("${secret:"), "{mcp}");
    let servers = &json(&files, "mcp.json")["mcpServers"];
    assert_eq!(
        servers["magic"]["env"]["API_KEY"],
        "${CLAUDE_ENV_SECRET_MAGIC__API_KEY}"
    );
    assert_eq!(
        servers["docs"]["headers"]["Authorization"],
        "Bearer ${CLAUDE_ENV_SECRET_DOCS__TOKEN}"
    );
    let expected: BTreeMap<String, SecretRef> = [
        ("CLAUDE_ENV_SECRET_DOCS__TOKEN", "docs", "token"),
        ("CLAUDE_ENV_SECRET_MAGIC__API_KEY", "magic", "api-key"),
    ]
    .into_iter()
    .map(|(v, n, k)| {
        (
            v.into(),
            SecretRef {
                name: n.into(),
                key: k.into(),
            },
        )
    })
    .collect();
    assert_eq!(files.secret_vars, expected);
}

#[test]
fn malformed_references_are_errors_pointing_at_the_value() {
    let err = render_files(
        &doc(json!({"mcpServers": {"magic": {"command": "npx", "env": {"K": "${secret:magic}"}}}})),
        &ctx(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, RenderError::MalformedReference { pointer, reference, .. }
            if pointer == "/mcpServers/magic/env/K" && reference == "${secret:magic}"),
        "{err:?}"
    );
}

fn with_env_refs() -> claude_env_render::ClaudeFiles {
    render_files(
        &doc(json!({
            "settings": {"env": {"OWNER": "${env:USER}"}},
            "memory": "Deploys go to ${env:DEPLOY_HOST}.",
            "mcpServers": {"magic": {"command": "npx", "env": {
                "KEY": "${env:MAGIC_API_KEY}", "OTHER": "${secret:magic/api-key}", "HOME_DIR": "${HOME}"}}},
        })),
        &ctx(),
    )
    .unwrap()
}

#[test]
fn env_references_stay_as_claude_code_variables_and_are_listed() {
    let files = with_env_refs();
    assert_eq!(
        files.env_vars.iter().collect::<Vec<_>>(),
        ["DEPLOY_HOST", "MAGIC_API_KEY", "USER"]
    );
    assert_eq!(
        json(&files, "mcp.json")["mcpServers"]["magic"]["env"]["KEY"],
        "${MAGIC_API_KEY}"
    );
    assert_eq!(text(&files, "CLAUDE.md"), "Deploys go to ${DEPLOY_HOST}.\n");
}

#[test]
fn resolving_env_writes_values_as_valid_json_and_leaves_other_variables_alone() {
    let files = with_env_refs();
    let env: BTreeMap<&str, &str> = [
        ("USER", "ada"),
        ("DEPLOY_HOST", "k8s.example"),
        // Quotes, a backslash and something that looks like another variable.
        ("MAGIC_API_KEY", "a\"b\\c ${USER}"),
    ]
    .into();
    let resolved = files
        .resolve_env(|v| env.get(v).map(|s| s.to_string()))
        .unwrap();
    assert!(resolved.env_vars.is_empty());
    assert_eq!(resolved.secret_vars, files.secret_vars);
    let magic = &json(&resolved, "mcp.json")["mcpServers"]["magic"]["env"];
    assert_eq!(
        magic["KEY"], "a\"b\\c ${USER}",
        "values are not expanded again"
    );
    assert_eq!(magic["OTHER"], "${CLAUDE_ENV_SECRET_MAGIC__API_KEY}");
    assert_eq!(magic["HOME_DIR"], "${HOME}");
    assert_eq!(json(&resolved, "settings.json")["env"]["OWNER"], "ada");
    assert_eq!(text(&resolved, "CLAUDE.md"), "Deploys go to k8s.example.\n");
}

#[test]
fn resolving_reports_every_missing_variable_and_resolves_nothing() {
    let err = with_env_refs()
        .resolve_env(|v| (v == "USER").then(|| "ada".to_string()))
        .unwrap_err();
    assert_eq!(
        err,
        MissingEnvVars {
            missing: vec!["DEPLOY_HOST".into(), "MAGIC_API_KEY".into()]
        }
    );
    assert_eq!(
        err.to_string(),
        "environment variables not set: DEPLOY_HOST, MAGIC_API_KEY"
    );
}

#[test]
fn resolving_without_env_references_changes_no_byte() {
    let files = render_files(
        &doc(json!({"settings": {"model": "opus"}, "memory": "x"})),
        &ctx(),
    )
    .unwrap();
    assert_eq!(files.resolve_env(|_| None).unwrap().files, files.files);
}
