//! The security gate: what is classified, what is held, what history records.

use claude_env_api::RolloutStatus;
use claude_env_risk::{Change, Kind, Severity, Source};
use pretty_assertions::assert_eq;

use super::*;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const C: &str = "cccccccccccccccccccccccccccccccccccccccc";

fn change(class: Class, path: &str, explanation: &str) -> Change {
    Change {
        class,
        severity: Severity::High,
        kind: Kind::Added,
        path: path.into(),
        pointer: format!("/{}", path.replace('.', "/")),
        explanation: explanation.into(),
        source: Some(Source {
            layer: "environment/development".into(),
            file: "environments/development/settings.yaml".into(),
            line: 3,
            column: 5,
        }),
    }
}

fn widening() -> Report {
    Report::new(vec![
        change(Class::Configuration, "settings.model", "changes the model"),
        change(
            Class::Security,
            "settings.permissions.allow",
            "allows any Bash command",
        ),
    ])
}

fn configuration() -> Report {
    Report::new(vec![change(
        Class::Configuration,
        "settings.model",
        "changes the model",
    )])
}

fn applied(revision: &str) -> ClaudeEnvironmentStatus {
    ClaudeEnvironmentStatus {
        last_applied_revision: Some(revision.into()),
        rollout: Some(RolloutStatus {
            revision: Some(revision.into()),
            ..RolloutStatus::default()
        }),
        ..ClaudeEnvironmentStatus::default()
    }
}

#[test]
fn a_new_revision_is_classified_against_the_applied_one_once() {
    let mut s = applied(A);
    assert_eq!(need(&s, B), Need::Assess { base: A });
    // Already applied, or rolling out: nothing to judge.
    assert_eq!(need(&s, A), Need::Nothing);
    s.rollout.as_mut().unwrap().revision = Some(B.into());
    assert_eq!(need(&s, B), Need::Nothing);
    // Nothing applied yet: nothing to compare with.
    assert_eq!(need(&ClaudeEnvironmentStatus::default(), B), Need::Nothing);

    // A record of this revision against this base is reused; against another base it is not.
    let mut s = applied(A);
    s.change_risk = Some(record(B, A, &widening()));
    assert!(matches!(need(&s, B), Need::Recorded(r) if r.revision == B));
    assert_eq!(need(&s, C), Need::Assess { base: A });
    s.last_applied_revision = Some(C.into());
    assert_eq!(need(&s, B), Need::Assess { base: C });
}

#[test]
fn a_record_lists_classes_riskiest_first_and_the_security_lines() {
    let r = record(B, A, &widening());
    assert_eq!(
        r.classes,
        [DriftCategory::Security, DriftCategory::Configuration]
    );
    assert_eq!(
        r.security_changes,
        [
            "SECURITY  high  settings.permissions.allow  allows any Bash command  (environments/development/settings.yaml:3)"
        ]
    );
    assert_eq!(record(B, A, &Report::default()).classes, []);
    let many = Report::new(
        (0..30)
            .map(|i| change(Class::Security, &format!("settings.x{i:02}"), "widens"))
            .collect(),
    );
    assert_eq!(record(B, A, &many).security_changes.len(), LISTED);
}

#[test]
fn without_the_gate_or_without_security_changes_a_revision_passes() {
    let risky = record(B, A, &widening());
    assert_eq!(
        judge(false, risky.clone(), Approval::default()),
        Verdict::Pass(risky)
    );
    let plain = record(B, A, &configuration());
    assert_eq!(
        judge(true, plain.clone(), Approval::default()),
        Verdict::Pass(plain)
    );
}

#[test]
fn a_security_change_waits_for_an_approval_naming_its_revision() {
    let risky = record(B, A, &widening());
    let Verdict::Hold { risk, message } = judge(true, risky.clone(), Approval::default()) else {
        panic!("held");
    };
    assert_eq!(risk, risky);
    assert_eq!(
        message,
        "revision bbbbbbbbbbbb waits for a security approval (claude-env.io/security-approve): 1 security change against aaaaaaaaaaaa: SECURITY  high  settings.permissions.allow  allows any Bash command  (environments/development/settings.yaml:3)"
    );

    // Another revision's approval, a too-short prefix: still held.
    for value in [format!("{C}@1"), "bbbbbb".to_string()] {
        let a = Approval {
            value: Some(&value),
            actor: Some("sam"),
            last_handled: None,
        };
        assert!(matches!(
            judge(true, risky.clone(), a),
            Verdict::Hold { .. }
        ));
    }

    // A 7-character prefix with a nonce lets it through, naming the approver.
    let a = Approval {
        value: Some("bbbbbbb@7"),
        actor: Some(" sam "),
        last_handled: None,
    };
    let Verdict::Pass(passed) = judge(true, risky.clone(), a) else {
        panic!("approved");
    };
    assert_eq!(passed.approval.as_deref(), Some("bbbbbbb@7"));
    assert_eq!(passed.approved_by.as_deref(), Some("sam"));

    // Without its actor annotation the approver is unknown.
    let a = Approval {
        value: Some(B),
        actor: None,
        last_handled: None,
    };
    let Verdict::Pass(passed) = judge(true, risky.clone(), a) else {
        panic!("approved");
    };
    assert_eq!(passed.approved_by.as_deref(), Some("unknown"));
}

#[test]
fn each_approval_value_acts_once() {
    let risky = record(B, A, &widening());
    let used = Approval {
        value: Some("bbbbbbb@7"),
        actor: Some("sam"),
        last_handled: Some("bbbbbbb@7"),
    };
    assert!(matches!(
        judge(true, risky.clone(), used),
        Verdict::Hold { .. }
    ));
    let fresh = Approval {
        value: Some("bbbbbbb@8"),
        ..used
    };
    assert!(matches!(judge(true, risky, fresh), Verdict::Pass(_)));
}

#[test]
fn an_unclassified_revision_passes_only_without_the_gate_or_when_approved() {
    let free = unclassified(false, B, A, Approval::default()).expect("no gate");
    assert_eq!((free.classes.len(), free.approval), (0, None));
    assert_eq!(unclassified(true, B, A, Approval::default()), None);
    let a = Approval {
        value: Some(B),
        actor: Some("sam"),
        last_handled: None,
    };
    let approved = unclassified(true, B, A, a).expect("approved");
    assert_eq!(approved.approved_by.as_deref(), Some("sam"));
}

#[test]
fn history_carries_the_class_and_the_security_approver() {
    let mut risk = record(B, A, &widening());
    risk.approved_by = Some("sam".into());
    // Nobody else approved: the security approver let it through.
    assert_eq!(
        credit(B, HistoryResult::Succeeded, CONTROLLER_ACTOR, Some(&risk)),
        Credit {
            class: Some(DriftCategory::Security),
            security_approved_by: Some("sam".into()),
            actor: "sam".into(),
        }
    );
    // A release approver keeps the credit; a rollback stays the controller's.
    assert_eq!(
        credit(B, HistoryResult::Succeeded, "alice", Some(&risk)).actor,
        "alice"
    );
    assert_eq!(
        credit(B, HistoryResult::RolledBack, CONTROLLER_ACTOR, Some(&risk)).actor,
        CONTROLLER_ACTOR
    );
    // Another revision's record says nothing about this one.
    assert_eq!(
        credit(C, HistoryResult::Succeeded, CONTROLLER_ACTOR, Some(&risk)),
        Credit {
            class: None,
            security_approved_by: None,
            actor: CONTROLLER_ACTOR.into(),
        }
    );
    let plain = record(B, A, &configuration());
    let c = credit(B, HistoryResult::Succeeded, CONTROLLER_ACTOR, Some(&plain));
    assert_eq!(
        (c.class, c.security_approved_by, c.actor.as_str()),
        (Some(DriftCategory::Configuration), None, CONTROLLER_ACTOR)
    );
}
