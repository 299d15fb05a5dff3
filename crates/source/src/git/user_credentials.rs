//! [`Auth::Default`](crate::auth::Auth::Default): credentials as `git` itself finds them on
//! a workstation — the SSH agent for SSH URLs, git's credential helpers (`credential.helper`
//! in the user's Git config) for HTTPS. The session hands out one credential per fetch, so a
//! refused one fails the fetch instead of looping.

use git2::{Cred, CredentialType};

/// A credential for `url` of a kind in `allowed`, or why there is none (for the error).
pub(crate) fn credentials(
    url: &str,
    user_from_url: Option<&str>,
    allowed: CredentialType,
) -> Result<Cred, String> {
    if allowed.contains(CredentialType::SSH_KEY) {
        let user = user_from_url.unwrap_or("git");
        return Cred::ssh_key_from_agent(user).map_err(|e| {
            format!(
                "the server asks for an SSH key and the SSH agent has none to offer ({}); \
                 start ssh-agent and `ssh-add` your key",
                e.message()
            )
        });
    }
    if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
        let no_helper = || {
            "the server requires authentication and no git credential helper has credentials \
             for it; configure one (e.g. `git config --global credential.helper store` and \
             clone once with git) or use an SSH URL with ssh-agent"
                .to_owned()
        };
        let config = git2::Config::open_default().map_err(|_| no_helper())?;
        return Cred::credential_helper(&config, url, user_from_url).map_err(|_| no_helper());
    }
    Err(format!(
        "the server asks for credentials of a kind claude-env cannot get from git's setup \
         ({allowed:?})"
    ))
}
