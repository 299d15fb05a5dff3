use super::*;
use crate::parse::{Format, parse as parse_text};
use crate::provenance::{Layer, LayerKind};
use crate::tree::Origin;
use std::sync::Arc;

fn read(text: &str) -> (RepoSettings, Vec<Diagnostic>) {
    let origin = Arc::new(Origin {
        layer: Layer {
            kind: LayerKind::Base,
            name: None,
        },
        file: SETTINGS_FILE.into(),
    });
    let p = parse_text(text.as_bytes(), origin, Format::Yaml);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let mut diags = Vec::new();
    let s = parse(&p.root.unwrap(), &mut diags);
    (s, diags)
}

fn problems(text: &str) -> Vec<(u32, u32)> {
    let (_, diags) = read(text);
    assert!(diags.iter().all(|d| d.rule == "repo-settings"), "{diags:?}");
    diags.iter().map(|d| (d.line, d.column)).collect()
}

#[test]
fn a_complete_settings_file() {
    let (s, diags) = read(
        "schemaVersion: 1\nenvironments:\n  development:\n  production:\n    branch: release\n    requirePinnedImages: true\n    description: Prod\nmerge:\n  settings.permissions.allow: union\n  mcpServers.*.args: append\n  settings.hooks.*: {merge-by-key: matcher}\n  metadata.x: replace\n",
    );
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(s.schema_version, Some(1));
    let envs = s.environments.as_ref().unwrap();
    assert_eq!(
        envs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["development", "production"]
    );
    let prod = s.environment("production").unwrap();
    assert_eq!(prod.branch.as_deref(), Some("release"));
    assert!(prod.require_pinned_images);
    assert!(!s.environment("development").unwrap().require_pinned_images);
    let strategies: Vec<_> = s
        .strategies
        .rules()
        .iter()
        .map(|r| (r.path.to_string(), r.strategy.clone()))
        .collect();
    assert_eq!(
        strategies,
        [
            ("settings.permissions.allow".to_owned(), Strategy::Union),
            ("mcpServers.*.args".to_owned(), Strategy::Append),
            (
                "settings.hooks.*".to_owned(),
                Strategy::MergeByKey("matcher".into())
            ),
            ("metadata.x".to_owned(), Strategy::Replace),
        ]
    );
}

#[test]
fn environments_as_a_list() {
    let (s, diags) = read("schemaVersion: 1\nenvironments: [dev, prod]\n");
    assert!(diags.is_empty());
    assert_eq!(s.environments.unwrap().len(), 2);
    assert_eq!(s.environments_at, Some((2, 1)));
}

#[test]
fn no_environments_key_means_directories_decide() {
    let (s, _) = read("schemaVersion: 1\n");
    assert_eq!(s.environments, None);
}

#[test]
fn schema_version_is_required_and_must_be_1() {
    assert_eq!(problems("environments: [a]\n"), [(1, 1)]);
    assert_eq!(problems("schemaVersion: 2\n"), [(1, 16)]);
    assert_eq!(problems("schemaVersion: '1'\n"), [(1, 16)]);
}

#[test]
fn unknown_keys_are_reported_at_the_key() {
    assert_eq!(problems("schemaVersion: 1\nmerges: {}\n"), [(2, 1)]);
    assert_eq!(
        problems("schemaVersion: 1\nenvironments:\n  prod: {brnach: x}\n"),
        [(3, 10)]
    );
}

#[test]
fn bad_environment_entries() {
    assert_eq!(
        problems("schemaVersion: 1\nenvironments: [a, a]\n"),
        [(2, 19)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nenvironments: [{a: 1}]\n"),
        [(2, 16)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nenvironments: [../x]\n"),
        [(2, 16)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nenvironments: prod\n"),
        [(2, 15)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nenvironments:\n  p: {requirePinnedImages: 'yes'}\n"),
        [(3, 28)]
    );
}

#[test]
fn bad_strategies() {
    assert_eq!(
        problems("schemaVersion: 1\nmerge:\n  a.b: unite\n"),
        [(3, 8)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nmerge:\n  a.b: {merge-by-key: ''}\n"),
        [(3, 23)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nmerge:\n  a.b: {merge_by_key: x}\n"),
        [(3, 8)]
    );
    assert_eq!(
        problems("schemaVersion: 1\nmerge:\n  a..b: union\n"),
        [(3, 3)]
    );
    assert_eq!(problems("schemaVersion: 1\nmerge: [a]\n"), [(2, 8)]);
}

#[test]
fn one_bad_rule_does_not_drop_the_others() {
    let (s, diags) = read("schemaVersion: 1\nmerge:\n  a: nope\n  b: union\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(s.strategies.rules().len(), 1);
}
