//! End-to-end: a small repository through the public API.

use claude_env_config::{
    LayerKind, ParsedRepo, RepoSnapshot, Selection, UserLayer, load_environment, validate_repo,
};
use serde_json::json;

fn repo(files: &[(&str, &str)]) -> RepoSnapshot {
    RepoSnapshot::new(
        Some("abc123".into()),
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    )
}

const SETTINGS: &str = "\
schemaVersion: 1
environments: [development, production]
merge:
  settings.permissions.allow: union
  settings.hooks.*: {merge-by-key: matcher}
";

fn example() -> RepoSnapshot {
    repo(&[
        ("claude-env.yaml", SETTINGS),
        (
            "base/settings.yaml",
            "settings:\n  model: sonnet\n  permissions:\n    allow: [\"Read\", \"Bash(git:*)\"]\n",
        ),
        (
            "base/mcp.yaml",
            "mcpServers:\n  context7:\n    command: npx\n    args: [-y, '@upstash/context7-mcp']\n",
        ),
        (
            "environments/production/settings.json",
            r#"{"settings": {"model": "opus", "permissions": {"allow": ["Read", "Edit"]}}}"#,
        ),
        (
            "teams/backend/mcp.yaml",
            "mcpServers:\n  db:\n    deploy:\n      image: ghcr.io/acme/db-mcp:1.2.0\n      port: 8080\n",
        ),
        ("projects/checkout/memory.yaml", "memory: |\n  # Checkout\n"),
        (
            "projects/checkout/drop.yaml",
            "mcpServers:\n  context7: !delete\n",
        ),
    ])
}

#[test]
fn merges_base_environment_team_project_with_provenance() {
    let sel = Selection::new("production")
        .team("backend")
        .project("checkout");
    let doc = load_environment(&example(), &sel, None).unwrap();
    assert_eq!(
        doc.value,
        json!({
            "settings": {"model": "opus", "permissions": {"allow": ["Read", "Bash(git:*)", "Edit"]}},
            "mcpServers": {"db": {"deploy": {"image": "ghcr.io/acme/db-mcp:1.2.0", "port": 8080}}},
            "memory": "# Checkout\n"
        })
    );
    let model = doc.provenance_of("/settings/model").unwrap();
    assert_eq!(model.layer.kind, LayerKind::Environment);
    assert_eq!(model.file, "environments/production/settings.json");
    assert_eq!((model.line, model.column), (1, 24));
    // "Read" is set by base and production: the highest layer names it.
    let read = doc.provenance_of("/settings/permissions/allow/0").unwrap();
    assert_eq!(read.layer.kind, LayerKind::Environment);
    let git = doc.provenance_of("/settings/permissions/allow/1").unwrap();
    assert_eq!((git.file.as_str(), git.line), ("base/settings.yaml", 4));
    let port = doc.provenance_of("/mcpServers/db/deploy/port").unwrap();
    assert_eq!(
        (port.file.as_str(), port.line, port.column),
        ("teams/backend/mcp.yaml", 5, 13)
    );
    let typed = doc.document().unwrap();
    assert_eq!(typed.mcp_servers["db"].deploy.as_ref().unwrap().port, 8080);
}

#[test]
fn the_user_layer_goes_on_top() {
    let sel = Selection::new("development");
    let user = UserLayer::new(b"settings:\n  model: haiku\n".to_vec());
    let doc = load_environment(&example(), &sel, Some(user)).unwrap();
    assert_eq!(doc.value["settings"]["model"], "haiku");
    let p = doc.provenance_of("/settings/model").unwrap();
    assert_eq!(p.layer.kind, LayerKind::User);
    assert_eq!(p.file, "~/.claude/local-overrides.yaml");
}

#[test]
fn the_example_validates_cleanly() {
    let ds = validate_repo(&example());
    assert!(ds.is_empty(), "{ds}");
}

#[test]
fn parse_once_merge_many_gives_the_same_documents_as_load_environment() {
    let snap = example();
    let parsed = ParsedRepo::parse(&snap);
    for sel in parsed.selections() {
        let once = parsed.load(&sel, None).unwrap();
        let direct = load_environment(&snap, &sel, None).unwrap();
        assert_eq!(once, direct, "{sel}");
    }
    assert_eq!(parsed.selections().len(), 2 * 2 * 2);
}

#[test]
fn unknown_selection_is_reported_per_part() {
    let sel = Selection::new("staging").team("nope").project("gone");
    let err = load_environment(&example(), &sel, None).unwrap_err();
    let rules: Vec<_> = err.iter().map(|d| d.rule).collect();
    assert_eq!(
        rules,
        ["unknown-environment", "unknown-project", "unknown-team"]
    );
    let env = err.iter().next().unwrap();
    assert_eq!((env.file.as_str(), env.line), ("claude-env.yaml", 2));
}
