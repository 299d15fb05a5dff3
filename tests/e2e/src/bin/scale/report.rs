//! `scale report`: the BENCHMARKS.md tables from the results file (medians over runs).

use std::fs;

use anyhow::Context as _;
use serde_json::Value;

use crate::args::ReportArgs;

pub(crate) fn write(args: &ReportArgs) -> anyhow::Result<()> {
    let mut runs: Vec<Value> = Vec::new();
    for file in &args.out {
        let text = match fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            runs.push(
                serde_json::from_str(line).with_context(|| format!("in {}", file.display()))?,
            );
        }
    }
    let mut md = markdown(&runs);
    md.push_str(&crate::report_peers::markdown(&runs));
    md.push_str(&runs_list(&runs));
    match &args.markdown {
        Some(path) => fs::write(path, md)?,
        None => print!("{md}"),
    }
    Ok(())
}

pub(crate) fn median(mut v: Vec<f64>) -> Option<f64> {
    v.retain(|x| x.is_finite());
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    })
}

fn percentile(mut v: Vec<f64>, p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    Some(v[i])
}

pub(crate) fn num(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

pub(crate) fn fmt(v: Option<f64>, digits: usize) -> String {
    // `+ 0.0` turns a -0.0 (a zero difference of counters) into 0.
    v.map_or("–".into(), |x| format!("{:.digits$}", x + 0.0))
}

/// Median and (min, max) of the finite values.
pub(crate) fn stats(v: Vec<f64>) -> Option<(f64, f64, f64)> {
    let v: Vec<f64> = v.into_iter().filter(|x| x.is_finite()).collect();
    let min = v.iter().copied().reduce(f64::min)?;
    let max = v.iter().copied().reduce(f64::max)?;
    Some((median(v)?, min, max))
}

/// Statistics of KiB values, in MiB.
pub(crate) fn in_mib(s: Option<(f64, f64, f64)>) -> Option<(f64, f64, f64)> {
    s.map(|(m, lo, hi)| (m / 1024.0, lo / 1024.0, hi / 1024.0))
}

/// Median and spread of KiB values, as a MiB cell.
fn mib_cell(kib: Vec<f64>) -> String {
    cell(in_mib(stats(kib)), 1, " MiB")
}

pub(crate) fn cell(s: Option<(f64, f64, f64)>, digits: usize, unit: &str) -> String {
    match s {
        None => "–".into(),
        Some((m, lo, hi)) => format!(
            "{}{unit} ({}–{})",
            fmt(Some(m), digits),
            fmt(Some(lo), digits),
            fmt(Some(hi), digits)
        ),
    }
}

fn markdown(runs: &[Value]) -> String {
    let fleets: Vec<&Value> = runs.iter().filter(|r| r["scenario"] == "fleet").collect();
    let mut md = fleet_tables(&fleets);
    md.push_str(&shard_table(&fleets));
    md.push_str(&single_table(runs));
    md.push_str(&rollback_table(runs));
    md
}

/// The fleet table (a row per N and shard count) and API requests by method.
fn fleet_tables(fleets: &[&Value]) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    // One row per (N, shards); a run without `shards` had one controller.
    let mut ns: Vec<(u64, u64)> = fleets
        .iter()
        .filter_map(|r| Some((r["n"].as_u64()?, shard_count(r))))
        .collect();
    ns.sort();
    ns.dedup();
    if !fleets.is_empty() {
        let _ = writeln!(
            md,
            "| N (dev/staging/prod) | runs | create | initial convergence | webhook push → all Ready | → all applied | rolled back (push) | polling push → all Ready | peak RSS | steady RSS | CPU, convergence | CPU per push | idle CPU (60 s) | requests/env, convergence | requests/env, push | requests/reconcile (push) | reconciles/env (push) | drift → status | drift → metric |"
        );
        let _ = writeln!(
            md,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        );
        for key in &ns {
            let label = row_label(*key);
            let rs: Vec<&&Value> = fleets
                .iter()
                .filter(|r| (r["n"].as_u64(), shard_count(r)) == (Some(key.0), key.1))
                .collect();
            let all = |f: &dyn Fn(&Value) -> Option<f64>| -> Vec<f64> {
                rs.iter().filter_map(|r| f(r)).collect()
            };
            let each = |f: &dyn Fn(&Value) -> Option<f64>| median(all(f));
            let rss = |p: &str| mib_cell(all(&|r| num(r, p)));
            let all_pushes = |p: &str| -> Vec<f64> {
                rs.iter()
                    .flat_map(|r| r["webhook"].as_array().cloned().unwrap_or_default())
                    .filter_map(|w| num(&w, p))
                    .collect()
            };
            let pushes = |p: &str| median(all_pushes(p));
            let drifts = |p: &str| {
                median(
                    rs.iter()
                        .flat_map(|r| r["drift"].as_array().cloned().unwrap_or_default())
                        .filter_map(|w| num(&w, p))
                        .collect(),
                )
            };
            let mix = &rs[0]["mix"];
            let _ = writeln!(
                md,
                "| {label} ({}/{}/{}) | {} | {} s | {} | **{}** | {} | {} | {} s ({}) | **{}** | {} | {} s | {} | {} s | {} | {} | {} | {} | {} s | {} s |",
                mix["development"],
                mix["staging"],
                mix["production"],
                rs.len(),
                fmt(each(&|r| num(r, "/converge/create_secs")), 1),
                cell(stats(all(&|r| num(r, "/converge/ready_secs"))), 1, " s"),
                cell(stats(all_pushes("/ready_secs")), 1, " s"),
                cell(stats(all_pushes("/applied_secs")), 1, " s"),
                fmt(pushes("/rolled_back"), 0),
                fmt(each(&|r| num(r, "/polling/ready_secs")), 1),
                rs[0]["polling"]["interval"].as_str().unwrap_or("off"),
                rss("/rss_peak_kib"),
                rss("/idle/rss_kib"),
                fmt(each(&|r| num(r, "/converge/cpu_secs")), 2),
                cell(stats(all_pushes("/settled/cpu_secs")), 2, " s"),
                fmt(each(&|r| num(r, "/idle/cpu_secs")), 2),
                fmt(each(&|r| num(r, "/converge/requests_per_env")), 1),
                cell(stats(all_pushes("/settled/requests_per_env")), 1, ""),
                fmt(pushes("/settled/requests_per_reconcile"), 2),
                fmt(pushes("/settled/reconciles_per_env"), 1),
                fmt(drifts("/status_secs"), 2),
                fmt(drifts("/metric_secs"), 2),
            );
        }
        let _ = writeln!(md);
        md.push_str(&requests_by_method(fleets, &ns));
        md.push_str(&control_plane_table(fleets, &ns));
    }

    md
}

/// kube-controller-manager's Deployment and ReplicaSet queues during a webhook push (rows
/// only for runs that could read them): syncs, and the mean wait in the queue and per sync,
/// each the median over pushes with the spread.
fn control_plane_table(fleets: &[&Value], ns: &[(u64, u64)]) -> String {
    use std::fmt::Write;
    let mut rows = String::new();
    for key in ns {
        let pushes: Vec<Value> = fleets
            .iter()
            .filter(|r| (r["n"].as_u64(), shard_count(r)) == (Some(key.0), key.1))
            .flat_map(|r| r["webhook"].as_array().cloned().unwrap_or_default())
            .filter(|w| w.get("kcm_queues").is_some())
            .collect();
        if pushes.is_empty() {
            continue;
        }
        let col = |p: &str| -> Vec<f64> { pushes.iter().filter_map(|w| num(w, p)).collect() };
        let _ = write!(rows, "| {} | {} |", row_label(*key), pushes.len());
        for queue in ["deployment", "replicaset"] {
            let _ = write!(
                rows,
                " {} | {} | {} |",
                cell(stats(col(&format!("/kcm_queues/{queue}/syncs"))), 0, ""),
                cell(
                    stats(col(&format!("/kcm_queues/{queue}/mean_wait_secs"))),
                    1,
                    " s"
                ),
                cell(
                    stats(col(&format!("/kcm_queues/{queue}/mean_sync_secs"))),
                    2,
                    " s"
                ),
            );
        }
        rows.push('\n');
    }
    if rows.is_empty() {
        return rows;
    }
    format!(
        "kube-controller-manager during a webhook push (its `workqueue_*` metrics; mean per sync):\n\n\
         | N | pushes | Deployment syncs | wait in queue | sync | ReplicaSet syncs | wait in queue | sync |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n{rows}\n"
    )
}

/// API requests per environment by method for one webhook push, and idle activity.
fn requests_by_method(fleets: &[&Value], ns: &[(u64, u64)]) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    // Requests by method, per environment, for one webhook push (median over runs/pushes).
    let _ = writeln!(
        md,
        "API requests per environment by method (webhook push, until 5 s without a reconcile after the last Ready; median):\n"
    );
    let _ = writeln!(
        md,
        "| N | GET | PATCH | POST | DELETE | LIST/other | idle requests (60 s) | idle reconciles (60 s) | idle CPU with {} polling (60 s) |",
        fleets
            .first()
            .and_then(|r| r["polling"]["interval"].as_str())
            .unwrap_or("30s")
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for key in ns {
        let (n, label) = (&key.0, row_label(*key));
        let rs: Vec<&&Value> = fleets
            .iter()
            .filter(|r| (r["n"].as_u64(), shard_count(r)) == (Some(key.0), key.1))
            .collect();
        let per = |method: &str| {
            median(
                rs.iter()
                    .flat_map(|r| r["webhook"].as_array().cloned().unwrap_or_default())
                    .map(|w| {
                        num(&w, &format!("/settled/requests_by_method/{method}")).unwrap_or(0.0)
                            / *n as f64
                    })
                    .collect(),
            )
        };
        let each =
            |f: &dyn Fn(&Value) -> Option<f64>| median(rs.iter().filter_map(|r| f(r)).collect());
        let _ = writeln!(
            md,
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} s |",
            fmt(per("GET"), 2),
            fmt(per("PATCH"), 2),
            fmt(per("POST"), 2),
            fmt(per("DELETE"), 2),
            fmt(per("OTHER"), 2),
            fmt(each(&|r| num(r, "/idle/requests")), 0),
            fmt(each(&|r| num(r, "/idle/reconciles")), 0),
            fmt(each(&|r| num(r, "/idle_polling/cpu_secs")), 2),
        );
    }
    let _ = writeln!(md);
    md
}

/// One environment, webhook push → Ready, by environment kind.
fn single_table(runs: &[Value]) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    let singles: Vec<&Value> = runs.iter().filter(|r| r["scenario"] == "single").collect();
    if !singles.is_empty() {
        let _ = writeln!(
            md,
            "One environment, webhook push → Ready at the new revision:\n\n| environment | pushes | p50 | p90 | min | max | → applied p50 | requests per push |\n|---|---:|---:|---:|---:|---:|---:|---:|"
        );
        let mut kinds: Vec<&str> = singles
            .iter()
            .filter_map(|r| r["environment"].as_str())
            .collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            let ws: Vec<Value> = singles
                .iter()
                .filter(|r| r["environment"] == kind)
                .flat_map(|r| r["webhook"].as_array().cloned().unwrap_or_default())
                .collect();
            let ready: Vec<f64> = ws.iter().filter_map(|w| num(w, "/ready_secs")).collect();
            let applied: Vec<f64> = ws.iter().filter_map(|w| num(w, "/applied_secs")).collect();
            let requests: Vec<f64> = ws.iter().filter_map(|w| num(w, "/requests")).collect();
            let _ = writeln!(
                md,
                "| {kind} | {} | **{} s** | {} s | {} s | {} s | {} s | {} |",
                ready.len(),
                fmt(percentile(ready.clone(), 0.5), 2),
                fmt(percentile(ready.clone(), 0.9), 2),
                fmt(ready.iter().copied().reduce(f64::min), 2),
                fmt(ready.iter().copied().reduce(f64::max), 2),
                fmt(percentile(applied, 0.5), 2),
                fmt(median(requests), 0),
            );
        }
        let _ = writeln!(md);
    }

    md
}

/// Rollback of a crash-looping canary.
fn rollback_table(runs: &[Value]) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    let rollbacks: Vec<Value> = runs
        .iter()
        .filter(|r| r["scenario"] == "rollback")
        .flat_map(|r| r["rounds"].as_array().cloned().unwrap_or_default())
        .collect();
    if !rollbacks.is_empty() {
        let col = |p: &str| {
            rollbacks
                .iter()
                .filter_map(|w| num(w, p))
                .collect::<Vec<_>>()
        };
        let _ = writeln!(
            md,
            "Rollback of a crash-looping canary (median of {}):\n\n| push → phase RolledBack | push → stable restored (duration recorded) | `claude_env_rollback_duration_seconds` (decision → stable Available) |\n|---:|---:|---:|",
            rollbacks.len()
        );
        let _ = writeln!(
            md,
            "| {} s | {} s | {} s |\n",
            fmt(median(col("/rolled_back_secs")), 2),
            fmt(median(col("/restored_secs")), 2),
            fmt(median(col("/rollback_duration_seconds")), 2),
        );
    }

    md
}

/// How sharded runs split the work: per controller process, the median over runs of its
/// peak and final RSS, CPU seconds, API requests and reconciles (whole run).
fn shard_table(fleets: &[&Value]) -> String {
    use std::fmt::Write;
    let sharded: Vec<&&Value> = fleets
        .iter()
        .filter(|r| r["per_shard"].as_array().is_some_and(|a| a.len() > 1))
        .collect();
    let mut md = String::new();
    if sharded.is_empty() {
        return md;
    }
    let _ = writeln!(
        md,
        "Shards: each controller process of a sharded run (median over runs, RSS with the spread; whole run):\n\n| N | shard | runs | peak RSS | final RSS | CPU | API requests | reconciles |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let mut keys: Vec<(u64, usize)> = sharded
        .iter()
        .filter_map(|r| Some((r["n"].as_u64()?, r["per_shard"].as_array()?.len())))
        .collect();
    keys.sort();
    keys.dedup();
    for (n, k) in keys {
        let rs: Vec<&&&Value> = sharded
            .iter()
            .filter(|r| {
                r["n"].as_u64() == Some(n) && r["per_shard"].as_array().map(Vec::len) == Some(k)
            })
            .collect();
        for i in 0..k {
            let all = |p: &str| -> Vec<f64> {
                rs.iter()
                    .filter_map(|r| num(&r["per_shard"][i], p))
                    .collect()
            };
            let each = |p: &str| median(all(p));
            let rss = |p: &str| mib_cell(all(p));
            let _ = writeln!(
                md,
                "| {n} | {i} of {k} | {} | {} | {} | {} s | {} | {} |",
                rs.len(),
                rss("/rss_peak_kib"),
                rss("/rss_end_kib"),
                fmt(each("/cpu_secs"), 1),
                fmt(each("/requests"), 0),
                fmt(each("/reconciles"), 0),
            );
        }
    }
    md.push('\n');
    md
}

/// "N" of a fleet row, with the shards when there are several controller processes.
/// How many controller processes a fleet run had: `shards`, or for results written before
/// it was recorded, how many processes `per_shard` lists.
fn shard_count(r: &Value) -> u64 {
    r["shards"]
        .as_u64()
        .or_else(|| r["per_shard"].as_array().map(|a| a.len() as u64))
        .unwrap_or(1)
        .max(1)
}

fn row_label((n, shards): (u64, u64)) -> String {
    if shards > 1 {
        format!("{n}, {shards} shards")
    } else {
        n.to_string()
    }
}

/// Every run: when, the load average at its start and end, the commit, the concurrency.
fn runs_list(runs: &[Value]) -> String {
    use std::fmt::Write;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Runs (load average at start → end, commit, --concurrency):\n"
    );
    for r in runs {
        let what = match r["scenario"].as_str() {
            Some("fleet") => format!(
                "fleet N={}{}",
                r["n"],
                match shard_count(r) {
                    k if k > 1 => format!(", {k} shards"),
                    _ => String::new(),
                }
            ),
            Some("peers") => format!("peers N={}", r["n"]),
            Some("single") => format!("single {}", r["environment"].as_str().unwrap_or("")),
            Some(s) => s.to_string(),
            None => "?".into(),
        };
        let _ = writeln!(
            md,
            "- {} {what}: load {} → {}, {}, concurrency {}",
            r["started"].as_str().unwrap_or(""),
            r["load_start"].as_str().unwrap_or(""),
            r["load_end"].as_str().unwrap_or("–"),
            r["commit"].as_str().unwrap_or(""),
            r["concurrency"],
        );
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_control_plane_table_has_rows_only_for_pushes_that_read_its_queues() {
        let queues = |wait: f64| {
            json!({"deployment": {"syncs": 7000.0, "mean_wait_secs": wait, "mean_sync_secs": 0.3},
                   "replicaset": {"syncs": 9000.0, "mean_wait_secs": 2.0, "mean_sync_secs": 0.2}})
        };
        let with = json!({"n": 10000, "shards": 2, "webhook": [
            {"kcm_queues": queues(40.0)}, {"kcm_queues": queues(60.0)}, {}]});
        let without = json!({"n": 1000, "webhook": [{}]});
        let md = control_plane_table(&[&with, &without], &[(1000, 1), (10000, 2)]);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| 10")).collect();
        assert_eq!(rows.len(), 1, "{md}");
        assert!(
            rows[0].contains("| 2 | 7000 (7000–7000) | 50.0 s (40.0–60.0) |"),
            "{md}"
        );
        assert_eq!(control_plane_table(&[&without], &[(1000, 1)]), "");
    }

    #[test]
    fn a_run_counts_its_shards_from_what_it_recorded() {
        assert_eq!(shard_count(&json!({"shards": 2})), 2);
        assert_eq!(shard_count(&json!({"per_shard": [{}, {}]})), 2);
        assert_eq!(shard_count(&json!({"per_shard": [{}]})), 1);
        assert_eq!(shard_count(&json!({})), 1);
    }
}
