//! Identity of the objects the controller renders and applies: their kind (a closed set) and
//! key. The inventory in status stores kinds as strings; [`InventoryEntry::key`] turns one
//! back into a key and refuses a kind the controller never applies, instead of guessing.

use std::fmt;
use std::str::FromStr;

use crate::status::InventoryEntry;

/// The kinds of object the controller renders, applies, watches and prunes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ObjectKind {
    ConfigMap,
    Deployment,
    Service,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 3] = [
        ObjectKind::ConfigMap,
        ObjectKind::Deployment,
        ObjectKind::Service,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Deployment => "Deployment",
            ObjectKind::Service => "Service",
        }
    }

    pub fn api_version(self) -> &'static str {
        match self {
            ObjectKind::Deployment => "apps/v1",
            ObjectKind::ConfigMap | ObjectKind::Service => "v1",
        }
    }

    /// The API resource to read, apply and delete objects of this kind through.
    pub fn api_resource(self) -> kube::core::ApiResource {
        use k8s_openapi::api::{apps::v1::Deployment, core::v1::ConfigMap, core::v1::Service};
        match self {
            ObjectKind::ConfigMap => kube::core::ApiResource::erase::<ConfigMap>(&()),
            ObjectKind::Deployment => kube::core::ApiResource::erase::<Deployment>(&()),
            ObjectKind::Service => kube::core::ApiResource::erase::<Service>(&()),
        }
    }

    /// Pruning order: Services stop routing first, then workloads go, then the ConfigMaps
    /// their pods mount.
    pub fn prune_order(self) -> u8 {
        match self {
            ObjectKind::Service => 0,
            ObjectKind::Deployment => 1,
            ObjectKind::ConfigMap => 2,
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind the controller does not render (from an inventory edited by hand, or a newer
/// controller's).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown object kind {0:?} (the controller renders ConfigMap, Deployment and Service)")]
pub struct UnknownKind(pub String);

impl FromStr for ObjectKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// Identity of a namespaced object we render.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: ObjectKind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: ObjectKind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// The inventory entry recording this object.
    pub fn entry(&self) -> InventoryEntry {
        InventoryEntry {
            api_version: self.kind.api_version().to_string(),
            kind: self.kind.as_str().to_string(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }
}

/// `Kind/namespace/name`, the form drift items and messages use.
impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

impl InventoryEntry {
    /// The key of the object this entry records.
    pub fn key(&self) -> Result<ObjectKey, UnknownKind> {
        Ok(ObjectKey::new(
            self.kind.parse()?,
            self.namespace.clone(),
            self.name.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in ObjectKind::ALL {
            assert_eq!(k.as_str().parse::<ObjectKind>(), Ok(k));
            let r = k.api_resource();
            assert_eq!(
                (r.kind.as_str(), r.api_version.as_str()),
                (k.as_str(), k.api_version())
            );
        }
        assert_eq!(
            "Secret".parse::<ObjectKind>(),
            Err(UnknownKind("Secret".into()))
        );
    }

    #[test]
    fn inventory_entries_round_trip_and_unknown_kinds_are_refused() {
        let key = ObjectKey::new(ObjectKind::Deployment, "ns", "a");
        let entry = key.entry();
        assert_eq!(entry.api_version, "apps/v1");
        assert_eq!(entry.key(), Ok(key));
        let odd = InventoryEntry {
            kind: "Secret".into(),
            ..entry
        };
        assert!(odd.key().is_err());
    }

    #[test]
    fn keys_display_as_kind_namespace_name() {
        let key = ObjectKey::new(ObjectKind::ConfigMap, "ns", "cfg");
        assert_eq!(key.to_string(), "ConfigMap/ns/cfg");
    }
}
