//! `claude-env status` in a cluster: a table of ClaudeEnvironments (`-n NS`, `-A`), or one
//! in detail (`status NAME`). Exit 1 when any shown is not Ready or has drifted.

use std::io::Write;

use jiff::Timestamp;

use crate::cli::StatusArgs;
use crate::cluster::{Cluster, client, view};
use crate::commands::structured_out;
use crate::error::{CliError, Exit};

pub fn run(args: &StatusArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.cluster.kube).await?;
        let namespace = cluster.namespace(args.cluster.namespace.as_deref());
        let now = Timestamp::now();
        if let Some(name) = &args.name {
            let env = cluster.get(&namespace, name).await?;
            if !structured_out(out, args.output, &view::for_output(&env))? {
                write!(out, "{}", view::details(&env, now))?;
            }
            return Ok(exit(std::slice::from_ref(&env)));
        }
        let scope = (!args.all_namespaces).then_some(namespace.as_str());
        let envs = cluster.list(scope).await?;
        if structured_out(out, args.output, &view::list_for_output(&envs))? {
            return Ok(exit(&envs));
        }
        if envs.is_empty() {
            match scope {
                Some(ns) => writeln!(out, "no ClaudeEnvironments in namespace {ns}")?,
                None => writeln!(out, "no ClaudeEnvironments in any namespace")?,
            }
        } else {
            write!(out, "{}", view::table(&envs, scope.is_none(), now))?;
        }
        Ok(exit(&envs))
    })
}

fn exit(envs: &[claude_env_api::ClaudeEnvironment]) -> Exit {
    if envs.iter().any(view::needs_attention) {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
