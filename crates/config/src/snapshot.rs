//! One revision of a config repository, held in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The files of one revision of a config repository (paths relative to the repository's
/// config root, `/`-separated), however they were obtained: a directory, a Git tree, a test.
/// Config repositories are small, so holding every file is cheaper than lazy IO and makes
/// everything downstream pure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoSnapshot {
    /// Commit SHA, or `None` for a working directory.
    pub revision: Option<String>,
    files: BTreeMap<String, Arc<[u8]>>,
}

impl RepoSnapshot {
    pub fn new<I, P, B>(revision: Option<String>, files: I) -> Self
    where
        I: IntoIterator<Item = (P, B)>,
        P: Into<String>,
        B: Into<Arc<[u8]>>,
    {
        let files = files
            .into_iter()
            .map(|(p, b)| (p.into(), b.into()))
            .collect();
        Self { revision, files }
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| &b[..])
    }

    /// Every file, in lexical path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(p, b)| (p.as_str(), &b[..]))
    }

    /// Files below `dir` (recursively), in lexical path order.
    pub fn files_under<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a str, &'a [u8])> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.files
            .range(prefix.clone()..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
            .map(|(p, b)| (p.as_str(), &b[..]))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_under_is_recursive_lexical_and_exact_on_the_prefix() {
        let s = RepoSnapshot::new(
            None,
            [
                ("base/b.yaml", b"b".to_vec()),
                ("base/a/z.yaml", b"z".to_vec()),
                ("base2/x.yaml", b"x".to_vec()),
                ("teams/t/a.yaml", b"t".to_vec()),
            ],
        );
        let got: Vec<_> = s.files_under("base").map(|(p, _)| p).collect();
        assert_eq!(got, ["base/a/z.yaml", "base/b.yaml"]);
    }
}
