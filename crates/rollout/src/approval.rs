//! Human gates. Every wait for a human (a `pause: {}` step, `approval.required`, a
//! blue-green without auto-promotion, an inconclusive check) consumes one approval: the
//! `approve` annotation value naming the revision rolling out, not used by an earlier gate.
//! So one approval cannot silently open every later gate, and an approval for another
//! revision never opens any. The CLI writes `<revision>@<time>` so each approval is new;
//! with kubectl, `approve=<revision>` opens one gate and `approve=<revision>@2` the next.

use claude_env_api::short_revision;

use crate::observe::names_revision;

/// The approval available to the gates of one decision.
pub struct Gate<'a> {
    pub approval: Option<&'a str>,
    pub revision: &'a str,
}

impl Gate<'_> {
    /// Whether a fresh approval for the revision exists; if so it is consumed.
    pub fn take(&self, consumed: &mut Option<String>) -> bool {
        match self.approval {
            Some(value)
                if names_revision(value, self.revision) && consumed.as_deref() != Some(value) =>
            {
                *consumed = Some(value.to_string());
                true
            }
            _ => false,
        }
    }

    /// What a waiting gate tells people.
    pub fn waiting_message(&self, what: &str, consumed: Option<&str>) -> String {
        let hint = match (self.approval, consumed) {
            (Some(a), Some(c)) if a == c && names_revision(a, self.revision) => format!(
                " ({a:?} was used by an earlier gate: approve again with a new value, e.g. {}@2)",
                self.revision
            ),
            (Some(a), _) if !names_revision(a, self.revision) => {
                format!(" (the approval {a:?} is for another revision and is ignored)")
            }
            _ => String::new(),
        };
        format!(
            "{what}: waiting for approval of {} (claude-env approve, or annotate claude-env.io/approve={}){hint}",
            short_revision(self.revision),
            self.revision
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REV: &str = "0123456789abcdef";

    #[test]
    fn fresh_approval_opens_and_is_consumed() {
        let g = Gate {
            approval: Some(REV),
            revision: REV,
        };
        let mut used = None;
        assert!(g.take(&mut used));
        assert_eq!(used.as_deref(), Some(REV));
        assert!(!g.take(&mut used), "the same value opens one gate only");
    }

    #[test]
    fn a_new_nonce_opens_the_next_gate() {
        let mut used = Some(REV.to_string());
        let g = Gate {
            approval: Some("0123456789abcdef@2"),
            revision: REV,
        };
        assert!(g.take(&mut used));
    }

    #[test]
    fn approval_of_another_revision_is_ignored_and_said_so() {
        let g = Gate {
            approval: Some("fedcba9876543210"),
            revision: REV,
        };
        let mut used = None;
        assert!(!g.take(&mut used));
        assert_eq!(used, None);
        assert!(g.waiting_message("x", None).contains("another revision"));
    }

    #[test]
    fn no_approval_waits() {
        let g = Gate {
            approval: None,
            revision: REV,
        };
        assert!(!g.take(&mut None));
        assert!(g.waiting_message("promotion", None).contains("0123456"));
    }

    #[test]
    fn a_used_approval_explains_how_to_approve_again() {
        let g = Gate {
            approval: Some(REV),
            revision: REV,
        };
        assert!(g.waiting_message("x", Some(REV)).contains("earlier gate"));
    }
}
