//! Serializing desired objects for people and pipes (`claude-env render -o yaml|json`), in
//! the order they should be applied: the ConfigMap first (pods mount it), then per server
//! its Service and Deployment.

use serde::Serialize;

use crate::error::RenderError;
use crate::objects::DesiredObjects;

/// One object of a [`DesiredObjects`], borrowed.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(untagged)]
pub enum ObjectRef<'a> {
    ConfigMap(&'a k8s_openapi::api::core::v1::ConfigMap),
    Service(&'a k8s_openapi::api::core::v1::Service),
    Deployment(&'a k8s_openapi::api::apps::v1::Deployment),
}

impl DesiredObjects {
    /// Every object in apply order.
    pub fn iter(&self) -> impl Iterator<Item = ObjectRef<'_>> {
        std::iter::once(ObjectRef::ConfigMap(&self.config_map)).chain(self.servers.iter().flat_map(
            |s| {
                [
                    ObjectRef::Service(&s.service),
                    ObjectRef::Deployment(&s.deployment),
                ]
            },
        ))
    }

    /// A multi-document YAML stream (`---` between documents). Multi-line strings (file
    /// contents) are literal blocks; long single-line strings (image digests) stay on one
    /// line instead of being folded, so they read and grep as written.
    pub fn to_yaml(&self) -> Result<String, RenderError> {
        let docs: Vec<ObjectRef<'_>> = self.iter().collect();
        let options = serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX };
        serde_saphyr::to_string_multiple_with_options(&docs, options)
            .map_err(|e| RenderError::Serialize(e.to_string()))
    }

    /// A Kubernetes `v1/List` holding every object, pretty-printed with a final newline
    /// (what `kubectl apply -f` and `kubectl get -o json` use for several objects).
    pub fn to_json(&self) -> Result<String, RenderError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct List<'a> {
            api_version: &'static str,
            kind: &'static str,
            items: Vec<ObjectRef<'a>>,
        }
        let list = List {
            api_version: "v1",
            kind: "List",
            items: self.iter().collect(),
        };
        let mut out = serde_json::to_string_pretty(&list)
            .map_err(|e| RenderError::Serialize(e.to_string()))?;
        out.push('\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    #[test]
    fn yaml_quotes_strings_that_would_read_back_as_other_types() {
        // Config hashes and label values can look like numbers or booleans.
        let m: BTreeMap<&str, &str> = [
            ("a", "0123456789"),
            ("b", "1e10000000"),
            ("c", "true"),
            ("d", "null"),
            ("e", "0x1f"),
            ("f", "1_000"),
            ("g", "yes"),
        ]
        .into();
        let yaml = serde_saphyr::to_string(&m).unwrap();
        let back: BTreeMap<String, serde_json::Value> = serde_saphyr::from_str(&yaml).unwrap();
        for (k, v) in m {
            assert_eq!(back[k], serde_json::Value::String(v.into()), "{yaml}");
        }
    }
}
