//! The fleet of workstations following one environment, from their ClaudeWorkstation records
//! (pure): the counts of `status.workstations` and the metric, the doctor reports the rollout
//! machine gates canary steps on, the config ConfigMap of each revision in play (what a
//! workstation reads), and which records are old enough to delete.
//!
//! A record is **stale** when its `lastSeenTime` is older than the stale period (a record
//! without one is stale): it is counted in `total` and `stale` only, and the machine does not
//! hear its doctor. Past the removal period the record is deleted.

use std::time::Duration;

use claude_env_api::{
    ClaudeWorkstation, DoctorResult, ObjectKind, RevisionConfig, WorkstationCounts,
};
use claude_env_rollout::{RolloutState, WorkstationReport};
use jiff::Timestamp;
use kube::ResourceExt;

use claude_env_render::Manifest;

use super::shape;

/// How long a record may go unheard before it is stale, and before it is deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Periods {
    pub(crate) stale_after: Duration,
    pub(crate) remove_after: Duration,
}

fn last_seen(w: &ClaudeWorkstation) -> Option<Timestamp> {
    w.spec.last_seen_time.as_ref().map(|t| t.0)
}

fn older_than(w: &ClaudeWorkstation, now: Timestamp, period: Duration) -> bool {
    match last_seen(w) {
        Some(seen) => seen < now && now.duration_since(seen).unsigned_abs() > period,
        None => true,
    }
}

fn failing(w: &ClaudeWorkstation) -> bool {
    w.spec
        .doctor
        .as_ref()
        .is_some_and(|d| d.result == DoctorResult::Failing)
}

/// The doctor reports of records heard from recently, for the rollout machine. A report
/// counts for the revision the doctor checked, which must be the one the record holds.
pub(crate) fn reports<'a>(
    records: impl Iterator<Item = &'a ClaudeWorkstation>,
    now: Timestamp,
    periods: Periods,
) -> Vec<WorkstationReport> {
    records
        .filter(|w| !older_than(w, now, periods.stale_after))
        .filter_map(|w| {
            let doctor = w.spec.doctor.as_ref()?;
            let revision = w.spec.revision.clone()?;
            (doctor.revision.as_deref() == Some(revision.as_str())).then(|| WorkstationReport {
                revision,
                healthy: doctor.result == DoctorResult::Healthy,
            })
        })
        .collect()
}

/// `status.workstations`: on the stable revision or the one rolling out (per the rollout
/// state after this reconcile's decision), stale, drifted, failing.
pub(crate) fn counts<'a>(
    records: impl Iterator<Item = &'a ClaudeWorkstation>,
    state: &RolloutState,
    now: Timestamp,
    periods: Periods,
) -> WorkstationCounts {
    let in_flight = state
        .stage
        .in_flight()
        .then(|| state.revision.clone())
        .flatten();
    let stable = state.stable.clone().or_else(|| state.revision.clone());
    let mut c = WorkstationCounts::default();
    for w in records {
        c.total += 1;
        if older_than(w, now, periods.stale_after) {
            c.stale += 1;
            continue;
        }
        let held = w.spec.revision.as_deref();
        if held.is_some() && held == in_flight.as_deref() {
            c.canary += 1;
        } else if held.is_some() && held == stable.as_deref() {
            c.stable += 1;
        }
        c.drifted += i32::from(w.spec.drift.drifted());
        c.failing += i32::from(failing(w));
    }
    c
}

/// Names of records not heard from within the removal period.
pub(crate) fn expired<'a>(
    records: impl Iterator<Item = &'a ClaudeWorkstation>,
    now: Timestamp,
    periods: Periods,
) -> Vec<String> {
    records
        .filter(|w| older_than(w, now, periods.remove_after))
        .map(|w| w.name_any())
        .collect()
}

/// The config ConfigMap of each revision the rollout state runs, from the rendered objects:
/// only those in the desired set (a rolled-back revision's is pruned).
pub(crate) fn config_maps(
    state: &RolloutState,
    renders: &shape::Rendered,
    desired: &[Manifest],
) -> Vec<RevisionConfig> {
    shape::revisions_needed(state)
        .into_iter()
        .filter_map(|revision| {
            let cm = renders
                .get(&revision)?
                .iter()
                .find(|m| m.key.kind == ObjectKind::ConfigMap)?;
            if !desired.iter().any(|d| d.key == cm.key) {
                return None;
            }
            let (_, hash) = cm.key.name.rsplit_once("-config-")?;
            Some(RevisionConfig {
                config_hash: hash.to_string(),
                name: cm.key.name.clone(),
                namespace: cm.key.namespace.clone(),
                revision,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::{ClaudeWorkstationSpec, DoctorReport, Track, WorkstationDrift};
    use claude_env_rollout::Stage;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use serde_json::json;

    const MIN: Duration = Duration::from_secs(60);
    const PERIODS: Periods = Periods {
        stale_after: Duration::from_secs(600),
        remove_after: Duration::from_secs(3600),
    };

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn time(secs: i64) -> Time {
        Time(Timestamp::from_second(1_800_000_000 + secs).unwrap())
    }

    fn record(
        user: &str,
        revision: &str,
        seen: i64,
        doctor: Option<DoctorResult>,
    ) -> ClaudeWorkstation {
        let mut w = ClaudeWorkstation::new(
            user,
            ClaudeWorkstationSpec {
                user: user.into(),
                environment: "be-prod".into(),
                revision: Some(revision.into()),
                short_revision: None,
                config_hash: None,
                cohort: 0,
                track: Some(Track::Stable),
                last_sync_time: Some(time(seen)),
                last_seen_time: Some(time(seen)),
                drift: WorkstationDrift::default(),
                doctor: doctor.map(|result| DoctorReport {
                    result,
                    revision: Some(revision.into()),
                    checked_at: time(seen),
                    servers: Vec::new(),
                    missing_variables: Vec::new(),
                }),
                message: None,
            },
        );
        w.metadata.namespace = Some("team".into());
        w
    }

    fn canary_state() -> RolloutState {
        RolloutState {
            revision: Some("new".into()),
            stable: Some("old".into()),
            stage: Stage::Canary {
                step: 0,
                weight: 25,
                entered_at: at(0),
                verify: claude_env_rollout::state::Verification::new(at(0)),
            },
            ..RolloutState::default()
        }
    }

    #[test]
    fn counts_split_stable_canary_and_stale_and_flag_drift_and_failures() {
        let mut drifted = record("d", "old", 100, Some(DoctorResult::Healthy));
        drifted.spec.drift.modified_files = vec!["settings.json".into()];
        let records = [
            record("a", "old", 100, Some(DoctorResult::Healthy)),
            record("b", "new", 100, Some(DoctorResult::Failing)),
            record("c", "new", 100, None),
            drifted,
            // Not heard from for 11 minutes: stale only, its failing doctor is not counted.
            record("e", "new", -560, Some(DoctorResult::Failing)),
        ];
        let c = counts(records.iter(), &canary_state(), at(100), PERIODS);
        assert_eq!(
            c,
            WorkstationCounts {
                total: 5,
                stable: 2,
                canary: 2,
                stale: 1,
                drifted: 1,
                failing: 1
            }
        );
        // Nothing in flight: everyone on the stable revision is stable, the rest neither.
        let idle = RolloutState {
            stage: Stage::Idle,
            ..canary_state()
        };
        let c = counts(records.iter(), &idle, at(100), PERIODS);
        assert_eq!((c.stable, c.canary), (2, 0));
    }

    #[test]
    fn reports_leave_out_stale_records_and_doctors_of_another_revision() {
        let mut moved = record("m", "new", 100, Some(DoctorResult::Failing));
        moved.spec.revision = Some("newer".into());
        let records = [
            record("a", "new", 100, Some(DoctorResult::Healthy)),
            record("b", "new", -600, Some(DoctorResult::Failing)),
            record("c", "new", 100, None),
            moved,
        ];
        let r = reports(records.iter(), at(100) + MIN, PERIODS);
        assert_eq!(
            r,
            vec![WorkstationReport {
                revision: "new".into(),
                healthy: true
            }]
        );
    }

    #[test]
    fn records_unheard_past_the_removal_period_expire() {
        let mut never = record("n", "old", 0, None);
        never.spec.last_seen_time = None;
        let records = [
            record("a", "old", 0, None),
            record("b", "old", -3000, None),
            never,
        ];
        let names = expired(records.iter(), at(1000), PERIODS);
        assert_eq!(names, vec!["b".to_string(), "n".to_string()]);
    }

    #[test]
    fn config_maps_name_the_configmap_of_each_revision_in_play() {
        let cm = |name: &str| {
            Manifest::from_value(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "ns", "name": name}}),
                None,
            )
            .unwrap()
        };
        let renders = shape::Rendered::from([
            ("old".to_string(), vec![cm("be-prod-config-aaaa")]),
            ("new".to_string(), vec![cm("be-prod-config-bbbb")]),
        ]);
        let desired: Vec<Manifest> = renders.values().flatten().cloned().collect();
        let c = config_maps(&canary_state(), &renders, &desired);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].revision, "old");
        assert_eq!(c[0].config_hash, "aaaa");
        assert_eq!(c[1].name, "be-prod-config-bbbb");
        assert_eq!(c[1].namespace, "ns");
        // Rolled back: the new revision's ConfigMap is no longer applied, nor named.
        let only_old = vec![renders["old"][0].clone()];
        let c = config_maps(&canary_state(), &renders, &only_old);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].revision, "old");
    }
}
