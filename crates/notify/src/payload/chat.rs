//! Chat messages: a Slack incoming-webhook message and a Microsoft Teams Adaptive Card (what
//! Teams incoming webhooks and Workflows "post to a channel when a webhook request is
//! received" accept).

use claude_env_api::Severity;
use serde_json::{Value, json};

use crate::event::Event;
use crate::text::{subject, summary, title};

/// Facts every message lists: (title, value), empty values left out.
fn facts(e: &Event) -> Vec<(&'static str, String)> {
    [
        ("Environment", subject(e)),
        ("Revision", e.short_revision().to_string()),
        ("Reason", e.reason.clone()),
        ("By", e.actor.clone()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// Slack: `text` for notifications and clients without attachments, an attachment coloured
/// by severity with the message and the facts.
pub(super) fn slack(e: &Event, channel: Option<&str>) -> Value {
    let color = match e.severity() {
        Severity::Error => "danger",
        Severity::Warning => "warning",
        Severity::Info => "good",
    };
    let fields: Vec<Value> = facts(e)
        .into_iter()
        .map(|(t, v)| json!({"title": t, "value": v, "short": true}))
        .collect();
    let mut body = json!({
        "username": "claude-env",
        "text": summary(e),
        "attachments": [{
            "color": color,
            "title": title(e.kind),
            "text": e.message,
            "fields": fields,
            "footer": "claude-env",
            "ts": e.time.as_second(),
        }],
    });
    if let Some(c) = channel {
        body["channel"] = json!(c);
    }
    body
}

/// Teams: one Adaptive Card (schema 1.4) in a `message` envelope.
pub(super) fn teams(e: &Event) -> Value {
    let color = match e.severity() {
        Severity::Error => "Attention",
        Severity::Warning => "Warning",
        Severity::Info => "Good",
    };
    let facts: Vec<Value> = facts(e)
        .into_iter()
        .map(|(t, v)| json!({"title": t, "value": v}))
        .collect();
    json!({
        "type": "message",
        "summary": summary(e),
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": summary(e), "weight": "Bolder",
                     "size": "Medium", "color": color, "wrap": true},
                    {"type": "TextBlock", "text": e.message, "wrap": true},
                    {"type": "FactSet", "facts": facts},
                ],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::rolled_back;
    use crate::payload::{Target, render};
    use claude_env_api::{EventKind, ProviderType};
    use pretty_assertions::assert_eq;

    fn body(type_: ProviderType, channel: Option<&str>, e: &crate::Event) -> Value {
        let t = Target {
            type_: Some(type_),
            address: Some("https://chat.example.com/hook".into()),
            channel: channel.map(str::to_string),
            ..Target::default()
        };
        let d = render(&t, e).unwrap().unwrap();
        serde_json::from_slice(&d.body).unwrap()
    }

    #[test]
    fn slack_golden() {
        assert_eq!(
            body(ProviderType::Slack, Some("#deploys"), &rolled_back()),
            json!({
                "username": "claude-env",
                "channel": "#deploys",
                "text": "Rolled back: team-be/be-prod (production) at 0123456789ab",
                "attachments": [{
                    "color": "danger",
                    "title": "Rolled back",
                    "text": "revision 0123456789ab rolled back to fedcba987654: canary step 1: pods crash-loop",
                    "fields": [
                        {"title": "Environment", "value": "team-be/be-prod (production)", "short": true},
                        {"title": "Revision", "value": "0123456789ab", "short": true},
                        {"title": "Reason", "value": "CrashLoop", "short": true},
                        {"title": "By", "value": "claude-env-controller", "short": true},
                    ],
                    "footer": "claude-env",
                    "ts": 1795255200,
                }],
            })
        );
    }

    #[test]
    fn slack_without_channel_or_reason() {
        let mut e = rolled_back();
        e.kind = EventKind::RolloutSucceeded;
        e.reason = String::new();
        let b = body(ProviderType::Slack, None, &e);
        assert!(b.get("channel").is_none());
        assert_eq!(b["attachments"][0]["color"], "good");
        assert_eq!(b["attachments"][0]["fields"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn teams_golden() {
        assert_eq!(
            body(ProviderType::MsTeams, None, &rolled_back()),
            json!({
                "type": "message",
                "summary": "Rolled back: team-be/be-prod (production) at 0123456789ab",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            {"type": "TextBlock", "text": "Rolled back: team-be/be-prod (production) at 0123456789ab",
                             "weight": "Bolder", "size": "Medium", "color": "Attention", "wrap": true},
                            {"type": "TextBlock", "text": "revision 0123456789ab rolled back to fedcba987654: canary step 1: pods crash-loop", "wrap": true},
                            {"type": "FactSet", "facts": [
                                {"title": "Environment", "value": "team-be/be-prod (production)"},
                                {"title": "Revision", "value": "0123456789ab"},
                                {"title": "Reason", "value": "CrashLoop"},
                                {"title": "By", "value": "claude-env-controller"},
                            ]},
                        ],
                    },
                }],
            })
        );
    }
}
