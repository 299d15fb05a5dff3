//! `approve NAME --security`: set `claude-env.io/security-approve=<revision>@<now>` with its
//! actor annotation (`claude-env.io/security-approved-by`, from SelfSubjectReview), so an
//! environment with `spec.approval.security` lets a revision with security-class changes
//! roll out. The admission policy allows it only to users with the custom verb
//! `security-approve` (ClusterRole `claude-env-security-approver`). With `--wait`, watch
//! until the controller let the revision through and the rollout settled.

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, short_revision};
use jiff::Timestamp;

use super::request::{self, Said, Target};
use crate::cli::ApproveArgs;
use crate::cluster::{Cluster, client, patch};
use crate::error::{CliError, Exit};
use crate::style;

pub(crate) fn approve(args: &ApproveArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
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
        let approval = patch::security_approve(&env, args.revision.as_deref(), Timestamp::now())?;
        let revision = &approval.revision;
        let held = approval.waiting.as_deref() == Some(revision.as_str());
        if !held {
            style::eprint_note(&format!(
                "{} does not hold {} for a security approval now; it is approved ahead",
                t.id(),
                short_revision(revision)
            ));
            if args.request.wait.wait {
                return Err(CliError::Usage(
                    "approve --security --wait waits for a held revision to roll out; that \
                     revision is not held"
                        .into(),
                ));
            }
        }
        let patch = t.signed(&approval.request).await;
        let said = Said {
            sent: format!(
                "approved the security changes of revision {} of {} ({}={})",
                short_revision(revision),
                t.id(),
                approval.request.key,
                approval.request.value
            ),
            awaiting: "the revision to roll out",
            done: format!("approved the security changes of {}", t.id()),
        };
        let acted = |env: &ClaudeEnvironment| patch::security_approval_done(env, &approval.request);
        t.request(&args.request, &patch, said, acted, request::exit, out)
            .await
    })
}
