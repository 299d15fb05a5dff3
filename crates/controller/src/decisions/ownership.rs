//! Whose an object is (pure). The controller applies over and deletes only objects that
//! carry its own owner labels for the environment at hand, or that do not exist yet: an
//! object another environment owns, or one the controller did not create (a team's own
//! Service that happens to share a rendered name), is a conflict, reported with its owner,
//! and nothing of it is taken over.

use std::collections::BTreeMap;
use std::fmt;

use claude_env_api::{ObjectKey, labels};
use claude_env_render::naming::label_value;

/// The ClaudeEnvironment an object belongs to, by its owner labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Carries this environment's owner labels.
    This,
    /// Another environment's (`namespace/name` as its labels say).
    Other { namespace: String, name: String },
    /// Not created by claude-env (no `managed-by` label, or no owner labels).
    Unmanaged,
}

/// The owner of an object with `object_labels`, seen from environment `namespace/name`.
pub(crate) fn owner(
    object_labels: Option<&BTreeMap<String, String>>,
    namespace: &str,
    name: &str,
) -> Owner {
    match owner_labels(object_labels) {
        Some(key) if key == owner_key(namespace, name) => Owner::This,
        Some((namespace, name)) => Owner::Other { namespace, name },
        None => Owner::Unmanaged,
    }
}

/// The owner label values of an object claude-env manages (`None`: not ours, or no owner).
pub(crate) fn owner_labels(
    object_labels: Option<&BTreeMap<String, String>>,
) -> Option<(String, String)> {
    let l = object_labels?;
    let get = |k: &str| l.get(k).map(String::as_str);
    if get(labels::MANAGED_BY) != Some(labels::MANAGED_BY_VALUE) {
        return None;
    }
    Some((
        get(labels::OWNER_NAMESPACE)?.to_owned(),
        get(labels::OWNER_NAME)?.to_owned(),
    ))
}

/// The owner label values environment `namespace/name` gives the objects it creates.
pub(crate) fn owner_key(namespace: &str, name: &str) -> (String, String) {
    (label_value(namespace), label_value(name))
}

/// An object the environment would apply or delete that is not its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub(crate) object: ObjectKey,
    pub(crate) owner: Owner,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.owner {
            Owner::Other { namespace, name } => write!(
                f,
                "{} already exists and belongs to ClaudeEnvironment {namespace}/{name}: \
                 nothing of it is taken over (rename this environment, or the other one)",
                self.object
            ),
            _ => write!(
                f,
                "{} already exists and was not created by claude-env: nothing of it is taken \
                 over (rename this environment, or delete or rename that object)",
                self.object
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use claude_env_api::ObjectKind;

    fn l(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn ours(ns: &str, name: &str) -> BTreeMap<String, String> {
        l(&[
            (labels::MANAGED_BY, labels::MANAGED_BY_VALUE),
            (labels::OWNER_NAMESPACE, ns),
            (labels::OWNER_NAME, name),
        ])
    }

    #[test]
    fn owner_labels_decide_whose_an_object_is() {
        assert_eq!(owner(Some(&ours("a", "dev")), "a", "dev"), Owner::This);
        assert_eq!(
            owner(Some(&ours("a", "dev")), "b", "dev"),
            Owner::Other {
                namespace: "a".into(),
                name: "dev".into()
            }
        );
        assert_eq!(owner(None, "a", "dev"), Owner::Unmanaged);
        assert_eq!(
            owner(Some(&l(&[("app", "x")])), "a", "dev"),
            Owner::Unmanaged
        );
        // Owner labels without managed-by were not written by us.
        let forged = l(&[(labels::OWNER_NAMESPACE, "a"), (labels::OWNER_NAME, "dev")]);
        assert_eq!(owner(Some(&forged), "a", "dev"), Owner::Unmanaged);
    }

    #[test]
    fn long_names_compare_as_their_label_values() {
        let long = "x".repeat(80);
        let labels = ours("a", &label_value(&long));
        assert_eq!(owner(Some(&labels), "a", &long), Owner::This);
    }

    #[test]
    fn a_conflict_names_the_object_and_its_owner() {
        let c = Conflict {
            object: ObjectKey::new(ObjectKind::Service, "b", "dev-context7"),
            owner: Owner::Other {
                namespace: "b".into(),
                name: "dev-context7-x".into(),
            },
        };
        assert!(c.to_string().starts_with(
            "Service/b/dev-context7 already exists and belongs to ClaudeEnvironment b/dev-context7-x"
        ));
        let c = Conflict {
            owner: Owner::Unmanaged,
            ..c
        };
        assert!(c.to_string().contains("was not created by claude-env"));
    }
}
