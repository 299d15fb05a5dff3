//! Changes between statuses, walked through a canary's life.

use claude_env_api::{DriftRemediation, DriftStatus, StrategyType};
use claude_env_rollout::state::Verification;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use pretty_assertions::assert_eq;

use super::*;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn at(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap()
}

fn actors() -> Actors {
    Actors {
        approve: Some(format!("{B}@1")),
        approver: "alice".into(),
        rollback_requester: "bob".into(),
        retry_requester: "carol".into(),
    }
}

fn with_state(mut s: ClaudeEnvironmentStatus, state: RolloutState) -> ClaudeEnvironmentStatus {
    s.rollout = Some(state.to_status());
    s
}

fn stable_on_a() -> RolloutState {
    RolloutState {
        phase: RolloutPhase::Succeeded,
        revision: Some(A.into()),
        stable: Some(A.into()),
        strategy: Some(StrategyType::Canary),
        ..RolloutState::default()
    }
}

fn canary(step: usize, weight: u32, phase: RolloutPhase) -> RolloutState {
    RolloutState {
        phase,
        revision: Some(B.into()),
        message: Some(format!("canary step {step}: waiting")),
        stage: Stage::Canary {
            step,
            weight,
            entered_at: at(10),
            verify: Verification::new(at(10)),
        },
        ..stable_on_a()
    }
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Condition {
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        observed_generation: None,
        last_transition_time: Time(at(1)),
    }
}

fn entry(revision: &str, result: HistoryResult, actor: &str, why: &str, t: i64) -> HistoryEntry {
    HistoryEntry {
        revision: revision.into(),
        time: Time(at(t)),
        result,
        message: Some(format!("{why} message")),
        actor: Some(actor.into()),
        reason: Some(why.into()),
        change_class: None,
        security_approved_by: None,
    }
}

fn kinds(changes: &[Change]) -> Vec<EventKind> {
    changes.iter().map(|c| c.kind).collect()
}

#[test]
fn a_canary_that_rolls_back_is_one_change() {
    let s = ClaudeEnvironmentStatus {
        history: vec![entry(
            A,
            HistoryResult::Succeeded,
            "claude-env-controller",
            "RolloutSucceeded",
            1,
        )],
        ..Default::default()
    };
    let stable = with_state(s.clone(), stable_on_a());
    let step0 = with_state(s.clone(), canary(0, 25, RolloutPhase::Progressing));
    assert_eq!(
        kinds(&between(&stable, &step0, &actors())),
        [EventKind::RolloutStarted]
    );
    // Every step and check of the canary writes status; none of them is a change.
    let step1 = with_state(s.clone(), canary(1, 50, RolloutPhase::Progressing));
    assert_eq!(between(&step0, &step1, &actors()), []);

    let mut failed = with_state(
        s,
        RolloutState {
            phase: RolloutPhase::RolledBack,
            failed_revision: Some(B.into()),
            message: Some("crash".into()),
            ..stable_on_a()
        },
    );
    failed.history.insert(
        0,
        entry(
            B,
            HistoryResult::RolledBack,
            "claude-env-controller",
            "CrashLoop",
            2,
        ),
    );
    failed.conditions = vec![cond("Stalled", "True", "RolledBack", "rolled back")];
    let changes = between(&step1, &failed, &actors());
    assert_eq!(
        changes,
        [Change {
            kind: EventKind::RolledBack,
            revision: B.into(),
            reason: "CrashLoop".into(),
            message: "CrashLoop message".into(),
            actor: "claude-env-controller".into(),
            occurrence: String::new(),
        }]
    );
    assert_eq!(between(&failed, &failed, &actors()), [], "nothing changed");
}

#[test]
fn gates_approvals_promotion_and_success() {
    let s = ClaudeEnvironmentStatus::default();
    let running = with_state(s.clone(), canary(1, 50, RolloutPhase::Progressing));
    let paused = with_state(s.clone(), canary(1, 50, RolloutPhase::Paused));
    let changes = between(&running, &paused, &actors());
    assert_eq!(kinds(&changes), [EventKind::ApprovalRequired]);
    assert_eq!(changes[0].occurrence, "step 1");
    assert_eq!(changes[0].reason, "Paused");
    // A new message at the same gate is the same gate.
    let mut reworded = canary(1, 50, RolloutPhase::Paused);
    reworded.message = Some("waiting (the approval is for another revision)".into());
    assert_eq!(
        between(&paused, &with_state(s.clone(), reworded), &actors()),
        []
    );

    let mut approved = canary(2, 75, RolloutPhase::Progressing);
    approved.consumed_approval = Some(format!("{B}@1"));
    let approved = with_state(s.clone(), approved);
    let changes = between(&paused, &approved, &actors());
    assert_eq!(kinds(&changes), [EventKind::Approved]);
    assert_eq!(changes[0].actor, "alice");

    let mut promoting = RolloutState::from_status(approved.rollout.as_ref());
    promoting.stage = Stage::Promoting {
        verify: Verification::new(at(20)),
    };
    promoting.phase = RolloutPhase::Promoting;
    let promoting = with_state(s.clone(), promoting);
    assert_eq!(
        kinds(&between(&approved, &promoting, &actors())),
        [EventKind::RolloutPromoted]
    );

    let mut done = with_state(
        s,
        RolloutState {
            phase: RolloutPhase::Succeeded,
            revision: Some(B.into()),
            stable: Some(B.into()),
            ..RolloutState::default()
        },
    );
    done.history = vec![entry(
        B,
        HistoryResult::Succeeded,
        "alice",
        "RolloutSucceeded",
        3,
    )];
    let changes = between(&promoting, &done, &actors());
    assert_eq!(kinds(&changes), [EventKind::RolloutSucceeded]);
    assert_eq!(changes[0].actor, "alice");
}

#[test]
fn a_manual_rollback_names_its_requester() {
    let s = ClaudeEnvironmentStatus::default();
    let before = with_state(
        s.clone(),
        RolloutState {
            revision: Some(B.into()),
            stable: Some(B.into()),
            ..stable_on_a()
        },
    );
    let mut after = with_state(
        s,
        RolloutState {
            phase: RolloutPhase::Progressing,
            revision: Some(A.into()),
            manual: true,
            stage: Stage::Applied {
                verify: Verification::new(at(5)),
            },
            ..stable_on_a()
        },
    );
    after.history = vec![entry(
        A,
        HistoryResult::RolledBack,
        "bob",
        "RollbackRequested",
        5,
    )];
    let changes = between(&before, &after, &actors());
    assert_eq!(
        kinds(&changes),
        [EventKind::RolloutStarted, EventKind::RolledBack]
    );
    assert!(changes.iter().all(|c| c.actor == "bob"), "{changes:?}");
    assert_eq!(changes[0].reason, "RollbackRequested");
}

#[test]
fn a_retry_is_told_with_who_asked() {
    let s = ClaudeEnvironmentStatus::default();
    let old = with_state(s.clone(), stable_on_a());
    let mut retried = stable_on_a();
    retried.handled_retry = Some(format!("{B}@2"));
    let changes = between(&old, &with_state(s, retried), &actors());
    assert_eq!(kinds(&changes), [EventKind::RetryRequested]);
    assert_eq!(
        (changes[0].revision.as_str(), changes[0].actor.as_str()),
        (B, "carol")
    );
}

#[test]
fn stalls_are_told_once_per_reason_and_revision() {
    let stalled = |rev: &str, why: &str| ClaudeEnvironmentStatus {
        last_attempted_revision: Some(rev.into()),
        conditions: vec![cond("Stalled", "True", why, &format!("{why}: {rev}"))],
        ..Default::default()
    };
    let healthy = ClaudeEnvironmentStatus::default();
    let changes = between(&healthy, &stalled(A, "ValidationFailed"), &actors());
    assert_eq!(kinds(&changes), [EventKind::Stalled]);
    assert_eq!(changes[0].reason, "ValidationFailed");
    assert_eq!(changes[0].revision, A);
    assert_eq!(
        between(
            &stalled(A, "ValidationFailed"),
            &stalled(A, "ValidationFailed"),
            &actors()
        ),
        []
    );
    assert_eq!(
        kinds(&between(
            &stalled(A, "ValidationFailed"),
            &stalled(B, "ValidationFailed"),
            &actors()
        )),
        [EventKind::Stalled],
        "another invalid revision"
    );
    assert_eq!(
        kinds(&between(
            &stalled(A, "ValidationFailed"),
            &stalled(A, "VerificationFailed"),
            &actors()
        )),
        [EventKind::Stalled]
    );
    assert_eq!(
        between(&healthy, &stalled(A, "RolloutFailed"), &actors()),
        []
    );
}

#[test]
fn dependency_waits_are_told_once_per_revision() {
    let waiting = |rev: &str| ClaudeEnvironmentStatus {
        last_attempted_revision: Some(rev.into()),
        conditions: vec![cond(
            "Reconciling",
            "False",
            "DependencyNotReady",
            "staging is not Ready",
        )],
        ..Default::default()
    };
    let changes = between(&Default::default(), &waiting(A), &actors());
    assert_eq!(kinds(&changes), [EventKind::DependencyWaiting]);
    assert_eq!(changes[0].message, "staging is not Ready");
    assert_eq!(between(&waiting(A), &waiting(A), &actors()), []);
    assert_eq!(
        kinds(&between(&waiting(A), &waiting(B), &actors())),
        [EventKind::DependencyWaiting]
    );
}

#[test]
fn a_security_hold_is_an_approval_required_listing_the_changes_and_its_approval_is_told() {
    let listed = "revision bbbbbbbbbbbb waits for a security approval (claude-env.io/security-approve): 1 security change against aaaaaaaaaaaa: SECURITY  high  settings.permissions.allow  allows any Bash command";
    let held = |revision: &str| ClaudeEnvironmentStatus {
        last_attempted_revision: Some(revision.into()),
        last_applied_revision: Some(A.into()),
        conditions: vec![cond(
            "Reconciling",
            "True",
            "SecurityApprovalRequired",
            listed,
        )],
        ..Default::default()
    };
    let applied = ClaudeEnvironmentStatus {
        last_applied_revision: Some(A.into()),
        ..Default::default()
    };
    let changes = between(&applied, &held(B), &actors());
    assert_eq!(kinds(&changes), [EventKind::ApprovalRequired]);
    assert_eq!(
        (
            changes[0].revision.as_str(),
            changes[0].reason.as_str(),
            changes[0].message.as_str()
        ),
        (B, "SecurityApprovalRequired", listed)
    );
    // Held still: nothing new; another revision held: told again.
    assert_eq!(between(&held(B), &held(B), &actors()), []);
    assert_eq!(
        kinds(&between(&held(A), &held(B), &actors())),
        [EventKind::ApprovalRequired]
    );

    // The approval acted on: told once, by the security approver.
    let approved = ClaudeEnvironmentStatus {
        last_handled_security_approve: Some(format!("{B}@1")),
        change_risk: Some(claude_env_api::ChangeRisk {
            revision: B.into(),
            base: A.into(),
            approval: Some(format!("{B}@1")),
            approved_by: Some("sam".into()),
            ..Default::default()
        }),
        ..applied.clone()
    };
    let changes = between(&held(B), &approved, &actors());
    assert_eq!(kinds(&changes), [EventKind::Approved]);
    assert_eq!(
        (
            changes[0].revision.as_str(),
            changes[0].actor.as_str(),
            changes[0].reason.as_str()
        ),
        (B, "sam", "SecurityApproved")
    );
    assert_eq!(between(&approved, &approved, &actors()), []);
}

#[test]
fn drift_detections_and_remediations() {
    let drifted = |detected: i64| ClaudeEnvironmentStatus {
        last_applied_revision: Some(A.into()),
        conditions: vec![cond(
            "Drifted",
            "True",
            "DriftDetected",
            "1 of 10 managed fields drifted",
        )],
        drift: Some(DriftStatus {
            drifted_fields: 1,
            detected_at: Some(Time(at(detected))),
            ..Default::default()
        }),
        ..Default::default()
    };
    let clean = ClaudeEnvironmentStatus::default();
    let changes = between(&clean, &drifted(7), &actors());
    assert_eq!(kinds(&changes), [EventKind::DriftDetected]);
    assert_eq!(changes[0].revision, A);
    assert_eq!(between(&drifted(7), &drifted(7), &actors()), []);
    assert_eq!(
        kinds(&between(&drifted(7), &drifted(9), &actors())),
        [EventKind::DriftDetected]
    );

    let remediated = |t: i64| ClaudeEnvironmentStatus {
        last_applied_revision: Some(A.into()),
        conditions: vec![cond("Drifted", "False", "DriftRemediated", "restored")],
        drift: Some(DriftStatus {
            last_remediation: Some(DriftRemediation {
                time: Time(at(t)),
                percentage: 10.0,
                drifted_fields: 1,
                objects: vec!["Deployment/ns/be-context7".into()],
                items: Vec::new(),
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let changes = between(&clean, &remediated(8), &actors());
    assert_eq!(kinds(&changes), [EventKind::DriftRemediated]);
    assert_eq!(
        changes[0].message,
        "restored 1 drifted field(s): Deployment/ns/be-context7"
    );
    assert_eq!(between(&remediated(8), &remediated(8), &actors()), []);
    assert_eq!(
        kinds(&between(&remediated(8), &remediated(12), &actors())),
        [EventKind::DriftRemediated]
    );
}
