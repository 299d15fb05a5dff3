//! A repository snapshot parsed once: settings, every layer's tree (fragments combined),
//! the repository's own schemas and every per-file finding. Merging a selection from it is
//! then cheap, which is what the controller needs to render many environments from one
//! revision.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::Selection;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::layer;
use crate::layout::{Layout, Place, base, layer_dir, named};
use crate::merge::{self, Cursor};
use crate::parse::{self, Format};
use crate::provenance::{Layer, LayerKind, MergedDocument};
use crate::rules;
use crate::schema::RepoSchema;
use crate::settings::{self, RepoSettings, SETTINGS_FILE};
use crate::snapshot::RepoSnapshot;
use crate::tree::{At, Node, Origin, Value};
use crate::validate;

/// The workstation-only top layer: the bytes of `~/.claude/local-overrides.yaml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserLayer {
    /// How the file is named in provenance and diagnostics. A name ending in `.json` is
    /// parsed as JSON.
    pub name: String,
    pub bytes: Arc<[u8]>,
}

impl UserLayer {
    pub const DEFAULT_NAME: &'static str = "~/.claude/local-overrides.yaml";

    pub fn new(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self::named(Self::DEFAULT_NAME, bytes)
    }

    pub fn named(name: impl Into<String>, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

/// One layer's combined tree and what its files had wrong.
pub(crate) struct ParsedLayer {
    pub tree: Node,
    /// Problems that make the merge meaningless: syntax, ambiguity, malformed markers.
    pub structural: Vec<Diagnostic>,
    /// Per-file validation: schema, references, plain-text secrets.
    pub findings: Vec<Diagnostic>,
    /// A file could not be parsed at all: its values are missing from the tree.
    pub broken: bool,
}

/// Everything found for one selection, before it is turned into a public answer.
pub(crate) struct Outcome {
    pub tree: Option<Node>,
    pub structural: Vec<Diagnostic>,
    pub findings: Vec<Diagnostic>,
    /// Merged-document checks would only echo a broken file or an unknown selection.
    pub skip_merged_checks: bool,
}

pub struct ParsedRepo {
    revision: Option<String>,
    settings: RepoSettings,
    /// Problems of claude-env.yaml itself.
    settings_diagnostics: Vec<Diagnostic>,
    /// Layout findings (stray files, undeclared environments) and unusable schemas.
    repo_diagnostics: Vec<Diagnostic>,
    layers: BTreeMap<Layer, ParsedLayer>,
    layout: Layout,
    schemas: Vec<RepoSchema>,
}

/// The result of checking one selection: the document if it could be merged, and every
/// finding (errors and warnings).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    pub document: Option<MergedDocument>,
    pub diagnostics: Diagnostics,
}

impl ParsedRepo {
    /// Parses every file of the snapshot. Never fails: problems are kept as diagnostics and
    /// surface from [`ParsedRepo::merge`], [`ParsedRepo::load`] and [`ParsedRepo::validate`].
    pub fn parse(snapshot: &RepoSnapshot) -> ParsedRepo {
        Self::parse_layers(snapshot, |_| true)
    }

    /// Parses only the layers `wanted` accepts (plus settings and schemas): loading one
    /// environment does not pay for every team's files.
    pub(crate) fn parse_layers(
        snapshot: &RepoSnapshot,
        wanted: impl Fn(&Layer) -> bool,
    ) -> ParsedRepo {
        let mut settings_diagnostics = Vec::new();
        let settings = match snapshot.get(SETTINGS_FILE) {
            None => {
                settings_diagnostics.push(Diagnostic::error(
                    rules::REPO_SETTINGS,
                    SETTINGS_FILE,
                    "claude-env.yaml is missing: it declares `schemaVersion: 1`, the environments and merge strategies",
                ));
                RepoSettings::default()
            }
            Some(bytes) => {
                let origin = origin(base(), SETTINGS_FILE);
                let parsed = parse::parse(bytes, origin, Format::Yaml);
                settings_diagnostics.extend(parsed.diagnostics);
                match parsed.root {
                    Some(root) => settings::parse(&root, &mut settings_diagnostics),
                    None => RepoSettings::default(),
                }
            }
        };
        let mut repo = ParsedRepo {
            revision: snapshot.revision.clone(),
            settings,
            settings_diagnostics,
            repo_diagnostics: Vec::new(),
            layers: BTreeMap::new(),
            layout: Layout::default(),
            schemas: Vec::new(),
        };
        let mut fragments: BTreeMap<Layer, Vec<(&str, &[u8])>> = BTreeMap::new();
        fragments.insert(base(), Vec::new());
        for (path, bytes) in snapshot.files() {
            match repo.layout.classify(path) {
                Place::Layer(l) => {
                    if wanted(&l) && Format::of(path).is_some() {
                        fragments.entry(l).or_default().push((path, bytes));
                    }
                }
                Place::Schema => match RepoSchema::compile(path, bytes) {
                    Ok(s) => repo.schemas.push(s),
                    Err(d) => repo.repo_diagnostics.push(d),
                },
                Place::Stray => repo.repo_diagnostics.push(Diagnostic::warning(
                    rules::STRAY_FILE,
                    path,
                    "this file is not inside a layer directory (like environments/<name>/) and is ignored",
                )),
                Place::Other => {}
            }
        }
        for (l, files) in fragments {
            let parsed = repo.parse_layer(&l, &files, true);
            repo.layers.insert(l, parsed);
        }
        repo.check_declarations();
        repo
    }

    fn parse_layer(&self, l: &Layer, files: &[(&str, &[u8])], scan_secrets: bool) -> ParsedLayer {
        let dir = layer_dir(l).unwrap_or_else(|| UserLayer::DEFAULT_NAME.to_owned());
        let dir_origin = origin(l.clone(), &dir);
        let mut tree = Node {
            value: Value::Map(Vec::new()),
            at: At {
                origin: dir_origin,
                line: 0,
                col: 0,
            },
        };
        let (mut structural, mut findings, mut broken) = (Vec::new(), Vec::new(), false);
        let mut cur = Cursor::new(&self.settings.strategies);
        for (path, bytes) in files {
            let format = Format::of(path).unwrap_or(Format::Yaml);
            let parsed = parse::parse(bytes, origin(l.clone(), path), format);
            structural.extend(parsed.diagnostics);
            match parsed.root {
                Some(root) => {
                    let source = std::str::from_utf8(bytes).unwrap_or_default();
                    findings.extend(validate::fragment_findings(&root, source, scan_secrets));
                    layer::add_fragment(&mut tree, &root, &mut cur);
                }
                None => broken = true,
            }
        }
        structural.extend(cur.diagnostics);
        ParsedLayer {
            tree,
            structural,
            findings,
            broken,
        }
    }

    /// Environment directories nobody declared are probably typos of a declared one.
    fn check_declarations(&mut self) {
        let Some(declared) = &self.settings.environments else {
            return;
        };
        for dir in &self.layout.environments {
            if !declared.iter().any(|e| &e.name == dir) {
                self.repo_diagnostics.push(Diagnostic::warning(
                    rules::UNDECLARED_ENVIRONMENT,
                    format!("environments/{dir}"),
                    format!("environment `{dir}` has a directory but is not declared in claude-env.yaml, so it cannot be selected"),
                ));
            }
        }
    }

    pub fn revision(&self) -> Option<&str> {
        self.revision.as_deref()
    }

    pub fn settings(&self) -> &RepoSettings {
        &self.settings
    }

    /// The selectable environments: declared ones, or the directories if none are declared.
    pub fn environments(&self) -> Vec<&str> {
        match &self.settings.environments {
            Some(envs) => envs.iter().map(|e| e.name.as_str()).collect(),
            None => self
                .layout
                .environments
                .iter()
                .map(String::as_str)
                .collect(),
        }
    }

    pub fn teams(&self) -> impl Iterator<Item = &str> {
        self.layout.teams.iter().map(String::as_str)
    }

    pub fn projects(&self) -> impl Iterator<Item = &str> {
        self.layout.projects.iter().map(String::as_str)
    }

    /// Every selection [`ParsedRepo::validate`] checks: each environment alone, with each
    /// team, with each project, and with each team and project.
    pub fn selections(&self) -> Vec<Selection> {
        let teams: Vec<Option<&str>> = std::iter::once(None)
            .chain(self.teams().map(Some))
            .collect();
        let projects: Vec<Option<&str>> = std::iter::once(None)
            .chain(self.projects().map(Some))
            .collect();
        let mut out = Vec::new();
        for env in self.environments() {
            for team in &teams {
                for project in &projects {
                    out.push(Selection {
                        environment: env.to_owned(),
                        team: team.map(str::to_owned),
                        project: project.map(str::to_owned),
                    });
                }
            }
        }
        out
    }

    /// The layers of a selection, lowest first, or why it cannot be selected.
    fn resolve(&self, sel: &Selection) -> Result<Vec<Layer>, Vec<Diagnostic>> {
        let mut errs = Vec::new();
        let env_known = settings::valid_dir_name(&sel.environment)
            && match &self.settings.environments {
                Some(_) => self.settings.environment(&sel.environment).is_some(),
                None => self.layout.environments.contains(&sel.environment),
            };
        if !env_known {
            let known = self.environments().join(", ");
            let mut d = Diagnostic::error(
                rules::UNKNOWN_ENVIRONMENT,
                SETTINGS_FILE,
                format!(
                    "environment `{}` is not declared (known: {known})",
                    sel.environment
                ),
            );
            if let Some((line, col)) = self.settings.environments_at {
                d = d.at(line, col);
            }
            errs.push(d);
        }
        let mut layers = vec![base(), named(LayerKind::Environment, &sel.environment)];
        for (name, kind, dirs, rule, what) in [
            (
                &sel.team,
                LayerKind::Team,
                &self.layout.teams,
                rules::UNKNOWN_TEAM,
                "teams",
            ),
            (
                &sel.project,
                LayerKind::Project,
                &self.layout.projects,
                rules::UNKNOWN_PROJECT,
                "projects",
            ),
        ] {
            let Some(name) = name else { continue };
            if settings::valid_dir_name(name) && dirs.contains(name) {
                layers.push(named(kind, name));
            } else {
                errs.push(Diagnostic::error(
                    rule,
                    format!("{what}/{name}"),
                    format!("there is no directory {what}/{name}/ in the repository"),
                ));
            }
        }
        if errs.is_empty() {
            Ok(layers)
        } else {
            Err(errs)
        }
    }

    pub(crate) fn outcome(&self, sel: &Selection, user: Option<&UserLayer>) -> Outcome {
        let mut structural = self.settings_diagnostics.clone();
        let mut findings = self
            .repo_diagnostics
            .iter()
            .filter(|d| d.rule == rules::REPO_SCHEMA)
            .cloned()
            .collect::<Vec<_>>();
        let layers = match self.resolve(sel) {
            Ok(l) => l,
            Err(errs) => {
                structural.extend(errs);
                return Outcome {
                    tree: None,
                    structural,
                    findings,
                    skip_merged_checks: true,
                };
            }
        };
        let user_layer = user.map(|u| {
            let l = Layer {
                kind: LayerKind::User,
                name: None,
            };
            // The user layer never leaves the workstation: no secret scan.
            self.parse_layer(&l, &[(u.name.as_str(), &u.bytes[..])], false)
        });
        let mut broken = false;
        let mut cur = Cursor::new(&self.settings.strategies);
        let mut acc: Option<Node> = None;
        let parsed = layers
            .iter()
            .filter_map(|l| self.layers.get(l))
            .chain(user_layer.as_ref());
        for pl in parsed {
            structural.extend(pl.structural.iter().cloned());
            findings.extend(pl.findings.iter().cloned());
            broken |= pl.broken;
            match &mut acc {
                None => acc = merge::fresh(&pl.tree, &mut cur),
                Some(n) => merge::merge_into(n, &pl.tree, &mut cur),
            }
        }
        structural.extend(cur.diagnostics);
        Outcome {
            tree: acc,
            structural,
            findings,
            skip_merged_checks: broken,
        }
    }

    /// Merges a selection's layers (and the user layer, if given). Fails on what makes the
    /// merge meaningless (syntax, ambiguity, unknown selection, invalid settings); does not
    /// validate the result, see [`ParsedRepo::load`].
    pub fn merge(
        &self,
        sel: &Selection,
        user: Option<&UserLayer>,
    ) -> Result<MergedDocument, Diagnostics> {
        let o = self.outcome(sel, user);
        let structural = Diagnostics::from(o.structural);
        if structural.has_errors() {
            return Err(structural);
        }
        Ok(o.tree
            .as_ref()
            .map(crate::document::to_merged)
            .unwrap_or_default())
    }

    /// Merges and validates a selection: every finding, errors and warnings.
    pub fn check(&self, sel: &Selection, user: Option<&UserLayer>) -> Checked {
        let o = self.outcome(sel, user);
        let mut all = Diagnostics::from(o.structural);
        let mergeable = !all.has_errors();
        all.extend(o.findings);
        let Some(tree) = &o.tree else {
            return Checked {
                document: mergeable.then(MergedDocument::default),
                diagnostics: all.normalized(),
            };
        };
        // One JSON rendering serves validation and the document.
        let instance = tree.to_json();
        if !o.skip_merged_checks {
            all.extend(validate::merged_findings(
                tree,
                &instance,
                &self.schemas,
                self.policy(sel),
            ));
        }
        Checked {
            document: mergeable.then(|| crate::document::with_value(tree, instance)),
            diagnostics: all.normalized(),
        }
    }

    /// Merges and validates a selection; any error fails it (with every finding).
    pub fn load(
        &self,
        sel: &Selection,
        user: Option<&UserLayer>,
    ) -> Result<MergedDocument, Diagnostics> {
        let checked = self.check(sel, user);
        match checked.document {
            Some(doc) if !checked.diagnostics.has_errors() => Ok(doc),
            _ => Err(checked.diagnostics),
        }
    }

    /// Every problem in the repository: each file, claude-env.yaml, the layout, and the
    /// merged document of every selection ([`ParsedRepo::selections`]).
    pub fn validate(&self) -> Diagnostics {
        let mut all = Diagnostics::new();
        all.extend(self.settings_diagnostics.iter().cloned());
        all.extend(self.repo_diagnostics.iter().cloned());
        for pl in self.layers.values() {
            all.extend(pl.structural.iter().cloned());
            all.extend(pl.findings.iter().cloned());
        }
        for sel in self.selections() {
            let o = self.outcome(&sel, None);
            // Layer findings are already in; what is new is the cross-layer merge's.
            all.extend(o.structural);
            if let Some(tree) = &o.tree
                && !o.skip_merged_checks
            {
                all.extend(validate::merged_findings(
                    tree,
                    &tree.to_json(),
                    &self.schemas,
                    self.policy(&sel),
                ));
            }
            all.normalize();
        }
        all.normalized()
    }

    fn policy(&self, sel: &Selection) -> crate::semantic::Policy {
        crate::semantic::Policy {
            require_pinned_images: self
                .settings
                .environment(&sel.environment)
                .is_some_and(|e| e.require_pinned_images),
        }
    }
}

fn origin(layer: Layer, file: &str) -> Arc<Origin> {
    Arc::new(Origin {
        layer,
        file: file.to_owned(),
    })
}

#[cfg(test)]
#[path = "repo_tests.rs"]
mod tests;
