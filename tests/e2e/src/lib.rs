//! Support for tests against the local control plane (`make cluster-up`): reuse the running
//! cluster or start it, a fresh namespace per test, cleanup, clients, CRD installation.

pub mod cli;
pub mod cluster;
pub mod controller;
pub mod endpoint;
pub mod envs;
pub mod fixture;
pub mod namespace;
pub mod read;
pub mod ship_support;
pub mod steering;
pub mod timeline;
pub mod wait;

pub use cluster::{Cluster, repo_root};
pub use controller::{Controller, metric};
pub use fixture::{ConfigRepo, environment};
pub use namespace::TestNamespace;
pub use read::{annotate, condition_of, image};
