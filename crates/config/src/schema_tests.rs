use super::*;
use crate::testutil::{check, repo};
use crate::{ParsedRepo, rules};

fn findings(files: &[(&str, &str)]) -> Vec<(String, &'static str, u32, u32, String)> {
    check("", files)
        .iter()
        .map(|d| (d.file.clone(), d.rule, d.line, d.column, d.message.clone()))
        .collect()
}

#[test]
fn the_embedded_schema_is_the_published_one() {
    let published = include_str!("../../../schemas/claude-env.schema.json");
    assert_eq!(DOCUMENT_SCHEMA, published);
    let v: serde_json::Value = serde_json::from_str(DOCUMENT_SCHEMA).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    // Compiles (LazyLock would panic otherwise).
    assert!(BUILTIN.is_valid(&serde_json::json!({})));
}

#[test]
fn a_wrong_type_is_reported_at_the_value_without_quoting_it() {
    let f = findings(&[(
        "base/a.yaml",
        "mcpServers:\n  s:\n    command: x\n    args: hunter2-value\n",
    )]);
    assert_eq!(f.len(), 1, "{f:?}");
    let (file, rule, line, col, msg) = &f[0];
    assert_eq!(
        (file.as_str(), *rule, *line, *col),
        ("base/a.yaml", rules::SCHEMA, 4, 11)
    );
    assert!(
        msg.contains("/mcpServers/s/args") && msg.contains("expected array, found string"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2"), "{msg}");
}

#[test]
fn unknown_keys_of_our_formats_are_reported_at_the_key() {
    let f = findings(&[(
        "base/a.yaml",
        "mcpServers:\n  s:\n    command: x\n    comand: y\n",
    )]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].2, f[0].3), (4, 5));
    assert!(f[0].4.contains("unknown key `comand`"), "{}", f[0].4);
}

#[test]
fn unknown_top_level_keys_are_reported() {
    let f = findings(&[("base/a.yaml", "setings: {}\n")]);
    assert_eq!((f[0].1, f[0].2, f[0].3), (rules::SCHEMA, 1, 1));
}

#[test]
fn settings_stay_open_beyond_the_known_parts() {
    let f = findings(&[(
        "base/a.yaml",
        "settings:\n  includeCoAuthoredBy: false\n  statusLine: {type: command}\n",
    )]);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn known_settings_parts_are_typed() {
    let f = findings(&[(
        "base/a.yaml",
        "settings:\n  permissions: {allow: [1]}\n  env: {A: 1}\n",
    )]);
    let lines: Vec<_> = f.iter().map(|x| (x.1, x.2, x.3)).collect();
    assert_eq!(lines, [(rules::SCHEMA, 2, 25), (rules::SCHEMA, 3, 12)]);
}

#[test]
fn required_keys_apply_to_the_merged_document_not_fragments() {
    // A partial deploy block in a team layer is fine when the base has the rest.
    let f = findings(&[
        (
            "base/a.yaml",
            "mcpServers:\n  s:\n    deploy: {image: 'ghcr.io/a/b:1', port: 8080}\n",
        ),
        (
            "teams/t/a.yaml",
            "mcpServers:\n  s:\n    deploy: {replicas: 3}\n",
        ),
    ]);
    assert!(f.is_empty(), "{f:?}");
    // Without it, the merged document misses `image` and `port`.
    let f = findings(&[(
        "teams/t/a.yaml",
        "mcpServers:\n  s:\n    deploy: {replicas: 3}\n",
    )]);
    let msgs: Vec<_> = f.iter().map(|x| (x.1, x.2, x.4.as_str())).collect();
    assert_eq!(
        msgs,
        [
            (
                rules::SCHEMA,
                3,
                "`/mcpServers/s/deploy`: `image` is required"
            ),
            (
                rules::SCHEMA,
                3,
                "`/mcpServers/s/deploy`: `port` is required"
            ),
        ]
    );
}

#[test]
fn markers_and_nulls_do_not_trip_the_schema() {
    let f = findings(&[
        (
            "base/a.yaml",
            "mcpServers: {s: {command: x, args: [a]}}\nsettings: {model: m}\n",
        ),
        (
            "environments/prod/a.yaml",
            "mcpServers: {s: {args: !delete}}\nsettings: {model: null}\n",
        ),
    ]);
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn errors_after_a_deleted_array_element_point_at_the_right_element() {
    let f = check(
        "  settings.permissions.allow: union\n",
        &[(
            "base/a.yaml",
            "settings:\n  permissions:\n    allow:\n      - !delete x\n      - 5\n",
        )],
    );
    let d = f.iter().next().unwrap();
    assert_eq!((d.rule, d.line), (rules::SCHEMA, 5));
}

#[test]
fn enum_and_range_messages_come_from_the_schema() {
    let f = findings(&[(
        "base/a.yaml",
        "mcpServers:\n  s: {type: grpc, deploy: {image: 'a:1', port: 70000}}\n",
    )]);
    let msgs: Vec<_> = f.iter().map(|x| x.4.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("must be one of") && m.contains("stdio")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.contains("must be at most 65535")),
        "{msgs:?}"
    );
}

#[test]
fn server_names_are_checked() {
    let f = findings(&[("base/a.yaml", "mcpServers:\n  'bad name!': {command: x}\n")]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].4.contains("key `bad name!`"), "{}", f[0].4);
}

#[test]
fn repo_schemas_apply_to_merged_documents() {
    let policy =
        r#"{"properties": {"settings": {"required": ["model"]}}, "required": ["settings"]}"#;
    let snap = repo(
        "",
        &[
            ("schemas/policy.json", policy),
            ("base/a.yaml", "settings: {env: {A: '1'}}\n"),
        ],
    );
    let ds = ParsedRepo::parse(&snap).validate();
    let got: Vec<_> = ds
        .iter()
        .map(|d| (d.rule, d.file.as_str(), d.line))
        .collect();
    assert_eq!(got, [(rules::REPO_SCHEMA, "base/a.yaml", 1)], "{ds}");
    assert!(
        ds.iter()
            .next()
            .unwrap()
            .message
            .contains("schemas/policy.json")
    );
}

#[test]
fn an_unusable_repo_schema_is_reported() {
    let snap = repo(
        "",
        &[
            ("schemas/bad.json", r#"{"type": 12}"#),
            ("schemas/broken.json", "{"),
        ],
    );
    let ds = ParsedRepo::parse(&snap).validate();
    let got: Vec<_> = ds.iter().map(|d| (d.rule, d.file.as_str())).collect();
    assert_eq!(
        got,
        [
            (rules::REPO_SCHEMA, "schemas/bad.json"),
            (rules::JSON_SYNTAX, "schemas/broken.json")
        ]
    );
}

#[test]
fn repo_schemas_never_fetch_remote_references() {
    let snap = repo(
        "",
        &[(
            "schemas/remote.json",
            r#"{"$ref": "https://example.com/s.json"}"#,
        )],
    );
    let ds = ParsedRepo::parse(&snap).validate();
    assert_eq!(
        ds.iter().map(|d| d.rule).collect::<Vec<_>>(),
        [rules::REPO_SCHEMA]
    );
}
