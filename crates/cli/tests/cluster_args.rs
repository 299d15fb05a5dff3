//! Cluster mode without a cluster: which arguments select it, what cannot be combined, the
//! patch `--dry-run` prints, and the exit code and message when the API server is not
//! there. (The commands against a real cluster are in tests/e2e/tests/cli_cluster.rs.)

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::str::contains;

fn claude_env(home: &Path) -> Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("claude-env");
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// A kubeconfig for an API server that is not listening (port 1), namespace `team-be`.
fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\ncurrent-context: test\n\
         clusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\n\
         contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: team-be\n\
         users:\n- name: test\n  user:\n    token: not-a-real-token\n",
    )
    .unwrap();
    path
}

#[test]
fn reconcile_dry_run_prints_the_merge_patch_and_sends_nothing() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(home.path());
    let out = claude_env(home.path())
        .args(["reconcile", "payments", "--dry-run", "--kubeconfig"])
        .arg(&kubeconfig)
        .assert()
        .code(0)
        .stdout(contains(
            "would patch ClaudeEnvironment team-be/payments (merge patch, nothing sent):",
        ))
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
    let value = json["metadata"]["annotations"]["claude-env.io/reconcile"]
        .as_str()
        .unwrap();
    assert!(
        value.len() == 24 && value.ends_with('Z') && value.as_bytes()[10] == b'T',
        "{value}"
    );
    assert_eq!(json.as_object().unwrap().len(), 1, "only metadata");
}

#[test]
fn an_unreachable_cluster_is_a_runtime_error() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(home.path());
    // The kubeconfig's namespace is the default.
    claude_env(home.path())
        .args(["status", "--kubeconfig"])
        .arg(&kubeconfig)
        .assert()
        .code(2)
        .stderr(contains(
            "error: listing ClaudeEnvironments in namespace team-be: ",
        ));
    // KUBECONFIG is honoured once cluster mode is selected.
    claude_env(home.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["history", "payments", "-n", "other"])
        .assert()
        .code(2)
        .stderr(contains("reading ClaudeEnvironment other/payments: "));
    claude_env(home.path())
        .args(["status", "--cluster", "--kubeconfig"])
        .arg(home.path().join("missing"))
        .assert()
        .code(2)
        .stderr(contains("cannot load the Kubernetes configuration"));
}

#[test]
fn kubeconfig_alone_leaves_status_local() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(home.path());
    claude_env(home.path())
        .env("KUBECONFIG", &kubeconfig)
        .args(["status"])
        .assert()
        .code(0)
        .stdout(contains("synced:      never"));
}

#[test]
fn local_and_cluster_options_do_not_mix() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["status", "--target", "/tmp/x", "-n", "ns"][..],
        &["status", "payments", "--local"],
        &["status", "-A", "-n", "ns"],
        &["status", "payments", "-A"],
        &["history", "payments", "--target", "/tmp/x"],
        &["rollback", "payments", "--force"],
        &["rollback", "--target", "/tmp/x", "--wait"],
        &["diff", "payments", "--target", "/tmp/x"],
        &["reconcile"],
        &["approve", "--revision", "abc"],
        &["reconcile", "payments", "--timeout", "1m"],
    ] {
        // A usage error from the parser, before any connection.
        claude_env(home.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(contains("Usage:"));
    }
}

#[test]
fn cluster_commands_that_need_a_name_say_so() {
    let home = tempfile::tempdir().unwrap();
    let kubeconfig = unreachable_kubeconfig(home.path());
    claude_env(home.path())
        .args(["history", "--cluster", "--kubeconfig"])
        .arg(&kubeconfig)
        .assert()
        .code(2)
        .stderr(contains("history in a cluster needs the ClaudeEnvironment"));
    claude_env(home.path())
        .args(["rollback", "-n", "team-be", "--to", "abc1234"])
        .assert()
        .code(2)
        .stderr(contains(
            "rollback in a cluster needs the ClaudeEnvironment",
        ));
    // A local diff still needs its selection.
    claude_env(home.path())
        .args(["diff", "--env", "prod"])
        .assert()
        .code(2)
        .stderr(contains("--team"));
}

#[test]
fn help_explains_when_commands_act_on_a_cluster() {
    let home = tempfile::tempdir().unwrap();
    claude_env(home.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(contains("Cluster mode:"))
        .stdout(contains("KUBECONFIG alone does not switch"));
    claude_env(home.path())
        .args(["rollback", "--help"])
        .assert()
        .code(0)
        .stdout(contains("--wait"))
        .stdout(contains("--kubeconfig"));
}
