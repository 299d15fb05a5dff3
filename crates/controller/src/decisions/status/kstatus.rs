//! The kstatus vocabulary: the few condition patterns every observation is one of. Tools
//! that wait on kstatus (Flux's `wait`, `kubectl wait`, cli-utils) read them as:
//! Ready=True → Current; Reconciling=True → InProgress; Stalled=True → Failed.

use claude_env_api::{condition, reason};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::conditions::{self, Status};

/// The conditions of one status being built, with the generation and time they are for.
pub(super) struct Conditions<'a> {
    pub(super) all: &'a mut Vec<Condition>,
    pub(super) generation: Option<i64>,
    pub(super) now: &'a Time,
}

impl Conditions<'_> {
    pub(super) fn set(&mut self, type_: &str, status: Status, reason: &str, message: &str) {
        conditions::set(
            self.all,
            type_,
            status,
            reason,
            message,
            self.generation,
            self.now,
        );
    }

    pub(super) fn remove(&mut self, type_: &str) {
        conditions::remove(self.all, type_);
    }

    /// A failure a new attempt may fix (a fetch, an apply): not Ready, retrying.
    pub(super) fn retrying(&mut self, reason: &str, message: &str) {
        self.set(condition::READY, Status::False, reason, message);
        self.set(
            condition::RECONCILING,
            Status::True,
            reason::PROGRESSING_WITH_RETRY,
            message,
        );
        self.remove(condition::STALLED);
    }

    /// A failure only a change can fix (a new commit, a spec edit, the operator): not
    /// Ready, stalled, not retried.
    pub(super) fn stalled(&mut self, reason: &str, message: &str) {
        self.set(condition::READY, Status::False, reason, message);
        self.set(condition::STALLED, Status::True, reason, message);
        self.remove(condition::RECONCILING);
    }

    /// Work under way (a rollout step, a wait for dependencies): Ready is `ready`,
    /// reconciling, not stalled.
    pub(super) fn in_progress(&mut self, ready: Status, reason: &str, message: &str) {
        self.set(condition::READY, ready, reason, message);
        self.set(condition::RECONCILING, Status::True, reason, message);
        self.remove(condition::STALLED);
    }
}
