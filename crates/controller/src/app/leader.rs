//! Leader election with a Lease: only the holder reconciles and writes, so two replicas are
//! safe. Losing the lease ends the process (the Deployment restarts it as a standby), as
//! controller-runtime does: a replica that may have missed renewals must not keep writing.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder};
use tokio::sync::watch;

pub(crate) struct Leadership {
    pub(crate) changes: watch::Receiver<bool>,
    handle: tokio::task::JoinHandle<Result<LeaseManager, kube_lease_manager::LeaseManagerError>>,
}

/// Start competing for `lease` in `namespace` as `identity`.
pub(crate) async fn compete(
    client: Client,
    namespace: &str,
    lease: &str,
    identity: &str,
    duration: Duration,
) -> anyhow::Result<Leadership> {
    let seconds = duration.as_secs().max(2);
    let manager = LeaseManagerBuilder::new(client, lease)
        .with_namespace(namespace)
        .with_identity(identity)
        .with_duration(seconds)
        .with_grace((seconds / 3).max(1))
        .with_field_manager("claude-env-controller")
        .build()
        .await?;
    let (changes, handle) = manager.watch().await;
    Ok(Leadership { changes, handle })
}

impl Leadership {
    /// Wait until this replica holds the lease.
    pub(crate) async fn acquired(&mut self) -> anyhow::Result<()> {
        while !*self.changes.borrow_and_update() {
            self.changes.changed().await?;
        }
        Ok(())
    }

    /// Resolves when the lease is lost.
    pub(crate) async fn lost(mut changes: watch::Receiver<bool>) {
        loop {
            if changes.changed().await.is_err() || !*changes.borrow() {
                return;
            }
        }
    }

    /// Give the lease up (graceful shutdown), so a standby takes over at once.
    pub(crate) async fn release(self) {
        drop(self.changes);
        let _ = self.handle.await;
    }
}
