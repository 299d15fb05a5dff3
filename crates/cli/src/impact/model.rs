//! The report's records: one [`SelectionImpact`] per selection, each a list of [`Change`]s.
//!
//! A change is one fact a reviewer can judge on its own ("deny rule `Bash(curl:*)` removed",
//! "MCP server `github` added", "Deployment `context7`: pods roll"). Records are compared
//! and grouped by value (selections with identical changes are shown once), so nothing in
//! a record names a selection: objects are named by their role, not their object name.
//!
//! Extending: a classification (a risk class, say) becomes a field of [`Change`] and the
//! first element of [`Change::sort_key`]; the text and Markdown forms print records in that
//! order and JSON serializes every field.

use claude_env_config::{Diagnostics, Selection};
use serde::Serialize;

/// What part of the environment a change is in. The order is the order of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Area {
    /// `settings.json` → `permissions`.
    Permissions,
    /// `settings.json` → `hooks`.
    Hooks,
    /// `mcp.json`.
    McpServers,
    /// Any other key of `settings.json`.
    Settings,
    /// `CLAUDE.md`.
    Memory,
    /// `commands/<name>.md`.
    Commands,
    /// `agents/<name>.md` (personas).
    Agents,
    /// Another rendered file.
    Files,
    /// The Kubernetes objects (ConfigMap, Deployments, Services).
    Objects,
}

impl Area {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Area::Permissions => "permissions",
            Area::Hooks => "hooks",
            Area::McpServers => "MCP servers",
            Area::Settings => "settings",
            Area::Memory => "CLAUDE.md",
            Area::Commands => "commands",
            Area::Agents => "agents",
            Area::Files => "files",
            Area::Objects => "objects",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Action {
    Added,
    Removed,
    Modified,
}

impl Action {
    /// `+`, `-`, `~`.
    pub(crate) fn symbol(self) -> char {
        match self {
            Action::Added => '+',
            Action::Removed => '-',
            Action::Modified => '~',
        }
    }
}

/// One change of one selection's rendered output. Every string is masked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Change {
    pub area: Area,
    pub action: Action,
    /// What changed, readable on its own: `deny: Bash(curl:*)`, `model`, `github`,
    /// `github.args`, `commands/review.md`, `Deployment context7: spec.replicas`.
    pub subject: String,
    /// The value before (compact JSON or a short description), when there is one to show.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// A unified diff, for text files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
    /// What follows from it, in words ("pods roll"), when that is not a value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Change {
    pub(crate) fn new(area: Area, action: Action, subject: impl Into<String>) -> Change {
        Change {
            area,
            action,
            subject: subject.into(),
            before: None,
            after: None,
            diff: None,
            note: None,
        }
    }

    pub(crate) fn before(mut self, v: Option<String>) -> Change {
        self.before = v;
        self
    }

    pub(crate) fn after(mut self, v: Option<String>) -> Change {
        self.after = v;
        self
    }

    pub(crate) fn diff(mut self, d: Option<String>) -> Change {
        self.diff = d;
        self
    }

    pub(crate) fn note(mut self, n: impl Into<String>) -> Change {
        self.note = Some(n.into());
        self
    }

    /// How a selection's changes are ordered.
    pub(crate) fn sort_key(&self) -> (Area, &str, Action) {
        (self.area, self.subject.as_str(), self.action)
    }
}

/// What happened to one selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Status {
    /// Renders in both revisions and something differs.
    Changed,
    /// Exists only in head (a new environment, team or project), or renders only there.
    Added,
    /// Exists only in base.
    Removed,
    /// Does not render in head.
    Failed,
    Unchanged,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Changed => "changed",
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Failed => "fails to render",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One selection in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SelectionImpact {
    /// `env`, `env/team`, `env/-/project`, `env/team/project`.
    pub name: String,
    #[serde(skip)]
    pub selection: Selection,
    pub environment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    pub status: Status,
    /// Why it does not render (head; or base, for one added because only head renders).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub changes: Vec<Change>,
}

impl SelectionImpact {
    pub(crate) fn new(selection: Selection, status: Status, changes: Vec<Change>) -> Self {
        SelectionImpact {
            name: selection.to_string(),
            environment: selection.environment.clone(),
            team: selection.team.clone(),
            project: selection.project.clone(),
            selection,
            status,
            note: None,
            changes,
        }
    }

    pub(crate) fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// A revision the report compares.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Revision {
    /// As given (`main`, `HEAD~1`, a SHA), or `working tree`.
    pub name: String,
    /// The commit it resolved to (`-dirty` for a modified working tree).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImpactReport {
    pub repo: String,
    pub base: Revision,
    pub head: Revision,
    /// Every selection of either revision, in selection order.
    pub selections: Vec<SelectionImpact>,
    /// `claude-env validate` of head.
    #[serde(serialize_with = "diagnostics_json")]
    pub findings: Diagnostics,
}

fn diagnostics_json<S: serde::Serializer>(d: &Diagnostics, s: S) -> Result<S::Ok, S::Error> {
    d.to_json().serialize(s)
}

/// How many selections are in each status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Counts {
    pub selections: usize,
    pub changed: usize,
    pub added: usize,
    pub removed: usize,
    pub failed: usize,
    pub unchanged: usize,
}

impl Counts {
    pub(crate) fn of<'a>(selections: impl IntoIterator<Item = &'a SelectionImpact>) -> Counts {
        let mut c = Counts::default();
        for s in selections {
            c.selections += 1;
            *match s.status {
                Status::Changed => &mut c.changed,
                Status::Added => &mut c.added,
                Status::Removed => &mut c.removed,
                Status::Failed => &mut c.failed,
                Status::Unchanged => &mut c.unchanged,
            } += 1;
        }
        c
    }

    /// Selections that are not unchanged.
    pub(crate) fn affected(&self) -> usize {
        self.selections - self.unchanged
    }
}

impl ImpactReport {
    pub(crate) fn counts(&self) -> Counts {
        Counts::of(&self.selections)
    }

    /// Any selection changed, was added or removed, or fails to render in head. (Head's
    /// validation errors alone are reported, not counted: `claude-env validate` fails on
    /// them.)
    pub(crate) fn changed(&self) -> bool {
        self.counts().affected() > 0
    }

    /// The environments, in the order their selections come.
    pub(crate) fn environments(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.selections {
            if !out.contains(&s.environment.as_str()) {
                out.push(&s.environment);
            }
        }
        out
    }

    pub(crate) fn in_environment<'a>(
        &'a self,
        env: &'a str,
    ) -> impl Iterator<Item = &'a SelectionImpact> {
        self.selections.iter().filter(move |s| s.environment == env)
    }
}

/// Selections of one environment with the same status and the same changes, shown once.
#[derive(Debug)]
pub(crate) struct Group<'a> {
    pub status: Status,
    pub members: Vec<&'a SelectionImpact>,
}

impl Group<'_> {
    pub(crate) fn changes(&self) -> &[Change] {
        &self.members[0].changes
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.name.as_str()).collect()
    }

    pub(crate) fn note(&self) -> Option<&str> {
        self.members[0].note.as_deref()
    }
}

/// The affected selections of `selections` grouped by (status, note, changes), in the order
/// of each group's first member.
pub(crate) fn groups<'a>(
    selections: impl IntoIterator<Item = &'a SelectionImpact>,
) -> Vec<Group<'a>> {
    let mut out: Vec<Group<'a>> = Vec::new();
    for s in selections
        .into_iter()
        .filter(|s| s.status != Status::Unchanged)
    {
        match out.iter_mut().find(|g| {
            g.status == s.status
                && g.members[0].changes == s.changes
                && g.note() == s.note.as_deref()
        }) {
            Some(g) => g.members.push(s),
            None => out.push(Group {
                status: s.status,
                members: vec![s],
            }),
        }
    }
    out
}
