//! The risk of a workstation sync, through the binary, on a real Git repository: `sync` and
//! `diff` list every change riskiest first with the layer and file:line that caused it;
//! `-o json` carries the class; a security change is applied only after `--yes` or a "y"
//! on the terminal (driven through a pseudo-terminal), and without a terminal `sync`
//! refuses, exit 1, writing nothing.

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use claude_env_testkit::TempRepo;
use predicates::prelude::*;
use predicates::str::{contains, is_match};

const SETTINGS: &str = "schemaVersion: 1\nenvironments: [dev]\nmerge:\n  settings.permissions.allow: union\n  settings.permissions.deny: union\n";

/// `base/settings.yaml`, line by line: model (2), allow (4), deny (5).
const BASE: &str = "settings:\n  model: sonnet\n  permissions:\n    allow: [\"Bash(git status:*)\"]\n    deny: [\"Bash(rm -rf:*)\"]\n";

/// A team file that allows any Bash command (line 4).
const ALLOW_BASH: &str = "settings:\n  permissions:\n    allow:\n      - Bash\n";

struct Setup {
    home: tempfile::TempDir,
    repo: TempRepo,
}

impl Setup {
    fn new() -> Setup {
        let repo = TempRepo::new();
        repo.write("claude-env.yaml", SETTINGS)
            .write("base/settings.yaml", BASE)
            .write("teams/backend/.gitkeep", "");
        repo.commit("base");
        Setup {
            home: tempfile::tempdir().expect("home"),
            repo,
        }
    }

    fn target(&self) -> PathBuf {
        self.home.path().join(".claude")
    }

    fn settings_json(&self) -> String {
        std::fs::read_to_string(self.target().join("settings.json")).unwrap_or_default()
    }

    /// `claude-env <command> --env dev --team backend --repo <work tree> <extra>`, with a
    /// clean environment and no stdin.
    fn cmd(&self, command: &str, extra: &[&str]) -> Command {
        let mut c = self.plain(&[command, "--env", "dev", "--team", "backend", "--repo"]);
        c.arg(self.repo.work_dir()).args(extra);
        c
    }

    /// `claude-env <args>` with the same environment and nothing added.
    fn plain(&self, args: &[&str]) -> Command {
        let mut c = assert_cmd::cargo::cargo_bin_cmd!("claude-env");
        c.env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .args(args);
        c
    }

    fn commit(&self, path: &str, contents: &str) {
        self.repo.write(path, contents);
        self.repo.commit(path);
    }
}

fn json(out: &assert_cmd::assert::Assert) -> serde_json::Value {
    serde_json::from_slice(&out.get_output().stdout).expect("json output")
}

#[test]
fn without_a_terminal_a_security_change_is_refused_until_yes() {
    let s = Setup::new();
    // The first sync grants what base allows: security, and nobody to ask.
    s.cmd("sync", &[])
        .assert()
        .code(1)
        .stdout(contains("every setting is new"))
        .stdout(is_match(
            r"SECURITY +high +settings\.permissions\.allow +allows Bash commands starting with `git status`  \(base/settings\.yaml:4\)",
        ).unwrap())
        .stdout(contains("refusing to apply 1 security change without confirmation"))
        .stdout(contains("--yes"));
    assert!(!s.target().exists(), "nothing may be written");

    s.cmd("sync", &["--yes"])
        .assert()
        .code(0)
        .stdout(contains("allows Bash commands starting with `git status`"))
        .stdout(contains("synced dev/backend"));

    // A commit that lets the agent run any shell command.
    s.commit("teams/backend/settings.yaml", ALLOW_BASH);
    let before = s.settings_json();
    s.cmd("sync", &[])
        .assert()
        .code(1)
        .stdout(contains(
            "SECURITY  critical  settings.permissions.allow  allows any Bash command  (teams/backend/settings.yaml:4)",
        ))
        .stdout(contains("nothing was written"));
    assert_eq!(s.settings_json(), before);

    // -o json says the same, with the class of each change; the message goes to stderr.
    let out = s.cmd("sync", &["-o", "json"]).assert().code(1);
    let v = json(&out);
    assert_eq!(v["result"], "refused");
    assert_eq!(v["baseline"], "last-sync");
    assert_eq!(v["changes"][0]["class"], "Security");
    assert_eq!(v["changes"][0]["severity"], "Critical");
    assert_eq!(v["changes"][0]["path"], "settings.permissions.allow");
    assert_eq!(
        v["changes"][0]["source"]["file"],
        "teams/backend/settings.yaml"
    );
    assert_eq!(v["changes"][0]["source"]["line"], 4);
    assert_eq!(v["steps"][0]["path"], "settings.json");
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("refusing"));
    assert_eq!(s.settings_json(), before);

    let out = s.cmd("sync", &["--yes", "-o", "json"]).assert().code(0);
    assert_eq!(json(&out)["result"], "applied");
    assert!(
        s.settings_json().contains("\"Bash\""),
        "{}",
        s.settings_json()
    );
}

#[test]
fn configuration_changes_sync_without_asking_and_show_their_class() {
    let s = Setup::new();
    s.cmd("sync", &["--yes"]).assert().code(0);
    s.commit("base/settings.yaml", &BASE.replace("sonnet", "opus"));
    // Dry run: the risk and the plan, nothing written, no question.
    s.cmd("sync", &["--dry-run"])
        .assert()
        .code(0)
        .stdout(contains("1 change: 1 configuration; since the last sync"))
        .stdout(contains(
            "CONFIGURATION  medium  settings.model  changes settings.model to `opus` (was `sonnet`)  (base/settings.yaml:2)",
        ))
        .stdout(contains("would change"));
    s.cmd("sync", &[])
        .assert()
        .code(0)
        .stdout(contains("changes settings.model to `opus`"))
        .stdout(contains("synced dev/backend"));
    assert!(s.settings_json().contains("\"opus\""));
    // Nothing left to sync: no changes to list.
    s.cmd("sync", &[])
        .assert()
        .code(0)
        .stdout(contains("is up to date"))
        .stdout(contains("riskiest").not());
}

#[test]
fn diff_lists_the_risk_of_the_next_sync_and_rollback_restores_its_baseline() {
    let s = Setup::new();
    s.cmd("sync", &["--yes"]).assert().code(0);
    // Removing a deny rule: the cause is the base's value, where it was.
    s.commit(
        "base/settings.yaml",
        &BASE.replace("    deny: [\"Bash(rm -rf:*)\"]\n", ""),
    );
    s.cmd("diff", &[])
        .assert()
        .code(1)
        .stdout(contains("-      \"Bash(rm -rf:*)\""))
        .stdout(contains(
            "SECURITY  high  settings.permissions.deny  removes deny rule `Bash(rm -rf:*)`  (base/settings.yaml:5)",
        ));
    let out = s.cmd("diff", &["-o", "json"]).assert().code(1);
    let v = json(&out);
    assert_eq!(v["differs"], true);
    assert_eq!(v["files"][0]["path"], "settings.json");
    assert_eq!(v["files"][0]["change"], "modified");
    assert_eq!(v["changes"][0]["class"], "Security");
    assert_eq!(v["changes"][0]["kind"], "removed");
    assert_eq!(v["changes"][0]["source"]["layer"], "base");

    s.cmd("sync", &["--yes"]).assert().code(0);
    s.cmd("diff", &[])
        .assert()
        .code(0)
        .stdout(contains("matches"));
    // Rollback restores the state before, document included: the removal is pending again.
    s.plain(&["rollback"]).assert().code(0);
    s.cmd("diff", &[])
        .assert()
        .code(1)
        .stdout(contains("removes deny rule `Bash(rm -rf:*)`"));
}

/// `claude-env sync` on a pseudo-terminal, answering the question with `answer`; returns
/// whether it exited 0 and what it printed.
fn sync_on_a_terminal(s: &Setup, answer: &str) -> (bool, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("claude-env"));
    cmd.env_clear()
        .env("HOME", s.home.path())
        .env("XDG_CACHE_HOME", s.home.path().join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("TERM", "dumb")
        .args(["sync", "--env", "dev", "--team", "backend", "--repo"])
        .arg(s.repo.work_dir());
    let timeout = Duration::from_secs(60).as_millis() as u64;
    let mut p = rexpect::session::spawn_command(cmd, Some(timeout)).expect("spawn on a pty");
    let (before, _) = p
        .exp_regex(r"Apply 1 security change \(listed above\)\? \[y/N\] ")
        .expect("the question");
    p.send_line(answer).expect("answer");
    let rest = p.exp_eof().expect("exit");
    let status = p.process().wait().expect("wait");
    let ok = matches!(status, rexpect::process::WaitStatus::Exited(_, 0));
    (ok, format!("{before}{rest}"))
}

#[test]
fn on_a_terminal_sync_asks_before_a_security_change() {
    let s = Setup::new();
    s.cmd("sync", &["--yes"]).assert().code(0);
    s.commit("teams/backend/settings.yaml", ALLOW_BASH);
    let before = s.settings_json();

    let (ok, out) = sync_on_a_terminal(&s, "n");
    assert!(!ok, "declining exits 1:\n{out}");
    assert!(out.contains("allows any Bash command"), "{out}");
    assert!(
        out.contains("not applied: 1 security change declined"),
        "{out}"
    );
    assert_eq!(s.settings_json(), before);

    let (ok, out) = sync_on_a_terminal(&s, "y");
    assert!(ok, "{out}");
    assert!(out.contains("synced dev/backend"), "{out}");
    assert!(s.settings_json().contains("\"Bash\""));
}
