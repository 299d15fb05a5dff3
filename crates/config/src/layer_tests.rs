//! Fragments of one layer: they combine, and setting one leaf twice is an error naming both.

use serde_json::json;

use crate::testutil::{merge, merged};

#[test]
fn different_leaves_in_two_files_merge() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: sonnet}\n"),
            ("base/b.yaml", "settings: {env: {A: '1'}}\nmemory: m\n"),
        ],
    );
    assert_eq!(
        d.value,
        json!({"settings": {"model": "sonnet", "env": {"A": "1"}}, "memory": "m"})
    );
}

#[test]
fn the_same_leaf_in_two_files_is_ambiguous_and_names_both() {
    let err = merge(
        "",
        &[
            ("teams/t/a.yaml", "settings:\n  model: sonnet\n"),
            ("teams/t/sub/b.yaml", "\nsettings: {model: opus}\n"),
        ],
    )
    .unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.rule, "ambiguous-leaf");
    assert_eq!(
        (d.file.as_str(), d.line, d.column),
        ("teams/t/sub/b.yaml", 2, 19)
    );
    assert!(d.message.contains("teams/t/a.yaml:2:10"), "{}", d.message);
    assert!(d.message.contains("/settings/model"), "{}", d.message);
}

#[test]
fn the_same_value_twice_is_still_ambiguous() {
    let err = merge(
        "",
        &[
            ("base/a.yaml", "memory: m\n"),
            ("base/b.yaml", "memory: m\n"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.iter().map(|d| d.rule).collect::<Vec<_>>(),
        ["ambiguous-leaf"]
    );
}

#[test]
fn a_map_in_one_file_and_a_scalar_in_another_is_ambiguous() {
    let err = merge(
        "",
        &[
            ("base/a.yaml", "metadata: {a: {b: 1}}\n"),
            ("base/b.yaml", "metadata: {a: 2}\n"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.iter().map(|d| d.rule).collect::<Vec<_>>(),
        ["ambiguous-leaf"]
    );
}

#[test]
fn a_null_in_one_file_does_not_conflict() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: null}\n"),
            ("base/b.yaml", "settings: {model: opus}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["model"], "opus");
}

#[test]
fn json_and_yaml_fragments_share_a_layer() {
    let d = merged(
        "",
        &[
            (
                "environments/prod/a.json",
                r#"{"settings": {"model": "opus"}}"#,
            ),
            ("environments/prod/b.yml", "mcpServers: {s: {command: x}}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["model"], "opus");
    assert_eq!(d.value["mcpServers"]["s"]["command"], "x");
    let p = d.provenance_of("/settings/model").unwrap();
    assert_eq!(
        (p.file.as_str(), p.line, p.column),
        ("environments/prod/a.json", 1, 24)
    );
}

#[test]
fn arrays_without_a_strategy_in_two_files_are_ambiguous() {
    let err = merge(
        "",
        &[
            ("base/a.yaml", "settings: {permissions: {allow: [A]}}\n"),
            ("base/b.yaml", "settings: {permissions: {allow: [B]}}\n"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.iter().map(|d| d.rule).collect::<Vec<_>>(),
        ["ambiguous-leaf"]
    );
}

#[test]
fn union_arrays_from_several_files_combine_in_file_order() {
    let d = merged(
        "  settings.permissions.allow: union\n",
        &[
            ("base/b.yaml", "settings: {permissions: {allow: [B, A]}}\n"),
            ("base/a.yaml", "settings: {permissions: {allow: [A, C]}}\n"),
        ],
    );
    assert_eq!(
        d.value["settings"]["permissions"]["allow"],
        json!(["A", "C", "B"])
    );
}

#[test]
fn merge_by_key_elements_from_several_files_combine_by_key() {
    let d = merged(
        "  settings.hooks.*: {merge-by-key: matcher}\n",
        &[
            (
                "base/a.yaml",
                "settings: {hooks: {Stop: [{matcher: A, hooks: []}]}}\n",
            ),
            (
                "base/b.yaml",
                "settings: {hooks: {Stop: [{matcher: A, extra: 1}, {matcher: B}]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["hooks"]["Stop"],
        json!([{"matcher": "A", "hooks": [], "extra": 1}, {"matcher": "B"}])
    );
}

#[test]
fn merge_by_key_same_leaf_of_one_element_in_two_files_is_ambiguous() {
    let err = merge(
        "  settings.hooks.*: {merge-by-key: matcher}\n",
        &[
            (
                "base/a.yaml",
                "settings: {hooks: {Stop: [{matcher: A, hooks: []}]}}\n",
            ),
            (
                "base/b.yaml",
                "settings: {hooks: {Stop: [{matcher: A, hooks: [x]}]}}\n",
            ),
        ],
    )
    .unwrap_err();
    let d = err.iter().next().unwrap();
    assert_eq!(d.rule, "ambiguous-leaf");
    assert!(
        d.message.contains("/settings/hooks/Stop/0/hooks"),
        "{}",
        d.message
    );
}

#[test]
fn two_delete_markers_for_one_key_are_ambiguous() {
    let err = merge(
        "",
        &[
            ("teams/t/a.yaml", "memory: !delete\n"),
            ("teams/t/b.yaml", "memory: !delete\n"),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err.iter().map(|d| d.rule).collect::<Vec<_>>(),
        ["ambiguous-leaf"]
    );
}

#[test]
fn files_combine_in_lexical_path_order() {
    // Byte order of whole paths, as Git sorts trees: `base/a.yaml` < `base/a/z.yaml`
    // ('.' < '/') < `base/b.yaml`.
    let d = merged(
        "  metadata.order: append\n",
        &[
            ("base/b.yaml", "metadata: {order: [b]}\n"),
            ("base/a/z.yaml", "metadata: {order: [a/z]}\n"),
            ("base/a.yaml", "metadata: {order: [a]}\n"),
        ],
    );
    assert_eq!(d.value["metadata"]["order"], json!(["a", "a/z", "b"]));
}
