//! Real test fixtures: Git repositories with a bare "remote", Git servers (smart HTTP through
//! `git http-backend` with optional auth, `git daemon`, `sshd`, a server that never answers), key
//! pairs that sign commits the way git does, HTTP receivers that record what they are sent,
//! and free ports.
//!
//! Everything here blocks and spawns real processes; every process and server is stopped
//! when its handle is dropped.

mod daemon;
mod http;
pub mod mcp;
mod net;
pub mod prometheus;
mod receiver;
mod repo;
mod signing;
mod ssh;

pub use daemon::GitDaemon;
pub use http::{GitHttpServer, HttpAuth};
pub use net::{CannedServer, SilentServer, free_port, wait_for_port};
pub use receiver::{Received, Receiver};
pub use repo::TempRepo;
pub use signing::{GpgKey, SshKeyPair};
pub use ssh::SshGitServer;
