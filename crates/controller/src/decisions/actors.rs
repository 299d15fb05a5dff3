//! Who asked for what (pure): the actor annotations set with the steering annotations. The
//! admission policy makes each equal to the requesting user's name; without the policy an
//! annotation may be missing, and the actor is then recorded as `unknown`.

use std::collections::BTreeMap;

use claude_env_api::{UNKNOWN_ACTOR, annotations};

/// The people behind an environment's current steering annotations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Actors {
    /// The `approve` value, and who set it.
    pub(crate) approve: Option<String>,
    pub(crate) approver: String,
    pub(crate) rollback_requester: String,
    pub(crate) retry_requester: String,
}

impl Actors {
    pub(crate) fn of(a: &BTreeMap<String, String>) -> Actors {
        let who = |key: &str| {
            a.get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .unwrap_or(UNKNOWN_ACTOR)
                .to_string()
        };
        Actors {
            approve: a.get(annotations::APPROVE).cloned(),
            approver: who(annotations::APPROVED_BY),
            rollback_requester: who(annotations::ROLLBACK_REQUESTED_BY),
            retry_requester: who(annotations::RETRY_REQUESTED_BY),
        }
    }

    /// Who approved the gate that used `consumed` (an `approve` value): the current
    /// approver when it is the current value; unknown for an earlier value.
    pub(crate) fn approver_of(&self, consumed: &str) -> &str {
        if self.approve.as_deref() == Some(consumed) {
            &self.approver
        } else {
            UNKNOWN_ACTOR
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_come_from_their_annotations_or_are_unknown() {
        let a: BTreeMap<String, String> = [
            (annotations::APPROVE, "abc@1"),
            (annotations::APPROVED_BY, "alice"),
            (annotations::ROLLBACK_REQUESTED_BY, " "),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let actors = Actors::of(&a);
        assert_eq!(actors.approver, "alice");
        assert_eq!(actors.rollback_requester, "unknown", "blank is unknown");
        assert_eq!(actors.retry_requester, "unknown");
        assert_eq!(actors.approver_of("abc@1"), "alice");
        assert_eq!(
            actors.approver_of("abc@0"),
            "unknown",
            "an earlier approval's approver is not the current one"
        );
    }
}
