//! The ClaudeWorkstation a sync reports (pure): who, following what, holding which revision,
//! since when, with what drift and what the doctor found.

use claude_env_api::{
    ClaudeWorkstation, ClaudeWorkstationSpec, DoctorReport, Track, WorkstationDrift,
    short_revision, workstation_name,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The revision a workstation holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub revision: String,
    pub track: Track,
    pub config_hash: Option<String>,
}

/// Everything one report says.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub user: String,
    pub namespace: String,
    pub environment: String,
    pub bucket: u8,
    /// `None`: nothing synced from this environment yet.
    pub held: Option<Held>,
    /// When the files were last written or found up to date.
    pub synced_at: Option<jiff::Timestamp>,
    pub now: jiff::Timestamp,
    pub drift: WorkstationDrift,
    pub doctor: Option<DoctorReport>,
    /// Why the last sync did not write (local edits, an unreadable ConfigMap).
    pub message: Option<String>,
}

impl Report {
    /// The record, named for the user and environment.
    pub(crate) fn object(&self) -> ClaudeWorkstation {
        let mut w = ClaudeWorkstation::new(
            &workstation_name(&self.environment, &self.user),
            self.spec(),
        );
        w.metadata.namespace = Some(self.namespace.clone());
        w
    }

    fn spec(&self) -> ClaudeWorkstationSpec {
        let held = self.held.as_ref();
        ClaudeWorkstationSpec {
            user: self.user.clone(),
            environment: self.environment.clone(),
            revision: held.map(|h| h.revision.clone()),
            short_revision: held.map(|h| short_revision(&h.revision).to_string()),
            config_hash: held.and_then(|h| h.config_hash.clone()),
            cohort: i32::from(self.bucket),
            track: held.map(|h| h.track),
            last_sync_time: self.synced_at.map(Time),
            last_seen_time: Some(Time(self.now)),
            drift: self.drift.clone(),
            doctor: self.doctor.clone(),
            message: self.message.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_names_its_user_and_what_it_holds() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let r = Report {
            user: "system:serviceaccount:team:dev-01".into(),
            namespace: "team".into(),
            environment: "be-prod".into(),
            bucket: 7,
            held: Some(Held {
                revision: "0123456789abcdef0123".into(),
                track: Track::Canary,
                config_hash: Some("abc".into()),
            }),
            synced_at: Some(now),
            now,
            drift: WorkstationDrift {
                modified_files: vec!["CLAUDE.md".into()],
                local_overrides: true,
            },
            doctor: None,
            message: None,
        };
        let w = r.object();
        assert_eq!(w.metadata.namespace.as_deref(), Some("team"));
        assert!(
            w.metadata
                .name
                .as_deref()
                .unwrap()
                .starts_with("be-prod-dev-01-")
        );
        assert_eq!(w.spec.short_revision.as_deref(), Some("0123456789ab"));
        assert_eq!(w.spec.cohort, 7);
        assert_eq!(w.spec.track, Some(Track::Canary));
        assert!(w.spec.drift.drifted());
        let nothing = Report { held: None, ..r };
        assert_eq!(nothing.object().spec.revision, None);
    }
}
