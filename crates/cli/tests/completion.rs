//! Shell completions and man pages, generated from the clap definitions: every command is
//! in them, and the scripts are valid for their shells.

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use clap::CommandFactory;
use predicates::str::contains;

fn claude_env() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_claude-env"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

fn commands() -> Vec<String> {
    claude_env_cli::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

fn completion(shell: &str) -> String {
    let out = claude_env().args(["completion", shell]).assert().code(0);
    String::from_utf8(out.get_output().stdout.clone()).expect("utf-8")
}

fn shell_exists(shell: &str) -> bool {
    Process::new(shell)
        .arg("-c")
        .arg("true")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `SHELL -n FILE` (syntax only, runs nothing).
fn syntax_ok(shell: &str, script: &str, dir: &Path) {
    let file = dir.join(format!("claude-env.{shell}"));
    std::fs::write(&file, script).unwrap();
    let flag = if shell == "fish" {
        "--no-execute"
    } else {
        "-n"
    };
    let out = Process::new(shell)
        .arg(flag)
        .arg(&file)
        .output()
        .expect("shell runs");
    assert!(
        out.status.success(),
        "{shell}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_cover_every_command_and_parse_in_their_shell() {
    let dir = tempfile::tempdir().unwrap();
    assert!(commands().len() >= 11, "{:?}", commands());
    for shell in ["bash", "zsh", "fish"] {
        let script = completion(shell);
        for c in commands() {
            assert!(script.contains(&c), "{shell}: no `{c}`");
        }
        for flag in ["base", "from-template", "dry-run", "markdown"] {
            assert!(script.contains(flag), "{shell}: no {flag}");
        }
        // bash is everywhere; zsh and fish are checked where they are installed.
        if shell == "bash" || shell_exists(shell) {
            syntax_ok(shell, &script, dir.path());
        }
    }
    claude_env().args(["completion", "tcsh"]).assert().code(2);
}

#[test]
fn man_pages_are_written_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    claude_env()
        .arg("man")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(contains("claude-env-init-repo.1"));
    let mut pages = vec!["claude-env".to_string()];
    pages.extend(commands().iter().map(|c| format!("claude-env-{c}")));
    pages.extend(
        ["init-repo", "init-team", "init-project", "init-templates"]
            .map(|s| format!("claude-env-{s}")),
    );
    for p in &pages {
        let page = std::fs::read_to_string(dir.path().join(format!("{p}.1")))
            .unwrap_or_else(|e| panic!("{p}.1: {e}"));
        assert!(
            page.starts_with(".ie") || page.contains(".TH"),
            "{p}: not roff"
        );
    }
    let diff = std::fs::read_to_string(dir.path().join("claude-env-diff.1")).unwrap();
    assert!(diff.contains("base") && diff.contains("markdown"), "{diff}");
    assert!(
        !dir.path().join("claude-env-man.1").exists(),
        "the hidden command has no page"
    );
    // Hidden from --help, as it is a packaging tool.
    let help = claude_env().arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(
        help.contains("completion") && help.contains("init"),
        "{help}"
    );
    assert!(
        !help.lines().any(|l| l.trim_start().starts_with("man ")),
        "{help}"
    );
}

#[test]
fn the_reference_documents_every_command() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md"))
            .expect("docs/cli.md");
    let cli = claude_env_cli::cli::Cli::command();
    let mut missing = Vec::new();
    for c in cli.get_subcommands() {
        let mut names = vec![c.get_name().to_string()];
        names.extend(
            c.get_subcommands()
                .map(|s| format!("{} {}", c.get_name(), s.get_name())),
        );
        if c.has_subcommands() {
            names.remove(0);
        }
        for n in names {
            if !doc.contains(&format!("### `{n}")) && !doc.contains(&format!(", `{n}")) {
                missing.push(n);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/cli.md has no section for {missing:?}"
    );
}
