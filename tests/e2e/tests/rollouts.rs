//! Progressive delivery against the real control plane (issue 5): canary and blue-green
//! rollouts of commits to config-repo-example, health checks against a real MCP server and a
//! real Prometheus, approvals, automatic rollback, and a controller killed mid-rollout.
//!
//! Each test runs the controller binary for its own namespace. Rollouts are recorded with
//! watches ([`Timeline`]): every status write and every Deployment/Service change is seen,
//! so "each step in order" and "never touched" are proven, not sampled.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::time::{Duration, Instant};

use claude_env_api::{
    ClaudeEnvironment, Color, RolloutPhase, RolloutStatus, annotations, condition,
};
use claude_env_e2e::controller::Options;
use claude_env_e2e::timeline::Timeline;
use claude_env_e2e::{
    ConfigRepo, Controller, TestNamespace, annotate, condition_of, environment, image, metric, wait,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Service;
use kube::api::{Api, PostParams};
use kube::runtime::watcher;
use serde_json::{Value, json};

const STAGING_MCP: &str = "environments/staging/mcp-deploy.yaml";
const CONTEXT7_IMAGE: &str = "ghcr.io/claude-env/context7-mcp:1.4.2";
/// How context7's pods behave on the local control plane (KWOK stages of `tests/cluster`).
#[derive(Clone, Copy)]
enum Pods {
    Healthy,
    /// Never Ready, restarting every 10 s (the `claude-env.io/simulate: crashloop` label).
    CrashLoop,
    /// Ready `SLOW_START` after they start (the `claude-env.io/simulate-delay` annotation).
    Slow,
}

const SLOW_START: Duration = Duration::from_secs(5);

// ---- the config repository --------------------------------------------------------------

/// staging's `mcp-deploy.yaml` with context7 at `image` and `replicas`, its pods as `pods`
/// say. sequential-thinking stays as in the example.
fn staging_mcp(original: &str, image: &str, replicas: u32, pods: Pods) -> String {
    assert!(original.contains(CONTEXT7_IMAGE), "the example changed");
    let s = original.replace(CONTEXT7_IMAGE, image).replacen(
        "      port: 8080\n      replicas: 1\n",
        &format!("      port: 8080\n      replicas: {replicas}\n"),
        1,
    );
    // context7 comes first: its labels, not sequential-thinking's.
    let labels = "      labels:\n        tier: mcp\n";
    let extra = match pods {
        Pods::Healthy => return s,
        Pods::CrashLoop => "        claude-env.io/simulate: crashloop\n".to_owned(),
        Pods::Slow => format!(
            "      annotations:\n        claude-env.io/simulate-delay: {}s\n",
            SLOW_START.as_secs()
        ),
    };
    s.replacen(labels, &format!("{labels}{extra}"), 1)
}

/// The example, plus a commit giving context7 `replicas` (before any environment exists).
struct Repo {
    repo: ConfigRepo,
    original: String,
}

impl Repo {
    fn staging(replicas: u32) -> Repo {
        let repo = ConfigRepo::example();
        let original = repo.read(STAGING_MCP);
        if replicas != 1 {
            repo.change(
                STAGING_MCP,
                &staging_mcp(&original, CONTEXT7_IMAGE, replicas, Pods::Healthy),
                &format!("context7: {replicas} replicas"),
            );
        }
        Repo { repo, original }
    }

    /// Commit context7 at `tag` with its pods as `pods` say; returns the SHA.
    fn context7(&self, tag: &str, replicas: u32, pods: Pods) -> String {
        let image = format!("ghcr.io/claude-env/context7-mcp:{tag}");
        self.repo.change(
            STAGING_MCP,
            &staging_mcp(&self.original, &image, replicas, pods),
            &format!(
                "context7 {tag}{}",
                match pods {
                    Pods::Healthy => "",
                    Pods::CrashLoop => " (crash-looping)",
                    Pods::Slow => " (slow to start)",
                }
            ),
        )
    }
}

// ---- each test's setup --------------------------------------------------------------------

/// What every test starts from: a namespace of its own, [`Repo::staging`]`(replicas)`, the
/// controller for the namespace, and environment `name` of team backend created with `spec`.
async fn setup(
    prefix: &str,
    replicas: u32,
    name: &str,
    env: &str,
    spec: Value,
) -> (TestNamespace, Repo, Controller, Api<ClaudeEnvironment>) {
    setup_with(prefix, replicas, Options::default(), name, env, spec).await
}

async fn setup_with(
    prefix: &str,
    replicas: u32,
    opts: Options,
    name: &str,
    env: &str,
    spec: Value,
) -> (TestNamespace, Repo, Controller, Api<ClaudeEnvironment>) {
    let ns = TestNamespace::new(prefix).await;
    let repo = Repo::staging(replicas);
    let ctl = Controller::start_with(&ns.name, opts).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(name, &repo.repo.url, env, "backend", spec),
    )
    .await
    .unwrap();
    (ns, repo, ctl, envs)
}

// ---- specs -------------------------------------------------------------------------------

/// Fast health settings for tests, merged with `extra`.
fn health(extra: Value) -> Value {
    let mut h = json!({
        "interval": "1s",
        "timeout": "60s",
        "readiness": {"progressDeadline": "10s"},
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        h[k] = v;
    }
    h
}

fn canary(steps: Value, health_extra: Value) -> Value {
    json!({
        "source": {"interval": "10m"},
        "strategy": {"type": "Canary", "canary": {"steps": steps}},
        "healthChecks": health(health_extra),
    })
}

// ---- reading status and objects ----------------------------------------------------------

fn rollout_of(env: &ClaudeEnvironment) -> RolloutStatus {
    env.status
        .as_ref()
        .and_then(|s| s.rollout.clone())
        .unwrap_or_default()
}

fn short(rev: &str) -> &str {
    &rev[..8]
}

/// Waits until `name`'s rollout of `revision` satisfies `done`; returns the environment.
async fn rollout_until(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    what: &str,
    timeout: Duration,
    done: impl Fn(&RolloutStatus) -> bool,
) -> ClaudeEnvironment {
    wait::until(what, timeout, || async {
        let env = api.get(name).await.map_err(|e| e.to_string())?;
        let r = rollout_of(&env);
        if done(&r) {
            Ok(env)
        } else {
            Err(format!(
                "phase={:?} step={:?} weight={:?} revision={:?} message={:?}",
                r.phase,
                r.step,
                r.weight,
                r.revision.as_deref().map(short),
                r.message
            ))
        }
    })
    .await
}

/// Waits until `revision` is rolled out (phase Succeeded) and `name` is Ready.
async fn succeeded(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    revision: &str,
    timeout: Duration,
) -> ClaudeEnvironment {
    let env = rollout_until(
        api,
        name,
        &format!("{name}: {} rolled out", short(revision)),
        timeout,
        |r| r.phase == RolloutPhase::Succeeded && r.revision.as_deref() == Some(revision),
    )
    .await;
    wait::until(
        &format!("{name} Ready"),
        Duration::from_secs(30),
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            match condition_of(&env, condition::READY) {
                Some((s, _, _)) if s == "True" => Ok(()),
                c => Err(format!("{c:?}")),
            }
        },
    )
    .await;
    env
}

/// Waits until `revision` was rolled back (phase RolledBack, held as the failed revision).
async fn rolled_back(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    revision: &str,
    timeout: Duration,
) -> ClaudeEnvironment {
    rollout_until(
        api,
        name,
        &format!("{name}: {} rolled back", short(revision)),
        timeout,
        |r| r.phase == RolloutPhase::RolledBack && r.failed_revision.as_deref() == Some(revision),
    )
    .await
}

/// Forces a reconcile and waits until the controller handled it.
async fn reconcile_now(api: &Api<ClaudeEnvironment>, name: &str, value: &str) {
    annotate(api, name, annotations::RECONCILE, value).await;
    wait::until(
        &format!("reconcile {value} handled"),
        Duration::from_secs(30),
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            let handled = env.status.and_then(|s| s.last_handled_reconcile_at);
            if handled.as_deref() == Some(value) {
                Ok(())
            } else {
                Err(format!("handled {handled:?}"))
            }
        },
    )
    .await;
}

/// The rollout as a watch saw it: (phase, step, weight, revision), one entry per change.
type Step = (RolloutPhase, Option<i32>, Option<i32>, Option<String>);

fn rollout_timeline(api: &Api<ClaudeEnvironment>, name: &str) -> Timeline<Step> {
    Timeline::start(
        api.clone(),
        watcher::Config::default().fields(&format!("metadata.name={name}")),
        |env: &ClaudeEnvironment| {
            let r = rollout_of(env);
            Some((r.phase, r.step, r.weight, r.revision))
        },
    )
}

/// (phase, step, weight) of the rollout of `revision`, in order.
fn steps_of(
    t: &Timeline<Step>,
    name: &str,
    revision: &str,
) -> Vec<(RolloutPhase, Option<i32>, Option<i32>)> {
    let mut out: Vec<(RolloutPhase, Option<i32>, Option<i32>)> = Vec::new();
    for (phase, step, weight, rev) in t.of(name) {
        if rev.as_deref() == Some(revision) && out.last() != Some(&(phase, step, weight)) {
            out.push((phase, step, weight));
        }
    }
    out
}

/// A Deployment as far as a rollout changes it.
#[derive(Clone, Debug, PartialEq)]
struct Dep {
    replicas: i32,
    generation: i64,
    template: Value,
}

fn deployment_timeline(ns: &TestNamespace) -> Timeline<Dep> {
    Timeline::start(
        ns.api::<Deployment>(),
        watcher::Config::default(),
        |d: &Deployment| {
            let spec = d.spec.as_ref()?;
            Some(Dep {
                replicas: spec.replicas.unwrap_or(1),
                generation: d.metadata.generation.unwrap_or(0),
                template: serde_json::to_value(&spec.template).unwrap(),
            })
        },
    )
}

fn service_timeline(ns: &TestNamespace) -> Timeline<Value> {
    Timeline::start(
        ns.api::<Service>(),
        watcher::Config::default(),
        |s: &Service| Some(serde_json::to_value(s.spec.as_ref()?.selector.as_ref()?).unwrap()),
    )
}

fn template_image(t: &Value) -> &str {
    t["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default()
}

/// (spec.replicas, status.availableReplicas) of a live Deployment; `None` when absent.
async fn replicas(ns: &TestNamespace, name: &str) -> Option<(i32, i32)> {
    let d = ns.api::<Deployment>().get_opt(name).await.unwrap()?;
    let spec = d.spec.as_ref().map_or(1, |s| s.replicas.unwrap_or(1));
    let status = d.status.as_ref();
    let available = status.and_then(|s| s.available_replicas).unwrap_or(0);
    let total = status.and_then(|s| s.replicas).unwrap_or(0);
    // Available counts only once the old pods of a scale-down are gone too.
    Some((spec, if total > spec { -1 } else { available }))
}

/// Waits, while the rollout of `revision` is at canary `step`, until the stable and canary
/// Deployments of context7 run `split` = (stable, canary) pods, all available.
async fn split_at_step(
    ns: &TestNamespace,
    api: &Api<ClaudeEnvironment>,
    name: &str,
    revision: &str,
    step: i32,
    split: (i32, i32),
) {
    let stable = format!("{name}-context7");
    let canary = format!("{name}-context7-canary");
    wait::until(
        &format!("step {step}: context7 split {split:?}"),
        Duration::from_secs(30),
        || async {
            let r = rollout_of(&api.get(name).await.map_err(|e| e.to_string())?);
            if r.revision.as_deref() != Some(revision) {
                return Err(format!("not rolling out yet: {:?}", r.revision));
            }
            if r.step.is_none_or(|s| s > step) {
                panic!(
                    "the rollout moved past step {step} before the split {split:?} was seen: {r:?}"
                );
            }
            let got = (replicas(ns, &stable).await, replicas(ns, &canary).await);
            let want = (Some((split.0, split.0)), Some((split.1, split.1)));
            if r.step == Some(step) && got == want {
                Ok(())
            } else {
                Err(format!("step {:?}, (stable, canary) = {got:?}", r.step))
            }
        },
    )
    .await;
}

fn count(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metric(text, name, labels).unwrap_or(0.0)
}

// ---- 1. canary success -------------------------------------------------------------------

#[tokio::test]
async fn canary_walks_each_step_with_the_replica_split_then_promotes() {
    let started = Instant::now();
    let spec = canary(
        json!([{"setWeight": 25}, {"pause": {"duration": "3s"}}, {"setWeight": 50}, {"pause": {"duration": "3s"}}]),
        json!({}),
    );
    let (ns, repo, ctl, envs) = setup("canary-ok", 4, "cn", "staging", spec).await;
    let first = repo.repo.head();
    // A first deploy has nothing to split with: applied at once.
    succeeded(&envs, "cn", &first, Duration::from_secs(90)).await;
    assert_eq!(replicas(&ns, "cn-context7").await, Some((4, 4)));
    let before = count(
        &ctl.metrics().await,
        "claude_env_rollouts_total",
        &[("strategy", "canary"), ("result", "success")],
    );

    let rollout = rollout_timeline(&envs, "cn").listed().await;
    let deployments = deployment_timeline(&ns).listed().await;
    let next = repo.context7("1.5.0", 4, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);

    // 25%: 3 stable + 1 canary; 50%: 2 + 2 (the pause steps hold each split for 3 s).
    split_at_step(&ns, &envs, "cn", &next, 1, (3, 1)).await;
    split_at_step(&ns, &envs, "cn", &next, 3, (2, 2)).await;
    let env = succeeded(&envs, "cn", &next, Duration::from_secs(60)).await;
    let took = started.elapsed();

    let steps = steps_of(&rollout, "cn", &next);
    use RolloutPhase::*;
    assert_eq!(
        steps,
        vec![
            (Progressing, Some(0), Some(25)),
            (Progressing, Some(1), Some(25)),
            (Progressing, Some(2), Some(50)),
            (Progressing, Some(3), Some(50)),
            (Promoting, None, None),
            (Succeeded, None, None),
        ],
        "the rollout of {} as the API server saw it",
        short(&next)
    );
    let status = env.status.unwrap();
    assert_eq!(
        status.last_known_good_revision.as_deref(),
        Some(next.as_str())
    );
    assert_eq!(status.last_applied_revision.as_deref(), Some(next.as_str()));
    // Promoted: the stable Deployment runs the new image at full size, the canary is gone.
    let live = ns.api::<Deployment>().get("cn-context7").await.unwrap();
    assert!(image(&live).ends_with(":1.5.0"), "{}", image(&live));
    assert_eq!(replicas(&ns, "cn-context7").await, Some((4, 4)));
    wait::until("canary removed", Duration::from_secs(30), || async {
        match replicas(&ns, "cn-context7-canary").await {
            None | Some((0, _)) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    // The stable Deployment kept the old template until promotion: every template it showed
    // before the last one ran the old image, and its replicas went 4 → 3 → 2 → 4.
    let stable = deployments.of("cn-context7");
    let images: Vec<&str> = stable.iter().map(|d| template_image(&d.template)).collect();
    let first_new = images.iter().position(|i| i.ends_with(":1.5.0")).unwrap();
    assert!(
        images[..first_new].iter().all(|i| *i == CONTEXT7_IMAGE),
        "{images:?}"
    );
    let sizes: Vec<i32> = stable[..first_new].iter().map(|d| d.replicas).collect();
    assert_eq!(sizes, vec![4, 3, 2], "stable replicas during the canary");
    let canary_sizes: Vec<i32> = deployments
        .of("cn-context7-canary")
        .iter()
        .map(|d| d.replicas)
        .collect();
    assert_eq!(canary_sizes, vec![1, 2], "canary replicas");
    assert!(deployments.deleted("cn-context7-canary"));

    let m = ctl.metrics().await;
    assert_eq!(
        count(
            &m,
            "claude_env_rollouts_total",
            &[("strategy", "canary"), ("result", "success")]
        ),
        before + 1.0
    );
    assert_eq!(
        metric(&m, "claude_env_canary_weight", &[("name", "cn")]),
        Some(0.0)
    );
    eprintln!("canary success: {took:?} in all");
}

// ---- 2. canary crash loop ----------------------------------------------------------------

#[tokio::test]
async fn crash_looping_canary_rolls_back_without_touching_stable_and_is_not_retried() {
    let started = Instant::now();
    let spec = canary(
        json!([{"setWeight": 25}, {"pause": {"duration": "3s"}}, {"setWeight": 50}]),
        json!({}),
    );
    let (ns, repo, ctl, envs) = setup("canary-crash", 4, "cc", "staging", spec).await;
    let good = repo.repo.head();
    succeeded(&envs, "cc", &good, Duration::from_secs(90)).await;
    let stable_before = ns.api::<Deployment>().get("cc-context7").await.unwrap();
    let template_before =
        serde_json::to_value(&stable_before.spec.as_ref().unwrap().template).unwrap();

    let deployments = deployment_timeline(&ns).listed().await;
    let bad = repo.context7("1.5.0", 4, Pods::CrashLoop);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let decided = Instant::now();
    let env = rolled_back(&envs, "cc", &bad, Duration::from_secs(60)).await;
    eprintln!("crash loop → RolledBack in {:?}", decided.elapsed());

    let r = rollout_of(&env);
    let message = r.message.clone().unwrap_or_default();
    assert!(message.contains("crash-looping"), "{message}");
    assert!(message.contains(&bad[..7]), "{message}");
    let (ready, reason, _) = condition_of(&env, condition::READY).unwrap();
    assert_eq!((ready.as_str(), reason.as_str()), ("False", "RolledBack"));
    let status = env.status.clone().unwrap();
    assert_eq!(
        status.last_known_good_revision.as_deref(),
        Some(good.as_str())
    );
    assert_eq!(r.failed_revision.as_deref(), Some(bad.as_str()));

    // Stable restored to full size, the canary gone; the rollback's duration is recorded once
    // stable is Available again.
    wait::until(
        "stable restored, canary gone",
        Duration::from_secs(30),
        || async {
            let s = replicas(&ns, "cc-context7").await;
            let c = replicas(&ns, "cc-context7-canary").await;
            if s == Some((4, 4)) && matches!(c, None | Some((0, _))) {
                Ok(())
            } else {
                Err(format!("stable {s:?} canary {c:?}"))
            }
        },
    )
    .await;
    let m = wait::until(
        "rollback duration recorded",
        Duration::from_secs(30),
        || async {
            let m = ctl.metrics().await;
            if count(&m, "claude_env_rollback_duration_seconds_count", &[]) >= 1.0 {
                Ok(m)
            } else {
                Err("no rollback_duration_seconds sample yet".into())
            }
        },
    )
    .await;
    assert_eq!(
        count(&m, "claude_env_rollbacks_total", &[("reason", "crashloop")]),
        1.0
    );
    assert_eq!(
        count(
            &m,
            "claude_env_rollouts_total",
            &[("strategy", "canary"), ("result", "rolledback")]
        ),
        1.0
    );

    // Held: more reconciles do not start it again.
    reconcile_now(&envs, "cc", "held-1").await;
    reconcile_now(&envs, "cc", "held-2").await;
    let env = envs.get("cc").await.unwrap();
    let r = rollout_of(&env);
    assert_eq!(r.phase, RolloutPhase::RolledBack);
    assert_eq!(r.failed_revision.as_deref(), Some(bad.as_str()));

    // The stable Deployment's template never changed: every version the watch saw (scales
    // included) carried the template from before the rollout.
    let stable = deployments.of("cc-context7");
    assert!(!stable.is_empty());
    for d in &stable {
        assert_eq!(
            d.template, template_before,
            "the stable template changed: {stable:#?}"
        );
    }
    let sizes: Vec<i32> = stable.iter().map(|d| d.replicas).collect();
    assert_eq!(
        sizes,
        vec![4, 3, 4],
        "stable scaled for the canary, then back"
    );
    // The canary was created once at one replica, and removed with the rollback.
    let canary: Vec<i32> = deployments
        .of("cc-context7-canary")
        .iter()
        .map(|d| d.replicas)
        .collect();
    assert_eq!(canary, vec![1], "canary replicas");
    assert!(deployments.deleted("cc-context7-canary"));

    // A new commit is a new rollout: it rolls out and clears the rejection.
    let fixed = repo.context7("1.5.1", 4, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = succeeded(&envs, "cc", &fixed, Duration::from_secs(60)).await;
    assert_eq!(rollout_of(&env).failed_revision, None);
    eprintln!("canary crash loop: {:?} in all", started.elapsed());
}

/// An Immediate staging environment `name` with context7 at `replicas`, its first revision
/// rolled out.
async fn immediate_deployed(
    prefix: &str,
    replicas: u32,
    name: &str,
) -> (TestNamespace, Repo, Controller, Api<ClaudeEnvironment>) {
    let spec = json!({"source": {"interval": "10m"}, "healthChecks": health(json!({}))});
    let (ns, repo, ctl, envs) = setup(prefix, replicas, name, "staging", spec).await;
    let good = repo.repo.head();
    succeeded(&envs, name, &good, Duration::from_secs(90)).await;
    (ns, repo, ctl, envs)
}

// ---- 2b. an Immediate rollout whose new pods crash-loop --------------------------------

#[tokio::test]
async fn immediate_rollout_whose_new_pods_crash_loop_rolls_back_while_old_pods_serve() {
    let started = Instant::now();
    let (ns, repo, ctl, envs) = immediate_deployed("imm-crash", 1, "im").await;

    // A rolling update keeps the old pod available while the new one crash-loops: the
    // crash is still seen at once, not after the progress deadline.
    let bad = repo.context7("1.5.0", 1, Pods::CrashLoop);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let pushed = Instant::now();
    let env = rolled_back(&envs, "im", &bad, Duration::from_secs(30)).await;
    let took = pushed.elapsed();
    let message = rollout_of(&env).message.unwrap_or_default();
    assert!(message.contains("crash-looping"), "{message}");
    assert!(
        took < Duration::from_secs(10),
        "{took:?}: not the 10 s deadline"
    );
    wait::until("stable restored", Duration::from_secs(30), || async {
        let d = ns
            .api::<Deployment>()
            .get("im-context7")
            .await
            .map_err(|e| e.to_string())?;
        match replicas(&ns, "im-context7").await {
            Some((1, 1)) if image(&d) == CONTEXT7_IMAGE => Ok(()),
            r => Err(format!("{r:?} {}", image(&d))),
        }
    })
    .await;
    let m = ctl.metrics().await;
    assert_eq!(
        count(&m, "claude_env_rollbacks_total", &[("reason", "crashloop")]),
        1.0
    );
    eprintln!(
        "immediate crash loop: rolled back in {took:?}; {:?} in all",
        started.elapsed()
    );
}

// ---- 2c. an Immediate rollout slower than its progress deadline, but moving ------------

#[tokio::test]
async fn immediate_rollout_slower_than_the_progress_deadline_but_moving_succeeds() {
    let started = Instant::now();
    let (ns, repo, ctl, envs) = immediate_deployed("imm-slow", 3, "sl").await;

    // Three replicas replaced one at a time (25 % surge rounds to one pod, 25 % unavailable
    // to none), each Ready SLOW_START after it starts: the rollout as a whole outlasts the
    // 10 s deadline, each of its steps does not. Like a Deployment's own
    // progressDeadlineSeconds, the deadline restarts at each step.
    let rollout = rollout_timeline(&envs, "sl").listed().await;
    let slow = repo.context7("1.5.0", 3, Pods::Slow);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let pushed = Instant::now();
    succeeded(&envs, "sl", &slow, Duration::from_secs(120)).await;
    let took = pushed.elapsed();
    assert!(
        took > Duration::from_secs(10),
        "{took:?}: the rollout did not outlast the 10 s deadline, so it proves nothing"
    );
    assert_eq!(replicas(&ns, "sl-context7").await, Some((3, 3)));
    let phases: Vec<RolloutPhase> = steps_of(&rollout, "sl", &slow)
        .into_iter()
        .map(|(phase, _, _)| phase)
        .collect();
    assert!(
        !phases.contains(&RolloutPhase::RolledBack),
        "rolled back on the way: {phases:?}"
    );
    let m = ctl.metrics().await;
    // Summed over every reason: no rollback of any kind.
    assert_eq!(count(&m, "claude_env_rollbacks_total", &[]), 0.0);
    eprintln!(
        "immediate slow rollout: Succeeded {took:?} after the push; {:?} in all",
        started.elapsed()
    );
}

// ---- 3. blue-green -----------------------------------------------------------------------

const COLOR: &str = "claude-env.io/color";

/// The colour a Service selector names.
fn color_of(selector: &Value) -> Option<Color> {
    match selector[COLOR].as_str() {
        Some("blue") => Some(Color::Blue),
        Some("green") => Some(Color::Green),
        _ => None,
    }
}

/// The colours the active Service selected, in order (consecutive repeats dropped).
fn active_colors(services: &Timeline<Value>, name: &str) -> Vec<Option<Color>> {
    let mut out: Vec<Option<Color>> = Vec::new();
    for s in services.of(name) {
        let c = color_of(&s);
        if out.last() != Some(&c) {
            out.push(c);
        }
    }
    out
}

/// When the watch first saw `name`'s selector on `color` after `since`.
fn switched_at(
    services: &Timeline<Value>,
    name: &str,
    color: Color,
    since: Instant,
) -> Option<Instant> {
    services
        .all()
        .into_iter()
        .find(|(n, s)| n == name && s.at >= since && color_of(&s.value) == Some(color))
        .map(|(_, s)| s.at)
}

/// When the watch saw Deployment `name` deleted after `since`.
fn deleted_at(deployments: &Timeline<Dep>, name: &str, since: Instant) -> Option<Instant> {
    deployments
        .all()
        .into_iter()
        .find(|(n, s)| n == name && s.deleted && s.at >= since)
        .map(|(_, s)| s.at)
}

#[tokio::test]
async fn blue_green_switches_when_healthy_never_when_not_and_flips_back_after_a_late_failure() {
    let started = Instant::now();
    let health_endpoint = claude_env_e2e::endpoint::HealthEndpoint::start();
    let spec = json!({
        "source": {"interval": "10m"},
        "strategy": {"type": "BlueGreen", "blueGreen": {"autoPromotion": true, "scaleDownDelay": "3s"}},
        "healthChecks": health(json!({"http": [{"name": "health", "url": health_endpoint.url(), "expectedStatus": 200}]})),
    });
    let (ns, repo, ctl, envs) = setup("bluegreen", 2, "bg", "staging", spec).await;
    let first = repo.repo.head();
    let env = succeeded(&envs, "bg", &first, Duration::from_secs(90)).await;
    assert_eq!(rollout_of(&env).active_color, Some(Color::Blue));
    let services = service_timeline(&ns).listed().await;
    let deployments = deployment_timeline(&ns).listed().await;
    assert_eq!(
        active_colors(&services, "bg-context7"),
        vec![Some(Color::Blue)]
    );
    assert_eq!(replicas(&ns, "bg-context7-blue").await, Some((2, 2)));
    assert_eq!(
        replicas(&ns, "bg-context7").await,
        None,
        "no plain Deployment"
    );

    // (a) A healthy preview: green runs the new image behind the preview Service, the active
    // Service switches to it, blue is kept for scaleDownDelay, then removed.
    let t = Instant::now();
    let a = repo.context7("1.5.0", 2, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let previewing = rollout_until(&envs, "bg", "green preview", Duration::from_secs(30), |r| {
        r.revision.as_deref() == Some(a.as_str()) && r.phase == RolloutPhase::Promoting
    })
    .await;
    assert_eq!(rollout_of(&previewing).active_color, Some(Color::Green));
    let env = succeeded(&envs, "bg", &a, Duration::from_secs(30)).await;
    assert_eq!(rollout_of(&env).active_color, Some(Color::Green));
    let green = ns
        .api::<Deployment>()
        .get("bg-context7-green")
        .await
        .unwrap();
    assert!(image(&green).ends_with(":1.5.0"));
    assert_eq!(
        active_colors(&services, "bg-context7"),
        vec![Some(Color::Blue), Some(Color::Green)]
    );
    let preview = services.of("bg-context7-preview");
    assert_eq!(color_of(preview.last().unwrap()), Some(Color::Green));
    // The preview selected green before the active Service did.
    let preview_green = switched_at(&services, "bg-context7-preview", Color::Green, t).unwrap();
    let switch = switched_at(&services, "bg-context7", Color::Green, t).unwrap();
    assert!(preview_green <= switch);
    let blue_gone = wait::until("blue removed", Duration::from_secs(30), || async {
        deleted_at(&deployments, "bg-context7-blue", t).ok_or("blue still there".to_string())
    })
    .await;
    let kept = blue_gone - switch;
    assert!(
        kept >= Duration::from_millis(2500),
        "blue was removed {kept:?} after the switch (scaleDownDelay 3s)"
    );
    eprintln!("(a) green switched and blue kept {kept:?}");

    // (b) A crash-looping preview (blue) never takes traffic and rolls back.
    let t = Instant::now();
    let b = repo.context7("1.6.0", 2, Pods::CrashLoop);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rolled_back(&envs, "bg", &b, Duration::from_secs(60)).await;
    let r = rollout_of(&env);
    assert!(
        r.message
            .as_deref()
            .unwrap_or_default()
            .contains("crash-looping"),
        "{r:?}"
    );
    assert_eq!(r.active_color, Some(Color::Green));
    // The crash-looping blue existed as the preview...
    assert!(
        deployments
            .all()
            .iter()
            .any(|(n, s)| n == "bg-context7-blue" && s.at >= t && !s.deleted),
        "no blue preview was deployed"
    );
    wait::until("blue preview removed", Duration::from_secs(30), || async {
        deleted_at(&deployments, "bg-context7-blue", t).ok_or("blue still there".to_string())
    })
    .await;
    // ...and the active Service never left green.
    assert_eq!(
        active_colors(&services, "bg-context7"),
        vec![Some(Color::Blue), Some(Color::Green)]
    );
    eprintln!("(b) crash-looping preview rolled back in {:?}", t.elapsed());

    // (c) Healthy in preview, failing once it serves: the check's next answer is its last
    // healthy one (the preview's), so the first check after the switch fails.
    let t = Instant::now();
    let before = health_endpoint.requests();
    health_endpoint.fail_after(1);
    let c = repo.context7("1.7.0", 2, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rolled_back(&envs, "bg", &c, Duration::from_secs(60)).await;
    let r = rollout_of(&env);
    let message = r.message.clone().unwrap_or_default();
    assert!(message.contains("\"health\""), "{message}");
    assert!(message.contains("after the switch"), "{message}");
    assert_eq!(r.active_color, Some(Color::Green));
    assert_eq!(
        health_endpoint.requests() - before,
        2,
        "one check in preview, one after"
    );
    // The active Service went to blue and came back to green.
    assert_eq!(
        active_colors(&services, "bg-context7"),
        vec![
            Some(Color::Blue),
            Some(Color::Green),
            Some(Color::Blue),
            Some(Color::Green)
        ]
    );
    let flipped = switched_at(&services, "bg-context7", Color::Blue, t).unwrap();
    let back = switched_at(&services, "bg-context7", Color::Green, flipped).unwrap();
    eprintln!(
        "(c) flipped back to green {:?} after the switch",
        back - flipped
    );
    let green = ns
        .api::<Deployment>()
        .get("bg-context7-green")
        .await
        .unwrap();
    assert!(image(&green).ends_with(":1.5.0"), "green still runs a");
    let m = ctl.metrics().await;
    assert_eq!(
        count(
            &m,
            "claude_env_rollouts_total",
            &[("strategy", "bluegreen"), ("result", "rolledback")]
        ),
        2.0
    );
    assert_eq!(
        count(
            &m,
            "claude_env_rollbacks_total",
            &[("reason", "check_failed")]
        ),
        1.0
    );
    assert_eq!(
        count(&m, "claude_env_rollbacks_total", &[("reason", "crashloop")]),
        1.0
    );
    health_endpoint.healthy();
    eprintln!("blue-green: {:?} in all", started.elapsed());
}

// ---- 4. MCP handshake against a real MCP server --------------------------------------------

#[tokio::test]
async fn mcp_handshake_against_a_real_server_gates_the_rollout() {
    use claude_env_testkit::mcp::{McpMode, McpServer};
    let started = Instant::now();
    let server = McpServer::start();
    let check = |tools: &[&str]| {
        json!({
            "source": {"interval": "10m"},
            "strategy": {"type": "Immediate"},
            "healthChecks": health(json!({"mcp": [
                {"name": "context7-mcp", "url": server.url(), "expectedTools": tools}
            ]})),
        })
    };
    let spec = check(&["echo", "resolve-library-id"]);
    let (ns, repo, ctl, envs) = setup("mcp", 1, "mc", "staging", spec).await;
    succeeded(&envs, "mc", &repo.repo.head(), Duration::from_secs(90)).await;

    // A healthy server: initialize, initialized, tools/list with both tools → promoted.
    let a = repo.context7("1.5.0", 1, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    succeeded(&envs, "mc", &a, Duration::from_secs(60)).await;
    let m = ctl.metrics().await;
    let passed = count(
        &m,
        "claude_env_health_check_total",
        &[("check", "mcp"), ("result", "success")],
    );
    assert!(passed >= 2.0, "first deploy and a: {passed}");

    // The server fails the handshake (HTTP 500 to initialize): rolled back.
    server.set_mode(McpMode::ServerError);
    let b = repo.context7("1.6.0", 1, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rolled_back(&envs, "mc", &b, Duration::from_secs(60)).await;
    let message = rollout_of(&env).message.unwrap_or_default();
    assert!(
        message.contains("initialize") && message.contains("500"),
        "{message}"
    );
    // Immediate restores the last known good revision's objects.
    let live = ns.api::<Deployment>().get("mc-context7").await.unwrap();
    assert!(image(&live).ends_with(":1.5.0"), "{}", image(&live));

    // A healthy handshake without an expected tool fails too.
    server.set_mode(McpMode::Healthy);
    envs.patch(
        "mc",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&json!({"spec": check(&["echo", "get-library-docs"])})),
    )
    .await
    .unwrap();
    let c = repo.context7("1.7.0", 1, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rolled_back(&envs, "mc", &c, Duration::from_secs(60)).await;
    let message = rollout_of(&env).message.unwrap_or_default();
    assert!(message.contains("get-library-docs"), "{message}");
    assert!(
        !message.contains("\"echo\""),
        "only the missing tool is named: {message}"
    );

    let m = ctl.metrics().await;
    assert_eq!(
        count(
            &m,
            "claude_env_rollbacks_total",
            &[("reason", "check_failed")]
        ),
        2.0
    );
    assert!(
        count(
            &m,
            "claude_env_health_check_total",
            &[("check", "mcp"), ("result", "failure")]
        ) >= 2.0
    );
    assert_eq!(
        count(
            &m,
            "claude_env_rollouts_total",
            &[("strategy", "immediate"), ("result", "rolledback")]
        ),
        2.0
    );
    eprintln!("mcp: {:?} in all", started.elapsed());
}

// ---- 5. Prometheus analysis with a real Prometheus ---------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_error_rate_promotes_under_the_threshold_and_rolls_back_over_it() {
    use claude_env_testkit::prometheus::{self, MetricsEndpoint, Prometheus};
    if !prometheus::available() {
        // CI installs it: there, a missing Prometheus is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is not installed (CI installs the Debian package)",
            prometheus::PROMETHEUS_BIN
        );
        eprintln!("SKIPPED: {} not installed", prometheus::PROMETHEUS_BIN);
        return;
    }
    let started = Instant::now();
    let endpoint = MetricsEndpoint::start(0.0);
    let prom = tokio::task::block_in_place(|| {
        let p = Prometheus::start(&[endpoint.target()]).expect("prometheus starts");
        assert!(
            p.wait_for_scrapes(3, Duration::from_secs(60)),
            "never scraped"
        );
        p
    });
    let query = prometheus::error_rate_query("5s");
    let spec = canary(
        json!([{"setWeight": 50}, {"pause": {"duration": "1s"}}]),
        json!({"prometheus": [{
            "name": "error-rate", "address": prom.url(), "query": query,
            "max": 0.05, "interval": "1s", "count": 2, "failureLimit": 0
        }]}),
    );
    let (ns, repo, ctl, envs) = setup("prom", 2, "pm", "staging", spec).await;
    succeeded(&envs, "pm", &repo.repo.head(), Duration::from_secs(90)).await;

    // Under the threshold: two measurements at the 50% step pass, promoted.
    let a = repo.context7("1.5.0", 2, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    succeeded(&envs, "pm", &a, Duration::from_secs(60)).await;
    let m = ctl.metrics().await;
    assert!(
        count(
            &m,
            "claude_env_health_check_total",
            &[("check", "prometheus"), ("result", "success")]
        ) >= 4.0,
        "two measurements each for the first deploy and a"
    );

    // Over it: half the requests fail; once Prometheus sees it, the next rollout rolls back.
    endpoint.set_error_ratio(0.5);
    wait::until(
        "Prometheus sees the errors",
        Duration::from_secs(30),
        || async {
            match tokio::task::block_in_place(|| prom.query(&query)) {
                Some(v) if v > 0.2 => Ok(()),
                v => Err(format!("{v:?}")),
            }
        },
    )
    .await;
    let b = repo.context7("1.6.0", 2, Pods::Healthy);
    assert_eq!(ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rolled_back(&envs, "pm", &b, Duration::from_secs(60)).await;
    let r = rollout_of(&env);
    let message = r.message.unwrap_or_default();
    assert!(message.contains("\"error-rate\""), "{message}");
    assert!(
        message.contains("weight 50"),
        "failed at the canary step: {message}"
    );
    let live = ns.api::<Deployment>().get("pm-context7").await.unwrap();
    assert!(
        image(&live).ends_with(":1.5.0"),
        "stable untouched: {}",
        image(&live)
    );
    let m = ctl.metrics().await;
    assert_eq!(
        count(
            &m,
            "claude_env_rollbacks_total",
            &[("reason", "check_failed")]
        ),
        1.0
    );
    assert!(
        count(
            &m,
            "claude_env_health_check_total",
            &[("check", "prometheus"), ("result", "failure")]
        ) >= 1.0
    );
    eprintln!("prometheus: {:?} in all", started.elapsed());
}

// ---- 6. the production gate --------------------------------------------------------------

const PRODUCTION_MCP: &str = "environments/production/mcp-deploy.json";

/// `claude-env <args> --kubeconfig <cluster>`: (exit code, stdout + stderr).
async fn cli(args: &[&str]) -> (i32, String) {
    let cluster = claude_env_e2e::Cluster::get().await;
    let mut c = std::process::Command::new(claude_env_e2e::controller::bin("claude-env"));
    c.args(args).arg("--kubeconfig").arg(&cluster.kubeconfig);
    let out = tokio::task::spawn_blocking(move || c.output())
        .await
        .unwrap()
        .expect("run claude-env");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

async fn paused_with(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    revision: &str,
    says: &str,
) -> RolloutStatus {
    let env = rollout_until(
        api,
        name,
        &format!("{name} paused on {} saying {says:?}", short(revision)),
        Duration::from_secs(60),
        |r| {
            r.phase == RolloutPhase::Paused
                && r.revision.as_deref() == Some(revision)
                && r.message.as_deref().unwrap_or_default().contains(says)
        },
    )
    .await;
    rollout_of(&env)
}

#[tokio::test]
async fn production_waits_for_approval_of_the_right_revision_at_every_gate() {
    let started = Instant::now();
    let mut spec = canary(json!([{"setWeight": 50}, {"pause": {}}]), json!({}));
    spec["approval"] = json!({"required": true});
    // `Repo::staging(1)` is the example unchanged.
    let (ns, Repo { repo, .. }, ctl, envs) = setup("gate", 1, "prod", "production", spec).await;
    let first = repo.head();
    let n = ns.name.as_str();

    // Even the first deploy waits: nothing is applied until approved.
    paused_with(&envs, "prod", &first, "waiting for approval").await;
    let env = envs.get("prod").await.unwrap();
    assert_eq!(condition_of(&env, condition::READY).unwrap().1, "Paused");
    assert!(
        ns.api::<Deployment>()
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let (code, out) = cli(&["approve", "prod", "-n", n]).await;
    assert_eq!(code, 0, "{out}");
    succeeded(&envs, "prod", &first, Duration::from_secs(60)).await;

    let mcp = repo.read(PRODUCTION_MCP);
    let pinned = "context7-mcp:1.4.2@sha256:a5de24482ea43161e0f7a03db07fc0f2debaa7c25a4b10dd33849a607ca5493d";
    assert!(mcp.contains(pinned));
    let next = repo.change(
        PRODUCTION_MCP,
        &mcp.replace(pinned, "context7-mcp:1.5.0"),
        "context7 1.5.0",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);

    // Gate 1, the `pause: {}` step at 50%: an approval of another revision is ignored.
    let r = paused_with(&envs, "prod", &next, "waiting for approval").await;
    assert_eq!((r.step, r.weight), (Some(1), Some(50)));
    assert_eq!(replicas(&ns, "prod-context7-canary").await, Some((2, 2)));
    annotate(&envs, "prod", annotations::APPROVE, &first).await;
    paused_with(
        &envs,
        "prod",
        &next,
        "is for another revision and is ignored",
    )
    .await;
    reconcile_now(&envs, "prod", "still-paused").await;
    let r = rollout_of(&envs.get("prod").await.unwrap());
    assert_eq!((r.phase, r.step), (RolloutPhase::Paused, Some(1)));

    // kubectl's approval of the right revision opens gate 1 and only gate 1: the promotion
    // gate (approval.required) needs an approval of its own.
    annotate(&envs, "prod", annotations::APPROVE, &next).await;
    paused_with(&envs, "prod", &next, "used by an earlier gate").await;
    let live = ns.api::<Deployment>().get("prod-context7").await.unwrap();
    assert!(
        image(&live).contains("1.4.2"),
        "not promoted before the last gate"
    );

    // `claude-env approve` writes a new approval (<revision>@<time>): promoted.
    let (code, out) = cli(&["approve", "prod", "-n", n]).await;
    assert_eq!(code, 0, "{out}");
    let value = envs
        .get("prod")
        .await
        .unwrap()
        .metadata
        .annotations
        .unwrap()[annotations::APPROVE]
        .clone();
    assert!(value.starts_with(&format!("{next}@")), "{value}");
    succeeded(&envs, "prod", &next, Duration::from_secs(60)).await;
    let live = ns.api::<Deployment>().get("prod-context7").await.unwrap();
    assert!(image(&live).ends_with(":1.5.0"), "{}", image(&live));
    assert_eq!(replicas(&ns, "prod-context7").await, Some((3, 3)));
    eprintln!("production gate: {:?} in all", started.elapsed());
}

// ---- 7. restart safety -------------------------------------------------------------------

/// `entered_at` of the canary step in the persisted machine state.
fn entered_at(r: &RolloutStatus) -> Option<String> {
    r.state.as_ref()?["stage"]["entered_at"]
        .as_str()
        .map(str::to_string)
}

#[tokio::test]
async fn a_controller_killed_mid_canary_resumes_at_the_same_step() {
    let started = Instant::now();
    let cache = tempfile::tempdir().unwrap();
    let opts = || Options {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Options::default()
    };
    let spec = canary(
        json!([{"setWeight": 25}, {"pause": {"duration": "8s"}}, {"setWeight": 50}]),
        json!({}),
    );
    let (ns, repo, mut first_ctl, envs) =
        setup_with("restart", 4, opts(), "rs", "staging", spec).await;
    succeeded(&envs, "rs", &repo.repo.head(), Duration::from_secs(90)).await;

    let rollout = rollout_timeline(&envs, "rs").listed().await;
    let pauses = Timeline::start(
        envs.clone(),
        watcher::Config::default().fields("metadata.name=rs"),
        |env: &ClaudeEnvironment| {
            let r = rollout_of(env);
            Some((r.step, entered_at(&r), r.revision, r.message))
        },
    )
    .listed()
    .await;
    let deployments = deployment_timeline(&ns).listed().await;
    let next = repo.context7("1.5.0", 4, Pods::Healthy);
    assert_eq!(first_ctl.push_hook(&repo.repo.url, "main").await, 202);
    let env = rollout_until(&envs, "rs", "the 8s pause", Duration::from_secs(30), |r| {
        r.revision.as_deref() == Some(next.as_str()) && r.step == Some(1)
    })
    .await;
    let paused = rollout_of(&env);
    let pause_began = entered_at(&paused).expect("entered_at");
    let seen_paused = Instant::now();
    // Well into the pause, the controller dies without a goodbye.
    tokio::time::sleep(Duration::from_secs(3)).await;
    first_ctl.kill();
    let killed = Instant::now();

    let second_ctl = Controller::start_with(&ns.name, opts()).await;
    eprintln!("restarted in {:?}", killed.elapsed());
    let env = succeeded(&envs, "rs", &next, Duration::from_secs(60)).await;
    let r = rollout_of(&env);
    assert_eq!(r.failed_revision, None);

    // The new process continued step 1 from the persisted state: same step, same start of the
    // pause, and no step was repeated.
    use RolloutPhase::*;
    assert_eq!(
        steps_of(&rollout, "rs", &next),
        vec![
            (Progressing, Some(0), Some(25)),
            (Progressing, Some(1), Some(25)),
            (Progressing, Some(2), Some(50)),
            (Promoting, None, None),
            (Succeeded, None, None),
        ]
    );
    // The second controller wrote step 1 again (the time left) with the same pause start.
    let after_kill: Vec<(Option<i32>, Option<String>)> = pauses
        .all()
        .into_iter()
        .filter(|(_, s)| s.at > killed && s.value.2.as_deref() == Some(next.as_str()))
        .map(|(_, s)| (s.value.0, s.value.1))
        .collect();
    assert_eq!(
        after_kill.first(),
        Some(&(Some(1), Some(pause_began.clone()))),
        "{after_kill:?}"
    );
    // The pause ended 8 s after it began, not 8 s after the restart.
    let step2_at = rollout
        .all()
        .into_iter()
        .find(|(_, s)| s.value.1 == Some(2) && s.value.3.as_deref() == Some(next.as_str()))
        .map(|(_, s)| s.at)
        .unwrap();
    let pause = step2_at - seen_paused;
    assert!(
        pause < Duration::from_secs(10),
        "the pause took {pause:?} from the first controller's step 1 (a restarted pause would take 8 s after the restart)"
    );
    // The restart itself changed no Deployment: after the kill, context7's Deployments only
    // moved on to the 50% split (2 + 2) and then the promotion (4), never back to step 0.
    let after_kill = |name: &str| -> Vec<i32> {
        deployments
            .all()
            .into_iter()
            .filter(|(n, s)| n == name && s.at > killed && !s.deleted)
            .map(|(_, s)| s.value.replicas)
            .collect()
    };
    assert_eq!(after_kill("rs-context7"), vec![2, 4]);
    assert_eq!(after_kill("rs-context7-canary"), vec![2]);
    let m = second_ctl.metrics().await;
    assert_eq!(
        count(
            &m,
            "claude_env_rollouts_total",
            &[("strategy", "canary"), ("result", "success")]
        ),
        1.0,
        "the second controller finished the rollout"
    );
    eprintln!("restart: {:?} in all", started.elapsed());
}
