//! A provider's `Ready` condition: True after a delivery, False with why the last one
//! failed. Written only when it changes (a steady stream of deliveries writes nothing).

use claude_env_api::{FIELD_MANAGER, NotificationProvider, reason};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;
use tracing::warn;

const READY: &str = "Ready";

/// How the last delivery went.
pub(super) struct Verdict {
    ok: bool,
    reason: &'static str,
    message: String,
}

impl Verdict {
    pub(super) fn delivered() -> Verdict {
        Verdict {
            ok: true,
            reason: reason::DELIVERY_SUCCEEDED,
            message: "the last notification was delivered".into(),
        }
    }

    pub(super) fn failed(reason: &'static str, message: String) -> Verdict {
        Verdict {
            ok: false,
            reason,
            message,
        }
    }
}

/// The `Ready` condition `verdict` leads to from `old`; `None` when it is already that.
fn next(
    old: Option<&Condition>,
    verdict: &Verdict,
    generation: Option<i64>,
    now: Time,
) -> Option<Condition> {
    let status = if verdict.ok { "True" } else { "False" };
    if let Some(c) = old
        && c.status == status
        && c.reason == verdict.reason
        && c.message == verdict.message
    {
        return None;
    }
    let since = match old {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => now,
    };
    Some(Condition {
        type_: READY.into(),
        status: status.into(),
        reason: verdict.reason.into(),
        message: verdict.message.clone(),
        observed_generation: generation,
        last_transition_time: since,
    })
}

/// Patch the provider's status when the verdict changes its condition. Failing to write is
/// logged: the delivery itself is what matters.
pub(super) async fn record(client: &Client, p: &NotificationProvider, verdict: &Verdict) {
    let old = p
        .status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == READY));
    let generation = p.meta().generation;
    let Some(condition) = next(old, verdict, generation, Time(jiff::Timestamp::now())) else {
        return;
    };
    let api: Api<NotificationProvider> =
        Api::namespaced(client.clone(), &p.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": NotificationProvider::api_version(&()),
        "kind": NotificationProvider::kind(&()),
        "status": {"observedGeneration": generation, "conditions": [condition]},
    });
    if let Err(e) = api
        .patch_status(
            &p.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
    {
        warn!(provider = p.name_any(), namespace = p.namespace(), error = %e, "writing the provider's status failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Time {
        Time(jiff::Timestamp::from_second(s).unwrap())
    }

    #[test]
    fn the_condition_changes_only_when_the_verdict_does() {
        let failed = Verdict::failed(reason::DELIVERY_FAILED, "HTTP 503".into());
        let c1 = next(None, &failed, Some(1), t(1)).unwrap();
        assert_eq!(
            (c1.status.as_str(), c1.reason.as_str()),
            ("False", "DeliveryFailed")
        );
        assert_eq!(
            next(Some(&c1), &failed, Some(1), t(2)),
            None,
            "same failure: no write"
        );
        let worse = Verdict::failed(reason::DELIVERY_FAILED, "cannot connect".into());
        let c2 = next(Some(&c1), &worse, Some(1), t(3)).unwrap();
        assert_eq!(c2.last_transition_time, t(1), "still False since t1");
        let ok = Verdict {
            ok: true,
            reason: reason::DELIVERY_SUCCEEDED,
            message: "the last notification was delivered".into(),
        };
        let c3 = next(Some(&c2), &ok, Some(1), t(4)).unwrap();
        assert_eq!(
            (c3.status.as_str(), c3.last_transition_time.clone()),
            ("True", t(4))
        );
    }
}
