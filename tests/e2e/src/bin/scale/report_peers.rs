//! The peer table of `scale report`: claude-env and each Flux configuration side by side, per N,
//! with the ratio Flux ÷ claude-env. Each cell is the median over every push of every run
//! (RSS: over runs) with the spread (min–max) in brackets.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use crate::report::{cell, in_mib, num, stats};

fn ratio(theirs: Option<(f64, f64, f64)>, ours: Option<(f64, f64, f64)>) -> String {
    match (theirs, ours) {
        (Some((t, _, _)), Some((o, _, _))) if o > 0.0 => format!("{:.2}×", t / o),
        _ => "–".into(),
    }
}

/// One side's figures over runs.
struct Side {
    runs: usize,
    ready: Option<(f64, f64, f64)>,
    applied: Option<(f64, f64, f64)>,
    peak: Option<(f64, f64, f64)>,
    steady: Option<(f64, f64, f64)>,
    cpu: Option<(f64, f64, f64)>,
    requests: Option<(f64, f64, f64)>,
    idle_requests: Option<(f64, f64, f64)>,
    flags: Vec<String>,
}

fn side(sides: &[&Value]) -> Side {
    let pushes = |p: &str| {
        stats(
            sides
                .iter()
                .flat_map(|s| s["pushes"].as_array().cloned().unwrap_or_default())
                .filter_map(|w| num(&w, p))
                .collect(),
        )
    };
    let each = |p: &str| stats(sides.iter().filter_map(|s| num(s, p)).collect());
    Side {
        runs: sides.len(),
        ready: pushes("/ready_secs"),
        applied: pushes("/applied_secs"),
        peak: in_mib(each("/rss_peak_kib")),
        steady: in_mib(each("/rss_steady_kib")),
        cpu: pushes("/settled/cpu_secs"),
        requests: pushes("/settled/requests_per_env"),
        idle_requests: each("/idle/requests"),
        flags: sides
            .first()
            .and_then(|s| s["flags"].as_array())
            .map(|f| {
                f.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub(crate) fn markdown(runs: &[Value]) -> String {
    let peers: Vec<&Value> = runs.iter().filter(|r| r["scenario"] == "peers").collect();
    let mut md = String::new();
    if peers.is_empty() {
        return md;
    }
    let ns: BTreeSet<u64> = peers.iter().filter_map(|r| r["n"].as_u64()).collect();
    let _ = writeln!(
        md,
        "Peers: one webhook push (Flux: the Receiver's annotation) → all Ready at the new revision; median over every push of every run (min–max); RSS over runs; ratio = Flux ÷ claude-env.\n"
    );
    let _ = writeln!(
        md,
        "| N | side | runs | push → all Ready | → all applied | peak RSS | steady RSS | CPU per push | requests/env per push | idle requests | Ready ratio | RSS ratio (peak) | CPU ratio | requests ratio |"
    );
    let _ = writeln!(
        md,
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut flags = BTreeSet::new();
    for n in &ns {
        let of_n: Vec<&Value> = peers
            .iter()
            .filter(|r| r["n"].as_u64() == Some(*n))
            .flat_map(|r| r["sides"].as_array().into_iter().flatten())
            .collect();
        let mut names: Vec<&str> = of_n.iter().filter_map(|s| s["side"].as_str()).collect();
        names.sort_by_key(|s| (*s != "claude-env", s.to_string()));
        names.dedup();
        let ours = side(
            &of_n
                .iter()
                .copied()
                .filter(|s| s["side"] == "claude-env")
                .collect::<Vec<_>>(),
        );
        for name in names {
            let s = side(
                &of_n
                    .iter()
                    .copied()
                    .filter(|s| s["side"] == name)
                    .collect::<Vec<_>>(),
            );
            for f in &s.flags {
                flags.insert(format!("`{name}`: `{f}`"));
            }
            let _ = writeln!(
                md,
                "| {n} | {name} | {} | **{}** | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                s.runs,
                cell(s.ready, 1, " s"),
                cell(s.applied, 1, " s"),
                cell(s.peak, 1, " MiB"),
                cell(s.steady, 1, " MiB"),
                cell(s.cpu, 2, " s"),
                cell(s.requests, 1, ""),
                cell(s.idle_requests, 0, ""),
                ratio(s.ready, ours.ready),
                ratio(s.peak, ours.peak),
                ratio(s.cpu, ours.cpu),
                ratio(s.requests, ours.requests),
            );
        }
    }
    let _ = writeln!(md, "\nFlags of each side:\n");
    for f in flags {
        let _ = writeln!(md, "- {f}");
    }
    let _ = writeln!(md);
    md
}
