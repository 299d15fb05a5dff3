//! kstatus-style conditions: set with the transition time kept while the status holds.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// Message limit of the API server is 32 KiB; we keep conditions readable.
const MESSAGE_LIMIT: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    True,
    False,
    Unknown,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::True => "True",
            Status::False => "False",
            Status::Unknown => "Unknown",
        }
    }
}

/// Set (or replace) condition `type_`. `lastTransitionTime` changes only when the status
/// does, so re-asserting a condition is not a change.
pub(crate) fn set(
    conditions: &mut Vec<Condition>,
    type_: &str,
    status: Status,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: &Time,
) {
    let message = truncate(message);
    let transition = match conditions.iter().find(|c| c.type_ == type_) {
        Some(old) if old.status == status.as_str() => old.last_transition_time.clone(),
        _ => now.clone(),
    };
    let new = Condition {
        type_: type_.to_string(),
        status: status.as_str().to_string(),
        reason: reason.to_string(),
        message,
        observed_generation: generation,
        last_transition_time: transition,
    };
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => *c = new,
        None => conditions.push(new),
    }
}

/// kstatus removes abnormal-true conditions when they no longer apply.
pub(crate) fn remove(conditions: &mut Vec<Condition>, type_: &str) {
    conditions.retain(|c| c.type_ != type_);
}

pub(crate) fn get<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

pub(crate) fn is_true(conditions: &[Condition], type_: &str) -> bool {
    get(conditions, type_).is_some_and(|c| c.status == "True")
}

fn truncate(message: &str) -> String {
    if message.len() <= MESSAGE_LIMIT {
        return message.to_string();
    }
    let mut end = MESSAGE_LIMIT;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &message[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Time {
        Time(jiff::Timestamp::from_second(s).unwrap())
    }

    #[test]
    fn transition_time_moves_only_with_the_status() {
        let mut c = Vec::new();
        set(&mut c, "Ready", Status::False, "A", "m1", Some(1), &t(10));
        set(&mut c, "Ready", Status::False, "B", "m2", Some(2), &t(20));
        assert_eq!(c[0].last_transition_time, t(10));
        assert_eq!(c[0].reason, "B");
        set(&mut c, "Ready", Status::True, "C", "m3", Some(2), &t(30));
        assert_eq!(c[0].last_transition_time, t(30));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn long_messages_are_cut_on_a_char_boundary() {
        let mut c = Vec::new();
        let long = "é".repeat(MESSAGE_LIMIT);
        set(&mut c, "Stalled", Status::True, "R", &long, None, &t(0));
        assert!(c[0].message.len() <= MESSAGE_LIMIT + 3);
        assert!(c[0].message.ends_with('…'));
    }

    #[test]
    fn remove_and_query() {
        let mut c = Vec::new();
        set(&mut c, "Stalled", Status::True, "R", "m", None, &t(0));
        assert!(is_true(&c, "Stalled"));
        remove(&mut c, "Stalled");
        assert!(get(&c, "Stalled").is_none());
    }
}
