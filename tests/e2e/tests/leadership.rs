//! A leader that stalls (a long GC pause, a frozen node) and wakes after a standby took over
//! must not write what it decided before: its status writes are conditional on the version
//! it read, so the newer rollout state stands (issue 11, crash consistency).

use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, RolloutPhase, annotations};
use claude_env_e2e::controller::Options;
use claude_env_e2e::envs::lease_holder;
use claude_env_e2e::{ConfigRepo, Controller, TestNamespace, annotate, environment, wait};
use kube::api::{Api, PostParams};
use serde_json::json;

async fn rollout(envs: &Api<ClaudeEnvironment>) -> (RolloutPhase, Option<String>) {
    let e = envs.get("be").await.unwrap();
    let r = e.status.and_then(|s| s.rollout).unwrap_or_default();
    (r.phase, r.revision)
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

#[tokio::test]
async fn a_leader_that_wakes_after_a_takeover_does_not_overwrite_the_newer_rollout() {
    let ns = TestNamespace::new("stale").await;
    let repo = ConfigRepo::example();
    let opts = || Options {
        leader_elect: true,
        ..Default::default()
    };
    let mut first = Controller::start_with(&ns.name, opts()).await;
    let first_id = format!("controller-{}", first.metrics_port);
    wait::until("first replica leads", Duration::from_secs(30), || async {
        match lease_holder(&ns, "claude-env-controller").await {
            Some(h) if h == first_id => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let second = Controller::start_with(&ns.name, opts()).await;
    let second_id = format!("controller-{}", second.metrics_port);

    let envs: Api<ClaudeEnvironment> = ns.api();
    let canary = json!({"source": {"interval": "2s"}, "strategy": {"type": "Canary",
        "canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}}});
    envs.create(
        &PostParams::default(),
        &environment("be", &repo.url, "staging", "backend", canary),
    )
    .await
    .unwrap();
    let first_rev = repo.head();
    wait::until(
        "the first revision succeeded",
        Duration::from_secs(90),
        || async {
            match rollout(&envs).await {
                (RolloutPhase::Succeeded, Some(r)) if r == first_rev => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;

    // A new revision stops at the approval pause, decided by the first replica.
    let next = repo.change(
        "teams/backend/stale-note.yaml",
        "metadata:\n  note: a canary that waits\n",
        "a canary that waits",
    );
    wait::until("the canary paused", Duration::from_secs(90), || async {
        match rollout(&envs).await {
            (RolloutPhase::Paused, Some(r)) if r == next => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;

    // The leader freezes; the standby takes over and finishes the rollout.
    let frozen = first.pid().unwrap();
    signal(frozen, "-STOP");
    wait::until("the standby leads", Duration::from_secs(60), || async {
        match lease_holder(&ns, "claude-env-controller").await {
            Some(h) if h == second_id => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    annotate(&envs, "be", annotations::APPROVE, &next).await;
    wait::until(
        "promoted by the new leader",
        Duration::from_secs(90),
        || async {
            match rollout(&envs).await {
                (RolloutPhase::Succeeded, Some(r)) if r == next => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    let settled = envs.get("be").await.unwrap().status.unwrap();

    // The old leader wakes with its Paused view of the world. It may reconcile once before
    // it sees the lease is gone; whatever it decided must not land.
    signal(frozen, "-CONT");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while first.is_running() {
        assert!(
            std::time::Instant::now() < deadline,
            "the stale leader did not exit after losing the lease"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = envs.get("be").await.unwrap().status.unwrap();
    assert_eq!(
        after.rollout, settled.rollout,
        "the rollout state regressed"
    );
    assert_eq!(after.last_applied_revision.as_deref(), Some(next.as_str()));
    assert_eq!(
        lease_holder(&ns, "claude-env-controller").await.as_deref(),
        Some(second_id.as_str())
    );
}
