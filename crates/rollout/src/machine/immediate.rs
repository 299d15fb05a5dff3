//! Immediate: (approval when required) → apply everything → health-gate → Succeeded, or
//! restore the last known good revision.

use claude_env_api::RolloutPhase;

use super::Machine;
use crate::action::{Action, CheckTarget};
use crate::observe::Role;
use crate::readiness::expect_all;
use crate::state::{Stage, Verification};
use crate::verify::{self, POLL};
use claude_env_api::short_revision as short;

impl Machine<'_> {
    pub(super) fn immediate_start(&mut self) {
        if self.plan.approval_required && !self.s.manual {
            self.s.stage = Stage::AwaitingApproval;
            self.immediate_gate();
        } else {
            self.immediate_apply();
        }
    }

    /// Nothing is applied until the revision is approved.
    pub(super) fn immediate_gate(&mut self) {
        if self.gate("apply") {
            self.immediate_apply();
        }
    }

    fn immediate_apply(&mut self) {
        let revision = self.revision();
        self.actions.push(Action::ApplyAll {
            revision: revision.clone(),
        });
        self.s.stage = Stage::Applied {
            verify: Verification::new(self.obs.now),
        };
        self.s.phase = RolloutPhase::Progressing;
        self.s.message = Some(format!("applied revision {}", short(&revision)));
        if self.nothing_to_verify() {
            // No pods to become ready and no checks to run: the revision is verified as it
            // is applied, in this decision, not in the reconcile our own writes trigger.
            self.continue_stage();
        } else {
            self.wake(POLL);
        }
    }

    /// The revision runs no workloads (or scales them to zero) and no checks are configured.
    fn nothing_to_verify(&self) -> bool {
        self.obs.servers.values().all(|&replicas| replicas == 0)
            && self.plan.checks.checks.is_empty()
    }

    pub(super) fn immediate_verify(&mut self, mut verify: Verification) {
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
                with_checks: true,
                cohort_weight: None,
            },
            &mut self.s.consumed_approval,
            &mut self.actions,
        );
        self.s.stage = Stage::Applied { verify };
        if self.apply_verdict(verdict, &format!("verifying {}", short(&revision))) {
            self.succeed();
        }
    }
}
