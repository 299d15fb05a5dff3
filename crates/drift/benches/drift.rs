//! Drift detection (`claude_env_drift::detect`) on the objects the controller applies, against
//! live objects as the API server returns them (defaults, status, metadata; managedFields
//! stripped, as the controller's watch caches do). Results: BENCHMARKS.md ("Drift and rollout
//! decisions").
//!
//! `cargo bench -p claude-env-drift --bench drift`

#[path = "../../render/benches/cpu_time/mod.rs"]
mod cpu_time;

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use claude_env_config::{ParsedRepo, Selection};
use claude_env_drift::{IgnoreRules, ObjectKey, detect};
use claude_env_render::{RenderContext, render_objects};
use criterion::Criterion;
use criterion::measurement::Measurement;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use serde_json::{Value, json};

const EXAMPLE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config-repo-example");
const NAMESPACE: &str = "claude-env-bench";

/// One environment's objects, as the controller holds them during a reconcile.
struct Environment {
    /// (key, desired JSON) in apply order: ConfigMap, then Service and Deployment per server.
    desired: Vec<(ObjectKey, Value)>,
    /// The watch caches' typed objects.
    store: Store,
}

#[derive(Default)]
struct Store {
    deployments: HashMap<String, Arc<Deployment>>,
    services: HashMap<String, Arc<Service>>,
    config_maps: HashMap<String, Arc<ConfigMap>>,
}

impl Store {
    /// What `Stores::live` does in the controller: the cached typed object as JSON.
    fn live(&self, key: &ObjectKey) -> Option<Value> {
        let json = |v: &dyn erased::Ser| v.to_value();
        match key.kind.as_str() {
            "Deployment" => self.deployments.get(&key.name).map(|o| json(&**o)),
            "Service" => self.services.get(&key.name).map(|o| json(&**o)),
            "ConfigMap" => self.config_maps.get(&key.name).map(|o| json(&**o)),
            _ => None,
        }
    }

    fn insert(&mut self, live: Value) {
        let name = live["metadata"]["name"].as_str().unwrap().to_string();
        match live["kind"].as_str().unwrap() {
            "Deployment" => {
                self.deployments
                    .insert(name, Arc::new(serde_json::from_value(live).unwrap()));
            }
            "Service" => {
                self.services
                    .insert(name, Arc::new(serde_json::from_value(live).unwrap()));
            }
            _ => {
                self.config_maps
                    .insert(name, Arc::new(serde_json::from_value(live).unwrap()));
            }
        }
    }
}

/// Object-safe serialization to JSON, so the store lookup above stays one match.
mod erased {
    pub(crate) trait Ser {
        fn to_value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn to_value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("objects serialize")
        }
    }
}

impl Environment {
    fn new(repo: &ParsedRepo, sel: &Selection, instance: &str) -> Environment {
        let doc = repo.load(sel, None).unwrap().document().unwrap();
        let ctx = RenderContext {
            instance: instance.to_string(),
            owner_namespace: NAMESPACE.into(),
            target_namespace: NAMESPACE.into(),
            environment: sel.environment.clone(),
            team: sel.team.clone(),
            project: sel.project.clone(),
            revision: None,
        };
        let objects = render_objects(&doc, &ctx).unwrap();
        let to_json = |o: &dyn erased::Ser| o.to_value();
        let mut desired = vec![to_json(&objects.config_map)];
        for s in &objects.servers {
            desired.push(to_json(&s.service));
            let mut d = to_json(&s.deployment);
            // As the controller shapes it (objects::desired).
            d["spec"]["progressDeadlineSeconds"] = json!(120);
            desired.push(d);
        }
        let mut store = Store::default();
        let desired = desired
            .into_iter()
            .map(|v| {
                store.insert(live(&v));
                (key_of(&v), v)
            })
            .collect();
        let env = Environment { desired, store };
        // The modelled live objects carry defaults, never drift.
        let live: HashMap<ObjectKey, Value> = env
            .desired
            .iter()
            .map(|(k, _)| (k.clone(), env.store.live(k).unwrap()))
            .collect();
        let report = detect(
            env.desired.iter().map(|(k, v)| (k, v)),
            |k| live.get(k),
            &IgnoreRules::default(),
        );
        assert!(!report.is_drifted(), "{instance}: {:?}", report.items);
        env
    }

    /// One reconcile's drift check when nothing drifted: live objects from the caches as
    /// JSON, then detect.
    fn check(&self, ignore: &IgnoreRules) -> u64 {
        let live: HashMap<&ObjectKey, Value> = self
            .desired
            .iter()
            .filter_map(|(k, _)| self.store.live(k).map(|v| (k, v)))
            .collect();
        let report = detect(
            self.desired.iter().map(|(k, v)| (k, v)),
            |k| live.get(k),
            ignore,
        );
        report.managed_leaves
    }
}

fn key_of(v: &Value) -> ObjectKey {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap().to_string();
    ObjectKey::new(
        s("/kind").parse().expect("a rendered kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

/// `desired` as the API server returns it after our apply: its defaults, metadata and status
/// added (modelled on objects read back from the local control plane, managedFields dropped).
fn live(desired: &Value) -> Value {
    let mut v = desired.clone();
    let meta = v["metadata"].as_object_mut().unwrap();
    meta.insert("uid".into(), json!("941469fb-7a4f-4cb6-944b-e477cb15b524"));
    meta.insert("resourceVersion".into(), json!("1949"));
    meta.insert("creationTimestamp".into(), json!("2026-11-21T07:02:28Z"));
    match desired["kind"].as_str().unwrap() {
        "Deployment" => {
            v["metadata"]["generation"] = json!(1);
            v["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!("1");
            let spec = &mut v["spec"];
            spec["revisionHistoryLimit"] = json!(10);
            spec["strategy"] = json!({"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}});
            spec["template"]["metadata"]["creationTimestamp"] = Value::Null;
            let pod = &mut spec["template"]["spec"];
            pod["dnsPolicy"] = json!("ClusterFirst");
            pod["restartPolicy"] = json!("Always");
            pod["schedulerName"] = json!("default-scheduler");
            pod["terminationGracePeriodSeconds"] = json!(30);
            for c in pod["containers"].as_array_mut().unwrap() {
                c["imagePullPolicy"] = json!("IfNotPresent");
                c["terminationMessagePath"] = json!("/dev/termination-log");
                c["terminationMessagePolicy"] = json!("File");
                for p in c["ports"].as_array_mut().into_iter().flatten() {
                    p["protocol"] = json!("TCP");
                }
                if let Some(probe) = c.get_mut("readinessProbe") {
                    probe["failureThreshold"] = json!(3);
                    probe["periodSeconds"] = json!(10);
                    probe["successThreshold"] = json!(1);
                    probe["timeoutSeconds"] = json!(1);
                    if let Some(get) = probe.get_mut("httpGet") {
                        get["scheme"] = json!("HTTP");
                    }
                }
            }
            for vol in pod["volumes"].as_array_mut().into_iter().flatten() {
                if let Some(cm) = vol.get_mut("configMap") {
                    cm["defaultMode"] = json!(420);
                }
            }
            let replicas = desired["spec"]["replicas"].as_i64().unwrap_or(1);
            v["status"] = json!({
                "availableReplicas": replicas, "readyReplicas": replicas,
                "replicas": replicas, "updatedReplicas": replicas, "observedGeneration": 1,
                "conditions": [
                    {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                     "message": "Deployment has minimum availability.",
                     "lastTransitionTime": "2026-11-21T07:02:28Z", "lastUpdateTime": "2026-11-21T07:02:28Z"},
                    {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                     "message": "ReplicaSet \"x-85ddc7c44c\" has successfully progressed.",
                     "lastTransitionTime": "2026-11-21T07:02:28Z", "lastUpdateTime": "2026-11-21T07:02:28Z"}
                ]
            });
        }
        "Service" => {
            let spec = &mut v["spec"];
            spec["clusterIP"] = json!("10.0.0.239");
            spec["clusterIPs"] = json!(["10.0.0.239"]);
            spec["internalTrafficPolicy"] = json!("Cluster");
            spec["ipFamilies"] = json!(["IPv4"]);
            spec["ipFamilyPolicy"] = json!("SingleStack");
            spec["sessionAffinity"] = json!("None");
            spec["type"] = json!("ClusterIP");
            for p in spec["ports"].as_array_mut().into_iter().flatten() {
                p["protocol"] = json!("TCP");
            }
            v["status"] = json!({"loadBalancer": {}});
        }
        _ => {}
    }
    v
}

/// The deepest selection of config-repo-example: ConfigMap + 2 × (Service, Deployment).
fn one(repo: &ParsedRepo) -> Environment {
    let sel = Selection::new("production")
        .team("frontend")
        .project("web-storefront");
    Environment::new(repo, &sel, "frontend-web-storefront-production")
}

/// The scale benchmark's mix (BENCHMARKS.md, "Scale"): 18 of 20 environments development
/// (ConfigMap only; teams frontend and backend), one staging and one production (a
/// Deployment and a Service per deployed server; teams frontend, backend and devops);
/// projects cycle through none, web-storefront and payments-api.
fn mix(repo: &ParsedRepo, n: usize) -> Vec<Environment> {
    let projects = [None, Some("web-storefront"), Some("payments-api")];
    (0..n)
        .map(|i| {
            let all = ["frontend", "backend", "devops"];
            let (environment, team) = match i % 20 {
                0 => ("staging", all[(i / 20) % 3]),
                1 => ("production", all[(i / 20) % 3]),
                _ => ("development", all[i % 2]),
            };
            let mut sel = Selection::new(environment).team(team);
            if let Some(p) = projects[i % projects.len()] {
                sel = sel.project(p);
            }
            Environment::new(repo, &sel, &format!("env-{i:04}"))
        })
        .collect()
}

fn repo() -> ParsedRepo {
    ParsedRepo::parse(&claude_env_source::from_dir(EXAMPLE_DIR).expect("config-repo-example"))
}

fn one_environment<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let repo = repo();
    let env = one(&repo);
    let ignore = IgnoreRules::default();
    let live: HashMap<ObjectKey, Value> = env
        .desired
        .iter()
        .map(|(k, _)| (k.clone(), env.store.live(k).unwrap()))
        .collect();
    let mut g = c.benchmark_group(format!("{clock}/drift_one_environment"));

    // The pure diff: every managed leaf of 5 objects looked up in the live JSON.
    g.bench_function("detect_clean", |b| {
        b.iter(|| {
            detect(
                black_box(&env.desired).iter().map(|(k, v)| (k, v)),
                |k| live.get(k),
                &ignore,
            )
        })
    });

    // An edit by hand: replicas and an image changed, an env var removed.
    let mut drifted = live.clone();
    let dep = env
        .desired
        .iter()
        .find(|(k, _)| k.kind == claude_env_drift::ObjectKind::Deployment)
        .unwrap()
        .0
        .clone();
    let d = drifted.get_mut(&dep).unwrap();
    d["spec"]["replicas"] = json!(5);
    let ctr = &mut d["spec"]["template"]["spec"]["containers"][0];
    ctr["image"] = json!("evil.example.com/context7:latest");
    ctr["env"].as_array_mut().unwrap().pop();
    g.bench_function("detect_drifted", |b| {
        b.iter(|| {
            detect(
                black_box(&env.desired).iter().map(|(k, v)| (k, v)),
                |k| drifted.get(k),
                &ignore,
            )
        })
    });

    // With ignore rules (`driftPolicy.ignore`) on every leaf.
    let rules = IgnoreRules::parse(&[
        "Deployment:/spec/replicas",
        "Deployment:/metadata/annotations",
        "Service:/metadata/labels",
    ])
    .unwrap();
    g.bench_function("detect_clean_with_ignore_rules", |b| {
        b.iter(|| {
            detect(
                black_box(&env.desired).iter().map(|(k, v)| (k, v)),
                |k| live.get(k),
                &rules,
            )
        })
    });

    // What the controller does before detecting: the watch caches' typed objects to JSON.
    g.bench_function("store_objects_to_json", |b| {
        b.iter(|| {
            for (k, _) in black_box(&env.desired) {
                black_box(env.store.live(k));
            }
        })
    });
    // Both: one reconcile's drift check of a clean environment.
    g.bench_function("check_from_store", |b| {
        b.iter(|| black_box(&env).check(&ignore))
    });
    g.finish();
}

fn thousand_environments<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let repo = repo();
    let envs = mix(&repo, 1000);
    let ignore = IgnoreRules::default();
    let mut g = c.benchmark_group(format!("{clock}/drift_1000_environments"));
    g.sample_size(20);
    // Every environment's drift check once: the CPU a full resync of 1000 environments
    // spends on drift (the controller spreads it over its reconciles).
    g.bench_function("check_from_store_1000", |b| {
        b.iter(|| {
            envs.iter()
                .map(|e| black_box(e).check(&ignore))
                .sum::<u64>()
        })
    });
    let lives: Vec<HashMap<ObjectKey, Value>> = envs
        .iter()
        .map(|e| {
            e.desired
                .iter()
                .map(|(k, _)| (k.clone(), e.store.live(k).unwrap()))
                .collect()
        })
        .collect();
    g.bench_function("detect_clean_1000", |b| {
        b.iter(|| {
            envs.iter()
                .zip(&lives)
                .map(|(e, live)| {
                    detect(
                        black_box(&e.desired).iter().map(|(k, v)| (k, v)),
                        |k| live.get(k),
                        &ignore,
                    )
                    .managed_leaves
                })
                .sum::<u64>()
        })
    });
    g.finish();
}

cpu_time::main! {
    measurement_time = Duration::from_secs(4);
    targets = one_environment, thousand_environments
}
