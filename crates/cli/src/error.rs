//! Every way a command can fail, and how that maps to exit codes (docs/cli.md: 0 ok, 1 findings,
//! 2 usage or runtime error). Findings are not errors: a command that found validation
//! errors or drift returns [`Exit::Findings`].

use std::process::ExitCode;

use crate::environment::EnvError;
use crate::repo::RepoError;
use crate::sync::SyncError;
use crate::sync::state::StateError;

/// How a command that ran to completion ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok,
    /// Validation errors, drift, differences, conflicts: exit 1.
    Findings,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        match e {
            Exit::Ok => ExitCode::SUCCESS,
            Exit::Findings => ExitCode::from(1),
        }
    }
}

/// Runtime errors: exit 2, printed as `error: ...` with their causes.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Repo(#[from] RepoError),
    #[error(transparent)]
    Env(#[from] EnvError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error("cannot find the home directory: set HOME or pass --target")]
    NoHome,
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
    #[error("cannot serialize the output: {0}")]
    Serialize(String),
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    #[error(transparent)]
    Init(#[from] crate::commands::init::InitError),
    /// Arguments that parse but do not fit together.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// `error: <message>` then one `  caused by: <source>` line per cause.
    pub fn report(&self) -> String {
        let mut out = format!("error: {self}");
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            out.push_str(&format!("\n  caused by: {s}"));
            source = s.source();
        }
        out
    }

    /// The reader went away (`claude-env render | head`): not worth an error message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
