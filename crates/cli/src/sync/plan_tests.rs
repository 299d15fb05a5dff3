use super::*;

fn h(pairs: &[(&str, &str)]) -> Hashes {
    pairs
        .iter()
        .map(|(p, x)| (p.to_string(), x.to_string()))
        .collect()
}

/// The plan for a single path `f`.
fn one(d: Option<&str>, l: Option<&str>, c: Option<&str>, force: bool) -> Plan {
    let m = |x: Option<&str>| x.map(|x| h(&[("f", x)])).unwrap_or_default();
    plan(&m(d), &m(l), &m(c), force)
}

fn step(action: Action, forced: Option<Conflict>) -> Plan {
    Plan {
        steps: vec![Step {
            path: "f".into(),
            action,
            forced,
        }],
        conflicts: vec![],
    }
}

fn conflict(kind: Conflict) -> Plan {
    Plan {
        steps: vec![],
        conflicts: vec![("f".into(), kind)],
    }
}

#[test]
fn new_file_is_created() {
    assert_eq!(
        one(Some("a"), None, None, false),
        step(Action::Create, None)
    );
}

#[test]
fn unchanged_file_is_kept() {
    assert_eq!(
        one(Some("a"), Some("a"), Some("a"), false),
        step(Action::Keep, None)
    );
}

#[test]
fn changed_upstream_is_updated() {
    assert_eq!(
        one(Some("b"), Some("a"), Some("a"), false),
        step(Action::Update, None)
    );
}

#[test]
fn local_edit_is_a_conflict_whether_or_not_upstream_changed() {
    let want = conflict(Conflict::ModifiedLocally);
    assert_eq!(one(Some("a"), Some("a"), Some("x"), false), want);
    assert_eq!(one(Some("b"), Some("a"), Some("x"), false), want);
}

#[test]
fn local_delete_is_a_conflict() {
    assert_eq!(
        one(Some("a"), Some("a"), None, false),
        conflict(Conflict::DeletedLocally)
    );
}

#[test]
fn a_file_we_never_wrote_is_a_conflict_unless_it_already_matches() {
    assert_eq!(
        one(Some("a"), None, Some("x"), false),
        conflict(Conflict::Unmanaged)
    );
    assert_eq!(
        one(Some("a"), None, Some("a"), false),
        step(Action::Keep, None)
    );
}

#[test]
fn a_local_edit_that_matches_upstream_is_kept() {
    assert_eq!(
        one(Some("b"), Some("a"), Some("b"), false),
        step(Action::Keep, None)
    );
}

#[test]
fn removed_upstream_is_removed_when_unmodified() {
    assert_eq!(
        one(None, Some("a"), Some("a"), false),
        step(Action::Remove, None)
    );
}

#[test]
fn removed_upstream_and_already_gone_is_forgotten() {
    assert_eq!(
        one(None, Some("a"), None, false),
        step(Action::Forget, None)
    );
}

#[test]
fn removed_upstream_but_edited_is_a_conflict() {
    assert_eq!(
        one(None, Some("a"), Some("x"), false),
        conflict(Conflict::ModifiedLocallyRemovedUpstream)
    );
}

#[test]
fn force_turns_every_conflict_into_its_action() {
    use Conflict::*;
    let cases = [
        (
            one(Some("a"), Some("a"), Some("x"), true),
            Action::Update,
            ModifiedLocally,
        ),
        (
            one(Some("a"), Some("a"), None, true),
            Action::Create,
            DeletedLocally,
        ),
        (
            one(Some("a"), None, Some("x"), true),
            Action::Update,
            Unmanaged,
        ),
        (
            one(None, Some("a"), Some("x"), true),
            Action::Remove,
            ModifiedLocallyRemovedUpstream,
        ),
    ];
    for (got, action, kind) in cases {
        assert_eq!(got, step(action, Some(kind)));
    }
}

#[test]
fn force_changes_nothing_without_conflicts() {
    assert_eq!(
        one(Some("b"), Some("a"), Some("a"), true),
        step(Action::Update, None)
    );
}

#[test]
fn one_conflict_blocks_every_step_and_all_conflicts_are_reported() {
    let desired = h(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let managed = h(&[("a", "0"), ("b", "2"), ("c", "3")]);
    let current = h(&[("a", "0"), ("b", "x"), ("c", "y")]);
    let p = plan(&desired, &managed, &current, false);
    assert!(p.steps.is_empty());
    assert_eq!(
        p.conflicts,
        [
            ("b".to_string(), Conflict::ModifiedLocally),
            ("c".to_string(), Conflict::ModifiedLocally)
        ]
    );
}

/// Every combination of (desired, last written, on disk) over three contents, with and
/// without force, obeys the laws the rest of the engine relies on.
#[test]
fn laws_hold_for_every_combination() {
    let vals = [None, Some("a"), Some("b"), Some("c")];
    for d in vals {
        for l in vals {
            for c in vals {
                if d.is_none() && l.is_none() {
                    continue;
                }
                for force in [false, true] {
                    check_laws(d, l, c, force);
                }
            }
        }
    }
}

fn check_laws(d: Option<&str>, l: Option<&str>, c: Option<&str>, force: bool) {
    let ctx = format!("d={d:?} l={l:?} c={c:?} force={force}");
    let p = one(d, l, c, force);
    assert_eq!(p.steps.len() + p.conflicts.len(), 1, "{ctx}");
    if force {
        assert!(p.conflicts.is_empty(), "force never conflicts: {ctx}");
    }
    let Some(s) = p.steps.first() else {
        // A conflict is only ever raised for a file someone else changed.
        assert!(c != l && c != d, "{ctx}");
        return;
    };
    // After the step, the disk holds exactly the desired content.
    let after = match s.action {
        Action::Create | Action::Update => d,
        Action::Remove | Action::Forget => None,
        Action::Keep => c,
    };
    assert_eq!(after, d, "{ctx}");
    // The action matches what is on disk.
    match s.action {
        Action::Create | Action::Forget => assert!(c.is_none(), "{ctx}"),
        Action::Update | Action::Remove => assert!(c.is_some(), "{ctx}"),
        Action::Keep => assert_eq!(c, d, "{ctx}"),
    }
    // Content we did not write is never replaced or deleted unless forced.
    if s.action.writes() && s.forced.is_none() {
        assert!(l.is_some() && c == l || l.is_none() && c.is_none(), "{ctx}");
    }
}

#[test]
fn drift_lists_modified_and_missing_managed_files_only() {
    let managed = h(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let current = h(&[("a", "1"), ("b", "x"), ("z", "unmanaged")]);
    assert_eq!(
        local_drift(&managed, &current),
        [
            ("b".to_string(), Drift::Modified),
            ("c".to_string(), Drift::Missing)
        ]
    );
}
