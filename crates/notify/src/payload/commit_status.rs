//! Git commit statuses on the revision an event is about: GitHub
//! (`POST {base}/repos/{owner}/{repo}/statuses/{sha}`) and GitLab
//! (`POST {base}/projects/{id}/statuses/{sha}`), with a configurable base URL for GitHub
//! Enterprise and self-managed GitLab. One status context per environment
//! (`claude-env/<namespace>/<name>`), so a pull request shows each environment's verdict.
//! Drift is not about a commit: those kinds are not sent.

use claude_env_api::EventKind;
use serde_json::json;

use super::{Delivery, PayloadError, Target, check_http};
use crate::event::Event;
use crate::text::{clip, title};

const GITHUB_API: &str = "https://api.github.com";
const GITLAB_API: &str = "https://gitlab.com/api/v4";
/// GitHub's limit on a status description.
const DESCRIPTION_MAX: usize = 140;

/// GitHub `state`; `None`: not a commit status.
fn github_state(kind: EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::RolloutSucceeded => "success",
        EventKind::RolledBack | EventKind::RolloutFailed => "failure",
        EventKind::Stalled => "error",
        EventKind::ApprovalRequired
        | EventKind::Approved
        | EventKind::RetryRequested
        | EventKind::RolloutStarted
        | EventKind::RolloutPromoted
        | EventKind::DependencyWaiting => "pending",
        EventKind::DriftDetected | EventKind::DriftRemediated => return None,
    })
}

/// GitLab `state`; `None`: not a commit status.
fn gitlab_state(kind: EventKind) -> Option<&'static str> {
    Some(match kind {
        EventKind::RolloutSucceeded => "success",
        EventKind::RolledBack | EventKind::RolloutFailed | EventKind::Stalled => "failed",
        EventKind::ApprovalRequired | EventKind::DependencyWaiting => "pending",
        EventKind::Approved
        | EventKind::RetryRequested
        | EventKind::RolloutStarted
        | EventKind::RolloutPromoted => "running",
        EventKind::DriftDetected | EventKind::DriftRemediated => return None,
    })
}

fn context(e: &Event) -> String {
    format!("claude-env/{}/{}", e.namespace, e.name)
}

/// `Rolled back (CrashLoop): revision 0123… rolled back to …`, within GitHub's limit.
fn description(e: &Event) -> String {
    let reason = if e.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", e.reason)
    };
    clip(
        &format!("{}{reason}: {}", title(e.kind), e.message),
        DESCRIPTION_MAX,
    )
}

fn base(target: &Target, default: &str) -> Result<String, PayloadError> {
    let base = target
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(default);
    check_http(base)?;
    Ok(base.trim_end_matches('/').to_string())
}

fn token(target: &Target) -> Result<&str, PayloadError> {
    target
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(PayloadError::MissingToken)
}

fn repository(target: &Target, e: &Event) -> Result<String, PayloadError> {
    target
        .repository
        .clone()
        .or_else(|| repository_from_url(&e.source_url))
        .ok_or_else(|| PayloadError::NoRepository(e.source_url.clone()))
}

pub(super) fn github(target: &Target, e: &Event) -> Result<Option<Delivery>, PayloadError> {
    let Some(state) = github_state(e.kind) else {
        return Ok(None);
    };
    let repo = repository(target, e)?;
    let url = format!(
        "{}/repos/{}/statuses/{}",
        base(target, GITHUB_API)?,
        repo.trim_matches('/'),
        e.revision
    );
    let body = json!({"state": state, "context": context(e), "description": description(e)});
    Ok(Some(Delivery::json(
        url,
        &body,
        vec![
            ("Accept".into(), "application/vnd.github+json".into()),
            ("Authorization".into(), format!("Bearer {}", token(target)?)),
            ("X-GitHub-Api-Version".into(), "2022-11-28".into()),
        ],
    )))
}

pub(super) fn gitlab(target: &Target, e: &Event) -> Result<Option<Delivery>, PayloadError> {
    let Some(state) = gitlab_state(e.kind) else {
        return Ok(None);
    };
    let project = repository(target, e)?;
    // A path (`group/project`) is one URL-encoded segment; a numeric ID is itself.
    let id: String =
        url::form_urlencoded::byte_serialize(project.trim_matches('/').as_bytes()).collect();
    let url = format!(
        "{}/projects/{id}/statuses/{}",
        base(target, GITLAB_API)?,
        e.revision
    );
    let body = json!({"state": state, "name": context(e), "description": description(e)});
    Ok(Some(Delivery::json(
        url,
        &body,
        vec![("PRIVATE-TOKEN".into(), token(target)?.to_string())],
    )))
}

/// The repository path of a Git URL: `https://github.com/acme/config.git`,
/// `git@github.com:acme/config.git` and `ssh://git@host/acme/config` give `acme/config`
/// (GitLab subgroups keep every segment).
pub fn repository_from_url(source: &str) -> Option<String> {
    let path = if let Ok(u) = url::Url::parse(source) {
        u.host()?;
        u.path().to_string()
    } else {
        // scp-like `user@host:path`.
        let (_, path) = source.split_once(':')?;
        path.to_string()
    };
    let path = path.trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    (path.contains('/') && !path.split('/').any(str::is_empty)).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::fixtures::{REV, rolled_back};
    use crate::payload::render;
    use claude_env_api::ProviderType;
    use pretty_assertions::assert_eq;
    use serde_json::Value;

    fn target(type_: ProviderType, address: Option<&str>) -> Target {
        Target {
            type_: Some(type_),
            address: address.map(str::to_string),
            token: Some("t0ken".into()),
            ..Target::default()
        }
    }

    fn body(d: &Delivery) -> Value {
        serde_json::from_slice(&d.body).unwrap()
    }

    #[test]
    fn github_golden() {
        let d = render(&target(ProviderType::GitHub, None), &rolled_back())
            .unwrap()
            .unwrap();
        assert_eq!(
            d.url,
            format!("https://api.github.com/repos/acme/claude-config/statuses/{REV}")
        );
        assert_eq!(
            body(&d),
            json!({
                "state": "failure",
                "context": "claude-env/team-be/be-prod",
                "description": "Rolled back (CrashLoop): revision 0123456789ab rolled back to fedcba987654: canary step 1: pods crash-loop",
            })
        );
        assert_eq!(d.header("Authorization"), Some("Bearer t0ken"));
        assert_eq!(d.header("Accept"), Some("application/vnd.github+json"));
        assert_eq!(d.header("X-GitHub-Api-Version"), Some("2022-11-28"));
    }

    #[test]
    fn github_enterprise_base_url_and_explicit_repository() {
        let mut t = target(
            ProviderType::GitHub,
            Some("https://github.example.com/api/v3/"),
        );
        t.repository = Some("platform/config".into());
        let d = render(&t, &rolled_back()).unwrap().unwrap();
        assert_eq!(
            d.url,
            format!("https://github.example.com/api/v3/repos/platform/config/statuses/{REV}")
        );
    }

    #[test]
    fn gitlab_golden() {
        let mut t = target(
            ProviderType::GitLab,
            Some("https://gitlab.example.com/api/v4"),
        );
        t.repository = Some("platform/tools/claude-config".into());
        let d = render(&t, &rolled_back()).unwrap().unwrap();
        assert_eq!(
            d.url,
            format!(
                "https://gitlab.example.com/api/v4/projects/platform%2Ftools%2Fclaude-config/statuses/{REV}"
            )
        );
        assert_eq!(
            body(&d),
            json!({
                "state": "failed",
                "name": "claude-env/team-be/be-prod",
                "description": "Rolled back (CrashLoop): revision 0123456789ab rolled back to fedcba987654: canary step 1: pods crash-loop",
            })
        );
        assert_eq!(d.header("PRIVATE-TOKEN"), Some("t0ken"));
    }

    #[test]
    fn states_follow_the_kind_and_drift_is_no_commit_status() {
        let mut e = rolled_back();
        let state = |t: ProviderType, e: &Event| {
            render(&target(t, None), e)
                .unwrap()
                .map(|d| body(&d)["state"].as_str().unwrap().to_string())
        };
        e.kind = EventKind::RolloutSucceeded;
        assert_eq!(state(ProviderType::GitHub, &e).as_deref(), Some("success"));
        assert_eq!(state(ProviderType::GitLab, &e).as_deref(), Some("success"));
        e.kind = EventKind::RolloutStarted;
        assert_eq!(state(ProviderType::GitHub, &e).as_deref(), Some("pending"));
        assert_eq!(state(ProviderType::GitLab, &e).as_deref(), Some("running"));
        e.kind = EventKind::DriftDetected;
        assert_eq!(state(ProviderType::GitHub, &e), None);
        assert_eq!(state(ProviderType::GitLab, &e), None);
    }

    #[test]
    fn a_token_is_required_and_descriptions_are_clipped() {
        let mut t = target(ProviderType::GitHub, None);
        t.token = None;
        assert_eq!(render(&t, &rolled_back()), Err(PayloadError::MissingToken));
        let mut e = rolled_back();
        e.message = "x".repeat(500);
        let d = render(&target(ProviderType::GitHub, None), &e)
            .unwrap()
            .unwrap();
        let description = body(&d)["description"].as_str().unwrap().to_string();
        assert_eq!(description.chars().count(), DESCRIPTION_MAX);
        assert!(description.ends_with('…'));
    }

    #[test]
    fn repositories_from_source_urls() {
        for (url, repo) in [
            ("https://github.com/acme/config.git", Some("acme/config")),
            ("https://github.com/acme/config", Some("acme/config")),
            ("git@github.com:acme/config.git", Some("acme/config")),
            (
                "ssh://git@gitlab.com/group/sub/config.git",
                Some("group/sub/config"),
            ),
            ("http://127.0.0.1:8080/config.git", None),
            ("file:///srv/git/config", None),
        ] {
            assert_eq!(repository_from_url(url).as_deref(), repo, "{url}");
        }
        let mut e = rolled_back();
        e.source_url = "http://127.0.0.1/x.git".into();
        assert_eq!(
            render(&target(ProviderType::GitHub, None), &e),
            Err(PayloadError::NoRepository("http://127.0.0.1/x.git".into()))
        );
    }
}
