//! HTTP GET checks: the status must equal the expected one (default 200) and, when set,
//! the body must match a regular expression. Messages never quote the body: a check may be
//! aimed anywhere, and status and Events must not become a way to read what it answered.

use regex::Regex;

use super::Evaluation;

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
        let size = body.len();
        if status != self.status {
            return Evaluation::fail(format!(
                "status {status}, expected {} ({size} bytes)",
                self.status
            ));
        }
        match &self.body {
            Some(re) if !re.is_match(body) => Evaluation::fail(format!(
                "status {status}: the body ({size} bytes) does not match /{re}/"
            )),
            _ => Evaluation::pass(format!("status {status} ({size} bytes)")),
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
        assert!(bad.message.contains("does not match"), "{}", bad.message);
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
    fn messages_give_status_and_size_never_the_body() {
        let secret = r#"{"AccessKeyId": "ASIAXXXX", "Token": "t0ps3cret"}"#;
        let e = Expectation::new(None, Some("healthy")).unwrap();
        for status in [200, 500] {
            let m = e.evaluate(status, secret).message;
            assert!(!m.contains("ASIA") && !m.contains("t0ps3cret"), "{m}");
            assert!(m.contains(&format!("{} bytes", secret.len())), "{m}");
        }
    }
}
