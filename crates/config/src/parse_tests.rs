use super::*;
use crate::provenance::{Layer, LayerKind};

fn origin(file: &str) -> Arc<Origin> {
    Arc::new(Origin {
        layer: Layer {
            kind: LayerKind::Base,
            name: None,
        },
        file: file.into(),
    })
}

fn yaml(text: &str) -> Parsed {
    parse(text.as_bytes(), origin("base/f.yaml"), Format::Yaml)
}

fn json(text: &str) -> Parsed {
    parse(text.as_bytes(), origin("base/f.json"), Format::Json)
}

fn ok(p: Parsed) -> Node {
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    p.root.expect("a tree")
}

fn only(p: &Parsed) -> (&'static str, u32, u32) {
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    let d = &p.diagnostics[0];
    (d.rule, d.line, d.column)
}

fn get<'a>(n: &'a Node, path: &[&str]) -> &'a Node {
    path.iter()
        .fold(n, |n, k| n.value.get(k).unwrap_or_else(|| panic!("no {k}")))
}

#[test]
fn format_comes_from_the_extension() {
    assert_eq!(Format::of("a/b.yaml"), Some(Format::Yaml));
    assert_eq!(Format::of("a/b.yml"), Some(Format::Yaml));
    assert_eq!(Format::of("a/b.json"), Some(Format::Json));
    assert_eq!(Format::of("a/README.md"), None);
    assert_eq!(Format::of("a/yaml"), None);
}

#[test]
fn values_and_keys_have_one_based_positions() {
    let root = ok(yaml("settings:\n  model: sonnet\n  env:\n    A: '1'\n"));
    let model = get(&root, &["settings", "model"]);
    assert_eq!((model.at.line, model.at.col), (2, 10));
    let entries = get(&root, &["settings", "env"]).value.as_map().unwrap();
    assert_eq!((entries[0].key_at.line, entries[0].key_at.col), (4, 5));
    assert_eq!(model.at.origin.file, "base/f.yaml");
}

#[test]
fn an_empty_file_is_an_empty_mapping() {
    for text in ["", "\n# only a comment\n", "---\n", "~\n"] {
        let root = ok(yaml(text));
        assert!(
            matches!(&root.value, Value::Map(m) if m.is_empty()),
            "{text:?}"
        );
    }
}

#[test]
fn a_top_level_list_is_not_a_fragment() {
    let p = yaml("- a\n- b\n");
    assert!(p.root.is_none());
    assert_eq!(only(&p), ("schema", 1, 1));
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let p = yaml("settings:\n  model: [unclosed\n");
    assert!(p.root.is_none());
    let (rule, line, _) = only(&p);
    assert_eq!(rule, "yaml-syntax");
    assert!(line >= 2, "{line}");
}

#[test]
fn bad_indentation_is_a_yaml_syntax_error() {
    let p = yaml("a:\n  b: 1\n c: 2\n");
    assert_eq!(only(&p).0, "yaml-syntax");
}

#[test]
fn json_syntax_errors_are_reported_in_json_terms() {
    let p = json("{\n  \"settings\": {\"model\": \"x\",}\n}\n");
    assert!(p.root.is_none());
    assert_eq!(only(&p), ("json-syntax", 2, 29));
    assert!(
        !p.diagnostics[0].message.contains(" at line "),
        "{}",
        p.diagnostics[0].message
    );
}

#[test]
fn json_comments_are_not_json() {
    assert_eq!(only(&json("// c\n{}")).0, "json-syntax");
}

#[test]
fn json_with_tabs_escapes_and_unicode_parses() {
    let root = ok(json(
        "{\n\t\"memory\": \"a\\/b \\u00e9\\n\",\n\t\"metadata\": {\"n\": 1.5, \"t\": true, \"z\": null}\n}",
    ));
    assert_eq!(get(&root, &["memory"]).value.as_str(), Some("a/b é\n"));
    assert!(matches!(get(&root, &["metadata", "n"]).value, Value::Float(f) if f == 1.5));
    assert!(matches!(
        get(&root, &["metadata", "t"]).value,
        Value::Bool(true)
    ));
    assert!(matches!(get(&root, &["metadata", "z"]).value, Value::Null));
}

#[test]
fn duplicate_keys_are_reported_at_the_second_with_the_first_line() {
    let p = yaml("settings:\n  model: a\n  model: b\n");
    assert_eq!(only(&p), ("duplicate-key", 3, 3));
    assert!(p.diagnostics[0].message.contains("line 2"));
    // The first value is kept.
    assert_eq!(
        get(p.root.as_ref().unwrap(), &["settings", "model"])
            .value
            .as_str(),
        Some("a")
    );
}

#[test]
fn duplicate_keys_in_json_too() {
    assert_eq!(
        only(&json(r#"{"memory": "a", "memory": "b"}"#)).0,
        "duplicate-key"
    );
}

#[test]
fn scalars_follow_the_yaml_1_2_core_schema() {
    let root = ok(yaml(
        "metadata: {a: yes, b: 'null', c: ~, d: 0x10, e: '1', f: 1e3, g: True, h: on}\n",
    ));
    let m = |k| &get(&root, &["metadata", k]).value;
    assert_eq!(m("a").as_str(), Some("yes"));
    assert_eq!(m("b").as_str(), Some("null"));
    assert!(matches!(m("c"), Value::Null));
    assert!(matches!(m("d"), Value::Int(16)));
    assert_eq!(m("e").as_str(), Some("1"));
    assert!(matches!(m("f"), Value::Float(f) if *f == 1000.0));
    assert!(matches!(m("g"), Value::Bool(true)));
    assert_eq!(m("h").as_str(), Some("on"));
}

#[test]
fn numeric_keys_are_kept_as_written() {
    let root = ok(yaml("metadata: {1: a, 2.50: b, true: c}\n"));
    let keys: Vec<_> = get(&root, &["metadata"])
        .value
        .as_map()
        .unwrap()
        .iter()
        .map(|e| e.key.to_string())
        .collect();
    assert_eq!(keys, ["1", "2.50", "true"]);
}

#[test]
fn infinity_is_reported() {
    assert_eq!(only(&yaml("metadata: {x: .inf}\n")).0, "yaml-syntax");
}

#[test]
fn a_core_tag_that_does_not_fit_is_reported() {
    assert_eq!(only(&yaml("metadata: {x: !!int abc}\n")).0, "yaml-syntax");
    let root = ok(yaml("metadata: {x: !!str 123}\n"));
    assert_eq!(get(&root, &["metadata", "x"]).value.as_str(), Some("123"));
}

#[test]
fn delete_tag_makes_a_marker_with_an_optional_selector() {
    let root = ok(yaml(
        "a: !delete\nb: !delete ~\nc: !delete 'Bash(rm:*)'\nd: !delete {matcher: X}\n",
    ));
    assert!(matches!(get(&root, &["a"]).value, Value::Delete(None)));
    assert!(matches!(get(&root, &["b"]).value, Value::Delete(None)));
    match &get(&root, &["c"]).value {
        Value::Delete(Some(sel)) => assert_eq!(sel.value.as_str(), Some("Bash(rm:*)")),
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&get(&root, &["d"]).value, Value::Delete(Some(sel)) if sel.value.get("matcher").is_some())
    );
}

#[test]
fn patch_delete_mapping_is_the_marker() {
    let root = ok(json(
        r#"{"a": {"$patch": "delete"}, "b": {"$patch": "delete", "matcher": "X"}}"#,
    ));
    assert!(matches!(get(&root, &["a"]).value, Value::Delete(None)));
    assert!(
        matches!(&get(&root, &["b"]).value, Value::Delete(Some(sel)) if sel.value.get("matcher").is_some())
    );
}

#[test]
fn other_patch_directives_are_reported_and_dropped() {
    let p = yaml("mcpServers:\n  s: {$patch: replace, command: x}\n");
    assert_eq!(only(&p), ("patch-marker", 2, 15));
    let s = get(p.root.as_ref().unwrap(), &["mcpServers", "s"]);
    assert!(s.value.get("$patch").is_none() && s.value.get("command").is_some());
}

#[test]
fn unknown_tags_are_reported() {
    assert_eq!(
        only(&yaml("memory: !include other.md\n")),
        ("yaml-syntax", 1, 9)
    );
    assert_eq!(only(&yaml("metadata: !custom {a: 1}\n")).0, "yaml-syntax");
}

#[test]
fn anchors_and_aliases_are_expanded() {
    let root = ok(yaml("metadata:\n  a: &x {k: v}\n  b: *x\n"));
    assert_eq!(
        get(&root, &["metadata", "b", "k"]).value.as_str(),
        Some("v")
    );
}

#[test]
fn merge_keys_supply_defaults_that_explicit_keys_override() {
    let root = ok(yaml(
        "defaults: &d {command: npx, args: [a]}\nmcpServers:\n  s:\n    <<: *d\n    args: [b]\n",
    ));
    let s = get(&root, &["mcpServers", "s"]);
    assert_eq!(s.value.get("command").unwrap().value.as_str(), Some("npx"));
    assert!(
        matches!(&s.value.get("args").unwrap().value, Value::Seq(v) if v[0].value.as_str() == Some("b"))
    );
    assert!(s.value.get("<<").is_none());
}

#[test]
fn a_second_document_is_reported() {
    let p = yaml("memory: a\n---\nmemory: b\n");
    assert_eq!(only(&p), ("yaml-syntax", 2, 1));
}

#[test]
fn invalid_utf8_is_reported_where_it_starts() {
    let p = parse(
        b"memory: ok\nmetadata: \xff\n",
        origin("base/f.yaml"),
        Format::Yaml,
    );
    assert_eq!(only(&p), ("yaml-syntax", 2, 11));
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let root = ok(yaml("\u{feff}memory: m\n"));
    assert_eq!(get(&root, &["memory"]).at.col, 9);
}

#[test]
fn complex_keys_are_reported() {
    assert_eq!(
        only(&yaml("metadata:\n  ? [a, b]\n  : 1\n")).0,
        "yaml-syntax"
    );
}

#[test]
fn absurd_nesting_is_refused() {
    let deep = format!("metadata: {}{}\n", "[".repeat(200), "]".repeat(200));
    let p = yaml(&deep);
    assert!(p.root.is_none());
    assert_eq!(p.diagnostics[0].rule, "yaml-syntax");
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..8 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let p = yaml(&text);
    assert!(p.root.is_none());
    assert!(p.diagnostics[0].message.contains("too many nodes"));
}

#[test]
fn crlf_line_endings_parse_with_the_same_positions() {
    let root = ok(yaml(
        "settings:\r\n  model: sonnet\r\nmemory: |\r\n  a\r\n  b\r\n",
    ));
    let model = get(&root, &["settings", "model"]);
    assert_eq!((model.at.line, model.at.col), (2, 10));
    assert_eq!(model.value.as_str(), Some("sonnet"));
    assert_eq!(get(&root, &["memory"]).value.as_str(), Some("a\nb\n"));
}

#[test]
fn errors_at_the_end_of_input_point_inside_the_file() {
    // Found by fuzzing (fuzz/ config_fragment): the scanner reported this at line 4 of a
    // three-line file.
    let p = yaml("metadata:\n  tier: gold\nu");
    assert_eq!(only(&p), ("yaml-syntax", 3, 2));
}

#[test]
fn lone_carriage_returns_end_lines_as_in_yaml() {
    // Found by fuzzing: YAML ends lines at `\r` too, and positions must agree with it.
    let p = yaml("a: 1\r\rb: [\r");
    assert!(p.root.is_none());
    let (rule, line, _) = only(&p);
    assert_eq!((rule, line), ("yaml-syntax", 4));
    assert_eq!(line_col(b"a\r\nb\rc\nd"), (4, 2));
}
