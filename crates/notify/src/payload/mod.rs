//! The HTTP request each provider type gets for an event (always a `POST` with a JSON
//! body). Golden-tested per type: the receivers' formats are contracts.

mod chat;
mod commit_status;
mod webhook;

use claude_env_api::ProviderType;

use crate::event::Event;

pub use commit_status::repository_from_url;
pub use webhook::{SIGNATURE_HEADER, sign};

/// A provider with its Secret's values resolved (the IO side reads the Secret).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub type_: Option<ProviderType>,
    /// slack, msteams, webhook: the URL to POST to; github, gitlab: the API base URL
    /// (`None`: the public service).
    pub address: Option<String>,
    pub channel: Option<String>,
    /// github `owner/repo`, gitlab project ID or path (`None`: from the source URL).
    pub repository: Option<String>,
    pub token: Option<String>,
    pub hmac_key: Option<Vec<u8>>,
}

/// One `POST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Delivery {
    fn json(url: String, body: &serde_json::Value, mut headers: Vec<(String, String)>) -> Delivery {
        headers.insert(0, ("Content-Type".into(), "application/json".into()));
        headers.push(("User-Agent".into(), USER_AGENT.into()));
        Delivery {
            url,
            headers,
            body: serde_json::to_vec(body).expect("JSON values serialize"),
        }
    }

    /// The value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sent with every request (GitHub refuses requests without one).
pub const USER_AGENT: &str = "claude-env-controller";

/// A provider that cannot send: fixed only by changing it or its Secret (never retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("the provider has no address: set spec.address or the Secret's address key")]
    MissingAddress,
    #[error("the provider needs a token: set the Secret's token key")]
    MissingToken,
    #[error("invalid address {0:?}: expected an http(s) URL")]
    InvalidAddress(String),
    #[error(
        "no repository for commit statuses: set spec.repository (the source URL {0:?} names none)"
    )]
    NoRepository(String),
    #[error("the provider has no type")]
    NoType,
}

/// The request for `event`, or `None` when this provider type does not take that kind
/// (commit statuses are about rollouts of a revision, not drift).
pub fn render(target: &Target, event: &Event) -> Result<Option<Delivery>, PayloadError> {
    match target.type_.ok_or(PayloadError::NoType)? {
        ProviderType::Slack => Ok(Some(Delivery::json(
            http_address(target)?,
            &chat::slack(event, target.channel.as_deref()),
            Vec::new(),
        ))),
        ProviderType::MsTeams => Ok(Some(Delivery::json(
            http_address(target)?,
            &chat::teams(event),
            Vec::new(),
        ))),
        ProviderType::Webhook => Ok(Some(webhook::delivery(
            http_address(target)?,
            event,
            target.hmac_key.as_deref(),
        ))),
        ProviderType::GitHub => commit_status::github(target, event),
        ProviderType::GitLab => commit_status::gitlab(target, event),
    }
}

/// The address, which must be an http(s) URL.
fn http_address(target: &Target) -> Result<String, PayloadError> {
    let address = target
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or(PayloadError::MissingAddress)?;
    check_http(address)?;
    Ok(address.to_string())
}

fn check_http(address: &str) -> Result<(), PayloadError> {
    match url::Url::parse(address) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(PayloadError::InvalidAddress(address.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::rolled_back;

    #[test]
    fn chat_and_webhook_providers_need_an_http_address() {
        let target = |address: Option<&str>| Target {
            type_: Some(ProviderType::Slack),
            address: address.map(str::to_string),
            ..Target::default()
        };
        assert_eq!(
            render(&target(None), &rolled_back()),
            Err(PayloadError::MissingAddress)
        );
        assert_eq!(
            render(&target(Some("file:///etc/passwd")), &rolled_back()),
            Err(PayloadError::InvalidAddress("file:///etc/passwd".into()))
        );
        let d = render(
            &target(Some("https://hooks.slack.com/services/T/B/X")),
            &rolled_back(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(d.url, "https://hooks.slack.com/services/T/B/X");
        assert_eq!(d.header("content-type"), Some("application/json"));
        assert_eq!(d.header("User-Agent"), Some(USER_AGENT));
    }
}
