//! The IO-free modules the fuzz targets exercise, compiled from the crates' own source files
//! (`#[path]`, not copies): the webhook, URL and delivery modules of `claude-env-source`, and
//! the workstation sync engine of `claude-env-cli`. Depending on those crates instead would
//! build libgit2, OpenSSL, libssh2, kube and the rest of their IO shells, with coverage
//! instrumentation, for code no target calls: minutes of every `make test` on a fresh
//! machine. The config crate is IO-free and used as it is.
//!
//! The price: these modules must keep to the crate paths they use today (`crate::webhook`,
//! `crate::hash`, `crate::sync`); `make fuzz-check` fails to build when they do not.

#[path = "../../crates/source/src/deliveries.rs"]
pub mod deliveries;
#[path = "../../crates/cli/src/hash.rs"]
pub mod hash;
#[path = "../../crates/cli/src/sync/mod.rs"]
pub mod sync;
#[path = "../../crates/source/src/url.rs"]
pub mod url;
#[path = "../../crates/source/src/webhook.rs"]
pub mod webhook;
