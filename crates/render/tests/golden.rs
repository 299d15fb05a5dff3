//! Golden renders of config-repo-example: for every environment × team × optional project,
//! the rendered files and objects are kept under `tests/golden/<env>/<team>[/<project>]/`
//! (`files/<path>` and `objects.yaml`). Any difference fails, and so does a golden for a
//! combination that no longer exists.
//!
//! Regenerate after an intended change: `UPDATE_GOLDEN=1 cargo test -p claude-env-render --test golden`
//! and review the diff.

mod example;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use example::{GOLDEN_DIR, combinations, golden_entries, load_example};

/// Every file below `dir`, relative path (`/`-separated) → content.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn write_tree(dir: &Path, entries: &BTreeMap<String, Vec<u8>>) {
    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    for (rel, bytes) in entries {
        let path: PathBuf = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
    }
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(expected: &[u8], actual: &[u8]) -> String {
    let (e, a) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(actual),
    );
    let (mut el, mut al) = (e.lines(), a.lines());
    let mut n = 1;
    loop {
        match (el.next(), al.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => return format!("line {n}: golden {x:?}, rendered {y:?}"),
        }
    }
}

#[test]
fn renders_of_every_combination_match_the_goldens() {
    let snapshot = load_example();
    let selections = combinations(&snapshot);
    // 3 environments × 3 teams × (no project + 2 projects).
    assert_eq!(selections.len(), 27, "{selections:?}");
    let rendered = golden_entries(&snapshot, &selections);
    let dir = Path::new(GOLDEN_DIR);

    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        write_tree(dir, &rendered);
        return;
    }

    let golden = read_tree(dir);
    let mut problems = Vec::new();
    for (path, bytes) in &rendered {
        match golden.get(path) {
            None => problems.push(format!("missing golden: {path}")),
            Some(g) if g != bytes => {
                problems.push(format!("differs: {path}: {}", first_difference(g, bytes)))
            }
            Some(_) => {}
        }
    }
    for path in golden.keys().filter(|p| !rendered.contains_key(*p)) {
        problems.push(format!(
            "stale golden (no such combination or file): {path}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{} golden problem(s); if the change is intended, run \
         `UPDATE_GOLDEN=1 cargo test -p claude-env-render --test golden` and review the diff:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_example_repository_validates_without_findings() {
    let diagnostics = claude_env_config::validate_repo(&load_example());
    let all: Vec<String> = diagnostics
        .errors()
        .chain(diagnostics.warnings())
        .map(|d| d.to_string())
        .collect();
    assert!(all.is_empty(), "{}", all.join("\n"));
}
