//! Webhook requests: any provider, headers and body, with a correct signature or token
//! half of the time (so payload parsing is reached, not only signature checks), then
//! delivery de-duplication. Properties: no panic; a request signed with the secret is never
//! `BadSignature`; a wrong signature is never accepted; an HTTP status is always one of the
//! documented ones.
#![no_main]

use std::time::{Duration, Instant};

use claude_env_fuzz::deliveries::{Delivery, DeliveryId, RecentDeliveries};
use claude_env_fuzz::webhook::{self, Outcome, Provider};
use libfuzzer_sys::fuzz_target;

/// The input: a provider byte, an auth-mode byte (0: no auth header, 1: the correct one,
/// else the signature field as written), then NUL-separated fields: secret, signature,
/// event, delivery id, body (the rest, NULs included).
struct Request<'a> {
    provider: u8,
    auth: u8,
    secret: &'a [u8],
    signature: &'a str,
    event: Option<&'a str>,
    delivery: Option<&'a str>,
    body: &'a [u8],
}

fn text(field: Option<&[u8]>) -> Option<&str> {
    field.and_then(|b| std::str::from_utf8(b).ok())
}

fn request(data: &[u8]) -> Option<Request<'_>> {
    let (&provider, rest) = data.split_first()?;
    let (&auth, rest) = rest.split_first()?;
    let mut fields = rest.splitn(5, |b| *b == 0);
    let secret = fields.next()?;
    let signature = text(fields.next()).unwrap_or("");
    let event = text(fields.next()).filter(|e| !e.is_empty());
    let delivery = text(fields.next()).filter(|d| !d.is_empty());
    let body = fields.next().unwrap_or(b"");
    Some(Request {
        provider,
        auth,
        secret,
        signature,
        event,
        delivery,
        body,
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(r) = request(data) else {
        return;
    };
    let provider = match r.provider % 3 {
        0 => Provider::GitHub,
        1 => Provider::GitLab,
        _ => Provider::Generic,
    };
    let correct = match provider {
        Provider::GitLab => String::from_utf8_lossy(r.secret).into_owned(),
        _ => webhook::sign(r.secret, r.body),
    };
    let auth_value = match r.auth % 3 {
        0 => None,
        1 => Some(correct.as_str()),
        _ => Some(r.signature),
    };
    let (auth_header, event_header) = match provider {
        Provider::GitHub => ("x-hub-signature-256", "x-github-event"),
        Provider::GitLab => ("x-gitlab-token", "x-gitlab-event"),
        Provider::Generic => ("x-signature", ""),
    };
    let header = |name: &str| -> Option<&str> {
        if name == auth_header {
            auth_value
        } else if name == event_header {
            r.event
        } else if name == "x-github-delivery" || name == "x-gitlab-event-uuid" {
            r.delivery
        } else {
            None
        }
    };
    let outcome = webhook::receive(provider, r.secret, header, r.body);
    assert!([200, 202, 400, 401, 413].contains(&outcome.http_status()));
    let signed = auth_value == Some(correct.as_str())
        // A GitLab token that is not valid UTF-8 cannot be sent as written.
        && (provider != Provider::GitLab || std::str::from_utf8(r.secret).is_ok());
    if signed && !r.secret.is_empty() && r.body.len() <= webhook::MAX_BODY_BYTES {
        assert!(
            !matches!(outcome, Outcome::BadSignature(_)),
            "a correctly signed request was refused: {outcome:?}"
        );
    }
    if auth_value.is_none() || r.secret.is_empty() {
        assert!(!matches!(outcome, Outcome::Accepted(_)), "{outcome:?}");
    }
    if let Outcome::Accepted(hint) = &outcome {
        assert!(!hint.urls.is_empty());
        if let Some(id) = DeliveryId::of(provider, header, r.body) {
            let mut seen = RecentDeliveries::new(8, Duration::from_secs(60));
            let now = Instant::now();
            assert_eq!(seen.check(id, now), Delivery::First);
            assert_eq!(seen.check(id, now), Delivery::Duplicate);
        }
    }
});
