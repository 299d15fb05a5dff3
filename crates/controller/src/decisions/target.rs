//! Which revision to run (pure): the branch tip, a requested rollback, or — when the tip was
//! rejected by a rollback — the revision rolled back to, until the branch moves on.

/// The choice for one reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) revision: String,
    /// Set when this reconcile acts on a new `rollback-to` request: the annotation value
    /// (recorded as handled) and the tip it rejects.
    pub(crate) rollback: Option<Rollback>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rollback {
    pub(crate) annotation: String,
    pub(crate) rejected: Option<String>,
}

pub(crate) struct Inputs<'a> {
    /// `claude-env.io/rollback-to`, with its revision already resolved to a full SHA.
    pub(crate) rollback_to: Option<(&'a str, &'a str)>,
    pub(crate) last_handled_rollback: Option<&'a str>,
    /// The tip a manual rollback turned away from: not run again until the branch moves.
    pub(crate) rejected: Option<&'a str>,
    pub(crate) last_applied: Option<&'a str>,
    pub(crate) tip: &'a str,
}

pub(crate) fn choose(i: Inputs<'_>) -> Target {
    if let Some((annotation, revision)) = i.rollback_to
        && i.last_handled_rollback != Some(annotation)
    {
        return Target {
            revision: revision.to_string(),
            rollback: Some(Rollback {
                annotation: annotation.to_string(),
                rejected: (i.tip != revision).then(|| i.tip.to_string()),
            }),
        };
    }
    if i.rejected == Some(i.tip)
        && let Some(applied) = i.last_applied
    {
        return Target {
            revision: applied.to_string(),
            rollback: None,
        };
    }
    Target {
        revision: i.tip.to_string(),
        rollback: None,
    }
}

/// The revision part of a `rollback-to` value (`<revision>[@<nonce>]`).
pub(crate) fn rollback_revision(annotation: &str) -> &str {
    annotation.split('@').next().unwrap_or_default().trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(tip: &'a str) -> Inputs<'a> {
        Inputs {
            rollback_to: None,
            last_handled_rollback: None,
            rejected: None,
            last_applied: Some("a1"),
            tip,
        }
    }

    #[test]
    fn the_tip_by_default() {
        assert_eq!(choose(inputs("t1")).revision, "t1");
    }

    #[test]
    fn a_new_rollback_request_runs_its_revision_and_rejects_the_tip() {
        let t = choose(Inputs {
            rollback_to: Some(("a0@1", "a0")),
            ..inputs("t1")
        });
        assert_eq!(t.revision, "a0");
        assert_eq!(
            t.rollback,
            Some(Rollback {
                annotation: "a0@1".into(),
                rejected: Some("t1".into())
            })
        );
    }

    #[test]
    fn a_handled_request_holds_while_the_tip_is_rejected_then_the_branch_wins() {
        let held = choose(Inputs {
            rollback_to: Some(("a0@1", "a0")),
            last_handled_rollback: Some("a0@1"),
            rejected: Some("t1"),
            last_applied: Some("a0"),
            tip: "t1",
        });
        assert_eq!(held.revision, "a0");
        assert_eq!(held.rollback, None);
        let moved = choose(Inputs {
            rollback_to: Some(("a0@1", "a0")),
            last_handled_rollback: Some("a0@1"),
            rejected: Some("t1"),
            last_applied: Some("a0"),
            tip: "t2",
        });
        assert_eq!(moved.revision, "t2");
    }

    #[test]
    fn rolling_back_to_the_tip_rejects_nothing() {
        let t = choose(Inputs {
            rollback_to: Some(("t1", "t1")),
            ..inputs("t1")
        });
        assert_eq!(t.rollback.unwrap().rejected, None);
    }

    #[test]
    fn annotation_nonce_is_not_part_of_the_revision() {
        assert_eq!(rollback_revision("abc123@2026-11-21T10:00:00Z"), "abc123");
        assert_eq!(rollback_revision("abc123"), "abc123");
    }
}
