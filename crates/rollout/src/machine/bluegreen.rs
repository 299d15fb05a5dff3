//! Blue-green: deploy the new revision on the preview colour → verify through the preview
//! Service → (approval when required or without auto-promotion) → switch the active
//! Service → verify again while the old colour is kept for `scaleDownDelay` → scale the old
//! colour down. A failure before the switch never switches; after it, it flips back.

use claude_env_api::{Color, RolloutPhase};

use super::{Machine, other};
use crate::action::{Action, CheckTarget};
use crate::observe::Role;
use crate::plan::StrategyPlan;
use crate::readiness::{after, elapsed, expect_all};
use crate::state::{Stage, Verification};
use crate::verify::{self, POLL};
use claude_env_api::short_revision as short;

impl Machine<'_> {
    fn blue_green(&self) -> (bool, std::time::Duration) {
        match &self.plan.strategy {
            StrategyPlan::BlueGreen {
                auto_promotion,
                scale_down_delay,
            } => (*auto_promotion, *scale_down_delay),
            _ => (true, std::time::Duration::ZERO),
        }
    }

    pub(super) fn preview_start(&mut self) {
        let color = self.s.active_color.map_or(Color::Blue, other);
        let revision = self.revision();
        self.actions.push(Action::DeployColor {
            color,
            revision: revision.clone(),
        });
        self.s.stage = Stage::Preview {
            color,
            verify: Verification::new(self.obs.now),
        };
        self.s.phase = RolloutPhase::Progressing;
        self.s.message = Some(format!(
            "deployed {} on the {color:?} preview",
            short(&revision)
        ));
        self.wake(POLL);
    }

    pub(super) fn preview(&mut self, color: Color, mut verify: Verification) {
        let revision = self.revision();
        let expect = expect_all(&self.obs.servers, Role::Color(color), |n| n);
        let verdict = verify::verify(
            &mut verify,
            &verify::Input {
                plan: &self.plan.checks,
                obs: self.obs,
                revision: &revision,
                expect: &expect,
                target: CheckTarget::Preview,
                with_checks: true,
                cohort_weight: None,
            },
            &mut self.s.consumed_approval,
            &mut self.actions,
        );
        self.s.stage = Stage::Preview { color, verify };
        let doing = format!("verifying {} on the {color:?} preview", short(&revision));
        if !self.apply_verdict(verdict, &doing) {
            return;
        }
        let (auto, _) = self.blue_green();
        let needs_approval = !auto || self.plan.approval_required;
        if needs_approval && !self.gate(&format!("switch to {color:?}: preview verified")) {
            return;
        }
        self.switch(color);
    }

    fn switch(&mut self, color: Color) {
        let previous = self.s.active_color;
        self.actions.push(Action::SwitchActive { color });
        self.s.active_color = Some(color);
        self.s.stage = Stage::Switched {
            color,
            previous,
            switched_at: self.obs.now,
            verify: Verification::new(self.obs.now),
        };
        self.s.phase = RolloutPhase::Promoting;
        self.s.message = Some(format!(
            "switched to {color:?} ({})",
            short(&self.revision())
        ));
        self.wake(POLL);
    }

    pub(super) fn switched(&mut self) {
        let Stage::Switched {
            color,
            previous,
            switched_at,
            mut verify,
        } = self.s.stage.clone()
        else {
            return;
        };
        let revision = self.revision();
        let expect = expect_all(&self.obs.servers, Role::Color(color), |n| n);
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
        self.s.stage = Stage::Switched {
            color,
            previous,
            switched_at,
            verify,
        };
        let doing = format!(
            "verifying {} after the switch to {color:?}",
            short(&revision)
        );
        if !self.apply_verdict(verdict, &doing) {
            if self.s.phase == RolloutPhase::Progressing {
                self.s.phase = RolloutPhase::Promoting;
            }
            return;
        }
        let (_, delay) = self.blue_green();
        let end = after(switched_at, delay);
        if self.obs.now < end {
            let left = elapsed(self.obs.now, end);
            self.s.phase = RolloutPhase::Promoting;
            self.s.message = Some(format!(
                "{doing}: keeping {} for {}s more",
                previous.map_or("nothing".into(), |c| format!("{c:?}")),
                left.as_secs()
            ));
            self.wake(left);
            return;
        }
        if let Some(old) = previous {
            self.actions.push(Action::ScaleDownColor { color: old });
        }
        self.succeed();
    }
}
