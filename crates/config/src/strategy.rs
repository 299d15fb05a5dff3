//! Array merge strategies and the dotted path patterns (`mcpServers.*.args`) that select them.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// How an array of a higher layer combines with the one below it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// The default: the higher array replaces the lower one.
    Replace,
    /// Lower elements, then higher ones not already present (deep equality); order kept.
    Union,
    /// Lower elements, then all higher ones.
    Append,
    /// Elements are mappings identified by this field; equal keys merge recursively, new
    /// keys are appended.
    MergeByKey(String),
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Replace => f.write_str("replace"),
            Strategy::Union => f.write_str("union"),
            Strategy::Append => f.write_str("append"),
            Strategy::MergeByKey(k) => write!(f, "merge-by-key: {k}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PatternSegment {
    Key(String),
    /// `*`: any one mapping key or array element.
    Any,
}

/// A dotted document path with `*` wildcards, e.g. `settings.hooks.*`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathPattern(Vec<PatternSegment>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the path is empty")]
    Empty,
    #[error("the path has an empty segment (two dots, or a leading or trailing dot)")]
    EmptySegment,
}

impl FromStr for PathPattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(PatternError::Empty);
        }
        s.split('.')
            .map(|seg| match seg {
                "" => Err(PatternError::EmptySegment),
                "*" => Ok(PatternSegment::Any),
                k => Ok(PatternSegment::Key(k.to_owned())),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(PathPattern)
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match seg {
                PatternSegment::Key(k) => f.write_str(k)?,
                PatternSegment::Any => f.write_str("*")?,
            }
        }
        Ok(())
    }
}

/// One step of a concrete document path while merging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Key(Arc<str>),
    /// An element of a merge-by-key array (only those are merged element-wise).
    Item,
}

impl PathPattern {
    pub fn segments(&self) -> &[PatternSegment] {
        &self.0
    }

    fn matches(&self, path: &[Step]) -> bool {
        self.0.len() == path.len()
            && self.0.iter().zip(path).all(|(p, s)| match (p, s) {
                (PatternSegment::Any, _) => true,
                (PatternSegment::Key(k), Step::Key(s)) => k == &**s,
                (PatternSegment::Key(_), Step::Item) => false,
            })
    }

    /// Literal segments, leftmost first, as a sortable key: the more literal (and the
    /// earlier the literal), the more specific.
    fn specificity(&self) -> Vec<bool> {
        self.0
            .iter()
            .map(|s| matches!(s, PatternSegment::Key(_)))
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeRule {
    pub path: PathPattern,
    pub strategy: Strategy,
}

/// The strategy table of a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Strategies {
    rules: Vec<MergeRule>,
}

impl Strategies {
    pub fn new(rules: Vec<MergeRule>) -> Self {
        Self { rules }
    }

    pub fn rules(&self) -> &[MergeRule] {
        &self.rules
    }

    /// The strategy for the array at `path`: the most specific matching rule, where a
    /// literal segment beats `*` at the first position they differ; `Replace` if none.
    pub(crate) fn lookup(&self, path: &[Step]) -> &Strategy {
        self.rules
            .iter()
            .filter(|r| r.path.matches(path))
            .max_by_key(|r| r.path.specificity())
            .map_or(&Strategy::Replace, |r| &r.strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<Step> {
        s.split('.')
            .map(|k| {
                if k == "[]" {
                    Step::Item
                } else {
                    Step::Key(k.into())
                }
            })
            .collect()
    }

    fn table(rules: &[(&str, Strategy)]) -> Strategies {
        Strategies::new(
            rules
                .iter()
                .map(|(p, s)| MergeRule {
                    path: p.parse().unwrap(),
                    strategy: s.clone(),
                })
                .collect(),
        )
    }

    #[test]
    fn no_rule_means_replace() {
        assert_eq!(table(&[]).lookup(&path("a.b")), &Strategy::Replace);
    }

    #[test]
    fn literal_path_matches_exactly_and_only_at_full_length() {
        let t = table(&[("settings.permissions.allow", Strategy::Union)]);
        assert_eq!(
            t.lookup(&path("settings.permissions.allow")),
            &Strategy::Union
        );
        assert_eq!(t.lookup(&path("settings.permissions")), &Strategy::Replace);
        assert_eq!(
            t.lookup(&path("settings.permissions.allow.x")),
            &Strategy::Replace
        );
    }

    #[test]
    fn wildcard_matches_any_key_and_array_items() {
        let t = table(&[
            ("mcpServers.*.args", Strategy::Append),
            ("h.*.*.hooks", Strategy::Union),
        ]);
        assert_eq!(t.lookup(&path("mcpServers.ctx.args")), &Strategy::Append);
        assert_eq!(t.lookup(&path("h.Pre.[].hooks")), &Strategy::Union);
    }

    #[test]
    fn literal_segment_beats_wildcard() {
        let t = table(&[
            ("mcpServers.*.args", Strategy::Append),
            ("mcpServers.special.args", Strategy::Replace),
            ("*.x.args", Strategy::Union),
        ]);
        assert_eq!(
            t.lookup(&path("mcpServers.special.args")),
            &Strategy::Replace
        );
        assert_eq!(t.lookup(&path("mcpServers.other.args")), &Strategy::Append);
        assert_eq!(t.lookup(&path("y.x.args")), &Strategy::Union);
        // Leftmost literal decides between `mcpServers.*` and `*.x`.
        assert_eq!(t.lookup(&path("mcpServers.x.args")), &Strategy::Append);
    }

    #[test]
    fn pattern_parse_errors() {
        assert_eq!("".parse::<PathPattern>(), Err(PatternError::Empty));
        assert_eq!(
            "a..b".parse::<PathPattern>(),
            Err(PatternError::EmptySegment)
        );
        assert_eq!(".a".parse::<PathPattern>(), Err(PatternError::EmptySegment));
    }

    #[test]
    fn pattern_display_round_trips() {
        let p: PathPattern = "settings.hooks.*".parse().unwrap();
        assert_eq!(p.to_string(), "settings.hooks.*");
    }
}
