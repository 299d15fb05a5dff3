//! Notifications about ClaudeEnvironments, as pure decisions (no network, no clock, no
//! client): the controller's IO side (`io::notify`) reads providers, rules and Secrets, and
//! sends what this crate decides.
//!
//! - [`Event`]: one change of one environment (a rollout started, rolled back, ...);
//! - [`rules::selects`]: whether a `NotificationRule` takes an event;
//! - [`dedup::Recent`]: one message per (environment, revision, kind): a canary's many
//!   status writes never become many messages;
//! - [`payload::render`]: the HTTP request each provider type gets (Slack, Microsoft
//!   Teams, a signed JSON webhook, GitHub and GitLab commit statuses);
//! - [`retry`]: which failures are retried, and after how long.

pub mod dedup;
pub mod event;
pub mod payload;
pub mod retry;
pub mod rules;
mod text;

pub use event::Event;
pub use payload::{Delivery, PayloadError, Target, render};
