//! Every cross-layer merge rule and its edge cases, through a real repository
//! (base → environments/prod → teams/t → projects/p).

use serde_json::json;

use crate::provenance::LayerKind;
use crate::testutil::{merge_rules, merged};

const UNION: &str = "  settings.permissions.allow: union\n";
const APPEND: &str = "  mcpServers.*.args: append\n";
const BY_KEY: &str = "  settings.hooks.*: {merge-by-key: matcher}\n";

#[test]
fn maps_deep_merge() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: sonnet, env: {A: '1'}}\n"),
            ("environments/prod/a.yaml", "settings: {env: {B: '2'}}\n"),
        ],
    );
    assert_eq!(
        d.value,
        json!({"settings": {"model": "sonnet", "env": {"A": "1", "B": "2"}}})
    );
}

#[test]
fn scalars_override() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: sonnet}\n"),
            ("teams/t/a.yaml", "settings: {model: opus}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["model"], "opus");
}

#[test]
fn higher_layers_win_in_order() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "memory: base\n"),
            ("environments/prod/a.yaml", "memory: env\n"),
            ("teams/t/a.yaml", "memory: team\n"),
            ("projects/p/a.yaml", "memory: project\n"),
        ],
    );
    assert_eq!(d.value["memory"], "project");
    assert_eq!(
        d.provenance_of("/memory").unwrap().layer.kind,
        LayerKind::Project
    );
}

#[test]
fn arrays_replace_by_default() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {permissions: {allow: [A, B]}}\n"),
            (
                "environments/prod/a.yaml",
                "settings: {permissions: {allow: [C]}}\n",
            ),
        ],
    );
    assert_eq!(d.value["settings"]["permissions"]["allow"], json!(["C"]));
    assert!(d.provenance_of("/settings/permissions/allow/1").is_none());
}

#[test]
fn an_empty_array_replaces_and_is_a_leaf() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {permissions: {allow: [A]}}\n"),
            ("teams/t/a.yaml", "settings: {permissions: {allow: []}}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["permissions"]["allow"], json!([]));
    let p = d.provenance_of("/settings/permissions/allow").unwrap();
    assert_eq!(p.layer.kind, LayerKind::Team);
}

#[test]
fn null_keeps_the_parent_scalar() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: sonnet}\n"),
            ("environments/prod/a.yaml", "settings: {model: null}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["model"], "sonnet");
    assert_eq!(
        d.provenance_of("/settings/model").unwrap().layer.kind,
        LayerKind::Base
    );
}

#[test]
fn null_keeps_the_parent_map_and_array() {
    let d = merged(
        "",
        &[
            (
                "base/a.yaml",
                "settings: {env: {A: '1'}, permissions: {allow: [X]}}\n",
            ),
            (
                "environments/prod/a.yaml",
                "settings:\n  env:\n  permissions: {allow: ~}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"],
        json!({"env": {"A": "1"}, "permissions": {"allow": ["X"]}})
    );
}

#[test]
fn null_with_nothing_below_leaves_the_key_out() {
    let d = merged(
        "",
        &[("base/a.yaml", "settings: {model: null, env: {A: '1'}}\n")],
    );
    assert_eq!(d.value, json!({"settings": {"env": {"A": "1"}}}));
}

#[test]
fn null_inside_an_array_is_data() {
    let d = merged("", &[("base/a.yaml", "metadata: {list: [1, null]}\n")]);
    assert_eq!(d.value["metadata"]["list"], json!([1, null]));
}

#[test]
fn delete_marker_removes_an_inherited_key() {
    let d = merged(
        "",
        &[
            (
                "base/a.yaml",
                "mcpServers: {a: {command: x}, b: {command: y}}\n",
            ),
            (
                "environments/prod/a.json",
                r#"{"mcpServers": {"a": {"$patch": "delete"}}}"#,
            ),
        ],
    );
    assert_eq!(d.value["mcpServers"], json!({"b": {"command": "y"}}));
    assert!(d.provenance_under("/mcpServers/a").next().is_none());
}

#[test]
fn delete_tag_is_the_same_marker() {
    let d = merged(
        "",
        &[
            (
                "base/a.yaml",
                "mcpServers: {a: {command: x}, b: {command: y}}\n",
            ),
            ("teams/t/a.yaml", "mcpServers:\n  b: !delete\n"),
        ],
    );
    assert_eq!(d.value["mcpServers"], json!({"a": {"command": "x"}}));
}

#[test]
fn delete_marker_works_at_depth() {
    let d = merged(
        "",
        &[
            (
                "base/a.yaml",
                "mcpServers: {a: {command: x, env: {K: v, L: w}}}\n",
            ),
            (
                "projects/p/a.yaml",
                "mcpServers: {a: {env: {K: !delete}}}\n",
            ),
        ],
    );
    assert_eq!(d.value["mcpServers"]["a"]["env"], json!({"L": "w"}));
}

#[test]
fn delete_marker_at_the_top_level_key() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {model: x}\nmemory: m\n"),
            ("environments/prod/a.yaml", "settings: !delete\n"),
        ],
    );
    assert_eq!(d.value, json!({"memory": "m"}));
}

#[test]
fn deleting_a_key_that_does_not_exist_is_a_no_op() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "memory: m\n"),
            (
                "environments/prod/a.yaml",
                "settings: {model: !delete}\nnothing: !delete\n",
            ),
        ],
    );
    assert_eq!(d.value, json!({"memory": "m", "settings": {}}));
}

#[test]
fn a_deleted_key_can_be_set_again_by_a_higher_layer() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "mcpServers: {a: {command: x, args: [1]}}\n"),
            ("environments/prod/a.yaml", "mcpServers: {a: !delete}\n"),
            ("teams/t/a.yaml", "mcpServers: {a: {url: 'https://a'}}\n"),
        ],
    );
    assert_eq!(d.value["mcpServers"], json!({"a": {"url": "https://a"}}));
}

#[test]
fn emptied_map_is_a_leaf_of_the_deleting_layer() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "settings: {env: {A: '1'}}\n"),
            ("teams/t/a.yaml", "settings: {env: {A: !delete}}\n"),
        ],
    );
    assert_eq!(d.value["settings"]["env"], json!({}));
    assert_eq!(
        d.provenance_of("/settings/env").unwrap().layer.kind,
        LayerKind::Team
    );
}

#[test]
fn a_delete_marker_with_a_value_on_a_key_is_reported() {
    let rules = merge_rules(
        "",
        &[
            ("base/a.yaml", "memory: m\n"),
            ("environments/prod/a.yaml", "memory: !delete something\n"),
        ],
    );
    assert_eq!(rules, ["patch-marker"]);
}

#[test]
fn a_map_replaces_a_scalar_and_a_scalar_replaces_a_map() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "metadata: {a: 1, b: {c: 2}}\n"),
            (
                "environments/prod/a.yaml",
                "metadata: {a: {x: 1}, b: plain}\n",
            ),
        ],
    );
    assert_eq!(d.value["metadata"], json!({"a": {"x": 1}, "b": "plain"}));
    assert!(d.provenance_of("/metadata/b/c").is_none());
    assert_eq!(
        d.provenance_of("/metadata/b").unwrap().layer.kind,
        LayerKind::Environment
    );
}

#[test]
fn an_array_replaces_a_map_and_back() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "metadata: {a: {k: v}, b: [1]}\n"),
            ("teams/t/a.yaml", "metadata: {a: [1, 2], b: {k: v}}\n"),
        ],
    );
    assert_eq!(d.value["metadata"], json!({"a": [1, 2], "b": {"k": "v"}}));
}

#[test]
fn union_keeps_order_and_drops_duplicates() {
    let d = merged(
        UNION,
        &[
            (
                "base/a.yaml",
                "settings: {permissions: {allow: [A, B, A]}}\n",
            ),
            (
                "environments/prod/a.yaml",
                "settings: {permissions: {allow: [C, B]}}\n",
            ),
            (
                "projects/p/a.yaml",
                "settings: {permissions: {allow: [D, A]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["permissions"]["allow"],
        json!(["A", "B", "C", "D"])
    );
}

#[test]
fn union_dedupes_by_deep_equality() {
    let d = merged(
        "  metadata.items: union\n",
        &[
            ("base/a.yaml", "metadata: {items: [{a: 1, b: [2]}, 3]}\n"),
            (
                "environments/prod/a.yaml",
                "metadata: {items: [{b: [2], a: 1}, '3', {a: 1}]}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["metadata"]["items"],
        json!([{"a": 1, "b": [2]}, 3, "3", {"a": 1}])
    );
}

#[test]
fn union_provenance_names_the_highest_layer_listing_the_element() {
    let d = merged(
        UNION,
        &[
            ("base/a.yaml", "settings: {permissions: {allow: [A, B]}}\n"),
            ("teams/t/a.yaml", "settings: {permissions: {allow: [B]}}\n"),
        ],
    );
    let a = d.provenance_of("/settings/permissions/allow/0").unwrap();
    let b = d.provenance_of("/settings/permissions/allow/1").unwrap();
    assert_eq!(
        (a.layer.kind, b.layer.kind),
        (LayerKind::Base, LayerKind::Team)
    );
}

#[test]
fn union_removes_elements_named_by_delete_selectors() {
    let d = merged(
        UNION,
        &[
            (
                "base/a.yaml",
                "settings: {permissions: {allow: [A, 'Bash(rm:*)', B]}}\n",
            ),
            (
                "environments/prod/a.yaml",
                "settings: {permissions: {allow: [!delete 'Bash(rm:*)', C]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["permissions"]["allow"],
        json!(["A", "B", "C"])
    );
}

#[test]
fn union_delete_without_a_value_is_reported() {
    let rules = merge_rules(
        UNION,
        &[(
            "base/a.yaml",
            "settings: {permissions: {allow: [A, !delete ]}}\n",
        )],
    );
    assert_eq!(rules, ["patch-marker"]);
}

#[test]
fn append_keeps_everything_in_layer_order() {
    let d = merged(
        APPEND,
        &[
            (
                "base/a.yaml",
                "mcpServers: {s: {command: x, args: [-y, pkg]}}\n",
            ),
            ("teams/t/a.yaml", "mcpServers: {s: {args: [--flag, -y]}}\n"),
        ],
    );
    assert_eq!(
        d.value["mcpServers"]["s"]["args"],
        json!(["-y", "pkg", "--flag", "-y"])
    );
    let p = d.provenance_of("/mcpServers/s/args/2").unwrap();
    assert_eq!((p.file.as_str(), p.line), ("teams/t/a.yaml", 1));
}

#[test]
fn wildcard_strategy_does_not_touch_other_paths() {
    let d = merged(
        APPEND,
        &[
            (
                "base/a.yaml",
                "mcpServers: {s: {command: x, args: [a]}}\nmetadata: {args: [a]}\n",
            ),
            (
                "teams/t/a.yaml",
                "mcpServers: {s: {args: [b]}}\nmetadata: {args: [b]}\n",
            ),
        ],
    );
    assert_eq!(d.value["mcpServers"]["s"]["args"], json!(["a", "b"]));
    assert_eq!(d.value["metadata"]["args"], json!(["b"]));
}

const HOOKS_BASE: &str = "\
settings:
  hooks:
    PreToolUse:
      - matcher: Bash
        hooks: [{type: command, command: audit}]
      - matcher: Edit
        hooks: [{type: command, command: fmt}]
";

#[test]
fn merge_by_key_merges_equal_keys_and_appends_new_ones() {
    let d = merged(
        BY_KEY,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "environments/prod/a.yaml",
                "settings:\n  hooks:\n    PreToolUse:\n      - {matcher: Write, hooks: []}\n      - {matcher: Bash, hooks: [{type: command, command: strict}]}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["hooks"]["PreToolUse"],
        json!([
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "strict"}]},
            {"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]},
            {"matcher": "Write", "hooks": []},
        ])
    );
    let p = d
        .provenance_of("/settings/hooks/PreToolUse/0/hooks/0/command")
        .unwrap();
    assert_eq!(p.layer.kind, LayerKind::Environment);
    let p = d
        .provenance_of("/settings/hooks/PreToolUse/0/matcher")
        .unwrap();
    assert_eq!(p.layer.kind, LayerKind::Environment);
}

#[test]
fn merge_by_key_applies_nested_strategies_inside_elements() {
    let rules = format!("{BY_KEY}  settings.hooks.*.*.hooks: append\n");
    let d = merged(
        &rules,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "teams/t/a.yaml",
                "settings: {hooks: {PreToolUse: [{matcher: Bash, hooks: [{type: command, command: more}]}]}}\n",
            ),
        ],
    );
    let cmds: Vec<_> = d.value["settings"]["hooks"]["PreToolUse"][0]["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["command"].as_str().unwrap())
        .collect();
    assert_eq!(cmds, ["audit", "more"]);
}

#[test]
fn merge_by_key_deletes_by_key_with_patch_or_tag() {
    let d = merged(
        BY_KEY,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "projects/p/a.yaml",
                "settings: {hooks: {PreToolUse: [{matcher: Bash, $patch: delete}]}}\n",
            ),
        ],
    );
    let matchers: Vec<_> = d.value["settings"]["hooks"]["PreToolUse"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["matcher"].clone())
        .collect();
    assert_eq!(matchers, [json!("Edit")]);
    let d = merged(
        BY_KEY,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "projects/p/a.yaml",
                "settings: {hooks: {PreToolUse: [!delete Edit]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["hooks"]["PreToolUse"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn merge_by_key_delete_of_an_unknown_key_is_a_no_op() {
    let d = merged(
        BY_KEY,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "projects/p/a.yaml",
                "settings: {hooks: {PreToolUse: [!delete Nope]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["hooks"]["PreToolUse"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn merge_by_key_element_without_the_key_is_reported() {
    let rules = merge_rules(
        BY_KEY,
        &[
            ("base/a.yaml", HOOKS_BASE),
            (
                "teams/t/a.yaml",
                "settings: {hooks: {PreToolUse: [{hooks: []}, plain]}}\n",
            ),
        ],
    );
    assert_eq!(rules, ["merge-key-missing", "merge-key-missing"]);
}

#[test]
fn merge_by_key_duplicate_key_in_one_layer_is_reported() {
    let rules = merge_rules(
        BY_KEY,
        &[(
            "base/a.yaml",
            "settings: {hooks: {PreToolUse: [{matcher: A, hooks: []}, {matcher: A}]}}\n",
        )],
    );
    assert_eq!(rules, ["merge-key-duplicate"]);
}

#[test]
fn merge_by_key_same_key_in_different_layers_is_not_a_duplicate() {
    let d = merged(
        BY_KEY,
        &[
            (
                "base/a.yaml",
                "settings: {hooks: {Stop: [{matcher: A, hooks: []}]}}\n",
            ),
            (
                "environments/prod/a.yaml",
                "settings: {hooks: {Stop: [{matcher: A, x: 1}]}}\n",
            ),
            (
                "teams/t/a.yaml",
                "settings: {hooks: {Stop: [{matcher: A, y: 2}]}}\n",
            ),
        ],
    );
    assert_eq!(
        d.value["settings"]["hooks"]["Stop"],
        json!([{"matcher": "A", "hooks": [], "x": 1, "y": 2}])
    );
}

#[test]
fn a_delete_marker_in_a_replacing_array_is_reported() {
    let rules = merge_rules("", &[("base/a.yaml", "metadata: {a: [x, !delete y]}\n")]);
    assert_eq!(rules, ["patch-marker"]);
}

#[test]
fn provenance_pointers_escape_slash_and_tilde() {
    let d = merged("", &[("base/a.yaml", "metadata:\n  'a/b': {'c~d': 1}\n")]);
    let p = d.provenance_of("/metadata/a~1b/c~0d").unwrap();
    assert_eq!((p.line, p.column), (2, 18));
}

#[test]
fn provenance_lines_and_columns_point_at_values() {
    let d = merged(
        "",
        &[(
            "base/a.yaml",
            "settings:\n  model: sonnet\n  permissions:\n    allow:\n      - Read\n      - \"Bash(git:*)\"\n",
        )],
    );
    let at = |p: &str| {
        let p = d.provenance_of(p).unwrap();
        (p.line, p.column)
    };
    assert_eq!(at("/settings/model"), (2, 10));
    assert_eq!(at("/settings/permissions/allow/0"), (5, 9));
    assert_eq!(at("/settings/permissions/allow/1"), (6, 9));
}

#[test]
fn an_empty_repository_merges_to_an_empty_document() {
    let d = merged("", &[]);
    assert_eq!(d.value, json!({}));
    assert!(d.provenance.is_empty());
}

#[test]
fn an_empty_map_set_by_two_layers_names_the_higher() {
    let d = merged(
        "",
        &[
            ("base/a.yaml", "metadata: {}\n"),
            ("teams/t/a.yaml", "metadata: {x: null}\n"),
        ],
    );
    assert_eq!(d.value, json!({"metadata": {}}));
    assert_eq!(
        d.provenance_of("/metadata").unwrap().layer.kind,
        LayerKind::Team
    );
}
