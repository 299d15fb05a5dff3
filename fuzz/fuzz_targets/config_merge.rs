//! Several fragments across layers and files, plus claude-env.yaml itself (merge
//! strategies), through parse, combine, merge and validate. The input is split at NUL
//! bytes: claude-env.yaml, then fragments of base (two files), the environment, the team
//! and the project. Property: no panic; merging is deterministic; a document that merged
//! has provenance for its leaves.
#![no_main]

use claude_env_config::{ParsedRepo, RepoSnapshot, Selection};
use libfuzzer_sys::fuzz_target;

const FILES: &[&str] = &[
    "claude-env.yaml",
    "base/a.yaml",
    "base/b.json",
    "environments/prod/c.yaml",
    "teams/t/d.yaml",
    "projects/p/e.yml",
];

fuzz_target!(|data: &[u8]| {
    let parts = data.split(|b| *b == 0).take(FILES.len());
    let files: Vec<(&str, Vec<u8>)> = FILES
        .iter()
        .copied()
        .zip(parts.map(<[u8]>::to_vec))
        .collect();
    let snapshot = RepoSnapshot::new(None, files);
    let sel = Selection::new("prod").team("t").project("p");
    let repo = ParsedRepo::parse(&snapshot);
    let first = repo.merge(&sel, None);
    let second = ParsedRepo::parse(&snapshot).merge(&sel, None);
    assert_eq!(first, second, "merging is not deterministic");
    if let Ok(doc) = &first {
        for pointer in doc.provenance.keys() {
            assert!(pointer.is_empty() || pointer.starts_with('/'), "{pointer}");
        }
    }
    let _ = repo.validate();
});
