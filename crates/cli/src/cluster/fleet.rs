//! The requests of a workstation following an environment, and of the fleet view: a
//! revision's config ConfigMap, the workstation's own record, and
//! every record of an environment.

use claude_env_api::ClaudeWorkstation;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams};

use super::client::{Cluster, FIELD_MANAGER};
use super::{ClusterError, describe};

impl Cluster {
    /// A config ConfigMap the controller rendered.
    pub(crate) async fn config_map(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ConfigMap, ClusterError> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), namespace);
        api.get(name).await.map_err(|e| ClusterError::Api {
            action: format!("reading ConfigMap {namespace}/{name}"),
            message: describe(&e),
        })
    }

    /// Create or update this workstation's record (server-side apply; the admission policy
    /// lets a user write only their own).
    pub(crate) async fn report(&self, record: &ClaudeWorkstation) -> Result<(), ClusterError> {
        let namespace = record.metadata.namespace.clone().unwrap_or_default();
        let name = record.metadata.name.clone().unwrap_or_default();
        let api: Api<ClaudeWorkstation> = Api::namespaced(self.client.clone(), &namespace);
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(record),
        )
        .await
        .map(|_| ())
        .map_err(|e| ClusterError::Api {
            action: format!("reporting ClaudeWorkstation {namespace}/{name}"),
            message: describe(&e),
        })
    }

    /// Every record following the environment `namespace/name`, by user.
    pub(crate) async fn workstations(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Vec<ClaudeWorkstation>, ClusterError> {
        let api: Api<ClaudeWorkstation> = Api::namespaced(self.client.clone(), namespace);
        let mut items: Vec<ClaudeWorkstation> = api
            .list(&ListParams::default())
            .await
            .map_err(|e| ClusterError::Api {
                action: format!("listing ClaudeWorkstations in namespace {namespace}"),
                message: describe(&e),
            })?
            .items
            .into_iter()
            .filter(|w| w.spec.environment == name)
            .collect();
        items.sort_by(|a, b| a.spec.user.cmp(&b.spec.user));
        Ok(items)
    }
}
