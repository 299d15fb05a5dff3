//! Governance against the real control plane (issue 14): the chart's approver roles and
//! steering admission policy enforced by the API server for real users (`kubectl --as`, and
//! the CLI with an impersonating kubeconfig), history and the audit log naming who asked,
//! and notifications delivered to real HTTP receivers, one per provider format.
//!
//! The policy and roles are rendered from the chart for the test's own namespace only
//! (`namespaceSelector`, role names prefixed with the namespace): the cluster is shared.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::time::{Duration, Instant};

use claude_env_api::{
    ClaudeEnvironment, HistoryEntry, HistoryResult, NotificationProvider, RolloutPhase,
    RolloutStatus, annotations,
};
use claude_env_e2e::ship_support::{kubectl, run_ok};
use claude_env_e2e::steering::{Governance, bind, cli_as, kubectl_as};
use claude_env_e2e::{Cluster, ConfigRepo, Controller, TestNamespace, environment, metric, wait};
use claude_env_testkit::{Received, Receiver, free_port};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

// ---- the policy, roles and users ------------------------------------------------------------

fn rollout_of(env: &ClaudeEnvironment) -> RolloutStatus {
    env.status
        .as_ref()
        .and_then(|s| s.rollout.clone())
        .unwrap_or_default()
}

async fn rollout_until(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    what: &str,
    done: impl Fn(&RolloutStatus) -> bool,
) -> ClaudeEnvironment {
    wait::until(what, Duration::from_secs(90), || async {
        let env = api.get(name).await.map_err(|e| e.to_string())?;
        let r = rollout_of(&env);
        if done(&r) {
            Ok(env)
        } else {
            Err(format!(
                "phase={:?} revision={:?} failed={:?} message={:?}",
                r.phase, r.revision, r.failed_revision, r.message
            ))
        }
    })
    .await
}

async fn paused_on(api: &Api<ClaudeEnvironment>, name: &str, revision: &str) -> ClaudeEnvironment {
    rollout_until(api, name, &format!("{name} waiting for approval"), |r| {
        r.phase == RolloutPhase::Paused && r.revision.as_deref() == Some(revision)
    })
    .await
}

async fn succeeded(api: &Api<ClaudeEnvironment>, name: &str, revision: &str) -> ClaudeEnvironment {
    rollout_until(api, name, &format!("{name} rolled out"), |r| {
        r.phase == RolloutPhase::Succeeded && r.revision.as_deref() == Some(revision)
    })
    .await
}

fn history(env: &ClaudeEnvironment) -> Vec<HistoryEntry> {
    env.status.clone().unwrap_or_default().history
}

/// The audit lines of a controller's output.
fn audit_lines(ctl: &Controller) -> Vec<Value> {
    ctl.logs()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["audit"] == "claude-env")
        .collect()
}

const PRODUCTION_MCP: &str = "environments/production/mcp-deploy.json";
const PINNED: &str =
    "context7-mcp:1.4.2@sha256:a5de24482ea43161e0f7a03db07fc0f2debaa7c25a4b10dd33849a607ca5493d";

// ---- 1. who may approve and roll back production, and who did -------------------------------

#[tokio::test]
async fn only_approvers_steer_production_and_history_and_audit_name_the_real_user() {
    let started = Instant::now();
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("gov-id").await;
    let n = ns.name.as_str();
    let admin = cluster.kubeconfig.clone();
    let g = Governance::install(cluster, &ns).await;
    bind(cluster, n, "alice", &g.role("approver"));
    bind(cluster, n, "bob", &g.role("editor"));
    // The example's commits are authored by "Test Author <author@example.com>".
    bind(cluster, n, "author@example.com", &g.role("approver"));

    let repo = ConfigRepo::example();
    let ctl = Controller::start(n).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let spec = json!({
        "source": {"interval": "10m"},
        "approval": {"required": true},
        "healthChecks": {"interval": "1s", "timeout": "60s"},
    });
    envs.create(
        &PostParams::default(),
        &environment("be-prod", &repo.url, "production", "backend", spec),
    )
    .await
    .unwrap();
    let first = repo.head();
    let env = paused_on(&envs, "be-prod", &first).await;
    let author = rollout_of(&env)
        .author
        .expect("the pending commit's author");
    assert_eq!(
        (author.name.as_str(), author.email.as_str()),
        ("Test Author", "author@example.com")
    );

    // An editor cannot approve production: refused at admission, with kubectl and the CLI.
    let approve_first = format!("{}={first}@1", annotations::APPROVE);
    let (ok, out) = kubectl_as(
        cluster,
        "bob",
        &[
            "annotate",
            "cenv",
            "be-prod",
            "-n",
            n,
            &approve_first,
            &format!("{}=bob", annotations::APPROVED_BY),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "user bob may not set claude-env.io/approve on {n}/be-prod (environment production), a protected environment"
        )) && out.contains(&format!("ClusterRole {}", g.role("approver"))),
        "{out}"
    );
    let (code, out) = cli_as(&admin, "bob", &["approve", "be-prod", "-n", n]).await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("user bob may not set claude-env.io/approve"),
        "{out}"
    );

    // A forged approver name is refused, even for an approver.
    let (ok, out) = kubectl_as(
        cluster,
        "alice",
        &[
            "annotate",
            "cenv",
            "be-prod",
            "-n",
            n,
            &approve_first,
            &format!("{}=mallory", annotations::APPROVED_BY),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(
            "claude-env.io/approve must be set together with claude-env.io/approved-by naming the requesting user (alice), not mallory"
        ),
        "{out}"
    );

    // With forbidSelfApproval, the commit's author may not approve it. Policy updates load
    // asynchronously: a server-side dry run (admission runs, nothing is stored) says when.
    g.apply(cluster, true);
    let author_approves = [
        "annotate",
        "cenv",
        "be-prod",
        "-n",
        n,
        "--dry-run=server",
        &approve_first,
        &format!("{}=author@example.com", annotations::APPROVED_BY),
    ];
    let refused = wait::until(
        "the author's own approval refused",
        Duration::from_secs(30),
        || async {
            match kubectl_as(cluster, "author@example.com", &author_approves) {
                (false, out) if out.contains("authored revision") => Ok(out),
                (_, out) => Err(out),
            }
        },
    )
    .await;
    assert!(
        refused.contains(&format!(
            "user author@example.com authored revision {first} and may not approve it"
        )),
        "{refused}"
    );
    let (code, out) = cli_as(
        &admin,
        "author@example.com",
        &["approve", "be-prod", "-n", n],
    )
    .await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("authored revision"), "{out}");
    g.apply(cluster, false);

    // The approver approves with the CLI, which names her from SelfSubjectReview.
    let (code, out) = cli_as(&admin, "alice", &["approve", "be-prod", "-n", n]).await;
    assert_eq!(code, 0, "{out}");
    let env = envs.get("be-prod").await.unwrap();
    let a = env.metadata.annotations.clone().unwrap();
    assert_eq!(a[annotations::APPROVED_BY], "alice");
    let env = succeeded(&envs, "be-prod", &first).await;
    let h = &history(&env)[0];
    assert_eq!(
        (h.result, h.actor.as_deref(), h.reason.as_deref()),
        (
            HistoryResult::Succeeded,
            Some("alice"),
            Some("RolloutSucceeded")
        )
    );

    // A second revision, approved by alice; then a rollback: refused for bob, done for alice.
    let mcp = repo.read(PRODUCTION_MCP);
    assert!(mcp.contains(PINNED));
    let second = repo.change(
        PRODUCTION_MCP,
        &mcp.replace(PINNED, "context7-mcp:1.5.0"),
        "context7 1.5.0",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    paused_on(&envs, "be-prod", &second).await;
    let (code, out) = cli_as(&admin, "alice", &["approve", "be-prod", "-n", n]).await;
    assert_eq!(code, 0, "{out}");
    succeeded(&envs, "be-prod", &second).await;

    let (code, out) = cli_as(
        &admin,
        "bob",
        &["rollback", "be-prod", "-n", n, "--to", &first],
    )
    .await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("user bob may not set claude-env.io/rollback-to"),
        "{out}"
    );
    let (code, out) = cli_as(
        &admin,
        "alice",
        &[
            "rollback",
            "be-prod",
            "-n",
            n,
            "--to",
            &first,
            "--wait",
            "--timeout",
            "90s",
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}");
    let env = envs.get("be-prod").await.unwrap();
    let rolled = history(&env)
        .into_iter()
        .find(|h| h.result == HistoryResult::RolledBack)
        .expect("a RolledBack entry");
    assert_eq!(rolled.revision, first);
    assert_eq!(rolled.actor.as_deref(), Some("alice"));
    assert_eq!(rolled.reason.as_deref(), Some("RollbackRequested"));

    // An editor may not drop the approval requirement of production either.
    let (ok, out) = kubectl_as(
        cluster,
        "bob",
        &[
            "patch",
            "cenv",
            "be-prod",
            "-n",
            n,
            "--type=merge",
            "-p",
            r#"{"spec":{"approval":{"required":false}}}"#,
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("may not remove spec.approval.required"),
        "{out}"
    );

    // `claude-env history` shows who.
    let (code, out) = cli_as(&admin, "bob", &["history", "be-prod", "-n", n]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ACTOR") && out.contains("alice"), "{out}");
    assert!(out.contains("RollbackRequested"), "{out}");

    // The audit log: one JSON line per change, with stable fields, naming the real user.
    let lines = wait::until("the rollback audited", Duration::from_secs(10), || async {
        let lines = audit_lines(&ctl);
        if lines.iter().any(|l| l["action"] == "RolledBack") {
            Ok(lines)
        } else {
            Err(format!("{lines:#?}"))
        }
    })
    .await;
    let keys = [
        "audit",
        "time",
        "namespace",
        "name",
        "environment",
        "revision",
        "action",
        "actor",
        "result",
        "reason",
        "message",
    ];
    for l in &lines {
        let got: Vec<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(got, keys, "{l}");
        assert_eq!(
            (l["namespace"].as_str(), l["name"].as_str()),
            (Some(n), Some("be-prod"))
        );
        assert_eq!(l["environment"], "production");
    }
    let find = |action: &str, revision: &str| {
        lines
            .iter()
            .find(|l| l["action"] == action && l["revision"] == revision)
            .unwrap_or_else(|| panic!("no {action} of {revision} in {lines:#?}"))
    };
    assert_eq!(
        find("ApprovalRequired", &first)["actor"],
        "claude-env-controller"
    );
    assert_eq!(find("Approved", &first)["actor"], "alice");
    assert_eq!(find("RolloutSucceeded", &first)["actor"], "alice");
    assert_eq!(find("Approved", &second)["actor"], "alice");
    let rb = find("RolledBack", &first);
    assert_eq!(
        (&rb["actor"], &rb["result"], &rb["reason"]),
        (
            &json!("alice"),
            &json!("RolledBack"),
            &json!("RollbackRequested")
        )
    );
    eprintln!("governance identity: {:?}", started.elapsed());
}

// ---- 2. notifications to real receivers -----------------------------------------------------

const STAGING_MCP: &str = "environments/staging/mcp-deploy.yaml";
const CONTEXT7_IMAGE: &str = "ghcr.io/claude-env/context7-mcp:1.4.2";

/// staging's context7 at `tag` with 4 replicas, crash-looping (KWOK) when `crash`.
fn staging_context7(original: &str, tag: &str, crash: bool) -> String {
    assert!(original.contains(CONTEXT7_IMAGE), "the example changed");
    let mut s = original
        .replace(
            CONTEXT7_IMAGE,
            &format!("ghcr.io/claude-env/context7-mcp:{tag}"),
        )
        .replacen(
            "      port: 8080\n      replicas: 1\n",
            "      port: 8080\n      replicas: 4\n",
            1,
        );
    if crash {
        s = s.replacen(
            "      labels:\n        tier: mcp\n",
            "      labels:\n        tier: mcp\n        claude-env.io/simulate: crashloop\n",
            1,
        );
    }
    s
}

/// The messages a receiver got that say "rolled back", by format.
fn rolled_back_messages(format: &str, received: &[Received]) -> Vec<Value> {
    received
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("a JSON body"))
        .filter(|b| match format {
            "slack" => b["text"].as_str().unwrap_or("").starts_with("Rolled back:"),
            "msteams" => b["summary"]
                .as_str()
                .unwrap_or("")
                .starts_with("Rolled back:"),
            "webhook" => b["kind"] == "RolledBack",
            "github" | "gitlab" => b["description"]
                .as_str()
                .unwrap_or("")
                .starts_with("Rolled back"),
            _ => unreachable!(),
        })
        .collect()
}

/// Each message kind at most once per revision: no storm during a canary.
fn no_repeats(name: &str, received: &[Received]) {
    let mut seen = std::collections::BTreeSet::new();
    for r in received {
        let key = (r.path.clone(), String::from_utf8_lossy(&r.body).to_string());
        assert!(seen.insert(key), "{name} got a message twice: {r:?}");
    }
}

fn apply(cluster: &Cluster, ns: &str, docs: &[Value]) {
    let stream: String = docs.iter().map(|d| format!("---\n{d}\n")).collect();
    run_ok(
        kubectl(cluster).args(["apply", "-n", ns, "-f", "-"]),
        Some(&stream),
    );
}

#[tokio::test]
async fn a_canary_that_rolls_back_is_one_message_per_receiver_and_a_down_receiver_is_retried() {
    let started = Instant::now();
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("gov-notify").await;
    let n = ns.name.as_str();

    let repo = ConfigRepo::example();
    let original = repo.read(STAGING_MCP);
    repo.change(
        STAGING_MCP,
        &staging_context7(&original, "1.4.2", false),
        "context7: 4 replicas",
    );

    let slack = Receiver::start(200);
    let teams = Receiver::start(202);
    let webhook = Receiver::start(204);
    let github = Receiver::start(201);
    let gitlab = Receiver::start(201);
    let refusing = Receiver::start(403);
    // Down until after the rollback: a port nothing listens on yet.
    let late_port = free_port();
    let hmac_key = "n0tify-s3cret";
    let secret = |name: &str, data: Value| json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data});
    let provider = |name: &str, spec: Value| {
        json!({"apiVersion": "claude-env.io/v1alpha1", "kind": "NotificationProvider",
               "metadata": {"name": name}, "spec": spec})
    };
    apply(
        cluster,
        n,
        &[
            secret(
                "slack-url",
                json!({"address": format!("{}/services/T000/B000/XXXX", slack.base_url())}),
            ),
            secret("hook-key", json!({"hmacKey": hmac_key})),
            secret("github-token", json!({"token": "ghp-t0ken"})),
            secret("gitlab-token", json!({"token": "glpat-t0ken"})),
            provider(
                "slack",
                json!({"type": "slack", "channel": "#deploys", "secretRef": {"name": "slack-url"}}),
            ),
            provider(
                "teams",
                json!({"type": "msteams", "address": format!("{}/workflows/abc", teams.base_url())}),
            ),
            provider(
                "hook",
                json!({"type": "webhook", "address": format!("{}/events", webhook.base_url()),
                                    "secretRef": {"name": "hook-key"}}),
            ),
            provider(
                "github",
                json!({"type": "github", "address": format!("{}/api/v3", github.base_url()),
                                      "repository": "acme/claude-config", "secretRef": {"name": "github-token"}}),
            ),
            provider(
                "gitlab",
                json!({"type": "gitlab", "address": format!("{}/api/v4", gitlab.base_url()),
                                      "repository": "platform/claude-config", "secretRef": {"name": "gitlab-token"}}),
            ),
            provider(
                "late",
                json!({"type": "webhook", "address": format!("http://127.0.0.1:{late_port}/events"),
                                    "secretRef": {"name": "hook-key"}}),
            ),
            provider(
                "refusing",
                json!({"type": "webhook", "address": format!("{}/events", refusing.base_url())}),
            ),
            json!({"apiVersion": "claude-env.io/v1alpha1", "kind": "NotificationRule",
                   "metadata": {"name": "everything"},
                   "spec": {"providerRefs": [{"name": "slack"}, {"name": "teams"}, {"name": "hook"},
                                             {"name": "github"}, {"name": "gitlab"}],
                            "selector": {"environments": ["staging"]}}}),
            json!({"apiVersion": "claude-env.io/v1alpha1", "kind": "NotificationRule",
                   "metadata": {"name": "rollbacks"},
                   "spec": {"providerRefs": [{"name": "late"}, {"name": "refusing"}],
                            "eventKinds": ["RolledBack"], "severity": "error"}}),
        ],
    );

    let ctl = Controller::start(n).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let spec = json!({
        "source": {"interval": "10m"},
        "strategy": {"type": "Canary", "canary": {"steps": [
            {"setWeight": 25}, {"pause": {"duration": "3s"}}, {"setWeight": 50}]}},
        "healthChecks": {"interval": "1s", "timeout": "60s", "readiness": {"progressDeadline": "10s"}},
    });
    envs.create(
        &PostParams::default(),
        &environment("cc", &repo.url, "staging", "backend", spec),
    )
    .await
    .unwrap();
    let good = repo.head();
    succeeded(&envs, "cc", &good).await;

    let bad = repo.change(
        STAGING_MCP,
        &staging_context7(&original, "1.5.0", true),
        "context7 1.5.0 (crash-looping)",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    let pushed = Instant::now();
    rollout_until(&envs, "cc", "cc rolled back", |r| {
        r.phase == RolloutPhase::RolledBack && r.failed_revision.as_deref() == Some(bad.as_str())
    })
    .await;
    let rollback_took = pushed.elapsed();
    assert!(
        late_received_nothing(late_port),
        "the late receiver was down during the rollback"
    );

    // Each receiver: exactly one "rolled back" message, in its own format.
    let receivers = [
        ("slack", &slack),
        ("msteams", &teams),
        ("webhook", &webhook),
        ("github", &github),
        ("gitlab", &gitlab),
    ];
    for (format, r) in receivers {
        wait::until(
            &format!("{format}: the rolled back message"),
            Duration::from_secs(30),
            || async {
                let got = rolled_back_messages(format, &r.received());
                if got.is_empty() {
                    Err(format!("{} requests so far", r.received().len()))
                } else {
                    Ok(())
                }
            },
        )
        .await;
    }
    // Later reconciles (held on the failed revision) tell nothing new.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let short = &bad[..12];
    for (format, r) in receivers {
        let received = r.received();
        no_repeats(format, &received);
        let got = rolled_back_messages(format, &received);
        assert_eq!(got.len(), 1, "{format}: {got:#?}");
        let m = &got[0];
        let text = m.to_string();
        assert!(
            text.contains("CrashLoop"),
            "{format} names the reason: {text}"
        );
        // Commit status descriptions are cut at GitHub's 140 characters.
        if !matches!(format, "github" | "gitlab") {
            assert!(text.contains("crash-looping"), "{format} says why: {text}");
        }
        let req = received
            .iter()
            .find(|q| serde_json::from_slice::<Value>(&q.body).ok().as_ref() == Some(m))
            .unwrap();
        assert_eq!(req.method, "POST");
        assert_eq!(req.header("content-type"), Some("application/json"));
        match format {
            "slack" => {
                assert_eq!(req.path, "/services/T000/B000/XXXX");
                assert_eq!(m["channel"], "#deploys");
                assert_eq!(
                    m["text"],
                    format!("Rolled back: {n}/cc (staging) at {short}")
                );
                let a = &m["attachments"][0];
                assert_eq!(a["color"], "danger");
                let fields: Vec<(&str, &str)> = a["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| (f["title"].as_str().unwrap(), f["value"].as_str().unwrap()))
                    .collect();
                let environment = format!("{n}/cc (staging)");
                assert_eq!(
                    fields,
                    [
                        ("Environment", environment.as_str()),
                        ("Revision", short),
                        ("Reason", "CrashLoop"),
                        ("By", "claude-env-controller"),
                    ]
                );
            }
            "msteams" => {
                assert_eq!(req.path, "/workflows/abc");
                assert_eq!(m["type"], "message");
                let card = &m["attachments"][0];
                assert_eq!(
                    card["contentType"],
                    "application/vnd.microsoft.card.adaptive"
                );
                assert_eq!(card["content"]["type"], "AdaptiveCard");
                let body = card["content"]["body"].as_array().unwrap();
                assert_eq!(
                    body[0]["text"],
                    format!("Rolled back: {n}/cc (staging) at {short}")
                );
                assert_eq!(body[2]["type"], "FactSet");
                assert!(body[2]["facts"].to_string().contains(short));
            }
            "webhook" => {
                assert_eq!(req.path, "/events");
                assert_eq!(req.header("x-claude-env-event"), Some("RolledBack"));
                // The signature is HMAC-SHA256 of the exact body with the Secret's key.
                let expected = claude_env_source::webhook::sign(hmac_key.as_bytes(), &req.body);
                assert_eq!(req.header("x-signature"), Some(expected.as_str()));
                assert_eq!(
                    (
                        &m["namespace"],
                        &m["name"],
                        &m["environment"],
                        &m["revision"]
                    ),
                    (&json!(n), &json!("cc"), &json!("staging"), &json!(bad))
                );
                assert_eq!(
                    (&m["severity"], &m["reason"]),
                    (&json!("error"), &json!("CrashLoop"))
                );
                assert_eq!(m["actor"], "claude-env-controller");
            }
            "github" => {
                assert_eq!(
                    req.path,
                    format!("/api/v3/repos/acme/claude-config/statuses/{bad}")
                );
                assert_eq!(req.header("authorization"), Some("Bearer ghp-t0ken"));
                assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
                assert_eq!(
                    (&m["state"], &m["context"]),
                    (&json!("failure"), &json!(format!("claude-env/{n}/cc")))
                );
            }
            "gitlab" => {
                assert_eq!(
                    req.path,
                    format!("/api/v4/projects/platform%2Fclaude-config/statuses/{bad}")
                );
                assert_eq!(req.header("private-token"), Some("glpat-t0ken"));
                assert_eq!(
                    (&m["state"], &m["name"]),
                    (&json!("failed"), &json!(format!("claude-env/{n}/cc")))
                );
            }
            _ => unreachable!(),
        }
    }
    // The good revision's success reached the commit status APIs too.
    assert!(
        github.received().iter().any(|r| r.path.ends_with(&good)
            && serde_json::from_slice::<Value>(&r.body).unwrap()["state"] == "success"),
        "{:?}",
        github.received()
    );

    // The receiver that was down comes up: the message arrives on a retry.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let late = Receiver::start_on(late_port, 200);
    let delivered = wait::until(
        "the late receiver's message",
        Duration::from_secs(40),
        || async {
            match late.received().first() {
                Some(r) => Ok(r.clone()),
                None => Err("nothing yet".to_string()),
            }
        },
    )
    .await;
    let body: Value = serde_json::from_slice(&delivered.body).unwrap();
    assert_eq!(
        (&body["kind"], &body["revision"]),
        (&json!("RolledBack"), &json!(bad))
    );
    assert_eq!(late.received().len(), 1, "{:?}", late.received());
    eprintln!("rollback took {rollback_took:?}; the late receiver got it after retries");

    // Counted, and shown on the providers.
    let m = ctl.metrics().await;
    let count = |t: &str, r: &str| {
        metric(
            &m,
            "claude_env_notifications_total",
            &[("provider_type", t), ("result", r)],
        )
        .unwrap_or(0.0)
    };
    assert!(count("webhook", "retry") >= 1.0, "{m}");
    assert!(
        count("webhook", "failure") >= 1.0,
        "the refusing receiver: {m}"
    );
    assert!(count("slack", "success") >= 2.0, "{m}");
    let providers: Api<NotificationProvider> = ns.api();
    let ready = |name: &'static str, status: &'static str, reason: &'static str| {
        let providers = providers.clone();
        async move {
            wait::until(
                &format!("{name} Ready={status}"),
                Duration::from_secs(20),
                || async {
                    let p = providers.get(name).await.map_err(|e| e.to_string())?;
                    let c = p
                        .status
                        .and_then(|s| s.conditions.into_iter().find(|c| c.type_ == "Ready"));
                    match c {
                        Some(c) if c.status == status && c.reason == reason => Ok(c.message),
                        other => Err(format!("{other:?}")),
                    }
                },
            )
            .await
        }
    };
    let why = ready("refusing", "False", "DeliveryFailed").await;
    assert!(why.contains("HTTP 403"), "{why}");
    ready("slack", "True", "DeliverySucceeded").await;
    ready("late", "True", "DeliverySucceeded").await;
    let logs = ctl.logs();
    assert!(
        !logs.contains("T000/B000/XXXX"),
        "the Slack URL is a credential: never logged"
    );
    eprintln!("governance notifications: {:?}", started.elapsed());
}

/// Nothing listens on the port yet.
fn late_received_nothing(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
}
