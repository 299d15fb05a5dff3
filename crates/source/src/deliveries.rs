//! De-duplicating redelivered webhooks. Senders deliver again after a timeout or when
//! someone presses "Redeliver", and proxies retry: each copy would otherwise mark sources
//! stale and trigger fetches (a webhook storm, times the number of environments using the
//! repository). A receiver keeps the ids of recent deliveries in a [`RecentDeliveries`] and
//! drops a delivery it has seen.
//!
//! The id is the sender's delivery id (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`, and for
//! the generic hook `X-Delivery-Id`) or, for GitHub and GitLab senders that leave the header
//! out, a hash of the body (their bodies name the pushed commits, so equal bodies are the
//! same push). A generic delivery without `X-Delivery-Id` has no id and is never dropped:
//! its body (`{"url", "branch"}`) is the same for every push to a branch. Record a delivery
//! only after its signature verified ([`crate::webhook::receive`] said `Accepted`):
//! unauthenticated requests must not be able to fill the set.
//!
//! Pure and bounded: a fixed number of 32-byte ids, each remembered for a time window.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::webhook::Provider;

/// Which delivery a request is, as a fixed-size hash (header values are attacker-sized).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeliveryId([u8; 32]);

impl DeliveryId {
    /// The id of one request: the provider's delivery header when present, else (GitHub,
    /// GitLab) the body; `None` for a generic delivery without `X-Delivery-Id`. `header`
    /// looks a header up by its lower-case name, as in [`crate::webhook::receive`].
    pub fn of<'h>(
        provider: Provider,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
    ) -> Option<DeliveryId> {
        let (tag, name) = match provider {
            Provider::GitHub => (b'h', "x-github-delivery"),
            Provider::GitLab => (b'l', "x-gitlab-event-uuid"),
            Provider::Generic => (b'g', "x-delivery-id"),
        };
        let mut h = Sha256::new();
        h.update([tag]);
        match header(name).map(str::trim).filter(|v| !v.is_empty()) {
            Some(id) => {
                h.update(b"id\0");
                h.update(id.as_bytes());
            }
            None if provider == Provider::Generic => return None,
            None => {
                h.update(b"body\0");
                h.update(body);
            }
        }
        Some(DeliveryId(h.finalize().into()))
    }
}

/// Whether a delivery was seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Not seen within the window: act on it (it is now recorded).
    First,
    /// Seen within the window: answer as for the first one, do nothing.
    Duplicate,
}

/// The ids of recent deliveries: at most `capacity`, each for `window`. When full, the
/// oldest is forgotten first (a very old redelivery then counts as new, which costs one
/// fetch that finds nothing new).
#[derive(Debug)]
pub struct RecentDeliveries {
    capacity: usize,
    window: Duration,
    seen: HashMap<DeliveryId, Instant>,
    /// Insertion order, for expiry and eviction; holds exactly the ids of `seen`.
    order: VecDeque<(DeliveryId, Instant)>,
}

impl RecentDeliveries {
    /// The default capacity: ids of the last 4096 deliveries (about 200 KiB).
    pub const DEFAULT_CAPACITY: usize = 4096;
    /// The default window: GitHub and GitLab retries and manual redeliveries of the last
    /// ten minutes are dropped.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(600);

    /// A set remembering at most `capacity` ids (at least 1) for `window` each.
    pub fn new(capacity: usize, window: Duration) -> Self {
        RecentDeliveries {
            capacity: capacity.max(1),
            window,
            seen: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Checks `id` at time `now` and records it if it is new.
    pub fn check(&mut self, id: DeliveryId, now: Instant) -> Delivery {
        self.expire(now);
        if self.seen.contains_key(&id) {
            return Delivery::Duplicate;
        }
        while self.seen.len() >= self.capacity {
            self.pop_oldest();
        }
        self.seen.insert(id, now);
        self.order.push_back((id, now));
        Delivery::First
    }

    /// How many ids are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.window {
                break;
            }
            self.pop_oldest();
        }
    }

    fn pop_oldest(&mut self) {
        if let Some((id, at)) = self.order.pop_front()
            && self.seen.get(&id) == Some(&at)
        {
            self.seen.remove(&id);
        }
    }
}

impl Default for RecentDeliveries {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY, Self::DEFAULT_WINDOW)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    #[test]
    fn provider_delivery_headers_identify_a_delivery_whatever_the_body() {
        let gh = [("x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")];
        let a = DeliveryId::of(Provider::GitHub, headers(&gh), b"{\"a\":1}");
        let b = DeliveryId::of(Provider::GitHub, headers(&gh), b"{\"b\":2}");
        assert_eq!(a, b);
        let gl = [(
            "x-gitlab-event-uuid",
            "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        )];
        let c = DeliveryId::of(Provider::GitLab, headers(&gl), b"{\"a\":1}");
        assert_ne!(a, c, "providers do not share ids");
        let other = [("x-github-delivery", "another")];
        assert_ne!(
            a,
            DeliveryId::of(Provider::GitHub, headers(&other), b"{\"a\":1}")
        );
    }

    #[test]
    fn github_and_gitlab_without_a_delivery_header_are_identified_by_the_body() {
        let none: [(&str, &str); 0] = [];
        let body = br#"{"after":"0123456789abcdef0123456789abcdef01234567"}"#;
        let a = DeliveryId::of(Provider::GitHub, headers(&none), body);
        assert!(a.is_some());
        assert_eq!(a, DeliveryId::of(Provider::GitHub, headers(&none), body));
        assert_ne!(a, DeliveryId::of(Provider::GitHub, headers(&none), b"{}"));
        let empty = [("x-github-delivery", "  ")];
        assert_eq!(a, DeliveryId::of(Provider::GitHub, headers(&empty), body));
    }

    #[test]
    fn a_generic_delivery_has_an_id_only_with_x_delivery_id() {
        // Every push to a branch sends the same generic body: it identifies nothing.
        let none: [(&str, &str); 0] = [];
        let body = br#"{"url":"https://git.example/cfg.git","branch":"main"}"#;
        assert_eq!(
            DeliveryId::of(Provider::Generic, headers(&none), body),
            None
        );
        let gh = [("x-github-delivery", "x")];
        assert_eq!(DeliveryId::of(Provider::Generic, headers(&gh), body), None);
        let with = [("x-delivery-id", "push-42")];
        let a = DeliveryId::of(Provider::Generic, headers(&with), body);
        assert!(a.is_some());
        assert_eq!(a, DeliveryId::of(Provider::Generic, headers(&with), b"{}"));
    }

    fn id(n: u32) -> DeliveryId {
        let s = n.to_string();
        let pairs = [("x-github-delivery", s.as_str())];
        DeliveryId::of(Provider::GitHub, headers(&pairs), b"").unwrap()
    }

    #[test]
    fn a_redelivery_within_the_window_is_a_duplicate_and_after_it_is_new() {
        let t0 = Instant::now();
        let window = Duration::from_secs(60);
        let mut d = RecentDeliveries::new(10, window);
        assert_eq!(d.check(id(1), t0), Delivery::First);
        assert_eq!(
            d.check(id(1), t0 + Duration::from_secs(59)),
            Delivery::Duplicate
        );
        assert_eq!(
            d.check(id(2), t0 + Duration::from_secs(30)),
            Delivery::First
        );
        assert_eq!(d.check(id(1), t0 + window), Delivery::First);
        // id 2 (recorded at 30 s) is still within its window at 60 s.
        assert_eq!(d.check(id(2), t0 + window), Delivery::Duplicate);
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn the_set_is_bounded_and_forgets_the_oldest_first() {
        let t0 = Instant::now();
        let mut d = RecentDeliveries::new(3, Duration::from_secs(3600));
        for n in 0..3 {
            assert_eq!(d.check(id(n), t0), Delivery::First);
        }
        assert_eq!(d.check(id(3), t0), Delivery::First);
        assert_eq!(d.len(), 3);
        assert_eq!(
            d.check(id(0), t0),
            Delivery::First,
            "the oldest was forgotten"
        );
        assert_eq!(d.check(id(3), t0), Delivery::Duplicate);
        // Many distinct deliveries never grow it past its capacity.
        for n in 10..10_000 {
            d.check(id(n), t0);
        }
        assert_eq!(d.len(), 3);
        assert_eq!(d.order.len(), 3);
    }

    #[test]
    fn an_id_recorded_again_after_expiry_starts_a_new_window() {
        let t0 = Instant::now();
        let w = Duration::from_secs(10);
        let mut d = RecentDeliveries::new(2, w);
        assert_eq!(d.check(id(1), t0), Delivery::First);
        assert_eq!(d.check(id(1), t0 + w), Delivery::First);
        assert_eq!(
            d.check(id(1), t0 + w + Duration::from_secs(5)),
            Delivery::Duplicate
        );
    }
}
