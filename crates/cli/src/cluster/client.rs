//! The API server: a client from `--kubeconfig` / `--context` (else `KUBECONFIG`, else
//! `~/.kube/config`, else the in-cluster service account, as kubectl does), and the few
//! requests the CLI makes.

use std::cell::RefCell;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, ObjectKey};
use futures::{Stream, StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, wait, watcher};
use kube::{Client, Config};
use serde_json::Value;

use super::{ClusterError, describe, status_code};
use crate::cli::KubeArgs;

/// Field manager of the CLI's patches (visible in managedFields).
pub(crate) const FIELD_MANAGER: &str = "claude-env-cli";

/// The label the controller's Deployment carries (chart and plain manifests alike)...
pub(crate) const NAME_LABEL: &str = "app.kubernetes.io/name";
/// ...with this value.
pub(crate) const CONTROLLER_NAME: &str = "claude-env-controller";
/// Its version label.
pub(crate) const VERSION_LABEL: &str = "app.kubernetes.io/version";

/// A connected cluster.
pub(crate) struct Cluster {
    pub client: Client,
    /// The kubeconfig context's namespace (or the service account's, or `default`).
    pub default_namespace: String,
}

/// The single-threaded runtime a cluster command runs on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, ClusterError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ClusterError::Runtime)
}

impl Cluster {
    pub(crate) async fn connect(args: &KubeArgs) -> Result<Cluster, ClusterError> {
        let options = KubeConfigOptions {
            context: args.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match (&args.kubeconfig, &args.context) {
            (Some(path), _) => {
                let kc = Kubeconfig::read_from(path).map_err(|e| {
                    ClusterError::Config(format!("{}: {}", path.display(), chain(&e)))
                })?;
                Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| ClusterError::Config(chain(&e)))?
            }
            (None, Some(_)) => Config::from_kubeconfig(&options)
                .await
                .map_err(|e| ClusterError::Config(chain(&e)))?,
            (None, None) => Config::infer()
                .await
                .map_err(|e| ClusterError::Config(chain(&e)))?,
        };
        let default_namespace = config.default_namespace.clone();
        let client = Client::try_from(config).map_err(|e| ClusterError::Config(describe(&e)))?;
        Ok(Cluster {
            client,
            default_namespace,
        })
    }

    /// `-n NS`, else the default namespace.
    pub(crate) fn namespace(&self, given: Option<&str>) -> String {
        given.map_or_else(|| self.default_namespace.clone(), str::to_string)
    }

    fn environments(&self, namespace: &str) -> Api<ClaudeEnvironment> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// One ClaudeEnvironment; absent is an error naming it.
    pub(crate) async fn get(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ClaudeEnvironment, ClusterError> {
        self.get_opt(namespace, name)
            .await?
            .ok_or_else(|| ClusterError::NotFound {
                namespace: namespace.to_string(),
                name: name.to_string(),
            })
    }

    pub(crate) async fn get_opt(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<ClaudeEnvironment>, ClusterError> {
        self.environments(namespace)
            .get_opt(name)
            .await
            .map_err(|e| api_error(&e, format!("reading ClaudeEnvironment {namespace}/{name}")))
    }

    /// The ClaudeEnvironments of a namespace (`None`: all) matching a label selector (`None`:
    /// every one), by namespace and name.
    pub(crate) async fn list(
        &self,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Vec<ClaudeEnvironment>, ClusterError> {
        let api = self.scope(namespace);
        let where_ = namespace.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
        let params = match selector {
            Some(s) => ListParams::default().labels(s),
            None => ListParams::default(),
        };
        let mut items = api
            .list(&params)
            .await
            .map_err(|e| api_error(&e, format!("listing ClaudeEnvironments in {where_}")))?
            .items;
        items.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        Ok(items)
    }

    /// The user name the API server authenticates this client as (a SelfSubjectReview, which
    /// every authenticated user may create): what the actor annotations record.
    pub(crate) async fn whoami(&self) -> Result<String, ClusterError> {
        let action = "asking the API server who you are (SelfSubjectReview)";
        let review = Api::<SelfSubjectReview>::all(self.client.clone())
            .create(&PostParams::default(), &SelfSubjectReview::default())
            .await
            .map_err(|e| ClusterError::Api {
                action: action.into(),
                message: describe(&e),
            })?;
        review
            .status
            .and_then(|s| s.user_info)
            .and_then(|u| u.username)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| ClusterError::Api {
                action: action.into(),
                message: "the answer names no user".into(),
            })
    }

    /// A JSON merge patch of the ClaudeEnvironment: steering annotations, or `spec.suspend`
    /// (see [`super::patch`]).
    pub(crate) async fn patch(
        &self,
        namespace: &str,
        name: &str,
        patch: &Value,
    ) -> Result<ClaudeEnvironment, ClusterError> {
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        self.environments(namespace)
            .patch(name, &params, &Patch::Merge(patch))
            .await
            .map_err(|e| match status_code(&e) {
                Some(404) => ClusterError::NotFound {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                },
                _ => api_error(&e, format!("patching ClaudeEnvironment {namespace}/{name}")),
            })
    }

    /// Watch the ClaudeEnvironment until `done` holds (returned), showing every version seen
    /// to `seen` (progress); or time out saying what the last version seen was.
    pub(crate) async fn wait_for(
        &self,
        namespace: &str,
        name: &str,
        timeout: Duration,
        what: &str,
        done: impl Fn(&ClaudeEnvironment) -> bool,
        seen: impl FnMut(&ClaudeEnvironment),
    ) -> Result<ClaudeEnvironment, ClusterError> {
        let last: RefCell<Option<ClaudeEnvironment>> = RefCell::new(None);
        let seen = RefCell::new(seen);
        // Deleted meanwhile (`None`) also ends the wait.
        let condition = |env: Option<&ClaudeEnvironment>| {
            let Some(env) = env else { return true };
            (seen.borrow_mut())(env);
            *last.borrow_mut() = Some(env.clone());
            done(env)
        };
        let waited = tokio::time::timeout(
            timeout,
            wait::await_condition(self.environments(namespace), name, condition),
        )
        .await;
        match waited {
            Ok(Ok(Some(env))) => Ok(env),
            Ok(Ok(None)) => Err(ClusterError::NotFound {
                namespace: namespace.to_string(),
                name: name.to_string(),
            }),
            Ok(Err(wait::Error::ProbeFailed(e))) => Err(ClusterError::Api {
                action: format!("watching ClaudeEnvironment {namespace}/{name}"),
                message: e.to_string(),
            }),
            Err(_) => Err(ClusterError::Timeout {
                what: what.to_string(),
                after: humantime::format_duration(timeout).to_string(),
                last: last.borrow().as_ref().map_or(
                    "nothing (the object was never seen)".to_string(),
                    super::progress::summary,
                ),
            }),
        }
    }

    /// Every change of the ClaudeEnvironments in a namespace (`None`: all) matching a
    /// selector, from the current state on, until the stream fails.
    pub(crate) fn watch(
        &self,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> impl Stream<Item = Result<ClaudeEnvironment, ClusterError>> + use<> {
        let config = match selector {
            Some(s) => watcher::Config::default().labels(s),
            None => watcher::Config::default(),
        };
        let where_ = namespace.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
        watcher::watcher(self.scope(namespace), config)
            .applied_objects()
            .map_err(move |e| ClusterError::Api {
                action: format!("watching ClaudeEnvironments in {where_}"),
                message: e.to_string(),
            })
            .boxed()
    }

    /// The claude-env controller's Deployments (label `app.kubernetes.io/name=`
    /// [`CONTROLLER_NAME`]) in a namespace, or in every namespace.
    pub(crate) async fn controller_deployments(
        &self,
        namespace: Option<&str>,
    ) -> Result<Vec<Deployment>, ClusterError> {
        let api: Api<Deployment> = match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        };
        let where_ = namespace.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
        let params = ListParams::default().labels(&format!("{NAME_LABEL}={CONTROLLER_NAME}"));
        let mut items = api
            .list(&params)
            .await
            .map_err(|e| ClusterError::Api {
                action: format!("listing the controller's Deployments in {where_}"),
                message: describe(&e),
            })?
            .items;
        items.sort_by(|a, b| {
            (&a.metadata.namespace, &a.metadata.name)
                .cmp(&(&b.metadata.namespace, &b.metadata.name))
        });
        Ok(items)
    }

    fn scope(&self, namespace: Option<&str>) -> Api<ClaudeEnvironment> {
        match namespace {
            Some(ns) => self.environments(ns),
            None => Api::all(self.client.clone()),
        }
    }

    /// A rendered object as it is live (`None`: it does not exist).
    pub(crate) async fn live_object(&self, key: &ObjectKey) -> Result<Option<Value>, ClusterError> {
        let api: Api<DynamicObject> = Api::namespaced_with(
            self.client.clone(),
            &key.namespace,
            &key.kind.api_resource(),
        );
        let found = api
            .get_opt(&key.name)
            .await
            .map_err(|e| api_error(&e, format!("reading {key}")))?;
        Ok(found.map(|o| serde_json::to_value(o).expect("objects serialize to JSON")))
    }
}

/// An API error in context; a missing resource type means the CRD is not installed.
fn api_error(e: &kube::Error, action: String) -> ClusterError {
    if let kube::Error::Api(s) = e
        && s.code == 404
        && s.message.contains("could not find the requested resource")
    {
        return ClusterError::NoCrd;
    }
    ClusterError::Api {
        action,
        message: describe(e),
    }
}

/// An error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
