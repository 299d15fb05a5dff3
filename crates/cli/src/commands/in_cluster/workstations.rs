//! `claude-env status --workstations NAME -n NS`: every workstation following an
//! environment — user, revision, stable or canary, last seen, drift, doctor — and the
//! counts the controller keeps in `status.workstations`. Exit 1 when any is failing or
//! drifted.

use std::io::Write;

use claude_env_api::{ClaudeWorkstation, DoctorResult, Track, WorkstationCounts, short_revision};
use jiff::Timestamp;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::cluster::{Cluster, client, view};
use crate::commands::structured_out;
use crate::error::{CliError, Exit};

/// `-o json|yaml`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fleet<'a> {
    namespace: &'a str,
    name: &'a str,
    /// `status.workstations` as the controller counted them.
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<WorkstationCounts>,
    workstations: Vec<&'a claude_env_api::ClaudeWorkstationSpec>,
}

pub(crate) fn run(args: &StatusArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let name = args.name.clone().unwrap_or_default();
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.cluster.kube).await?;
        let namespace = cluster.namespace(args.cluster.namespace.as_deref());
        let env = cluster.get(&namespace, &name).await?;
        let records = cluster.workstations(&namespace, &name).await?;
        let summary = env.status.as_ref().and_then(|s| s.workstations);
        let fleet = Fleet {
            namespace: &namespace,
            name: &name,
            summary,
            workstations: records.iter().map(|w| &w.spec).collect(),
        };
        if !structured_out(out, args.output, &fleet)? {
            write!(
                out,
                "{}",
                table(&records, summary.as_ref(), Timestamp::now())
            )?;
        }
        let attention = records.iter().any(|w| {
            w.spec.drift.drifted()
                || w.spec
                    .doctor
                    .as_ref()
                    .is_some_and(|d| d.result == DoctorResult::Failing)
        });
        Ok(if attention { Exit::Findings } else { Exit::Ok })
    })
}

/// The fleet as a table, then the controller's counts.
fn table(
    records: &[ClaudeWorkstation],
    summary: Option<&WorkstationCounts>,
    now: Timestamp,
) -> String {
    let mut rows = vec![
        [
            "USER",
            "REVISION",
            "TRACK",
            "COHORT",
            "LAST SEEN",
            "DRIFT",
            "DOCTOR",
        ]
        .map(String::from),
    ];
    for w in records {
        let s = &w.spec;
        let doctor = match &s.doctor {
            None => "-".to_string(),
            Some(d) if d.result == DoctorResult::Healthy => "healthy".to_string(),
            Some(d) => {
                let failed: Vec<&str> = d
                    .servers
                    .iter()
                    .filter(|c| !c.ok)
                    .map(|c| c.name.as_str())
                    .chain(d.missing_variables.iter().map(String::as_str))
                    .collect();
                format!("failing ({})", failed.join(", "))
            }
        };
        let mut drift = match s.drift.modified_files.len() {
            0 => "-".to_string(),
            n => format!("{n} file(s)"),
        };
        if s.drift.local_overrides {
            drift.push_str(" +overrides");
        }
        rows.push([
            s.user.clone(),
            s.revision
                .as_deref()
                .map_or("-".into(), |r| short_revision(r).to_string()),
            match s.track {
                Some(Track::Canary) => "canary".into(),
                Some(Track::Stable) => "stable".into(),
                None => "-".into(),
            },
            s.cohort.to_string(),
            s.last_seen_time
                .as_ref()
                .map_or("-".into(), |t| format!("{} ago", view::age(t.0, now))),
            drift,
            doctor,
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    if records.is_empty() {
        out = "no workstations follow this environment yet\n".into();
    }
    if let Some(c) = summary {
        out.push_str(&format!(
            "total {}: {} stable, {} canary, {} stale, {} drifted, {} failing\n",
            c.total, c.stable, c.canary, c.stale, c.drifted, c.failing
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::{ClaudeWorkstationSpec, DoctorReport, ServerCheck, WorkstationDrift};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    #[test]
    fn the_table_shows_each_workstation_and_the_counts() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let seen = Time(Timestamp::from_second(1_800_000_000 - 90).unwrap());
        let spec = |user: &str, track, doctor| ClaudeWorkstationSpec {
            user: user.into(),
            environment: "be-prod".into(),
            revision: Some("0123456789abcdef".into()),
            short_revision: None,
            config_hash: None,
            cohort: 12,
            track: Some(track),
            last_sync_time: None,
            last_seen_time: Some(seen.clone()),
            drift: WorkstationDrift::default(),
            doctor,
            message: None,
        };
        let failing = DoctorReport {
            result: DoctorResult::Failing,
            revision: None,
            checked_at: seen.clone(),
            servers: vec![ServerCheck {
                name: "postgres".into(),
                transport: "stdio".into(),
                ok: false,
                tools: None,
                message: Some("cannot start".into()),
            }],
            missing_variables: vec!["DATABASE_URL".into()],
        };
        let mut drifted = spec("bob", Track::Stable, None);
        drifted.drift.modified_files = vec!["CLAUDE.md".into()];
        let records = vec![
            ClaudeWorkstation::new("a", spec("alice", Track::Canary, Some(failing))),
            ClaudeWorkstation::new("b", drifted),
        ];
        let counts = WorkstationCounts {
            total: 2,
            stable: 1,
            canary: 1,
            failing: 1,
            drifted: 1,
            stale: 0,
        };
        let t = table(&records, Some(&counts), now);
        assert!(
            t.starts_with("USER   REVISION      TRACK   COHORT  LAST SEEN"),
            "{t}"
        );
        assert!(
            t.contains("alice  0123456789ab  canary  12      90s ago"),
            "{t}"
        );
        assert!(t.contains("failing (postgres, DATABASE_URL)"), "{t}");
        assert!(t.contains("1 file(s)"), "{t}");
        assert!(t.ends_with("total 2: 1 stable, 1 canary, 0 stale, 1 drifted, 1 failing\n"));
        assert!(table(&[], None, now).contains("no workstations"));
    }
}
