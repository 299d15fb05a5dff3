//! `decide`: one step of the rollout state machine. Shared transitions live here (a new
//! revision, a superseded or failed rollout, success, restore tracking); each strategy's
//! own stages live in its module.

mod bluegreen;
mod canary;
mod immediate;

use std::time::Duration;

use claude_env_api::{Color, RolloutPhase, RolloutStatus, StrategyType};

use crate::action::{Action, FailureReason, RolloutResult};
use crate::approval::Gate;
use crate::observe::{Observations, Role, names_revision};
use crate::plan::{Plan, StrategyPlan};
use crate::readiness::{self, Deadline, Ready, elapsed, expect_all};
use crate::state::{Restoring, RolloutState, Stage};
use crate::verify::{POLL, Verdict};
use claude_env_api::short_revision as short;

/// The outcome of one decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Persist this (as [`Decision::status`]) after executing the actions.
    pub state: RolloutState,
    /// Execute in order.
    pub actions: Vec<Action>,
    /// Decide again after this long at the latest (`None`: only on a change).
    pub requeue_after: Option<Duration>,
}

impl Decision {
    /// `status.rollout` to write.
    pub fn status(&self) -> RolloutStatus {
        self.state.to_status()
    }
}

/// The next state and actions for `state` given what was observed.
pub fn decide(plan: &Plan, state: &RolloutState, obs: &Observations) -> Decision {
    let mut m = Machine {
        plan,
        obs,
        s: state.clone(),
        actions: Vec::new(),
        requeue: None,
    };
    m.run();
    Decision {
        state: m.s,
        actions: m.actions,
        requeue_after: m.requeue,
    }
}

pub(crate) struct Machine<'a> {
    plan: &'a Plan,
    obs: &'a Observations,
    s: RolloutState,
    actions: Vec<Action>,
    requeue: Option<Duration>,
}

impl Machine<'_> {
    fn run(&mut self) {
        if self.s.stable.is_none() && !self.s.stage.in_flight() {
            self.s.stable = self.obs.last_known_good.clone();
        }
        self.handle_retry();
        self.track_restore();
        if self.abort_requested() {
            self.fail(
                FailureReason::Aborted,
                "aborted on request (claude-env.io/abort)".to_string(),
            );
        }
        let desired = self.obs.desired.clone();
        if !self.s.stage.in_flight() {
            self.start_or_hold(&desired);
            return;
        }
        let current = self.s.revision.clone().unwrap_or_default();
        let strategy_changed = !self.s.manual && self.s.strategy != Some(self.plan.strategy.kind());
        let manual_now = self.obs.manual_rollback && !self.s.manual;
        if current != desired || strategy_changed || manual_now {
            let why = if current != desired {
                format!("superseded by revision {}", short(&desired))
            } else if manual_now {
                "superseded by a manual rollback".to_string()
            } else {
                "the strategy changed".to_string()
            };
            let restarting = self.startable(&desired);
            self.supersede(&why, restarting);
            self.start_or_hold(&desired);
            return;
        }
        self.continue_stage();
    }

    fn continue_stage(&mut self) {
        match self.s.stage.clone() {
            Stage::Idle => {}
            Stage::AwaitingApproval => self.immediate_gate(),
            Stage::Applied { verify } => self.immediate_verify(verify),
            Stage::Canary { .. } => self.canary_continue(),
            Stage::Promoting { verify } => self.canary_promoting(verify),
            Stage::Preview { color, verify } => self.preview(color, verify),
            Stage::Switched { .. } => self.switched(),
        }
    }

    /// A retry names the failed revision: forget the rejection (each value acts once).
    fn handle_retry(&mut self) {
        let Some(value) = self.obs.retry.as_deref().filter(|v| !v.is_empty()) else {
            return;
        };
        if self.s.handled_retry.as_deref() == Some(value) {
            return;
        }
        self.s.handled_retry = Some(value.to_string());
        if let Some(failed) = self.s.failed_revision.clone()
            && names_revision(value, &failed)
        {
            self.s.failed_revision = None;
            self.event(
                false,
                "RetryRequested",
                format!("retrying revision {}", short(&failed)),
            );
        }
    }

    /// An `abort` value not seen before that names the revision in flight. Each value is
    /// spent when first seen, so one naming another revision (or arriving when nothing is
    /// in flight) never aborts a later rollout.
    fn abort_requested(&mut self) -> bool {
        let Some(value) = self.obs.abort.as_deref().filter(|v| !v.is_empty()) else {
            return false;
        };
        if self.s.handled_abort.as_deref() == Some(value) {
            return false;
        }
        self.s.handled_abort = Some(value.to_string());
        self.s.stage.in_flight() && names_revision(value, &self.revision())
    }

    /// Records the rollback duration once the restored revision is Available again.
    fn track_restore(&mut self) {
        let Some(r) = self.s.restoring.clone() else {
            return;
        };
        let role = r.color.map_or(Role::Stable, Role::Color);
        let expect = expect_all(&self.obs.servers, role, |n| n);
        let ready = !self.plan.checks.readiness
            || readiness::evaluate(
                &expect,
                &self.obs.readiness,
                self.obs.now,
                Deadline::none(r.started_at),
                true,
            ) == Ready::Ready;
        if ready {
            self.actions.push(Action::RecordRollbackDuration {
                reason: r.reason,
                started_at: r.started_at,
                duration: elapsed(r.started_at, self.obs.now),
            });
            self.s.restoring = None;
        } else {
            self.wake(POLL);
        }
    }

    /// Whether `desired` would start a rollout (not serving already, not rejected).
    fn startable(&self, desired: &str) -> bool {
        self.s.failed_revision.as_deref() != Some(desired)
            && self.s.stable.as_deref() != Some(desired)
    }

    fn start_or_hold(&mut self, desired: &str) {
        if self.s.failed_revision.as_deref() == Some(desired) {
            // No rollback loops: a rejected revision waits for a new commit or a retry.
            return;
        }
        if self.s.stable.as_deref() == Some(desired) {
            return;
        }
        self.start(desired);
    }

    fn start(&mut self, revision: &str) {
        self.s.revision = Some(revision.to_string());
        self.s.manual = self.obs.manual_rollback;
        self.s.strategy = Some(self.plan.strategy.kind());
        self.s.restoring = None;
        self.event(
            false,
            "RolloutStarted",
            format!(
                "rolling out revision {} ({:?}{})",
                short(revision),
                self.plan.strategy.kind(),
                if self.s.manual {
                    ", manual rollback"
                } else {
                    ""
                }
            ),
        );
        match &self.plan.strategy {
            StrategyPlan::BlueGreen { .. } => self.preview_start(),
            StrategyPlan::Canary { .. } if self.s.stable.is_some() && !self.s.manual => {
                self.canary_start()
            }
            // A first deploy has nothing to split traffic with; a manual rollback is about
            // speed: both apply at once and health-gate.
            _ => self.immediate_start(),
        }
    }

    /// Leaves the stable revision serving; `restarting`: a new rollout follows at once,
    /// so objects it will overwrite anyway are left alone.
    fn supersede(&mut self, why: &str, restarting: bool) {
        let stable = self.s.stable.clone();
        match self.s.stage.clone() {
            Stage::Idle | Stage::AwaitingApproval => {}
            Stage::Applied { .. } | Stage::Promoting { .. } => {
                if let Some(stable) = stable.filter(|_| !restarting) {
                    self.actions
                        .push(Action::RestoreStable { revision: stable });
                }
            }
            Stage::Canary { .. } => {
                if let Some(stable) = stable {
                    self.actions.push(Action::Abort { stable });
                }
            }
            Stage::Preview { color, .. } => {
                if !restarting {
                    self.actions.push(Action::ScaleDownColor { color });
                }
            }
            Stage::Switched {
                color, previous, ..
            } => {
                if let Some(old) = previous {
                    self.actions.push(Action::SwitchActive { color: old });
                    self.s.active_color = Some(old);
                    if !restarting {
                        self.actions.push(Action::ScaleDownColor { color });
                    }
                }
            }
        }
        let revision = self.s.revision.clone().unwrap_or_default();
        self.record_rollout(RolloutResult::Superseded);
        self.event(
            false,
            "RolloutSuperseded",
            format!("rollout of {} stopped: {why}", short(&revision)),
        );
        self.s.stage = Stage::Idle;
        self.s.phase = RolloutPhase::Idle;
        self.s.message = Some(format!("rollout of {} {why}", short(&revision)));
    }

    /// The revision in flight failed: return to stable without touching it when possible.
    fn fail(&mut self, reason: FailureReason, message: String) {
        let revision = self.s.revision.clone().unwrap_or_default();
        let stable = self.s.stable.clone().filter(|s| *s != revision);
        let mut restore_color = None;
        let restored = match self.s.stage.clone() {
            Stage::Idle => false,
            // Nothing of it was applied: the stable revision never stopped serving.
            Stage::AwaitingApproval => stable.is_some(),
            Stage::Applied { .. } | Stage::Promoting { .. } => match &stable {
                Some(stable) => {
                    self.actions.push(Action::RestoreStable {
                        revision: stable.clone(),
                    });
                    true
                }
                None => false,
            },
            Stage::Canary { .. } => match &stable {
                Some(stable) => {
                    self.actions.push(Action::Abort {
                        stable: stable.clone(),
                    });
                    true
                }
                None => false,
            },
            Stage::Preview { color, .. } => {
                // Never switched: the active colour still serves the stable revision.
                self.actions.push(Action::ScaleDownColor { color });
                restore_color = self.s.active_color;
                restore_color.is_some()
            }
            Stage::Switched {
                color, previous, ..
            } => match previous {
                Some(old) => {
                    self.actions.push(Action::SwitchActive { color: old });
                    self.actions.push(Action::ScaleDownColor { color });
                    self.s.active_color = Some(old);
                    restore_color = Some(old);
                    true
                }
                None => false,
            },
        };
        self.s.failed_revision = Some(revision.clone());
        self.s.stage = Stage::Idle;
        if restored && let Some(stable) = stable {
            self.s.phase = RolloutPhase::RolledBack;
            self.s.message = Some(format!(
                "revision {} rolled back to {}: {message}",
                short(&revision),
                short(&stable)
            ));
            self.actions.push(Action::RecordRollback { reason });
            self.s.restoring = Some(Restoring {
                reason,
                started_at: self.obs.now,
                revision: stable,
                color: restore_color,
            });
            self.record_rollout(RolloutResult::RolledBack);
            self.event(
                true,
                "RolledBack",
                self.s.message.clone().unwrap_or_default(),
            );
            self.wake(POLL);
        } else {
            self.s.phase = RolloutPhase::Failed;
            self.s.message = Some(format!(
                "revision {} failed and there is no earlier good revision to restore: {message}",
                short(&revision)
            ));
            self.record_rollout(RolloutResult::Failed);
            self.event(
                true,
                "RolloutFailed",
                self.s.message.clone().unwrap_or_default(),
            );
        }
    }

    fn succeed(&mut self) {
        let revision = self.s.revision.clone().unwrap_or_default();
        self.s.stable = Some(revision.clone());
        self.s.failed_revision = None;
        self.s.stage = Stage::Idle;
        self.s.phase = RolloutPhase::Succeeded;
        self.s.manual = false;
        self.s.message = Some(format!("revision {} rolled out", short(&revision)));
        self.record_rollout(RolloutResult::Success);
        // Started and done in one decision (nothing to wait for): one Event tells both.
        self.actions.retain(|a| {
            !matches!(
                a,
                Action::Event {
                    reason: "RolloutStarted",
                    ..
                }
            )
        });
        self.event(
            false,
            "RolloutSucceeded",
            self.s.message.clone().unwrap_or_default(),
        );
    }

    /// Maps a verification verdict onto phase and message; true when done.
    fn apply_verdict(&mut self, verdict: Verdict, doing: &str) -> bool {
        match verdict {
            Verdict::Done => return true,
            Verdict::Waiting { message, requeue } => {
                self.s.phase = RolloutPhase::Progressing;
                self.s.message = Some(format!("{doing}: {message}"));
                self.wake(requeue);
            }
            Verdict::Human(message) => {
                self.s.phase = RolloutPhase::Paused;
                self.s.message = Some(format!("{doing}: {message}"));
            }
            // Where it failed (which step, preview or after the switch) is half the story.
            Verdict::Failed(reason, message) => self.fail(reason, format!("{doing}: {message}")),
        }
        false
    }

    /// A human gate for the revision in flight: true if a fresh approval opens it.
    fn gate(&mut self, what: &str) -> bool {
        if self.s.manual {
            return true;
        }
        let revision = self.s.revision.clone().unwrap_or_default();
        let gate = Gate {
            approval: self.obs.approval.as_deref(),
            revision: &revision,
        };
        if gate.take(&mut self.s.consumed_approval) {
            self.event(
                false,
                "Approved",
                format!("{what}: approved for {}", short(&revision)),
            );
            return true;
        }
        self.s.phase = RolloutPhase::Paused;
        self.s.message = Some(gate.waiting_message(what, self.s.consumed_approval.as_deref()));
        false
    }

    fn record_rollout(&mut self, result: RolloutResult) {
        let strategy = if self.s.manual {
            StrategyType::Immediate
        } else {
            self.s.strategy.unwrap_or(self.plan.strategy.kind())
        };
        self.actions
            .push(Action::RecordRollout { strategy, result });
    }

    fn event(&mut self, warning: bool, reason: &'static str, message: String) {
        self.actions.push(Action::Event {
            warning,
            reason,
            message,
        });
    }

    fn wake(&mut self, after: Duration) {
        self.requeue = Some(self.requeue.map_or(after, |r| r.min(after)));
    }

    fn revision(&self) -> String {
        self.s.revision.clone().unwrap_or_default()
    }
}

/// The other colour.
pub fn other(c: Color) -> Color {
    match c {
        Color::Blue => Color::Green,
        Color::Green => Color::Blue,
    }
}
