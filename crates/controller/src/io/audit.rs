//! The audit log: one JSON object per line for every state change of every environment,
//! with stable fields log pipelines can keep for years:
//!
//! `{"audit":"claude-env","time":…,"namespace":…,"name":…,"environment":…,"revision":…,
//!   "action":…,"actor":…,"result":…,"reason":…,"message":…}`
//!
//! Written by its own writer (`--audit-log`: `stdout`, the default, a file appended to, or
//! `off`), never through the tracing subscriber, so the format is the same whatever
//! `--log-format` says. Each record is one `write` of one whole line: lines from concurrent
//! reconciles never interleave.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use claude_env_api::EventKind;
use serde::Serialize;

use crate::decisions::changes::Change;
use crate::lock::LockExt;

/// The value of the `audit` field: tells audit lines apart from the controller's other logs
/// on the same stream.
pub(crate) const MARKER: &str = "claude-env";

/// Where audit lines go (`--audit-log`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    Stdout,
    File(PathBuf),
    Off,
}

impl std::str::FromStr for Destination {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "" => Err("expected stdout, off or a file path".into()),
            "stdout" | "-" => Ok(Destination::Stdout),
            "off" | "none" => Ok(Destination::Off),
            path => Ok(Destination::File(PathBuf::from(path))),
        }
    }
}

/// One audit record.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    pub(crate) audit: &'static str,
    /// RFC 3339, UTC.
    pub(crate) time: String,
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
    /// `spec.environment`.
    pub(crate) environment: &'a str,
    pub(crate) revision: &'a str,
    pub(crate) action: &'static str,
    pub(crate) actor: &'a str,
    pub(crate) result: &'static str,
    pub(crate) reason: &'a str,
    pub(crate) message: &'a str,
}

/// The ClaudeEnvironment a record is about.
pub(crate) struct Subject<'a> {
    pub(crate) namespace: &'a str,
    pub(crate) name: &'a str,
    pub(crate) environment: &'a str,
}

impl<'a> Record<'a> {
    pub(crate) fn of(subject: &Subject<'a>, change: &'a Change, time: jiff::Timestamp) -> Self {
        Record {
            audit: MARKER,
            time: time.to_string(),
            namespace: subject.namespace,
            name: subject.name,
            environment: subject.environment,
            revision: &change.revision,
            action: change.kind.name(),
            actor: &change.actor,
            result: result(change.kind),
            reason: &change.reason,
            message: &change.message,
        }
    }
}

/// The state the environment is left in by a change of `kind`.
pub(crate) fn result(kind: EventKind) -> &'static str {
    match kind {
        EventKind::ApprovalRequired => "Paused",
        EventKind::Approved | EventKind::RetryRequested => "Accepted",
        EventKind::RolloutStarted => "Progressing",
        EventKind::RolloutPromoted => "Promoting",
        EventKind::RolloutSucceeded => "Succeeded",
        EventKind::RolledBack => "RolledBack",
        EventKind::RolloutFailed => "Failed",
        EventKind::Stalled => "Stalled",
        EventKind::DriftDetected => "Drifted",
        EventKind::DriftRemediated => "Remediated",
        EventKind::DependencyWaiting => "Waiting",
    }
}

/// The audit writer, shared by every reconcile.
#[derive(Clone)]
pub(crate) struct AuditLog(Option<Arc<Mutex<Box<dyn Write + Send>>>>);

impl AuditLog {
    pub(crate) fn open(destination: &Destination) -> std::io::Result<AuditLog> {
        let writer: Box<dyn Write + Send> = match destination {
            Destination::Off => return Ok(AuditLog(None)),
            Destination::Stdout => Box::new(std::io::stdout()),
            Destination::File(path) => Box::new(append(path)?),
        };
        Ok(AuditLog(Some(Arc::new(Mutex::new(writer)))))
    }

    /// Write one record as one line. A failed write is logged, never fatal: the change
    /// itself has happened.
    pub(crate) fn write(&self, record: &Record<'_>) {
        let Some(w) = &self.0 else {
            return;
        };
        let mut line = serde_json::to_vec(record).expect("audit records serialize");
        line.push(b'\n');
        let mut w = w.locked();
        if let Err(e) = w.write_all(&line).and_then(|()| w.flush()) {
            tracing::error!(error = %e, "writing the audit log failed");
        }
    }
}

fn append(path: &PathBuf) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn destinations_parse() {
        assert_eq!("stdout".parse(), Ok(Destination::Stdout));
        assert_eq!("off".parse(), Ok(Destination::Off));
        assert_eq!(
            "/var/log/audit.jsonl".parse(),
            Ok(Destination::File("/var/log/audit.jsonl".into()))
        );
        assert!("".parse::<Destination>().is_err());
    }

    #[test]
    fn a_record_is_one_line_with_the_stable_fields_in_order() {
        let change = Change {
            kind: EventKind::RolledBack,
            revision: "0123456789abcdef".into(),
            reason: "RollbackRequested".into(),
            message: "rolled back on request".into(),
            actor: "alice@example.com".into(),
            occurrence: String::new(),
        };
        let subject = Subject {
            namespace: "team-be",
            name: "be-prod",
            environment: "production",
        };
        let time: jiff::Timestamp = "2026-11-21T10:00:00Z".parse().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::open(&Destination::File(path.clone())).unwrap();
        log.write(&Record::of(&subject, &change, time));
        log.write(&Record::of(&subject, &change, time));
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[0],
            r#"{"audit":"claude-env","time":"2026-11-21T10:00:00Z","namespace":"team-be","name":"be-prod","environment":"production","revision":"0123456789abcdef","action":"RolledBack","actor":"alice@example.com","result":"RolledBack","reason":"RollbackRequested","message":"rolled back on request"}"#
        );
    }
}
