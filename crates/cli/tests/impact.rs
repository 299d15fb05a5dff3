//! `claude-env diff --base REV --head REV`: the change-impact report of a real two-commit
//! change in a Git repository — a permission removed in base, an MCP server (deployed in the
//! cluster, with a plain-text token by mistake) added for one team.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::str::contains;
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use claude_env_cli::testing::write_tree;

fn claude_env(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_claude-env"));
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Process::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(dir: &Path) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "change"]);
    git(dir, &["rev-parse", "HEAD"])
}

const TOKEN: &str = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

/// dev, staging, prod; teams web and data; project shop. prod sets its own deny list (deny
/// lists replace; allow lists accumulate).
fn base_repo(dir: &Path) {
    write_tree(
        dir,
        &[
            (
                "claude-env.yaml",
                "schemaVersion: 1\nenvironments:\n  dev: {}\n  staging: {}\n  prod: {}\n\
                 merge:\n  settings.permissions.allow: union\n",
            ),
            (
                "base/settings.yaml",
                "settings:\n  model: sonnet\n  permissions:\n    allow: [Read]\n    \
                 deny: [\"Bash(curl:*)\", \"Bash(rm -rf:*)\"]\nmemory: |\n  # Notes\n",
            ),
            (
                "environments/dev/settings.yaml",
                "settings:\n  permissions:\n    allow: [WebFetch]\n",
            ),
            (
                "environments/staging/settings.yaml",
                "settings:\n  permissions:\n    allow: [WebFetch]\n",
            ),
            (
                "environments/prod/settings.yaml",
                "settings:\n  permissions:\n    deny: [\"Bash(curl:*)\", \"Bash(rm -rf:*)\", WebSearch]\n",
            ),
            (
                "teams/web/settings.yaml",
                "settings:\n  permissions:\n    allow: [\"Bash(npm test:*)\"]\n",
            ),
            (
                "teams/data/settings.yaml",
                "settings:\n  permissions:\n    allow: [\"Bash(dbt test:*)\"]\n",
            ),
            ("projects/shop/memory.yaml", "memory: |\n  # Shop\n"),
        ],
    );
}

/// The change: curl no longer denied in base; team data gets a deployed MCP server and a
/// CLAUDE.md, both with a plain-text token by mistake.
fn change(dir: &Path) {
    write_tree(
        dir,
        &[
            (
                "base/settings.yaml",
                "settings:\n  model: sonnet\n  permissions:\n    allow: [Read]\n    \
                 deny: [\"Bash(rm -rf:*)\"]\nmemory: |\n  # Notes\n",
            ),
            (
                "teams/data/mcp.yaml",
                &format!(
                    "mcpServers:\n  warehouse:\n    deploy:\n      image: ghcr.io/acme/warehouse-mcp:1.2.0\n      \
                     port: 8080\n      env:\n        DB_PASSWORD: \"${{secret:warehouse/password}}\"\n        \
                     GITHUB_TOKEN: {TOKEN}\n"
                ),
            ),
            (
                "teams/data/memory.yaml",
                &format!("memory: |\n  # Data\n  Warehouse CI token: {TOKEN} (rotate monthly)\n"),
            ),
        ],
    );
}

/// A Git repository with the two commits; returns (dir, base, head).
fn two_commits(root: &Path) -> (std::path::PathBuf, String, String) {
    let dir = root.join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    base_repo(&dir);
    git(&dir, &["init", "-q", "-b", "main"]);
    let base = commit(&dir);
    change(&dir);
    let head = commit(&dir);
    (dir, base, head)
}

fn diff(home: &Path, dir: &Path, base: &str, head: &str, format: &str) -> (i32, String) {
    let out = claude_env(home)
        .args([
            "diff", "--base", base, "--head", head, "-o", format, "--repo",
        ])
        .arg(dir)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every selection the change affects, and nothing else: all of dev and staging (the
/// permission), prod only with team data (the server).
fn expected_changed() -> BTreeSet<String> {
    let mut want = BTreeSet::new();
    for env in ["dev", "staging"] {
        for team in ["", "/data", "/web"] {
            want.insert(format!("{env}{team}"));
            let project = if team.is_empty() {
                "/-/shop".to_string()
            } else {
                format!("{team}/shop")
            };
            want.insert(format!("{env}{project}"));
        }
    }
    want.insert("prod/data".into());
    want.insert("prod/data/shop".into());
    want
}

#[test]
fn the_report_names_exactly_the_affected_selections_and_masks_secrets() {
    let home = tempfile::tempdir().expect("home");
    let (dir, base, head) = two_commits(home.path());

    let (code, json) = diff(home.path(), &dir, &base, &head, "json");
    assert_eq!(code, 1, "changes are findings");
    let v: Value = serde_json::from_str(&json).expect("json");
    let changed: BTreeSet<String> = v["selections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "changed")
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(changed, expected_changed());
    assert_eq!(v["selections"].as_array().unwrap().len(), 3 * 3 * 2);
    assert_eq!(v["base"]["commit"], base.as_str());
    let prod_data = v["selections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "prod/data")
        .unwrap();
    let subjects: Vec<&str> = prod_data["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "warehouse",
            "CLAUDE.md",
            "ConfigMap config",
            "Deployment warehouse",
            "Service warehouse"
        ],
        "{prod_data}"
    );
    let dev = v["selections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "dev")
        .unwrap();
    assert_eq!(dev["changes"][0]["area"], "permissions");
    assert_eq!(dev["changes"][0]["action"], "removed");
    assert_eq!(dev["changes"][0]["subject"], "deny: Bash(curl:*)");
    // Head's validation: the plain-text token is an error, named by rule, never shown.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "plaintext-secret")
    );

    let (code, text) = diff(home.path(), &dir, &base, &head, "text");
    assert_eq!(code, 1);
    assert!(text.contains("- permissions  deny: Bash(curl:*)"), "{text}");
    assert!(text.contains("+ MCP servers  warehouse"), "{text}");
    assert!(
        text.contains("unchanged (4): prod, prod/-/shop, prod/web, prod/web/shop"),
        "{text}"
    );
    for out in [&json, &text] {
        assert!(!out.contains(TOKEN) && !out.contains("ghp_"), "{out}");
        assert!(
            out.contains(
                "Warehouse CI token: <masked: a GitHub personal access token> (rotate monthly)"
            ),
            "{out}"
        );
    }
}

#[test]
fn the_markdown_report_renders_as_a_pull_request_comment() {
    let home = tempfile::tempdir().expect("home");
    let (dir, base, head) = two_commits(home.path());
    let (code, md) = diff(home.path(), &dir, &base, &head, "markdown");
    assert_eq!(code, 1);
    assert!(!md.contains("ghp_"), "{md}");
    assert!(
        md.contains("+Warehouse CI token: <masked: a GitHub personal access token>"),
        "{md}"
    );

    let mut tables = Vec::new();
    let (mut in_cell, mut cell, mut row) = (false, String::new(), Vec::new());
    let (mut html, mut code_blocks) = (String::new(), Vec::new());
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_GFM) {
        match event {
            Event::Start(Tag::Table(_)) => tables.push(Vec::new()),
            Event::Start(Tag::TableCell) => (in_cell, cell) = (true, String::new()),
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(cell.clone());
            }
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                tables.last_mut().unwrap().push(std::mem::take(&mut row));
            }
            Event::Text(t) | Event::Code(t) if in_cell => cell.push_str(&t),
            Event::Html(h) | Event::InlineHtml(h) => html.push_str(&h),
            Event::Start(Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(lang))) => {
                code_blocks.push(lang.to_string())
            }
            _ => {}
        }
    }
    // The summary table comes first: one row per environment.
    let summary = &tables[0];
    assert_eq!(summary[0][0], "environment");
    let rows: Vec<(&str, &str, &str)> = summary[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[2].as_str(), r[6].as_str()))
        .collect();
    assert_eq!(
        rows,
        [("dev", "6", "0"), ("staging", "6", "0"), ("prod", "2", "4")]
    );
    // Collapsed sections per environment; change tables inside them.
    assert_eq!(
        html.matches("<details>").count(),
        html.matches("</details>").count()
    );
    for env in ["dev", "staging", "prod"] {
        assert!(html.contains(&format!("<summary><b>{env}</b>")), "{html}");
    }
    let change_rows: Vec<&Vec<String>> = tables[1..].iter().flatten().collect();
    assert!(
        change_rows
            .iter()
            .any(|r| r[1] == "permissions" && r[2] == "deny: Bash(curl:*)"),
        "{change_rows:?}"
    );
    assert!(
        change_rows
            .iter()
            .any(|r| r[1] == "MCP servers" && r[2].starts_with("warehouse")),
        "{change_rows:?}"
    );
    assert!(
        code_blocks.iter().any(|l| l == "text"),
        "findings are listed: {code_blocks:?}"
    );

    // Capped: still valid Markdown, with a note.
    let out = claude_env(home.path())
        .args([
            "diff",
            "--base",
            &base,
            "--head",
            &head,
            "-o",
            "markdown",
            "--max-size",
            "2500",
            "--repo",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let cut = String::from_utf8_lossy(&out.stdout);
    assert!(cut.len() <= 2500, "{}", cut.len());
    assert!(cut.contains("This report was cut"), "{cut}");
    let opened = Parser::new(&cut)
        .filter(|e| matches!(e, Event::Html(h) if h.contains("<details>")))
        .count();
    let closed = Parser::new(&cut)
        .filter(|e| matches!(e, Event::Html(h) if h.contains("</details>")))
        .count();
    assert_eq!(opened, closed, "{cut}");
}

#[test]
fn no_change_exits_0_the_working_tree_is_the_default_head_and_errors_exit_2() {
    let home = tempfile::tempdir().expect("home");
    let (dir, base, head) = two_commits(home.path());
    claude_env(home.path())
        .args(["diff", "--base", &head, "--head", "HEAD", "--repo"])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(contains("no change in: dev (6), staging (6), prod (6)"));
    // Uncommitted: the working tree against HEAD.
    write_tree(
        &dir,
        &[("teams/web/settings.yaml", "settings:\n  model: opus\n")],
    );
    claude_env(home.path())
        .args(["diff", "--base", "HEAD", "--env", "prod", "--repo"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(contains("(working tree)"))
        .stdout(contains("~ settings     model: sonnet → opus"))
        .stdout(contains("prod/web, prod/web/shop (2): changed"));
    claude_env(home.path())
        .args(["diff", "--base", "no-such-rev", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("no-such-rev"));
    claude_env(home.path())
        .args(["diff", "--base", &base, "--target", "/tmp/x", "--repo"])
        .arg(&dir)
        .assert()
        .code(2);
    claude_env(home.path())
        .args(["diff", "--head", &head, "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("--base"));
}
