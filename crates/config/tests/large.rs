//! Hostile sizes: a fragment with a hundred thousand keys must parse, merge and validate in
//! time linear in its size. With the quadratic duplicate-key scan and map merges this once
//! had, each of these inputs cost billions of key comparisons (minutes in a test build);
//! nothing here measures time: the tests check what comes out, and would stall the test run
//! if quadratic code came back. `benches/large.rs` shows the linear growth.

use claude_env_config::{RepoSnapshot, Selection, load_environment, validate_repo};

/// Large enough that a quadratic pass (5·10⁹ comparisons) stalls the test run, small enough
/// (the parser's node cap is 1 000 000) to be a valid document and to parse in seconds.
const KEYS: usize = 100_000;

fn big_env(prefix: &str, from: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 24);
    s.push_str("settings:\n  env:\n");
    for i in from..from + n {
        s.push_str(&format!("    {prefix}{i}: v{i}\n"));
    }
    s
}

fn repo(files: Vec<(&str, String)>) -> RepoSnapshot {
    let mut all = vec![(
        "claude-env.yaml",
        "schemaVersion: 1\nenvironments: [prod]\n".to_owned(),
    )];
    all.extend(files);
    RepoSnapshot::new(None, all.into_iter().map(|(p, c)| (p, c.into_bytes())))
}

#[test]
fn a_huge_mapping_with_a_late_duplicate_is_reported_at_both_lines() {
    let mut text = big_env("K", 0, KEYS);
    // Line 3 holds K0; the duplicate comes after every other key.
    text.push_str("    K0: again\n");
    let ds = validate_repo(&repo(vec![("base/env.yaml", text)]));
    let dups: Vec<_> = ds.iter().filter(|d| d.rule == "duplicate-key").collect();
    assert_eq!(dups.len(), 1, "{ds}");
    assert_eq!(dups[0].line as usize, KEYS + 3);
    assert!(
        dups[0].message.contains("already defined at line 3"),
        "{}",
        dups[0].message
    );
}

#[test]
fn huge_mappings_merge_across_layers_and_files() {
    let half = KEYS / 2;
    // Two files of one layer (combined), then an environment layer overriding every other key.
    let a = big_env("K", 0, half);
    let b = big_env("K", half, half);
    let mut over = String::from("settings:\n  env:\n");
    for i in (0..KEYS).step_by(2) {
        over.push_str(&format!("    K{i}: prod{i}\n"));
    }
    let snapshot = repo(vec![
        ("base/a.yaml", a),
        ("base/b.yaml", b),
        ("environments/prod/env.yaml", over),
    ]);
    let doc = load_environment(&snapshot, &Selection::new("prod"), None).unwrap();
    let env = doc.value["settings"]["env"].as_object().unwrap();
    assert_eq!(env.len(), KEYS);
    assert_eq!(env["K0"], "prod0");
    assert_eq!(env["K1"], "v1");
    assert_eq!(env[&format!("K{}", KEYS - 2)], format!("prod{}", KEYS - 2));
    // Provenance still names the layer that set each leaf.
    let p = &doc.provenance["/settings/env/K1"];
    assert_eq!(p.file, "base/a.yaml");
    let p = &doc.provenance[&format!("/settings/env/K{}", KEYS - 1)];
    assert_eq!(p.file, "base/b.yaml");
}

#[test]
fn deleting_most_keys_of_a_huge_mapping_keeps_the_rest_in_order() {
    let mut del = String::from("settings:\n  env:\n");
    for i in 0..KEYS - 3 {
        del.push_str(&format!("    K{i}: !delete\n"));
    }
    let snapshot = repo(vec![
        ("base/env.yaml", big_env("K", 0, KEYS)),
        ("environments/prod/del.yaml", del),
    ]);
    let doc = load_environment(&snapshot, &Selection::new("prod"), None).unwrap();
    let keys: Vec<&String> = doc.value["settings"]["env"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    let want: Vec<String> = (KEYS - 3..KEYS).map(|i| format!("K{i}")).collect();
    assert_eq!(keys, want.iter().collect::<Vec<_>>());
}

#[test]
fn yaml_merge_keys_over_a_huge_anchor_are_linear_too() {
    let mut text = String::from("defaults: &d\n");
    for i in 0..KEYS / 2 {
        text.push_str(&format!("  D{i}: x\n"));
    }
    text.push_str("settings:\n  env:\n    <<: *d\n    D0: own\n");
    // `defaults` is not a document key: this is about parsing, so expect only that finding.
    let ds = validate_repo(&repo(vec![("base/env.yaml", text)]));
    assert!(ds.iter().all(|d| d.rule != "duplicate-key"), "{ds}");
    assert!(ds.iter().any(|d| d.rule == "schema" && d.line == 1), "{ds}");
}
