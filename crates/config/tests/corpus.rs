//! The corpus of broken repositories: `tests/corpus/<case>/` is a tiny config repository
//! plus an `expected` file listing every diagnostic as `rule file:line` (line 0 for
//! findings without a position), compared exactly with `validate_repo`. A case with a
//! `selection` file (`env [team [project]]`) checks that selection instead. A `planted`
//! file lists credentials planted in the case: no output may contain any 8-character piece
//! of them.
//!
//! `UPDATE_CORPUS=1 cargo test --test corpus` rewrites the `expected` files (review the diff).

use std::fs;
use std::path::{Path, PathBuf};

use claude_env_config::{Diagnostics, ParsedRepo, RepoSnapshot, Selection, validate_repo};

const META: &[&str] = &["expected", "planted", "selection"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            collect(root, &path, out);
        } else if !META.contains(&rel.as_str()) {
            out.push((rel, fs::read(&path).unwrap()));
        }
    }
}

fn diagnostics(case: &Path) -> Diagnostics {
    let mut files = Vec::new();
    collect(case, case, &mut files);
    let snapshot = RepoSnapshot::new(None, files);
    match fs::read_to_string(case.join("selection")) {
        Ok(s) => {
            let mut parts = s.split_whitespace();
            let mut sel = Selection::new(parts.next().unwrap());
            sel.team = parts.next().map(str::to_owned);
            sel.project = parts.next().map(str::to_owned);
            ParsedRepo::parse(&snapshot).check(&sel, None).diagnostics
        }
        Err(_) => validate_repo(&snapshot),
    }
}

fn render(ds: &Diagnostics) -> String {
    ds.iter()
        .map(|d| format!("{} {}:{}\n", d.rule, d.file, d.line))
        .collect()
}

/// Every 8-character window of each planted secret: none may appear in any output.
fn assert_no_secret(case: &str, planted: &str, ds: &Diagnostics) {
    let outputs = [ds.to_string(), ds.to_json().to_string(), format!("{ds:?}")];
    for secret in planted.lines().filter(|l| !l.is_empty()) {
        let chars: Vec<char> = secret.chars().collect();
        for w in chars.windows(8) {
            let piece: String = w.iter().collect();
            for out in &outputs {
                assert!(
                    !out.contains(&piece),
                    "{case}: output contains part of a planted secret"
                );
            }
        }
    }
}

#[test]
fn every_case_reports_exactly_what_is_expected() {
    let update = std::env::var_os("UPDATE_CORPUS").is_some();
    let mut cases: Vec<_> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the corpus went missing");
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let ds = diagnostics(case);
        let got = render(&ds);
        if update {
            fs::write(case.join("expected"), &got).unwrap();
        }
        let want = fs::read_to_string(case.join("expected")).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "--- {name}: expected\n{want}--- got\n{got}\n{ds}\n"
            ));
        }
        if let Ok(planted) = fs::read_to_string(case.join("planted")) {
            assert_no_secret(&name, &planted, &ds);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_five_problem_repository_reports_five() {
    let ds = diagnostics(&corpus().join("five-problems"));
    assert_eq!(ds.len(), 5, "{ds}");
    assert_eq!(ds.errors().count(), 5);
}

#[test]
fn every_rule_id_has_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in fs::read_dir(corpus()).unwrap() {
        let expected = entry.unwrap().path().join("expected");
        for line in fs::read_to_string(expected).unwrap_or_default().lines() {
            seen.insert(line.split(' ').next().unwrap().to_owned());
        }
    }
    let missing: Vec<_> = claude_env_config::rules::ALL
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "rules without a corpus case: {missing:?}"
    );
}

#[test]
#[should_panic(expected = "part of a planted secret")]
fn the_secret_check_catches_a_leak() {
    let leaked: Diagnostics = vec![claude_env_config::Diagnostic::error(
        "x",
        "f.yaml",
        "token ghp_0123456789abcdef leaked",
    )]
    .into();
    assert_no_secret("test", "ghp_0123456789abcdef\n", &leaked);
}
