//! The generic webhook: the event as a flat JSON object, signed with HMAC-SHA256 of the
//! exact body bytes when the provider's Secret has `hmacKey`:
//! `X-Signature: sha256=<lowercase hex>` (the format of the controller's own generic push
//! webhook). The kind is also in `X-Claude-Env-Event`, for routing without parsing.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::Delivery;
use crate::event::Event;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Signature";
/// The event kind header.
pub(super) const EVENT_HEADER: &str = "X-Claude-Env-Event";

/// `sha256=<hex of HMAC-SHA256(key, body)>`.
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(super) fn delivery(url: String, e: &Event, key: Option<&[u8]>) -> Delivery {
    let body = json!({
        "kind": e.kind.name(),
        "severity": e.severity().name(),
        "namespace": e.namespace,
        "name": e.name,
        "environment": e.environment,
        "revision": e.revision,
        "reason": e.reason,
        "message": e.message,
        "actor": e.actor,
        "time": e.time.to_string(),
    });
    let mut d = Delivery::json(
        url,
        &body,
        vec![(EVENT_HEADER.into(), e.kind.name().into())],
    );
    if let Some(key) = key {
        let signature = sign(key, &d.body);
        d.headers.push((SIGNATURE_HEADER.into(), signature));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::rolled_back;
    use crate::payload::{Target, render};
    use claude_env_api::ProviderType;
    use pretty_assertions::assert_eq;
    use serde_json::Value;

    #[test]
    fn signature_is_hmac_sha256_hex() {
        // The RFC 2104 example vector (as published for HMAC-SHA256).
        assert_eq!(
            sign(b"key", b"The quick brown fox jumps over the lazy dog"),
            "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    fn target(key: Option<&[u8]>) -> Target {
        Target {
            type_: Some(ProviderType::Webhook),
            address: Some("http://127.0.0.1:9000/events".into()),
            hmac_key: key.map(<[u8]>::to_vec),
            ..Target::default()
        }
    }

    #[test]
    fn webhook_golden() {
        let d = render(&target(Some(b"s3cret")), &rolled_back())
            .unwrap()
            .unwrap();
        let body: Value = serde_json::from_slice(&d.body).unwrap();
        assert_eq!(
            body,
            json!({
                "kind": "RolledBack",
                "severity": "error",
                "namespace": "team-be",
                "name": "be-prod",
                "environment": "production",
                "revision": "0123456789abcdef0123456789abcdef01234567",
                "reason": "CrashLoop",
                "message": "revision 0123456789ab rolled back to fedcba987654: canary step 1: pods crash-loop",
                "actor": "claude-env-controller",
                "time": "2026-11-21T10:00:00Z",
            })
        );
        assert_eq!(d.header("X-Claude-Env-Event"), Some("RolledBack"));
        assert_eq!(
            d.header("X-Signature"),
            Some(sign(b"s3cret", &d.body).as_str())
        );
        // Field order is part of the format (receivers may log the raw body).
        let text = String::from_utf8(d.body).unwrap();
        assert!(text.starts_with(r#"{"kind":"RolledBack","severity":"error","namespace""#));
    }

    #[test]
    fn unsigned_without_a_key() {
        let d = render(&target(None), &rolled_back()).unwrap().unwrap();
        assert_eq!(d.header("X-Signature"), None);
    }
}
