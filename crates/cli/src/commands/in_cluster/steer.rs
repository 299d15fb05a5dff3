//! `reconcile`, `approve` and cluster `rollback`: set a steering annotation and, with
//! `--wait`, watch until the controller has acted on it and the rollout has settled (see
//! [`super::request`]). `approve` and `rollback` also set their actor annotation
//! (`claude-env.io/approved-by`, `claude-env.io/rollback-requested-by`) to the user the API
//! server knows the caller as (SelfSubjectReview): the admission policy requires it, and
//! history and the audit log name that user.

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, short_revision};
use jiff::Timestamp;

use super::request::{self, Said, Target};
use crate::cli::{ApproveArgs, ReconcileArgs, RequestArgs, RollbackArgs, WaitArgs};
use crate::cluster::patch;
use crate::cluster::{Cluster, ClusterError, client};
use crate::error::{CliError, Exit};
use crate::style;

pub(crate) fn reconcile(args: &ReconcileArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let e = &args.env;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&e.kube).await?;
        let ns = cluster.namespace(e.namespace.as_deref());
        let t = Target {
            cluster: &cluster,
            namespace: &ns,
            name: &e.name,
        };
        let request = patch::reconcile(Timestamp::now());
        let said = Said {
            sent: format!(
                "requested a reconcile of {} ({}={})",
                t.id(),
                request.key,
                request.value
            ),
            awaiting: "the controller to reconcile it",
            done: format!("reconciled {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::reconcile_done(env, &request);
        t.request(
            &args.request,
            &request.patch(),
            said,
            acted,
            request::exit,
            out,
        )
        .await
    })
}

pub(crate) fn approve(args: &ApproveArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    if args.security {
        return super::security::approve(args, out);
    }
    let e = &args.env;
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&e.kube).await?;
        let ns = cluster.namespace(e.namespace.as_deref());
        let t = Target {
            cluster: &cluster,
            namespace: &ns,
            name: &e.name,
        };
        let env = cluster.get(&ns, &e.name).await?;
        let approval = patch::approve(&env, args.revision.as_deref(), Timestamp::now())?;
        let revision = &approval.revision;
        let paused_on_it = approval.waiting.as_deref() == Some(revision.as_str());
        match &approval.waiting {
            Some(w) if w != revision => style::eprint_warning(&format!(
                "the rollout of {} is paused on {}; the controller ignores this approval of {} \
                 until that revision is the one waiting",
                t.id(),
                short_revision(w),
                short_revision(revision)
            )),
            None => style::eprint_note(&format!(
                "nothing in {} is waiting for approval now; {} is approved ahead of its rollout",
                t.id(),
                short_revision(revision)
            )),
            Some(_) => {}
        }
        if args.request.wait.wait && !paused_on_it {
            return Err(CliError::Usage(
                "approve --wait waits for the paused rollout to continue; nothing is paused on \
                 that revision"
                    .into(),
            ));
        }
        let patch = t.signed(&approval.request).await;
        let said = Said {
            sent: format!(
                "approved revision {} of {} ({}={})",
                short_revision(revision),
                t.id(),
                approval.request.key,
                approval.request.value
            ),
            awaiting: "the rollout to continue",
            done: format!("approved {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::approval_done(env, &approval.request);
        t.request(&args.request, &patch, said, acted, request::exit, out)
            .await
    })
}

pub(crate) fn rollback(args: &RollbackArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let Some(name) = &args.name else {
        return Err(CliError::Usage(
            "rollback in a cluster needs the ClaudeEnvironment: claude-env rollback NAME \
             [--to REV] [-n NAMESPACE]"
                .into(),
        ));
    };
    let request_args = RequestArgs {
        wait: WaitArgs {
            wait: args.wait.wait,
            timeout: args.wait.timeout,
        },
        dry_run: args.dry_run,
        output: args.output,
    };
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.cluster.kube).await?;
        let ns = cluster.namespace(args.cluster.namespace.as_deref());
        let t = Target {
            cluster: &cluster,
            namespace: &ns,
            name,
        };
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
        let patch = t.signed(&request).await;
        let said = Said {
            sent: format!(
                "requested a rollback of {} to {} ({}={})",
                t.id(),
                short_revision(&revision),
                request.key,
                request.value
            ),
            awaiting: &format!("{} running {}", t.id(), short_revision(&revision)),
            done: format!("rolled back {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::rollback_done(env, &request, &revision);
        t.request(&request_args, &patch, said, acted, request::exit, out)
            .await
    })
}
