//! `claude-env.yaml`: the repository's schema version, declared environments and array merge
//! strategies. Read from the positioned tree so every mistake has a file:line.

use std::str::FromStr;

use crate::diagnostics::Diagnostic;
use crate::rules::REPO_SETTINGS;
use crate::strategy::{MergeRule, PathPattern, Strategies, Strategy};
use crate::tree::{At, Node, Value};

pub const SETTINGS_FILE: &str = "claude-env.yaml";
pub const SCHEMA_VERSION: i64 = 1;

/// The parsed `claude-env.yaml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RepoSettings {
    pub schema_version: Option<i64>,
    /// Declared environments in declaration order; `None` when the key is absent, in which
    /// case the directories under `environments/` are the environments.
    pub environments: Option<Vec<EnvironmentSettings>>,
    pub strategies: Strategies,
    /// Where `environments:` is written, for "not declared" diagnostics.
    pub(crate) environments_at: Option<(u32, u32)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentSettings {
    pub name: String,
    pub description: Option<String>,
    /// The branch the controller follows for this environment, if it differs.
    pub branch: Option<String>,
    /// `deploy.image` must carry a tag other than `latest`, or a digest (`image-unpinned`
    /// becomes an error instead of a warning).
    pub require_pinned_images: bool,
}

impl RepoSettings {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentSettings> {
        self.environments.as_ref()?.iter().find(|e| e.name == name)
    }
}

/// Reads the settings; problems are reported and the offending part ignored, so the rest
/// of the repository can still be checked.
pub(crate) fn parse(root: &Node, diags: &mut Vec<Diagnostic>) -> RepoSettings {
    let mut r = Reader { diags };
    let mut s = RepoSettings::default();
    let Some(entries) = root.value.as_map() else {
        return s;
    };
    for e in entries {
        match &*e.key {
            "schemaVersion" => match e.node.value {
                Value::Int(SCHEMA_VERSION) => s.schema_version = Some(SCHEMA_VERSION),
                _ => r.err(
                    &e.node.at,
                    format!("`schemaVersion` must be {SCHEMA_VERSION} (the only version this claude-env reads)"),
                ),
            },
            "environments" => {
                s.environments_at = Some((e.key_at.line, e.key_at.col));
                s.environments = Some(r.environments(&e.node));
            }
            "merge" => s.strategies = Strategies::new(r.merge(&e.node)),
            other => r.err(
                &e.key_at,
                format!("unknown key `{other}` (known: schemaVersion, environments, merge)"),
            ),
        }
    }
    if s.schema_version.is_none() && !entries.iter().any(|e| &*e.key == "schemaVersion") {
        r.err(
            &root.at,
            format!("`schemaVersion: {SCHEMA_VERSION}` is required"),
        );
    }
    s
}

struct Reader<'d> {
    diags: &'d mut Vec<Diagnostic>,
}

impl Reader<'_> {
    fn err(&mut self, at: &At, msg: impl Into<String>) {
        self.diags
            .push(Diagnostic::error(REPO_SETTINGS, &at.origin.file, msg).at(at.line, at.col));
    }

    /// `[a, b]` or `{a: {...}, b: null}`.
    fn environments(&mut self, node: &Node) -> Vec<EnvironmentSettings> {
        let mut out: Vec<EnvironmentSettings> = Vec::new();
        let mut add = |r: &mut Self, env: EnvironmentSettings, at: &At| {
            if !valid_dir_name(&env.name) {
                r.err(at, "an environment name must be a plain directory name");
            } else if out.iter().any(|e| e.name == env.name) {
                r.err(at, format!("environment `{}` is declared twice", env.name));
            } else {
                out.push(env);
            }
        };
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    match item.value.as_str() {
                        Some(name) => add(self, named(name), &item.at),
                        None => self.err(&item.at, "an environment in the list must be a name"),
                    }
                }
            }
            Value::Map(entries) => {
                for e in entries {
                    let env = self.environment(&e.key, &e.node);
                    add(self, env, &e.key_at);
                }
            }
            Value::Null => {}
            _ => self.err(
                &node.at,
                "`environments` must be a list of names or a mapping of name to settings",
            ),
        }
        out
    }

    fn environment(&mut self, name: &str, node: &Node) -> EnvironmentSettings {
        let mut env = named(name);
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return env,
            _ => {
                self.err(&node.at, "environment settings must be a mapping");
                return env;
            }
        };
        for e in entries {
            match (&*e.key, &e.node.value) {
                ("branch", Value::Str(b)) if !b.is_empty() => env.branch = Some(b.to_string()),
                ("description", Value::Str(d)) => env.description = Some(d.to_string()),
                ("requirePinnedImages", Value::Bool(b)) => env.require_pinned_images = *b,
                ("branch" | "description", _) => self.err(&e.node.at, format!("`{}` must be a non-empty string", e.key)),
                ("requirePinnedImages", _) => self.err(&e.node.at, "`requirePinnedImages` must be true or false"),
                (other, _) => self.err(
                    &e.key_at,
                    format!("unknown environment setting `{other}` (known: branch, description, requirePinnedImages)"),
                ),
            }
        }
        env
    }

    fn merge(&mut self, node: &Node) -> Vec<MergeRule> {
        let entries = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => return Vec::new(),
            _ => {
                self.err(
                    &node.at,
                    "`merge` must be a mapping of document path to strategy",
                );
                return Vec::new();
            }
        };
        let mut rules = Vec::new();
        for e in entries {
            let path = match PathPattern::from_str(&e.key) {
                Ok(p) => p,
                Err(err) => {
                    self.err(&e.key_at, format!("merge path `{}`: {err}", e.key));
                    continue;
                }
            };
            if let Some(strategy) = self.strategy(&e.node) {
                rules.push(MergeRule { path, strategy });
            }
        }
        rules
    }

    fn strategy(&mut self, node: &Node) -> Option<Strategy> {
        const HELP: &str =
            "a strategy is `replace`, `union`, `append` or `{merge-by-key: <field>}`";
        match &node.value {
            Value::Str(s) => match &**s {
                "replace" => Some(Strategy::Replace),
                "union" => Some(Strategy::Union),
                "append" => Some(Strategy::Append),
                _ => {
                    self.err(&node.at, format!("unknown strategy `{s}`; {HELP}"));
                    None
                }
            },
            Value::Map(entries) => match entries.as_slice() {
                [e] if &*e.key == "merge-by-key" => match e.node.value.as_str() {
                    Some(field) if !field.is_empty() => {
                        Some(Strategy::MergeByKey(field.to_owned()))
                    }
                    _ => {
                        self.err(&e.node.at, "`merge-by-key` needs the name of the key field");
                        None
                    }
                },
                _ => {
                    self.err(&node.at, HELP);
                    None
                }
            },
            _ => {
                self.err(&node.at, HELP);
                None
            }
        }
    }
}

fn named(name: &str) -> EnvironmentSettings {
    EnvironmentSettings {
        name: name.to_owned(),
        ..Default::default()
    }
}

/// Layer names are directory names: one path segment, not hidden.
pub(crate) fn valid_dir_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && !name.starts_with('.')
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
