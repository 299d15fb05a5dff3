//! Every observation walked to the conditions users see (`kubectl get cenv`, kstatus
//! tools), and the rule that an unchanged observation writes nothing.

use claude_env_api::{
    DriftCategory, DriftItem, DriftKind, DriftRemediation, DriftSeverity, HISTORY_LIMIT,
    HistoryResult, RolloutPhase,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use pretty_assertions::assert_eq;

use super::*;

const REV: &str = "0123456789abcdef0123456789abcdef01234567";
const OLD: &str = "fedcba9876543210fedcba9876543210fedcba98";

fn t(s: i64) -> Time {
    Time(jiff::Timestamp::from_second(s).unwrap())
}

fn step(old: &ClaudeEnvironmentStatus, o: &Observation, at: i64) -> ClaudeEnvironmentStatus {
    next(Input {
        old,
        observation: o,
        generation: Some(2),
        verify: false,
        now: &t(at),
        history_limit: HISTORY_LIMIT,
    })
}

/// (type, status, reason) of every condition, in order.
fn summary(s: &ClaudeEnvironmentStatus) -> Vec<(String, String, String)> {
    s.conditions
        .iter()
        .map(|c: &Condition| (c.type_.clone(), c.status.clone(), c.reason.clone()))
        .collect()
}

fn cond(type_: &str, status: &str, reason: &str) -> (String, String, String) {
    (type_.into(), status.into(), reason.into())
}

fn message<'a>(s: &'a ClaudeEnvironmentStatus, type_: &str) -> &'a str {
    &conditions::get(&s.conditions, type_).unwrap().message
}

fn reconciled(health: Health, phase: RolloutPhase) -> Reconciled {
    Reconciled {
        revision: REV.into(),
        inventory: Inventory::default(),
        health,
        drift: None,
        rollout: Some(RolloutStatus {
            phase,
            message: Some(format!("phase {phase:?}")),
            ..Default::default()
        }),
        last_known_good: None,
        outcomes: Vec::new(),
        rollback: None,
        config_maps: Vec::new(),
        workstations: None,
        change_risk: None,
    }
}

fn ok(phase: RolloutPhase) -> Observation {
    Observation::Reconciled(Box::new(reconciled(Health::Healthy, phase)))
}

#[test]
fn a_healthy_apply_is_ready_and_healthy_with_the_applied_revision() {
    let s = step(&Default::default(), &ok(RolloutPhase::Succeeded), 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "True", "ReconciliationSucceeded"),
            cond("Healthy", "True", "Healthy"),
        ]
    );
    assert_eq!(message(&s, "Ready"), "Applied revision 0123456789ab");
    assert_eq!(s.last_applied_revision.as_deref(), Some(REV));
    assert_eq!(
        s.last_applied_short_revision.as_deref(),
        Some("0123456789ab")
    );
    assert_eq!(s.last_attempted_revision.as_deref(), Some(REV));
    assert_eq!(s.observed_generation, Some(2));
}

#[test]
fn workloads_still_rolling_are_reconciling_and_unknown() {
    let o = Observation::Reconciled(Box::new(reconciled(
        Health::Progressing("Deployment a: 0 of 1 available".into()),
        RolloutPhase::Idle,
    )));
    let s = step(&Default::default(), &o, 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "Unknown", "Progressing"),
            cond("Reconciling", "True", "Progressing"),
            cond("Healthy", "Unknown", "Progressing"),
        ]
    );
    assert_eq!(message(&s, "Ready"), "Deployment a: 0 of 1 available");
    assert_eq!(message(&s, "Reconciling"), "Applied revision 0123456789ab");
}

#[test]
fn unhealthy_workloads_are_not_ready_and_not_retried_as_reconciling() {
    let o = Observation::Reconciled(Box::new(reconciled(
        Health::Unhealthy("Deployment a exceeded its progress deadline".into()),
        RolloutPhase::Idle,
    )));
    let s = step(&Default::default(), &o, 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "HealthCheckFailed"),
            cond("Healthy", "False", "HealthCheckFailed"),
        ]
    );
}

#[test]
fn a_rollout_in_flight_is_progressing_paused_or_promoting() {
    for (phase, reason) in [
        (RolloutPhase::Progressing, "Progressing"),
        (RolloutPhase::Promoting, "Progressing"),
        (RolloutPhase::Paused, "Paused"),
    ] {
        let s = step(&Default::default(), &ok(phase), 1);
        assert_eq!(
            summary(&s),
            [
                cond("Ready", "Unknown", reason),
                cond("Reconciling", "True", reason),
                cond("Progressing", "True", reason),
                cond("Healthy", "Unknown", reason),
            ],
            "{phase:?}"
        );
        assert_eq!(message(&s, "Ready"), format!("phase {phase:?}"));
    }
}

#[test]
fn a_failed_rollout_of_the_tip_stalls_until_a_new_commit() {
    for (phase, reason) in [
        (RolloutPhase::RolledBack, "RolledBack"),
        (RolloutPhase::Failed, "RolloutFailed"),
    ] {
        let mut r = reconciled(Health::Healthy, phase);
        r.rollout.as_mut().unwrap().failed_revision = Some(REV.into());
        let s = step(
            &Default::default(),
            &Observation::Reconciled(Box::new(r)),
            1,
        );
        assert_eq!(
            summary(&s),
            [
                cond("Ready", "False", reason),
                cond("Stalled", "True", reason),
                cond("Progressing", "False", reason),
                cond("Healthy", "True", "Healthy"),
            ],
            "{phase:?}"
        );
    }
    // Once the branch moved on (no failed revision held), a rolled-back environment that
    // is healthy is Ready again.
    let s = step(&Default::default(), &ok(RolloutPhase::RolledBack), 1);
    assert_eq!(
        summary(&s)[0],
        cond("Ready", "True", "ReconciliationSucceeded")
    );
}

#[test]
fn fetch_and_apply_failures_are_retried() {
    let fetch = Observation::SourceFailed {
        reason: "GitOperationFailed",
        message: "fetching u (main): network".into(),
    };
    let apply = Observation::Failed {
        revision: Some(REV.into()),
        reason: "ApplyFailed",
        message: "applying Deployment/ns/a: conflict".into(),
    };
    for (o, reason) in [(fetch, "GitOperationFailed"), (apply, "ApplyFailed")] {
        let s = step(&Default::default(), &o, 1);
        assert_eq!(
            summary(&s),
            [
                cond("Ready", "False", reason),
                cond("Reconciling", "True", "ProgressingWithRetry"),
            ]
        );
    }
}

#[test]
fn an_invalid_revision_stalls_keeps_what_is_applied_and_enters_history() {
    let mut old = step(&Default::default(), &ok(RolloutPhase::Succeeded), 1);
    old.last_applied_revision = Some(OLD.into());
    let o = Observation::Invalid {
        revision: REV.into(),
        message: "base/settings.yaml:3:1: error[schema]: bad".into(),
    };
    let s = step(&old, &o, 2);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "ValidationFailed"),
            cond("Healthy", "True", "Healthy"),
            cond("Stalled", "True", "ValidationFailed"),
        ]
    );
    assert_eq!(
        message(&s, "Stalled"),
        "revision 0123456789ab is invalid: base/settings.yaml:3:1: error[schema]: bad"
    );
    assert_eq!(s.last_applied_revision.as_deref(), Some(OLD));
    assert_eq!(s.last_attempted_revision.as_deref(), Some(REV));
    assert_eq!(s.history[0].result, HistoryResult::Invalid);
    assert_eq!(s.history[0].actor.as_deref(), Some("claude-env-controller"));
    assert_eq!(s.history[0].reason.as_deref(), Some("ValidationFailed"));
}

#[test]
fn an_unverified_commit_stalls_and_says_so_in_source_verified() {
    let o = Observation::Unverified {
        revision: REV.into(),
        message: "not signed".into(),
    };
    let s = step(&Default::default(), &o, 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "VerificationFailed"),
            cond("Stalled", "True", "VerificationFailed"),
            cond("SourceVerified", "False", "VerificationFailed"),
        ]
    );
    // A verified apply afterwards turns SourceVerified true.
    let s = next(Input {
        old: &s,
        observation: &ok(RolloutPhase::Succeeded),
        generation: Some(2),
        verify: true,
        now: &t(2),
        history_limit: HISTORY_LIMIT,
    });
    assert_eq!(
        conditions::get(&s.conditions, "SourceVerified")
            .unwrap()
            .status,
        "True"
    );
    assert!(conditions::get(&s.conditions, "Stalled").is_none());
}

#[test]
fn waiting_for_dependencies_is_in_progress_not_stalled() {
    let o = Observation::DependencyNotReady {
        revision: REV.into(),
        message: "waiting for dependencies: ns/staging is at nothing".into(),
    };
    let s = step(&Default::default(), &o, 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "DependencyNotReady"),
            cond("Reconciling", "True", "DependencyNotReady"),
        ]
    );
}

fn held() -> Observation {
    Observation::SecurityApprovalRequired {
        risk: ChangeRisk {
            revision: REV.into(),
            base: OLD.into(),
            classes: vec![DriftCategory::Security],
            security_changes: vec![
                "SECURITY  high  settings.permissions.allow  allows any Bash command".into(),
            ],
            ..ChangeRisk::default()
        },
        message: "revision 0123456789ab waits for a security approval".into(),
    }
}

#[test]
fn a_revision_held_for_security_approval_is_in_progress_and_keeps_what_is_applied() {
    let applied = step(&Default::default(), &ok(RolloutPhase::Succeeded), 1);
    let mut old = applied.clone();
    old.last_applied_revision = Some(OLD.into());
    let s = step(&old, &held(), 2);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "SecurityApprovalRequired"),
            cond("Healthy", "True", "Healthy"),
            cond("Reconciling", "True", "SecurityApprovalRequired"),
        ]
    );
    assert_eq!(
        message(&s, "Ready"),
        "revision 0123456789ab waits for a security approval"
    );
    assert_eq!(s.last_applied_revision.as_deref(), Some(OLD));
    assert_eq!(s.last_attempted_revision.as_deref(), Some(REV));
    assert_eq!(
        s.change_risk.as_ref().map(|r| r.revision.as_str()),
        Some(REV)
    );
    assert_eq!(s.history, old.history);
}

#[test]
fn an_approved_revision_records_its_approval_and_history_its_class_and_approver() {
    let mut r = reconciled(Health::Healthy, RolloutPhase::Succeeded);
    r.outcomes = vec![succeeded(REV.into(), "claude-env-controller")];
    r.change_risk = Some(ChangeRisk {
        revision: REV.into(),
        base: OLD.into(),
        classes: vec![DriftCategory::Security, DriftCategory::Cosmetic],
        approval: Some(format!("{REV}@1")),
        approved_by: Some("sam".into()),
        ..ChangeRisk::default()
    });
    let s = step(
        &Default::default(),
        &Observation::Reconciled(Box::new(r.clone())),
        1,
    );
    assert_eq!(s.last_handled_security_approve, Some(format!("{REV}@1")));
    let h = &s.history[0];
    assert_eq!(h.change_class, Some(DriftCategory::Security));
    assert_eq!(h.security_approved_by.as_deref(), Some("sam"));
    assert_eq!(h.actor.as_deref(), Some("sam"));

    // Later reconciles keep the record (None: keep what status has).
    r.change_risk = None;
    r.outcomes.clear();
    let again = step(&s, &Observation::Reconciled(Box::new(r)), 2);
    assert_eq!(again.change_risk, s.change_risk);
    assert_eq!(
        again.last_handled_security_approve,
        s.last_handled_security_approve
    );
}

#[test]
fn a_refused_spec_stalls_with_its_reason() {
    let o = Observation::Refused {
        revision: None,
        reason: claude_env_api::reason::NAMESPACE_NOT_ALLOWED,
        message: "spec.targetNamespace kube-system is not allowed for namespace team-a".into(),
    };
    let s = step(&Default::default(), &o, 1);
    assert_eq!(
        summary(&s),
        [
            cond("Ready", "False", "NamespaceNotAllowed"),
            cond("Stalled", "True", "NamespaceNotAllowed"),
        ]
    );
    assert_eq!(s.last_attempted_revision, None);
}

#[test]
fn suspended_changes_only_the_observed_generation() {
    let old = step(&Default::default(), &ok(RolloutPhase::Succeeded), 1);
    let s = next(Input {
        old: &old,
        observation: &Observation::Suspended,
        generation: Some(3),
        verify: false,
        now: &t(2),
        history_limit: HISTORY_LIMIT,
    });
    assert_eq!(s.conditions, old.conditions);
    assert_eq!(s.observed_generation, Some(3));
}

#[test]
fn nothing_changed_means_no_patch_whatever_the_time() {
    let observations = [
        ok(RolloutPhase::Succeeded),
        ok(RolloutPhase::Paused),
        Observation::SourceFailed {
            reason: "GitOperationFailed",
            message: "down".into(),
        },
        Observation::Invalid {
            revision: REV.into(),
            message: "bad".into(),
        },
        Observation::DependencyNotReady {
            revision: REV.into(),
            message: "waiting".into(),
        },
        held(),
        Observation::Refused {
            revision: Some(REV.into()),
            reason: "OwnershipConflict",
            message: "owned by ns/other".into(),
        },
    ];
    for o in &observations {
        let first = step(&Default::default(), o, 1);
        let again = step(&first, o, 100);
        assert_eq!(changed(&first, again), None, "{o:?}");
    }
}

#[test]
fn a_transition_moves_last_transition_time_and_a_repeat_does_not() {
    let failed = Observation::SourceFailed {
        reason: "GitOperationFailed",
        message: "down".into(),
    };
    let a = step(&Default::default(), &failed, 1);
    let b = step(&a, &failed, 5);
    let ready = |s: &ClaudeEnvironmentStatus| {
        conditions::get(&s.conditions, "Ready")
            .unwrap()
            .last_transition_time
            .clone()
    };
    assert_eq!(ready(&b), t(1));
    let c = step(&b, &ok(RolloutPhase::Succeeded), 9);
    assert_eq!(ready(&c), t(9));
    assert!(conditions::get(&c.conditions, "Reconciling").is_none());
}

#[test]
fn drift_sets_drifted_and_keeps_its_detection_time() {
    let item = DriftItem {
        object: "Deployment/ns/a".into(),
        path: "/spec/replicas".into(),
        category: DriftCategory::Availability,
        severity: DriftSeverity::High,
        kind: DriftKind::Changed,
    };
    let drifted = |at: i64| DriftStatus {
        percentage: 10.0,
        managed_fields: 10,
        drifted_fields: 1,
        items: vec![item.clone()],
        detected_at: Some(t(at)),
        last_remediation: None,
    };
    let with = |d: Option<DriftStatus>| {
        let mut r = reconciled(Health::Healthy, RolloutPhase::Succeeded);
        r.drift = d;
        Observation::Reconciled(Box::new(r))
    };
    let s = step(&Default::default(), &with(Some(drifted(1))), 1);
    assert_eq!(summary(&s)[2], cond("Drifted", "True", "DriftDetected"));
    assert_eq!(
        message(&s, "Drifted"),
        "1 of 10 managed fields drifted (10%): Deployment/ns/a /spec/replicas (Availability)"
    );
    let s = step(&s, &with(Some(drifted(5))), 5);
    assert_eq!(s.drift.as_ref().unwrap().detected_at, Some(t(1)));
    let restored = DriftStatus {
        managed_fields: 10,
        last_remediation: Some(DriftRemediation {
            time: t(6),
            percentage: 10.0,
            drifted_fields: 1,
            objects: vec!["Deployment/ns/a".into()],
            items: vec![],
        }),
        ..Default::default()
    };
    let s = step(&s, &with(Some(restored)), 6);
    assert_eq!(summary(&s)[2], cond("Drifted", "False", "DriftRemediated"));
    let s = step(&s, &with(Some(DriftStatus::default())), 7);
    assert_eq!(summary(&s)[2], cond("Drifted", "False", "NoDrift"));
    let s = step(&s, &with(None), 8);
    assert!(conditions::get(&s.conditions, "Drifted").is_none());
}

fn succeeded(revision: String, actor: &str) -> Outcome {
    Outcome {
        revision,
        result: HistoryResult::Succeeded,
        message: None,
        actor: actor.into(),
        reason: "RolloutSucceeded".into(),
    }
}

#[test]
fn history_is_one_entry_per_transition_newest_first_and_bounded() {
    let mut s = ClaudeEnvironmentStatus::default();
    for i in 0..(HISTORY_LIMIT + 3) {
        let mut r = reconciled(Health::Healthy, RolloutPhase::Succeeded);
        r.outcomes = vec![succeeded(format!("rev{i}"), "alice")];
        let o = Observation::Reconciled(Box::new(r));
        s = step(&s, &o, i as i64);
        s = step(&s, &o, i as i64 + 1);
    }
    assert_eq!(s.history.len(), HISTORY_LIMIT);
    assert_eq!(s.history[0].revision, format!("rev{}", HISTORY_LIMIT + 2));
    assert_eq!(s.history[0].actor.as_deref(), Some("alice"));
    assert_eq!(s.history[0].reason.as_deref(), Some("RolloutSucceeded"));
}

#[test]
fn the_history_limit_is_configurable() {
    let mut s = ClaudeEnvironmentStatus::default();
    for (i, limit) in [(0, 3), (1, 3), (2, 3), (3, 3), (4, 25)] {
        let mut r = reconciled(Health::Healthy, RolloutPhase::Succeeded);
        r.outcomes = vec![succeeded(format!("rev{i}"), "claude-env-controller")];
        s = next(Input {
            old: &s,
            observation: &Observation::Reconciled(Box::new(r)),
            generation: Some(2),
            verify: false,
            now: &t(i),
            history_limit: limit,
        });
    }
    let revisions: Vec<&str> = s.history.iter().map(|h| h.revision.as_str()).collect();
    assert_eq!(revisions, ["rev4", "rev3", "rev2", "rev1"]);
}

#[test]
fn a_handled_rollback_is_recorded_with_the_tip_it_rejects() {
    let mut r = reconciled(Health::Healthy, RolloutPhase::Succeeded);
    r.rollback = Some(Rollback {
        annotation: format!("{OLD}@1"),
        rejected: Some(REV.into()),
    });
    r.last_known_good = Some(OLD.into());
    let s = step(
        &Default::default(),
        &Observation::Reconciled(Box::new(r)),
        1,
    );
    assert_eq!(
        s.last_handled_rollback_to.as_deref(),
        Some(format!("{OLD}@1").as_str())
    );
    assert_eq!(s.rejected_revision.as_deref(), Some(REV));
    assert_eq!(s.last_known_good_revision.as_deref(), Some(OLD));
}

#[test]
fn a_reconcile_records_the_config_maps_in_play_and_the_workstations_kept_on_failures() {
    let mut r = reconciled(Health::Healthy, RolloutPhase::Progressing);
    r.config_maps = vec![RevisionConfig {
        revision: REV.into(),
        name: "be-config-abc".into(),
        namespace: "team".into(),
        config_hash: "abc".into(),
    }];
    r.workstations = Some(WorkstationCounts {
        total: 3,
        canary: 1,
        stable: 2,
        ..WorkstationCounts::default()
    });
    let s = step(
        &ClaudeEnvironmentStatus::default(),
        &Observation::Reconciled(Box::new(r)),
        10,
    );
    assert_eq!(s.config_maps[0].name, "be-config-abc");
    assert_eq!(s.workstations.unwrap().canary, 1);
    // A failure that applied nothing keeps what workstations read.
    let failed = step(
        &s,
        &Observation::SourceFailed {
            reason: reason::GIT_OPERATION_FAILED,
            message: "unreachable".into(),
        },
        20,
    );
    assert_eq!(failed.config_maps, s.config_maps);
    assert_eq!(failed.workstations, s.workstations);
}
