//! Sync and rollback: plan against the target's state, back up, apply in one transaction.

use std::collections::BTreeMap;
use std::path::Path;

use super::SyncError;
use super::backup::{self, Backup, BackupError, Manifest};
use super::document::SyncedDocument;
use super::fs::Fs;
use super::lock::Lock;
use super::plan::{self, Action, Hashes, Plan};
use super::state::{self, HistoryEntry, ManagedFile, Operation, Origin, State};
use super::txn::{self, Change, Expect};
use crate::hash::sha256_hex;

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Overwrite local changes (after backing them up).
    pub force: bool,
    /// Plan only.
    pub dry_run: bool,
}

#[derive(Debug)]
pub enum Outcome {
    /// The target already holds exactly this; nothing was written.
    UpToDate(Plan),
    /// Local changes block the operation; nothing was written.
    Blocked(Plan),
    /// `--dry-run`: what would happen.
    DryRun(Plan),
    Applied {
        plan: Plan,
        /// The backup of the state before.
        backup: String,
        /// Leftovers that could not be cleaned up (the change itself is complete).
        warnings: Vec<String>,
    },
}

/// Make `target`'s managed files `desired` (relative path → bytes), synced from `origin`;
/// `document` is the merged document they were rendered from, recorded in the state.
pub fn sync(
    fs: &dyn Fs,
    target: &Path,
    desired: &BTreeMap<String, Vec<u8>>,
    origin: &Origin,
    document: Option<&SyncedDocument>,
    opts: Options,
    now: jiff::Timestamp,
) -> Result<Outcome, SyncError> {
    if let Some(bad) = desired.keys().find(|p| !state::is_safe_path(p)) {
        return Err(SyncError::UnsafePath(bad.clone()));
    }
    if !opts.dry_run {
        std::fs::create_dir_all(target).map_err(|source| SyncError::CreateTarget {
            path: target.display().to_string(),
            source,
        })?;
    }
    let _lock = (!opts.dry_run)
        .then(|| Lock::take(fs, target))
        .transpose()?;
    let old = state::load_state(target)?;
    let want: Hashes = desired
        .iter()
        .map(|(p, b)| (p.clone(), sha256_hex(b)))
        .collect();
    let (plan, current) = plan_against(target, &want, old.as_ref(), opts.force)?;
    if plan.has_conflicts() {
        return Ok(Outcome::Blocked(plan));
    }
    // A new document with the same files is recorded too (no file is written), so the
    // next risk report compares with what was really synced.
    let unchanged = old.as_ref().is_some_and(|s| {
        s.origin == *origin && s.hashes() == want && s.document.as_ref() == document
    });
    if unchanged && plan.writes().next().is_none() {
        return Ok(Outcome::UpToDate(plan));
    }
    if opts.dry_run {
        return Ok(Outcome::DryRun(plan));
    }
    let new_state = State {
        version: state::STATE_VERSION,
        origin: origin.clone(),
        synced_at: state::format_time(now),
        files: want
            .iter()
            .map(|(p, h)| (p.clone(), ManagedFile { sha256: h.clone() }))
            .collect(),
        document: document.cloned(),
    };
    let contents = |p: &str| desired.get(p).cloned();
    let tx = Transaction {
        target,
        plan,
        current,
        old_state: old.as_ref(),
        operation: Operation::Sync,
        new_state: Some(new_state.to_bytes()),
        new_origin: Some(origin.clone()),
        now,
    };
    tx.run(fs, &contents)
}

/// Restore the newest backup, or the one `selector` names (backup id or revision prefix).
pub fn rollback(
    fs: &dyn Fs,
    target: &Path,
    selector: Option<&str>,
    opts: Options,
    now: jiff::Timestamp,
) -> Result<(Outcome, Manifest), SyncError> {
    if !target.is_dir() {
        return Err(BackupError::None(target.display().to_string()).into());
    }
    // Locked (and recovered) before listing: an interrupted operation's backup goes away.
    let _lock = (!opts.dry_run)
        .then(|| Lock::take(fs, target))
        .transpose()?;
    let backups = backup::list(target);
    let chosen = backup::select(target, &backups, selector)?;
    let Backup {
        manifest,
        files,
        state: state_bytes,
    } = backup::load(target, chosen)?;
    let old = state::load_state(target)?;
    let want: Hashes = files
        .iter()
        .map(|(p, b)| (p.clone(), sha256_hex(b)))
        .collect();
    let (plan, current) = plan_against(target, &want, old.as_ref(), opts.force)?;
    let outcome = if plan.has_conflicts() {
        Outcome::Blocked(plan)
    } else if opts.dry_run {
        Outcome::DryRun(plan)
    } else {
        let contents = |p: &str| files.get(p).cloned();
        let tx = Transaction {
            target,
            plan,
            current,
            old_state: old.as_ref(),
            operation: Operation::Rollback,
            new_state: state_bytes,
            new_origin: manifest.origin.clone(),
            now,
        };
        tx.run(fs, &contents)?
    };
    Ok((outcome, manifest))
}

/// Plan `want` against the target's state and disk; also returns the on-disk hashes.
fn plan_against(
    target: &Path,
    want: &Hashes,
    old: Option<&State>,
    force: bool,
) -> Result<(Plan, Hashes), SyncError> {
    let managed = old.map(State::hashes).unwrap_or_default();
    let current = state::current_hashes(target, want.keys().chain(managed.keys()))?;
    Ok((plan::plan(want, &managed, &current, force), current))
}

/// One sync or rollback, turned into a single transaction: backup, file changes, history
/// line, and `state.json` last.
struct Transaction<'a> {
    target: &'a Path,
    plan: Plan,
    current: Hashes,
    old_state: Option<&'a State>,
    operation: Operation,
    /// `None` removes `state.json` (rolling back to before the first sync).
    new_state: Option<Vec<u8>>,
    new_origin: Option<Origin>,
    now: jiff::Timestamp,
}

impl Transaction<'_> {
    fn run(
        self,
        fs: &dyn Fs,
        contents: &dyn Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<Outcome, SyncError> {
        // Everything managed before plus everything this operation writes, as it is now.
        let managed = self.old_state.into_iter().flat_map(|s| s.files.keys());
        let before: BTreeMap<String, Option<Vec<u8>>> = managed
            .chain(self.plan.writes().map(|s| &s.path))
            .map(|p| (p.clone(), std::fs::read(state::join(self.target, p)).ok()))
            .collect();
        let manifest = self.backup_manifest(&before);
        let state_path = state::join(self.target, state::STATE);
        let old_state_bytes = std::fs::read(&state_path).ok();
        let mut changes = backup::changes(&manifest, &before, old_state_bytes.as_deref());
        for step in self.plan.writes() {
            let expect = match self.current.get(&step.path) {
                Some(h) => Expect::Sha256(h.clone()),
                None => Expect::Absent,
            };
            let path = step.path.clone();
            changes.push(match (step.action, contents(&step.path)) {
                (Action::Create | Action::Update, Some(bytes)) => Change::Write {
                    path,
                    bytes,
                    expect,
                },
                _ => Change::Delete { path, expect },
            });
        }
        changes.push(self.history_change(&manifest.id)?);
        changes.push(match self.new_state {
            Some(bytes) => Change::Write {
                path: state::STATE.into(),
                bytes,
                expect: Expect::Anything,
            },
            None => Change::Delete {
                path: state::STATE.into(),
                expect: Expect::Anything,
            },
        });
        let warnings = txn::apply(fs, self.target, state::JOURNAL, &changes)?;
        Ok(Outcome::Applied {
            plan: self.plan,
            backup: manifest.id,
            warnings,
        })
    }

    fn backup_manifest(&self, before: &BTreeMap<String, Option<Vec<u8>>>) -> Manifest {
        let files = before
            .iter()
            .map(|(p, b)| (p.clone(), b.as_deref().map(sha256_hex)))
            .collect();
        let origin = self.old_state.map(|s| s.origin.clone());
        let revision = origin.as_ref().and_then(|o| o.revision.as_deref());
        Manifest {
            id: backup::new_id(self.now, revision, &backup::list(self.target)),
            created_at: state::format_time(self.now),
            before: self.operation,
            origin,
            files,
        }
    }

    fn history_change(&self, backup: &str) -> Result<Change, SyncError> {
        let count = |a: Action| self.plan.writes().filter(|s| s.action == a).count();
        let entry = HistoryEntry {
            time: state::format_time(self.now),
            action: self.operation,
            origin: self.new_origin.clone(),
            backup: backup.to_string(),
            created: count(Action::Create),
            updated: count(Action::Update),
            removed: count(Action::Remove),
            forced: self
                .plan
                .steps
                .iter()
                .filter(|s| s.forced.is_some())
                .map(|s| s.path.clone())
                .collect(),
        };
        let mut bytes = state::load_history_bytes(self.target)?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        bytes.extend(serde_json::to_vec(&entry).unwrap_or_default());
        bytes.push(b'\n');
        Ok(Change::Write {
            path: state::HISTORY.into(),
            bytes,
            expect: Expect::Anything,
        })
    }
}
