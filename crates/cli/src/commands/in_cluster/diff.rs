//! `claude-env diff --cluster [NAME]`: the repository (`--repo`/`--rev`, default the current
//! directory) rendered as the controller would render it for a ClaudeEnvironment — its name
//! as the instance, its namespaces, its drift ignore rules and progress deadline — compared
//! with the live objects on the fields claude-env manages. Exit 1 when anything differs.
//!
//! Without NAME the ClaudeEnvironment is `--instance` (default `ENV-TEAM-PROJECT`) in `-n`;
//! if it does not exist, the flags alone describe it. `--env/--team/--project` override its
//! selection either way ("what would change if it pointed at this team?").

use std::collections::HashMap;
use std::io::Write;

use claude_env_api::{ClaudeEnvironment, duration};
use claude_env_config::Selection;
use claude_env_drift::{IgnoreRules, ObjectKey};

use crate::cli::{DiffArgs, SourceArgs};
use crate::cluster::objects;
use crate::cluster::{Cluster, client};
use crate::commands::short_rev;
use crate::environment::{self, Placement};
use crate::error::{CliError, Exit};
use crate::repo::LoadedRepo;
use claude_env_render::Manifest;

/// The controller's default (`spec.healthChecks.readiness.progressDeadline`).
const DEFAULT_PROGRESS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

pub fn run(src: &SourceArgs, args: &DiffArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.kube).await?;
        let ns = cluster.namespace(args.placement.namespace.as_deref());
        let sel = &args.selection;
        let name = match (&args.name, &args.placement.instance, &sel.environment) {
            (Some(n), _, _) | (None, Some(n), _) => n.clone(),
            (None, None, Some(e)) => [Some(e), sel.team.as_ref(), sel.project.as_ref()]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("-"),
            (None, None, None) => {
                return Err(CliError::Usage(
                    "diff --cluster needs a NAME, --instance or --env".into(),
                ));
            }
        };
        let env = match &args.name {
            Some(n) => Some(cluster.get(&ns, n).await?),
            None => cluster.get_opt(&ns, &name).await?,
        };
        let spec = env.as_ref().map(|e| &e.spec);
        let selection = Selection {
            environment: sel
                .environment
                .clone()
                .or_else(|| spec.map(|s| s.environment.clone()))
                .ok_or_else(|| {
                    CliError::Usage(format!(
                        "no ClaudeEnvironment {ns}/{name}: pass --env (and --team, --project)"
                    ))
                })?,
            team: sel
                .team
                .clone()
                .or_else(|| spec.and_then(|s| s.team.clone())),
            project: sel
                .project
                .clone()
                .or_else(|| spec.and_then(|s| s.project.clone())),
        };
        let (ignore, deadline) = policy(env.as_ref())?;

        let repo = LoadedRepo::load(src)?;
        let rendered = environment::load(&repo, selection.clone(), None)?.objects(
            &repo,
            &Placement {
                instance: Some(name.clone()),
                namespace: ns.clone(),
                target_namespace: spec.and_then(|s| s.target_namespace.clone()),
            },
        )?;
        let desired = claude_env_render::manifests(&rendered, deadline);

        let mut live = HashMap::new();
        for d in &desired {
            let k = &d.key;
            if let Some(v) = cluster.live_object(k).await? {
                live.insert(k.clone(), v);
            }
        }
        let mut stale = Vec::new();
        for e in stale_entries(env.as_ref(), &desired)? {
            if let Some(v) = cluster.live_object(&e).await? {
                stale.push((e, v));
            }
        }
        let comparison = objects::compare(&desired, &live, &stale, &ignore);
        write!(out, "{}", comparison.text)?;
        let against = match &env {
            Some(e) => format!(
                "ClaudeEnvironment {ns}/{name} (applied {})",
                short_rev(
                    e.status
                        .as_ref()
                        .and_then(|s| s.last_applied_revision.as_deref())
                )
            ),
            None => format!("namespace {ns} (no ClaudeEnvironment {name} there)"),
        };
        writeln!(
            out,
            "compared {selection} @ {} from {} with {against}",
            short_rev(repo.revision.as_deref()),
            repo.repo
        )?;
        Ok(if comparison.differs() {
            Exit::Findings
        } else {
            Exit::Ok
        })
    })
}

/// The environment's drift ignore rules and progress deadline (defaults without one).
fn policy(env: Option<&ClaudeEnvironment>) -> Result<(IgnoreRules, std::time::Duration), CliError> {
    let Some(env) = env else {
        return Ok((IgnoreRules::default(), DEFAULT_PROGRESS_DEADLINE));
    };
    let rules = env
        .spec
        .drift_policy
        .as_ref()
        .map(|d| d.ignore.clone())
        .unwrap_or_default();
    let ignore = IgnoreRules::parse(&rules).map_err(|errs| {
        CliError::Usage(format!(
            "spec.driftPolicy.ignore: {}",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))
    })?;
    let deadline = env
        .spec
        .health_checks
        .as_ref()
        .and_then(|h| h.readiness.as_ref())
        .and_then(|r| r.progress_deadline.as_deref());
    let deadline = duration::or_default(deadline, DEFAULT_PROGRESS_DEADLINE).map_err(|e| {
        CliError::Usage(format!("spec.healthChecks.readiness.progressDeadline: {e}"))
    })?;
    Ok((ignore, deadline))
}

/// Inventory entries not rendered any more: what the next apply prunes.
fn stale_entries(
    env: Option<&ClaudeEnvironment>,
    desired: &[Manifest],
) -> Result<Vec<ObjectKey>, CliError> {
    let Some(inventory) = env
        .and_then(|e| e.status.as_ref())
        .and_then(|s| s.inventory.as_ref())
    else {
        return Ok(Vec::new());
    };
    let mut stale = Vec::new();
    for e in &inventory.entries {
        let key = e
            .key()
            .map_err(|err| CliError::Usage(format!("status.inventory: {err}")))?;
        if !desired.iter().any(|d| d.key == key) {
            stale.push(key);
        }
    }
    Ok(stale)
}
