//! Which `NotificationRule`s take an event: not suspended, the event's kind listed (or none
//! listed), severe enough, and the environment selected by name, `spec.environment` and
//! labels (every part given must match).

use claude_env_api::{EnvironmentSelector, NotificationRuleSpec};
use kube::core::{Selector, SelectorExt};

use crate::event::Event;

/// Whether `rule` (in the event's namespace) sends `event`. An invalid label selector selects
/// nothing.
pub fn selects(rule: &NotificationRuleSpec, event: &Event) -> bool {
    !rule.suspend
        && (rule.event_kinds.is_empty() || rule.event_kinds.contains(&event.kind))
        && event.severity() >= rule.severity.unwrap_or_default()
        && rule
            .selector
            .as_ref()
            .is_none_or(|s| environment_selected(s, event))
}

fn environment_selected(s: &EnvironmentSelector, event: &Event) -> bool {
    let listed = |list: &[String], value: &str| list.is_empty() || list.iter().any(|v| v == value);
    listed(&s.names, &event.name)
        && listed(&s.environments, &event.environment)
        && s.label_selector.as_ref().is_none_or(|ls| {
            Selector::try_from(ls.clone()).is_ok_and(|sel| sel.matches(&event.labels))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::rolled_back;
    use claude_env_api::{EventKind, LocalObjectReference, Severity};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

    fn rule() -> NotificationRuleSpec {
        NotificationRuleSpec {
            provider_refs: vec![LocalObjectReference {
                name: "slack".into(),
            }],
            selector: None,
            event_kinds: Vec::new(),
            severity: None,
            suspend: false,
        }
    }

    #[test]
    fn an_empty_rule_takes_everything_until_suspended() {
        assert!(selects(&rule(), &rolled_back()));
        let suspended = NotificationRuleSpec {
            suspend: true,
            ..rule()
        };
        assert!(!selects(&suspended, &rolled_back()));
    }

    #[test]
    fn kinds_and_severity_filter() {
        let only_success = NotificationRuleSpec {
            event_kinds: vec![EventKind::RolloutSucceeded],
            ..rule()
        };
        assert!(!selects(&only_success, &rolled_back()));
        let errors = NotificationRuleSpec {
            severity: Some(Severity::Error),
            ..rule()
        };
        assert!(selects(&errors, &rolled_back()));
        let mut started = rolled_back();
        started.kind = EventKind::RolloutStarted;
        assert!(!selects(&errors, &started));
        let warnings = NotificationRuleSpec {
            severity: Some(Severity::Warning),
            ..rule()
        };
        let mut approval = rolled_back();
        approval.kind = EventKind::ApprovalRequired;
        assert!(selects(&warnings, &approval));
        assert!(!selects(&warnings, &started));
    }

    #[test]
    fn environments_by_name_environment_and_labels() {
        let by = |s: EnvironmentSelector| NotificationRuleSpec {
            selector: Some(s),
            ..rule()
        };
        let e = rolled_back();
        assert!(selects(
            &by(EnvironmentSelector {
                names: vec!["be-prod".into()],
                ..Default::default()
            }),
            &e
        ));
        assert!(!selects(
            &by(EnvironmentSelector {
                names: vec!["fe-prod".into()],
                ..Default::default()
            }),
            &e
        ));
        assert!(!selects(
            &by(EnvironmentSelector {
                environments: vec!["staging".into()],
                ..Default::default()
            }),
            &e
        ));
        let labels = |key: &str, op: &str, values: &[&str]| EnvironmentSelector {
            environments: vec!["production".into()],
            label_selector: Some(LabelSelector {
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: key.into(),
                    operator: op.into(),
                    values: Some(values.iter().map(|v| v.to_string()).collect()),
                }]),
                match_labels: None,
            }),
            ..Default::default()
        };
        assert!(selects(&by(labels("team", "In", &["backend", "data"])), &e));
        assert!(!selects(&by(labels("team", "In", &["frontend"])), &e));
        assert!(
            !selects(&by(labels("team", "Bogus", &["backend"])), &e),
            "an invalid selector selects nothing"
        );
    }
}
