//! Kubernetes Events on ClaudeEnvironments. Failing to publish one is logged, never fatal.

use claude_env_api::ClaudeEnvironment;
use kube::Resource;
use kube::runtime::events::{Event, EventType, Recorder};

/// Reasons are stable identifiers (PascalCase); details go in the note.
pub(crate) async fn publish(
    recorder: &Recorder,
    env: &ClaudeEnvironment,
    warning: bool,
    reason: &str,
    action: &str,
    note: String,
) {
    let event = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.to_string(),
        note: Some(truncate(note)),
        action: action.to_string(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&event, &env.object_ref(&())).await {
        tracing::warn!(error = %e, reason, "publishing event failed");
    }
}

/// Event notes are limited to 1 kB.
fn truncate(mut note: String) -> String {
    if note.len() > 1000 {
        let mut end = 997;
        while !note.is_char_boundary(end) {
            end -= 1;
        }
        note.truncate(end);
        note.push('…');
    }
    note
}
