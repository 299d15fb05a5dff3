//! The config ConfigMap: immutable and named by its content hash, so a change is a new
//! ConfigMap (referenced by a changed pod template, which rolls the pods) and the old one can
//! be pruned once nothing uses it — never an in-place edit that running pods would see
//! half-applied or not at all.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{ConfigMap, ConfigMapVolumeSource, KeyToPath};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::files::ClaudeFiles;
use crate::hash::config_hash;
use crate::naming::{config_map_key, config_map_name};
use crate::{RenderContext, labels};

/// The ConfigMap and its hash.
pub(crate) fn config_map(ctx: &RenderContext, files: &ClaudeFiles) -> (ConfigMap, String) {
    let keyed: BTreeMap<String, &[u8]> = files
        .files
        .iter()
        .map(|(path, bytes)| (config_map_key(path), bytes.as_slice()))
        .collect();
    let hash = config_hash(&keyed);

    // Everything rendered is UTF-8 text; `binaryData` is only the safe fallback.
    let mut data = BTreeMap::new();
    let mut binary = BTreeMap::new();
    for (key, bytes) in keyed {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                data.insert(key, text.to_string());
            }
            Err(_) => {
                binary.insert(key, ByteString(bytes.to_vec()));
            }
        }
    }
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(config_map_name(&ctx.instance, &hash)),
            namespace: Some(ctx.target_namespace.clone()),
            labels: Some(labels::config_map(ctx)),
            ..Default::default()
        },
        data: (!data.is_empty()).then_some(data),
        binary_data: (!binary.is_empty()).then_some(binary),
        immutable: Some(true),
    };
    (cm, hash)
}

/// A volume source projecting every key back to its file path (`commands__x.md` →
/// `commands/x.md`), so the mount looks like `~/.claude`.
pub(crate) fn volume_source(cm: &ConfigMap, files: &ClaudeFiles) -> ConfigMapVolumeSource {
    ConfigMapVolumeSource {
        name: cm.metadata.name.clone().unwrap_or_default(),
        items: Some(
            files
                .files
                .keys()
                .map(|path| KeyToPath {
                    key: config_map_key(path),
                    path: path.clone(),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    }
}
