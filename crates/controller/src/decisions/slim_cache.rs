//! ConfigMaps kept in the watch cache without their data.
//!
//! Our ConfigMaps are immutable and named by the hash of their content, so the data of a cached
//! one is the data it was created with; at 10,000 environments that data (~6 KiB each, twice
//! during a push while the old one waits to be pruned) was the largest part of the cache. The
//! cache keeps a digest of it instead ([`DIGEST`], an annotation that exists only in this
//! process's cache, never in the API), and drift detection puts the desired data back when the
//! digests agree. When they do not (the ConfigMap was deleted and re-created by hand with other
//! data under the same name), the data stays missing, drift is reported, and the drift check
//! confirms it with a fresh read as for any drift.

use std::hash::{DefaultHasher, Hash, Hasher};

use claude_env_api::ObjectKind;
use claude_env_render::Manifest;
use k8s_openapi::api::core::v1::ConfigMap;
use serde_json::Value;

/// The cache-only annotation holding the digest of a stripped ConfigMap's data.
pub(crate) const DIGEST: &str = "claude-env.io/cached-data-digest";

/// The digest of `data` and `binaryData` as JSON (the same for a typed ConfigMap and its
/// manifest: both serialize sorted maps). Stable within one process, which is all it needs.
fn digest(data: Option<&Value>, binary: Option<&Value>) -> String {
    let mut h = DefaultHasher::new();
    data.map(Value::to_string).hash(&mut h);
    binary.map(Value::to_string).hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Drop the data of an immutable ConfigMap, keeping its digest; a mutable one is left alone.
pub(crate) fn strip(cm: &mut ConfigMap) {
    if cm.immutable != Some(true) {
        return;
    }
    let data = cm
        .data
        .take()
        .map(|d| serde_json::to_value(d).expect("strings serialize"));
    let binary = cm
        .binary_data
        .take()
        .map(|b| serde_json::to_value(b).expect("bytes serialize"));
    cm.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(DIGEST.into(), digest(data.as_ref(), binary.as_ref()));
}

/// The cached live object as drift detection needs it: for a stripped ConfigMap whose digest
/// matches the desired data, that data put back; anything else unchanged.
pub(crate) fn restore(desired: &Manifest, mut live: Value) -> Value {
    if desired.key.kind != ObjectKind::ConfigMap {
        return live;
    }
    let Some(cached) = live
        .pointer(&format!(
            "/metadata/annotations/{}",
            DIGEST.replace('/', "~1")
        ))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return live;
    };
    let (data, binary) = (desired.value.get("data"), desired.value.get("binaryData"));
    if digest(data, binary) == cached
        && let Some(obj) = live.as_object_mut()
    {
        for (field, value) in [("data", data), ("binaryData", binary)] {
            if let Some(v) = value {
                obj.insert(field.into(), v.clone());
            }
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use claude_env_api::ObjectKey;
    use k8s_openapi::ByteString;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde_json::json;

    use super::*;

    fn config_map(immutable: bool, text: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some("env-config-abc".into()),
                namespace: Some("team".into()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([("CLAUDE.md".into(), text.into())])),
            binary_data: Some(BTreeMap::from([("blob".into(), ByteString(vec![0, 159]))])),
            immutable: Some(immutable),
        }
    }

    fn manifest(cm: &ConfigMap) -> Manifest {
        let mut value = serde_json::to_value(cm).unwrap();
        value["apiVersion"] = json!("v1");
        value["kind"] = json!("ConfigMap");
        Manifest {
            key: ObjectKey::new(ObjectKind::ConfigMap, "team", "env-config-abc"),
            value,
            server: None,
        }
    }

    #[test]
    fn an_immutable_config_map_loses_its_data_and_keeps_a_digest() {
        let mut cm = config_map(true, "# rules");
        strip(&mut cm);
        assert_eq!(cm.data, None);
        assert_eq!(cm.binary_data, None);
        let digest = &cm.metadata.annotations.as_ref().unwrap()[DIGEST];
        assert_eq!(digest.len(), 16);
    }

    #[test]
    fn a_mutable_config_map_is_cached_whole() {
        let mut cm = config_map(false, "# rules");
        strip(&mut cm);
        assert_eq!(cm, config_map(false, "# rules"));
    }

    #[test]
    fn the_desired_data_is_put_back_when_the_digests_agree() {
        let desired = manifest(&config_map(true, "# rules"));
        let mut cached = config_map(true, "# rules");
        strip(&mut cached);
        let live = restore(&desired, serde_json::to_value(&cached).unwrap());
        assert_eq!(live["data"], desired.value["data"]);
        assert_eq!(live["binaryData"], desired.value["binaryData"]);
    }

    #[test]
    fn other_data_under_the_same_name_stays_missing_so_drift_is_seen() {
        let desired = manifest(&config_map(true, "# rules"));
        let mut cached = config_map(true, "# edited by hand");
        strip(&mut cached);
        let live = restore(&desired, serde_json::to_value(&cached).unwrap());
        assert_eq!(live.get("data"), None);
        let report = claude_env_drift::detect(
            [(&desired.key, &desired.value)],
            |_| Some(&live),
            &Default::default(),
        );
        assert!(report.is_drifted());
    }

    #[test]
    fn objects_other_than_config_maps_pass_unchanged() {
        let mut desired = manifest(&config_map(true, "x"));
        desired.key = ObjectKey::new(ObjectKind::Service, "team", "svc");
        let live = json!({"metadata": {"annotations": {DIGEST: "0"}}});
        assert_eq!(restore(&desired, live.clone()), live);
    }
}
