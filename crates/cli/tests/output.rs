//! How the binary's output looks: colour only on a terminal and never with `NO_COLOR`, the
//! outcome symbols, and the structured formats (`-o json|yaml`) of the workstation commands
//! and `version`, compared whole with golden text (temp paths, times and backup ids
//! replaced by placeholders).

use std::path::Path;

use assert_cmd::Command;
use regex::Regex;

use claude_env_cli::testing::write_tree;

const REPO: &[(&str, &str)] = &[
    (
        "claude-env.yaml",
        "schemaVersion: 1\nenvironments:\n  dev: {}\n  prod: {}\n",
    ),
    (
        "base/settings.yaml",
        "settings:\n  model: sonnet\nmemory: |\n  # Notes\n",
    ),
    (
        "environments/prod/settings.yaml",
        "settings:\n  model: opus\n",
    ),
    (
        "teams/backend/commands.yaml",
        "commands:\n  migrate: |\n    Write a migration.\n",
    ),
];

const ESC: &str = "\u{1b}[";

/// A home with a repository in it, and the binary run there with nothing else in its
/// environment (so no terminal, no colour variables, unless a test sets them).
struct Fixture {
    home: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let home = tempfile::tempdir().expect("home");
        write_tree(&home.path().join("repo"), REPO);
        Fixture { home }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("claude-env");
        cmd.env_clear()
            .env("HOME", self.path())
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.path().join("repo"))
            .args(args);
        cmd
    }

    /// stdout of a run that must end with `code`.
    fn stdout(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd(args).output().expect("run");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Placeholders for what changes from run to run.
    fn normalize(&self, text: &str) -> String {
        let text = text.replace(&self.path().display().to_string(), "<home>");
        let ids = Regex::new(r"\d{8}T\d{6}\.\d{3}Z").unwrap();
        let times = Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").unwrap();
        let text = ids.replace_all(&text, "<id>");
        times.replace_all(&text, "<time>").into_owned()
    }

    fn target(&self) -> String {
        self.path().join("target").display().to_string()
    }

    fn synced(&self) -> &Self {
        let target = self.target();
        self.stdout(
            &["sync", "-e", "prod", "-t", "backend", "--target", &target],
            0,
        );
        self
    }
}

#[test]
fn colour_reaches_a_terminal_only_and_never_with_no_color() {
    let f = Fixture::new();
    // Piped (these tests' stdout is never a terminal): plain, the symbol kept.
    let plain = f.stdout(&["validate"], 0);
    assert!(!plain.contains(ESC), "{plain:?}");
    assert_eq!(
        f.normalize(&plain),
        "✔ ok: <home>/repo @ (no revision): 0 error(s), 0 warning(s)\n"
    );
    // As on a terminal: the symbol green.
    let forced = f
        .cmd(&["validate"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    let forced = String::from_utf8(forced.stdout).unwrap();
    assert!(
        forced.starts_with("\u{1b}[32m✔\u{1b}[0m ok: "),
        "{forced:?}"
    );
    // NO_COLOR wins over everything, stdout and stderr alike.
    let failing = ["validate", "--repo", "/nonexistent/repo"];
    for (args, stream) in [(&["validate"][..], "stdout"), (&failing[..], "stderr")] {
        let out = f
            .cmd(args)
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = if stream == "stdout" {
            out.stdout
        } else {
            out.stderr
        };
        let text = String::from_utf8(text).unwrap();
        assert!(!text.is_empty(), "{args:?}");
        assert!(!text.contains(ESC), "{args:?} {stream}: {text:?}");
    }
    // Errors are coloured too where colour is allowed.
    let err = f.cmd(&failing).env("CLICOLOR_FORCE", "1").output().unwrap();
    let err = String::from_utf8(err.stderr).unwrap();
    assert!(err.contains(ESC), "{err:?}");
}

#[test]
fn structured_output_has_no_colour_even_when_forced() {
    let f = Fixture::new();
    let out = f
        .cmd(&["validate", "-o", "json"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains(ESC), "{text:?}");
    serde_json::from_str::<serde_json::Value>(&text).expect("json");
}

#[test]
fn golden_sync_and_rollback_in_text() {
    let f = Fixture::new();
    let target = f.target();
    let sync = f.stdout(
        &["sync", "-e", "prod", "-t", "backend", "--target", &target],
        0,
    );
    let tail: Vec<&str> = sync.lines().rev().take(2).collect();
    assert_eq!(
        f.normalize(&format!("{}\n{}\n", tail[1], tail[0])),
        "✔ synced prod/backend @ (no revision) into <home>/target: 4 created, 0 updated, 0 removed\n\
         the state before is backup <id>-initial (undo: claude-env rollback)\n"
    );
    let again = f.stdout(
        &["sync", "-e", "prod", "-t", "backend", "--target", &target],
        0,
    );
    assert_eq!(f.normalize(&again), "✔ <home>/target is up to date\n");
    let rollback = f.stdout(&["rollback", "--target", &target], 0);
    assert_eq!(
        f.normalize(&rollback),
        "  remove  CLAUDE.md\n  remove  commands/migrate.md\n  remove  mcp.json\n  remove  settings.json\n\
         ✔ rolled <home>/target back to the state before the first sync from backup <id>-initial: 0 created, 0 updated, 4 removed\n\
         the state before is backup <id>-initial (undo: claude-env rollback)\n"
    );
}

#[test]
fn golden_rollback_json_and_yaml() {
    let f = Fixture::new();
    let target = f.synced().target();
    let json = f.stdout(
        &["rollback", "--target", &target, "--dry-run", "-o", "json"],
        0,
    );
    assert_eq!(
        f.normalize(&json),
        r#"{
  "target": "<home>/target",
  "result": "dry-run",
  "restored": "<id>-initial",
  "origin": null,
  "steps": [
    {
      "path": "CLAUDE.md",
      "action": "remove"
    },
    {
      "path": "commands/migrate.md",
      "action": "remove"
    },
    {
      "path": "mcp.json",
      "action": "remove"
    },
    {
      "path": "settings.json",
      "action": "remove"
    }
  ],
  "conflicts": []
}
"#
    );
    let yaml = f.stdout(&["rollback", "--target", &target, "-o", "yaml"], 0);
    assert_eq!(
        f.normalize(&yaml),
        "target: <home>/target\n\
         result: applied\n\
         restored: <id>-initial\n\
         origin: null\n\
         backup: <id>-initial\n\
         steps:\n\
         - path: CLAUDE.md\n  action: remove\n\
         - path: commands/migrate.md\n  action: remove\n\
         - path: mcp.json\n  action: remove\n\
         - path: settings.json\n  action: remove\n\
         conflicts: []\n"
    );
}

#[test]
fn golden_history_and_status_yaml() {
    let f = Fixture::new();
    let target = f.synced().target();
    let history = f.stdout(&["history", "--target", &target, "-o", "yaml"], 0);
    assert_eq!(
        f.normalize(&history),
        "- time: \"<time>\"\n\
         \x20 action: sync\n\
         \x20 repo: <home>/repo\n\
         \x20 revision: null\n\
         \x20 environment: prod\n\
         \x20 team: backend\n\
         \x20 backup: <id>-initial\n\
         \x20 created: 4\n\
         \x20 updated: 0\n\
         \x20 removed: 0\n"
    );
    let status = f.stdout(&["status", "--target", &target, "--local", "-o", "yaml"], 0);
    assert_eq!(
        f.normalize(&status),
        "target: <home>/target\n\
         synced:\n\
         \x20 repo: <home>/repo\n\
         \x20 revision: null\n\
         \x20 environment: prod\n\
         \x20 team: backend\n\
         \x20 at: \"<time>\"\n\
         drift: []\n\
         repository: null\n\
         interrupted: false\n"
    );
}

#[test]
fn golden_version_of_the_client() {
    let f = Fixture::new();
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        f.stdout(&["version", "--client"], 0),
        format!("client:      claude-env {v}\n")
    );
    assert_eq!(
        f.stdout(&["version", "--client", "-o", "json"], 0),
        format!("{{\n  \"client\": \"{v}\"\n}}\n")
    );
    assert_eq!(
        f.stdout(&["version", "--client", "-o", "yaml"], 0),
        format!("client: \"{v}\"\n")
    );
}

#[test]
fn a_local_diff_in_yaml_is_the_json_report() {
    let f = Fixture::new();
    let target = f.synced().target();
    std::fs::write(Path::new(&target).join("CLAUDE.md"), "# edited\n").unwrap();
    let args = ["diff", "-e", "prod", "-t", "backend", "--target", &target];
    let json: serde_json::Value =
        serde_json::from_str(&f.stdout(&[&args[..], &["-o", "json"]].concat(), 1)).unwrap();
    let yaml: serde_json::Value =
        serde_saphyr::from_str(&f.stdout(&[&args[..], &["-o", "yaml"]].concat(), 1)).unwrap();
    assert_eq!(json, yaml);
    assert_eq!(json["differs"], true);
}
