//! The change-impact report (`claude-env diff --base REV --head REV`): for every selection
//! (environment × team × project) either revision defines, what a change does to the files
//! Claude Code reads and to the Kubernetes objects, with head's validation findings.
//!
//! Selections render as `claude-env render` renders them (instance `ENV-TEAM-PROJECT`,
//! namespace `default`), merged without validation so a change that breaks a rule still
//! shows what it would do; the rules it breaks are in the findings. Every value printed
//! goes through [`mask`].
//!
//! [`build`] is pure given the two loaded revisions; [`text`] and [`markdown`] format.

pub(crate) mod files;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod mask;
pub(crate) mod model;
pub(crate) mod objects;
pub(crate) mod text;

use claude_env_config::{ParsedRepo, Selection};
use claude_env_render::{ClaudeFiles, DesiredObjects};

use crate::environment::{Environment, Placement};
use crate::repo::LoadedRepo;
use model::{Change, ImpactReport, Revision, SelectionImpact, Status};

/// Which selections to report: all, or those of one environment, team or project.
#[derive(Clone, Debug, Default)]
pub(crate) struct Filter {
    pub environment: Option<String>,
    pub team: Option<String>,
    pub project: Option<String>,
}

impl Filter {
    fn keeps(&self, s: &Selection) -> bool {
        self.environment
            .as_ref()
            .is_none_or(|e| e == &s.environment)
            && self
                .team
                .as_ref()
                .is_none_or(|t| s.team.as_ref() == Some(t))
            && self
                .project
                .as_ref()
                .is_none_or(|p| s.project.as_ref() == Some(p))
    }
}

/// One revision: what was loaded and how it is named in the report.
pub(crate) struct Side<'a> {
    pub repo: &'a LoadedRepo,
    pub name: String,
}

impl Side<'_> {
    fn revision(&self) -> Revision {
        Revision {
            name: self.name.clone(),
            commit: self.repo.revision.clone(),
        }
    }
}

/// One selection rendered.
struct Rendering {
    files: ClaudeFiles,
    objects: DesiredObjects,
}

/// The report of the change from `base` to `head`.
pub(crate) fn build(base: &Side, head: &Side, filter: &Filter) -> ImpactReport {
    let (pb, ph) = (
        ParsedRepo::parse(&base.repo.snapshot),
        ParsedRepo::parse(&head.repo.snapshot),
    );
    let (in_base, in_head) = (pb.selections(), ph.selections());
    let mut all: Vec<Selection> = in_head.clone();
    all.extend(in_base.iter().filter(|s| !in_head.contains(s)).cloned());
    let selections = all
        .into_iter()
        .filter(|s| filter.keeps(s))
        .map(|sel| {
            let before = in_base.contains(&sel).then(|| render(&pb, base.repo, &sel));
            let after = in_head.contains(&sel).then(|| render(&ph, head.repo, &sel));
            compare(sel, before, after)
        })
        .collect();
    ImpactReport {
        repo: head.repo.repo.clone(),
        base: base.revision(),
        head: head.revision(),
        selections,
        findings: ph.validate(),
    }
}

fn render(parsed: &ParsedRepo, repo: &LoadedRepo, sel: &Selection) -> Result<Rendering, String> {
    let merged = parsed.merge(sel, None).map_err(|d| {
        d.errors()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let document = merged.document().map_err(|e| chain(&e))?;
    let env = Environment {
        selection: sel.clone(),
        merged,
        document,
    };
    let place = Placement {
        instance: None,
        namespace: "default".to_string(),
        target_namespace: None,
    };
    let files = env.files(repo, &place).map_err(|e| chain(&e))?;
    let objects = env.objects(repo, &place).map_err(|e| chain(&e))?;
    Ok(Rendering { files, objects })
}

/// `message: cause: cause`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

type Outcome = Option<Result<Rendering, String>>;

fn compare(sel: Selection, before: Outcome, after: Outcome) -> SelectionImpact {
    let empty = files::Files::new();
    let changes_between = |a: Option<&Rendering>, b: &Rendering| {
        let mut c = files::changes(a.map_or(&empty, |r| &r.files.files), &b.files.files);
        c.extend(objects::changes(a.map(|r| &r.objects), Some(&b.objects)));
        sorted(c)
    };
    match (before, after) {
        (Some(Ok(a)), Some(Ok(b))) => {
            let changes = changes_between(Some(&a), &b);
            let status = if changes.is_empty() {
                Status::Unchanged
            } else {
                Status::Changed
            };
            SelectionImpact::new(sel, status, changes)
        }
        (before, Some(Ok(b))) => {
            // New (or newly rendering): what it holds, without the content of every file.
            let changes = changes_between(None, &b)
                .into_iter()
                .map(|c| c.diff(None))
                .collect();
            let note = match before {
                Some(Err(e)) => Some(format!("did not render at base: {e}")),
                _ => None,
            };
            SelectionImpact::new(sel, Status::Added, changes).with_note(note)
        }
        (_, Some(Err(e))) => {
            SelectionImpact::new(sel, Status::Failed, Vec::new()).with_note(Some(e))
        }
        (_, None) => SelectionImpact::new(sel, Status::Removed, Vec::new()),
    }
}

fn sorted(mut changes: Vec<Change>) -> Vec<Change> {
    changes.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    changes.dedup();
    changes
}

#[cfg(test)]
mod tests;
