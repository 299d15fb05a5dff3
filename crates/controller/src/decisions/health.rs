//! Workload health from Deployment status (kstatus rules): pure.

use k8s_openapi::api::apps::v1::Deployment;

use crate::decisions::status::Health;

/// The health of one Deployment we applied (`None`: not in the cache yet).
pub(crate) fn deployment(name: &str, live: Option<&Deployment>) -> Health {
    let Some(d) = live else {
        return Health::Progressing(format!("Deployment {name} not observed yet"));
    };
    let generation = d.metadata.generation.unwrap_or(0);
    let Some(status) = &d.status else {
        return Health::Progressing(format!("Deployment {name} has no status yet"));
    };
    if status.observed_generation.unwrap_or(0) < generation {
        return Health::Progressing(format!(
            "Deployment {name}: generation {generation} not observed yet"
        ));
    }
    if deadline_exceeded(d) {
        return Health::Unhealthy(format!("Deployment {name} exceeded its progress deadline"));
    }
    let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    if updated < want {
        return Health::Progressing(format!("Deployment {name}: {updated} of {want} updated"));
    }
    if total > updated {
        return Health::Progressing(format!(
            "Deployment {name}: {} old replicas pending termination",
            total - updated
        ));
    }
    if available < want {
        return Health::Progressing(format!(
            "Deployment {name}: {available} of {want} available"
        ));
    }
    Health::Healthy
}

/// The deployment controller gave up on the current rollout (`progressDeadlineSeconds`,
/// which the controller sets from the environment's readiness deadline).
pub(crate) fn deadline_exceeded(d: &Deployment) -> bool {
    d.status
        .iter()
        .flat_map(|s| s.conditions.iter().flatten())
        .any(|c| {
            c.type_ == "Progressing"
                && c.status == "False"
                && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        })
}

/// The worst of several: Unhealthy, then Progressing, then Healthy.
pub(crate) fn combine(all: impl IntoIterator<Item = Health>) -> Health {
    let mut progressing = None;
    for h in all {
        match h {
            Health::Unhealthy(_) => return h,
            Health::Progressing(_) if progressing.is_none() => progressing = Some(h),
            _ => {}
        }
    }
    progressing.unwrap_or(Health::Healthy)
}

/// At least one replica serves (the `mcp_server_up` metric).
pub(crate) fn is_up(live: Option<&Deployment>) -> bool {
    live.and_then(|d| d.status.as_ref())
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
        > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(v: serde_json::Value) -> Deployment {
        serde_json::from_value(v).unwrap()
    }

    fn healthy() -> Deployment {
        d(json!({
            "metadata": {"name": "a", "generation": 2},
            "spec": {"replicas": 2, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}
        }))
    }

    #[test]
    fn fully_updated_and_available_is_healthy() {
        assert_eq!(deployment("a", Some(&healthy())), Health::Healthy);
    }

    #[test]
    fn unobserved_generation_is_progressing() {
        let mut x = healthy();
        x.metadata.generation = Some(3);
        assert!(
            matches!(deployment("a", Some(&x)), Health::Progressing(m) if m.contains("generation 3"))
        );
    }

    #[test]
    fn missing_or_statusless_is_progressing() {
        assert!(matches!(deployment("a", None), Health::Progressing(_)));
        let mut x = healthy();
        x.status = None;
        assert!(matches!(deployment("a", Some(&x)), Health::Progressing(_)));
    }

    #[test]
    fn old_replicas_and_unavailable_replicas_are_progressing() {
        let mut x = healthy();
        x.status.as_mut().unwrap().replicas = Some(3);
        assert!(
            matches!(deployment("a", Some(&x)), Health::Progressing(m) if m.contains("old replicas"))
        );
        let mut y = healthy();
        y.status.as_mut().unwrap().available_replicas = Some(1);
        assert!(
            matches!(deployment("a", Some(&y)), Health::Progressing(m) if m.contains("1 of 2 available"))
        );
    }

    #[test]
    fn progress_deadline_exceeded_is_unhealthy() {
        let mut x = healthy();
        x.status.as_mut().unwrap().available_replicas = Some(0);
        x.status.as_mut().unwrap().conditions = Some(vec![
            serde_json::from_value(json!({
                "type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"
            }))
            .unwrap(),
        ]);
        assert!(matches!(deployment("a", Some(&x)), Health::Unhealthy(_)));
    }

    #[test]
    fn combine_takes_the_worst() {
        let p = Health::Progressing("p".into());
        let u = Health::Unhealthy("u".into());
        assert_eq!(combine([Health::Healthy, p.clone()]), p);
        assert_eq!(combine([p.clone(), u.clone(), Health::Healthy]), u);
        assert_eq!(combine([]), Health::Healthy);
    }
}
