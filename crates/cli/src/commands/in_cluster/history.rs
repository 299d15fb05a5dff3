//! `claude-env history NAME` in a cluster: the revisions the ClaudeEnvironment ran
//! (`status.history`: the controller's `--history-limit` newest, 10 by default), oldest
//! first like the local history, with who caused each (the approver, the rollback
//! requester, or `claude-env-controller`) and why.

use std::io::Write;

use jiff::Timestamp;

use crate::cli::HistoryArgs;
use crate::cluster::{Cluster, client, view};
use crate::commands::structured_out;
use crate::error::{CliError, Exit};

pub(crate) fn run(args: &HistoryArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let Some(name) = &args.name else {
        return Err(CliError::Usage(
            "history in a cluster needs the ClaudeEnvironment: claude-env history NAME [-n NAMESPACE]"
                .into(),
        ));
    };
    client::runtime()?.block_on(async {
        let cluster = Cluster::connect(&args.cluster.kube).await?;
        let namespace = cluster.namespace(args.cluster.namespace.as_deref());
        let env = cluster.get(&namespace, name).await?;
        let mut history = env.status.clone().unwrap_or_default().history;
        history.reverse();
        if structured_out(out, args.output, &history)? {
            return Ok(Exit::Ok);
        }
        if history.is_empty() {
            writeln!(out, "no history yet for {namespace}/{name}")?;
        } else {
            history.reverse();
            write!(out, "{}", view::history_table(&history, Timestamp::now()))?;
        }
        Ok(Exit::Ok)
    })
}
