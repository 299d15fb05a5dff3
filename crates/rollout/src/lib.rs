//! Pure rollout state machine: (state, observations, now) -> (state, actions).
//!
//! TODO: transition table.

pub mod action;
pub mod approval;
pub mod eval;
mod machine;
pub mod observe;
pub mod plan;
pub mod readiness;
pub mod split;
pub mod state;
pub mod verify;

pub use action::{Action, CheckTarget, FailureReason, RolloutResult, ServerSplit};
pub use machine::{Decision, decide, other};
pub use observe::{CheckResult, Observations, Outcome, Readiness, Role};
pub use plan::{CheckKind, CheckPlan, CheckSpec, Plan, PlanError, Step, StrategyPlan};
pub use split::{Split, canary_split};
pub use state::{RolloutState, Stage};
