//! `--repo URL`: a bare clone per URL in the user's cache directory, fetched on every use,
//! then resolved to one commit. Reading a commit's tree needs no checkout, so the cache
//! stays small and a dirty working copy can never leak into what is rendered.

use std::path::{Path, PathBuf};

use git2::{Cred, CredentialType, FetchOptions, RemoteCallbacks, Repository};

use crate::hash::sha256_hex;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot find a cache directory: set XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    #[error("cannot create the cache directory {}", path.display())]
    CacheDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot fetch {url}")]
    Fetch {
        url: String,
        #[source]
        source: git2::Error,
    },
    #[error("{url} has no branch {branch:?}")]
    NoBranch { url: String, branch: String },
    #[error("revision {rev:?} not found in {repo}")]
    NoRevision {
        repo: String,
        rev: String,
        #[source]
        source: git2::Error,
    },
    #[error("{repo}")]
    Git {
        repo: String,
        #[source]
        source: git2::Error,
    },
}

/// Where a URL's bare clone lives: `$XDG_CACHE_HOME/claude-env/repos/<hash of the URL>`.
pub fn cache_dir(url: &str) -> Result<PathBuf, GitError> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or(GitError::NoCacheDir)?;
    Ok(base
        .join("claude-env")
        .join("repos")
        .join(&sha256_hex(url.as_bytes())[..16]))
}

/// Fetch `url` into its cache and return the cached repository and the commit wanted:
/// `rev` (any revision git understands, or a remote branch name), else `branch`, else the
/// remote's default branch.
pub fn fetch(
    url: &str,
    branch: Option<&str>,
    rev: Option<&str>,
) -> Result<(Repository, git2::Oid), GitError> {
    let dir = cache_dir(url)?;
    std::fs::create_dir_all(&dir).map_err(|source| GitError::CacheDir {
        path: dir.clone(),
        source,
    })?;
    let git = |source| GitError::Git {
        repo: dir.display().to_string(),
        source,
    };
    let repo = match Repository::open_bare(&dir) {
        Ok(r) => r,
        Err(_) => Repository::init_bare(&dir).map_err(git)?,
    };
    let default_branch = fetch_all(&repo, url)?;
    let commit = {
        let wanted = |r: &str| repo.revparse_single(r).and_then(|o| o.peel_to_commit());
        match (rev, branch) {
            (Some(rev), _) => wanted(rev)
                .or_else(|_| wanted(&format!("refs/remotes/origin/{rev}")))
                .map_err(|source| GitError::NoRevision {
                    repo: url.to_string(),
                    rev: rev.to_string(),
                    source,
                })?,
            (None, Some(b)) => {
                wanted(&format!("refs/remotes/origin/{b}")).map_err(|_| GitError::NoBranch {
                    url: url.to_string(),
                    branch: b.to_string(),
                })?
            }
            (None, None) => {
                let b = default_branch.unwrap_or_else(|| "main".to_string());
                wanted(&format!("refs/remotes/origin/{b}")).map_err(|_| GitError::NoBranch {
                    url: url.to_string(),
                    branch: b,
                })?
            }
        }
        .id()
    };
    Ok((repo, commit))
}

/// Fetch every branch and tag; returns the remote's default branch name.
fn fetch_all(repo: &Repository, url: &str) -> Result<Option<String>, GitError> {
    let fetch_err = |source| GitError::Fetch {
        url: url.to_string(),
        source,
    };
    let mut remote = repo.remote_anonymous(url).map_err(fetch_err)?;
    let mut opts = FetchOptions::new();
    opts.remote_callbacks(callbacks());
    opts.prune(git2::FetchPrune::On);
    remote
        .fetch(
            &[
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ],
            Some(&mut opts),
            None,
        )
        .map_err(fetch_err)?;
    // Available after the fetch's connection (libgit2 keeps the advertised refs).
    let head = remote.default_branch().ok();
    Ok(head
        .as_ref()
        .and_then(|b| b.as_str().ok())
        .and_then(|b| b.strip_prefix("refs/heads/"))
        .map(str::to_string))
}

/// Credentials as `git` would find them: the SSH agent, then git's credential helpers.
/// Each kind is tried once, so a wrong credential fails instead of looping.
fn callbacks() -> RemoteCallbacks<'static> {
    let mut tried = CredentialType::empty();
    let mut cb = RemoteCallbacks::new();
    cb.credentials(move |url, username, allowed| {
        let user = username.unwrap_or("git");
        if allowed.contains(CredentialType::SSH_KEY) && !tried.contains(CredentialType::SSH_KEY) {
            tried |= CredentialType::SSH_KEY;
            return Cred::ssh_key_from_agent(user);
        }
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT)
            && !tried.contains(CredentialType::USER_PASS_PLAINTEXT)
        {
            tried |= CredentialType::USER_PASS_PLAINTEXT;
            let config = git2::Config::open_default()?;
            return Cred::credential_helper(&config, url, username);
        }
        Err(git2::Error::from_str(
            "no usable credentials (ssh-agent, git credential helper)",
        ))
    });
    cb
}

/// Whether `repo` (as given to `--repo`) names a Git URL rather than a directory.
pub fn is_url(repo: &str) -> bool {
    repo.contains("://") || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

#[cfg(test)]
mod tests {
    use super::is_url;

    #[test]
    fn urls_and_directories_are_told_apart() {
        for url in [
            "https://h/r.git",
            "ssh://git@h/r",
            "file:///tmp/r.git",
            "git@github.com:o/r.git",
        ] {
            assert!(is_url(url), "{url}");
        }
        for dir in [".", "config-repo-example", "/work/repo", "../x"] {
            assert!(!is_url(dir), "{dir}");
        }
    }
}
