//! The command line, as clap parses it. Behaviour lives in [`crate::commands`].

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "claude-env",
    version,
    about = "Validate, render, diff and sync Claude Code + MCP environments from a layered config repository; steer them in a cluster",
    after_help = "Cluster mode: `status`, `history` and `rollback` act on ClaudeEnvironments in a cluster when given a NAME \
or any of --cluster, -n/--namespace, -A/--all-namespaces, --kubeconfig, --context (KUBECONFIG alone does not switch); \
`diff` when given a NAME, --cluster, --kubeconfig or --context. `reconcile`, `approve`, `suspend`, `resume`, `retry` and `abort` always act on a cluster.\n\
Output: colour and symbols (✔ ✗ ◎) on a terminal; NO_COLOR=1 turns colour off, CLICOLOR_FORCE=1 on.\n\
Exit codes: 0 ok, 1 findings (validation errors, drift, differences, environments not Ready), 2 usage or runtime error."
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
    /// Show how a local target (default ~/.claude) differs from the rendered environment; or
    /// how a ClaudeEnvironment's live objects differ from it (NAME, --cluster).
    Diff(DiffArgs),
    /// Write the rendered environment into a local target (default ~/.claude), atomically; or
    /// follow a ClaudeEnvironment's rollout from this workstation (NAME).
    Sync(SyncArgs),
    /// Check the synced files work here: every MCP server answers initialize and tools/list,
    /// every ${VAR} is set.
    Doctor(DoctorArgs),
    /// Local drift of a synced target and whether the repository moved on since; or
    /// ClaudeEnvironments in a cluster (a table, or one in detail).
    Status(StatusArgs),
    /// Restore a target to the state before its last sync or rollback (or a named backup);
    /// or roll a ClaudeEnvironment back to a revision.
    Rollback(RollbackArgs),
    /// List the syncs and rollbacks of a target; or the revisions a ClaudeEnvironment ran.
    History(HistoryArgs),
    /// Ask the controller to fetch and reconcile a ClaudeEnvironment now.
    Reconcile(ReconcileArgs),
    /// Approve a ClaudeEnvironment's rollout waiting for approval.
    Approve(ApproveArgs),
    /// Stop reconciling a ClaudeEnvironment (spec.suspend=true): nothing is fetched,
    /// applied, pruned or remediated until `resume`.
    Suspend(SuspendArgs),
    /// Reconcile a suspended ClaudeEnvironment again (spec.suspend=false).
    Resume(SuspendArgs),
    /// Roll out a revision whose rollout failed or was aborted, again.
    Retry(RetryArgs),
    /// Abort the rollout in flight: back to the stable revision, the revision marked failed.
    Abort(RetryArgs),
    /// Print the CLI's version and the controller's in the cluster.
    Version(VersionArgs),
    /// Start a config repository, or add a team or project to one from a template.
    #[command(subcommand)]
    Init(InitCommand),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// Write a man page for every command into a directory.
    #[command(hide = true)]
    Man(ManArgs),
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

/// Like [`SelectionArgs`], with the team required (a workstation belongs to a team); `sync
/// NAME` takes the selection from the ClaudeEnvironment instead.
#[derive(Clone, Debug, Args)]
pub struct TeamSelectionArgs {
    /// Environment (environments/<ENV>/).
    #[arg(
        long = "env",
        short = 'e',
        value_name = "ENV",
        required_unless_present = "name",
        conflicts_with = "name"
    )]
    pub environment: Option<String>,
    /// Team (teams/<TEAM>/).
    #[arg(
        long,
        short = 't',
        required_unless_present = "name",
        conflicts_with = "name"
    )]
    pub team: Option<String>,
    /// Project (projects/<PROJECT>/).
    #[arg(long, short = 'p')]
    pub project: Option<String>,
}

/// `diff`'s selection: required locally; in a cluster the ClaudeEnvironment (NAME) provides it
/// and these override it; with `--base` they filter the selections reported.
#[derive(Clone, Debug, Default, Args)]
pub struct DiffSelectionArgs {
    /// Environment (environments/<ENV>/).
    #[arg(
        long = "env",
        short = 'e',
        value_name = "ENV",
        required_unless_present_any = ["name", "base"]
    )]
    pub environment: Option<String>,
    /// Team (teams/<TEAM>/); required for a local target.
    #[arg(
        long,
        short = 't',
        required_unless_present_any = ["name", "cluster", "kubeconfig", "context", "base"]
    )]
    pub team: Option<String>,
    /// Project (projects/<PROJECT>/).
    #[arg(long, short = 'p')]
    pub project: Option<String>,
}

/// How to reach a cluster, as kubectl does.
#[derive(Clone, Debug, Default, Args)]
pub struct KubeArgs {
    /// Kubeconfig file [default: $KUBECONFIG, else ~/.kube/config, else the in-cluster
    /// service account].
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context [default: the current context].
    #[arg(long, value_name = "CONTEXT")]
    pub context: Option<String>,
}

impl KubeArgs {
    pub fn given(&self) -> bool {
        self.kubeconfig.is_some() || self.context.is_some()
    }
}

/// How long `--wait` waits.
#[derive(Clone, Debug, Args)]
pub struct WaitArgs {
    /// Wait until the controller has acted on the request and the rollout has settled
    /// (succeeded, rolled back, or paused for approval), printing each change of the
    /// rollout on stderr; then print the outcome.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (e.g. 90s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = parse_duration, requires = "wait")]
    pub timeout: std::time::Duration,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s).map_err(|e| e.to_string())
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
    /// Namespace the objects are created in [default: default; in a cluster: the
    /// kubeconfig context's].
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

impl PlacementArgs {
    /// The namespace outside a cluster: `default` unless given.
    pub fn namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    #[default]
    Human,
    Json,
    Yaml,
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
#[command(group(ArgGroup::new("cluster_mode").multiple(true).args(["name", "cluster", "kubeconfig", "context"])))]
pub struct DiffArgs {
    /// A ClaudeEnvironment: diff the repository, rendered as it would render it, against
    /// the live objects in its cluster (implies --cluster).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Diff against the live objects in a cluster instead of a local target: the fields
    /// claude-env manages, and objects missing or no longer rendered.
    #[arg(long)]
    pub cluster: bool,
    #[command(flatten)]
    pub selection: DiffSelectionArgs,
    /// Target directory [default: $HOME/.claude].
    #[arg(long, value_name = "DIR", conflicts_with = "cluster_mode")]
    pub target: Option<PathBuf>,
    #[command(flatten)]
    pub placement: PlacementArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// Change-impact report: what the change from this revision to --head does to every
    /// environment × team × project of the repository (--env/--team/--project filter).
    #[arg(long, value_name = "REV", conflicts_with_all = ["cluster_mode", "target", "instance", "namespace"])]
    pub base: Option<String>,
    /// The revision to compare with --base [default: the working tree of a directory, the
    /// branch tip of a URL].
    #[arg(long, value_name = "REV", requires = "base")]
    pub head: Option<String>,
    /// Output format: of the impact report (text, json, yaml, markdown), of a diff against a
    /// local target (text; json/yaml: the files that differ and every change with its risk
    /// class), or against a cluster (text; json/yaml: every object that differs, with its
    /// differing fields).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ImpactFormat,
    /// Largest Markdown report, in bytes: past it, diffs and then whole environment
    /// sections are left out, with a note (GitHub comments hold 65,536 characters).
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = 60_000,
        requires = "base"
    )]
    pub max_size: usize,
}

/// How `diff` prints (`markdown`: the impact report of `--base` only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ImpactFormat {
    /// For a terminal.
    #[default]
    Text,
    /// Every selection (or file, or object) with its changes, for scripts.
    Json,
    /// As json, in YAML.
    Yaml,
    /// A pull-request comment: summary table, collapsed sections, size-capped.
    Markdown,
}

impl DiffArgs {
    pub fn is_cluster(&self) -> bool {
        self.name.is_some() || self.cluster || self.kube.given()
    }
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// A ClaudeEnvironment to follow: write the files of the revision this workstation should
    /// run (by the environment's rollout and this user's cohort), as the controller rendered
    /// them, and report back in a ClaudeWorkstation.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
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
    /// Apply security-class changes (permission widenings, new MCP servers, hooks, ...)
    /// without asking. Without it, sync asks on a terminal and refuses elsewhere.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Output format (json/yaml: the outcome, the file steps and every change with its risk
    /// class).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
    #[command(flatten)]
    pub placement: PlacementArgs,
    #[command(flatten)]
    pub kube: KubeArgs,
    /// With NAME: keep following the environment (a watch: approvals, promotions and
    /// rollbacks arrive within seconds), reporting a heartbeat.
    #[arg(long, requires = "name")]
    pub watch: bool,
    /// How often --watch reports that this workstation is alive.
    #[arg(long, value_name = "DURATION", default_value = "1m", value_parser = parse_duration, requires = "watch")]
    pub heartbeat: std::time::Duration,
    /// Print a user service that runs this --watch (systemd unit or launchd agent) and exit.
    #[arg(long, value_enum, value_name = "KIND", requires = "watch")]
    pub print_service: Option<ServiceKind>,
    /// How long the doctor gives each MCP server after a sync from a cluster.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration, requires = "name")]
    pub doctor_timeout: std::time::Duration,
}

impl SyncArgs {
    pub fn is_cluster(&self) -> bool {
        self.name.is_some()
    }
}

/// A user service definition for `sync NAME --watch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServiceKind {
    /// A systemd user unit (Linux).
    Systemd,
    /// A launchd agent (macOS).
    Launchd,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long each MCP server may take to start and answer.
    #[arg(long, value_name = "DURATION", default_value = "20s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Output format (json/yaml: the report a sync records in its ClaudeWorkstation).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

/// Which ClaudeEnvironments: `-n`, `-A` and how to reach the cluster. Any of these selects
/// cluster mode for `status`, `history` and `rollback`.
#[derive(Clone, Debug, Default, Args)]
pub struct ClusterArgs {
    /// Act on ClaudeEnvironments in a cluster (implied by a NAME and the flags below).
    #[arg(long)]
    pub cluster: bool,
    /// Namespace of the ClaudeEnvironment(s) [default: the kubeconfig context's].
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
}

impl ClusterArgs {
    pub fn given(&self) -> bool {
        self.cluster || self.namespace.is_some() || self.kube.given()
    }
}

/// The namespace of one named ClaudeEnvironment and how to reach its cluster.
#[derive(Clone, Debug, Default, Args)]
pub struct TargetEnvironmentArgs {
    /// The ClaudeEnvironment.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Its namespace [default: the kubeconfig context's].
    #[arg(long, short = 'n', value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("cluster_mode").multiple(true).args(["name", "cluster", "namespace", "all_namespaces", "kubeconfig", "context", "selector", "watch"])))]
pub struct StatusArgs {
    /// A ClaudeEnvironment to show in detail: conditions, drift items, rollout, inventory,
    /// history (cluster mode).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Every namespace (cluster mode).
    #[arg(long, short = 'A', conflicts_with_all = ["name", "namespace"])]
    pub all_namespaces: bool,
    /// Target directory [default: $HOME/.claude].
    #[arg(long, value_name = "DIR", conflicts_with = "cluster_mode")]
    pub target: Option<PathBuf>,
    /// Only check local drift; do not load the repository.
    #[arg(long, conflicts_with = "cluster_mode")]
    pub local: bool,
    /// Output format (json/yaml in a cluster: the ClaudeEnvironment objects).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
    /// With NAME: every workstation following it (user, revision, stable or canary, last
    /// seen, drift, doctor).
    #[arg(long, requires = "name")]
    pub workstations: bool,
    /// Only ClaudeEnvironments whose labels match this selector (`team=backend`,
    /// `tier in (prod),!canary`), as kubectl (cluster mode).
    #[arg(long, short = 'l', value_name = "SELECTOR", conflicts_with = "name")]
    pub selector: Option<String>,
    /// After the table (or the one environment), print a row each time one changes, until
    /// interrupted (cluster mode; with -o json/yaml: each object as it changes).
    #[arg(long, short = 'w')]
    pub watch: bool,
}

impl StatusArgs {
    pub fn is_cluster(&self) -> bool {
        self.name.is_some()
            || self.all_namespaces
            || self.cluster.given()
            || self.selector.is_some()
            || self.watch
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("cluster_mode").multiple(true).args(["name", "cluster", "namespace", "kubeconfig", "context", "wait"])))]
pub struct RollbackArgs {
    /// A ClaudeEnvironment to roll back (cluster mode).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// Locally: a backup id, or a revision (at least 4 characters of it) that was synced
    /// before. In a cluster: a commit (short SHAs are resolved by the controller), tag or
    /// branch [default: the newest revision in the history that succeeded before the one
    /// applied].
    #[arg(long, value_name = "REV|BACKUP-ID")]
    pub to: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Target directory [default: $HOME/.claude].
    #[arg(long, value_name = "DIR", conflicts_with = "cluster_mode")]
    pub target: Option<PathBuf>,
    /// Overwrite local changes to managed files (they are backed up first).
    #[arg(long, conflicts_with = "cluster_mode")]
    pub force: bool,
    /// Show what would change (in a cluster: the patch); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Output format (json/yaml: locally the outcome and the file steps; in a cluster the
    /// ClaudeEnvironment as the request left it, or as --wait found it).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

impl RollbackArgs {
    pub fn is_cluster(&self) -> bool {
        self.name.is_some() || self.cluster.given() || self.wait.wait
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("cluster_mode").multiple(true).args(["name", "cluster", "namespace", "kubeconfig", "context"])))]
pub struct HistoryArgs {
    /// A ClaudeEnvironment whose revisions to list (cluster mode).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Target directory [default: $HOME/.claude].
    #[arg(long, value_name = "DIR", conflicts_with = "cluster_mode")]
    pub target: Option<PathBuf>,
    /// Output format (json/yaml: the records, oldest first).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

impl HistoryArgs {
    pub fn is_cluster(&self) -> bool {
        self.name.is_some() || self.cluster.given()
    }
}

/// What every steering command takes besides its own arguments.
#[derive(Clone, Debug, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Print the patch; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format (json/yaml: the ClaudeEnvironment as the request left it, or as --wait
    /// found it; with --dry-run the patch).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub env: TargetEnvironmentArgs,
    #[command(flatten)]
    pub request: RequestArgs,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub env: TargetEnvironmentArgs,
    /// The revision to approve [default: the one the rollout is paused on, with --security
    /// the one held for a security approval]. Required when nothing is waiting (approving a
    /// revision ahead of its rollout).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Approve the revision's security-class changes (`claude-env.io/security-approve`,
    /// the ClusterRole claude-env-security-approver) instead of its rollout: what an
    /// environment with spec.approval.security waits for.
    #[arg(long)]
    pub security: bool,
    #[command(flatten)]
    pub request: RequestArgs,
}

/// `suspend` and `resume`.
#[derive(Debug, Args)]
pub struct SuspendArgs {
    #[command(flatten)]
    pub env: TargetEnvironmentArgs,
    #[command(flatten)]
    pub request: RequestArgs,
}

/// `retry` and `abort`.
#[derive(Debug, Args)]
pub struct RetryArgs {
    #[command(flatten)]
    pub env: TargetEnvironmentArgs,
    /// The revision (full SHA or a prefix of it) [default: retry: the revision whose rollout
    /// failed; abort: the revision in flight].
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    #[command(flatten)]
    pub request: RequestArgs,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Only the CLI's version; do not contact a cluster.
    #[arg(long)]
    pub client: bool,
    /// Where the controller runs [default: every namespace].
    #[arg(long, value_name = "NAMESPACE")]
    pub controller_namespace: Option<String>,
    #[command(flatten)]
    pub kube: KubeArgs,
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[derive(Debug, Subcommand)]
pub enum InitCommand {
    /// Write a new config repository into DIR: claude-env.yaml, base, environments, one team,
    /// one project, a README, CI for GitHub and GitLab, a pre-commit config and a first
    /// ClaudeEnvironment.
    Repo(InitRepoArgs),
    /// Add teams/NAME/ to the repository (--repo, default .) from a template.
    Team(InitTeamArgs),
    /// Add projects/NAME/ to the repository (--repo, default .) from a template.
    Project(InitProjectArgs),
    /// List the templates: the repository's own (templates/DIR/) and the built-in ones.
    Templates(InitTemplatesArgs),
}

/// How `init` asks and writes.
#[derive(Clone, Debug, Default, Args)]
pub struct InitModeArgs {
    /// Print what would be written; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Never prompt: take flags and defaults (also when stdin or stderr is not a terminal).
    #[arg(long)]
    pub no_input: bool,
}

#[derive(Debug, Args)]
pub struct InitRepoArgs {
    /// The directory to write (created if missing; existing files are never overwritten).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Environments, in promotion order.
    #[arg(
        long,
        value_name = "ENV,...",
        value_delimiter = ',',
        default_value = "development,staging,production"
    )]
    pub environments: Vec<String>,
    /// The first team [default: backend].
    #[arg(long, value_name = "NAME")]
    pub team: Option<String>,
    /// Template of the first team [default: backend].
    #[arg(long, value_name = "TEMPLATE")]
    pub team_template: Option<String>,
    /// The first project [default: example-service].
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// Template of the first project [default: minimal].
    #[arg(long, value_name = "TEMPLATE")]
    pub project_template: Option<String>,
    /// Who owns the configuration (metadata, CLAUDE.md, README) [default: platform-team].
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// The Git URL the controller will fetch, for the first ClaudeEnvironment
    /// [default: a placeholder to replace].
    #[arg(long, value_name = "URL")]
    pub source_url: Option<String>,
    /// Namespace of the first ClaudeEnvironment.
    #[arg(long, value_name = "NAMESPACE", default_value = "team-a")]
    pub namespace: String,
    #[command(flatten)]
    pub mode: InitModeArgs,
}

#[derive(Debug, Args)]
pub struct InitTeamArgs {
    /// The team (a directory name: lowercase letters, digits, `-`).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// A template of the repository (templates/T/) or a built-in one [default: minimal].
    #[arg(long, value_name = "T")]
    pub from_template: Option<String>,
    #[command(flatten)]
    pub mode: InitModeArgs,
}

#[derive(Debug, Args)]
pub struct InitProjectArgs {
    /// The project (a directory name: lowercase letters, digits, `-`).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// The team that owns it (must exist; recorded as metadata.team).
    #[arg(long, value_name = "T")]
    pub team: Option<String>,
    /// A template of the repository (templates/T/) or a built-in one [default: minimal].
    #[arg(long, value_name = "T")]
    pub from_template: Option<String>,
    #[command(flatten)]
    pub mode: InitModeArgs,
}

#[derive(Debug, Args)]
pub struct InitTemplatesArgs {
    /// Output format (json/yaml: `[{name, from, description}]`).
    #[arg(long, short = 'o', value_enum, default_value_t)]
    pub output: ReportFormat,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for. Install, e.g.:
    /// bash: `claude-env completion bash > ~/.local/share/bash-completion/completions/claude-env`;
    /// zsh: `claude-env completion zsh > "${fpath[1]}/_claude-env"`;
    /// fish: `claude-env completion fish > ~/.config/fish/completions/claude-env.fish`.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write claude-env.1, claude-env-validate.1, ... (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
