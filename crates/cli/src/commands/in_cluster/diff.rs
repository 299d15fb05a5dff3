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

use claude_env_api::{ClaudeEnvironment, ClaudeEnvironmentSpec, duration};
use claude_env_config::Selection;
use claude_env_drift::{IgnoreRules, ObjectKey};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{DiffArgs, ReportFormat, SourceArgs};
use crate::cluster::objects;
use crate::cluster::{Cluster, client};
use crate::commands::{short_rev, structured_out};
use crate::environment::{self, Placement};
use crate::error::{CliError, Exit};
use crate::repo::LoadedRepo;
use claude_env_render::Manifest;

/// The controller's default (`spec.healthChecks.readiness.progressDeadline`).
const DEFAULT_PROGRESS_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

pub(crate) fn run(
    src: &SourceArgs,
    args: &DiffArgs,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.kube).await?;
        let ns = cluster.namespace(args.placement.namespace.as_deref());
        let name = instance_name(args)?;
        let env = match &args.name {
            Some(n) => Some(cluster.get(&ns, n).await?),
            None => cluster.get_opt(&ns, &name).await?,
        };
        let spec = env.as_ref().map(|e| &e.spec);
        let selection = selection(args, spec, &ns, &name)?;
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
        let (live, stale) = live_objects(&cluster, env.as_ref(), &desired).await?;
        let comparison = objects::compare(&desired, &live, &stale, &ignore);
        let exit = if comparison.differs() {
            Exit::Findings
        } else {
            Exit::Ok
        };
        let against = Against {
            namespace: &ns,
            name: &name,
            env: env.as_ref(),
        };
        if format != ReportFormat::Human {
            let report = Report::new(&against, &selection, &repo, &comparison);
            structured_out(out, format, &report)?;
            return Ok(exit);
        }
        write!(out, "{}", comparison.text)?;
        writeln!(
            out,
            "compared {selection} @ {} from {} with {}",
            short_rev(repo.revision.as_deref()),
            repo.repo,
            against.describe()
        )?;
        Ok(exit)
    })
}

/// NAME, else `--instance`, else `ENV-TEAM-PROJECT`.
fn instance_name(args: &DiffArgs) -> Result<String, CliError> {
    let sel = &args.selection;
    match (&args.name, &args.placement.instance, &sel.environment) {
        (Some(n), _, _) | (None, Some(n), _) => Ok(n.clone()),
        (None, None, Some(e)) => Ok([Some(e), sel.team.as_ref(), sel.project.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("-")),
        (None, None, None) => Err(CliError::Usage(
            "diff --cluster needs a NAME, --instance or --env".into(),
        )),
    }
}

/// The flags, else the ClaudeEnvironment's own layers.
fn selection(
    args: &DiffArgs,
    spec: Option<&ClaudeEnvironmentSpec>,
    ns: &str,
    name: &str,
) -> Result<Selection, CliError> {
    let sel = &args.selection;
    Ok(Selection {
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
    })
}

/// The live versions of the desired objects (those that exist), and of the inventory
/// objects no longer rendered.
async fn live_objects(
    cluster: &Cluster,
    env: Option<&ClaudeEnvironment>,
    desired: &[Manifest],
) -> Result<(HashMap<ObjectKey, Value>, Vec<(ObjectKey, Value)>), CliError> {
    let mut live = HashMap::new();
    for d in desired {
        if let Some(v) = cluster.live_object(&d.key).await? {
            live.insert(d.key.clone(), v);
        }
    }
    let mut stale = Vec::new();
    for e in stale_entries(env, desired)? {
        if let Some(v) = cluster.live_object(&e).await? {
            stale.push((e, v));
        }
    }
    Ok((live, stale))
}

/// What the repository was compared with.
struct Against<'a> {
    namespace: &'a str,
    name: &'a str,
    env: Option<&'a ClaudeEnvironment>,
}

impl Against<'_> {
    fn applied(&self) -> Option<&str> {
        self.env?.status.as_ref()?.last_applied_revision.as_deref()
    }

    fn describe(&self) -> String {
        let (ns, name) = (self.namespace, self.name);
        match self.env {
            Some(_) => format!(
                "ClaudeEnvironment {ns}/{name} (applied {})",
                short_rev(self.applied())
            ),
            None => format!("namespace {ns} (no ClaudeEnvironment {name} there)"),
        }
    }
}

/// `diff --cluster -o json|yaml`: what differs, for scripts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    namespace: &'a str,
    name: &'a str,
    /// Whether the ClaudeEnvironment exists (else the flags described it).
    exists: bool,
    applied_revision: Option<&'a str>,
    selection: String,
    repository: &'a str,
    revision: Option<&'a str>,
    differs: bool,
    managed_fields: u64,
    drifted_fields: u64,
    percentage: f64,
    /// The differing fields, most severe first (at most 50).
    items: &'a [claude_env_api::DriftItem],
    /// Inventory objects no longer rendered: the next apply prunes them.
    stale: Vec<String>,
}

impl<'a> Report<'a> {
    fn new(
        against: &'a Against<'a>,
        selection: &Selection,
        repo: &'a LoadedRepo,
        c: &'a objects::Comparison,
    ) -> Self {
        Report {
            namespace: against.namespace,
            name: against.name,
            exists: against.env.is_some(),
            applied_revision: against.applied(),
            selection: selection.to_string(),
            repository: &repo.repo,
            revision: repo.revision.as_deref(),
            differs: c.differs(),
            managed_fields: c.report.managed_leaves,
            drifted_fields: c.report.drifted_leaves,
            percentage: c.report.percentage(),
            items: &c.report.items,
            stale: c.stale.iter().map(ToString::to_string).collect(),
        }
    }
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
