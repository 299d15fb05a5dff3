//! kube-controller-manager's work queues during a phase of a run: how many syncs the
//! Deployment and ReplicaSet controllers did and how long each waited in its queue. Where a
//! push's time goes on the control plane's side; read from its `/metrics` with the admin
//! client certificate `make cluster-up` issues (`build/cluster/pki`), its port from
//! `build/cluster/ports.env`.

use std::collections::BTreeMap;
use std::process::Command;

use claude_env_e2e::{metric, repo_root};
use serde_json::{Value, json};

/// The controllers whose queues are read (`workqueue_*{name=...}`).
const QUEUES: [&str; 2] = ["deployment", "replicaset"];

/// Cumulative totals of one queue.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Totals {
    wait_secs: f64,
    syncs: f64,
    work_secs: f64,
}

/// One reading of every queue of [`QUEUES`].
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Queues(BTreeMap<String, Totals>);

impl Queues {
    /// The queues now, `None` when kube-controller-manager cannot be read (its port or
    /// certificate missing: a run against another cluster).
    pub(crate) fn sample() -> Option<Queues> {
        let cluster = repo_root().join("build/cluster");
        let ports = std::fs::read_to_string(cluster.join("ports.env")).ok()?;
        let port = ports
            .lines()
            .find_map(|l| l.strip_prefix("KCM_PORT="))?
            .trim()
            .to_owned();
        let pki = cluster.join("pki");
        let out = Command::new("curl")
            .args(["-sfk", "--max-time", "10", "--cert"])
            .arg(pki.join("admin.crt"))
            .arg("--key")
            .arg(pki.join("admin.key"))
            .arg(format!("https://127.0.0.1:{port}/metrics"))
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        Some(parse(&String::from_utf8_lossy(&out.stdout)))
    }

    /// Per queue, from `self` to `later`: syncs, mean wait in the queue, mean sync.
    pub(crate) fn delta(&self, later: &Queues) -> Value {
        let mut out = serde_json::Map::new();
        for (name, b) in &later.0 {
            let a = self.0.get(name).copied().unwrap_or_default();
            let syncs = b.syncs - a.syncs;
            let mean = |secs: f64| {
                if syncs > 0.0 {
                    (secs / syncs * 1000.0).round() / 1000.0
                } else {
                    0.0
                }
            };
            out.insert(
                name.clone(),
                json!({
                    "syncs": syncs,
                    "mean_wait_secs": mean(b.wait_secs - a.wait_secs),
                    "mean_sync_secs": mean(b.work_secs - a.work_secs),
                }),
            );
        }
        Value::Object(out)
    }
}

/// The queue totals of a Prometheus text exposition (a queue it has no count for is left
/// out).
fn parse(text: &str) -> Queues {
    let read = |name: &str, queue: &str| metric(text, name, &[("name", queue)]);
    Queues(
        QUEUES
            .iter()
            .filter_map(|q| {
                let syncs = read("workqueue_queue_duration_seconds_count", q)?;
                let totals = Totals {
                    wait_secs: read("workqueue_queue_duration_seconds_sum", q).unwrap_or(0.0),
                    syncs,
                    work_secs: read("workqueue_work_duration_seconds_sum", q).unwrap_or(0.0),
                };
                Some(((*q).to_owned(), totals))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_and_replicaset_queues_are_read_and_differenced() {
        let text = "# HELP workqueue_adds_total x\n\
            workqueue_queue_duration_seconds_sum{name=\"deployment\"} 100\n\
            workqueue_queue_duration_seconds_count{name=\"deployment\"} 10\n\
            workqueue_work_duration_seconds_sum{name=\"deployment\"} 2.5\n\
            workqueue_queue_duration_seconds_sum{name=\"replicaset\"} 1.06e+03\n\
            workqueue_queue_duration_seconds_count{name=\"replicaset\"} 20\n\
            workqueue_queue_duration_seconds_sum{name=\"namespace\"} 9\n\
            workqueue_queue_duration_seconds_bucket{name=\"deployment\",le=\"1\"} 3\n";
        let before = parse(text);
        assert_eq!(before.0.len(), 2, "{before:?}");
        let later = parse(
            &text
                .replace("} 100\n", "} 400\n")
                .replace("} 10\n", "} 40\n"),
        );
        let d = before.delta(&later);
        assert_eq!(d["deployment"]["syncs"], 30.0);
        assert_eq!(d["deployment"]["mean_wait_secs"], 10.0);
        assert_eq!(d["replicaset"]["syncs"], 0.0);
    }
}
