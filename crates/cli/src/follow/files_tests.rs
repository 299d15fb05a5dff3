use k8s_openapi::ByteString;
use serde_json::json;

use super::*;

/// Files as the controller renders them for a document with every kind of content.
fn rendered() -> Files {
    let doc: claude_env_config::Document = serde_json::from_value(json!({
        "settings": {"model": "sonnet", "permissions": {"allow": ["Bash(make:*)"], "deny": ["Read(.env)"]}},
        "mcpServers": {
            "postgres": {"command": "npx", "args": ["-y", "server-postgres", "${env:DATABASE_URL}"]},
            "github": {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${secret:gh/token}"}},
            "context7": {"deploy": {"image": "ctx:1", "port": 8080}}
        },
        "memory": "# Team rules\n",
        "commands": {"review": "Review the diff."},
        "personas": {"sec": "You review security."}
    }))
    .unwrap();
    let ctx = RenderContext {
        instance: "be-prod".into(),
        owner_namespace: "team".into(),
        target_namespace: "team".into(),
        environment: "production".into(),
        ..RenderContext::default()
    };
    claude_env_render::render_files(&doc, &ctx).unwrap().files
}

fn user(yaml: &str) -> Option<UserLayer> {
    Some(UserLayer::new(yaml.as_bytes().to_vec()))
}

fn json_of(files: &Files, path: &str) -> Value {
    serde_json::from_slice(&files[path]).unwrap()
}

#[test]
fn config_map_keys_become_paths() {
    let cm = ConfigMap {
        data: Some(
            [
                ("settings.json".to_string(), "{}\n".to_string()),
                ("commands__review.md".to_string(), "x\n".to_string()),
            ]
            .into(),
        ),
        binary_data: Some([("agents__a.md".to_string(), ByteString(vec![0xff]))].into()),
        ..ConfigMap::default()
    };
    let files = from_config_map(&cm);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        ["agents/a.md", "commands/review.md", "settings.json"]
    );
    assert_eq!(files["agents/a.md"], vec![0xff]);
}

#[test]
fn without_a_user_layer_the_files_are_kept_byte_for_byte() {
    let files = rendered();
    let (out, merged) = with_user_layer(&files, None).unwrap();
    assert_eq!(out, files);
    assert!(merged.is_some(), "the document is rebuilt for the state");
}

#[test]
fn an_empty_user_layer_renders_the_same_files_again() {
    let files = rendered();
    let (out, _) = with_user_layer(&files, user("{}\n")).unwrap();
    assert_eq!(out, files);
}

#[test]
fn the_user_layer_merges_last() {
    let files = rendered();
    let (out, merged) = with_user_layer(
        &files,
        user(
            "settings:\n  model: opus\nmcpServers:\n  mine:\n    command: my-server\n  github: !delete\ncommands:\n  mine: Mine.\n",
        ),
    )
    .unwrap();
    let settings = json_of(&out, "settings.json");
    assert_eq!(settings["model"], "opus");
    assert_eq!(
        settings["permissions"]["deny"],
        json!(["Read(.env)"]),
        "the rest is kept"
    );
    let servers = &json_of(&out, "mcp.json")["mcpServers"];
    assert_eq!(servers["mine"]["command"], "my-server");
    assert!(
        servers.get("github").is_none(),
        "the deletion marker removes"
    );
    assert_eq!(
        servers["context7"]["url"],
        "http://be-prod-context7.team.svc.cluster.local:8080/mcp"
    );
    assert_eq!(servers["postgres"]["args"][2], "${DATABASE_URL}");
    assert_eq!(out["commands/mine.md"], b"Mine.\n");
    assert_eq!(out["CLAUDE.md"], files["CLAUDE.md"]);
    assert!(merged.unwrap().value["mcpServers"]["mine"].is_object());
}

#[test]
fn a_user_layer_that_does_not_parse_is_an_error() {
    assert!(with_user_layer(&rendered(), user("settings: [unclosed\n")).is_err());
}

#[test]
fn variables_are_filled_in_secrets_left_and_missing_ones_listed() {
    let files = rendered();
    assert_eq!(
        variables(&files).into_iter().collect::<Vec<_>>(),
        ["DATABASE_URL"]
    );
    let (out, missing) = resolve(&files, |v| {
        (v == "DATABASE_URL").then(|| "postgres://db \"x\"".into())
    });
    assert!(missing.is_empty());
    let mcp = json_of(&out, "mcp.json");
    assert_eq!(
        mcp["mcpServers"]["postgres"]["args"][2],
        "postgres://db \"x\""
    );
    assert_eq!(
        mcp["mcpServers"]["github"]["headers"]["Authorization"],
        "Bearer ${CLAUDE_ENV_SECRET_GH__TOKEN}"
    );
    let (kept, missing) = resolve(&files, |_| None);
    assert_eq!(missing, ["DATABASE_URL"]);
    assert_eq!(kept, files);
}
