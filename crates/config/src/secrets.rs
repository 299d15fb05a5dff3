//! Plain-text credential detection. Credentials never live in the repository
//! (docs/security.md); a value that looks like one fails validation at its file:line.
//!
//! Two detectors: well-known token formats anywhere in any string, and high-entropy text
//! under keys that name a credential (`password`, `token`, `apiKey`, ...). References
//! (`${secret:...}`, `${env:...}`) and obvious placeholders are not credentials.
//! Findings name only the kind of credential: never the value, nor any part of it.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

use crate::reference::without_references;

/// (what it looks like, pattern), most specific first: the first match names the finding.
const PATTERNS: &[(&str, &str)] = &[
    ("an Anthropic API key", r"sk-ant-[A-Za-z0-9_-]{20,}"),
    (
        "an OpenAI API key",
        r"(?-u:\b)sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}",
    ),
    (
        "an OpenAI API key",
        r"(?-u:\b)sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}(?-u:\b)",
    ),
    (
        "an OpenAI-style API key",
        r"(?-u:\b)sk-[A-Za-z0-9]{32,}(?-u:\b)",
    ),
    (
        "a GitHub personal access token",
        r"(?-u:\b)ghp_[A-Za-z0-9]{36,}(?-u:\b)",
    ),
    (
        "a GitHub personal access token",
        r"(?-u:\b)github_pat_[A-Za-z0-9_]{22,}(?-u:\b)",
    ),
    (
        "a GitHub OAuth or app token",
        r"(?-u:\b)(?:gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}(?-u:\b)",
    ),
    (
        "a GitLab personal access token",
        r"(?-u:\b)glpat-[A-Za-z0-9_-]{20,}",
    ),
    (
        "an AWS access key id",
        r"(?-u:\b)(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?-u:\b)",
    ),
    ("a Slack token", r"(?-u:\b)xox[baprs]-[A-Za-z0-9-]{10,}"),
    (
        "a Slack webhook URL",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]{10,}",
    ),
    (
        "a private key",
        r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----",
    ),
    (
        "a JSON Web Token",
        r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
    ),
    ("a Google API key", r"(?-u:\b)AIza[0-9A-Za-z_-]{35}(?-u:\b)"),
    (
        "a Stripe live secret key",
        r"(?-u:\b)(?:sk|rk)_live_[0-9A-Za-z]{16,}(?-u:\b)",
    ),
    (
        "an npm access token",
        r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)",
    ),
    // userinfo with a literal password (`$`, `<`, `{`, `*` start templates and masks).
    (
        "a URL with an embedded password",
        r"(?-u:\b)[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:[^/\s@$<{*][^/\s@]*@",
    ),
];

static SET: LazyLock<RegexSet> = LazyLock::new(|| {
    RegexSet::new(PATTERNS.iter().map(|(_, p)| p)).expect("secret patterns compile")
});

/// The patterns one by one, to find where the first matching one starts.
static REGEXES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|(_, p)| Regex::new(p).expect("secret patterns compile"))
        .collect()
});

static AWS_SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9/+=]{40}$").expect("regex compiles"));

static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xi)
        ^<[^>]*>$ | ^\{\{.*\}\}$ | ^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$ | ^\$\(.*\)$
        | change.?me | replace | your | example | placeholder | dummy | redacted
        | \btodo\b | fixme | xxxx | \*\*\*\* | \.\.\. | ^none$ | ^null$ | not.?set",
    )
    .expect("placeholder regex compiles")
});

/// Key fragments that mark a credential (compared lowercase, without `_`, `-`, `.`).
const CREDENTIAL_KEYS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "authorization",
    "authkey",
];
/// Keys that merely point at a credential or describe one (`passwordFile`, `apiKeyHelper`,
/// `secretName`, `maxTokens`).
const POINTER_SUFFIXES: &[&str] = &[
    "file",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "name",
    "ref",
    "env",
    "var",
    "type",
    "mode",
    "length",
    "ttl",
    "expiry",
    "expiration",
    "header",
    "id",
    "source",
    "command",
    "cmd",
    "helper",
    "format",
    "tokens",
    "enabled",
    "provider",
    "method",
];
/// Below these, text under a credential key is too short or too regular to be a secret
/// rather than a word (`changeme`, `hunter2hunter2`).
const MIN_LENGTH: usize = 12;
const MIN_ENTROPY: f64 = 3.0;

/// A value that looks like a credential: what kind, and where in the value it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Finding {
    pub kind: &'static str,
    /// Byte offset in the value (0 for findings about the whole value).
    pub offset: usize,
}

/// What the value looks like, if it looks like a credential.
pub(crate) fn scan(key: Option<&str>, value: &str) -> Option<Finding> {
    // Token formats on the value as written: a reference never looks like a token, and
    // offsets stay true to the source.
    if let Some(i) = SET.matches(value).iter().next() {
        let offset = REGEXES[i].find(value).map_or(0, |m| m.start());
        return Some(Finding {
            kind: PATTERNS[i].0,
            offset,
        });
    }
    let whole = |kind| Some(Finding { kind, offset: 0 });
    let literal = without_references(value);
    let literal = literal.trim();
    if literal.is_empty() {
        return None;
    }
    let key = normalize(key?);
    if (key.contains("awssecret") || key.contains("secretaccesskey"))
        && AWS_SECRET.is_match(literal)
    {
        return whole("an AWS secret access key");
    }
    if !is_credential_key(&key) {
        return None;
    }
    let candidate = strip_scheme(literal);
    if candidate.len() < MIN_LENGTH
        || PLACEHOLDER.is_match(candidate)
        || looks_like_location(candidate)
        || entropy(candidate) < MIN_ENTROPY
    {
        return None;
    }
    whole("a credential (high-entropy text under a credential-like key)")
}

fn normalize(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_credential_key(key: &str) -> bool {
    CREDENTIAL_KEYS.iter().any(|k| key.contains(k))
        && !POINTER_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// `Bearer xyz` → `xyz`: the scheme is not part of the secret.
fn strip_scheme(s: &str) -> &str {
    for scheme in ["Bearer ", "Basic ", "Token ", "token ", "bearer "] {
        if let Some(rest) = s.strip_prefix(scheme) {
            return rest.trim();
        }
    }
    s
}

/// Paths and plain URLs (no userinfo: that is the URL pattern's business).
fn looks_like_location(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("./") || s.starts_with("~/") || s.contains("://")
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
