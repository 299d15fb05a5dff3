//! The rule ids are a contract: docs/config-repo.md documents exactly the ones the engine has.

const DOC: &str = include_str!("../../../docs/config-repo.md");

#[test]
fn every_rule_id_is_documented_in_the_rules_table() {
    let rules_section = &DOC[DOC.find("### Rules").expect("a Rules section")..];
    let table: Vec<&str> = rules_section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(id, _)| id))
        .filter(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    let ids: Vec<&str> = claude_env_config::rules::ALL
        .iter()
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(
        table, ids,
        "the rules table in docs/config-repo.md is out of date"
    );
}

#[test]
fn the_documented_example_settings_parse() {
    let start = DOC
        .find("```yaml\nschemaVersion: 1")
        .expect("the claude-env.yaml example");
    let body = &DOC[start + "```yaml\n".len()..];
    let example = &body[..body.find("```").unwrap()];
    let snapshot = claude_env_config::RepoSnapshot::new(
        None,
        [("claude-env.yaml", example.as_bytes().to_vec())],
    );
    let ds = claude_env_config::validate_repo(&snapshot);
    assert!(ds.is_empty(), "{ds}");
}
