//! The controller against the real control plane and a real Git server (issue 4).

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::time::{Duration, Instant};

use claude_env_api::{ClaudeEnvironment, condition};
use claude_env_e2e::envs::{lease_holder, ready_at};
use claude_env_e2e::{
    ConfigRepo, Controller, TestNamespace, annotate, condition_of, environment, image, metric, wait,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::ResourceExt;
use kube::api::{Api, PostParams};
use serde_json::json;

const STAGING_CONTEXT7: &str = "context7-mcp:1.4.2";

#[tokio::test]
async fn a_push_is_applied_and_a_signed_webhook_applies_it_at_once() {
    let ns = TestNamespace::new("push").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    // A long interval: only the webhook can make the second commit appear quickly.
    let spec = json!({"source": {"interval": "10m"}});
    envs.create(
        &PostParams::default(),
        &environment("be-staging", &repo.url, "staging", "backend", spec),
    )
    .await
    .unwrap();
    let first = repo.head();
    let env = ready_at(&envs, "be-staging", &first, Duration::from_secs(90)).await;
    let status = env.status.unwrap();
    assert_eq!(
        status.last_known_good_revision.as_deref(),
        Some(first.as_str())
    );
    let inventory = status.inventory.unwrap().entries;
    let kinds: Vec<_> = inventory
        .iter()
        .map(|e| format!("{}/{}", e.kind, e.name))
        .collect();
    assert!(
        kinds.contains(&"Deployment/be-staging-context7".to_string()),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&"Service/be-staging-sequential-thinking".to_string()),
        "{kinds:?}"
    );
    let config_map = inventory
        .iter()
        .find(|e| e.kind == "ConfigMap")
        .unwrap()
        .name
        .clone();
    let deployments: Api<Deployment> = ns.api();
    assert!(
        image(&deployments.get("be-staging-context7").await.unwrap()).contains(STAGING_CONTEXT7)
    );
    let cm = Api::<ConfigMap>::namespaced(ns.client.clone(), &ns.name)
        .get(&config_map)
        .await
        .unwrap();
    assert_eq!(cm.immutable, Some(true));

    let mcp = repo.read("environments/staging/mcp-deploy.yaml");
    let second = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp.replace(STAGING_CONTEXT7, "context7-mcp:1.5.0"),
        "context7 1.5.0",
    );

    // A bad signature is refused and changes nothing.
    let body = json!({"url": repo.url, "branch": "main"}).to_string();
    let code = ctl
        .webhook(
            "/hooks/generic",
            &[("X-Signature", "sha256=00ff".into())],
            body.as_bytes(),
        )
        .await;
    assert_eq!(code, 401);
    // An unknown repository is accepted (not the sender's fault) and changes nothing.
    assert_eq!(
        ctl.push_hook("https://git.example.com/other/repo.git", "main")
            .await,
        202
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let still = envs.get("be-staging").await.unwrap().status.unwrap();
    assert_eq!(still.last_applied_revision.as_deref(), Some(first.as_str()));

    let pushed = Instant::now();
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    ready_at(&envs, "be-staging", &second, Duration::from_secs(30)).await;
    eprintln!(
        "webhook → Ready at the new revision in {:?}",
        pushed.elapsed()
    );
    assert!(
        image(&deployments.get("be-staging-context7").await.unwrap())
            .contains("context7-mcp:1.5.0")
    );

    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("result", "bad-signature")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("result", "unknown-repository")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("result", "accepted")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &m,
            "claude_env_source_revision_info",
            &[("revision", &second)]
        ),
        Some(1.0)
    );
    assert!(
        metric(
            &m,
            "claude_env_sync_total",
            &[("environment", "staging"), ("result", "success")]
        )
        .unwrap()
            >= 2.0
    );
    // The old ConfigMap content is unchanged by the image bump, so its name is the same.
    let services: Api<Service> = ns.api();
    assert!(
        services
            .get_opt("be-staging-context7")
            .await
            .unwrap()
            .is_some()
    );
}

/// Resource versions of everything in `ns` we manage, to prove "nothing changed".
async fn live_versions(ns: &TestNamespace) -> Vec<(String, String)> {
    let lp = kube::api::ListParams::default()
        .labels("app.kubernetes.io/managed-by=claude-env-controller");
    let mut out = Vec::new();
    for d in ns.api::<Deployment>().list(&lp).await.unwrap() {
        out.push((
            format!("Deployment/{}", d.metadata.name.unwrap()),
            d.metadata.resource_version.unwrap(),
        ));
    }
    for s in ns.api::<Service>().list(&lp).await.unwrap() {
        out.push((
            format!("Service/{}", s.metadata.name.unwrap()),
            s.metadata.resource_version.unwrap(),
        ));
    }
    for c in ns.api::<ConfigMap>().list(&lp).await.unwrap() {
        out.push((
            format!("ConfigMap/{}", c.metadata.name.unwrap()),
            c.metadata.resource_version.unwrap(),
        ));
    }
    out.sort();
    out
}

/// Wait until `name` is Stalled on `revision`; returns the condition message.
async fn stalled_at(api: &Api<ClaudeEnvironment>, name: &str, revision: &str) -> String {
    wait::until(
        &format!("{name} Stalled at {}", &revision[..8]),
        Duration::from_secs(60),
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            let attempted = env
                .status
                .as_ref()
                .and_then(|s| s.last_attempted_revision.clone());
            match (attempted.as_deref(), condition_of(&env, condition::STALLED)) {
                (Some(a), Some((s, _, m))) if a == revision && s == "True" => Ok(m),
                (a, c) => Err(format!("attempted={a:?} stalled={c:?}")),
            }
        },
    )
    .await
}

#[tokio::test]
async fn invalid_commits_stall_with_file_and_line_and_touch_nothing() {
    let ns = TestNamespace::new("invalid").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("be", &repo.url, "staging", "backend", json!({})),
    )
    .await
    .unwrap();
    let good = repo.head();
    ready_at(&envs, "be", &good, Duration::from_secs(90)).await;
    let before = live_versions(&ns).await;
    let settings = repo.read("teams/backend/settings.yaml");

    let cases = [
        ("yaml", "teams/backend/settings.yaml", "settings:\n  model: opus\n    effort: high\n".to_string(), "teams/backend/settings.yaml:3"),
        ("schema", "teams/backend/extra.yaml", "mcpServers:\n  broken:\n    deploy:\n      image: ghcr.io/x/y:1\n      port: not-a-port\n".to_string(), "teams/backend/extra.yaml:5"),
        ("secret", "teams/backend/extra.yaml", "settings:\n  env:\n    GITHUB_TOKEN: ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8\n".to_string(), "teams/backend/extra.yaml:3"),
    ];
    for (what, path, contents, at) in cases {
        // Reset to the good files, then break one thing.
        repo.repo.write("teams/backend/settings.yaml", &settings);
        let _ = std::fs::remove_file(repo.repo.work_dir().join("teams/backend/extra.yaml"));
        let bad = repo.change(path, &contents, &format!("break: {what}"));
        assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
        let message = stalled_at(&envs, "be", &bad).await;
        assert!(message.contains(at), "{what}: expected {at} in {message}");
        assert!(
            !message.contains("ghp_A1b2"),
            "{what}: the secret leaked into status: {message}"
        );
        let env = envs.get("be").await.unwrap();
        let status = env.status.unwrap();
        assert_eq!(
            status.last_applied_revision.as_deref(),
            Some(good.as_str()),
            "{what}"
        );
        assert_eq!(
            condition_of(&envs.get("be").await.unwrap(), condition::READY)
                .unwrap()
                .0,
            "False"
        );
        assert_eq!(
            live_versions(&ns).await,
            before,
            "{what}: live objects changed"
        );
    }

    repo.repo.write("teams/backend/settings.yaml", &settings);
    let fixed = repo.delete("teams/backend/extra.yaml", "fix");
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    let env = ready_at(&envs, "be", &fixed, Duration::from_secs(60)).await;
    assert!(condition_of(&env, condition::STALLED).is_none());
    let history = env.status.unwrap().history;
    assert!(
        history
            .iter()
            .any(|h| h.result == claude_env_api::HistoryResult::Invalid)
    );
    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "claude_env_sync_total",
            &[("environment", "staging"), ("result", "invalid")]
        ),
        Some(3.0)
    );
}

#[tokio::test]
async fn removing_a_server_prunes_it_and_deleting_the_environment_prunes_everything() {
    let ns = TestNamespace::new("prune").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("be", &repo.url, "staging", "backend", json!({})),
    )
    .await
    .unwrap();
    ready_at(&envs, "be", &repo.head(), Duration::from_secs(90)).await;
    let deployments: Api<Deployment> = ns.api();
    let services: Api<Service> = ns.api();
    assert!(
        deployments
            .get_opt("be-sequential-thinking")
            .await
            .unwrap()
            .is_some()
    );

    // Drop sequential-thinking's deploy: it is a stdio server again, nothing in the cluster.
    let mcp = repo.read("environments/staging/mcp-deploy.yaml");
    let cut = mcp.find("  sequential-thinking:").unwrap();
    let pruned = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp[..cut],
        "sequential-thinking runs locally again",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    ready_at(&envs, "be", &pruned, Duration::from_secs(60)).await;
    wait::until(
        "sequential-thinking pruned",
        Duration::from_secs(30),
        || async {
            let d = deployments
                .get_opt("be-sequential-thinking")
                .await
                .map_err(|e| e.to_string())?;
            let s = services
                .get_opt("be-sequential-thinking")
                .await
                .map_err(|e| e.to_string())?;
            if d.is_none() && s.is_none() {
                Ok(())
            } else {
                Err("still there".into())
            }
        },
    )
    .await;
    assert!(
        deployments.get_opt("be-context7").await.unwrap().is_some(),
        "context7 must stay"
    );
    let env = envs.get("be").await.unwrap();
    let entries = env.status.unwrap().inventory.unwrap().entries;
    assert!(
        entries.iter().all(|e| !e.name.contains("sequential")),
        "{entries:?}"
    );
    assert_eq!(
        entries.iter().filter(|e| e.kind == "ConfigMap").count(),
        1,
        "the old ConfigMap is pruned too"
    );

    envs.delete("be", &Default::default()).await.unwrap();
    wait::until("everything pruned", Duration::from_secs(60), || async {
        let left = live_versions(&ns).await;
        let gone = envs
            .get_opt("be")
            .await
            .map_err(|e| e.to_string())?
            .is_none();
        if left.is_empty() && gone {
            Ok(())
        } else {
            Err(format!("left: {left:?}, cenv gone: {gone}"))
        }
    })
    .await;
}

/// The newest Event with `reason` for object `name`, if any.
async fn event_note(ns: &TestNamespace, name: &str, reason: &str) -> Option<String> {
    use k8s_openapi::api::events::v1::Event;
    let events: Api<Event> = ns.api();
    let mut list: Vec<Event> = events
        .list(&Default::default())
        .await
        .ok()?
        .items
        .into_iter()
        .filter(|e| {
            e.reason.as_deref() == Some(reason)
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
        })
        .collect();
    list.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    list.last().and_then(|e| e.note.clone())
}

fn drifted(env: &ClaudeEnvironment) -> Option<claude_env_api::DriftStatus> {
    env.status.as_ref()?.drift.clone()
}

async fn scale(ns: &TestNamespace, name: &str, replicas: i32) {
    let d: Api<Deployment> = ns.api();
    let patch = json!({"spec": {"replicas": replicas}});
    d.patch(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&patch),
    )
    .await
    .unwrap();
}

async fn set_image(ns: &TestNamespace, name: &str, image: &str) {
    let d: Api<Deployment> = ns.api();
    let patch =
        json!({"spec": {"template": {"spec": {"containers": [{"name": "mcp", "image": image}]}}}});
    d.patch(
        name,
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Strategic(&patch),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn development_drift_is_remediated_by_kind_and_reported_with_its_category() {
    let ns = TestNamespace::new("drift-dev").await;
    let repo = ConfigRepo::example();
    // Development runs the servers in-cluster too, for this test.
    let staging = repo.read("environments/staging/mcp-deploy.yaml");
    let head = repo.change(
        "environments/development/mcp-deploy.yaml",
        &staging,
        "deploy in development",
    );
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("dev", &repo.url, "development", "backend", json!({})),
    )
    .await
    .unwrap();
    let env = ready_at(&envs, "dev", &head, Duration::from_secs(90)).await;
    // Server-defaulted fields (protocol, pull policy, strategy, ...) never count.
    let d = drifted(&env).unwrap_or_default();
    assert_eq!(d.drifted_fields, 0, "{:?}", d.items);
    let config_map = env
        .status
        .unwrap()
        .inventory
        .unwrap()
        .entries
        .into_iter()
        .find(|e| e.kind == "ConfigMap")
        .unwrap()
        .name;
    let deployments: Api<Deployment> = ns.api();
    let services: Api<Service> = ns.api();
    let config_maps: Api<ConfigMap> = ns.api();

    // Each edit is put back, and the remediation says what kind of drift it was.
    set_image(&ns, "dev-context7", "evil.example.com/miner:latest").await;
    wait::until("image restored", Duration::from_secs(30), || async {
        let d = deployments
            .get("dev-context7")
            .await
            .map_err(|e| e.to_string())?;
        if image(&d).contains(STAGING_CONTEXT7) {
            Ok(())
        } else {
            Err(image(&d))
        }
    })
    .await;
    let note = event_note(&ns, "dev", "DriftDetected").await.unwrap();
    assert!(note.contains("Configuration/Medium"), "{note}");
    assert!(
        note.contains("/spec/template/spec/containers/0/image"),
        "{note}"
    );

    scale(&ns, "dev-context7", 4).await;
    wait::until("replicas restored", Duration::from_secs(30), || async {
        let d = deployments
            .get("dev-context7")
            .await
            .map_err(|e| e.to_string())?;
        match d.spec.unwrap().replicas {
            Some(1) => Ok(()),
            r => Err(format!("{r:?}")),
        }
    })
    .await;

    services
        .delete("dev-sequential-thinking", &Default::default())
        .await
        .unwrap();
    wait::until("service recreated", Duration::from_secs(30), || async {
        services
            .get_opt("dev-sequential-thinking")
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
            .ok_or("missing".into())
    })
    .await;

    config_maps
        .delete(&config_map, &Default::default())
        .await
        .unwrap();
    wait::until("config map recreated", Duration::from_secs(30), || async {
        config_maps
            .get_opt(&config_map)
            .await
            .map_err(|e| e.to_string())?
            .map(|_| ())
            .ok_or("missing".into())
    })
    .await;

    let env = envs.get("dev").await.unwrap();
    let last = drifted(&env)
        .and_then(|d| d.last_remediation)
        .expect("a remediation is recorded");
    assert!(last.percentage > 0.0);
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "claude_env_drift_remediations_total",
            &[("name", "dev")]
        )
        .unwrap()
            >= 4.0
    );
}

#[tokio::test]
async fn production_drift_is_reported_not_reverted_but_security_drift_is_reverted() {
    let ns = TestNamespace::new("drift-prod").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("prod", &repo.url, "production", "backend", json!({})),
    )
    .await
    .unwrap();
    ready_at(&envs, "prod", &repo.head(), Duration::from_secs(120)).await;
    let deployments: Api<Deployment> = ns.api();
    let pinned = image(&deployments.get("prod-context7").await.unwrap());

    set_image(
        &ns,
        "prod-context7",
        "ghcr.io/claude-env/context7-mcp:9.9.9",
    )
    .await;
    let d = wait::until("image drift reported", Duration::from_secs(30), || async {
        let env = envs.get("prod").await.map_err(|e| e.to_string())?;
        match (drifted(&env), condition_of(&env, condition::DRIFTED)) {
            (Some(d), Some((s, _, _))) if d.drifted_fields > 0 && s == "True" => Ok(d),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let item = d
        .items
        .iter()
        .find(|i| i.path == "/spec/template/spec/containers/0/image")
        .expect("image item");
    assert_eq!(item.object, format!("Deployment/{}/prod-context7", ns.name));
    assert_eq!(item.category, claude_env_api::DriftCategory::Configuration);
    assert_eq!(item.severity, claude_env_api::DriftSeverity::Medium);
    assert!(
        d.percentage > 0.0 && d.percentage < 10.0,
        "{}",
        d.percentage
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        image(&deployments.get("prod-context7").await.unwrap()).contains("9.9.9"),
        "production drift is only reported"
    );
    let m = ctl.metrics().await;
    let pct = metric(
        &m,
        "claude_env_drift_percentage",
        &[("name", "prod"), ("environment", "production")],
    )
    .unwrap();
    assert_eq!(pct, d.percentage);
    assert_eq!(
        metric(
            &m,
            "claude_env_drift_items",
            &[
                ("name", "prod"),
                ("category", "Configuration"),
                ("severity", "Medium")
            ]
        ),
        Some(1.0)
    );

    // Security drift (the pod may escalate privileges) is reverted even in production, and
    // the object is restored as a whole.
    let patch = json!({"spec": {"template": {"spec": {"containers": [{"name": "mcp", "securityContext": {"allowPrivilegeEscalation": true}}]}}}});
    deployments
        .patch(
            "prod-context7",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Strategic(&patch),
        )
        .await
        .unwrap();
    wait::until(
        "security drift reverted",
        Duration::from_secs(30),
        || async {
            let d = deployments
                .get("prod-context7")
                .await
                .map_err(|e| e.to_string())?;
            let c = &d.spec.unwrap().template.spec.unwrap().containers[0];
            let escalate = c
                .security_context
                .as_ref()
                .and_then(|s| s.allow_privilege_escalation);
            if escalate == Some(false) {
                Ok(())
            } else {
                Err(format!("{escalate:?}"))
            }
        },
    )
    .await;
    // The Event follows the restore in the same reconcile: wait for it, not just the restore.
    let note = wait::until(
        "a DriftRemediated Event",
        Duration::from_secs(30),
        || async {
            event_note(&ns, "prod", "DriftRemediated")
                .await
                .ok_or_else(|| "none yet".to_string())
        },
    )
    .await;
    assert!(note.contains("Security"), "{note}");
    assert_eq!(
        image(&deployments.get("prod-context7").await.unwrap()),
        pinned,
        "restored as a whole"
    );
}

#[tokio::test]
async fn git_server_down_keeps_what_is_applied_and_recovers_by_itself() {
    let ns = TestNamespace::new("gitdown").await;
    let mut repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "2s", "timeout": "3s"}}),
        ),
    )
    .await
    .unwrap();
    let first = repo.head();
    ready_at(&envs, "be", &first, Duration::from_secs(90)).await;
    let before = live_versions(&ns).await;

    repo.server.stop();
    let (reason, message) = wait::until(
        "fetch failure reported",
        Duration::from_secs(60),
        || async {
            let env = envs.get("be").await.map_err(|e| e.to_string())?;
            match condition_of(&env, condition::READY) {
                Some((s, r, m)) if s == "False" && r == "GitOperationFailed" => Ok((r, m)),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert_eq!(reason, "GitOperationFailed");
    // It stays failed over several intervals: the cached revision is not served as fresh.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let env = envs.get("be").await.unwrap();
        assert_eq!(
            condition_of(&env, condition::READY).unwrap().0,
            "False",
            "Ready flipped back while the server is down"
        );
    }
    assert!(
        message.contains(&repo.url) || message.contains("127.0.0.1"),
        "{message}"
    );
    let env = envs.get("be").await.unwrap();
    assert_eq!(
        condition_of(&env, condition::RECONCILING).unwrap().1,
        "ProgressingWithRetry"
    );
    assert_eq!(
        env.status.unwrap().last_applied_revision.as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        live_versions(&ns).await,
        before,
        "nothing applied or pruned while the source is down"
    );
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "claude_env_git_fetch_failures_total",
            &[("category", "network")]
        )
        .unwrap()
            >= 1.0
    );

    let next = repo.change(
        "teams/backend/memory-note.yaml",
        "metadata:\n  note: back\n",
        "while it was down",
    );
    repo.server.restart();
    ready_at(&envs, "be", &next, Duration::from_secs(90)).await;
}

#[tokio::test]
async fn with_verify_only_commits_signed_by_a_trusted_key_are_applied() {
    use claude_env_testkit::SshKeyPair;
    use k8s_openapi::api::core::v1::Secret;
    let ns = TestNamespace::new("verify").await;
    let repo = ConfigRepo::example();
    let key = SshKeyPair::generate();
    // Sign the tip so the first revision is trusted.
    repo.repo
        .write("teams/backend/signed.yaml", "metadata:\n  signed: true\n");
    let signed = repo.repo.commit_signed("signed", |data| key.sign(data));
    repo.repo.push();
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "signers"},
        "stringData": {"allowed_signers": format!("platform@example.com {}", key.public_key())}
    }))
    .unwrap();
    Api::<Secret>::namespaced(ns.client.clone(), &ns.name)
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let spec = json!({"source": {"verify": {"secretRef": {"name": "signers"}}}});
    envs.create(
        &PostParams::default(),
        &environment("be", &repo.url, "staging", "backend", spec),
    )
    .await
    .unwrap();
    let env = ready_at(&envs, "be", &signed, Duration::from_secs(90)).await;
    assert_eq!(
        condition_of(&env, condition::SOURCE_VERIFIED).unwrap().0,
        "True"
    );
    let before = live_versions(&ns).await;

    let mcp = repo.read("environments/staging/mcp-deploy.yaml");
    let unsigned = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp.replace(STAGING_CONTEXT7, "context7-mcp:6.6.6"),
        "unsigned",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    let message = stalled_at(&envs, "be", &unsigned).await;
    assert!(message.contains("not signed"), "{message}");
    let env = envs.get("be").await.unwrap();
    assert_eq!(
        condition_of(&env, condition::SOURCE_VERIFIED).unwrap().0,
        "False"
    );
    assert_eq!(
        env.status.unwrap().last_applied_revision.as_deref(),
        Some(signed.as_str())
    );
    assert_eq!(
        live_versions(&ns).await,
        before,
        "nothing applied from an unverified commit"
    );
}

#[tokio::test]
async fn production_waits_for_staging_to_be_healthy_on_the_same_revision() {
    let ns = TestNamespace::new("depends").await;
    let repo = ConfigRepo::example();
    let _ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    // Staging starts suspended: production must not move without it.
    envs.create(
        &PostParams::default(),
        &environment(
            "staging",
            &repo.url,
            "staging",
            "backend",
            json!({"suspend": true}),
        ),
    )
    .await
    .unwrap();
    let spec = json!({"dependsOn": [{"name": "staging"}]});
    envs.create(
        &PostParams::default(),
        &environment("production", &repo.url, "production", "backend", spec),
    )
    .await
    .unwrap();
    let head = repo.head();
    let message = wait::until("production waits", Duration::from_secs(60), || async {
        let env = envs.get("production").await.map_err(|e| e.to_string())?;
        match condition_of(&env, condition::READY) {
            Some((s, r, m)) if s == "False" && r == "DependencyNotReady" => Ok(m),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(message.contains("staging"), "{message}");
    let deployments: Api<Deployment> = ns.api();
    assert!(
        deployments
            .get_opt("production-context7")
            .await
            .unwrap()
            .is_none(),
        "nothing applied while waiting"
    );

    let resume = json!({"spec": {"suspend": false}});
    envs.patch(
        "staging",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(&resume),
    )
    .await
    .unwrap();
    let staging = ready_at(&envs, "staging", &head, Duration::from_secs(90)).await;
    let production = ready_at(&envs, "production", &head, Duration::from_secs(90)).await;
    let staged_at = condition_of(&staging, condition::HEALTHY).unwrap();
    assert_eq!(staged_at.0, "True");
    assert!(
        production
            .status
            .unwrap()
            .history
            .iter()
            .any(|h| h.revision == head)
    );
}

#[tokio::test]
async fn with_two_replicas_only_the_leader_writes_and_a_standby_takes_over() {
    use claude_env_e2e::controller::Options;
    let ns = TestNamespace::new("ha").await;
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
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "2s"}}),
        ),
    )
    .await
    .unwrap();
    ready_at(&envs, "be", &repo.head(), Duration::from_secs(90)).await;
    let leader = first.metrics().await;
    let standby = second.metrics().await;
    assert!(metric(&leader, "claude_env_reconcile_total", &[]).unwrap_or(0.0) > 0.0);
    assert_eq!(metric(&leader, "claude_env_leader", &[]), Some(1.0));
    assert_eq!(
        metric(&standby, "claude_env_reconcile_total", &[]).unwrap_or(0.0),
        0.0,
        "the standby must not reconcile"
    );
    assert_eq!(
        metric(&standby, "claude_env_leader", &[]).unwrap_or(0.0),
        0.0
    );

    // The leader dies without releasing the lease; the standby takes over once it expires.
    first.kill();
    let next = repo.change(
        "teams/backend/ha-note.yaml",
        "metadata:\n  note: after failover\n",
        "after failover",
    );
    ready_at(&envs, "be", &next, Duration::from_secs(90)).await;
    assert_eq!(
        lease_holder(&ns, "claude-env-controller").await.as_deref(),
        Some(second_id.as_str())
    );
    let took_over = second.metrics().await;
    assert!(metric(&took_over, "claude_env_reconcile_total", &[]).unwrap() > 0.0);
    assert_eq!(metric(&took_over, "claude_env_leader", &[]), Some(1.0));
}

#[tokio::test]
async fn steering_annotations_force_a_fetch_and_roll_back_until_the_branch_moves() {
    use claude_env_api::annotations;
    let ns = TestNamespace::new("steer").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "10m"}}),
        ),
    )
    .await
    .unwrap();
    let good = repo.head();
    ready_at(&envs, "be", &good, Duration::from_secs(90)).await;

    // Nothing changes: status is not rewritten (no resourceVersion churn).
    let rv = envs.get("be").await.unwrap().metadata.resource_version;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        envs.get("be").await.unwrap().metadata.resource_version,
        rv,
        "status rewritten without a change"
    );

    // `reconcile` fetches now, though the interval is 10 minutes and no webhook came.
    let mcp = repo.read("environments/staging/mcp-deploy.yaml");
    let bad = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp.replace(STAGING_CONTEXT7, "context7-mcp:0.0.1-broken"),
        "a bad bump",
    );
    annotate(&envs, "be", annotations::RECONCILE, "2026-11-21T10:00:00Z").await;
    let env = ready_at(&envs, "be", &bad, Duration::from_secs(30)).await;
    assert_eq!(
        env.status.unwrap().last_handled_reconcile_at.as_deref(),
        Some("2026-11-21T10:00:00Z")
    );

    // `rollback-to` (a short SHA, with the CLI's nonce) restores the good revision...
    annotate(
        &envs,
        "be",
        annotations::ROLLBACK_TO,
        &format!("{}@1", &good[..10]),
    )
    .await;
    let env = ready_at(&envs, "be", &good, Duration::from_secs(30)).await;
    let status = env.status.unwrap();
    // The rollback is a rollout of the old revision (it succeeded); the tip it turned away
    // from is held back.
    assert_eq!(status.rejected_revision.as_deref(), Some(bad.as_str()));
    assert_eq!(
        status.last_known_good_revision.as_deref(),
        Some(good.as_str())
    );
    assert_eq!(
        status.rollout.unwrap().phase,
        claude_env_api::RolloutPhase::Succeeded
    );
    assert!(
        status
            .history
            .iter()
            .any(|h| h.result == claude_env_api::HistoryResult::RolledBack && h.revision == good)
    );
    let deployments: Api<Deployment> = ns.api();
    assert!(image(&deployments.get("be-context7").await.unwrap()).contains(STAGING_CONTEXT7));

    // ...and holds while the branch still points at the rejected commit...
    annotate(&envs, "be", annotations::RECONCILE, "2026-11-21T10:05:00Z").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        envs.get("be")
            .await
            .unwrap()
            .status
            .unwrap()
            .last_applied_revision
            .as_deref(),
        Some(good.as_str())
    );

    // ...until a new commit arrives.
    let fixed = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp.replace(STAGING_CONTEXT7, "context7-mcp:1.4.3"),
        "fixed bump",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    ready_at(&envs, "be", &fixed, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_label_selector_shards_environments_and_oversized_hooks_are_refused() {
    use claude_env_e2e::controller::Options;
    let ns = TestNamespace::new("shard").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec!["--label-selector".into(), "shard=a".into()],
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let mut mine = environment("mine", &repo.url, "staging", "backend", json!({}));
    mine.metadata.labels = Some([("shard".to_string(), "a".to_string())].into());
    let mut theirs = environment("theirs", &repo.url, "staging", "frontend", json!({}));
    theirs.metadata.labels = Some([("shard".to_string(), "b".to_string())].into());
    envs.create(&PostParams::default(), &theirs).await.unwrap();
    envs.create(&PostParams::default(), &mine).await.unwrap();
    ready_at(&envs, "mine", &repo.head(), Duration::from_secs(90)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let other = envs.get("theirs").await.unwrap();
    assert!(
        other.status.is_none(),
        "another shard's environment was touched: {:?}",
        other.status
    );
    assert!(other.metadata.finalizers.is_none());

    // The selector's `shard=a` is stamped on everything the shard renders (its object
    // watches select on it, so a shard caches only its own objects).
    let managed = "app.kubernetes.io/managed-by=claude-env-controller";
    let objects = |selector: String| {
        let ns = &ns;
        async move {
            let lp = kube::api::ListParams::default().labels(&selector);
            let mut out: Vec<(String, Option<String>)> = Vec::new();
            let shard_of = |m: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta| {
                m.labels.as_ref().and_then(|l| l.get("shard").cloned())
            };
            for o in ns.api::<Deployment>().list(&lp).await.unwrap() {
                out.push((
                    format!("Deployment/{}", o.name_any()),
                    shard_of(&o.metadata),
                ));
            }
            for o in ns.api::<Service>().list(&lp).await.unwrap() {
                out.push((format!("Service/{}", o.name_any()), shard_of(&o.metadata)));
            }
            for o in ns.api::<ConfigMap>().list(&lp).await.unwrap() {
                out.push((format!("ConfigMap/{}", o.name_any()), shard_of(&o.metadata)));
            }
            out.sort();
            out
        }
    };
    let all = objects(managed.to_string()).await;
    assert!(
        all.iter().any(|(k, _)| k.starts_with("Deployment/")),
        "{all:?}"
    );
    assert!(
        all.iter().all(|(_, shard)| shard.as_deref() == Some("a")),
        "{all:?}"
    );
    assert_eq!(objects(format!("{managed},shard=a")).await, all);

    let big = vec![b'x'; 1024 * 1024 + 1];
    assert_eq!(ctl.webhook("/hooks/github", &[], &big).await, 413);
    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("provider", "github"), ("result", "too-large")]
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn credentials_come_from_the_referenced_secret_and_never_leak() {
    use claude_env_testkit::HttpAuth;
    use k8s_openapi::api::core::v1::Secret;
    let ns = TestNamespace::new("auth").await;
    let repo = ConfigRepo::example_with(HttpAuth::Basic {
        username: "platform".into(),
        password: "s3cret-Pa55".into(),
    });
    let secrets: Api<Secret> = ns.api();
    for (name, password) in [("git-good", "s3cret-Pa55"), ("git-bad", "wrong-Pa55word")] {
        let s: Secret = serde_json::from_value(json!({
            "metadata": {"name": name},
            "stringData": {"username": "platform", "password": password}
        }))
        .unwrap();
        secrets.create(&PostParams::default(), &s).await.unwrap();
    }
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let good = json!({"source": {"secretRef": {"name": "git-good"}}});
    let bad = json!({"source": {"secretRef": {"name": "git-bad"}, "interval": "2s"}});
    envs.create(
        &PostParams::default(),
        &environment("good", &repo.url, "staging", "backend", good),
    )
    .await
    .unwrap();
    ready_at(&envs, "good", &repo.head(), Duration::from_secs(90)).await;

    // Another host name for the same server: its own source, so the good environment's
    // fetch does not answer for it.
    let other_url = repo.url.replace("127.0.0.1", "localhost");
    envs.create(
        &PostParams::default(),
        &environment("bad", &other_url, "staging", "frontend", bad),
    )
    .await
    .unwrap();
    let message = wait::until("auth failure", Duration::from_secs(60), || async {
        let env = envs.get("bad").await.map_err(|e| e.to_string())?;
        match condition_of(&env, condition::READY) {
            Some((s, r, m)) if s == "False" && r == "GitOperationFailed" => Ok(m),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(
        !message.contains("wrong-Pa55word") && !message.contains("s3cret"),
        "{message}"
    );
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "claude_env_git_fetch_failures_total",
            &[("category", "auth")]
        )
        .unwrap()
            >= 1.0
    );
    assert!(!m.contains("Pa55"));
}

#[tokio::test]
async fn a_webhook_delivered_to_a_standby_reaches_the_leader() {
    use claude_env_e2e::controller::Options;
    let ns = TestNamespace::new("ha-hook").await;
    let repo = ConfigRepo::example();
    let leader = Controller::start_with(
        &ns.name,
        Options {
            leader_elect: true,
            ..Default::default()
        },
    )
    .await;
    let leader_id = format!("controller-{}", leader.metrics_port);
    wait::until("first replica leads", Duration::from_secs(30), || async {
        match lease_holder(&ns, "claude-env-controller").await {
            Some(h) if h == leader_id => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let standby = Controller::start_with(
        &ns.name,
        Options {
            leader_elect: true,
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    // A ten-minute interval: only the webhook can bring the next commit quickly.
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "10m"}}),
        ),
    )
    .await
    .unwrap();
    ready_at(&envs, "be", &repo.head(), Duration::from_secs(90)).await;

    let next = repo.change(
        "teams/backend/hook-note.yaml",
        "metadata:\n  note: via the standby\n",
        "via the standby",
    );
    assert_eq!(standby.push_hook(&repo.url, "main").await, 202);
    ready_at(&envs, "be", &next, Duration::from_secs(30)).await;
    let env = envs.get("be").await.unwrap();
    assert!(
        env.annotations()
            .contains_key(claude_env_api::annotations::RECONCILE),
        "the standby marks the environment"
    );
    let m = standby.metrics().await;
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("result", "accepted")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&m, "claude_env_reconcile_total", &[]).unwrap_or(0.0),
        0.0,
        "the standby still does not reconcile"
    );
}
