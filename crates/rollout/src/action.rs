//! What a decision asks the controller to do. Actions are listed in the order to execute
//! them; each is idempotent (applying one twice is harmless), because a controller that
//! dies between executing actions and writing status runs the decision again.

use std::time::Duration;

use claude_env_api::{Color, StrategyType};
use jiff::Timestamp;

use crate::observe::Outcome;
use crate::plan::CheckKind;
use crate::split::Split;

/// Replicas per side for one server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSplit {
    pub server: String,
    pub split: Split,
}

/// Which pods checks of a `server:` target should reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckTarget {
    /// The server's Service `<instance>-<server>` (stable and canary pods, or the active
    /// colour after a blue-green switch).
    Service,
    /// The preview Service `<instance>-<server>-preview` (blue-green before the switch).
    Preview,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Immediate: apply every object of `revision` (what the controller always did).
    ApplyAll { revision: String },
    /// Rollback (Immediate, or a failure after promotion): apply `revision`'s objects again
    /// (its ConfigMap and the stable Deployments' specs at full replicas).
    RestoreStable { revision: String },
    /// Canary step: the canary Deployments run `revision` at `split.canary` replicas, the
    /// stable Deployments keep their spec (never touched) at `split.stable` replicas.
    SetCanary {
        revision: String,
        weight: u32,
        splits: Vec<ServerSplit>,
    },
    /// Canary done: `revision` becomes the stable Deployments' spec at full replicas; the
    /// canary Deployments go to zero.
    Promote { revision: String },
    /// Canary failed or superseded: canary Deployments to zero, stable back to full replicas
    /// with its spec untouched.
    Abort { stable: String },
    /// Blue-green: run `revision` on the `color` Deployments at full replicas; the preview
    /// Service selects `color`.
    DeployColor { color: Color, revision: String },
    /// Blue-green: the active Service selects `color` (promotion, or a rollback flip).
    SwitchActive { color: Color },
    /// Blue-green: the `color` Deployments to zero replicas.
    ScaleDownColor { color: Color },
    /// Run these checks for `revision` now and report the results in the next
    /// [`crate::Observations::results`].
    RunChecks {
        revision: String,
        checks: Vec<String>,
        target: CheckTarget,
    },
    /// `health_check_total{check,result}` for a check the machine itself evaluates
    /// (readiness); the IO side counts the checks it runs.
    RecordCheck { check: CheckKind, outcome: Outcome },
    /// `rollouts_total{strategy,result}`.
    RecordRollout {
        strategy: StrategyType,
        result: RolloutResult,
    },
    /// `rollbacks_total{reason}`: a rollback was decided now.
    RecordRollback { reason: FailureReason },
    /// `rollback_duration_seconds`: the stable revision is restored and Available again.
    RecordRollbackDuration {
        reason: FailureReason,
        started_at: Timestamp,
        duration: Duration,
    },
    /// A Kubernetes Event on the ClaudeEnvironment.
    Event {
        warning: bool,
        reason: &'static str,
        message: String,
    },
}

/// How one rollout ended (`result` label of `rollouts_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RolloutResult {
    Success,
    /// Failed and the previous revision was restored.
    RolledBack,
    /// Failed with nothing to restore (first deploy).
    Failed,
    /// A newer revision arrived first.
    Superseded,
}

impl RolloutResult {
    pub fn label(self) -> &'static str {
        match self {
            RolloutResult::Success => "success",
            RolloutResult::RolledBack => "rolledback",
            RolloutResult::Failed => "failed",
            RolloutResult::Superseded => "superseded",
        }
    }
}

/// Why a revision failed (`reason` label of `rollbacks_total`: bounded, no messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum FailureReason {
    /// New pods crash-loop or fail.
    CrashLoop,
    /// New pods not Available within the progress deadline.
    ProgressDeadline,
    /// A check failed more often than its failure limit.
    CheckFailed,
    /// A check could not run, [`crate::plan::CONSECUTIVE_ERROR_LIMIT`] times in a row.
    CheckError,
    /// Verification did not finish within `healthChecks.timeout`.
    Timeout,
    /// More of the canary cohort's workstations report a failing doctor than
    /// `healthChecks.workstations.maxFailing`.
    WorkstationsFailing,
    /// Someone aborted the rollout (`claude-env.io/abort`).
    Aborted,
}

impl FailureReason {
    pub fn label(self) -> &'static str {
        match self {
            FailureReason::CrashLoop => "crashloop",
            FailureReason::ProgressDeadline => "progress_deadline",
            FailureReason::CheckFailed => "check_failed",
            FailureReason::CheckError => "check_error",
            FailureReason::Timeout => "timeout",
            FailureReason::WorkstationsFailing => "workstations_failing",
            FailureReason::Aborted => "aborted",
        }
    }
}

/// `strategy` label of `rollouts_total`.
pub fn strategy_label(s: StrategyType) -> &'static str {
    match s {
        StrategyType::Immediate => "immediate",
        StrategyType::BlueGreen => "bluegreen",
        StrategyType::Canary => "canary",
    }
}
