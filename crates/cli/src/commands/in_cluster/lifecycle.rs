//! `suspend`, `resume`, `retry` and `abort`.
//!
//! `suspend`/`resume` set `spec.suspend` (a merge patch of that one field; `resume` also sets
//! `claude-env.io/reconcile=<time>`, so the branch is fetched at once): while suspended the
//! controller fetches, applies, prunes and remediates nothing, and a rollout in flight stays
//! where it is. `retry` sets `claude-env.io/retry=<revision>@<time>` (a revision whose
//! rollout failed is not rolled out again until a new commit or a retry); `abort` sets
//! `claude-env.io/abort=<revision>@<time>` and its actor annotation
//! `claude-env.io/abort-requested-by` (the rollout in flight of that revision goes back to
//! the stable revision and the revision is marked failed, as an automatic rollback would).

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, short_revision};
use jiff::Timestamp;

use super::request::{self, Said, Target};
use crate::cli::{RetryArgs, SuspendArgs, TargetEnvironmentArgs};
use crate::cluster::{Cluster, client, patch, progress};
use crate::error::{CliError, Exit};
use crate::style;

/// `suspend` (`on`) and `resume`.
pub(crate) fn suspend(args: &SuspendArgs, on: bool, out: &mut dyn Write) -> Result<Exit, CliError> {
    let e = &args.env;
    let r = &args.request;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&e.kube).await?;
        let ns = cluster.namespace(e.namespace.as_deref());
        let t = Target {
            cluster: &cluster,
            namespace: &ns,
            name: &e.name,
        };
        let before = cluster.get(&ns, &e.name).await?;
        if before.spec.suspend == on && !r.dry_run {
            let state = if on { "suspended" } else { "not suspended" };
            style::eprint_note(&format!("{} is already {state}", t.id()));
        }
        // Resuming also asks for a reconcile: the branch is fetched at once, not at the end
        // of an interval that ran while nothing was reconciled.
        let reconcile = patch::reconcile(Timestamp::now());
        let mut body = patch::suspend(on);
        if !on {
            body["metadata"] = reconcile.patch()["metadata"].clone();
        }
        let Some(sent) = t.send(r, &body, out).await? else {
            return Ok(Exit::Ok);
        };
        let (done, what) = if on {
            ("suspended", "the controller to stop reconciling it")
        } else {
            ("resumed", "the controller to reconcile it")
        };
        let line = format!("{done} {} (spec.suspend={on})", t.id());
        if !r.wait.wait {
            return request::sent(out, r.output, &sent, &line);
        }
        anstream::eprintln!("{}", style::ok(&line));
        // The generation this patch made: the controller has acted once it observed it.
        let generation = sent.metadata.generation.unwrap_or_default();
        let observed = |env: &ClaudeEnvironment| {
            env.status
                .as_ref()
                .and_then(|s| s.observed_generation)
                .is_some_and(|g| g >= generation)
        };
        let env = if on {
            // Suspended: nothing moves any more, whatever the rollout's phase says.
            t.wait(r, what, |env| observed(env) && progress::seen_spec(env))
                .await?
        } else {
            t.wait(r, what, |env| {
                observed(env) && patch::reconcile_done(env, &reconcile)
            })
            .await?
        };
        request::report(
            out,
            r.output,
            &env,
            &format!("{done} {}", t.id()),
            request::exit(&env),
        )
    })
}

/// `retry`: the failed revision by default.
pub(crate) fn retry(args: &RetryArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let r = &args.request;
    client::runtime()?.block_on(async {
        let (cluster, ns) = connect(&args.env).await?;
        let t = target(&cluster, &ns, &args.env);
        let env = cluster.get(&ns, &args.env.name).await?;
        let steer = patch::retry(&env, args.revision.as_deref(), Timestamp::now())?;
        let failed = patch::rollout_state(&env).failed_revision;
        if failed.as_deref() != Some(steer.revision.as_str()) {
            style::eprint_warning(&format!(
                "{} is not the revision whose rollout failed in {} ({}); the controller spends \
                 this retry without effect",
                short_revision(&steer.revision),
                t.id(),
                failed.as_deref().map_or("none", short_revision)
            ));
        }
        let patch = t.signed(&steer.request).await;
        let said = Said {
            sent: format!(
                "requested a retry of {} in {} ({}={})",
                short_revision(&steer.revision),
                t.id(),
                steer.request.key,
                steer.request.value
            ),
            awaiting: "the rollout of the retried revision",
            done: format!("retried {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::retry_done(env, &steer.request);
        t.request(r, &patch, said, acted, request::exit, out).await
    })
}

/// `abort`: the revision in flight, named by whoever asks.
pub(crate) fn abort(args: &RetryArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let r = &args.request;
    client::runtime()?.block_on(async {
        let (cluster, ns) = connect(&args.env).await?;
        let t = target(&cluster, &ns, &args.env);
        let env = cluster.get(&ns, &args.env.name).await?;
        let steer = patch::abort(&env, args.revision.as_deref(), Timestamp::now())?;
        let patch = t.signed(&steer.request).await;
        let said = Said {
            sent: format!(
                "requested an abort of the rollout of {} in {} ({}={})",
                short_revision(&steer.revision),
                t.id(),
                steer.request.key,
                steer.request.value
            ),
            awaiting: "the controller to abort the rollout",
            done: format!("aborted the rollout in {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::abort_done(env, &steer.request);
        // Not Ready (rolled back, stalled on the rejected tip) is what was asked for.
        t.request(r, &patch, said, acted, |_| Exit::Ok, out).await
    })
}

async fn connect(e: &TargetEnvironmentArgs) -> Result<(Cluster, String), CliError> {
    let cluster = Cluster::connect(&e.kube).await?;
    let ns = cluster.namespace(e.namespace.as_deref());
    Ok((cluster, ns))
}

fn target<'a>(cluster: &'a Cluster, ns: &'a str, e: &'a TargetEnvironmentArgs) -> Target<'a> {
    Target {
        cluster,
        namespace: ns,
        name: &e.name,
    }
}
