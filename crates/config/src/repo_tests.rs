//! Repository-level behaviour: layout, selections, what `merge`, `check`, `load` and
//! `validate` report.

use super::*;
use crate::testutil::{full, repo};
use crate::{load_environment, validate_repo};

fn snap(files: &[(&str, &str)]) -> RepoSnapshot {
    RepoSnapshot::new(
        Some("rev1".into()),
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    )
}

fn rules(ds: &Diagnostics) -> Vec<&'static str> {
    ds.iter().map(|d| d.rule).collect()
}

#[test]
fn parsed_repos_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<ParsedRepo>();
    shareable::<MergedDocument>();
    shareable::<Diagnostics>();
}

#[test]
fn without_declarations_the_directories_are_the_environments() {
    let s = snap(&[
        ("claude-env.yaml", "schemaVersion: 1\n"),
        ("environments/dev/a.yaml", "memory: dev\n"),
        ("environments/prod/.gitkeep", ""),
    ]);
    let p = ParsedRepo::parse(&s);
    assert_eq!(p.environments(), ["dev", "prod"]);
    assert_eq!(p.revision(), Some("rev1"));
    assert!(p.merge(&Selection::new("prod"), None).is_ok());
    let err = p.merge(&Selection::new("qa"), None).unwrap_err();
    assert_eq!(rules(&err), ["unknown-environment"]);
}

#[test]
fn declared_environments_need_no_directory_and_undeclared_directories_warn() {
    let s = snap(&[
        (
            "claude-env.yaml",
            "schemaVersion: 1\nenvironments: [prod]\n",
        ),
        ("environments/prdo/a.yaml", "memory: typo\n"),
    ]);
    let p = ParsedRepo::parse(&s);
    assert_eq!(
        p.merge(&Selection::new("prod"), None).unwrap().value,
        serde_json::json!({})
    );
    assert_eq!(
        rules(&p.merge(&Selection::new("prdo"), None).unwrap_err()),
        ["unknown-environment"]
    );
    let ds = p.validate();
    assert_eq!(rules(&ds), ["undeclared-environment"]);
    assert_eq!(ds.iter().next().unwrap().file, "environments/prdo");
}

#[test]
fn fragments_outside_layer_directories_warn() {
    let ds = validate_repo(&repo(
        "",
        &[("teams/a.yaml", "memory: x\n"), ("projects/b.json", "{}")],
    ));
    assert_eq!(rules(&ds), ["stray-file", "stray-file"]);
}

#[test]
fn hidden_and_non_fragment_files_are_ignored() {
    let d = ParsedRepo::parse(&repo(
        "",
        &[
            ("base/.draft.yaml", "memory: hidden\n"),
            ("base/.wip/a.yaml", "memory: hidden\n"),
            ("base/notes.md", "memory: not a fragment\n"),
            ("base/a.yaml", "memory: shown\n"),
        ],
    ))
    .merge(&full(), None)
    .unwrap();
    assert_eq!(d.value, serde_json::json!({"memory": "shown"}));
}

#[test]
fn a_missing_settings_file_fails_every_merge() {
    let s = snap(&[
        ("base/a.yaml", "memory: m\n"),
        ("environments/prod/.gitkeep", ""),
    ]);
    let err = ParsedRepo::parse(&s)
        .merge(&Selection::new("prod"), None)
        .unwrap_err();
    assert_eq!(rules(&err), ["repo-settings"]);
}

#[test]
fn merge_ignores_validation_findings_that_load_and_check_report() {
    let s = repo(
        "",
        &[(
            "base/a.yaml",
            "mcpServers:\n  s: {description: no transport}\n",
        )],
    );
    let p = ParsedRepo::parse(&s);
    assert!(p.merge(&full(), None).is_ok());
    assert_eq!(
        rules(&p.load(&full(), None).unwrap_err()),
        ["mcp-no-transport"]
    );
    let checked = p.check(&full(), None);
    assert!(checked.document.is_some());
    assert_eq!(rules(&checked.diagnostics), ["mcp-no-transport"]);
}

#[test]
fn warnings_do_not_fail_a_load() {
    let s = repo(
        "",
        &[(
            "base/a.yaml",
            "mcpServers:\n  s: {deploy: {image: nginx, port: 80}}\n",
        )],
    );
    let p = ParsedRepo::parse(&s);
    assert!(p.load(&full(), None).is_ok());
    assert_eq!(
        rules(&p.check(&full(), None).diagnostics),
        ["image-unpinned"]
    );
}

#[test]
fn a_broken_file_does_not_cascade_into_merged_document_findings() {
    // The server's command is in the broken file: no `mcp-no-transport` on top of the error.
    let s = repo(
        "",
        &[
            ("base/a.yaml", "mcpServers:\n  s: {description: d}\n"),
            ("base/b.yaml", "mcpServers:\n  s: {command: [npx\n"),
        ],
    );
    assert_eq!(rules(&validate_repo(&s)), ["yaml-syntax"]);
}

#[test]
fn load_environment_reads_only_the_selected_layers() {
    let s = repo(
        "",
        &[
            ("base/a.yaml", "memory: m\n"),
            ("teams/other/a.yaml", "memory: [broken\n"),
        ],
    );
    assert!(load_environment(&s, &full(), None).is_ok());
    assert_eq!(rules(&validate_repo(&s)), ["yaml-syntax"]);
}

#[test]
fn a_problem_in_base_is_reported_once_across_selections() {
    let s = repo(
        "",
        &[
            ("base/a.yaml", "mcpServers:\n  s: {description: d}\n"),
            ("teams/x/.gitkeep", ""),
            ("projects/y/.gitkeep", ""),
        ],
    );
    let p = ParsedRepo::parse(&s);
    assert_eq!(p.selections().len(), 3 * 3);
    assert_eq!(rules(&p.validate()), ["mcp-no-transport"]);
}

#[test]
fn the_user_layer_is_merged_last_and_named_as_given() {
    let s = repo("", &[("projects/p/a.yaml", "settings: {model: opus}\n")]);
    let user = UserLayer::named(
        "/home/me/.claude/local-overrides.json",
        br#"{"settings": {"model": "haiku"}}"#.to_vec(),
    );
    let d = ParsedRepo::parse(&s).load(&full(), Some(&user)).unwrap();
    assert_eq!(d.value["settings"]["model"], "haiku");
    let p = d.provenance_of("/settings/model").unwrap();
    assert_eq!(
        (p.layer.kind, p.file.as_str()),
        (LayerKind::User, "/home/me/.claude/local-overrides.json")
    );
}

#[test]
fn user_layer_problems_name_the_user_file() {
    let s = repo("", &[]);
    let user = UserLayer::new(b"settings: {model: [x\n".to_vec());
    let err = ParsedRepo::parse(&s)
        .load(&full(), Some(&user))
        .unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(
        (d.rule, d.file.as_str()),
        ("yaml-syntax", UserLayer::DEFAULT_NAME)
    );
}

#[test]
fn the_user_layer_is_not_scanned_for_secrets_but_references_are_checked() {
    let s = repo("", &[]);
    let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC1234");
    let user = UserLayer::new(
        format!("settings:\n  env:\n    GITHUB_TOKEN: {token}\n    X: ${{env:1}}\n").into_bytes(),
    );
    let checked = ParsedRepo::parse(&s).check(&full(), Some(&user));
    assert_eq!(rules(&checked.diagnostics), ["secret-reference"]);
}

#[test]
fn selections_cover_every_combination() {
    let s = repo("", &[("teams/x/.gitkeep", "")]);
    let shown: Vec<String> = ParsedRepo::parse(&s)
        .selections()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        shown,
        [
            "prod", "prod/-/p", "prod/t", "prod/t/p", "prod/x", "prod/x/p"
        ]
    );
}

#[test]
fn the_typed_document_of_a_bare_merge_can_fail_where_validation_would_have_said_why() {
    let s = repo(
        "",
        &[(
            "base/a.yaml",
            "mcpServers:\n  s: {deploy: {image: x, port: high}}\n",
        )],
    );
    let p = ParsedRepo::parse(&s);
    let merged = p.merge(&full(), None).unwrap();
    assert!(merged.document().is_err());
    let err = p.load(&full(), None).unwrap_err();
    assert!(
        err.iter().any(|d| d.rule == "schema" && d.line == 2),
        "{err}"
    );
}

#[test]
fn a_loaded_document_converts_to_the_typed_model() {
    let s = repo(
        "",
        &[(
            "base/a.yaml",
            "mcpServers:\n  s:\n    command: npx\n    args: [-y, x]\n    env: {K: '${secret:s/k}'}\ncommands: {review: '# Review'}\n",
        )],
    );
    let doc = ParsedRepo::parse(&s)
        .load(&full(), None)
        .unwrap()
        .document()
        .unwrap();
    assert_eq!(doc.mcp_servers["s"].args, ["-y", "x"]);
    assert_eq!(doc.mcp_servers["s"].env["K"], "${secret:s/k}");
    assert_eq!(doc.commands["review"], "# Review");
}
