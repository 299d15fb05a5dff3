//! What a drifted field means: security, availability, configuration or cosmetic.

use claude_env_api::{DriftCategory, DriftSeverity, ObjectKind};
use serde_json::Value;

/// Pointer fragments whose drift weakens isolation or exposes credentials.
const SECURITY: [&str; 10] = [
    "/securityContext/",
    "/secretKeyRef/",
    "/serviceAccountName",
    "/automountServiceAccountToken",
    "/hostNetwork",
    "/hostPID",
    "/hostIPC",
    "/privileged",
    "/allowPrivilegeEscalation",
    "/capabilities/",
];

/// Pointer fragments whose drift changes whether or how the workload serves.
const AVAILABILITY: [&str; 8] = [
    "/spec/replicas",
    "/spec/selector/",
    "/readinessProbe/",
    "/livenessProbe/",
    "/startupProbe/",
    "/spec/template/metadata/labels/",
    "/ports/",
    "/spec/strategy/",
];

/// Category and severity of drift at `pointer` of a `kind` object. `desired`/`live` are the
/// leaf values (`live` is `None` when removed); they refine ConfigMap data, where the
/// permissions inside `settings.json` are security.
pub fn classify(
    kind: ObjectKind,
    pointer: &str,
    desired: Option<&Value>,
    live: Option<&Value>,
) -> (DriftCategory, DriftSeverity) {
    use DriftCategory::*;
    use DriftSeverity::*;
    // Trailing slash lets fragments match a whole segment (`/hostNetwork` also as a leaf).
    let p = format!("{pointer}/");
    if SECURITY.iter().any(|s| p.contains(s)) {
        return (Security, Critical);
    }
    if kind == ObjectKind::ConfigMap
        && pointer == "/data/settings.json"
        && permissions_differ(desired, live)
    {
        return (Security, Critical);
    }
    if pointer.ends_with("/annotations/claude-env.io~1config-hash") {
        return (Configuration, High);
    }
    if kind == ObjectKind::Service && pointer.starts_with("/spec/") {
        return (Availability, High);
    }
    if AVAILABILITY.iter().any(|s| p.contains(s)) {
        return (Availability, High);
    }
    if pointer.starts_with("/metadata/labels/") || pointer.starts_with("/metadata/annotations/") {
        return (Cosmetic, Low);
    }
    (Configuration, Medium)
}

/// A whole object is gone.
pub(crate) fn classify_missing(kind: ObjectKind) -> (DriftCategory, DriftSeverity) {
    match kind {
        ObjectKind::Deployment | ObjectKind::Service => {
            (DriftCategory::Availability, DriftSeverity::Critical)
        }
        // Running pods keep their mounted copy; new pods cannot start.
        ObjectKind::ConfigMap => (DriftCategory::Availability, DriftSeverity::High),
    }
}

fn permissions_differ(desired: Option<&Value>, live: Option<&Value>) -> bool {
    let perms = |v: Option<&Value>| -> Option<Value> {
        let text = v?.as_str()?;
        let doc: Value = serde_json::from_str(text).ok()?;
        Some(doc.get("permissions").cloned().unwrap_or(Value::Null))
    };
    match (perms(desired), perms(live)) {
        (Some(d), Some(l)) => d != l,
        // Unreadable live settings: assume the worst.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DriftCategory::*;
    use DriftSeverity::*;
    use serde_json::json;

    fn c(kind: &str, p: &str) -> (DriftCategory, DriftSeverity) {
        classify(kind.parse().unwrap(), p, None, None)
    }

    #[test]
    fn security_context_and_secret_refs_are_security() {
        let d = "Deployment";
        assert_eq!(
            c(d, "/spec/template/spec/securityContext/runAsNonRoot"),
            (Security, Critical)
        );
        assert_eq!(
            c(
                d,
                "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation"
            ),
            (Security, Critical)
        );
        assert_eq!(
            c(
                d,
                "/spec/template/spec/containers/0/env/1/valueFrom/secretKeyRef/name"
            ),
            (Security, Critical)
        );
        assert_eq!(
            c(d, "/spec/template/spec/hostNetwork"),
            (Security, Critical)
        );
        assert_eq!(
            c(
                d,
                "/spec/template/spec/containers/0/securityContext/capabilities/drop/0"
            ),
            (Security, Critical)
        );
    }

    #[test]
    fn replicas_probes_and_service_spec_are_availability() {
        assert_eq!(c("Deployment", "/spec/replicas"), (Availability, High));
        assert_eq!(
            c(
                "Deployment",
                "/spec/template/spec/containers/0/readinessProbe/httpGet/path"
            ),
            (Availability, High)
        );
        assert_eq!(
            c("Service", "/spec/ports/0/targetPort"),
            (Availability, High)
        );
        assert_eq!(
            c(
                "Deployment",
                "/spec/template/metadata/labels/app.kubernetes.io~1name"
            ),
            (Availability, High)
        );
    }

    #[test]
    fn image_env_and_data_are_configuration() {
        assert_eq!(
            c("Deployment", "/spec/template/spec/containers/0/image"),
            (Configuration, Medium)
        );
        assert_eq!(
            c("Deployment", "/spec/template/spec/containers/0/env/0/value"),
            (Configuration, Medium)
        );
        assert_eq!(c("ConfigMap", "/data/CLAUDE.md"), (Configuration, Medium));
    }

    #[test]
    fn object_labels_are_cosmetic_but_the_config_hash_is_not() {
        assert_eq!(c("Deployment", "/metadata/labels/team"), (Cosmetic, Low));
        assert_eq!(
            c("Deployment", "/metadata/annotations/note"),
            (Cosmetic, Low)
        );
        assert_eq!(
            c(
                "Deployment",
                "/spec/template/metadata/annotations/claude-env.io~1config-hash"
            ),
            (Configuration, High)
        );
    }

    #[test]
    fn settings_json_is_security_only_when_permissions_changed() {
        let want = json!(r#"{"model":"a","permissions":{"deny":["Bash(rm:*)"]}}"#);
        let model_only = json!(r#"{"model":"b","permissions":{"deny":["Bash(rm:*)"]}}"#);
        let perms = json!(r#"{"model":"a","permissions":{"deny":[]}}"#);
        let p = "/data/settings.json";
        assert_eq!(
            classify(ObjectKind::ConfigMap, p, Some(&want), Some(&model_only)),
            (Configuration, Medium)
        );
        assert_eq!(
            classify(ObjectKind::ConfigMap, p, Some(&want), Some(&perms)),
            (Security, Critical)
        );
        assert_eq!(
            classify(ObjectKind::ConfigMap, p, Some(&want), None),
            (Security, Critical)
        );
    }

    #[test]
    fn a_missing_workload_is_critical() {
        assert_eq!(
            classify_missing(ObjectKind::Deployment),
            (Availability, Critical)
        );
        assert_eq!(
            classify_missing(ObjectKind::ConfigMap),
            (Availability, High)
        );
    }
}
