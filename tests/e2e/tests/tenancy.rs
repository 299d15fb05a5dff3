//! One controller shared by several teams (issue 11): each tenant's ClaudeEnvironments act
//! only in their own namespace, take over nothing they did not create, get only the Git
//! revisions their own credentials reach, aim health checks only where the operator allows,
//! and every refusal is a clear condition with nothing applied. Two namespaces per test, a
//! real Git server with and without credentials, real HTTP servers for egress.

use std::io::{Read, Write};
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, condition, labels};
use claude_env_e2e::controller::Options;
use claude_env_e2e::envs::{self, stalled_with};
use claude_env_e2e::{
    ConfigRepo, Controller, TestNamespace, condition_of, environment, metric, wait,
};
use claude_env_testkit::{CannedServer, HttpAuth};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use serde_json::json;

/// A controller serving every namespace, limited by a label to this test's environments.
async fn shared_controller(shard: &str, owner_ns: &str, extra: &[&str]) -> Controller {
    let mut extra_args = vec!["--label-selector".to_string(), label_selector(shard)];
    extra_args.extend(extra.iter().map(|s| s.to_string()));
    Controller::start_with(
        owner_ns,
        Options {
            watch_namespace: false,
            extra_args,
            ..Default::default()
        },
    )
    .await
}

fn label_selector(shard: &str) -> String {
    format!("claude-env.io/e2e-shard={shard}")
}

/// `environment(..)` labelled for the shard's controller.
fn env_in_shard(
    shard: &str,
    name: &str,
    url: &str,
    environment_name: &str,
    team: &str,
    spec: serde_json::Value,
) -> ClaudeEnvironment {
    let mut e = environment(name, url, environment_name, team, spec);
    e.metadata.labels = Some([("claude-env.io/e2e-shard".to_string(), shard.to_string())].into());
    e
}

async fn refused(api: &Api<ClaudeEnvironment>, name: &str, reason: &str) -> String {
    stalled_with(api, name, reason, Duration::from_secs(60)).await
}

async fn ready(api: &Api<ClaudeEnvironment>, name: &str) -> ClaudeEnvironment {
    envs::ready(api, name, Duration::from_secs(90)).await
}

/// Objects claude-env manages in `ns`.
async fn managed_config_maps(ns: &TestNamespace) -> Vec<String> {
    let cms: Api<ConfigMap> = ns.api();
    cms.list(&ListParams::default().labels(&format!(
        "{}={}",
        labels::MANAGED_BY,
        labels::MANAGED_BY_VALUE
    )))
    .await
    .unwrap()
    .items
    .into_iter()
    .filter_map(|c| c.metadata.name)
    .collect()
}

#[tokio::test]
async fn objects_and_dependencies_stay_in_the_own_namespace_unless_the_operator_allows_more() {
    let a = TestNamespace::new("ten-a").await;
    let b = TestNamespace::new("ten-b").await;
    let repo = ConfigRepo::example();
    let mut ctl = shared_controller(&a.name, &a.name, &[]).await;
    let envs: Api<ClaudeEnvironment> = a.api();
    for (name, extra) in [
        ("cross", json!({"targetNamespace": b.name})),
        (
            "dep",
            json!({"dependsOn": [{"name": "staging", "namespace": b.name}]}),
        ),
    ] {
        envs.create(
            &PostParams::default(),
            &env_in_shard(&a.name, name, &repo.url, "development", "backend", extra),
        )
        .await
        .unwrap();
    }
    let m = refused(&envs, "cross", "NamespaceNotAllowed").await;
    assert!(
        m.contains("spec.targetNamespace") && m.contains(&b.name) && m.contains(&a.name),
        "{m}"
    );
    let m = refused(&envs, "dep", "NamespaceNotAllowed").await;
    assert!(m.contains("spec.dependsOn[0].namespace"), "{m}");
    assert!(
        managed_config_maps(&b).await.is_empty(),
        "nothing may be written into {}",
        b.name
    );

    // The operator allows a -> b: the same environment is applied there.
    ctl.terminate();
    let _ctl = shared_controller(
        &a.name,
        &a.name,
        &[
            "--allow-target-namespace",
            &format!("{}={}", a.name, b.name),
        ],
    )
    .await;
    ready(&envs, "cross").await;
    let in_b = managed_config_maps(&b).await;
    assert_eq!(in_b.len(), 1, "{in_b:?}");
    assert!(in_b[0].starts_with("cross-config-"), "{in_b:?}");
}

#[tokio::test]
async fn an_object_another_environment_or_a_user_owns_is_never_taken_over() {
    let ns = TestNamespace::new("ten-own").await;
    let repo = ConfigRepo::example();
    // Team `collide` deploys a server `b-context7`: environment `a` renders `a-b-context7`,
    // the name environment `a-b`'s context7 has.
    let deploy = "mcpServers:\n  b-context7:\n    deploy:\n      image: ghcr.io/claude-env/context7-mcp:1.4.2\n      port: 8099\n";
    repo.change("teams/collide/mcp.yaml", deploy, "team collide");
    let _ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let deployments: Api<Deployment> = ns.api();

    // A team's own Service, named like a rendered one.
    let services: Api<Service> = ns.api();
    let own: Service = serde_json::from_value(json!({
        "metadata": {"name": "web-context7", "labels": {"app": "mine"}},
        "spec": {"ports": [{"port": 80}], "selector": {"app": "mine"}}
    }))
    .unwrap();
    services.create(&PostParams::default(), &own).await.unwrap();
    envs.create(
        &PostParams::default(),
        &environment("web", &repo.url, "staging", "frontend", json!({})),
    )
    .await
    .unwrap();
    let m = refused(&envs, "web", "OwnershipConflict").await;
    assert!(
        m.contains(&format!("Service/{}/web-context7", ns.name))
            && m.contains("not created by claude-env"),
        "{m}"
    );
    let untouched = services.get("web-context7").await.unwrap();
    assert_eq!(
        untouched.metadata.labels,
        Some([("app".to_string(), "mine".to_string())].into()),
        "the team's Service keeps its labels"
    );
    assert!(
        !managed_config_maps(&ns)
            .await
            .iter()
            .any(|c| c.starts_with("web-")),
        "nothing of web applied"
    );

    // Two environments rendering one name: the first keeps it, the second stalls.
    envs.create(
        &PostParams::default(),
        &environment("a", &repo.url, "staging", "collide", json!({})),
    )
    .await
    .unwrap();
    ready(&envs, "a").await;
    envs.create(
        &PostParams::default(),
        &environment("a-b", &repo.url, "staging", "backend", json!({})),
    )
    .await
    .unwrap();
    let m = refused(&envs, "a-b", "OwnershipConflict").await;
    assert!(
        m.contains(&format!("Deployment/{}/a-b-context7", ns.name))
            || m.contains(&format!("Service/{}/a-b-context7", ns.name)),
        "{m}"
    );
    assert!(
        m.contains(&format!("ClaudeEnvironment {}/a", ns.name)),
        "{m}"
    );
    let kept = deployments.get("a-b-context7").await.unwrap();
    assert_eq!(
        kept.metadata.labels.as_ref().unwrap()[labels::OWNER_NAME],
        "a",
        "still a's"
    );

    // Deleting the loser prunes nothing of the winner's.
    envs.delete("a-b", &DeleteParams::default()).await.unwrap();
    wait::until("a-b deleted", Duration::from_secs(60), || async {
        match envs.get_opt("a-b").await {
            Ok(None) => Ok(()),
            other => Err(format!("{:?}", other.map(|o| o.is_some()))),
        }
    })
    .await;
    assert!(deployments.get_opt("a-b-context7").await.unwrap().is_some());
    ready(&envs, "a").await;
}

#[tokio::test]
async fn a_private_revision_is_served_only_to_environments_that_proved_access() {
    let a = TestNamespace::new("ten-priv-a").await;
    let b = TestNamespace::new("ten-priv-b").await;
    let repo = ConfigRepo::example_with(HttpAuth::Basic {
        username: "platform".into(),
        password: "pr1vate-Pa55".into(),
    });
    let secrets: Api<Secret> = a.api();
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "git"},
        "stringData": {"username": "platform", "password": "pr1vate-Pa55"}
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let _ctl = shared_controller(&a.name, &a.name, &[]).await;
    let with_secret: Api<ClaudeEnvironment> = a.api();
    with_secret
        .create(
            &PostParams::default(),
            &env_in_shard(
                &a.name,
                "private",
                &repo.url,
                "staging",
                "backend",
                json!({"source": {"secretRef": {"name": "git"}}}),
            ),
        )
        .await
        .unwrap();
    ready(&with_secret, "private").await;

    // Same URL and branch, no credentials, another namespace: it must fetch itself and fail.
    let without: Api<ClaudeEnvironment> = b.api();
    without
        .create(
            &PostParams::default(),
            &env_in_shard(
                &a.name,
                "freeloader",
                &repo.url,
                "staging",
                "backend",
                json!({"source": {"interval": "2s"}}),
            ),
        )
        .await
        .unwrap();
    let message = wait::until(
        "the anonymous fetch fails",
        Duration::from_secs(60),
        || async {
            let env = without.get("freeloader").await.map_err(|e| e.to_string())?;
            match condition_of(&env, condition::READY) {
                Some((s, r, m)) if s == "False" && r == "GitOperationFailed" => Ok(m),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
    assert!(!message.contains("Pa55"), "{message}");
    let env = without.get("freeloader").await.unwrap();
    let status = env.status.unwrap_or_default();
    assert_eq!(
        status.last_applied_revision, None,
        "served a private revision"
    );
    assert!(managed_config_maps(&b).await.is_empty());
}

#[tokio::test]
async fn health_checks_reach_only_allowed_hosts_and_never_echo_an_answer() {
    let ns = TestNamespace::new("ten-egress").await;
    let repo = ConfigRepo::example();
    let server = CannedServer::http("200 OK", &[], r#"{"secret":"t0ps3cret!"}"#);
    // The operator allows no host: the default, only the environment's own Services.
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            check_allowed_hosts: None,
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let checks = json!({"healthChecks": {"interval": "1s", "timeout": "20s", "http": [
        {"name": "local", "url": server.http_url("")},
        {"name": "metadata", "url": "http://169.254.169.254/latest/meta-data/"}
    ]}});
    envs.create(
        &PostParams::default(),
        &environment("dev", &repo.url, "development", "backend", checks),
    )
    .await
    .unwrap();
    let message = wait::until("the checks refused", Duration::from_secs(90), || async {
        let env = envs.get("dev").await.map_err(|e| e.to_string())?;
        let r = env.status.and_then(|s| s.rollout).unwrap_or_default();
        let m = r.message.unwrap_or_default();
        if m.contains("not allowed for health checks") || m.contains("link-local") {
            Ok(m)
        } else {
            Err(format!("{:?}: {m}", r.phase))
        }
    })
    .await;
    assert!(!message.contains("t0ps3cret"), "{message}");
    assert_eq!(server.connections(), 0, "a refused check connected");
    let m = ctl.metrics().await;
    assert!(
        metric(
            &m,
            "claude_env_limit_exceeded_total",
            &[("limit", "egress")]
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{m}"
    );
}

#[tokio::test]
async fn refused_specs_stall_with_their_reason_and_leak_no_credential() {
    let ns = TestNamespace::new("ten-spec").await;
    let repo = ConfigRepo::example();
    // The controller's own floor (10s), not the tests' 1s.
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            min_interval: None,
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let token_url = repo.url.replace("http://", "http://deploy-bot:ghp_t0ken@");
    for (name, url, spec) in [
        (
            "fast",
            repo.url.clone(),
            json!({"source": {"interval": "1s"}}),
        ),
        ("token", token_url, json!({})),
        (
            "plain",
            "http://git.example.invalid/config.git".to_string(),
            json!({"source": {"secretRef": {"name": "git"}}}),
        ),
    ] {
        envs.create(
            &PostParams::default(),
            &environment(name, &url, "development", "backend", spec),
        )
        .await
        .unwrap();
    }
    let m = refused(&envs, "fast", "IntervalTooShort").await;
    assert!(m.contains("--min-interval"), "{m}");
    let m = refused(&envs, "token", "InsecureCredentials").await;
    assert!(!m.contains("ghp_t0ken"), "{m}");
    let m = refused(&envs, "plain", "InsecureCredentials").await;
    assert!(m.contains("http://"), "{m}");
    let metrics = ctl.metrics().await;
    assert!(!metrics.contains("ghp_t0ken"));
    assert!(
        metric(
            &metrics,
            "claude_env_limit_exceeded_total",
            &[("limit", "min_interval")]
        )
        .unwrap_or(0.0)
            >= 1.0
    );
    assert!(
        !ctl.logs().contains("ghp_t0ken"),
        "the token reached the log"
    );
    assert!(managed_config_maps(&ns).await.is_empty());
}

#[tokio::test]
async fn local_urls_are_refused_without_the_flag_and_followed_with_it() {
    let ns = TestNamespace::new("ten-local").await;
    let repo = ConfigRepo::example();
    let url = repo.repo.file_url();
    let mut ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(
            "local",
            &url,
            "development",
            "backend",
            json!({"source": {"interval": "2s"}}),
        ),
    )
    .await
    .unwrap();
    let message = wait::until("file:// refused", Duration::from_secs(60), || async {
        let env = envs.get("local").await.map_err(|e| e.to_string())?;
        match condition_of(&env, condition::READY) {
            Some((s, _, m)) if s == "False" => Ok(m),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(message.contains("local"), "{message}");
    ctl.terminate();
    let _ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec!["--allow-local-urls".into()],
            ..Default::default()
        },
    )
    .await;
    ready(&envs, "local").await;
}

#[tokio::test]
async fn objects_a_crash_left_unrecorded_are_pruned_and_other_owners_are_not() {
    let ns = TestNamespace::new("ten-crash").await;
    let repo = ConfigRepo::example();
    let mut ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("dev", &repo.url, "development", "backend", json!({})),
    )
    .await
    .unwrap();
    ready(&envs, "dev").await;
    ctl.terminate();

    // What a crash between an apply and the status write leaves: an object with dev's owner
    // labels that no inventory lists. Beside it, one owned by another environment.
    let cms: Api<ConfigMap> = ns.api();
    let owned = |name: &str, owner: &str| -> ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": {
            labels::MANAGED_BY: labels::MANAGED_BY_VALUE,
            labels::OWNER_NAME: owner,
            labels::OWNER_NAMESPACE: ns.name,
        }}, "data": {"k": "v"}}))
        .unwrap()
    };
    cms.create(&PostParams::default(), &owned("dev-config-orphan", "dev"))
        .await
        .unwrap();
    cms.create(&PostParams::default(), &owned("other-config-x", "other"))
        .await
        .unwrap();
    let _ctl = Controller::start(&ns.name).await;
    wait::until("the orphan pruned", Duration::from_secs(60), || async {
        match cms.get_opt("dev-config-orphan").await {
            Ok(None) => Ok(()),
            other => Err(format!("{:?}", other.map(|o| o.is_some()))),
        }
    })
    .await;
    assert!(cms.get_opt("other-config-x").await.unwrap().is_some());
    let env = ready(&envs, "dev").await;
    let inventory = env.status.unwrap().inventory.unwrap().entries;
    for e in inventory.iter().filter(|e| e.kind == "ConfigMap") {
        assert!(
            cms.get_opt(&e.name).await.unwrap().is_some(),
            "{} kept",
            e.name
        );
    }
}

#[tokio::test]
async fn webhook_deliveries_are_bounded_in_number_and_time() {
    let ns = TestNamespace::new("ten-hooks").await;
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec![
                "--webhook-concurrency".into(),
                "1".into(),
                "--webhook-timeout".into(),
                "2s".into(),
            ],
            ..Default::default()
        },
    )
    .await;
    // A sender that announces a body and never sends it holds the one slot...
    let port = ctl.webhook_port;
    let slow = std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            s,
            "POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        )
        .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // ...so another delivery is turned away at once,
    let status = ctl
        .webhook(
            "/hooks/generic",
            &[("X-Signature", "sha256=00".into())],
            b"{}",
        )
        .await;
    assert_eq!(status, 503);
    // and the slow one is cut off after the timeout.
    let answer = tokio::task::spawn_blocking(move || slow.join().unwrap())
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let m = ctl.metrics().await;
    for limit in ["webhook_concurrency", "webhook_timeout"] {
        assert!(
            metric(&m, "claude_env_limit_exceeded_total", &[("limit", limit)]).unwrap_or(0.0)
                >= 1.0,
            "{limit}: {m}"
        );
    }
}

#[tokio::test]
async fn a_revision_over_the_snapshot_limits_is_refused_and_the_applied_one_stays() {
    let ns = TestNamespace::new("ten-bomb").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            extra_args: vec!["--max-snapshot-bytes".into(), "200000".into()],
            ..Default::default()
        },
    )
    .await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment("dev", &repo.url, "development", "backend", json!({})),
    )
    .await
    .unwrap();
    let good = repo.head();
    envs::ready_at(&envs, "dev", &good, Duration::from_secs(90)).await;

    // One 40 KB blob under ten paths: a small push, 400 KB to read.
    let blob = format!("# {}\n", "x".repeat(40_000));
    for i in 0..10 {
        repo.repo
            .write(&format!("teams/backend/bulk/f{i}.yaml"), &blob);
    }
    let bomb = repo.repo.commit("one blob, ten paths");
    repo.repo.push();
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    let m = refused(&envs, "dev", "LimitExceeded").await;
    assert!(
        m.contains("teams/backend/bulk") && m.contains(&bomb[..12]),
        "{m}"
    );
    let env = envs.get("dev").await.unwrap();
    assert_eq!(
        env.status.unwrap().last_applied_revision.as_deref(),
        Some(good.as_str()),
        "the applied revision stays"
    );
    let metrics = ctl.metrics().await;
    assert!(
        metric(
            &metrics,
            "claude_env_limit_exceeded_total",
            &[("limit", "snapshot_bytes")]
        )
        .unwrap_or(0.0)
            >= 1.0
    );
}

#[tokio::test]
async fn a_redelivered_webhook_is_answered_but_acted_on_once() {
    let ns = TestNamespace::new("ten-redeliver").await;
    let repo = ConfigRepo::example();
    let ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(
            "dev",
            &repo.url,
            "development",
            "backend",
            json!({"source": {"interval": "10m"}}),
        ),
    )
    .await
    .unwrap();
    envs::ready(&envs, "dev", Duration::from_secs(90)).await;
    let body = json!({"url": repo.url, "branch": "main"}).to_string();
    let sig = claude_env_source::webhook::sign(ctl.webhook_secret.as_bytes(), body.as_bytes());
    let headers = [
        ("X-Signature", sig),
        ("X-Delivery-Id", "push-7".to_string()),
    ];
    for _ in 0..3 {
        assert_eq!(
            ctl.webhook("/hooks/generic", &headers, body.as_bytes())
                .await,
            202
        );
    }
    let m = ctl.metrics().await;
    let by = |result: &str| {
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("provider", "generic"), ("result", result)],
        )
        .unwrap_or(0.0)
    };
    assert_eq!((by("accepted"), by("duplicate")), (1.0, 2.0), "{m}");
    // Without a delivery id every push is its own: two identical bodies both count.
    let plain = [("X-Signature", headers[0].1.clone())];
    for _ in 0..2 {
        assert_eq!(
            ctl.webhook("/hooks/generic", &plain, body.as_bytes()).await,
            202
        );
    }
    let m = ctl.metrics().await;
    assert_eq!(
        metric(
            &m,
            "claude_env_webhook_requests_total",
            &[("provider", "generic"), ("result", "accepted")]
        ),
        Some(3.0)
    );
}
