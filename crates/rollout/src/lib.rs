//! Pure rollout state machine: (state, observations, now) → (state, actions).
//!
//! [`decide`] is called on every reconcile with the [`Plan`] (the spec, parsed), the
//! [`RolloutState`] persisted in `status.rollout.state`, and the [`Observations`] (time,
//! desired revision, annotations, Deployment readiness per role, check results). It returns
//! the next state and the [`Action`]s the controller executes, in order. Nothing here does
//! IO or reads a clock, so every behaviour is a unit test.
//!
//! # Transitions
//!
//! | from | observed | to | actions |
//! |---|---|---|---|
//! | idle | desired = stable, or desired = failed revision (no retry) | idle | — |
//! | idle | new desired, Immediate (or Canary first deploy, or manual rollback) | Applied | `ApplyAll` |
//! | idle | new desired, Immediate, no workloads (or all at 0 replicas) and no checks | Succeeded | `ApplyAll`, `RecordRollout{success}` (nothing to wait for) |
//! | idle | new desired, Immediate, `approval.required` | AwaitingApproval (Paused) | — |
//! | AwaitingApproval | fresh approval of the revision | Applied | `ApplyAll` |
//! | idle | new desired, Canary | Canary step 0 | `SetCanary` (first weight, or 0) |
//! | idle | new desired, BlueGreen | Preview(other colour; blue first) | `DeployColor` |
//! | Applied / Canary setWeight / Preview / Switched | new pods not ready | same (Progressing) | — (requeue 5 s) |
//! | same | pods ready, checks incomplete and due | same | `RunChecks` |
//! | same | check results | same, counters updated | — |
//! | same | inconclusive result, policy Pause | same (Paused) | — until a fresh approval counts it as a pass |
//! | Applied | ready, checks done | Succeeded | `RecordRollout{success}` |
//! | Canary step k setWeight | ready, checks done | step k+1 | `SetCanary` when k+1 sets a weight |
//! | Canary step k pause{d} | d elapsed since the step began | step k+1 | as above |
//! | Canary step k pause{} | fresh approval | step k+1 | as above |
//! | Canary after last step | (`approval.required`: fresh approval) | Promoting | `Promote` |
//! | Promoting | stable Deployments ready on the new spec | Succeeded | `RecordRollout{success}` |
//! | Preview | ready, checks done (and a fresh approval without auto-promotion or with `approval.required`) | Switched (Promoting) | `SwitchActive` |
//! | Switched | checks done, `scaleDownDelay` elapsed | Succeeded | `ScaleDownColor(old)` |
//! | Applied / Promoting | failure | RolledBack (Failed without a stable) | `RestoreStable`, `RecordRollback` |
//! | Canary | failure | RolledBack | `Abort` (canary → 0, stable spec untouched), `RecordRollback` |
//! | Canary step (with `healthChecks.workstations`) | more than `maxFailing` cohort workstations report a failing doctor on the new revision | RolledBack | as above (reason `WorkstationsFailing`) |
//! | Preview | failure | RolledBack (Failed on a first deploy) | `ScaleDownColor(preview)` — never switched |
//! | Switched | failure | RolledBack | `SwitchActive(old)`, `ScaleDownColor(new)` |
//! | RolledBack (restoring) | restored Deployments Available | RolledBack | `RecordRollbackDuration` |
//! | any in flight | desired changed, strategy changed, or manual rollback | the new rollout | the abort of the old one (as above, stable kept), `RecordRollout{superseded}`, then the start of the new |
//! | RolledBack/Failed | `retry=<failed revision>` (new value) | starts it again | as a new revision |
//! | any in flight | `abort=<revision in flight>` (new value) | RolledBack (Failed without a stable) | as a failure (reason `Aborted`): back to stable, the revision rejected until a new commit or a retry |
//!
//! Workstations ([`workstations`]): with `healthChecks.workstations`, a canary `setWeight` step
//! with a weight above 0 also waits for `minHealthy` healthy doctor reports on the new
//! revision ([`Observations::workstations`]); which revision a workstation should hold is
//! [`assignment`], its cohort [`cohort::bucket`].
//!
//! Failures: crash-looping new pods and a progress deadline fail at once; a check fails when
//! its failures exceed its `failureLimit`, or after 4 errors in a row; a verification (one
//! step's readiness and checks) fails after `healthChecks.timeout`. Waiting for a human or
//! a timed pause never times out. A failed revision is not rolled out again until the
//! desired revision changes or a retry names it: no rollback loops.
//!
//! Approvals: each human gate consumes one `approve` value naming the revision in flight
//! (see [`approval`]); approvals of other revisions are ignored.

pub mod action;
pub mod approval;
pub mod cohort;
pub mod eval;
mod machine;
pub mod observe;
pub mod plan;
pub mod readiness;
pub mod split;
pub mod state;
pub mod verify;
pub mod workstations;

pub use action::{Action, CheckTarget, FailureReason, RolloutResult, ServerSplit};
pub use machine::{Decision, decide, other};
pub use observe::{CheckResult, Observations, Outcome, Readiness, Role};
pub use plan::{CheckKind, CheckPlan, CheckSpec, Plan, PlanError, Step, StrategyPlan};
pub use split::{Split, canary_split};
pub use state::{RolloutState, Stage};
pub use workstations::{Assignment, WorkstationGate, WorkstationReport, assignment};
