//! `--repo URL`: the shared Git cache of the source crate
//! ([`claude_env_source::git::GitCache`], the one the controller uses), in the user's cache
//! directory, with the user's own credentials ([`Auth::Default`]: ssh-agent and git's
//! credential helpers). This module only decides what to fetch for `--branch` / `--rev`.
//! Reading a commit's tree needs no checkout, so the cache stays small and a dirty working
//! copy can never leak into what is rendered.

use std::path::{Path, PathBuf};
use std::time::Duration;

use claude_env_source::auth::Auth;
use claude_env_source::git::{FetchError, GitCache};
use git2::{Oid, Repository};

/// Bounds each fetch (a stalled connection, a huge repository).
const FETCH_TIMEOUT: Duration = Duration::from_secs(300);
/// The branch used when the remote advertises no default branch.
const FALLBACK_BRANCH: &str = "main";

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot find a cache directory: set XDG_CACHE_HOME or HOME")]
    NoCacheDir,
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("revision {rev:?} not found in {repo}{hint}")]
    NoRevision {
        repo: String,
        rev: String,
        /// How to make it findable, if anything can.
        hint: String,
        #[source]
        source: git2::Error,
    },
}

/// Where the bare clones live: `$XDG_CACHE_HOME/claude-env/repos` (else `~/.cache/...`),
/// one `<name>-<hash of the URL>.git` per URL.
pub(crate) fn cache_root() -> Result<PathBuf, GitError> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or(GitError::NoCacheDir)?;
    Ok(base.join("claude-env").join("repos"))
}

/// The CLI's cache: local URLs allowed (`file://`, a bare repository on disk) — the user
/// can read their own disk anyway, unlike a controller's tenants.
pub(crate) fn cache() -> Result<GitCache, GitError> {
    Ok(GitCache::new(cache_root()?)?.allow_local_urls(true))
}

/// Fetch what `branch` / `rev` need from `url` and return the cached repository and the
/// commit wanted:
///
/// * neither: the tip of the remote's default branch (`main` if it advertises none);
/// * `branch`: its tip;
/// * `rev` that looks like a commit SHA: found in the history of `branch` (default: the
///   default branch) or of anything fetched before;
/// * any other `rev`: a branch of that name, else a tag, else a revision expression
///   (`main~2`) on the default branch.
pub(crate) fn fetch(
    url: &str,
    branch: Option<&str>,
    rev: Option<&str>,
) -> Result<(Repository, Oid), GitError> {
    let cache = cache()?;
    let auth = Auth::Default;
    let follow = |branch: Option<&str>| -> Result<String, GitError> {
        let b = match branch {
            Some(b) => b.to_string(),
            None => cache
                .default_branch(url, &auth, FETCH_TIMEOUT)?
                .unwrap_or_else(|| FALLBACK_BRANCH.to_string()),
        };
        cache.fetch(url, &b, &auth, FETCH_TIMEOUT)?;
        Ok(b)
    };
    let Some(rev) = rev else {
        let b = follow(branch)?;
        return Ok((cache.open(url)?, tip(&cache, url, &b)?));
    };
    if branch.is_none() && !looks_like_sha(rev) {
        match cache.fetch(url, rev, &auth, FETCH_TIMEOUT) {
            Ok(f) => return Ok((cache.open(url)?, oid(&f.revision))),
            Err(FetchError::BranchNotFound { .. } | FetchError::InvalidBranch(_)) => {}
            Err(e) => return Err(e.into()),
        }
        match cache.fetch_tag(url, rev, &auth, FETCH_TIMEOUT) {
            Ok(f) => return Ok((cache.open(url)?, oid(&f.revision))),
            Err(FetchError::TagNotFound { .. } | FetchError::InvalidTag(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let followed = follow(branch)?;
    let repo = cache.open(url)?;
    let found = repo
        .revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id());
    match found {
        Ok(id) => Ok((repo, id)),
        Err(source) => Err(GitError::NoRevision {
            repo: claude_env_source::url::redact(url),
            rev: rev.to_string(),
            hint: if branch.is_some() {
                String::new()
            } else {
                format!(
                    " (not a branch or tag, nor in the history of {followed}; \
                     pass --branch for a commit on another branch)"
                )
            },
            source,
        }),
    }
}

fn tip(cache: &GitCache, url: &str, branch: &str) -> Result<Oid, GitError> {
    let rev = cache
        .cached_revision(url, branch)?
        .ok_or_else(|| FetchError::BranchNotFound {
            url: claude_env_source::url::redact(url),
            branch: branch.to_string(),
        })?;
    Ok(oid(&rev))
}

/// A SHA the cache just reported.
fn oid(sha: &str) -> Oid {
    Oid::from_str(sha).expect("the cache reports 40-hex-digit SHAs")
}

/// 4 to 40 hex digits: a (short) commit SHA rather than a branch or tag name.
fn looks_like_sha(rev: &str) -> bool {
    (4..=40).contains(&rev.len()) && rev.chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether `repo` (as given to `--repo`) names a Git URL rather than a directory.
pub(crate) fn is_url(repo: &str) -> bool {
    repo.contains("://") || (repo.contains('@') && repo.contains(':') && !Path::new(repo).exists())
}

#[cfg(test)]
mod tests {
    use super::{is_url, looks_like_sha};

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

    #[test]
    fn shas_are_told_from_names() {
        for sha in ["1f2e", "1f2e3d4c5b6a", &"a".repeat(40)] {
            assert!(looks_like_sha(sha), "{sha}");
        }
        for name in [
            "main",
            "v1.2",
            "abc",
            "release-1f2e",
            &"a".repeat(41),
            "HEAD~1",
        ] {
            assert!(!looks_like_sha(name), "{name}");
        }
    }
}
