//! Risk classes of config changes: what a change does to developers' agents before it lands.
//!
//! [`assess`] compares two merged documents (with provenance) — and, optionally, the
//! Kubernetes objects rendered from them — and lists each change with a [`Class`]
//! (security, availability, configuration, cosmetic: the drift categories), a [`Severity`],
//! the setting's path, the layer and file:line that caused it (the head value's provenance,
//! or the base value's for a removal) and a one-line explanation. The [`Report`] is sorted
//! riskiest first and serializes to stable JSON; [`display`] renders it for people.
//!
//! The rules, in short:
//! - **Security**: anything that widens what the agent may do or whom it talks to — a new
//!   allow rule, a removed deny or ask rule, ask → allow, a more permissive mode, a lifted
//!   bypass lock, a new additional directory, a new or changed hook, a new or re-enabled MCP
//!   server or a new command, arguments, URL or image of one, env vars that redirect
//!   traffic, trust, credentials or code loading, a new `allowed-tools` rule of a slash
//!   command, a rendered image or securityContext change. Removing a hook that can block
//!   (`PreToolUse`, ...) is security too: a check stops.
//! - **Availability**: a server removed or disabled, replicas, resources, ports, probes.
//! - **Configuration**: every other change in behaviour, including every narrowing (a
//!   removed allow rule, a new deny rule, a stricter mode), the model, env vars, text.
//! - **Cosmetic**: nothing Claude Code acts on — a set reordered, whitespace in Markdown,
//!   descriptions, labels, `metadata`.
//!
//! Pure: plain values in, plain values out.

mod change;
mod context;
mod deploy;
pub mod display;
mod env;
mod generic;
mod hooks;
mod markdown;
mod mcp;
mod modes;
mod objects;
mod permissions;
mod rule;
mod sets;
mod settings;

pub use change::{Change, Class, Kind, Report, Severity, Source};
pub use claude_env_config::MergedDocument;
pub use claude_env_render::DesiredObjects;

use claude_env_config::pointer;

use crate::context::Ctx;

/// One side of a comparison: a merged document and, if rendered, its objects.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    pub document: &'a MergedDocument,
    pub objects: Option<&'a DesiredObjects>,
}

impl<'a> Input<'a> {
    /// A document alone (what a workstation has).
    pub fn new(document: &'a MergedDocument) -> Self {
        Input {
            document,
            objects: None,
        }
    }

    /// With the objects rendered from it (what the controller applies).
    pub fn with_objects(self, objects: &'a DesiredObjects) -> Self {
        Input {
            objects: Some(objects),
            ..self
        }
    }
}

/// Every change from `base` to `head`, riskiest first. Identical inputs give an empty
/// report. Objects are compared only when both sides have them; an object change whose
/// server already shows a document change of the same class is left out (the document
/// change says it better, with provenance).
pub fn assess(base: Input<'_>, head: Input<'_>) -> Report {
    let mut cx = Ctx::new(base.document, head.document);
    settings::compare(&mut cx);
    mcp::compare(&mut cx);
    markdown::compare(&mut cx);
    generic::walk(
        &mut cx,
        "/metadata",
        Class::Cosmetic,
        Severity::Low,
        &generic::none,
    );
    others(&mut cx);
    let mut changes = std::mem::take(&mut cx.out);
    if let (Some(b), Some(h)) = (base.objects, head.objects) {
        let from_objects = objects::compare(&cx, b, h);
        let kept: Vec<Change> = from_objects
            .into_iter()
            .filter(|o| !explained(&changes, o))
            .map(|o| o.change)
            .collect();
        changes.extend(kept);
    }
    Report::new(changes)
}

/// Whether a document change already says what an object change does: a change of its
/// server itself (added, removed, enabled, `deploy` added or removed) or of a `deploy`
/// field the object field is made from.
fn explained(doc_changes: &[Change], o: &objects::ObjectChange) -> bool {
    let Some(fields) = o.explained_by else {
        return false;
    };
    let server = pointer::join("/mcpServers", &o.server);
    let deploy = pointer::join(&server, "deploy");
    doc_changes.iter().any(|d| {
        d.pointer == server
            || d.pointer == deploy
            || fields
                .iter()
                .any(|f| d.pointer.starts_with(&format!("{server}{f}")))
    })
}

/// [`assess`] for documents alone.
pub fn compare(base: &MergedDocument, head: &MergedDocument) -> Report {
    assess(Input::new(base), Input::new(head))
}

/// Top-level keys the document model does not know (the schema refuses them; a bare merge
/// may still carry them): configuration.
fn others(cx: &mut Ctx<'_>) {
    const KNOWN: [&str; 6] = [
        "settings",
        "mcpServers",
        "memory",
        "commands",
        "personas",
        "metadata",
    ];
    let (b, h) = cx.pair("");
    for key in context::keys(b, h) {
        if !KNOWN.contains(&key) {
            let at = pointer::join("", key);
            generic::walk(
                cx,
                &at,
                Class::Configuration,
                Severity::Medium,
                &generic::none,
            );
        }
    }
}
