//! Test helpers: tiny repositories with one environment (`prod`), team (`t`) and project (`p`).

use crate::{Diagnostics, MergedDocument, ParsedRepo, RepoSnapshot, Selection};

/// A repository whose claude-env.yaml has `merge:` set to `merge` (YAML mapping body,
/// already indented by two spaces, or empty).
pub(crate) fn repo(merge: &str, files: &[(&str, &str)]) -> RepoSnapshot {
    let settings = format!("schemaVersion: 1\nenvironments: [prod]\nmerge:\n{merge}");
    let mut all = vec![
        ("claude-env.yaml".to_owned(), settings.into_bytes()),
        ("teams/t/.gitkeep".to_owned(), Vec::new()),
        ("projects/p/.gitkeep".to_owned(), Vec::new()),
    ];
    all.extend(
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    );
    RepoSnapshot::new(None, all)
}

pub(crate) fn full() -> Selection {
    Selection::new("prod").team("t").project("p")
}

/// Merges prod/t/p (structural checks only).
pub(crate) fn merge(merge: &str, files: &[(&str, &str)]) -> Result<MergedDocument, Diagnostics> {
    ParsedRepo::parse(&repo(merge, files)).merge(&full(), None)
}

pub(crate) fn merged(merge_rules: &str, files: &[(&str, &str)]) -> MergedDocument {
    match merge(merge_rules, files) {
        Ok(d) => d,
        Err(e) => panic!("merge failed:\n{e}"),
    }
}

/// The rule ids of a merge's diagnostics, in order.
pub(crate) fn merge_rules(merge_rules: &str, files: &[(&str, &str)]) -> Vec<&'static str> {
    match merge(merge_rules, files) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(|d| d.rule).collect(),
    }
}

/// Every finding of prod/t/p, validated.
pub(crate) fn check(merge_rules: &str, files: &[(&str, &str)]) -> Diagnostics {
    ParsedRepo::parse(&repo(merge_rules, files))
        .check(&full(), None)
        .diagnostics
}
