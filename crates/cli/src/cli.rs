//! The command line, as clap parses it. Behaviour lives in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "claude-env",
    version,
    about = "Validate, render, diff and sync Claude Code + MCP environments from a layered config repository",
    after_help = "Exit codes: 0 ok, 1 findings (validation errors, drift, differences), 2 usage or runtime error."
)]
pub struct Cli {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the config repository is. Global: every command accepts these.
#[derive(Clone, Debug, Default, Args)]
pub struct SourceArgs {
    /// Config repository: a directory (default: the current one) or a Git URL
    /// (https://, ssh://, git@host:path, file://), fetched into a local cache.
    #[arg(long, global = true, value_name = "DIR|URL", env = "CLAUDE_ENV_REPO")]
    pub repo: Option<String>,
    /// Revision to load (commit, tag or branch). For a directory, loads that commit instead
    /// of the working tree.
    #[arg(long, global = true, value_name = "REV")]
    pub rev: Option<String>,
    /// Branch to load from a Git URL (default: the remote's default branch). With --rev: the
    /// branch whose history holds that commit.
    #[arg(long, global = true, value_name = "BRANCH")]
    pub branch: Option<String>,
    /// Subdirectory of the repository that holds claude-env.yaml.
    #[arg(long, global = true, value_name = "SUBDIR")]
    pub path: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the whole repository: syntax, schema, semantics, plain-text secrets.
    Validate(ValidateArgs),
    /// Render one environment: the files Claude Code reads, or the Kubernetes objects.
    Render(RenderArgs),
    /// Show how a local target (default ~/.claude) differs from the rendered environment.
    Diff(DiffArgs),
    /// Write the rendered environment into a local target (default ~/.claude), atomically.
    Sync(SyncArgs),
    /// Local drift of a synced target, and whether the repository moved on since.
    Status(StatusArgs),
    /// Restore a target to the state before its last sync or rollback (or a named backup).
    Rollback(RollbackArgs),
    /// List the syncs and rollbacks of a target.
    History(HistoryArgs),
}

/// Which layers make up the environment.
#[derive(Clone, Debug, Args)]
pub struct SelectionArgs {
    /// Environment (environments/<ENV>/).
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub environment: String,
    /// Team (teams/<TEAM>/).
    #[arg(long, short = 't')]
    pub team: Option<String>,
    /// Project (projects/<PROJECT>/).
    #[arg(long, short = 'p')]
    pub project: Option<String>,
}

/// Like [`SelectionArgs`], with the team required (a workstation belongs to a team).
#[derive(Clone, Debug, Args)]
pub struct TeamSelectionArgs {
    /// Environment (environments/<ENV>/).
    #[arg(long = "env", short = 'e', value_name = "ENV")]
    pub environment: String,
    /// Team (teams/<TEAM>/).
    #[arg(long, short = 't')]
    pub team: String,
    /// Project (projects/<PROJECT>/).
    #[arg(long, short = 'p')]
    pub project: Option<String>,
}

/// A local directory Claude Code reads.
#[derive(Clone, Debug, Default, Args)]
pub struct TargetArgs {
    /// Target directory [default: $HOME/.claude].
    #[arg(long, value_name = "DIR")]
    pub target: Option<PathBuf>,
}

/// Where the environment's objects go in a cluster; also names the in-cluster URLs that
/// mcp.json gives MCP servers with `deploy:`.
#[derive(Clone, Debug, Default, Args)]
pub struct PlacementArgs {
    /// Name of the ClaudeEnvironment (prefixes object names) [default: ENV-TEAM-PROJECT].
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
    /// Namespace the objects are created in.
    #[arg(long, short = 'n', value_name = "NAMESPACE", default_value = "default")]
    pub namespace: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Each file under a `==> path <==` header (objects: a YAML stream).
    #[default]
    Files,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Print every value with the layer and file:line that set it.
    #[arg(long, conflicts_with = "objects")]
    pub explain: bool,
    /// Render the Kubernetes objects (ConfigMap, Deployments, Services) instead of files.
    #[arg(long)]
    pub objects: bool,
    /// A user layer to merge last, as `sync` does with <target>/local-overrides.yaml.
    #[arg(long, value_name = "FILE")]
    pub user_layer: Option<PathBuf>,
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: RenderFormat,
    #[command(flatten)]
    pub placement: PlacementArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    #[command(flatten)]
    pub selection: TeamSelectionArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub placement: PlacementArgs,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    pub selection: TeamSelectionArgs,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Overwrite local changes to managed files (they are backed up first).
    #[arg(long)]
    pub force: bool,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub placement: PlacementArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only check local drift; do not load the repository.
    #[arg(long)]
    pub local: bool,
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// A backup id, or a revision (at least 4 characters of it) that was synced before.
    #[arg(long, value_name = "REV|BACKUP-ID")]
    pub to: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Overwrite local changes to managed files (they are backed up first).
    #[arg(long)]
    pub force: bool,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
