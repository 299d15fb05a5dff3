//! `driftPolicy.ignore`: fields never counted as drift.

use std::str::FromStr;

use crate::ObjectKey;

/// `<Kind>[/<name>]:<json-pointer prefix>`, e.g. `Deployment:/spec/replicas`,
/// `Deployment/ctx-context7:/metadata/annotations`, `*:/metadata/labels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    kind: String,
    name: Option<String>,
    prefix: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IgnoreRuleError {
    #[error(
        "ignore rule {0:?}: expected <Kind>[/<name>]:<json pointer>, e.g. Deployment:/spec/replicas"
    )]
    Shape(String),
    #[error("ignore rule {0:?}: the path must be a JSON pointer starting with '/'")]
    Pointer(String),
}

impl FromStr for IgnoreRule {
    type Err = IgnoreRuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (target, prefix) = s
            .split_once(':')
            .ok_or_else(|| IgnoreRuleError::Shape(s.into()))?;
        if !prefix.starts_with('/') {
            return Err(IgnoreRuleError::Pointer(s.into()));
        }
        let (kind, name) = match target.split_once('/') {
            Some((k, n)) if !n.is_empty() => (k, Some(n.to_string())),
            Some(_) => return Err(IgnoreRuleError::Shape(s.into())),
            None => (target, None),
        };
        if kind.is_empty() {
            return Err(IgnoreRuleError::Shape(s.into()));
        }
        Ok(Self {
            kind: kind.to_string(),
            name,
            prefix: prefix.trim_end_matches('/').to_string(),
        })
    }
}

impl IgnoreRule {
    fn matches(&self, key: &ObjectKey, pointer: &str) -> bool {
        (self.kind == "*" || self.kind == key.kind.as_str())
            && self.name.as_deref().is_none_or(|n| n == key.name)
            && (self.prefix.is_empty()
                || pointer == self.prefix
                || pointer
                    .strip_prefix(&self.prefix)
                    .is_some_and(|rest| rest.starts_with('/')))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoreRules(Vec<IgnoreRule>);

impl IgnoreRules {
    /// Parse every rule; all errors are returned, not just the first.
    pub fn parse<S: AsRef<str>>(rules: &[S]) -> Result<Self, Vec<IgnoreRuleError>> {
        let (ok, errs): (Vec<_>, Vec<_>) = rules
            .iter()
            .map(|r| r.as_ref().parse())
            .partition(Result::is_ok);
        if errs.is_empty() {
            Ok(Self(ok.into_iter().map(Result::unwrap).collect()))
        } else {
            Err(errs.into_iter().map(|e| e.unwrap_err()).collect())
        }
    }

    pub fn matches(&self, key: &ObjectKey, pointer: &str) -> bool {
        self.0.iter().any(|r| r.matches(key, pointer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ObjectKind;

    fn dep(name: &str) -> ObjectKey {
        ObjectKey::new(ObjectKind::Deployment, "ns", name)
    }

    #[test]
    fn kind_rule_matches_the_prefix_on_segment_boundaries() {
        let r = IgnoreRules::parse(&["Deployment:/spec/replicas"]).unwrap();
        assert!(r.matches(&dep("a"), "/spec/replicas"));
        assert!(!r.matches(&dep("a"), "/spec/replicasX"));
        assert!(!r.matches(
            &ObjectKey::new(ObjectKind::Service, "ns", "a"),
            "/spec/replicas"
        ));
    }

    #[test]
    fn named_rule_matches_only_that_object() {
        let r = IgnoreRules::parse(&["Deployment/a:/metadata/annotations"]).unwrap();
        assert!(r.matches(&dep("a"), "/metadata/annotations/x"));
        assert!(!r.matches(&dep("b"), "/metadata/annotations/x"));
    }

    #[test]
    fn wildcard_kind_and_root_prefix() {
        let r = IgnoreRules::parse(&["*:/metadata/labels", "ConfigMap:/"]).unwrap();
        assert!(r.matches(&dep("a"), "/metadata/labels/x"));
        assert!(r.matches(&ObjectKey::new(ObjectKind::ConfigMap, "ns", "c"), "/data/x"));
    }

    #[test]
    fn every_bad_rule_is_reported() {
        let errs = IgnoreRules::parse(&["nocolon", "Deployment:spec", ":/x", "Deployment/:/x"])
            .unwrap_err();
        assert_eq!(errs.len(), 4);
        assert!(errs[1].to_string().contains("JSON pointer"));
    }
}
