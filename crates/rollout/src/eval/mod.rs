//! Pure evaluation of check responses, so the IO side only fetches: Prometheus query
//! results against thresholds, HTTP status and body, MCP JSON-RPC handshakes.

pub mod http;
pub mod mcp;
pub mod prometheus;

use crate::observe::Outcome;

/// What one measurement says.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub outcome: Outcome,
    pub message: String,
}

impl Evaluation {
    pub fn pass(message: impl Into<String>) -> Evaluation {
        Evaluation {
            outcome: Outcome::Pass,
            message: message.into(),
        }
    }
    pub fn fail(message: impl Into<String>) -> Evaluation {
        Evaluation {
            outcome: Outcome::Fail,
            message: message.into(),
        }
    }
    pub fn inconclusive(message: impl Into<String>) -> Evaluation {
        Evaluation {
            outcome: Outcome::Inconclusive,
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Evaluation {
        Evaluation {
            outcome: Outcome::Error,
            message: message.into(),
        }
    }
}
