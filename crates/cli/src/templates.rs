//! Templates for `claude-env init`: the files of a new config repository, and layer
//! templates for new teams and projects — built into the binary, or a directory under the
//! repository's own `templates/` (which wins over a built-in one of the same name).
//!
//! A template's files are text with `{{key}}` placeholders; [`fill`] replaces the keys it is
//! given and leaves anything else (like a CI file's `${{ github.sha }}`) alone.

use std::path::{Path, PathBuf};

/// `(path below crates/cli/templates/, content)` for every embedded file.
macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../templates/", $path)))),*]
    };
}

/// The built-in layer templates: name, what it is for.
pub(crate) const BUILT_IN: &[(&str, &str)] = &[
    (
        "minimal",
        "an empty layer to fill in: a permissions list and metadata",
    ),
    (
        "frontend",
        "JavaScript/TypeScript web apps: npm, linters, Playwright browser automation, an a11y review command",
    ),
    (
        "backend",
        "Go and Rust services: build and test tools, read-only Postgres MCP server, a migration command",
    ),
    (
        "data",
        "SQL, dbt and notebooks: read-only warehouse MCP server, writes ask first, a data reviewer",
    ),
    (
        "security-review",
        "code handling secrets, money or personal data: no network, shell and edits ask, a security reviewer",
    ),
];

const LAYER_FILES: &[(&str, &str)] = embed![
    "layers/minimal/settings.yaml",
    "layers/frontend/settings.yaml",
    "layers/frontend/mcp.yaml",
    "layers/frontend/commands.yaml",
    "layers/backend/settings.yaml",
    "layers/backend/mcp.yaml",
    "layers/backend/commands.yaml",
    "layers/data/settings.yaml",
    "layers/data/mcp.yaml",
    "layers/data/personas.yaml",
    "layers/security-review/settings.yaml",
    "layers/security-review/commands.yaml",
    "layers/security-review/personas.yaml",
];

/// The files of a new repository (below `repo/`). `environments/*.yaml` are per-environment
/// layer files, chosen by [`environment_file`].
const REPO_FILES: &[(&str, &str)] = embed![
    "repo/claude-env.yaml",
    "repo/README.md",
    "repo/.gitignore",
    "repo/.pre-commit-config.yaml",
    "repo/.github/workflows/claude-env.yaml",
    "repo/.gitlab-ci.yml",
    "repo/base/settings.yaml",
    "repo/base/mcp.yaml",
    "repo/base/memory.yaml",
    "repo/base/commands.yaml",
    "repo/base/metadata.yaml",
    "repo/templates/README.md",
    "repo/cluster/claude-environment.yaml",
    "repo/environments/development.yaml",
    "repo/environments/staging.yaml",
    "repo/environments/production.yaml",
    "repo/environments/other.yaml",
];

/// How a template of the repository is described (it has no description of its own).
const OWN_TEMPLATE: &str = "the repository's own template";

/// Where the repository's own templates live.
pub(crate) const REPO_TEMPLATES_DIR: &str = "templates";

/// Where a template comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    BuiltIn,
    /// A directory of the repository (relative to its root).
    Repository(PathBuf),
}

/// A layer template: its files, relative to the layer directory.
#[derive(Clone, Debug)]
pub(crate) struct Template {
    pub files: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("no template `{name}` (known: {})", known.join(", "))]
    Unknown { name: String, known: Vec<String> },
    #[error("cannot read template file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("template file {} is not UTF-8 text", .0.display())]
    NotText(PathBuf),
}

/// Files of the repository skeleton: path → content (unfilled).
pub(crate) fn repo_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    REPO_FILES
        .iter()
        .filter_map(|(p, c)| Some((p.strip_prefix("repo/")?, *c)))
        .filter(|(p, _)| !p.starts_with("environments/"))
}

/// The layer file of a new environment: a specific one for the usual names, else a generic
/// one.
pub(crate) fn environment_file(name: &str) -> &'static str {
    let wanted = format!("repo/environments/{name}.yaml");
    let other = "repo/environments/other.yaml";
    REPO_FILES
        .iter()
        .find(|(p, _)| *p == wanted)
        .or_else(|| REPO_FILES.iter().find(|(p, _)| *p == other))
        .map(|(_, c)| *c)
        .unwrap_or_default()
}

fn built_in(name: &str) -> Option<Template> {
    BUILT_IN.iter().find(|(n, _)| *n == name)?;
    let prefix = format!("layers/{name}/");
    let files = LAYER_FILES
        .iter()
        .filter_map(|(p, c)| Some((p.strip_prefix(&prefix)?.to_string(), c.to_string())))
        .collect();
    Some(Template { files })
}

/// Names of the repository's templates (directories under `templates/`, not hidden).
fn repo_template_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join(REPO_TEMPLATES_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn from_repo(root: &Path, name: &str) -> Result<Template, TemplateError> {
    let rel = Path::new(REPO_TEMPLATES_DIR).join(name);
    let mut files = Vec::new();
    read_tree(&root.join(&rel), "", &mut files)?;
    files.sort();
    Ok(Template { files })
}

fn read_tree(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) -> Result<(), TemplateError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TemplateError::Read { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let entry = entry.map_err(read_err(dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let path = entry.path();
        if entry.file_type().map_err(read_err(&path))?.is_dir() {
            read_tree(&path, &child, out)?;
        } else {
            let bytes = std::fs::read(&path).map_err(read_err(&path))?;
            let text = String::from_utf8(bytes).map_err(|_| TemplateError::NotText(path))?;
            out.push((child, text));
        }
    }
    Ok(())
}

/// Every template a repository can use: its own first, then the built-in ones it does not
/// shadow. `root`: the repository (`None`: built-in only).
pub(crate) fn list(root: Option<&Path>) -> Vec<(String, Origin, String)> {
    let own = root.map(repo_template_names).unwrap_or_default();
    let mut out: Vec<(String, Origin, String)> = own
        .iter()
        .map(|n| {
            let rel = Path::new(REPO_TEMPLATES_DIR).join(n);
            (n.clone(), Origin::Repository(rel), OWN_TEMPLATE.to_string())
        })
        .collect();
    for (name, description) in BUILT_IN {
        if !own.iter().any(|o| o == name) {
            out.push((name.to_string(), Origin::BuiltIn, description.to_string()));
        }
    }
    out
}

/// The template `name`: the repository's own if it has one, else a built-in one.
pub(crate) fn find(root: Option<&Path>, name: &str) -> Result<Template, TemplateError> {
    if let Some(root) = root
        && repo_template_names(root).iter().any(|n| n == name)
    {
        return from_repo(root, name);
    }
    built_in(name).ok_or_else(|| TemplateError::Unknown {
        name: name.to_string(),
        known: list(root).into_iter().map(|(n, _, _)| n).collect(),
    })
}

/// `text` with every `{{key}}` of `vars` replaced by its value.
pub(crate) fn fill(text: &str, vars: &[(&str, &str)]) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_has_files_and_a_description() {
        for (name, _) in BUILT_IN {
            let t = find(None, name).expect("built in");
            assert!(!t.files.is_empty(), "{name}");
            assert!(t.files.iter().all(|(p, _)| p.ends_with(".yaml")), "{name}");
        }
        assert!(matches!(
            find(None, "nope"),
            Err(TemplateError::Unknown { known, .. }) if known.len() == BUILT_IN.len()
        ));
    }

    #[test]
    fn placeholders_are_filled_and_other_braces_kept() {
        let got = fill(
            "{{kind}} {{name}}: ${{ github.sha }} {{unknown}}",
            &[("kind", "team"), ("name", "web")],
        );
        assert_eq!(got, "team web: ${{ github.sha }} {{unknown}}");
    }

    #[test]
    fn a_repository_template_shadows_a_built_in_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = dir.path().join("templates/backend/sub");
        std::fs::create_dir_all(&t).expect("mkdir");
        std::fs::write(t.join("x.yaml"), "metadata: {a: '{{name}}'}\n").expect("write");
        std::fs::write(dir.path().join("templates/README.md"), "not a template").expect("write");
        let found = find(Some(dir.path()), "backend").expect("found");
        assert_eq!(
            found.files,
            vec![(
                "sub/x.yaml".to_string(),
                "metadata: {a: '{{name}}'}\n".to_string()
            )]
        );
        let names: Vec<String> = list(Some(dir.path()))
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        assert_eq!(names[0], "backend");
        assert_eq!(names.iter().filter(|n| *n == "backend").count(), 1);
        assert_eq!(names.len(), BUILT_IN.len());
    }

    #[test]
    fn the_skeleton_has_ci_files_and_environments_are_separate() {
        let paths: Vec<&str> = repo_files().map(|(p, _)| p).collect();
        assert!(paths.contains(&".github/workflows/claude-env.yaml"));
        assert!(paths.contains(&".gitlab-ci.yml"));
        assert!(!paths.iter().any(|p| p.starts_with("environments/")));
        assert!(environment_file("production").contains("WebSearch"));
        assert!(environment_file("qa").contains("{{name}}"));
    }
}
