//! Test support for e2e tests against the local control plane.
