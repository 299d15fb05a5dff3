//! What the rollout machine reads from a Deployment (pure): replicas, availability, the
//! progress deadline, and whether pods of the current template crash-loop.

use std::collections::BTreeMap;

use claude_env_rollout::Readiness;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;

use crate::decisions::health;

/// A Deployment's status as the machine reads it.
pub(crate) fn of_deployment(d: &Deployment) -> Readiness {
    let status = d.status.clone().unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0).max(0) as u32;
    Readiness {
        replicas: n(d.spec.as_ref().and_then(|s| s.replicas)),
        updated: n(status.updated_replicas),
        available: n(status.available_replicas),
        total: n(status.replicas),
        current: status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0),
        deadline_exceeded: health::deadline_exceeded(d),
        crash_looping: false,
    }
}

/// All pods run the current spec and are available: nothing can be crash-looping into it.
/// (Not just "available": a rolling update keeps the old pods available while the new ones
/// crash, so `available == replicas` says nothing about the new template.)
pub(crate) fn settled(r: &Readiness) -> bool {
    r.updated >= r.replicas && r.available >= r.replicas && r.total <= r.updated
}

/// Every pod of the Deployment, old and new, is available: none can be crash-looping, so
/// listing its pods would find nothing. The long phase of a rollout on a backlogged control
/// plane (the new pods up, the old ones not yet scaled away) is one.
pub(crate) fn all_pods_available(r: &Readiness) -> bool {
    r.available >= r.total
}

/// Whether a pod runs the Deployment's current template, as far as a pod shows it: the
/// template's labels and annotations (the config hash among them) and its images. Old pods
/// of a rolling update differ in one of them for any change a rollout makes to the pods'
/// identity; a crash of the old revision is not the new revision's failure.
pub(crate) fn of_template(p: &Pod, d: &Deployment) -> bool {
    let Some(t) = d.spec.as_ref().map(|s| &s.template) else {
        return true;
    };
    let contains = |want: Option<&BTreeMap<String, String>>,
                    have: Option<&BTreeMap<String, String>>| {
        want.into_iter()
            .flatten()
            .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
    };
    let meta = t.metadata.as_ref();
    let images = |c: &[k8s_openapi::api::core::v1::Container]| -> Vec<Option<String>> {
        c.iter().map(|c| c.image.clone()).collect()
    };
    contains(
        meta.and_then(|m| m.labels.as_ref()),
        p.metadata.labels.as_ref(),
    ) && contains(
        meta.and_then(|m| m.annotations.as_ref()),
        p.metadata.annotations.as_ref(),
    ) && match (t.spec.as_ref(), p.spec.as_ref()) {
        (Some(want), Some(have)) => images(&want.containers) == images(&have.containers),
        _ => true,
    }
}

pub(crate) fn pod_failing(p: &Pod) -> bool {
    let Some(s) = &p.status else { return false };
    s.phase.as_deref() == Some("Failed")
        || s.container_statuses.iter().flatten().any(|c| {
            c.state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                == Some("CrashLoopBackOff")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_reads_replicas_availability_and_the_deadline() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a", "generation": 3},
            "spec": {"replicas": 4, "selector": {}, "template": {}},
            "status": {"observedGeneration": 3, "replicas": 5, "updatedReplicas": 2, "availableReplicas": 3,
                "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
        }))
        .unwrap();
        let r = of_deployment(&d);
        assert_eq!((r.replicas, r.updated, r.available, r.total), (4, 2, 3, 5));
        assert!(r.current && r.deadline_exceeded && !r.crash_looping);
    }

    #[test]
    fn an_older_observed_generation_is_not_current() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a", "generation": 4},
            "spec": {"selector": {}, "template": {}},
            "status": {"observedGeneration": 3}
        }))
        .unwrap();
        assert!(!of_deployment(&d).current);
    }

    #[test]
    fn settled_means_every_pod_on_the_current_spec_and_available() {
        let r = |replicas, updated, available, total| Readiness {
            replicas,
            updated,
            available,
            total,
            current: true,
            ..Readiness::default()
        };
        assert!(settled(&r(2, 2, 2, 2)));
        // A rolling update whose new pod crash-loops: the old pod keeps it available.
        assert!(!settled(&r(1, 1, 1, 2)));
        assert!(!settled(&r(2, 2, 1, 2)));
        assert!(!settled(&r(2, 1, 2, 2)));
    }

    #[test]
    fn all_pods_available_means_no_pod_old_or_new_is_down() {
        let r = |available, total| Readiness {
            replicas: 2,
            updated: 2,
            available,
            total,
            current: true,
            ..Readiness::default()
        };
        // The new pods up, one old pod not yet gone: nothing to list.
        assert!(all_pods_available(&r(3, 3)));
        assert!(all_pods_available(&r(0, 0)));
        // A new pod not available (it may be crash-looping) while the old ones still serve.
        assert!(!all_pods_available(&r(2, 3)));
    }

    #[test]
    fn only_pods_of_the_current_template_are_judged() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a"},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                "metadata": {"labels": {"app": "a", "claude-env.io/simulate": "crashloop"},
                             "annotations": {"claude-env.io/config-hash": "new"}},
                "spec": {"containers": [{"name": "mcp", "image": "ctx:2"}]}}}
        }))
        .unwrap();
        let pod = |labels: serde_json::Value, hash: &str, image: &str| -> Pod {
            serde_json::from_value(json!({
                "metadata": {"labels": labels, "annotations": {"claude-env.io/config-hash": hash, "other": "x"}},
                "spec": {"containers": [{"name": "mcp", "image": image}]}
            }))
            .unwrap()
        };
        let new =
            json!({"app": "a", "claude-env.io/simulate": "crashloop", "pod-template-hash": "h2"});
        assert!(of_template(&pod(new.clone(), "new", "ctx:2"), &d));
        assert!(
            !of_template(&pod(new.clone(), "old", "ctx:2"), &d),
            "config"
        );
        assert!(!of_template(&pod(new, "new", "ctx:1"), &d), "image");
        assert!(
            !of_template(&pod(json!({"app": "a"}), "new", "ctx:2"), &d),
            "labels"
        );
    }

    #[test]
    fn crash_loop_back_off_and_failed_pods_count_as_failing() {
        let waiting: Pod = serde_json::from_value(json!({"status": {"phase": "Running", "containerStatuses": [
            {"name": "mcp", "ready": false, "restartCount": 3, "image": "i", "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]}}))
        .unwrap();
        let failed: Pod = serde_json::from_value(json!({"status": {"phase": "Failed"}})).unwrap();
        let fine: Pod = serde_json::from_value(json!({"status": {"phase": "Running"}})).unwrap();
        assert!(pod_failing(&waiting));
        assert!(pod_failing(&failed));
        assert!(!pod_failing(&fine));
    }
}
