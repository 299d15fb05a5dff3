//! The rollout decision (`claude_env_rollout::decide`) as the controller makes it on every
//! reconcile of an environment with a rollout in flight: a canary mid-step with health checks
//! due and results to count. Results: BENCHMARKS.md ("Drift and rollout decisions").
//!
//! `cargo bench -p claude-env-rollout --bench decide`

#[path = "../../render/benches/cpu_time/mod.rs"]
mod cpu_time;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironmentSpec, RolloutPhase};
use claude_env_rollout::{
    Action, CheckResult, Observations, Outcome, Plan, Readiness, Role, RolloutState, Stage,
    canary_split, decide,
};
use criterion::Criterion;
use criterion::measurement::Measurement;
use jiff::Timestamp;
use serde_json::json;

const OLD: &str = "aaaaaaa000000000000000000000000000000000";
const NEW: &str = "bbbbbbb000000000000000000000000000000000";

/// A production canary: five steps, readiness plus an HTTP, an MCP and a Prometheus check,
/// two deployed servers.
fn spec() -> ClaudeEnvironmentSpec {
    serde_json::from_value(json!({
        "source": {"url": "https://git.example.com/platform/claude-config.git", "branch": "main"},
        "environment": "production",
        "team": "frontend",
        "project": "web-storefront",
        "strategy": {"type": "Canary", "canary": {"steps": [
            {"setWeight": 20},
            {"pause": {"duration": "1m"}},
            {"setWeight": 50},
            {"pause": {}},
            {"setWeight": 80}
        ]}},
        "healthChecks": {
            "timeout": "10m",
            "interval": "10s",
            "readiness": {"progressDeadline": "2m"},
            "http": [{"name": "ping", "server": "context7", "path": "/ping"}],
            "mcp": [{"name": "handshake", "server": "context7",
                     "expectedTools": ["resolve-library-id", "get-library-docs"]}],
            "prometheus": [{"name": "error-rate", "address": "http://prometheus:9090",
                "query": "sum(rate(mcp_errors_total{revision=\"{{revision}}\"}[1m]))",
                "max": 0.05, "count": 3, "failureLimit": 1}]
        }
    }))
    .expect("a valid spec")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).unwrap()
}

fn ready(n: u32) -> Readiness {
    Readiness {
        replicas: n,
        updated: n,
        available: n,
        total: n,
        current: true,
        ..Readiness::default()
    }
}

/// What the controller observes while the canary runs at `weight`: both servers' stable and
/// canary Deployments Available at their split.
fn observe(now: i64, weight: u32, results: Vec<CheckResult>) -> Observations {
    let servers = BTreeMap::from([
        ("context7".to_string(), 3),
        ("sequential-thinking".to_string(), 2),
    ]);
    let mut o = Observations::new(at(now), NEW);
    o.last_known_good = Some(OLD.into());
    for (server, replicas) in &servers {
        let split = canary_split(*replicas, weight);
        o.readiness
            .insert((server.clone(), Role::Stable), ready(split.stable));
        o.readiness
            .insert((server.clone(), Role::Canary), ready(split.canary));
    }
    o.servers = servers;
    o.results = results;
    o
}

/// A pass for every check the decision asked for.
fn passes(actions: &[Action], now: i64) -> Vec<CheckResult> {
    actions
        .iter()
        .flat_map(|a| match a {
            Action::RunChecks {
                revision, checks, ..
            } => checks
                .iter()
                .map(|c| CheckResult {
                    name: c.clone(),
                    revision: revision.clone(),
                    outcome: Outcome::Pass,
                    at: at(now),
                    message: "ok".into(),
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn weight(s: &RolloutState) -> u32 {
    match &s.stage {
        Stage::Canary { weight, .. } => *weight,
        _ => 0,
    }
}

/// Drive the machine from a stable revision to the canary's third step (50%), with one
/// Prometheus measurement of three counted: returns the state and the time.
fn mid_step(plan: &Plan) -> (RolloutState, i64) {
    let mut state = RolloutState {
        phase: RolloutPhase::Succeeded,
        revision: Some(OLD.into()),
        stable: Some(OLD.into()),
        ..RolloutState::default()
    };
    let mut now = 0;
    let mut results = Vec::new();
    loop {
        let d = decide(plan, &state, &observe(now, weight(&state), results));
        state = d.state;
        if let Stage::Canary {
            step: 2, verify, ..
        } = &state.stage
            && verify
                .checks
                .get("error-rate")
                .is_some_and(|c| c.passed == 1)
        {
            return (state, now);
        }
        results = passes(&d.actions, now);
        now += 10;
        assert!(now < 10_000, "never reached the third step: {state:?}");
    }
}

fn decide_canary<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let spec = spec();
    let plan = Plan::from_spec(&spec).unwrap();
    let (state, now) = mid_step(&plan);
    let mut g = c.benchmark_group(format!("{clock}/rollout_decide"));

    // Measurements are due: the machine asks for them (RunChecks).
    let due = observe(now + 10, 50, Vec::new());
    let d = decide(&plan, &state, &due);
    assert!(
        d.actions
            .iter()
            .any(|a| matches!(a, Action::RunChecks { .. }))
    );
    g.bench_function("canary_mid_step_checks_due", |b| {
        b.iter(|| decide(black_box(&plan), black_box(&state), black_box(&due)))
    });

    // The second round of the same reconcile: the results come back and are counted.
    let asked = d.state.clone();
    let with_results = observe(now + 11, 50, passes(&d.actions, now + 10));
    g.bench_function("canary_mid_step_counting_results", |b| {
        b.iter(|| {
            decide(
                black_box(&plan),
                black_box(&asked),
                black_box(&with_results),
            )
        })
    });

    // A reconcile between measurements (a watch event): nothing due, nothing to count.
    let idle = observe(now + 3, 50, Vec::new());
    g.bench_function("canary_mid_step_nothing_due", |b| {
        b.iter(|| decide(black_box(&plan), black_box(&state), black_box(&idle)))
    });

    // A crash-looping canary: the failing decision (abort, rollback recorded).
    let mut crashing = observe(now + 10, 50, Vec::new());
    for ((_, role), r) in crashing.readiness.iter_mut() {
        if *role == Role::Canary {
            r.available = 0;
            r.crash_looping = true;
        }
    }
    let failed = decide(&plan, &state, &crashing);
    assert_eq!(failed.state.phase, RolloutPhase::RolledBack);
    g.bench_function("canary_crash_loop_rolls_back", |b| {
        b.iter(|| decide(black_box(&plan), black_box(&state), black_box(&crashing)))
    });

    // The rest of a reconcile's rollout bookkeeping: the plan from the spec, and the state
    // read from and written back to `status.rollout`.
    g.bench_function("plan_from_spec", |b| {
        b.iter(|| Plan::from_spec(black_box(&spec)).unwrap())
    });
    let status = d.status();
    g.bench_function("state_status_round_trip", |b| {
        b.iter(|| RolloutState::from_status(Some(black_box(&status))).to_status())
    });
    g.finish();
}

cpu_time::main! {
    measurement_time = Duration::from_secs(3);
    targets = decide_canary
}
