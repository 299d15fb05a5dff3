//! Durations as users write them in specs (`30s`, `1m`, `1h30m`), like Flux and Argo.

use std::fmt;
use std::str::FromStr;

/// A parsed spec duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub std::time::Duration);

#[derive(Debug, thiserror::Error)]
#[error("invalid duration {input:?}: {source}")]
pub struct DurationError {
    input: String,
    source: humantime::DurationError,
}

/// The pattern the CRD schema enforces, so the API server rejects what we cannot parse.
pub const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$";

impl FromStr for Duration {
    type Err = DurationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        humantime::parse_duration(s)
            .map(Duration)
            .map_err(|source| DurationError {
                input: s.to_string(),
                source,
            })
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", humantime::format_duration(self.0))
    }
}

/// Parse an optional spec duration, falling back to `default`.
pub fn or_default(
    value: Option<&str>,
    default: std::time::Duration,
) -> Result<std::time::Duration, DurationError> {
    match value {
        Some(v) => v.parse::<Duration>().map(|d| d.0),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as D;

    #[test]
    fn parses_the_forms_users_write() {
        assert_eq!("30s".parse::<Duration>().unwrap().0, D::from_secs(30));
        assert_eq!("1m".parse::<Duration>().unwrap().0, D::from_secs(60));
        assert_eq!("1h30m".parse::<Duration>().unwrap().0, D::from_secs(5400));
        assert_eq!("250ms".parse::<Duration>().unwrap().0, D::from_millis(250));
    }

    #[test]
    fn rejects_garbage_with_the_input_in_the_message() {
        let err = "soon".parse::<Duration>().unwrap_err();
        assert!(err.to_string().contains("\"soon\""));
    }

    #[test]
    fn default_applies_only_when_absent() {
        assert_eq!(or_default(None, D::from_secs(5)).unwrap(), D::from_secs(5));
        assert_eq!(
            or_default(Some("2s"), D::from_secs(5)).unwrap(),
            D::from_secs(2)
        );
    }
}
