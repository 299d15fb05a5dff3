//! Findings about a config repository: what is wrong, where (file:line:col) and under which
//! stable rule id, so CI output, editors and `-o json` consumers can all key on it.

use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding. Messages never quote configuration values (a value may be a credential);
/// they name keys, JSON pointers and schema facts only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    /// Path relative to the repository root, or the user layer's display name.
    pub file: String,
    /// 1-based; 0 when the finding is about the file (or a directory) as a whole.
    pub line: u32,
    /// 1-based; 0 together with `line`.
    pub column: u32,
    /// Stable id from [`crate::rules`].
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(rule: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line: 0,
            column: 0,
            rule,
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub fn warning(
        rule: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(rule, file, message)
        }
    }

    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `file:line:col: error[rule-id]: message` (compiler style, so editors can jump to it);
/// `file: error[rule-id]: message` when there is no position.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file)?;
        } else {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        }
        write!(f, "{}[{}]: {}", self.severity, self.rule, self.message)
    }
}

/// A set of findings, kept sorted by position and free of duplicates (validating every
/// environment combination finds a problem in `base/` once per combination).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    /// Sorts by file, line, column, rule, message and drops duplicates. A finding that is
    /// a warning in one environment and an error in another (`image-unpinned`) is kept once,
    /// as the error.
    pub fn normalize(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.file, a.line, a.column, a.rule, &a.message, a.severity)
                .cmp(&(&b.file, b.line, b.column, b.rule, &b.message, b.severity))
        });
        // Error sorts before Warning, so the first of a run is the one to keep.
        self.0.dedup_by(|later, first| {
            (
                &later.file,
                later.line,
                later.column,
                later.rule,
                &later.message,
            ) == (
                &first.file,
                first.line,
                first.column,
                first.rule,
                &first.message,
            )
        });
    }

    pub fn normalized(mut self) -> Self {
        self.normalize();
        self
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| !d.is_error())
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// The JSON form for `-o json`: an array of
    /// `{file, line, column, rule, severity, message}` objects.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("diagnostics serialize")
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Self(v).normalized()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Self(iter.into_iter().collect()).normalized()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// One diagnostic per line, for error messages and logs.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_compiler_style_with_rule_id() {
        let d = Diagnostic::error("yaml-syntax", "base/a.yaml", "bad").at(3, 7);
        assert_eq!(d.to_string(), "base/a.yaml:3:7: error[yaml-syntax]: bad");
    }

    #[test]
    fn display_without_position_names_only_the_file() {
        let d = Diagnostic::warning("undeclared-environment", "environments/qa", "m");
        assert_eq!(
            d.to_string(),
            "environments/qa: warning[undeclared-environment]: m"
        );
    }

    #[test]
    fn normalize_sorts_by_position_and_drops_duplicates() {
        let a = Diagnostic::error("x", "b.yaml", "m").at(2, 1);
        let b = Diagnostic::error("x", "a.yaml", "m").at(9, 1);
        let c = Diagnostic::error("x", "b.yaml", "m").at(1, 4);
        let ds: Diagnostics = vec![a.clone(), b.clone(), a.clone(), c.clone()].into();
        assert_eq!(ds.into_vec(), vec![b, c, a]);
    }

    #[test]
    fn the_same_finding_as_warning_and_error_is_kept_as_the_error() {
        let w = Diagnostic::warning("image-unpinned", "a.yaml", "m").at(1, 1);
        let e = Diagnostic::error("image-unpinned", "a.yaml", "m").at(1, 1);
        let ds: Diagnostics = vec![w, e.clone()].into();
        assert_eq!(ds.into_vec(), vec![e]);
    }

    #[test]
    fn has_errors_ignores_warnings() {
        let mut ds = Diagnostics::new();
        ds.push(Diagnostic::warning("w", "f", "m"));
        assert!(!ds.has_errors());
        ds.push(Diagnostic::error("e", "f", "m"));
        assert!(ds.has_errors());
    }

    #[test]
    fn json_form_has_every_field() {
        let ds: Diagnostics = vec![Diagnostic::error("schema", "f.yaml", "m").at(1, 2)].into();
        assert_eq!(
            ds.to_json(),
            serde_json::json!([{
                "file": "f.yaml", "line": 1, "column": 2, "rule": "schema",
                "severity": "error", "message": "m"
            }])
        );
    }
}
