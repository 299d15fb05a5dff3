//! `claude-env init` as a platform team runs it: a new repository that validates, renders
//! every selection and passes the steps of its own CI files (run here as the CI would, on a
//! real Git repository with two commits); teams and projects from every built-in template;
//! refusing to overwrite; `--dry-run`; the pre-commit hook.

// Table-driven: one row per case, read as a table.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use predicates::str::contains;
use serde_json::Value;

use claude_env_cli::testing::{tree, write_tree};

const BUILT_IN: [&str; 5] = ["minimal", "frontend", "backend", "data", "security-review"];

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_claude-env"))
}

/// The binary with a clean environment: no real home, no terminal to prompt on.
fn claude_env(home: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// `init repo DIR` with defaults; returns DIR.
fn new_repo(home: &Path) -> PathBuf {
    let dir = home.join("config");
    claude_env(home)
        .args(["init", "repo", "--no-input"])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(contains("created a claude-env repository"));
    dir
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

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a CI script the way the runners do (bash, errexit, pipefail) with claude-env on PATH.
fn run_ci_script(dir: &Path, home: &Path, script: &str, env: &[(&str, String)]) -> String {
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Process::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", path)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "CI script failed:\n{script}\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Replaces the GitHub expressions the steps use; any other one fails the test.
fn github_expr(value: &str, known: &[(&str, &str)]) -> String {
    let mut v = value.to_string();
    for (expr, val) in known {
        v = v.replace(&format!("${{{{ {expr} }}}}"), val);
    }
    assert!(!v.contains("${{"), "unknown expression in {value}");
    v
}

#[test]
fn a_new_repository_validates_renders_every_selection_and_passes_its_own_ci() {
    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    for f in [
        "claude-env.yaml",
        "README.md",
        ".github/workflows/claude-env.yaml",
        ".gitlab-ci.yml",
        ".pre-commit-config.yaml",
        "cluster/claude-environment.yaml",
        "teams/backend/settings.yaml",
        "projects/example-service/settings.yaml",
        "environments/production/settings.yaml",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    claude_env(home.path())
        .args(["validate", "--repo"])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(contains("0 error(s), 0 warning(s)"));

    // Every selection renders, as files and as objects.
    let snapshot = claude_env_source::load::from_dir(&dir).expect("load");
    let selections = claude_env_config::ParsedRepo::parse(&snapshot).selections();
    assert_eq!(selections.len(), 3 * 2 * 2);
    for s in &selections {
        let mut args = vec!["render".to_string(), "--env".into(), s.environment.clone()];
        for (flag, v) in [("--team", &s.team), ("--project", &s.project)] {
            if let Some(v) = v {
                args.extend([flag.to_string(), v.clone()]);
            }
        }
        for objects in [false, true] {
            let mut cmd = claude_env(home.path());
            cmd.args(&args).arg("--repo").arg(&dir);
            if objects {
                cmd.arg("--objects");
            }
            cmd.assert().code(0).stdout(contains(if objects {
                "ConfigMap"
            } else {
                "settings.json"
            }));
        }
    }

    // The first ClaudeEnvironment points at what was generated.
    let cenv = yaml(&dir.join("cluster/claude-environment.yaml"));
    assert_eq!(cenv["kind"], "ClaudeEnvironment");
    assert_eq!(cenv["spec"]["environment"], "development");
    assert_eq!(cenv["spec"]["team"], "backend");
    assert_eq!(cenv["spec"]["project"], "example-service");

    // Two commits: the repository as generated, then a pull request adding a team.
    git(&dir, &["init", "-q", "-b", "main"]);
    let base = commit(&dir, "claude-env configuration");
    claude_env(home.path())
        .args([
            "init",
            "team",
            "web",
            "--from-template",
            "frontend",
            "--repo",
        ])
        .arg(&dir)
        .assert()
        .code(0);
    let head = commit(&dir, "team web");

    // GitHub Actions: the validate and impact steps, as the runner runs them.
    let workflow = yaml(&dir.join(".github/workflows/claude-env.yaml"));
    let steps = workflow["jobs"]["check"]["steps"]
        .as_array()
        .expect("steps");
    let summary = home.path().join("step-summary.md");
    let known = [
        ("github.event.pull_request.base.sha", base.as_str()),
        ("github.event.pull_request.head.sha", head.as_str()),
    ];
    for id in ["validate", "impact"] {
        let step = steps
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("step {id}"));
        let mut env = vec![("GITHUB_STEP_SUMMARY", summary.display().to_string())];
        for (k, v) in step["env"].as_object().into_iter().flatten() {
            env.push((k.as_str(), github_expr(v.as_str().unwrap(), &known)));
        }
        run_ci_script(&dir, home.path(), step["run"].as_str().unwrap(), &env);
    }
    let report = std::fs::read_to_string(dir.join("claude-env-impact.md")).expect("report");
    assert!(
        report.starts_with("## claude-env change impact"),
        "{report}"
    );
    assert!(report.contains("`development/web`"), "{report}");
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), report);
    let posts = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .any(|r| r.contains("gh pr comment") && r.contains("--body-file claude-env-impact.md"));
    assert!(posts, "a step posts the report");
    let install = steps
        .iter()
        .find(|s| s["id"] == "install")
        .expect("install step");
    assert!(install["run"].as_str().unwrap().contains("claude-env-cli"));

    // GitLab CI: the same, with GitLab's variables; no token, so the report is not posted.
    std::fs::remove_file(dir.join("claude-env-impact.md")).unwrap();
    let gitlab = yaml(&dir.join(".gitlab-ci.yml"));
    let env = [
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", base.clone()),
        ("CI_COMMIT_SHA", head.clone()),
    ];
    let mut printed = String::new();
    for job in ["validate", "impact"] {
        let script: Vec<&str> = gitlab[job]["script"]
            .as_array()
            .unwrap_or_else(|| panic!("job {job}"))
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        printed += &run_ci_script(&dir, home.path(), &script.join("\n"), &env);
    }
    assert!(
        printed.contains("CLAUDE_ENV_GITLAB_TOKEN is not set"),
        "{printed}"
    );
    let report = std::fs::read_to_string(dir.join("claude-env-impact.md")).expect("report");
    assert!(
        report.contains("`production/web/example-service`"),
        "{report}"
    );
    assert_eq!(
        gitlab["impact"]["artifacts"]["paths"][0],
        "claude-env-impact.md"
    );
    assert!(
        gitlab[".claude-env"]["before_script"][0]
            .as_str()
            .unwrap()
            .contains("claude-env-cli")
    );
}

#[test]
fn teams_and_projects_from_every_built_in_template_validate_and_render() {
    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    for t in BUILT_IN {
        let (team, project) = (format!("team-{t}"), format!("project-{t}"));
        claude_env(home.path())
            .args(["init", "team", &team, "--from-template", t, "--repo"])
            .arg(&dir)
            .assert()
            .code(0)
            .stdout(contains(format!("created team {team}")))
            .stdout(contains("validates: 0 error(s)"));
        claude_env(home.path())
            .args([
                "init",
                "project",
                &project,
                "--team",
                &team,
                "--from-template",
                t,
                "--repo",
            ])
            .arg(&dir)
            .assert()
            .code(0)
            .stdout(contains(format!(
                "next: claude-env render --env development --team {team} --project {project}"
            )));
        claude_env(home.path())
            .args([
                "render",
                "--env",
                "production",
                "--team",
                &team,
                "--project",
                &project,
                "--repo",
            ])
            .arg(&dir)
            .assert()
            .code(0);
        let meta =
            std::fs::read_to_string(dir.join(format!("projects/{project}/team.yaml"))).unwrap();
        assert!(meta.contains(&format!("team: {team}")), "{meta}");
    }
    claude_env(home.path())
        .args(["validate", "--repo"])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(contains("0 error(s), 0 warning(s)"));
    let listed = claude_env(home.path())
        .args(["init", "templates", "--repo"])
        .arg(&dir)
        .assert()
        .code(0);
    let listed = String::from_utf8_lossy(&listed.get_output().stdout).into_owned();
    for t in BUILT_IN {
        assert!(listed.lines().any(|l| l.starts_with(t)), "{listed}");
    }
    let json = claude_env(home.path())
        .args(["init", "templates", "-o", "json", "--repo"])
        .arg(&dir)
        .assert()
        .code(0);
    let json: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for t in BUILT_IN {
        assert!(names.contains(&t), "{json}");
    }
    assert!(
        json.as_array()
            .unwrap()
            .iter()
            .all(|t| t["from"].is_string() && t["description"].is_string())
    );
}

#[test]
fn init_refuses_to_overwrite_and_dry_run_writes_nothing() {
    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    let before = tree(&dir);

    claude_env(home.path())
        .args(["init", "repo", "--no-input"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite"))
        .stderr(contains("claude-env.yaml"));
    claude_env(home.path())
        .args(["init", "team", "backend", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite"))
        .stderr(contains("teams/backend"));
    claude_env(home.path())
        .args(["init", "project", "example-service", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("refusing to overwrite"));
    claude_env(home.path())
        .args([
            "init",
            "team",
            "web",
            "--from-template",
            "frontend",
            "--dry-run",
            "--repo",
        ])
        .arg(&dir)
        .assert()
        .code(0)
        .stdout(contains("would create team web"))
        .stdout(contains("teams/web/mcp.yaml"))
        .stdout(contains("would validate"));
    claude_env(home.path())
        .args(["init", "project", "shop", "--team", "nope", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("teams/nope"));
    claude_env(home.path())
        .args(["init", "team", "Not_A_Name", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("lowercase"));
    claude_env(home.path())
        .args(["init", "team", "--no-input", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("NAME is required"));
    assert_eq!(tree(&dir), before, "nothing was written");

    let other = home.path().join("other");
    claude_env(home.path())
        .args(["init", "repo", "--no-input", "--dry-run"])
        .arg(&other)
        .assert()
        .code(0)
        .stdout(contains("would create a claude-env repository"))
        .stdout(contains(".gitlab-ci.yml"));
    assert!(!other.exists());
}

#[test]
fn the_repositorys_own_templates_are_filled_in_and_one_that_breaks_validation_is_refused() {
    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    write_tree(
        &dir,
        &[
            (
                "templates/ops/settings.yaml",
                "settings:\n  env:\n    OWNER: \"{{kind}}-{{name}}\"\n",
            ),
            (
                "templates/leaky/settings.yaml",
                "settings:\n  env:\n    GITHUB_TOKEN: ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5\n",
            ),
        ],
    );
    claude_env(home.path())
        .args(["init", "team", "sre", "--from-template", "ops", "--repo"])
        .arg(&dir)
        .assert()
        .code(0);
    let written = std::fs::read_to_string(dir.join("teams/sre/settings.yaml")).unwrap();
    assert_eq!(written, "settings:\n  env:\n    OWNER: \"team-sre\"\n");

    let before = tree(&dir);
    claude_env(home.path())
        .args(["init", "team", "leak", "--from-template", "leaky", "--repo"])
        .arg(&dir)
        .assert()
        .code(1)
        .stdout(contains("would not validate"))
        .stdout(contains("plaintext-secret"));
    assert_eq!(tree(&dir), before, "nothing was written");
    claude_env(home.path())
        .args(["init", "team", "x", "--from-template", "nope", "--repo"])
        .arg(&dir)
        .assert()
        .code(2)
        .stderr(contains("no template `nope`"))
        .stderr(contains("security-review"));
}

#[test]
fn the_pre_commit_hook_runs_validate_on_the_whole_repository() {
    let hooks = yaml(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.pre-commit-hooks.yaml"));
    let hook = &hooks[0];
    assert_eq!(hook["id"], "claude-env-validate");
    assert_eq!(hook["language"], "system");
    assert_eq!(hook["pass_filenames"], false);
    let files = regex_lite_match(hook["files"].as_str().unwrap());

    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    let config = yaml(&dir.join(".pre-commit-config.yaml"));
    assert_eq!(config["repos"][0]["hooks"][0]["id"], hook["id"]);
    assert!(files("teams/backend/settings.yaml") && files("claude-env.yaml"));
    assert!(!files("README.md") && !files("cluster/claude-environment.yaml"));

    // pre-commit runs `entry` in the repository root, without file names.
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "claude-env");
    claude_env(home.path())
        .args(&entry[1..])
        .current_dir(&dir)
        .assert()
        .code(0);
    write_tree(&dir, &[("teams/backend/broken.yaml", "settings: [\n")]);
    claude_env(home.path())
        .args(&entry[1..])
        .current_dir(&dir)
        .assert()
        .code(1);
}

/// The hook's `files` pattern (a Python regex; this one uses only what Rust's regex reads
/// the same way).
fn regex_lite_match(pattern: &str) -> impl Fn(&str) -> bool {
    let re = regex::Regex::new(pattern).expect("pattern");
    move |s| re.is_match(s)
}

/// On a terminal (here a pseudo-terminal from `script`), what the flags leave out is asked:
/// the name typed, the template picked from the list (one down from `minimal`: frontend).
#[test]
fn on_a_terminal_init_asks_for_what_the_flags_leave_out() {
    use std::io::Write as _;
    let home = tempfile::tempdir().expect("home");
    let dir = new_repo(home.path());
    let command = format!(
        "{} init team --dry-run --repo {}",
        bin().display(),
        dir.display()
    );
    let mut child = Process::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_clear()
        .env("HOME", home.path())
        .env("TERM", "xterm")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"webx\r\x1b[B\r")
        .unwrap();
    let out = child.wait_with_output().expect("finishes");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("Team name"), "{stdout}");
    assert!(stdout.contains("would create team webx"), "{stdout}");
    assert!(
        stdout.contains("teams/webx/mcp.yaml"),
        "frontend was picked: {stdout}"
    );
    assert!(!dir.join("teams/webx").exists());
}
