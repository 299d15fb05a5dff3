//! Canary: steps of `setWeight` (a replica split, verified: pods ready, checks passed) and
//! `pause` (a duration, or until approved); then (approval when required) promote the new
//! spec to the stable Deployments and wait for them. Readiness of the canary pods is watched
//! at every step, so a crash loop aborts during a pause too.

use claude_env_api::RolloutPhase;

use super::Machine;
use crate::action::{Action, CheckTarget, ServerSplit};
use crate::observe::Role;
use crate::plan::{Step, StrategyPlan};
use crate::readiness::{Expect, after, elapsed, expect_all};
use crate::split::canary_split;
use crate::state::{Stage, Verification};
use crate::verify::{self, POLL};
use claude_env_api::short_revision as short;

/// What the current step says after this decision.
enum Next {
    Stay,
    Advance,
}

impl<'a> Machine<'a> {
    fn steps(&self) -> &'a [Step] {
        match &self.plan.strategy {
            StrategyPlan::Canary { steps } => steps,
            _ => &[],
        }
    }

    pub(super) fn canary_start(&mut self) {
        self.s.stage = Stage::Canary {
            step: 0,
            weight: 0,
            entered_at: self.obs.now,
            verify: Verification::new(self.obs.now),
        };
        if !matches!(self.steps().first(), Some(Step::SetWeight(_))) {
            // The canary Deployments exist (at zero) from the start, so status and
            // `kubectl get` show what is rolling out even during a first pause.
            self.set_canary(0);
        }
        self.canary_enter(0);
        if !matches!(self.steps().first(), Some(Step::SetWeight(_))) {
            self.canary_continue();
        }
    }

    /// Evaluates the current step, advancing through steps that complete at once.
    pub(super) fn canary_continue(&mut self) {
        let max = self.steps().len() + 2;
        for _ in 0..max {
            let Stage::Canary { step, .. } = self.s.stage else {
                return;
            };
            match self.canary_step() {
                Next::Stay => return,
                Next::Advance => {
                    let next = step + 1;
                    if next > self.steps().len() {
                        self.promote();
                        return;
                    }
                    self.canary_enter(next);
                    // A new weight must be observed before it can be judged.
                    if matches!(self.steps().get(next), Some(Step::SetWeight(_))) {
                        return;
                    }
                }
            }
        }
    }

    fn canary_enter(&mut self, step: usize) {
        let Stage::Canary { weight, .. } = self.s.stage else {
            return;
        };
        let weight = match self.steps().get(step) {
            Some(Step::SetWeight(w)) => {
                self.set_canary(*w);
                self.wake(POLL);
                *w
            }
            _ => weight,
        };
        self.s.stage = Stage::Canary {
            step,
            weight,
            entered_at: self.obs.now,
            verify: Verification::new(self.obs.now),
        };
        self.s.phase = RolloutPhase::Progressing;
    }

    fn set_canary(&mut self, weight: u32) {
        let splits = self
            .obs
            .servers
            .iter()
            .map(|(server, n)| ServerSplit {
                server: server.clone(),
                split: canary_split(*n, weight),
            })
            .collect();
        self.actions.push(Action::SetCanary {
            revision: self.revision(),
            weight,
            splits,
        });
    }

    fn canary_step(&mut self) -> Next {
        let Stage::Canary {
            step,
            weight,
            entered_at,
            mut verify,
        } = self.s.stage.clone()
        else {
            return Next::Stay;
        };
        let revision = self.revision();
        let total = self.steps().len();
        let current = self.steps().get(step).copied();
        let expect: Vec<Expect> = self
            .obs
            .servers
            .iter()
            .map(|(server, n)| Expect {
                server: server.clone(),
                role: Role::Canary,
                replicas: canary_split(*n, weight).canary,
            })
            .collect();
        let with_checks = matches!(current, Some(Step::SetWeight(_)));
        let verdict = verify::verify(
            &mut verify,
            &verify::Input {
                plan: &self.plan.checks,
                obs: self.obs,
                revision: &revision,
                expect: &expect,
                target: CheckTarget::Service,
                with_checks,
                cohort_weight: Some(weight),
            },
            &mut self.s.consumed_approval,
            &mut self.actions,
        );
        self.s.stage = Stage::Canary {
            step,
            weight,
            entered_at,
            verify,
        };
        let doing = format!(
            "canary {} step {}/{total} at weight {weight}",
            short(&revision),
            step + 1
        );
        if !self.apply_verdict(verdict, &doing) {
            return Next::Stay;
        }
        match current {
            Some(Step::SetWeight(_)) => Next::Advance,
            Some(Step::Pause(Some(d))) => {
                let end = after(entered_at, d);
                if self.obs.now >= end {
                    return Next::Advance;
                }
                self.s.phase = RolloutPhase::Progressing;
                self.s.message = Some(format!(
                    "{doing}: paused for {}s more",
                    elapsed(self.obs.now, end).as_secs()
                ));
                self.wake(elapsed(self.obs.now, end));
                Next::Stay
            }
            Some(Step::Pause(None)) => {
                if self.gate(&format!("{doing}: paused")) {
                    Next::Advance
                } else {
                    Next::Stay
                }
            }
            // All steps done: the promotion gate.
            None => {
                if !self.plan.approval_required || self.gate(&format!("promote {doing}")) {
                    Next::Advance
                } else {
                    Next::Stay
                }
            }
        }
    }

    fn promote(&mut self) {
        let revision = self.revision();
        self.actions.push(Action::Promote {
            revision: revision.clone(),
        });
        self.s.stage = Stage::Promoting {
            verify: Verification::new(self.obs.now),
        };
        self.s.phase = RolloutPhase::Promoting;
        self.s.message = Some(format!("promoting {} to stable", short(&revision)));
        self.wake(POLL);
    }

    pub(super) fn canary_promoting(&mut self, mut verify: Verification) {
        let revision = self.revision();
        let expect = expect_all(&self.obs.servers, Role::Stable, |n| n);
        let verdict = verify::verify(
            &mut verify,
            &verify::Input {
                plan: &self.plan.checks,
                obs: self.obs,
                revision: &revision,
                expect: &expect,
                target: CheckTarget::Service,
                with_checks: false,
                cohort_weight: None,
            },
            &mut self.s.consumed_approval,
            &mut self.actions,
        );
        self.s.stage = Stage::Promoting { verify };
        let doing = format!("promoting {}", short(&revision));
        if self.apply_verdict(verdict, &doing) {
            self.succeed();
        } else if self.s.phase == RolloutPhase::Progressing {
            self.s.phase = RolloutPhase::Promoting;
        }
    }
}
