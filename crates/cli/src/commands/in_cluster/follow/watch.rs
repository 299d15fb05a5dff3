//! `sync NAME --watch`: follow the environment with a watch, sync when what this workstation
//! should hold changes, report a heartbeat in between; and the user service that runs it.

use std::io::Write;

use claude_env_api::ClaudeEnvironment;
use futures::{StreamExt, TryStreamExt};
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};

use super::{Follower, Synced};
use crate::cli::{ServiceKind, SyncArgs};
use crate::error::{CliError, Exit};
use crate::follow::service;

impl Follower<'_> {
    /// Follow until interrupted (or the watch ends).
    pub(super) async fn watch(&mut self, out: &mut dyn Write) -> Result<Exit, CliError> {
        eprintln!("{}", service::hint(&self.name, &self.namespace));
        let api: Api<ClaudeEnvironment> =
            Api::namespaced(self.cluster.client.clone(), &self.namespace);
        let config = watcher::Config::default().fields(&format!("metadata.name={}", self.name));
        let mut changes = watcher(api, config)
            .default_backoff()
            .applied_objects()
            .boxed();
        let mut heartbeat = tokio::time::interval(self.args.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        heartbeat.tick().await;
        let mut last: Option<(ClaudeEnvironment, Synced)> = None;
        loop {
            tokio::select! {
                change = changes.try_next() => match change {
                    Ok(Some(env)) => {
                        if self.wants_sync(&env, last.as_ref().map(|(_, s)| s)) {
                            let done = self.step(&env, out).await?;
                            last = Some((env, done));
                        } else if let Some((_, done)) = &last {
                            // Nothing to write: the new status still says "alive".
                            self.beat(done).await;
                        }
                    }
                    Ok(None) => return Ok(Exit::Ok),
                    Err(e) => eprintln!("warning: watching {}/{}: {e} (retrying)", self.namespace, self.name),
                },
                _ = heartbeat.tick() => {
                    match &last {
                        // A blocked or failed sync is tried again (edits resolved, ConfigMap readable).
                        Some((env, done)) if done.message.is_some() => {
                            let env = env.clone();
                            let done = self.step(&env, out).await?;
                            last = Some((env, done));
                        }
                        Some((_, done)) => self.beat(done).await,
                        None => {}
                    }
                }
                _ = tokio::signal::ctrl_c() => return Ok(Exit::Ok),
            }
        }
    }

    /// Sync, print, report (a report that fails is a warning: the next one retries).
    async fn step(
        &mut self,
        env: &ClaudeEnvironment,
        out: &mut dyn Write,
    ) -> Result<Synced, CliError> {
        writeln!(
            out,
            "[{}]",
            jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ")
        )?;
        let done = self.sync(env, out).await?;
        out.flush()?;
        if let Err(e) = self.report(&done).await {
            eprintln!("warning: {}", e.report());
        }
        Ok(done)
    }

    async fn beat(&self, done: &Synced) {
        if let Err(e) = self.report(done).await {
            eprintln!("warning: heartbeat: {}", e.report());
        }
    }

    /// Whether `env` asks for something other than what was last synced.
    fn wants_sync(&self, env: &ClaudeEnvironment, last: Option<&Synced>) -> bool {
        let Some(last) = last else { return true };
        let wanted = self.wanted(env).map(|(held, _)| held);
        match (wanted, &last.held) {
            (Some(w), Some(h)) => {
                w.revision != h.revision || w.track != h.track || last.message.is_some()
            }
            (None, None) => false,
            _ => true,
        }
    }
}

/// `--print-service KIND`: the unit or plist running this `--watch`.
pub(super) fn print_service(
    args: &SyncArgs,
    kind: ServiceKind,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let name = args.name.clone().unwrap_or_default();
    let exe = std::env::current_exe()?;
    let mut argv = vec!["sync".to_string(), name.clone()];
    let mut opt = |flag: &str, value: Option<String>| {
        if let Some(v) = value {
            argv.push(flag.to_string());
            argv.push(v);
        }
    };
    opt("-n", args.placement.namespace.clone());
    opt(
        "--target",
        args.target.target.as_ref().map(|t| t.display().to_string()),
    );
    opt(
        "--kubeconfig",
        args.kube
            .kubeconfig
            .as_ref()
            .map(|k| k.display().to_string()),
    );
    opt("--context", args.kube.context.clone());
    argv.push("--watch".into());
    let text = match kind {
        ServiceKind::Systemd => {
            service::systemd(&format!("claude-env follows {name}"), &exe, &argv)
        }
        ServiceKind::Launchd => service::launchd(&format!("io.claude-env.{name}"), &exe, &argv),
    };
    write!(out, "{text}")?;
    Ok(Exit::Ok)
}
