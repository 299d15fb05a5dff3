//! Delivery retries: which failures are worth another attempt, and when. A receiver that is
//! down gets the message late rather than never; one that refuses it (a bad token, a
//! malformed URL) is not hammered.

use std::time::Duration;

/// Attempts per message, the first included.
pub const MAX_ATTEMPTS: u32 = 6;

/// The wait before attempt `attempt + 1` after `attempt` (1-based) failed: 1s, 2s, 4s, 8s,
/// 16s; `None` once [`MAX_ATTEMPTS`] were made.
pub fn delay_after(attempt: u32) -> Option<Duration> {
    (1..MAX_ATTEMPTS)
        .contains(&attempt)
        .then(|| Duration::from_secs(1u64 << (attempt - 1).min(10)))
}

/// Whether an HTTP status is worth another attempt: server errors, throttling and request
/// timeouts; not other client errors (the request itself is wrong).
pub fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops() {
        let delays: Vec<u64> = (1..=MAX_ATTEMPTS)
            .map_while(delay_after)
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16]);
        assert_eq!(delay_after(MAX_ATTEMPTS), None);
        assert_eq!(delay_after(0), None);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [500, 502, 503, 504, 429, 408] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [400, 401, 403, 404, 410, 422] {
            assert!(!retryable_status(s), "{s}");
        }
    }
}
