//! `claude-env status`: is a synced target still what was synced, and is that still what
//! the repository says?
//!
//! This is the local half; cluster status (`status NAME`, `--cluster`, `-n`, `-A`) is
//! `commands::in_cluster::status`, chosen by the arguments, with the same [`Exit`] contract.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::workstation::{desired, placement_of, selection_of, source_of};
use super::{short_rev, structured_out, target_dir};
use crate::cli::{ReportFormat, SourceArgs, StatusArgs};
use crate::error::{CliError, Exit};
use crate::sync::plan::{self, Drift};
use crate::sync::state::{self, Origin, State};

pub(super) fn run(
    src: &SourceArgs,
    args: &StatusArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    local(src, args, out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    target: String,
    synced: Option<Synced>,
    /// Managed files not as last written.
    drift: Vec<DriftItem>,
    /// `None` with `--local` or when never synced.
    repository: Option<Upstream>,
    /// A sync or rollback was interrupted; the next one undoes it.
    interrupted: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Synced {
    #[serde(flatten)]
    origin: Origin,
    at: String,
}

#[derive(Serialize)]
struct DriftItem {
    path: String,
    kind: Drift,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Upstream {
    revision: Option<String>,
    moved_on: bool,
    /// Managed files a sync would create, update or remove; `None` if it could not render.
    pending_changes: Option<usize>,
    /// Why the repository could not be checked or rendered.
    error: Option<String>,
}

impl Report {
    fn out_of_sync(&self) -> bool {
        self.interrupted
            || !self.drift.is_empty()
            || self
                .repository
                .as_ref()
                .is_some_and(|u| u.pending_changes.unwrap_or(0) > 0)
    }
}

fn local(src: &SourceArgs, args: &StatusArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let target = target_dir(args.target.as_deref())?;
    let Some(st) = state::load_state(&target)? else {
        let report = Report {
            target: target.display().to_string(),
            synced: None,
            drift: vec![],
            repository: None,
            interrupted: state::interrupted(&target),
        };
        return finish(out, args.output, &report);
    };
    let managed = st.hashes();
    let current = state::current_hashes(&target, managed.keys())?;
    let drift = plan::local_drift(&managed, &current)
        .into_iter()
        .map(|(path, kind)| DriftItem { path, kind })
        .collect();
    let repository = (!args.local).then(|| upstream(src, &st, &target));
    let report = Report {
        target: target.display().to_string(),
        synced: Some(Synced {
            origin: st.origin.clone(),
            at: st.synced_at.clone(),
        }),
        drift,
        repository,
        interrupted: state::interrupted(&target),
    };
    finish(out, args.output, &report)
}

/// Render what a sync would write now and count how it differs from what was synced.
fn upstream(src: &SourceArgs, st: &State, target: &Path) -> Upstream {
    let source = source_of(&st.origin, src);
    match desired(
        &source,
        selection_of(&st.origin),
        &placement_of(&st.origin),
        target,
    ) {
        Ok(want) => {
            let revision = want.origin.revision;
            let want: plan::Hashes = want
                .files
                .iter()
                .map(|(p, b)| (p.clone(), crate::hash::sha256_hex(b)))
                .collect();
            let managed = st.hashes();
            let paths: std::collections::BTreeSet<_> = want.keys().chain(managed.keys()).collect();
            let pending = paths
                .into_iter()
                .filter(|p| want.get(*p) != managed.get(*p))
                .count();
            Upstream {
                moved_on: revision != st.origin.revision,
                revision,
                pending_changes: Some(pending),
                error: None,
            }
        }
        Err(e) => Upstream {
            error: Some(e.report().trim_start_matches("error: ").to_string()),
            ..Upstream::default()
        },
    }
}

fn finish(out: &mut dyn Write, format: ReportFormat, r: &Report) -> Result<Exit, CliError> {
    let exit = if r.out_of_sync() {
        Exit::Findings
    } else {
        Exit::Ok
    };
    if structured_out(out, format, r)? {
        return Ok(exit);
    }
    writeln!(out, "target:      {}", r.target)?;
    if r.interrupted {
        writeln!(
            out,
            "interrupted: a sync or rollback did not finish; the next one undoes it first"
        )?;
    }
    let Some(s) = &r.synced else {
        writeln!(
            out,
            "synced:      never (run `claude-env sync --env ENV --team TEAM`)"
        )?;
        return Ok(exit);
    };
    writeln!(
        out,
        "synced:      {} @ {} from {} at {}",
        s.origin.selection(),
        short_rev(s.origin.revision.as_deref()),
        s.origin.repo,
        s.at
    )?;
    match &r.repository {
        None => {}
        Some(Upstream { error: Some(e), .. }) => writeln!(out, "repository:  not checked: {e}")?,
        Some(u) => {
            let rev = short_rev(u.revision.as_deref());
            let moved = if u.moved_on {
                format!("moved on to {rev}")
            } else {
                format!("at {rev}")
            };
            match u.pending_changes.unwrap_or(0) {
                0 => writeln!(out, "repository:  {moved}, nothing to sync")?,
                n => writeln!(
                    out,
                    "repository:  {moved}, {n} file(s) to sync (see `claude-env diff`, then `claude-env sync`)"
                )?,
            }
        }
    }
    if r.drift.is_empty() {
        writeln!(out, "local drift: none")?;
    } else {
        writeln!(
            out,
            "local drift: {} managed file(s) changed since the last sync:",
            r.drift.len()
        )?;
        for d in &r.drift {
            let kind = match d.kind {
                Drift::Modified => "modified",
                Drift::Missing => "missing",
            };
            writeln!(out, "  {kind:<9} {}", d.path)?;
        }
        writeln!(
            out,
            "(keep changes in local-overrides.yaml; `claude-env sync --force` restores the files, backing them up)"
        )?;
    }
    Ok(exit)
}
