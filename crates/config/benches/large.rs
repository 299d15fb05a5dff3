//! The config engine on hostile sizes: one fragment with many keys, parsed, combined with a
//! second file of its layer, merged under an environment layer and validated. Linear in the
//! number of keys (duplicate keys and map merges are indexed); the 4x step between the two
//! sizes shows it: quadratic code would take 16x. docs/security.md ("Limits").
//!
//! `cargo bench -p claude-env-config --bench large`

#[path = "../../render/benches/cpu_time/mod.rs"]
mod cpu_time;

use std::hint::black_box;
use std::time::Duration;

use claude_env_config::{RepoSnapshot, Selection, load_environment};
use criterion::Criterion;
use criterion::measurement::Measurement;

fn env_keys(from: usize, n: usize) -> String {
    let mut s = String::from("settings:\n  env:\n");
    for i in from..from + n {
        s.push_str(&format!("    K{i}: v{i}\n"));
    }
    s
}

fn snapshot(keys: usize) -> RepoSnapshot {
    let half = keys / 2;
    RepoSnapshot::new(
        None,
        [
            (
                "claude-env.yaml",
                "schemaVersion: 1\nenvironments: [prod]\n".to_owned(),
            ),
            ("base/a.yaml", env_keys(0, half)),
            ("base/b.yaml", env_keys(half, half)),
            ("environments/prod/c.yaml", env_keys(0, half)),
        ]
        .map(|(p, c)| (p, c.into_bytes())),
    )
}

fn many_keys<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let mut g = c.benchmark_group(format!("{clock}/many_keys"));
    g.sample_size(10);
    let sel = Selection::new("prod");
    for keys in [5_000, 20_000] {
        let snap = snapshot(keys);
        g.bench_function(format!("load_validate_{keys}"), |b| {
            b.iter(|| load_environment(black_box(&snap), &sel, None).unwrap())
        });
    }
    g.finish();
}

cpu_time::main! {
    measurement_time = Duration::from_secs(4);
    targets = many_keys
}
