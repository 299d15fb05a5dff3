//! `claude-env status` in a cluster: a table of ClaudeEnvironments (`-n NS`, `-A`, `-l`), or
//! one in detail (`status NAME`). Exit 1 when any shown is not Ready or has drifted.
//!
//! `--watch` then prints a row each time one changes (as `kubectl get -w`), or for one
//! environment a line for each change of its rollout (as `--wait` does), until interrupted;
//! with `-o json|yaml`, each object as it changes.

use std::collections::HashMap;
use std::io::Write;

use claude_env_api::ClaudeEnvironment;
use futures::StreamExt;
use jiff::Timestamp;

use crate::cli::StatusArgs;
use crate::cluster::{Cluster, client, progress, view};
use crate::commands::structured_out;
use crate::error::{CliError, Exit};

pub(crate) fn run(args: &StatusArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.cluster.kube).await?;
        let namespace = cluster.namespace(args.cluster.namespace.as_deref());
        let scope = (!args.all_namespaces).then_some(namespace.as_str());
        let selector = args.selector.as_deref();
        let now = Timestamp::now();
        let envs = match &args.name {
            Some(name) => {
                let env = cluster.get(&namespace, name).await?;
                if !structured_out(out, args.output, &view::for_output(&env))? {
                    write!(out, "{}", view::details(&env, now))?;
                }
                vec![env]
            }
            None => {
                let envs = cluster.list(scope, selector).await?;
                if !structured_out(out, args.output, &view::list_for_output(&envs))? {
                    write!(out, "{}", list(&envs, scope, selector, now))?;
                }
                envs
            }
        };
        if !args.watch {
            return Ok(exit(&envs));
        }
        out.flush()?;
        watch(&cluster, args, scope, &envs, out).await
    })
}

/// The table, or a line saying there is nothing to show.
fn list(
    envs: &[ClaudeEnvironment],
    scope: Option<&str>,
    selector: Option<&str>,
    now: Timestamp,
) -> String {
    if !envs.is_empty() {
        return view::table(envs, scope.is_none(), now);
    }
    let matching = selector.map_or(String::new(), |s| format!(" matching {s}"));
    match scope {
        Some(ns) => format!("no ClaudeEnvironments{matching} in namespace {ns}\n"),
        None => format!("no ClaudeEnvironments{matching} in any namespace\n"),
    }
}

/// Rows (or objects) as they change, until the watch fails or the process is interrupted.
async fn watch(
    cluster: &Cluster,
    args: &StatusArgs,
    scope: Option<&str>,
    shown: &[ClaudeEnvironment],
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let namespaces = scope.is_none();
    let now = Timestamp::now();
    // What was shown last per object, so the watch's initial listing repeats nothing.
    let mut versions: HashMap<Key, Option<String>> = shown
        .iter()
        .map(|e| (key(e), e.metadata.resource_version.clone()))
        .collect();
    let mut rows: HashMap<Key, Vec<String>> = shown
        .iter()
        .map(|e| (key(e), view::row_for(e, namespaces, now)))
        .collect();
    let widths = view::widths(namespaces, rows.values());
    // One environment in detail: then a line per change of its rollout, as --wait prints.
    let mut printer = progress::Printer::default();
    if args.name.is_some() {
        shown.iter().for_each(|e| drop(printer.next(e)));
    }
    let mut stream = cluster.watch(scope, args.selector.as_deref()).boxed();
    while let Some(env) = stream.next().await {
        let env = env?;
        let k = key(&env);
        if args.name.as_ref().is_some_and(|n| *n != k.1)
            || versions.get(&k) == Some(&env.metadata.resource_version)
        {
            continue;
        }
        versions.insert(k.clone(), env.metadata.resource_version.clone());
        if structured_out(out, args.output, &view::for_output(&env))? {
            out.flush()?;
            continue;
        }
        if args.name.is_some() {
            if let Some(line) = printer.next(&env) {
                writeln!(out, "{line}")?;
                out.flush()?;
            }
            continue;
        }
        let row = view::row_for(&env, namespaces, Timestamp::now());
        if rows.get(&k) != Some(&row) {
            write!(out, "{}", view::aligned_row(&row, &widths))?;
            out.flush()?;
            rows.insert(k, row);
        }
    }
    Ok(Exit::Ok)
}

/// Namespace and name.
type Key = (String, String);

fn key(env: &ClaudeEnvironment) -> Key {
    (
        env.metadata.namespace.clone().unwrap_or_default(),
        env.metadata.name.clone().unwrap_or_default(),
    )
}

fn exit(envs: &[ClaudeEnvironment]) -> Exit {
    if envs.iter().any(view::needs_attention) {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
