//! What one change is: its class, severity, place, cause and meaning; and the sorted list of
//! them.

use std::fmt;

use claude_env_config::{Provenance, pointer};
use serde::{Deserialize, Serialize};

/// The class of a change: the same four categories drift uses, so a change and the drift
/// it would cause speak one vocabulary. `Security` widens what the agent may do (or whom it
/// talks to), `Availability` changes whether something runs or serves, `Configuration` is
/// any other change in behaviour, `Cosmetic` changes nothing Claude Code acts on. The order
/// is riskiest first. How much a change matters within its class is a [`Severity`],
/// `Critical` first.
pub use claude_env_api::{DriftCategory as Class, DriftSeverity as Severity};

/// What happened to the setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Added,
    Removed,
    Changed,
    /// The same elements in another order.
    Reordered,
}

/// Where the value that caused a change was written: the head's value, or the base's for
/// a removal. The same shape as `render --explain -o json`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    /// `base`, `environment/production`, `team/backend`, `project/x` or `user`.
    pub layer: String,
    /// Relative to the repository root (the user layer: its own name).
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
}

impl From<&Provenance> for Source {
    fn from(p: &Provenance) -> Self {
        Source {
            layer: p.layer.to_string(),
            file: p.file.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

impl fmt::Display for Source {
    /// `teams/backend/settings.yaml:12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One change between two documents.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Change {
    pub class: Class,
    pub severity: Severity,
    pub kind: Kind,
    /// The setting, as people read it: `settings.permissions.allow`,
    /// `mcpServers.context7.args`, `Deployment/dev-context7:spec.replicas`.
    pub path: String,
    /// The setting as an RFC 6901 pointer into the document (into the object, for a
    /// rendered object).
    pub pointer: String,
    /// One line: "allows any Bash command", "removes deny rule `Bash(rm:*)`".
    pub explanation: String,
    /// Where the change was written; `None` when the document has no record of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

impl Change {
    /// A change of the document setting at `pointer`.
    pub(crate) fn new(
        class: Class,
        severity: Severity,
        kind: Kind,
        pointer: &str,
        explanation: impl Into<String>,
    ) -> Self {
        Change {
            class,
            severity,
            kind,
            path: dotted(pointer),
            pointer: pointer.to_owned(),
            explanation: explanation.into(),
            source: None,
        }
    }

    pub(crate) fn at(mut self, source: Option<Source>) -> Self {
        self.source = source;
        self
    }

    /// Riskiest first: class, then severity; then by place, so the order is stable.
    fn rank(&self) -> impl Ord + '_ {
        (
            self.class,
            self.severity,
            &self.path,
            &self.explanation,
            self.kind,
        )
    }
}

/// `/settings/permissions/allow` → `settings.permissions.allow`; array indices as `[3]`.
pub(crate) fn dotted(ptr: &str) -> String {
    let mut out = String::new();
    for token in pointer::tokens(ptr) {
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    out
}

/// Every change between two documents, riskiest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub changes: Vec<Change>,
}

impl Report {
    /// Sorts riskiest first (class, then severity) and drops exact duplicates.
    pub fn new(mut changes: Vec<Change>) -> Self {
        changes.sort_by(|a, b| a.rank().cmp(&b.rank()));
        changes.dedup();
        Report { changes }
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The riskiest change.
    pub fn highest(&self) -> Option<&Change> {
        self.changes.first()
    }

    /// The changes of one class, riskiest first.
    pub fn of_class(&self, class: Class) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.class == class)
    }

    /// Whether any change widens what the agent may do.
    pub fn has_security(&self) -> bool {
        self.of_class(Class::Security).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_read_like_explain() {
        assert_eq!(
            dotted("/settings/permissions/allow"),
            "settings.permissions.allow"
        );
        assert_eq!(
            dotted("/settings/hooks/PreToolUse/0/hooks/1/command"),
            "settings.hooks.PreToolUse[0].hooks[1].command"
        );
        assert_eq!(dotted("/mcpServers/a~1b"), "mcpServers.a/b");
        assert_eq!(dotted(""), "");
    }

    #[test]
    fn reports_sort_riskiest_first_and_drop_duplicates() {
        let c =
            |class, severity, path: &str| Change::new(class, severity, Kind::Changed, path, "x");
        let r = Report::new(vec![
            c(Class::Cosmetic, Severity::Low, "/a"),
            c(Class::Security, Severity::Medium, "/b"),
            c(Class::Security, Severity::Critical, "/c"),
            c(Class::Availability, Severity::Critical, "/d"),
            c(Class::Security, Severity::Critical, "/c"),
        ]);
        let order: Vec<_> = r.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(order, ["c", "b", "d", "a"]);
        assert!(r.has_security());
        assert_eq!(r.highest().map(|c| c.path.as_str()), Some("c"));
    }

    #[test]
    fn a_change_serializes_to_stable_json() {
        let ch = Change::new(
            Class::Security,
            Severity::High,
            Kind::Added,
            "/settings/permissions/allow",
            "allows any Bash command",
        )
        .at(Some(Source {
            layer: "team/backend".into(),
            file: "teams/backend/settings.yaml".into(),
            line: 12,
            column: 7,
        }));
        assert_eq!(
            serde_json::to_value(&ch).unwrap(),
            serde_json::json!({
                "class": "Security",
                "severity": "High",
                "kind": "added",
                "path": "settings.permissions.allow",
                "pointer": "/settings/permissions/allow",
                "explanation": "allows any Bash command",
                "source": {"layer": "team/backend", "file": "teams/backend/settings.yaml", "line": 12, "column": 7}
            })
        );
    }
}
