//! The `claude-env` binary as users and CI run it: exit codes, output, and the workstation
//! flow (sync, drift, --force, history, rollback) on a small repository built here, plus
//! validate/render on config-repo-example and loading from a bare Git repository by URL.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use predicates::str::{contains, is_match};

use claude_env_cli::testing::{tree, write_tree};

/// A small valid repository: prod tightens base, the backend team adds a command, and the
/// MCP server needs `${env:CLAUDE_ENV_TEST_DB}` on workstations.
const REPO: &[(&str, &str)] = &[
    (
        "claude-env.yaml",
        "schemaVersion: 1\nenvironments:\n  dev: {}\n  prod: {}\nmerge:\n  settings.permissions.deny: union\n",
    ),
    (
        "base/settings.yaml",
        "settings:\n  model: sonnet\n  permissions:\n    deny:\n      - \"Bash(rm -rf:*)\"\n\
         memory: |\n  # Team notes\ncommands:\n  review: |\n    Review the diff.\n\
         mcpServers:\n  db:\n    command: npx\n    args: [\"-y\", \"server-postgres\", \"${env:CLAUDE_ENV_TEST_DB}\"]\n",
    ),
    (
        "environments/prod/settings.yaml",
        "settings:\n  model: opus\n  permissions:\n    deny:\n      - \"WebFetch\"\n",
    ),
    (
        "teams/backend/commands.yaml",
        "commands:\n  migrate: |\n    Write a migration.\n",
    ),
];

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_tree(dir.path(), REPO);
    dir
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config-repo-example")
}

/// The binary with a clean, predictable environment: no real home or cache is touched.
fn claude_env(home: &Path) -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("claude-env");
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

#[test]
fn validate_accepts_the_example_repository() {
    let home = tempfile::tempdir().expect("home");
    claude_env(home.path())
        .args(["validate", "--repo"])
        .arg(example())
        .assert()
        .code(0)
        .stdout(contains("0 error(s)"));
}

#[test]
fn validate_reports_every_error_with_file_line_and_rule_and_exits_1() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    write_tree(
        repo.path(),
        &[
            ("base/bad.yaml", "settings:\n  model: [oops\n"),
            (
                "teams/broken/settings.yaml",
                "settings:\n  env:\n    GITHUB_TOKEN: ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5\n",
            ),
        ],
    );
    let out = claude_env(home.path())
        .args(["validate", "--repo"])
        .arg(repo.path())
        .assert()
        .code(1)
        .stdout(is_match(r"(?m)^base/bad\.yaml:\d+:\d+: error\[[a-z-]+\]").expect("regex"))
        .stdout(contains(
            "teams/broken/settings.yaml:3:19: error[plaintext-secret]",
        ))
        .stdout(contains("2 error(s)"));
    // The secret itself never appears.
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!stdout.contains("ghp_aB3dE5"), "{stdout}");

    let json = claude_env(home.path())
        .args(["validate", "-o", "json", "--repo"])
        .arg(repo.path())
        .assert()
        .code(1);
    let v: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v[1]["rule"], "plaintext-secret");
    assert_eq!(v[1]["line"], 3);
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().expect("home");
    claude_env(home.path())
        .args(["validate", "--bogus"])
        .assert()
        .code(2);
    claude_env(home.path())
        .args(["render"])
        .assert()
        .code(2)
        .stderr(contains("--env"));
    claude_env(home.path())
        .args(["sync", "--env", "prod"])
        .assert()
        .code(2)
        .stderr(contains("--team"));
    claude_env(home.path()).arg("frobnicate").assert().code(2);
}

#[test]
fn runtime_errors_exit_2_with_an_error_line() {
    let home = tempfile::tempdir().expect("home");
    claude_env(home.path())
        .args(["validate", "--repo", "/nonexistent/claude-env-repo"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "));
    let repo = repo();
    claude_env(home.path())
        .args(["render", "--env", "nope", "--repo"])
        .arg(repo.path())
        .assert()
        .code(2)
        .stderr(contains("error: nope does not load"));
}

#[test]
fn render_explain_names_the_layer_and_file_line_of_every_value() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    claude_env(home.path())
        .args(["render", "--env", "prod", "--team", "backend", "--explain", "--repo"])
        .arg(repo.path())
        .assert()
        .code(0)
        .stdout(is_match(r#"(?m)^settings\.model = "opus" +← environment/prod environments/prod/settings\.yaml:2$"#).expect("regex"))
        .stdout(is_match(r#"(?m)^settings\.permissions\.deny\[0\] = "Bash\(rm -rf:\*\)" +← base base/settings\.yaml:5$"#).expect("regex"))
        .stdout(is_match(r"(?m)^commands\.migrate = .* ← team/backend teams/backend/commands\.yaml:3$").expect("regex"));
}

#[test]
fn render_explain_on_the_example_shows_production_overrides() {
    let home = tempfile::tempdir().expect("home");
    claude_env(home.path())
        .args([
            "render",
            "--env",
            "production",
            "--team",
            "backend",
            "--explain",
            "--repo",
        ])
        .arg(example())
        .assert()
        .code(0)
        .stdout(
            is_match(
                r"(?m)^settings\..* ← environment/production environments/production/[^ ]+:\d+$",
            )
            .expect("regex"),
        );
}

#[test]
fn render_outputs_files_json_and_objects() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    let run = |args: &[&str]| {
        let out = claude_env(home.path())
            .args(["render", "--env", "prod", "--team", "backend", "--repo"])
            .arg(repo.path())
            .args(args)
            .assert()
            .code(0);
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    };
    let files = run(&[]);
    assert!(
        files.contains("==> commands/migrate.md <==\nWrite a migration.\n"),
        "{files}"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&["-o", "json"])).expect("json");
    assert!(
        json["files"]["settings.json"]
            .as_str()
            .is_some_and(|s| s.contains("\"opus\"")),
        "{json}"
    );
    assert_eq!(json["envVars"][0], "CLAUDE_ENV_TEST_DB");
    let objects = run(&["--objects"]);
    assert!(objects.contains("kind: ConfigMap"), "{objects}");
}

/// The workstation flow end to end through the binary.
#[test]
fn sync_status_force_history_and_rollback() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    let target = home.path().join(".claude");
    write_tree(
        &target,
        &[
            ("projects/p/chat.jsonl", "{}\n"),
            (".credentials.json", "secret"),
        ],
    );
    let cmd = |args: &[&str]| {
        let mut c = claude_env(home.path());
        c.arg("--repo").arg(repo.path()).args(args);
        c.env("CLAUDE_ENV_TEST_DB", "postgres://me@localhost/dev");
        c
    };
    // `--yes`: the first sync adds an MCP server (security), and stdin is no terminal.
    let sync = ["sync", "--env", "prod", "--team", "backend", "--yes"];

    // A missing ${env:VAR}: a clear error, exit 2, nothing written.
    let before = tree(&target);
    cmd(&sync)
        .env_remove("CLAUDE_ENV_TEST_DB")
        .assert()
        .code(2)
        .stderr(contains("CLAUDE_ENV_TEST_DB"));
    assert_eq!(tree(&target), before);

    // The default target is $HOME/.claude.
    cmd(&sync).assert().code(0).stdout(contains("5 created"));
    let mcp = std::fs::read_to_string(target.join("mcp.json")).expect("mcp.json");
    assert!(mcp.contains("postgres://me@localhost/dev"), "{mcp}");
    assert_eq!(
        std::fs::read_to_string(target.join(".credentials.json")).expect("kept"),
        "secret"
    );
    cmd(&["status"])
        .assert()
        .code(0)
        .stdout(contains("local drift: none"));
    cmd(&["diff", "--env", "prod", "--team", "backend"])
        .assert()
        .code(0);
    let synced = tree(&target);

    // A local edit: drift, diff, a refused sync that keeps it, then --force.
    std::fs::write(target.join("CLAUDE.md"), "# my notes\n").expect("edit");
    cmd(&["status"])
        .assert()
        .code(1)
        .stdout(contains("modified  CLAUDE.md"));
    cmd(&["diff", "--env", "prod", "--team", "backend"])
        .assert()
        .code(1)
        .stdout(contains("+# Team notes"));
    cmd(&sync)
        .assert()
        .code(1)
        .stdout(contains("CLAUDE.md: modified locally"))
        .stdout(contains("--force"));
    assert_eq!(
        std::fs::read_to_string(target.join("CLAUDE.md")).expect("kept"),
        "# my notes\n"
    );
    cmd(&[&sync[..], &["--force"]].concat())
        .assert()
        .code(0)
        .stdout(contains("was modified locally; backed up"));
    assert_eq!(
        tree(&target)
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".claude-env"))
            .collect::<Vec<_>>(),
        synced
            .into_iter()
            .filter(|(p, _)| !p.starts_with(".claude-env"))
            .collect::<Vec<_>>()
    );

    cmd(&["history"])
        .assert()
        .code(0)
        .stdout(contains("forced: CLAUDE.md"));
    let json = cmd(&["history", "-o", "json"]).assert().code(0);
    let h: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).expect("json");
    assert_eq!(h.as_array().map(Vec::len), Some(2));
    assert_eq!(h[0]["environment"], "prod");

    // Rollback brings the edit back, byte for byte.
    cmd(&["rollback"]).assert().code(0);
    assert_eq!(
        std::fs::read_to_string(target.join("CLAUDE.md")).expect("restored"),
        "# my notes\n"
    );
    cmd(&["rollback", "--to", "nothing-like-this"])
        .assert()
        .code(2)
        .stderr(contains("no backup matches"));
}

#[test]
fn status_tells_when_the_repository_moved_on() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    let cmd = |args: &[&str]| {
        let mut c = claude_env(home.path());
        c.args(args).env("CLAUDE_ENV_TEST_DB", "x");
        c
    };
    cmd(&[
        "sync", "--env", "prod", "--team", "backend", "--yes", "--repo",
    ])
    .arg(repo.path())
    .assert()
    .code(0);
    // Without --repo, status reloads the repository recorded at sync time.
    cmd(&["status"])
        .assert()
        .code(0)
        .stdout(contains("nothing to sync"));
    write_tree(
        repo.path(),
        &[(
            "teams/backend/commands.yaml",
            "commands:\n  migrate: |\n    Changed.\n",
        )],
    );
    cmd(&["status"])
        .assert()
        .code(1)
        .stdout(contains("1 file(s) to sync"));
    cmd(&["status", "--local"])
        .assert()
        .code(0)
        .stdout(contains("local drift: none"));
    let json = cmd(&["status", "-o", "json"]).assert().code(1);
    let v: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).expect("json");
    assert_eq!(v["repository"]["pendingChanges"], 1, "{v}");
    assert_eq!(v["synced"]["environment"], "prod");
}

#[test]
fn the_user_layer_is_merged_last() {
    let (home, repo) = (tempfile::tempdir().expect("home"), repo());
    let target = home.path().join("t");
    write_tree(
        &target,
        &[("local-overrides.yaml", "settings:\n  model: haiku\n")],
    );
    claude_env(home.path())
        .args([
            "sync", "--env", "prod", "--team", "backend", "--yes", "--target",
        ])
        .arg(&target)
        .arg("--repo")
        .arg(repo.path())
        .env("CLAUDE_ENV_TEST_DB", "x")
        .assert()
        .code(0);
    let settings = std::fs::read_to_string(target.join("settings.json")).expect("settings");
    assert!(settings.contains("\"haiku\""), "{settings}");
}

/// `--repo file:///...` on a bare repository: fetched into the cache, loaded from a commit.
#[test]
fn a_bare_repository_url_is_fetched_and_loaded_by_revision() {
    let home = tempfile::tempdir().expect("home");
    let work = repo();
    let git = git2::Repository::init(work.path()).expect("init");
    let first = commit(&git, "first");
    write_tree(
        work.path(),
        &[(
            "environments/prod/settings.yaml",
            "settings:\n  model: opus-2\n",
        )],
    );
    let second = commit(&git, "second");
    let bare = home.path().join("remote.git");
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(&format!("file://{}", work.path().display()), &bare)
        .expect("bare clone");
    let url = format!("file://{}", bare.display());

    claude_env(home.path())
        .args(["validate", "--repo", &url])
        .assert()
        .code(0)
        .stdout(contains(&second.to_string()[..12]));
    let explain = |rev: Option<&str>| {
        let mut c = claude_env(home.path());
        c.args(["render", "--env", "prod", "--explain", "--repo", &url]);
        if let Some(r) = rev {
            c.args(["--rev", r]);
        }
        c.assert().code(0)
    };
    explain(None).stdout(contains("settings.model = \"opus-2\""));
    explain(Some(&first.to_string())).stdout(contains("settings.model = \"opus\""));
    assert!(home.path().join("cache/claude-env/repos").is_dir());

    // A directory with --rev reads that commit, not the working tree.
    claude_env(home.path())
        .args([
            "render",
            "--env",
            "prod",
            "--explain",
            "--rev",
            "HEAD~1",
            "--repo",
        ])
        .arg(work.path())
        .assert()
        .code(0)
        .stdout(contains("settings.model = \"opus\""));
}

fn commit(git: &git2::Repository, message: &str) -> git2::Oid {
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let sig = git2::Signature::now("test", "test@example.com").expect("sig");
    let parent = git.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    git.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .expect("commit")
}
