//! Support for tests against the local control plane (`make cluster-up`): reuse the running
//! cluster or start it, a fresh namespace per test, cleanup, clients, CRD installation.

pub mod cluster;
pub mod namespace;
pub mod wait;

pub use cluster::{Cluster, repo_root};
pub use namespace::TestNamespace;
