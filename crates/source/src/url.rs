//! Repository URLs: parsing the forms Git accepts, and the two keys derived from them.
//!
//! * [`RepoUrl::match_key`] is deliberately liberal: protocol, user, default port, a trailing
//!   `/` or `.git` and letter case are all dropped, so a webhook's `clone_url`, `ssh_url` or
//!   `html_url` matches whatever form `spec.source.url` was written in. A false match only
//!   costs one fetch that finds nothing new (the fetch decides, never the payload).
//! * [`RepoUrl::cache_key`] is conservative: it keeps the scheme and the exact path, so two
//!   different repositories can never share a cache directory.
//!
//! Credentials embedded in a URL (`https://user:token@host/...`) are never part of a key and
//! never shown: use [`redact`] for anything that ends up in a message or a log.

use std::fmt;

/// A parsed repository URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoUrl {
    /// `https`, `http`, `ssh`, `git` or `file` (scp-like `host:path` parses as `ssh`).
    pub scheme: String,
    /// The user name, if any (e.g. `git` in `git@github.com:org/repo`). Never a password.
    pub user: Option<String>,
    /// Lower-cased host name; empty for `file`.
    pub host: String,
    /// The port when it is not the scheme's default.
    pub port: Option<u16>,
    /// The path with a leading `/`, percent-decoding left as written.
    pub path: String,
}

/// A URL this module cannot make sense of.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid repository URL {url}: {reason}")]
pub struct UrlError {
    /// The URL with any credentials removed.
    pub url: String,
    pub reason: String,
}

impl RepoUrl {
    /// Parses `https://…`, `http://…`, `ssh://…`, `git://…`, `file://…`, scp-like
    /// `[user@]host:path` and plain absolute paths (treated as `file`).
    pub fn parse(input: &str) -> Result<RepoUrl, UrlError> {
        let input = input.trim();
        let err = |reason: &str| UrlError {
            url: redact(input),
            reason: reason.to_owned(),
        };
        if input.is_empty() {
            return Err(err("empty"));
        }
        // URL parsers drop tabs and newlines that libgit2 keeps: the two would not agree on
        // what the URL is (found by fuzzing, fuzz/ git_url).
        if input.chars().any(char::is_control) {
            return Err(err("control characters (a newline or tab?) in the URL"));
        }
        if input.starts_with('/') {
            return Ok(file_url(input));
        }
        if !input.contains("://") {
            // `https:host/x` is a URL missing its `//` (a URL parser would read it as one),
            // not the scp-like path `x` on a host called `https`. The same holds for every
            // scheme the URL standard calls special (`ws:/u:pw@host` has a password to it).
            let prefix = input.split(':').next().unwrap_or("");
            if ["http", "https", "ssh", "git", "file", "ftp", "ws", "wss"]
                .iter()
                .any(|s| prefix.eq_ignore_ascii_case(s))
            {
                return Err(err("missing `//` after the scheme"));
            }
            return parse_scp_like(input).ok_or_else(|| err("neither scheme://… nor host:path"));
        }
        let parsed = ::url::Url::parse(input).map_err(|e| err(&e.to_string()))?;
        let scheme = parsed.scheme().to_ascii_lowercase();
        if scheme == "file" {
            return Ok(file_url(parsed.path()));
        }
        if !matches!(scheme.as_str(), "https" | "http" | "ssh" | "git") {
            return Err(err("unsupported scheme"));
        }
        let host = parsed.host_str().ok_or_else(|| err("no host"))?;
        let user = Some(parsed.username())
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        // `Url::port` already drops the default port of the schemes the URL standard knows
        // (http, https); ssh and git are not among them.
        let port = parsed.port().filter(|p| Some(*p) != default_port(&scheme));
        Ok(RepoUrl {
            scheme,
            user,
            host: host.to_ascii_lowercase(),
            port,
            path: parsed.path().to_owned(),
        })
    }

    /// The protocol-independent key used to match a push hint to an environment's source.
    pub fn match_key(&self) -> String {
        let path = trim_repo_suffix(&self.path).to_lowercase();
        if self.scheme == "file" {
            return format!("file://{path}");
        }
        // The port is kept only when it is not a default of *some* Git protocol: GitHub's
        // ssh (22) and https (443) URLs name the same repository.
        match self.port {
            Some(port) if ![22, 80, 443, 9418].contains(&port) => {
                format!("{}:{port}{path}", self.host)
            }
            _ => format!("{}{path}", self.host),
        }
    }

    /// The key naming this repository's cache directory: scheme, host, port and the exact
    /// path (only trailing slashes dropped).
    pub fn cache_key(&self) -> String {
        let path = self.path.trim_end_matches('/');
        match self.port {
            Some(port) => format!("{}://{}:{port}{path}", self.scheme, self.host),
            None => format!("{}://{}{path}", self.scheme, self.host),
        }
    }

    /// Whether the host is this machine's loopback (`localhost`, `127.0.0.0/8`, `::1`):
    /// traffic to it never crosses a network.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The port to connect to: the explicit one or the scheme's default.
    pub fn effective_port(&self) -> Option<u16> {
        self.port.or_else(|| default_port(&self.scheme))
    }
}

impl fmt::Display for RepoUrl {
    /// Shows the URL without credentials (the user name is kept: it is not a secret).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scheme == "file" {
            return write!(f, "file://{}", self.path);
        }
        write!(f, "{}://", self.scheme)?;
        if let Some(user) = &self.user {
            write!(f, "{}@", shown_user(&self.scheme, user))?;
        }
        write!(f, "{}", self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.path)
    }
}

/// Whether two URLs name the same repository in the liberal sense of [`RepoUrl::match_key`].
/// Unparseable URLs match nothing.
pub fn same_repo(a: &str, b: &str) -> bool {
    match (RepoUrl::parse(a), RepoUrl::parse(b)) {
        (Ok(a), Ok(b)) => a.match_key() == b.match_key(),
        _ => false,
    }
}

/// Whether `input` carries a password in its user-info (`https://user:token@host/...`).
/// A lone user name (`ssh://git@host/...`, `https://user@host/...`) is not one.
pub fn carries_password(input: &str) -> bool {
    let ours = authority(input).is_some_and(|(start, end)| {
        let authority = &input[start..end];
        authority
            .rfind('@')
            .is_some_and(|at| authority[..at].contains(':'))
    });
    ours || standard_password(input).is_some()
}

/// The password a URL parser reads from `input` (it trims control characters and spaces
/// around the URL and drops tabs and newlines inside it, which libgit2 and
/// [`authority`] do not).
fn standard_password(input: &str) -> Option<::url::Url> {
    ::url::Url::parse(input)
        .ok()
        .filter(|u| u.scheme() != "file" && u.password().is_some_and(|p| !p.is_empty()))
}

/// The URL with any password or token in its user-info replaced by `***`, for messages.
/// Works on URLs that do not parse too, so an error about a bad URL cannot leak a secret.
pub fn redact(input: &str) -> String {
    let user_info = authority(input)
        .and_then(|(start, end)| Some((start, start + input[start..end].rfind('@')?)));
    let Some((start, at)) = user_info else {
        // No user-info as we read it, but a URL parser may still find a password: show
        // what it reads, without it.
        return match standard_password(input) {
            Some(mut url) => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            None => input.to_owned(),
        };
    };
    let userinfo = &input[start..at];
    let user = userinfo.split(':').next().unwrap_or("");
    let scheme = &input[..input.find(':').unwrap_or(0)];
    let shown = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        shown_user(scheme, user).to_owned()
    };
    format!("{}{shown}{}", &input[..start], &input[at..])
}

/// Where the authority (`[user-info@]host[:port]`) of `input` is, as the URL standard reads
/// it: after `scheme://`, or for the schemes it calls special (`http`, `https`, `ftp`, `ws`,
/// `wss`) after `scheme:` and any number of slashes or backslashes (`http:user:pw@host`
/// is `http://user:pw@host` to a URL parser). It ends at the first `/`, `?` or `#` (and `\`
/// for special schemes).
fn authority(input: &str) -> Option<(usize, usize)> {
    let colon = input.find(':')?;
    let scheme = &input[..colon];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !valid {
        return None;
    }
    let special = ["http", "https", "ftp", "ws", "wss"]
        .iter()
        .any(|s| scheme.eq_ignore_ascii_case(s));
    let after = &input[colon + 1..];
    let start = if special {
        colon + 1 + (after.len() - after.trim_start_matches(['/', '\\']).len())
    } else if after.starts_with("//") {
        colon + 3
    } else {
        return None;
    };
    let rest = &input[start..];
    let len = rest
        .find(|c: char| matches!(c, '/' | '?' | '#') || (special && c == '\\'))
        .unwrap_or(rest.len());
    Some((start, start + len))
}

/// Over HTTP a lone user-info is often a token (`https://<token>@host`), so only SSH user
/// names (never secrets there: the key is) are shown.
fn shown_user<'a>(scheme: &str, user: &'a str) -> &'a str {
    if scheme.eq_ignore_ascii_case("ssh") || user.is_empty() {
        user
    } else {
        "***"
    }
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        "ssh" => Some(22),
        "git" => Some(9418),
        _ => None,
    }
}

fn file_url(path: &str) -> RepoUrl {
    RepoUrl {
        scheme: "file".to_owned(),
        user: None,
        host: String::new(),
        port: None,
        path: path.to_owned(),
    }
}

/// `[user@]host:path`, the form `git@github.com:org/repo.git`. Git treats a colon after a
/// slash as part of a local path, and so does this.
fn parse_scp_like(input: &str) -> Option<RepoUrl> {
    let colon = input.find(':')?;
    let (authority, path) = (&input[..colon], &input[colon + 1..]);
    if authority.is_empty() || authority.contains('/') || path.is_empty() {
        return None;
    }
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (Some(user.to_owned()), host),
        None => (None, authority),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return None;
    }
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    Some(RepoUrl {
        scheme: "ssh".to_owned(),
        user,
        host: host.to_ascii_lowercase(),
        port: None,
        path,
    })
}

fn trim_repo_suffix(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.strip_suffix(".git").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_forms_share_one_match_key() {
        let forms = [
            "https://github.com/Org/Repo",
            "https://github.com/org/repo.git",
            "https://github.com/org/repo/",
            "https://user@github.com/org/repo.git",
            "http://github.com/org/repo",
            "git@github.com:org/repo.git",
            "git@github.com:/org/repo.git",
            "ssh://git@github.com/org/repo",
            "ssh://git@github.com:22/org/repo.git",
            "git://github.com/org/repo.git",
            "https://GitHub.com:443/org/repo.git",
        ];
        for form in forms {
            let key = RepoUrl::parse(form).unwrap().match_key();
            assert_eq!(key, "github.com/org/repo", "{form}");
        }
    }

    #[test]
    fn local_servers_keep_host_port_and_path() {
        let a = RepoUrl::parse("http://127.0.0.1:8123/x.git").unwrap();
        assert_eq!(a.match_key(), "127.0.0.1:8123/x");
        let b = RepoUrl::parse("http://127.0.0.1:8124/x.git").unwrap();
        assert_ne!(a.match_key(), b.match_key());
        assert!(same_repo(
            "git://127.0.0.1:9555/x.git",
            "git://127.0.0.1:9555/x"
        ));
        assert!(!same_repo(
            "git://127.0.0.1:9555/x.git",
            "git://127.0.0.1:9555/y.git"
        ));
    }

    #[test]
    fn file_urls_and_plain_paths() {
        let a = RepoUrl::parse("file:///srv/git/config.git").unwrap();
        let b = RepoUrl::parse("/srv/git/config.git/").unwrap();
        assert_eq!(a.match_key(), "file:///srv/git/config");
        assert_eq!(a.match_key(), b.match_key());
        assert_eq!(a.cache_key(), "file:///srv/git/config.git");
        assert_eq!(a.cache_key(), b.cache_key());
    }

    #[test]
    fn cache_key_is_conservative() {
        let https = RepoUrl::parse("https://github.com/org/repo.git").unwrap();
        let ssh = RepoUrl::parse("git@github.com:org/repo.git").unwrap();
        let bare = RepoUrl::parse("https://github.com/org/repo").unwrap();
        assert_ne!(https.cache_key(), ssh.cache_key());
        assert_ne!(https.cache_key(), bare.cache_key());
        let with_user = RepoUrl::parse("https://token@github.com/org/repo.git").unwrap();
        assert_eq!(https.cache_key(), with_user.cache_key());
        assert_eq!(https.cache_key(), "https://github.com/org/repo.git");
    }

    #[test]
    fn ports_and_users() {
        let u = RepoUrl::parse("ssh://git@git.example.com:2222/team/cfg.git").unwrap();
        assert_eq!(u.user.as_deref(), Some("git"));
        assert_eq!(u.port, Some(2222));
        assert_eq!(u.effective_port(), Some(2222));
        assert_eq!(u.match_key(), "git.example.com:2222/team/cfg");
        let scp = RepoUrl::parse("git@github.com:org/repo.git").unwrap();
        assert_eq!(scp.effective_port(), Some(22));
        assert_eq!(scp.to_string(), "ssh://git@github.com/org/repo.git");
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "   ", "ftp://host/x", "no-colon-here", "https://"] {
            assert!(RepoUrl::parse(bad).is_err(), "{bad:?}");
        }
        // Found by fuzzing (fuzz/ git_url): read as scp-like, this was host `https`, path
        // `bob:tok@host/x`, and displayed the token.
        let err = RepoUrl::parse("https:bob:tok-123@host/x").unwrap_err();
        assert!(err.reason.contains("//"), "{err}");
        assert!(!err.to_string().contains("tok-123"), "{err}");
        assert!(RepoUrl::parse("HTTP:host/x").is_err());
        // Found by fuzzing too: `ws` is a special scheme to a URL parser, which reads user
        // `https` and password `s3cret` here; as scp-like it displayed the password.
        let err = RepoUrl::parse("ws:/https:s3cret@h}st/x.gi").unwrap_err();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(RepoUrl::parse("WSS:host/x").is_err());
        assert!(
            RepoUrl::parse("gitlab:org/repo").is_ok(),
            "a host may be called gitlab"
        );
        for bad in [
            "http\n:@\rbtp:bob@host",
            "https://host/x\ty",
            "git@host:x\0",
        ] {
            assert!(RepoUrl::parse(bad).is_err(), "{bad:?}");
        }
        assert!(!same_repo("", ""));
    }

    #[test]
    fn redaction_hides_passwords_and_tokens() {
        assert_eq!(
            redact("https://alice:s3cret@host/x.git"),
            "https://alice:***@host/x.git"
        );
        assert_eq!(
            redact("https://ghp_abc@host/x.git"),
            "https://***@host/x.git"
        );
        assert_eq!(redact("ssh://git@host/x.git"), "ssh://git@host/x.git");
        assert_eq!(redact("git@host:x.git"), "git@host:x.git");
        assert_eq!(redact("https://host/a@b"), "https://host/a@b");
        // Found by fuzzing (fuzz/ git_url): a URL parser reads `http:user:pw@host` as
        // `http://user:pw@host`, and so must the redaction and the password check.
        assert_eq!(redact("http:bob:tok-1@host/x"), "http:bob:***@host/x");
        assert_eq!(
            redact("https:\\\\bob:tok-1@host/x"),
            "https:\\\\bob:***@host/x"
        );
        assert!(carries_password("http:bob:tok-1@host/x"));
        assert_eq!(redact("ssh:bob:x@host"), "ssh:bob:x@host");
        assert_eq!(redact("https://a:b@host?q=c@d"), "https://a:***@host?q=c@d");
        // Control characters a URL parser drops (and libgit2 does not) hide nothing.
        let odd = "\0\0http://bob:tok-123@host/x";
        assert!(carries_password(odd));
        assert!(!redact(odd).contains("tok-123"), "{}", redact(odd));
        let tab = "ht\ttps://bob:tok-123@host/x";
        assert!(carries_password(tab));
        assert!(!redact(tab).contains("tok-123"), "{}", redact(tab));
        let err = RepoUrl::parse("ftp://bob:pw@host/x").unwrap_err();
        assert!(!err.to_string().contains("pw@"), "{err}");
    }

    #[test]
    fn passwords_in_urls_are_detected() {
        for with in [
            "https://alice:s3cret@host/x.git",
            "http://x-access-token:ghp_abc@github.com/o/r",
            "ssh://git:pw@host/x.git",
            "https://:tok@host/x.git",
        ] {
            assert!(carries_password(with), "{with}");
        }
        for without in [
            "https://host/x.git",
            "https://alice@host/x.git",
            "ssh://git@host:2222/x.git",
            "git@host:x.git",
            "https://host/a:b@c",
            "https://host:443/x.git",
            "/srv/git/x.git",
        ] {
            assert!(!carries_password(without), "{without}");
        }
    }

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080/x.git",
            "http://127.3.4.5/x.git",
            "git://localhost/x.git",
            "http://[::1]:9000/x.git",
        ] {
            assert!(RepoUrl::parse(url).unwrap().is_loopback(), "{url}");
        }
        for url in [
            "http://example.com/x.git",
            "http://10.0.0.1/x.git",
            "http://localhost.example.com/x.git",
            "http://[::2]/x.git",
        ] {
            assert!(!RepoUrl::parse(url).unwrap().is_loopback(), "{url}");
        }
    }

    #[test]
    fn display_never_shows_passwords() {
        let u = RepoUrl::parse("https://alice:s3cret@host/x.git").unwrap();
        assert_eq!(u.to_string(), "https://***@host/x.git");
        let ssh = RepoUrl::parse("ssh://deploy@host:2222/x.git").unwrap();
        assert_eq!(ssh.to_string(), "ssh://deploy@host:2222/x.git");
    }
}
