//! `reconcile`, `approve` and cluster `rollback`: set a steering annotation, and with
//! `--wait` wait until the controller has acted on it.
//!
//! `--wait` exits 1 when the environment is `Ready=False` once the controller acted (the
//! revision is invalid, failed, ...); `Ready=Unknown` (workloads still rolling out) is not a
//! finding. A timeout is an error (exit 2) that says what was seen last.

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, condition, short_revision};
use jiff::Timestamp;

use crate::cli::{ApproveArgs, KubeArgs, ReconcileArgs, RollbackArgs};
use crate::cluster::patch::{self, Request};
use crate::cluster::{Cluster, ClusterError, client};
use crate::error::{CliError, Exit};

pub fn reconcile(args: &ReconcileArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let e = &args.env;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&e.kube).await?;
        let ns = cluster.namespace(e.namespace.as_deref());
        let request = patch::reconcile(Timestamp::now());
        if args.dry_run {
            return dry_run(out, &ns, &e.name, &request);
        }
        cluster.patch(&ns, &e.name, &request.patch()).await?;
        writeln!(
            out,
            "requested a reconcile of {ns}/{} ({}={})",
            e.name, request.key, request.value
        )?;
        if !args.wait.wait {
            return Ok(Exit::Ok);
        }
        let env = cluster
            .wait_for(
                &ns,
                &e.name,
                args.wait.timeout,
                "the controller handling the reconcile request",
                |env| patch::reconcile_done(env, &request),
                outcome,
            )
            .await?;
        writeln!(out, "reconciled {ns}/{}: {}", e.name, outcome(&env))?;
        Ok(exit(&env))
    })
}

pub fn approve(args: &ApproveArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let e = &args.env;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&e.kube).await?;
        let ns = cluster.namespace(e.namespace.as_deref());
        let env = cluster.get(&ns, &e.name).await?;
        let approval = patch::approve(&env, args.revision.as_deref(), Timestamp::now())?;
        let revision = &approval.revision;
        match &approval.waiting {
            Some(w) if w != revision => eprintln!(
                "warning: the rollout of {ns}/{} is paused on {}; the controller ignores this \
                 approval of {} until that revision is the one waiting",
                e.name,
                short_revision(w),
                short_revision(revision)
            ),
            None => eprintln!(
                "note: nothing in {ns}/{} is waiting for approval now; {} is approved ahead of \
                 its rollout",
                e.name,
                short_revision(revision)
            ),
            Some(_) => {}
        }
        if args.dry_run {
            return dry_run(out, &ns, &e.name, &approval.request);
        }
        cluster
            .patch(&ns, &e.name, &approval.request.patch())
            .await?;
        writeln!(
            out,
            "approved revision {} of {ns}/{} ({}={})",
            short_revision(revision),
            e.name,
            approval.request.key,
            approval.request.value
        )?;
        Ok(Exit::Ok)
    })
}

pub fn rollback(args: &RollbackArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let Some(name) = &args.name else {
        return Err(CliError::Usage(
            "rollback in a cluster needs the ClaudeEnvironment: claude-env rollback NAME \
             [--to REV] [-n NAMESPACE]"
                .into(),
        ));
    };
    let kube: &KubeArgs = &args.cluster.kube;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(kube).await?;
        let ns = cluster.namespace(args.cluster.namespace.as_deref());
        let env = cluster.get(&ns, name).await?;
        let revision = match &args.to {
            Some(r) => r.clone(),
            None => patch::default_rollback_target(&env.status.clone().unwrap_or_default())
                .ok_or_else(|| ClusterError::NoRollbackTarget {
                    namespace: ns.clone(),
                    name: name.clone(),
                })?,
        };
        let request = patch::rollback(&revision, Timestamp::now())?;
        if args.dry_run {
            return dry_run(out, &ns, name, &request);
        }
        cluster.patch(&ns, name, &request.patch()).await?;
        writeln!(
            out,
            "requested a rollback of {ns}/{name} to {} ({}={})",
            short_revision(&revision),
            request.key,
            request.value
        )?;
        if !args.wait.wait {
            return Ok(Exit::Ok);
        }
        let what = format!("{ns}/{name} running {}", short_revision(&revision));
        let env = cluster
            .wait_for(
                &ns,
                name,
                args.wait.timeout,
                &what,
                |env| patch::rollback_done(env, &request, &revision),
                outcome,
            )
            .await?;
        writeln!(out, "rolled back {ns}/{name}: {}", outcome(&env))?;
        Ok(exit(&env))
    })
}

fn dry_run(out: &mut dyn Write, ns: &str, name: &str, r: &Request) -> Result<Exit, CliError> {
    writeln!(
        out,
        "would patch ClaudeEnvironment {ns}/{name} (merge patch, nothing sent):\n{}",
        serde_json::to_string_pretty(&r.patch()).map_err(|e| CliError::Serialize(e.to_string()))?
    )?;
    Ok(Exit::Ok)
}

/// `revision 1f2e3d4c5b6a, Ready=True (ReconciliationSucceeded: Applied revision ...)`.
fn outcome(env: &ClaudeEnvironment) -> String {
    let s = env.status.clone().unwrap_or_default();
    let revision = s
        .last_applied_revision
        .as_deref()
        .map_or("-".to_string(), |r| short_revision(r).to_string());
    let ready = s
        .conditions
        .iter()
        .find(|c| c.type_ == condition::READY)
        .map_or("no Ready condition yet".to_string(), |c| {
            let message = c.message.lines().next().unwrap_or_default();
            format!("Ready={} ({}: {message})", c.status, c.reason)
        });
    format!("revision {revision}, {ready}")
}

fn exit(env: &ClaudeEnvironment) -> Exit {
    let failed = env
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == condition::READY))
        .is_some_and(|c| c.status == "False");
    if failed { Exit::Findings } else { Exit::Ok }
}
