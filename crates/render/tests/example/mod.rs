//! config-repo-example as the golden, Git and benchmark tests see it.

#![allow(dead_code)]

use std::collections::BTreeMap;

use claude_env_config::{ParsedRepo, RepoSnapshot, Selection};
use claude_env_render::{RenderContext, render};

pub(crate) const EXAMPLE_DIR: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../config-repo-example");
pub(crate) const GOLDEN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");

pub(crate) fn load_example() -> RepoSnapshot {
    claude_env_source::from_dir(EXAMPLE_DIR).expect("config-repo-example loads")
}

/// Every environment × team × (no project | each project).
pub(crate) fn combinations(snapshot: &RepoSnapshot) -> Vec<Selection> {
    let repo = ParsedRepo::parse(snapshot);
    let projects: Vec<Option<&str>> = std::iter::once(None)
        .chain(repo.projects().map(Some))
        .collect();
    let mut out = Vec::new();
    for env in repo.environments() {
        for team in repo.teams() {
            for project in &projects {
                let mut sel = Selection::new(env).team(team);
                if let Some(p) = project {
                    sel = sel.project(*p);
                }
                out.push(sel);
            }
        }
    }
    out
}

/// What the controller would be told for this selection: one ClaudeEnvironment per
/// selection, named after it, rendering into the environment's namespace.
pub(crate) fn context(sel: &Selection, revision: Option<String>) -> RenderContext {
    let mut instance = sel.team.clone().unwrap_or_default();
    if let Some(p) = &sel.project {
        instance = format!("{instance}-{p}");
    }
    RenderContext {
        instance: format!("{instance}-{}", sel.environment),
        owner_namespace: "claude-env".into(),
        target_namespace: format!("claude-{}", sel.environment),
        environment: sel.environment.clone(),
        team: sel.team.clone(),
        project: sel.project.clone(),
        revision,
    }
}

/// Golden directory of a selection, relative to the golden root.
pub(crate) fn golden_dir(sel: &Selection) -> String {
    let mut dir = format!("{}/{}", sel.environment, sel.team.as_deref().unwrap_or("-"));
    if let Some(p) = &sel.project {
        // Project directories sit next to the team's own `files/` and `objects.yaml`.
        assert!(
            p != "files" && p != "objects.yaml",
            "project name `{p}` clashes with the golden layout"
        );
        dir = format!("{dir}/{p}");
    }
    dir
}

/// Loads, merges, validates and renders one selection: golden-relative path → bytes.
pub(crate) fn render_selection(
    snapshot: &RepoSnapshot,
    sel: &Selection,
) -> BTreeMap<String, Vec<u8>> {
    let merged = claude_env_config::load_environment(snapshot, sel, None)
        .unwrap_or_else(|d| panic!("{sel} does not load:\n{d:?}"));
    let doc = merged.document().expect("merged document is typed");
    let ctx = context(sel, snapshot.revision.clone());
    let r = render(&doc, &ctx).unwrap_or_else(|e| panic!("{sel} does not render: {e}"));
    let dir = golden_dir(sel);
    let mut out: BTreeMap<String, Vec<u8>> = r
        .files
        .files
        .into_iter()
        .map(|(path, bytes)| (format!("{dir}/files/{path}"), bytes))
        .collect();
    out.insert(
        format!("{dir}/objects.yaml"),
        r.objects.to_yaml().unwrap().into_bytes(),
    );
    out
}

pub(crate) fn golden_entries(
    snapshot: &RepoSnapshot,
    selections: &[Selection],
) -> BTreeMap<String, Vec<u8>> {
    selections
        .iter()
        .flat_map(|sel| render_selection(snapshot, sel))
        .collect()
}
