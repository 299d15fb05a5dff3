//! The first things a newcomer runs: `make demo-cli` (hack/demo-cli.sh) works from start to
//! end without a cluster, with this build's CLI.

use std::process::Command;

use claude_env_e2e::controller::bin;
use claude_env_e2e::repo_root;

#[test]
fn the_cli_demo_runs_from_start_to_end() {
    let cli = bin("claude-env");
    let out = Command::new(repo_root().join("hack/demo-cli.sh"))
        // Built already (by the harness, like the other binaries these tests run).
        .env("CARGO", "true")
        .env("CARGO_TARGET_DIR", cli.parent().unwrap().parent().unwrap())
        .env("NO_COLOR", "1")
        .output()
        .expect("run hack/demo-cli.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!(
        "{stdout}\n--- stderr\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    for expected in [
        "✔ ok: ",
        "✔ synced production/backend @ ",
        "local changes in ",
        "[exit 1]",
        "Try next",
    ] {
        assert!(stdout.contains(expected), "{expected:?} in\n{all}");
    }
    let after_rollback = stdout
        .split("(the local edit is back)\n")
        .nth(1)
        .expect("the rollback step");
    assert!(
        after_rollback
            .lines()
            .take(2)
            .any(|l| l == "- My own reminder."),
        "rollback restores the local edit: {all}"
    );
    assert!(!stdout.contains("refusing"), "{all}");
    assert!(!stdout.contains("\u{1b}["), "NO_COLOR: {all}");
}
