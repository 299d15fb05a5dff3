//! HTTP GET checks: the status must equal the expected one (default 200) and, when set,
//! the body must match a regular expression.

use regex::Regex;

use super::{Evaluation, excerpt};

/// What a response must look like; built once per check (the regex is compiled once).
#[derive(Clone, Debug)]
pub struct Expectation {
    pub status: u16,
    pub body: Option<Regex>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpectationError {
    #[error("expectedStatus {0} is not an HTTP status")]
    Status(i32),
    #[error("bodyMatches is not a valid regular expression: {0}")]
    Regex(#[from] regex::Error),
}

impl Expectation {
    pub fn new(
        expected_status: Option<i32>,
        body_matches: Option<&str>,
    ) -> Result<Expectation, ExpectationError> {
        let status = expected_status.unwrap_or(200);
        Ok(Expectation {
            status: u16::try_from(status)
                .ok()
                .filter(|s| (100..=599).contains(s))
                .ok_or(ExpectationError::Status(status))?,
            body: body_matches.map(Regex::new).transpose()?,
        })
    }

    pub fn evaluate(&self, status: u16, body: &str) -> Evaluation {
        if status != self.status {
            return Evaluation::fail(format!(
                "status {status}, expected {}: {}",
                self.status,
                excerpt(body, 200)
            ));
        }
        match &self.body {
            Some(re) if !re.is_match(body) => Evaluation::fail(format!(
                "body does not match /{re}/: {}",
                excerpt(body, 200)
            )),
            _ => Evaluation::pass(format!("status {status}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Outcome;

    #[test]
    fn default_expects_200() {
        let e = Expectation::new(None, None).unwrap();
        assert_eq!(e.evaluate(200, "").outcome, Outcome::Pass);
        assert_eq!(e.evaluate(503, "down").outcome, Outcome::Fail);
    }

    #[test]
    fn other_expected_status() {
        let e = Expectation::new(Some(204), None).unwrap();
        assert_eq!(e.evaluate(204, "").outcome, Outcome::Pass);
        assert_eq!(e.evaluate(200, "").outcome, Outcome::Fail);
    }

    #[test]
    fn body_must_match() {
        let e = Expectation::new(None, Some(r#""status":\s*"ok""#)).unwrap();
        assert_eq!(
            e.evaluate(200, r#"{"status": "ok"}"#).outcome,
            Outcome::Pass
        );
        let bad = e.evaluate(200, r#"{"status": "degraded"}"#);
        assert_eq!(bad.outcome, Outcome::Fail);
        assert!(bad.message.contains("degraded"));
    }

    #[test]
    fn right_body_with_wrong_status_fails() {
        let e = Expectation::new(None, Some("ok")).unwrap();
        assert_eq!(e.evaluate(500, "ok").outcome, Outcome::Fail);
    }

    #[test]
    fn invalid_regex_and_status_are_rejected() {
        assert!(matches!(
            Expectation::new(None, Some("(")),
            Err(ExpectationError::Regex(_))
        ));
        assert!(matches!(
            Expectation::new(Some(42), None),
            Err(ExpectationError::Status(42))
        ));
    }

    #[test]
    fn long_bodies_are_cut_in_messages() {
        let e = Expectation::new(None, None).unwrap();
        let m = e.evaluate(500, &"x".repeat(10_000)).message;
        assert!(m.len() < 300, "{}", m.len());
    }
}
