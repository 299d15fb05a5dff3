//! The desired Kubernetes objects: ConfigMap, Deployments, Services.

mod common;

use claude_env_render::{DesiredObjects, RenderContext, RenderError, render_objects};
use common::{ctx, deployed, doc};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Container;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn objects(d: &claude_env_render::Document) -> DesiredObjects {
    render_objects(d, &ctx()).unwrap()
}

fn deployment(o: &DesiredObjects) -> &Deployment {
    &o.servers[0].deployment
}

fn container(o: &DesiredObjects) -> &Container {
    &deployment(o)
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
}

fn env(o: &DesiredObjects) -> Value {
    serde_json::to_value(container(o).env.as_ref().unwrap()).unwrap()
}

#[test]
fn the_config_map_is_immutable_named_by_hash_and_holds_every_file() {
    let o = objects(&deployed(json!({})));
    let cm = &o.config_map;
    assert_eq!(cm.immutable, Some(true));
    assert_eq!(o.config_hash.len(), 10);
    assert_eq!(
        cm.metadata.name.as_deref(),
        Some(format!("dev-config-{}", o.config_hash).as_str())
    );
    assert_eq!(cm.metadata.namespace.as_deref(), Some("claude-dev"));
    let keys: Vec<_> = cm.data.as_ref().unwrap().keys().collect();
    assert_eq!(keys, ["CLAUDE.md", "mcp.json", "settings.json"]);
}

#[test]
fn file_paths_map_to_config_map_keys_and_back_through_the_volume() {
    let mut d = deployed(json!({}));
    d.commands.insert("review".into(), "Review.".into());
    let o = objects(&d);
    assert!(
        o.config_map
            .data
            .as_ref()
            .unwrap()
            .contains_key("commands__review.md")
    );
    let pod = deployment(&o)
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap();
    let vol = pod
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .find(|v| v.name == "config")
        .unwrap();
    let cm = vol.config_map.as_ref().unwrap();
    assert_eq!(
        Some(cm.name.as_str()),
        o.config_map.metadata.name.as_deref()
    );
    let items: Vec<_> = cm
        .items
        .as_ref()
        .unwrap()
        .iter()
        .map(|i| (i.key.as_str(), i.path.as_str()))
        .collect();
    assert!(
        items.contains(&("commands__review.md", "commands/review.md")),
        "{items:?}"
    );
    let mount = &container(&o).volume_mounts.as_ref().unwrap()[0];
    assert_eq!(
        (mount.mount_path.as_str(), mount.read_only),
        ("/etc/claude-env", Some(true))
    );
}

#[test]
fn the_pod_template_carries_the_config_hash_so_a_config_change_rolls_pods() {
    let a = objects(&deployed(json!({})));
    let template = deployment(&a)
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap();
    assert_eq!(
        template.annotations.as_ref().unwrap()["claude-env.io/config-hash"],
        a.config_hash
    );

    let mut changed = deployed(json!({}));
    changed.memory = Some("# Team, revised\n".into());
    let b = objects(&changed);
    assert_ne!(a.config_hash, b.config_hash);
    assert_ne!(a.config_map.metadata.name, b.config_map.metadata.name);
}

#[test]
fn the_config_hash_ignores_what_is_not_in_the_files() {
    let a = objects(&deployed(json!({})));
    let b = objects(&deployed(json!({"replicas": 3, "labels": {"tier": "x"}})));
    assert_eq!(a.config_hash, b.config_hash);
    let other_revision = RenderContext {
        revision: Some("abc123".into()),
        ..ctx()
    };
    let c = render_objects(&deployed(json!({})), &other_revision).unwrap();
    assert_eq!(a, c, "the revision is not written into objects");
}

#[test]
fn selectors_are_stable_across_content_environment_and_revision() {
    let a = objects(&deployed(json!({})));
    let mut d = deployed(json!({"replicas": 2, "image": "ghcr.io/claude-env/context7-mcp:1.5.0"}));
    d.memory = Some("changed".into());
    let moved = RenderContext {
        environment: "staging".into(),
        revision: Some("feedface".into()),
        ..ctx()
    };
    let b = render_objects(&d, &moved).unwrap();
    let sel = |o: &DesiredObjects| {
        (
            deployment(o).spec.as_ref().unwrap().selector.clone(),
            o.servers[0].service.spec.as_ref().unwrap().selector.clone(),
        )
    };
    assert_eq!(sel(&a), sel(&b));
    let (deploy_sel, service_sel) = sel(&a);
    let expected = json!({
        "claude-env.io/owner-name": "dev",
        "claude-env.io/owner-namespace": "platform",
        "claude-env.io/server": "context7",
    });
    assert_eq!(
        serde_json::to_value(&deploy_sel.match_labels).unwrap(),
        expected
    );
    assert_eq!(serde_json::to_value(&service_sel).unwrap(), expected);
    // The selector selects the template.
    let template_labels = deployment(&a)
        .spec
        .as_ref()
        .unwrap()
        .template
        .metadata
        .as_ref()
        .unwrap()
        .labels
        .clone()
        .unwrap();
    for (k, v) in deploy_sel.match_labels.unwrap() {
        assert_eq!(template_labels.get(&k), Some(&v), "{k}");
    }
}

#[test]
fn objects_carry_ownership_and_app_labels() {
    let o = objects(&deployed(json!({})));
    let labels = serde_json::to_value(&deployment(&o).metadata.labels).unwrap();
    assert_eq!(
        labels,
        json!({
            "app.kubernetes.io/component": "mcp-server",
            "app.kubernetes.io/instance": "dev-context7",
            "app.kubernetes.io/managed-by": "claude-env-controller",
            "app.kubernetes.io/name": "context7",
            "app.kubernetes.io/part-of": "dev",
            "claude-env.io/environment": "development",
            "claude-env.io/owner-name": "dev",
            "claude-env.io/owner-namespace": "platform",
            "claude-env.io/server": "context7",
        })
    );
    assert_eq!(
        o.servers[0].service.metadata.labels,
        deployment(&o).metadata.labels
    );
    let cm_labels = o.config_map.metadata.labels.as_ref().unwrap();
    assert_eq!(cm_labels["app.kubernetes.io/component"], "config");
    assert_eq!(cm_labels["claude-env.io/owner-name"], "dev");
}

#[test]
fn user_labels_and_annotations_are_added_but_ours_cannot_be_overridden() {
    let o = objects(&deployed(json!({
        "labels": {"claude-env.io/simulate": "crashloop", "tier": "tools"},
        "annotations": {"prometheus.io/scrape": "true"},
    })));
    let d = deployment(&o);
    let template = d.spec.as_ref().unwrap().template.metadata.as_ref().unwrap();
    for labels in [
        &d.metadata.labels,
        &template.labels,
        &o.servers[0].service.metadata.labels,
    ] {
        assert_eq!(
            labels.as_ref().unwrap()["claude-env.io/simulate"],
            "crashloop"
        );
    }
    assert_eq!(
        template.annotations.as_ref().unwrap()["prometheus.io/scrape"],
        "true"
    );

    for (field, key) in [
        ("labels", "claude-env.io/server"),
        ("labels", "app.kubernetes.io/managed-by"),
        ("annotations", "claude-env.io/config-hash"),
    ] {
        let err = render_objects(&deployed(json!({field: {key: "x"}})), &ctx()).unwrap_err();
        assert!(
            matches!(&err, RenderError::ReservedKey { key: k, pointer, .. }
                if k == key && pointer == &format!("/mcpServers/context7/deploy/{field}/{}", key.replace('/', "~1"))),
            "{err:?}"
        );
    }
    let err = render_objects(&deployed(json!({"labels": {"tier": "a b"}})), &ctx()).unwrap_err();
    assert!(
        matches!(
            err,
            RenderError::InvalidMetadata {
                what: "label value",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_whole_secret_value_becomes_a_secret_key_ref() {
    let o = objects(&deployed(
        json!({"env": {"API_KEY": "${secret:context7/api-key}", "LOG": "info"}}),
    ));
    assert_eq!(
        env(&o),
        json!([
            {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "context7", "key": "api-key"}}},
            {"name": "LOG", "value": "info"},
        ])
    );
}

#[test]
fn an_embedded_secret_is_defined_first_and_expanded_by_kubernetes() {
    let o = objects(&deployed(json!({
        "env": {"AUTH": "Bearer ${secret:api/token}"},
        "args": ["--key=${secret:api/token}", "--port=8080"],
    })));
    assert_eq!(
        env(&o),
        json!([
            {"name": "CLAUDE_ENV_SECRET_API__TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
            {"name": "AUTH", "value": "Bearer $(CLAUDE_ENV_SECRET_API__TOKEN)"},
        ])
    );
    assert_eq!(
        container(&o).args.as_deref(),
        Some(
            &[
                "--key=$(CLAUDE_ENV_SECRET_API__TOKEN)".to_string(),
                "--port=8080".to_string()
            ][..]
        )
    );
}

#[test]
fn workstation_env_references_cannot_run_in_the_cluster() {
    for (extra, pointer) in [
        (
            json!({"env": {"KEY": "${env:MAGIC_API_KEY}"}}),
            "/mcpServers/context7/deploy/env/KEY",
        ),
        (
            json!({"args": ["--x", "${env:X}"]}),
            "/mcpServers/context7/deploy/args/1",
        ),
    ] {
        let err = render_objects(&deployed(extra), &ctx()).unwrap_err();
        assert!(
            matches!(&err, RenderError::EnvInCluster { server, pointer: p, .. } if server == "context7" && p == pointer),
            "{err:?}"
        );
    }
}

#[test]
fn references_where_kubernetes_cannot_take_them_are_rejected() {
    for extra in [
        json!({"image": "ghcr.io/x/${secret:a/b}:1"}),
        json!({"resources": {"limits": {"cpu": "${env:CPU}"}}}),
        json!({"annotations": {"a": "${secret:a/b}"}}),
    ] {
        let err = render_objects(&deployed(extra.clone()), &ctx()).unwrap_err();
        assert!(
            matches!(err, RenderError::ReferenceNotAllowed { .. }),
            "{extra}: {err:?}"
        );
    }
}

#[test]
fn defaults_are_secure_and_minimal() {
    let o = objects(&deployed(json!({})));
    let d = serde_json::to_value(deployment(&o)).unwrap();
    assert_eq!(d["spec"]["replicas"], 1);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    let c = &pod["containers"][0];
    assert_eq!(
        c["securityContext"],
        json!({
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": true,
            "runAsNonRoot": true,
        })
    );
    assert_eq!(c["ports"], json!([{"containerPort": 8080, "name": "mcp"}]));
    assert_eq!(c["readinessProbe"], json!({"tcpSocket": {"port": "mcp"}}));
    assert!(d.get("status").is_none());
    let svc = serde_json::to_value(&o.servers[0].service).unwrap();
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"name": "mcp", "port": 8080, "targetPort": "mcp"}])
    );
    assert!(svc.get("status").is_none());
}

#[test]
fn health_check_path_resources_and_replicas_are_rendered() {
    let o = objects(&deployed(json!({
        "replicas": 3,
        "healthCheck": {"path": "/healthz", "mcp": true},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
    })));
    let c = serde_json::to_value(container(&o)).unwrap();
    assert_eq!(
        c["readinessProbe"],
        json!({"httpGet": {"path": "/healthz", "port": "mcp"}})
    );
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}})
    );
    assert_eq!(deployment(&o).spec.as_ref().unwrap().replicas, Some(3));
}

#[test]
fn only_enabled_servers_with_deploy_get_workloads() {
    let d = doc(json!({"mcpServers": {
        "a": {"deploy": {"image": "r/a:1", "port": 80}},
        "b": {"deploy": {"image": "r/b:1", "port": 80}, "enabled": false},
        "c": {"command": "npx"},
        "d": {"url": "https://x/mcp"},
    }}));
    let o = objects(&d);
    let servers: Vec<_> = o.servers.iter().map(|s| s.server.as_str()).collect();
    assert_eq!(servers, ["a"]);
}

#[test]
fn long_names_fit_in_63_characters_and_stay_valid() {
    let long = RenderContext {
        instance: "a-very-long-claude-environment-name-for-the-storefront-team".into(),
        ..ctx()
    };
    let d = doc(json!({"mcpServers": {
        "sequential-thinking": {"deploy": {"image": "r/a:1", "port": 80}},
        "Sequential_Thinking": {"deploy": {"image": "r/a:1", "port": 80}},
    }}));
    let o = render_objects(&d, &long).unwrap();
    let names: Vec<String> = o
        .servers
        .iter()
        .map(|s| s.deployment.metadata.name.clone().unwrap())
        .collect();
    assert_ne!(names[0], names[1]);
    for (s, name) in o.servers.iter().zip(&names) {
        assert!(name.len() <= 63, "{name}");
        assert!(claude_env_render::naming::is_dns1035_label(name), "{name}");
        assert_eq!(s.service.metadata.name.as_ref(), Some(name));
    }
    // mcp.json points at the same Service name.
    let mcp = o.config_map.data.as_ref().unwrap()["mcp.json"].clone();
    assert!(
        mcp.contains(&format!(
            "http://{}.claude-dev.svc.cluster.local:80/mcp",
            names[1]
        )),
        "{mcp}"
    );
}

#[test]
fn invalid_deploy_values_are_errors_naming_the_field() {
    for (extra, pointer) in [
        (json!({"port": 0}), "/mcpServers/context7/deploy/port"),
        (
            json!({"replicas": -1}),
            "/mcpServers/context7/deploy/replicas",
        ),
        (json!({"image": " "}), "/mcpServers/context7/deploy/image"),
        (
            json!({"env": {"1BAD": "x"}}),
            "/mcpServers/context7/deploy/env/1BAD",
        ),
    ] {
        let err = render_objects(&deployed(extra.clone()), &ctx()).unwrap_err();
        let got = match &err {
            RenderError::InvalidServer { pointer, .. } => pointer.as_str(),
            other => panic!("{extra}: {other:?}"),
        };
        assert_eq!(got, pointer);
    }
}

#[test]
fn everything_lives_in_the_target_namespace() {
    let o = objects(&deployed(json!({})));
    for ns in [
        &o.config_map.metadata.namespace,
        &o.servers[0].deployment.metadata.namespace,
        &o.servers[0].service.metadata.namespace,
    ] {
        assert_eq!(ns.as_deref(), Some("claude-dev"));
    }
}

#[test]
fn streams_are_deterministic_typed_and_in_apply_order() {
    let d = doc(json!({"mcpServers": {
        "b": {"deploy": {"image": "r/b:1", "port": 80, "env": {"Z": "1", "A": "2"}}},
        "a": {"deploy": {"image": "r/a:1", "port": 80}},
    }}));
    let (x, y) = (objects(&d), objects(&d));
    assert_eq!(x.to_yaml().unwrap(), y.to_yaml().unwrap());
    let yaml = x.to_yaml().unwrap();
    let kinds: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect();
    assert_eq!(
        kinds,
        [
            "ConfigMap",
            "Service",
            "Deployment",
            "Service",
            "Deployment"
        ]
    );
    assert_eq!(yaml.matches("apiVersion: ").count(), 5);
    assert_eq!(yaml.matches("\n---\n").count(), 4);

    let list: Value = serde_json::from_str(&x.to_json().unwrap()).unwrap();
    assert_eq!(list["kind"], "List");
    let items: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["apiVersion"].as_str().unwrap(),
                i["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("v1", format!("dev-config-{}", x.config_hash).as_str()),
            ("v1", "dev-a"),
            ("apps/v1", "dev-a"),
            ("v1", "dev-b"),
            ("apps/v1", "dev-b"),
        ]
    );
    let env_names: Vec<_> = list["items"][4]["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(env_names, ["A", "Z"]);
}

#[test]
fn yaml_round_trips_to_the_same_objects() {
    let o = objects(&deployed(json!({"env": {"K": "${secret:a/b}"}})));
    let yaml = o.to_yaml().unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    assert_eq!(docs[0], serde_json::to_value(&o.config_map).unwrap());
    assert_eq!(
        docs[2],
        serde_json::to_value(&o.servers[0].deployment).unwrap()
    );
}

#[test]
fn manifests_are_the_objects_as_applied_config_map_first_with_the_readiness_deadline() {
    use claude_env_render::{ObjectKind, manifests};
    let o = objects(&deployed(json!({})));
    let m = manifests(&o, std::time::Duration::from_secs(90));
    let keys: Vec<String> = m.iter().map(|d| d.key.to_string()).collect();
    assert_eq!(
        keys,
        [
            format!("ConfigMap/claude-dev/dev-config-{}", o.config_hash),
            "Service/claude-dev/dev-context7".into(),
            "Deployment/claude-dev/dev-context7".into(),
        ]
    );
    for d in &m {
        assert_eq!(d.value["kind"], d.key.kind.as_str());
        assert_eq!(d.entry().key().unwrap(), d.key);
    }
    let deployment = m
        .iter()
        .find(|d| d.key.kind == ObjectKind::Deployment)
        .unwrap();
    assert_eq!(deployment.value["spec"]["progressDeadlineSeconds"], 90);
    assert_eq!(deployment.server.as_deref(), Some("context7"));
    // A zero deadline would mean "fail at once": the floor is one second.
    let m = manifests(&o, std::time::Duration::ZERO);
    assert_eq!(m[2].value["spec"]["progressDeadlineSeconds"], 1);
}
