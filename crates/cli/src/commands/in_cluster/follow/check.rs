//! The parts of a workstation sync around the engine: the files to write, what to print,
//! the doctor, and the report in the ClaudeWorkstation.

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, DoctorResult, RevisionConfig, Track, WorkstationDrift};
use kube::ResourceExt;

use super::{Follower, Synced};
use crate::commands::{report as printer, short_rev};
use crate::doctor;
use crate::environment::{self, Files};
use crate::error::{CliError, Exit};
use crate::follow::files;
use crate::follow::record::{Held, Report};
use crate::sync::document::SyncedDocument;
use crate::sync::engine::Outcome;
use crate::sync::plan::local_drift;
use crate::sync::state::{self, Origin};

/// What the target should hold for one revision.
pub(super) struct Wanted {
    pub(super) files: Files,
    pub(super) document: Option<SyncedDocument>,
    /// `${VAR}`s left in the files for want of a value.
    pub(super) missing: Vec<String>,
}

/// The state's origin of a cluster sync: the environment's source and selection, the
/// revision, and the ClaudeEnvironment (instance and namespace).
pub(super) fn origin_of(env: &ClaudeEnvironment, revision: &str) -> Origin {
    let spec = &env.spec;
    Origin {
        repo: spec.source.url.clone(),
        path: spec.source.path.clone(),
        branch: spec.source.branch.clone(),
        revision: Some(revision.to_string()),
        environment: spec.environment.clone(),
        team: spec.team.clone(),
        project: spec.project.clone(),
        instance: Some(env.name_any()),
        namespace: env.namespace(),
    }
}

impl Follower<'_> {
    /// The revision's ConfigMap files with the user layer merged last and variables set.
    pub(super) async fn files(&self, config: &RevisionConfig) -> Result<Wanted, CliError> {
        let cm = self
            .cluster
            .config_map(&config.namespace, &config.name)
            .await?;
        let rendered = files::from_config_map(&cm);
        let user = environment::read_user_layer(&state::join(&self.target, state::USER_LAYER))?;
        let (merged_files, merged) = files::with_user_layer(&rendered, user)?;
        let (files, missing) = files::resolve(&merged_files, |v| std::env::var(v).ok());
        Ok(Wanted {
            files,
            document: merged.as_ref().map(SyncedDocument::from),
            missing,
        })
    }

    /// Print what a sync did.
    pub(super) fn tell(
        &self,
        out: &mut dyn Write,
        outcome: &Outcome,
        held: &Held,
        missing: &[String],
    ) -> Result<(), CliError> {
        let side = match held.track {
            Track::Stable => "stable",
            Track::Canary => "canary",
        };
        let done = format!(
            "synced {}/{} @ {} ({side}, cohort {}) into {}",
            self.namespace,
            self.name,
            short_rev(Some(&held.revision)),
            self.bucket,
            self.target.display()
        );
        let command = format!(
            "claude-env sync {} -n {} --target {}",
            self.name,
            self.namespace,
            self.target.display()
        );
        let hints = printer::Hints {
            command,
            diff: None,
        };
        printer::outcome(out, outcome, &self.target, &hints, &done)?;
        if !missing.is_empty() && !matches!(outcome, Outcome::Blocked(_)) {
            writeln!(
                out,
                "note: left for Claude Code's environment (not set here): {}",
                missing
                    .iter()
                    .map(|v| format!("${{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        Ok(())
    }

    /// Run the doctor after new files (or when it has not checked this revision yet).
    pub(super) async fn check(
        &mut self,
        held: &Held,
        fresh: bool,
        out: &mut dyn Write,
    ) -> Result<Exit, CliError> {
        let known = self
            .doctor
            .as_ref()
            .is_some_and(|d| d.revision.as_deref() == Some(held.revision.as_str()));
        if fresh || !known || !self.args.watch {
            let lookup = |v: &str| std::env::var(v).ok();
            let report = doctor::check(
                &self.target,
                Some(held.revision.clone()),
                self.args.doctor_timeout,
                &lookup,
            )
            .await;
            write!(out, "{}", doctor::describe(&report))?;
            self.doctor = Some(report);
        }
        Ok(match self.doctor.as_ref().map(|d| d.result) {
            Some(DoctorResult::Failing) => Exit::Findings,
            _ => Exit::Ok,
        })
    }

    /// Report this workstation: what it holds, its drift, the doctor, now.
    pub(super) async fn report(&self, done: &Synced) -> Result<(), CliError> {
        let user_layer = state::join(&self.target, state::USER_LAYER).is_file();
        let report = Report {
            user: self.user.clone(),
            namespace: self.namespace.clone(),
            environment: self.name.clone(),
            bucket: self.bucket,
            held: done.held.clone(),
            synced_at: done.synced_at,
            now: jiff::Timestamp::now(),
            drift: WorkstationDrift {
                modified_files: self.modified_files(),
                local_overrides: user_layer,
            },
            doctor: self
                .doctor
                .clone()
                .filter(|d| d.revision.as_ref() == done.held.as_ref().map(|h| &h.revision)),
            message: done.message.clone(),
        };
        if self.args.dry_run {
            return Ok(());
        }
        Ok(self.cluster.report(&report.object()).await?)
    }

    /// Managed files changed or deleted by hand since the last sync.
    fn modified_files(&self) -> Vec<String> {
        let Ok(Some(s)) = state::load_state(&self.target) else {
            return Vec::new();
        };
        let managed = s.hashes();
        let current = state::current_hashes(&self.target, managed.keys()).unwrap_or_default();
        local_drift(&managed, &current)
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }
}
