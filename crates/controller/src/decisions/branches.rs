//! Which Git source an environment follows: its URL and branch, the branch defaulting by
//! environment (`--environment-branch`) when the spec names none.

use std::collections::BTreeMap;

/// One Git source as one tenant sees it: environments following the same URL and branch
/// with the same credentials share its fetches. The credential identity is part of the key:
/// a revision fetched with one namespace's Secret is never served to an environment that
/// did not prove access itself (anonymously, or with its own Secret).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct SourceKey {
    pub(crate) url: String,
    pub(crate) branch: String,
    /// `anonymous`, or `<namespace>/<secret name>` (`decisions::plan::credential_identity`).
    pub(crate) identity: String,
}

/// Which branch each environment follows when its spec does not say.
#[derive(Clone, Debug)]
pub(crate) struct BranchMap {
    by_environment: BTreeMap<String, String>,
    default: String,
}

impl BranchMap {
    pub(crate) fn new(pairs: &[(String, String)], default: &str) -> Self {
        let mut by_environment =
            BTreeMap::from([("development".to_string(), "develop".to_string())]);
        by_environment.extend(pairs.iter().cloned());
        Self {
            by_environment,
            default: default.to_string(),
        }
    }

    pub(crate) fn branch_for(&self, environment: &str) -> &str {
        self.by_environment
            .get(environment)
            .unwrap_or(&self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_follows_develop_and_the_rest_main() {
        let m = BranchMap::new(&[], "main");
        assert_eq!(m.branch_for("development"), "develop");
        assert_eq!(m.branch_for("staging"), "main");
        assert_eq!(m.branch_for("production"), "main");
    }

    #[test]
    fn flags_change_the_mapping() {
        let m = BranchMap::new(&[("staging".into(), "release".into())], "trunk");
        assert_eq!(m.branch_for("staging"), "release");
        assert_eq!(m.branch_for("production"), "trunk");
    }
}
