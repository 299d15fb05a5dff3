//! Webhook verification and push hints for `POST /hooks/{github,gitlab,generic}`.
//!
//! The signature is checked before the body is parsed at all, with constant-time comparisons,
//! and an empty secret refuses everything (an HMAC keyed with nothing is forgeable by anyone).
//! What a verified payload says is only a hint of which URL and branch to refresh: the fetch
//! that follows decides what the revision is.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Bodies larger than this are refused before anything else (the receiver answers 413).
/// Real push payloads are tens of KiB; GitHub caps them at 25 MB only for huge pushes, which
/// a config repository never sees.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Which endpoint a request came in on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    /// `POST /hooks/github`: `X-Hub-Signature-256: sha256=<hex>`, `X-GitHub-Event`.
    GitHub,
    /// `POST /hooks/gitlab`: `X-Gitlab-Token: <secret>`, `X-Gitlab-Event`.
    GitLab,
    /// `POST /hooks/generic`: `X-Signature: sha256=<hex>`, body `{"url", "branch"}`.
    Generic,
}

/// Which repository (any of `urls`, to be matched with [`crate::url::same_repo`]) and branch
/// a verified push was for. `branch: None` means "any branch of these URLs".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PushHint {
    pub urls: Vec<String>,
    pub branch: Option<String>,
}

/// The verdict on one webhook request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Verified push: refresh what the hint names.
    Accepted(PushHint),
    /// Verified, but nothing to refresh (GitHub `ping`, tag pushes, other events).
    Ignored(String),
    /// Missing or wrong signature or token, or no secret configured.
    BadSignature(&'static str),
    /// Verified, but the payload is not what the endpoint expects.
    Malformed(String),
    /// Larger than [`MAX_BODY_BYTES`].
    TooLarge,
}

impl Outcome {
    /// Stable label for metrics (`result`) and logs.
    pub fn category(&self) -> &'static str {
        match self {
            Outcome::Accepted(_) => "accepted",
            Outcome::Ignored(_) => "ignored",
            Outcome::BadSignature(_) => "bad-signature",
            Outcome::Malformed(_) => "malformed",
            Outcome::TooLarge => "too-large",
        }
    }

    /// The HTTP status a receiver should answer with. `Accepted` is 202: the refresh happens
    /// after the response (and an unknown repository is not the sender's error either).
    pub fn http_status(&self) -> u16 {
        match self {
            Outcome::Accepted(_) => 202,
            Outcome::Ignored(_) => 200,
            Outcome::BadSignature(_) => 401,
            Outcome::Malformed(_) => 400,
            Outcome::TooLarge => 413,
        }
    }
}

/// Verifies and interprets one request. `header` looks a header up by its lower-case name
/// (HTTP header names are case-insensitive; `http::HeaderMap::get` does this already).
pub fn receive<'h>(
    provider: Provider,
    secret: &[u8],
    header: impl Fn(&str) -> Option<&'h str>,
    body: &[u8],
) -> Outcome {
    if body.len() > MAX_BODY_BYTES {
        return Outcome::TooLarge;
    }
    if secret.is_empty() {
        return Outcome::BadSignature("no webhook secret configured");
    }
    let verified = match provider {
        Provider::GitHub => verify_hmac_header(secret, header("x-hub-signature-256"), body),
        Provider::GitLab => verify_token(secret, header("x-gitlab-token")),
        Provider::Generic => verify_hmac_header(secret, header("x-signature"), body),
    };
    if let Err(reason) = verified {
        return Outcome::BadSignature(reason);
    }
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(e) => return Outcome::Malformed(format!("body is not JSON: {e}")),
    };
    match provider {
        Provider::GitHub => github(header("x-github-event"), &json),
        Provider::GitLab => gitlab(header("x-gitlab-event"), &json),
        Provider::Generic => generic(&json),
    }
}

/// The `sha256=<hex>` value of an HMAC-SHA256 of `body`: what senders put in
/// `X-Hub-Signature-256` and `X-Signature`. For tests and for clients of the generic hook.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn verify_hmac_header(secret: &[u8], value: Option<&str>, body: &[u8]) -> Result<(), &'static str> {
    let value = value.ok_or("missing signature header")?;
    let hex_sig = value
        .trim()
        .strip_prefix("sha256=")
        .ok_or("signature is not sha256=<hex>")?;
    let sig = hex::decode(hex_sig).map_err(|_| "signature is not sha256=<hex>")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&sig).map_err(|_| "signature mismatch")
}

fn verify_token(secret: &[u8], value: Option<&str>) -> Result<(), &'static str> {
    let token = value.ok_or("missing X-Gitlab-Token")?;
    // `ct_eq` on slices of different lengths is false without comparing: the length of the
    // secret is not what needs hiding, its bytes are.
    if bool::from(token.as_bytes().ct_eq(secret)) {
        Ok(())
    } else {
        Err("token mismatch")
    }
}

fn github(event: Option<&str>, json: &Value) -> Outcome {
    match event.unwrap_or("push") {
        "push" => {}
        "ping" => return Outcome::Ignored("ping".to_owned()),
        other => return Outcome::Ignored(format!("event {other} is not a push")),
    }
    let urls = strings(
        json,
        "repository",
        &["clone_url", "ssh_url", "html_url", "git_url"],
    );
    push_hint(json, urls)
}

fn gitlab(event: Option<&str>, json: &Value) -> Outcome {
    match event.unwrap_or("Push Hook") {
        "Push Hook" => {}
        other => return Outcome::Ignored(format!("event {other} is not a push")),
    }
    let mut urls = strings(json, "project", &["git_http_url", "git_ssh_url", "web_url"]);
    // Older payloads (and system hooks) carry the URLs under `repository` only.
    for url in strings(
        json,
        "repository",
        &["git_http_url", "git_ssh_url", "homepage"],
    ) {
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    push_hint(json, urls)
}

fn generic(json: &Value) -> Outcome {
    let Some(url) = json
        .get("url")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
    else {
        return Outcome::Malformed("body needs a string `url`".to_owned());
    };
    let branch = match json.get("branch") {
        None | Some(Value::Null) => None,
        Some(Value::String(b)) if !b.is_empty() => Some(b.clone()),
        Some(_) => return Outcome::Malformed("`branch` must be a non-empty string".to_owned()),
    };
    Outcome::Accepted(PushHint {
        urls: vec![url.to_owned()],
        branch,
    })
}

/// Shared by GitHub and GitLab push payloads: `ref` is `refs/heads/<branch>`.
fn push_hint(json: &Value, urls: Vec<String>) -> Outcome {
    let Some(git_ref) = json.get("ref").and_then(Value::as_str) else {
        return Outcome::Malformed("push payload has no `ref`".to_owned());
    };
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return Outcome::Ignored(format!("{git_ref} is not a branch"));
    };
    if urls.is_empty() {
        return Outcome::Malformed("push payload names no repository URL".to_owned());
    }
    Outcome::Accepted(PushHint {
        urls,
        branch: Some(branch.to_owned()),
    })
}

fn strings(json: &Value, object: &str, keys: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for key in keys {
        if let Some(s) = json
            .pointer(&format!("/{object}/{key}"))
            .and_then(Value::as_str)
            && !s.is_empty()
            && !out.iter().any(|o| o == s)
        {
            out.push(s.to_owned());
        }
    }
    out
}
