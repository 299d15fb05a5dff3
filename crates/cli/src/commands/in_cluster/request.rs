//! What every steering command does once it knows its patch: print it (`--dry-run`), sign it
//! (the actor annotation, from SelfSubjectReview), send it, and with `--wait` watch the
//! ClaudeEnvironment until the controller has acted on it and the rollout has settled,
//! printing each change of the rollout on stderr; then report the outcome.
//!
//! `--wait` exits 1 when the environment is `Ready=False` once settled (the revision is
//! invalid, failed, was aborted, ...); a rollout paused for approval is not a finding. A
//! timeout is an error (exit 2) that says what was seen last.

use std::io::Write;

use claude_env_api::{ClaudeEnvironment, condition, short_revision};
use serde_json::Value;

use crate::cli::{ReportFormat, RequestArgs};
use crate::cluster::{Cluster, patch, progress, view};
use crate::commands::structured_out;
use crate::error::{CliError, Exit};
use crate::style;

/// What one steering request says about itself.
pub(super) struct Said<'a> {
    /// Printed once sent, e.g. `requested a retry of … (claude-env.io/retry=…)`.
    pub(super) sent: String,
    /// What `--wait` waits for, e.g. `the rollout of the retried revision`.
    pub(super) awaiting: &'a str,
    /// How the report begins once the controller acted, e.g. `retried team-a/payments`.
    pub(super) done: String,
}

/// One ClaudeEnvironment a request goes to.
#[derive(Clone, Copy)]
pub(super) struct Target<'a> {
    pub cluster: &'a Cluster,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl Target<'_> {
    /// `namespace/name`.
    pub(super) fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The request's patch with its actor annotation (if it has one) naming the caller, the
    /// user the API server knows this client as. When it cannot say, the patch goes without
    /// it (the admission policy, where installed, then refuses it and says why).
    pub(super) async fn signed(&self, request: &patch::Request) -> Value {
        if request.actor_key().is_none() {
            return request.patch();
        }
        match self.cluster.whoami().await {
            Ok(user) => request.patch_by(Some(&user)),
            Err(e) => {
                style::eprint_warning(&format!("{e}; sending the request without naming you"));
                request.patch()
            }
        }
    }

    /// The whole request once its patch is built: send it (or print it with `--dry-run`);
    /// without `--wait` say it was sent; with it, wait until `acted` holds and the rollout
    /// has settled, then report, exiting with `exit` of what was found.
    pub(super) async fn request(
        &self,
        args: &RequestArgs,
        patch: &Value,
        said: Said<'_>,
        acted: impl Fn(&ClaudeEnvironment) -> bool,
        exit: impl Fn(&ClaudeEnvironment) -> Exit,
        out: &mut dyn Write,
    ) -> Result<Exit, CliError> {
        let Some(env) = self.send(args, patch, out).await? else {
            return Ok(Exit::Ok);
        };
        if !args.wait.wait {
            return sent(out, args.output, &env, &said.sent);
        }
        anstream::eprintln!("{}", style::ok(&said.sent));
        let env = self.wait(args, said.awaiting, acted).await?;
        report(out, args.output, &env, &said.done, exit(&env))
    }

    /// Send the patch, or with `--dry-run` print it. `None`: nothing was sent.
    pub(super) async fn send(
        &self,
        args: &RequestArgs,
        patch: &Value,
        out: &mut dyn Write,
    ) -> Result<Option<ClaudeEnvironment>, CliError> {
        if args.dry_run {
            if !structured_out(out, args.output, patch)? {
                writeln!(
                    out,
                    "would patch ClaudeEnvironment {} (merge patch, nothing sent):\n{}",
                    self.id(),
                    serde_json::to_string_pretty(patch)
                        .map_err(|e| CliError::Serialize(e.to_string()))?
                )?;
            }
            return Ok(None);
        }
        Ok(Some(
            self.cluster.patch(self.namespace, self.name, patch).await?,
        ))
    }

    /// Watch until `acted` holds and the rollout has settled, printing each change of the
    /// rollout on stderr.
    pub(super) async fn wait(
        &self,
        args: &RequestArgs,
        what: &str,
        acted: impl Fn(&ClaudeEnvironment) -> bool,
    ) -> Result<ClaudeEnvironment, CliError> {
        let timeout = args.wait.timeout;
        anstream::eprintln!(
            "{}",
            style::waiting(&format!(
                "waiting for {what} (up to {})",
                humantime::format_duration(timeout)
            ))
        );
        let mut printer = progress::Printer::default();
        let env = self
            .cluster
            .wait_for(
                self.namespace,
                self.name,
                timeout,
                what,
                |e| acted(e) && progress::settled(e),
                |e| {
                    if let Some(line) = printer.next(e) {
                        anstream::eprintln!("  {line}");
                    }
                },
            )
            .await?;
        Ok(env)
    }
}

/// The request's result: with `-o json|yaml` the object; else `✔ <done>: <outcome>` (`✗`
/// when `exit` is a finding), and how to approve when the rollout waits for it.
pub(super) fn report(
    out: &mut dyn Write,
    format: ReportFormat,
    env: &ClaudeEnvironment,
    done: &str,
    exit: Exit,
) -> Result<Exit, CliError> {
    if structured_out(out, format, &view::for_output(env))? {
        return Ok(exit);
    }
    let line = format!("{done}: {}", progress::summary(env));
    let line = match exit {
        Exit::Ok => style::ok(&line),
        Exit::Findings => style::fail(&line),
    };
    writeln!(out, "{line}")?;
    let s = env.status.clone().unwrap_or_default();
    if let Some(w) = patch::waiting_for_approval(&s) {
        let ns = env.metadata.namespace.clone().unwrap_or_default();
        let name = env.metadata.name.clone().unwrap_or_default();
        writeln!(
            out,
            "{}",
            style::waiting(&format!(
                "the rollout of {} waits for approval: claude-env approve {name} -n {ns}",
                short_revision(w)
            ))
        )?;
    }
    Ok(exit)
}

/// A request was sent and not waited for: `✔ <sent>` (or the object with `-o`).
pub(super) fn sent(
    out: &mut dyn Write,
    format: ReportFormat,
    env: &ClaudeEnvironment,
    sent: &str,
) -> Result<Exit, CliError> {
    if !structured_out(out, format, &view::for_output(env))? {
        writeln!(out, "{}", style::ok(sent))?;
    }
    Ok(Exit::Ok)
}

/// `Ready=False` is a finding.
pub(super) fn exit(env: &ClaudeEnvironment) -> Exit {
    let failed = env
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == condition::READY))
        .is_some_and(|c| c.status == "False");
    if failed { Exit::Findings } else { Exit::Ok }
}
