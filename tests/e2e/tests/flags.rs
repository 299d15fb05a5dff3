//! Controller flags do what docs/operations.md says (issue 11): the documented set is the
//! set `--help` lists, and the flags no other test needs are exercised here against the real
//! control plane.

use std::collections::BTreeSet;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, condition};
use claude_env_e2e::controller::{Options, bin};
use claude_env_e2e::envs::{lease_holder, ready_at};
use claude_env_e2e::{
    ConfigRepo, Controller, TestNamespace, condition_of, environment, repo_root, wait,
};
use kube::api::{Api, PostParams};
use serde_json::json;

/// `--flag` names in the controller's `--help`.
fn help_flags() -> BTreeSet<String> {
    let out = std::process::Command::new(bin("claude-env-controller"))
        .arg("--help")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .map(|l| l.split([' ', '<']).next().unwrap().to_string())
        .filter(|f| f != "help" && f != "version")
        .collect()
}

/// `--flag` names of the flag table in docs/operations.md ("Controller flags").
fn documented_flags() -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo_root().join("docs/operations.md")).unwrap();
    let section = doc
        .split("## Controller flags")
        .nth(1)
        .expect("docs/operations.md has a Controller flags section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| `--"))
        .map(|l| l.split(['`', ' ', '=']).next().unwrap().to_string())
        .collect()
}

#[test]
fn every_flag_is_documented_and_every_documented_flag_exists() {
    let help = help_flags();
    assert!(help.len() >= 20, "{help:?}");
    assert_eq!(documented_flags(), help);
}

/// An environment without `spec.source.branch`.
fn branchless(name: &str, url: &str, environment_name: &str) -> ClaudeEnvironment {
    let mut e = environment(name, url, environment_name, "backend", json!({}));
    e.spec.source.branch = None;
    e
}

async fn applied(envs: &Api<ClaudeEnvironment>, name: &str, revision: &str) {
    ready_at(envs, name, revision, Duration::from_secs(90)).await;
}

#[tokio::test]
async fn branch_flags_choose_the_branch_an_environment_follows() {
    let ns = TestNamespace::new("flags-branch").await;
    let repo = ConfigRepo::example();
    repo.repo.create_branch("release");
    let release = repo.change(
        "teams/backend/release-note.yaml",
        "metadata:\n  note: release\n",
        "release only",
    );
    repo.repo.push_branch("release").checkout("main");
    let main = repo.head();
    let _ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec![
                "--environment-branch".into(),
                "staging=release".into(),
                "--default-branch".into(),
                "main".into(),
                "--concurrency".into(),
                "1".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    for (name, environment_name) in [("st", "staging"), ("prod", "production")] {
        envs.create(
            &PostParams::default(),
            &branchless(name, &repo.url, environment_name),
        )
        .await
        .unwrap();
    }
    applied(&envs, "st", &release).await;
    applied(&envs, "prod", &main).await;
}

#[tokio::test]
async fn the_lease_is_where_the_flags_say_and_logs_are_json() {
    let ns = TestNamespace::new("flags-lease").await;
    let leases = TestNamespace::new("flags-leases").await;
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            leader_elect: true,
            extra_args: vec![
                "--leader-elect-lease".into(),
                "team-a-shard".into(),
                "--leader-elect-namespace".into(),
                leases.name.clone(),
                "--log-format".into(),
                "json".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let holder = wait::until("the lease", Duration::from_secs(30), || async {
        lease_holder(&leases, "team-a-shard")
            .await
            .ok_or_else(|| "no holder".to_string())
    })
    .await;
    assert_eq!(holder, format!("controller-{}", ctl.metrics_port));
    let logs = ctl.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
    }
}

#[tokio::test]
async fn a_fetch_timeout_above_the_maximum_is_refused() {
    let ns = TestNamespace::new("flags-timeout").await;
    let repo = ConfigRepo::example();
    let _ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec!["--max-fetch-timeout".into(), "20s".into()],
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    for (name, timeout) in [("slow", "30s"), ("fine", "20s")] {
        envs.create(
            &PostParams::default(),
            &environment(
                name,
                &repo.url,
                "development",
                "backend",
                json!({"source": {"timeout": timeout}}),
            ),
        )
        .await
        .unwrap();
    }
    let message = wait::until("slow refused", Duration::from_secs(60), || async {
        let e = envs.get("slow").await.map_err(|e| e.to_string())?;
        match condition_of(&e, condition::STALLED) {
            Some((s, r, m)) if s == "True" && r == "TimeoutOutOfRange" => Ok(m),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(message.contains("--max-fetch-timeout"), "{message}");
    applied(&envs, "fine", &repo.head()).await;
}

#[tokio::test]
async fn the_git_cache_is_capped_and_a_stalled_git_server_is_cut_off() {
    let ns = TestNamespace::new("flags-cache").await;
    let repos = [ConfigRepo::example(), ConfigRepo::example()];
    let silent = claude_env_testkit::SilentServer::start();
    // A cap smaller than one repository: each fetch evicts the other repository.
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec![
                "--cache-max-bytes".into(),
                "1000".into(),
                "--git-socket-timeout".into(),
                "2s".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    for (i, repo) in repos.iter().enumerate() {
        envs.create(
            &PostParams::default(),
            &environment(
                &format!("e{i}"),
                &repo.url,
                "development",
                "backend",
                json!({}),
            ),
        )
        .await
        .unwrap();
        ready_at(
            &envs,
            &format!("e{i}"),
            &repo.head(),
            Duration::from_secs(90),
        )
        .await;
    }
    let m = ctl.metrics().await;
    assert!(
        claude_env_e2e::metric(&m, "claude_env_git_cache_evictions_total", &[]).unwrap_or(0.0)
            >= 1.0,
        "{m}"
    );
    // A server that accepts and never answers: the fetch fails at the socket timeout, far
    // inside the 60s fetch timeout.
    envs.create(
        &PostParams::default(),
        &environment(
            "stuck",
            &silent.http_url("repo.git"),
            "development",
            "backend",
            json!({}),
        ),
    )
    .await
    .unwrap();
    let message = wait::until(
        "the stalled fetch fails",
        Duration::from_secs(30),
        || async {
            let e = envs.get("stuck").await.map_err(|e| e.to_string())?;
            match condition_of(&e, condition::READY) {
                Some((s, r, m)) if s == "False" && r == "GitOperationFailed" => Ok(m),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert!(
        message.contains("timed out") || message.contains("timeout"),
        "{message}"
    );
}
