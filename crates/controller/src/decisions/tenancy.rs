//! Where an environment may act (pure). A ClaudeEnvironment is its namespace's tenant: its
//! objects go into its own namespace, and it depends on environments of its own namespace,
//! unless the operator allows more (`--allow-target-namespace SOURCE=TARGET[,TARGET...]`,
//! `*` for any). The same rule is enforced at admission by the `claude-env-tenancy`
//! ValidatingAdmissionPolicy; this is the controller's own check, for clusters without it.

use std::collections::{BTreeMap, BTreeSet};

/// The operator's allowances: source namespace → namespaces its environments may target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tenancy {
    allowed: BTreeMap<String, BTreeSet<String>>,
}

/// Any namespace.
const ANY: &str = "*";

impl Tenancy {
    /// From `SOURCE=TARGET[,TARGET...]` pairs (already split at `=`).
    pub(crate) fn new(pairs: &[(String, String)]) -> Tenancy {
        let mut allowed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (source, targets) in pairs {
            allowed.entry(source.clone()).or_default().extend(
                targets
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
            );
        }
        Tenancy { allowed }
    }

    /// Whether an environment in `source` may act in `target`.
    pub(crate) fn allows(&self, source: &str, target: &str) -> bool {
        source == target
            || self
                .allowed
                .get(source)
                .is_some_and(|t| t.contains(target) || t.contains(ANY))
    }

    /// `Err(message)` naming the first namespace `source` may not act in: `what` says
    /// which field asked for it (`spec.targetNamespace`, `spec.dependsOn[0].namespace`).
    pub(crate) fn check<'a>(
        &self,
        source: &str,
        wanted: impl IntoIterator<Item = (String, &'a str)>,
    ) -> Result<(), String> {
        for (what, target) in wanted {
            if !self.allows(source, target) {
                return Err(format!(
                    "{what} {target:?} is not allowed for ClaudeEnvironments in namespace \
                     {source:?}: their objects and dependencies stay in their own namespace \
                     unless the operator allows more (--allow-target-namespace {source}={target})"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Tenancy {
        Tenancy::new(
            &pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn the_own_namespace_is_always_allowed_and_nothing_else_by_default() {
        let none = Tenancy::default();
        assert!(none.allows("team-a", "team-a"));
        assert!(!none.allows("team-a", "team-b"));
        assert!(!none.allows("team-a", "kube-system"));
    }

    #[test]
    fn the_operator_allows_pairs_or_any() {
        let t = t(&[
            ("platform", "team-a, team-b"),
            ("ops", "*"),
            ("platform", "team-c"),
        ]);
        assert!(t.allows("platform", "team-a"));
        assert!(t.allows("platform", "team-c"));
        assert!(!t.allows("platform", "kube-system"));
        assert!(t.allows("ops", "kube-system"));
        assert!(!t.allows("team-a", "platform"), "allowances are one-way");
    }

    #[test]
    fn a_refusal_names_the_field_the_namespaces_and_the_flag() {
        let err = Tenancy::default()
            .check(
                "team-a",
                [
                    ("spec.targetNamespace".to_string(), "team-a"),
                    ("spec.dependsOn[1].namespace".to_string(), "team-b"),
                ],
            )
            .unwrap_err();
        assert!(err.starts_with("spec.dependsOn[1].namespace \"team-b\" is not allowed"));
        assert!(
            err.contains("--allow-target-namespace team-a=team-b"),
            "{err}"
        );
    }
}
