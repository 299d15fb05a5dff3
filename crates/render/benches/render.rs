//! Load + merge + validate + render, on config-repo-example. Results and how to read them:
//! BENCHMARKS.md ("Config engine and render").
//!
//! `cargo bench -p claude-env-render --bench render`

mod cpu_time;
#[path = "../tests/example/mod.rs"]
mod example;

use std::hint::black_box;
use std::time::Duration;

use claude_env_config::{ParsedRepo, Selection, load_environment};
use claude_env_render::render;
use criterion::Criterion;
use criterion::measurement::Measurement;

use example::{EXAMPLE_DIR, combinations, context, load_example};

/// The deepest selection: four layers, three deployed servers' worth of objects.
fn one() -> Selection {
    Selection::new("production")
        .team("frontend")
        .project("web-storefront")
}

fn one_environment<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let snapshot = load_example();
    let sel = one();
    let ctx = context(&sel, None);
    // `wall/...` and `cpu/...`: the same benchmarks under both clocks, side by side.
    let mut g = c.benchmark_group(format!("{clock}/one_environment"));

    // What the controller does per reconcile once the revision is in memory.
    g.bench_function("load_merge_render", |b| {
        b.iter(|| {
            let merged = load_environment(black_box(&snapshot), &sel, None).unwrap();
            let doc = merged.document().unwrap();
            render(&doc, &ctx).unwrap()
        })
    });
    // What `claude-env render` does: read the working directory first.
    g.bench_function("read_dir_load_merge_render", |b| {
        b.iter(|| {
            let snapshot = claude_env_source::from_dir(EXAMPLE_DIR).unwrap();
            let merged = load_environment(&snapshot, &sel, None).unwrap();
            let doc = merged.document().unwrap();
            render(&doc, &ctx).unwrap()
        })
    });
    // The pieces, to see where the time goes.
    g.bench_function("load_merge_only", |b| {
        b.iter(|| load_environment(black_box(&snapshot), &sel, None).unwrap())
    });
    // The config engine's phases: parsing every file of the revision (YAML with positions,
    // per-fragment checks), merging one selection, and merging plus validating it.
    g.bench_function("config_parse_repo", |b| {
        b.iter(|| ParsedRepo::parse(black_box(&snapshot)))
    });
    let repo = ParsedRepo::parse(&snapshot);
    g.bench_function("config_merge", |b| {
        b.iter(|| repo.merge(black_box(&sel), None).unwrap())
    });
    g.bench_function("config_merge_validate", |b| {
        b.iter(|| repo.load(black_box(&sel), None).unwrap())
    });
    let doc = load_environment(&snapshot, &sel, None)
        .unwrap()
        .document()
        .unwrap();
    g.bench_function("render_only", |b| {
        b.iter(|| render(black_box(&doc), &ctx).unwrap())
    });
    let rendered = render(&doc, &ctx).unwrap();
    g.bench_function("objects_to_yaml", |b| {
        b.iter(|| black_box(&rendered.objects).to_yaml().unwrap())
    });
    g.finish();
}

fn all_combinations<M: Measurement>(c: &mut Criterion<M>, clock: &str) {
    let snapshot = load_example();
    let selections = combinations(&snapshot);
    let contexts: Vec<_> = selections.iter().map(|s| context(s, None)).collect();
    let mut g = c.benchmark_group(format!("{clock}/all_combinations"));
    g.sample_size(30);

    // One parse of the revision, then every selection merged, validated and rendered:
    // how the controller and `claude-env validate` walk a repository.
    g.bench_function("parse_once_load_render_27", |b| {
        b.iter(|| {
            let repo = ParsedRepo::parse(black_box(&snapshot));
            for (sel, ctx) in selections.iter().zip(&contexts) {
                let doc = repo.load(sel, None).unwrap().document().unwrap();
                black_box(render(&doc, ctx).unwrap());
            }
        })
    });
    // Each selection on its own, as independent reconciles would.
    g.bench_function("load_environment_render_27", |b| {
        b.iter(|| {
            for (sel, ctx) in selections.iter().zip(&contexts) {
                let doc = load_environment(black_box(&snapshot), sel, None)
                    .unwrap()
                    .document()
                    .unwrap();
                black_box(render(&doc, ctx).unwrap());
            }
        })
    });
    g.finish();
}

cpu_time::main! {
    measurement_time = Duration::from_secs(4);
    targets = one_environment, all_combinations
}
