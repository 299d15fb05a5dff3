//! The wording every chat message shares.

use claude_env_api::EventKind;

use crate::event::Event;

/// A short title: "Rolled back".
pub(crate) fn title(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ApprovalRequired => "Approval required",
        EventKind::Approved => "Approved",
        EventKind::RetryRequested => "Retry requested",
        EventKind::RolloutStarted => "Rollout started",
        EventKind::RolloutPromoted => "Rollout promoted",
        EventKind::RolloutSucceeded => "Rollout succeeded",
        EventKind::RolledBack => "Rolled back",
        EventKind::RolloutFailed => "Rollout failed",
        EventKind::Stalled => "Stalled",
        EventKind::DriftDetected => "Drift detected",
        EventKind::DriftRemediated => "Drift remediated",
        EventKind::DependencyWaiting => "Waiting for dependencies",
    }
}

/// `team-be/be-prod (production)`.
pub(crate) fn subject(e: &Event) -> String {
    format!("{}/{} ({})", e.namespace, e.name, e.environment)
}

/// One line: `Rolled back: team-be/be-prod (production) at 0123456789ab`.
pub(crate) fn summary(e: &Event) -> String {
    format!(
        "{}: {} at {}",
        title(e.kind),
        subject(e),
        e.short_revision()
    )
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("abcd", 3), "ab…");
        assert_eq!(clip("ééééé", 4), "ééé…");
    }
}
