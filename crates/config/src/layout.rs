//! Where a file of the repository belongs: which layer, the schemas, or nowhere; and which
//! environment, team and project directories exist.

use std::collections::BTreeSet;

use crate::parse::Format;
use crate::provenance::{Layer, LayerKind};

/// The layer directories found in a snapshot.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    pub environments: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    pub projects: BTreeSet<String>,
}

pub(crate) enum Place {
    Layer(Layer),
    Schema,
    /// A fragment directly in `environments/`, `teams/` or `projects/`: in no layer.
    Stray,
    Other,
}

impl Layout {
    /// Classifies `path` and records the layer directory it is in.
    pub(crate) fn classify(&mut self, path: &str) -> Place {
        // Hidden files and directories are not configuration (`.gitkeep` still makes its
        // directory exist).
        if path
            .split('/')
            .any(|c| c.starts_with('.') && c != ".gitkeep")
        {
            return Place::Other;
        }
        let mut parts = path.splitn(3, '/');
        let (top, second, rest) = (parts.next(), parts.next(), parts.next());
        let (kind, dirs) = match top {
            Some("base") if second.is_some() => return Place::Layer(base()),
            Some("schemas") if path.ends_with(".json") => return Place::Schema,
            Some("environments") => (LayerKind::Environment, &mut self.environments),
            Some("teams") => (LayerKind::Team, &mut self.teams),
            Some("projects") => (LayerKind::Project, &mut self.projects),
            _ => return Place::Other,
        };
        match (second, rest) {
            (Some(name), Some(_)) => {
                dirs.insert(name.to_owned());
                Place::Layer(named(kind, name))
            }
            (Some(file), None) if Format::of(file).is_some() => Place::Stray,
            _ => Place::Other,
        }
    }
}

pub(crate) fn base() -> Layer {
    Layer {
        kind: LayerKind::Base,
        name: None,
    }
}

pub(crate) fn named(kind: LayerKind, name: &str) -> Layer {
    Layer {
        kind,
        name: Some(name.to_owned()),
    }
}

/// The directory of a repository layer (the user layer has none).
pub(crate) fn layer_dir(l: &Layer) -> Option<String> {
    match (&l.kind, &l.name) {
        (LayerKind::Base, _) => Some("base".to_owned()),
        (LayerKind::Environment, Some(n)) => Some(format!("environments/{n}")),
        (LayerKind::Team, Some(n)) => Some(format!("teams/{n}")),
        (LayerKind::Project, Some(n)) => Some(format!("projects/{n}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(path: &str) -> &'static str {
        match Layout::default().classify(path) {
            Place::Layer(_) => "layer",
            Place::Schema => "schema",
            Place::Stray => "stray",
            Place::Other => "other",
        }
    }

    #[test]
    fn paths_are_classified() {
        assert_eq!(place("base/a.yaml"), "layer");
        assert_eq!(place("base/deep/er/a.json"), "layer");
        assert_eq!(place("teams/x/a.yaml"), "layer");
        assert_eq!(place("schemas/policy.json"), "schema");
        assert_eq!(place("schemas/notes.md"), "other");
        assert_eq!(place("teams/a.yaml"), "stray");
        assert_eq!(place("teams/README.md"), "other");
        assert_eq!(place("claude-env.yaml"), "other");
        assert_eq!(place("README.md"), "other");
        assert_eq!(place("base/.hidden.yaml"), "other");
        assert_eq!(place(".github/x.yaml"), "other");
    }

    #[test]
    fn any_file_makes_a_layer_directory_exist() {
        let mut l = Layout::default();
        l.classify("teams/a/.gitkeep");
        l.classify("projects/p/README.md");
        l.classify("environments/.hidden/x.yaml");
        assert_eq!(l.teams.iter().collect::<Vec<_>>(), ["a"]);
        assert_eq!(l.projects.iter().collect::<Vec<_>>(), ["p"]);
        assert!(l.environments.is_empty());
    }
}
