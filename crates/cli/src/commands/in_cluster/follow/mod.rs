//! `claude-env sync NAME -n NS [--watch]`: a workstation following a ClaudeEnvironment.
//!
//! Each sync reads the environment, works out the revision this user should hold (cohort
//! bucket and rollout state: `claude_env_rollout::assignment`), writes that revision's files
//! from the config ConfigMap the controller rendered with the usual engine (atomic, backed
//! up, local edits never overwritten without `--force`), runs the doctor, and reports it
//! all in the user's ClaudeWorkstation. `--watch` does that whenever the environment
//! changes (a watch, not polling), and reports a heartbeat in between.

use std::io::Write;
use std::path::PathBuf;

use claude_env_api::{ClaudeEnvironment, DoctorReport, RevisionConfig, Track};
use claude_env_rollout::{RolloutState, assignment, cohort};

use super::super::{short_rev, target_dir};
use crate::cli::SyncArgs;
use crate::cluster::{Cluster, client};
use crate::error::{CliError, Exit};
use crate::follow::record::Held;
use crate::sync::engine::{self, Options, Outcome};
use crate::sync::fs::RealFs;
use crate::sync::state;

mod check;
mod watch;

use check::origin_of;

pub(crate) fn run(args: &SyncArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let name = args.name.clone().unwrap_or_default();
    if let Some(kind) = args.print_service {
        return watch::print_service(args, kind, out);
    }
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.kube).await?;
        let namespace = cluster.namespace(args.placement.namespace.as_deref());
        let user = cluster.whoami().await?;
        let mut f = Follower {
            target: target_dir(args.target.target.as_deref())?,
            bucket: cohort::bucket(&namespace, &name, &user),
            cluster,
            namespace,
            name,
            user,
            args,
            doctor: None,
        };
        if args.watch {
            f.watch(out).await
        } else {
            let env = f.cluster.get(&f.namespace, &f.name).await?;
            let done = f.sync(&env, out).await?;
            f.report(&done).await?;
            Ok(done.exit)
        }
    })
}

/// One workstation following one environment.
struct Follower<'a> {
    cluster: Cluster,
    namespace: String,
    name: String,
    user: String,
    bucket: u8,
    target: PathBuf,
    args: &'a SyncArgs,
    /// The last doctor report (a heartbeat or an up-to-date sync reuses it).
    doctor: Option<DoctorReport>,
}

/// What one sync did, for the record and the exit code.
struct Synced {
    held: Option<Held>,
    synced_at: Option<jiff::Timestamp>,
    message: Option<String>,
    exit: Exit,
}

impl Follower<'_> {
    /// Make the target hold what `env` says this workstation should, and check it.
    async fn sync(
        &mut self,
        env: &ClaudeEnvironment,
        out: &mut dyn Write,
    ) -> Result<Synced, CliError> {
        let Some((held, config)) = self.wanted(env) else {
            let message = format!(
                "{}/{} has no revision for workstations yet (nothing applied, or a controller that does not publish status.configMaps)",
                self.namespace, self.name
            );
            writeln!(out, "{message}")?;
            return Ok(self.unchanged(env, Some(message), Exit::Findings));
        };
        let want = match self.files(&config).await {
            Ok(w) => w,
            Err(e) => {
                let message = e.report();
                writeln!(out, "{message}")?;
                return Ok(self.unchanged(env, Some(message), Exit::Findings));
            }
        };
        let origin = origin_of(env, &held.revision);
        let now = jiff::Timestamp::now();
        super::super::warn_if_interrupted(&self.target, self.args.dry_run);
        let outcome = engine::sync(
            &RealFs,
            &self.target,
            &want.files,
            &origin,
            want.document.as_ref(),
            Options {
                force: self.args.force,
                dry_run: self.args.dry_run,
            },
            now,
        )?;
        self.tell(out, &outcome, &held, &want.missing)?;
        match outcome {
            Outcome::Applied { .. } | Outcome::UpToDate(_) => {
                let fresh = matches!(outcome, Outcome::Applied { .. });
                let exit = self.check(&held, fresh, out).await?;
                Ok(Synced {
                    held: Some(held),
                    synced_at: Some(now),
                    message: None,
                    exit,
                })
            }
            Outcome::Blocked(plan) => {
                let paths: Vec<&str> = plan.conflicts.iter().map(|(p, _)| p.as_str()).collect();
                let message = format!(
                    "local changes block the sync to {}: {}",
                    short_rev(Some(&held.revision)),
                    paths.join(", ")
                );
                Ok(self.unchanged(env, Some(message), Exit::Findings))
            }
            Outcome::DryRun(_) => Ok(self.unchanged(env, None, Exit::Ok)),
        }
    }

    /// The revision to hold and where its files are.
    fn wanted(&self, env: &ClaudeEnvironment) -> Option<(Held, RevisionConfig)> {
        let status = env.status.as_ref()?;
        let state = RolloutState::from_status(status.rollout.as_ref());
        let (revision, track) = match assignment(&state, self.bucket) {
            Some(a) => (a.revision, a.track),
            // An environment reconciled before its rollout state was kept.
            None => (status.last_applied_revision.clone()?, Track::Stable),
        };
        let config = status
            .config_maps
            .iter()
            .find(|c| c.revision == revision)?
            .clone();
        let held = Held {
            revision,
            track,
            config_hash: Some(config.config_hash.clone()),
        };
        Some((held, config))
    }

    /// A sync that wrote nothing: the target still holds what its state says.
    fn unchanged(&self, env: &ClaudeEnvironment, message: Option<String>, exit: Exit) -> Synced {
        let synced = state::load_state(&self.target).ok().flatten().filter(|s| {
            s.origin.instance.as_deref() == Some(self.name.as_str())
                && s.origin.namespace.as_deref() == Some(self.namespace.as_str())
        });
        let rollout = env.status.as_ref().and_then(|s| s.rollout.as_ref());
        let state = RolloutState::from_status(rollout);
        let held = synced
            .as_ref()
            .and_then(|s| s.origin.revision.clone())
            .map(|revision| {
                let canary =
                    state.stage.in_flight() && state.revision.as_deref() == Some(revision.as_str());
                Held {
                    track: if canary { Track::Canary } else { Track::Stable },
                    revision,
                    config_hash: None,
                }
            });
        Synced {
            held,
            synced_at: synced.and_then(|s| s.synced_at.parse().ok()),
            message,
            exit,
        }
    }
}
