//! Credential references inside string values: `${secret:<name>/<key>}` (a key of a
//! Kubernetes Secret) and `${env:VAR}` (a workstation environment variable).
//!
//! Any other `${...}` is ordinary text (Claude Code and shells expand `${HOME}`,
//! `${VAR:-default}` themselves), except what can only be meant as a reference and would
//! otherwise reach Claude Code verbatim: near-misses of ours like `${Secret:...}` or
//! `${secrets:...}`, and other schemes like `${vault:...}` (a lowercase word and a colon not
//! followed by a shell operator), which claude-env does not resolve. Both are errors.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference<'a> {
    Secret { name: &'a str, key: &'a str },
    Env { var: &'a str },
}

/// Why a reference is malformed (no value is quoted: the caller knows the position).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ReferenceError {
    /// Byte offset of the reference's `${` in the string.
    pub offset: usize,
    pub reason: &'static str,
}

const SECRET: &str = "${secret:";
const ENV: &str = "${env:";

/// Every reference in `s` with its byte range, or the first malformed one.
pub fn references(s: &str) -> Result<Vec<(Range<usize>, Reference<'_>)>, ReferenceError> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = s[from..].find("${") {
        let start = from + rel;
        let tail = &s[start..];
        let err = |reason| ReferenceError {
            offset: start,
            reason,
        };
        let (prefix, is_secret) = if tail.starts_with(SECRET) {
            (SECRET.len(), true)
        } else if tail.starts_with(ENV) {
            (ENV.len(), false)
        } else {
            if near_miss(&tail[2..]) {
                return Err(err(
                    "write references exactly as `${secret:<name>/<key>}` or `${env:VAR}` (lowercase, no spaces)",
                ));
            }
            if unknown_scheme(&tail[2..]) {
                return Err(err(
                    "unknown reference scheme: claude-env resolves only `${secret:<name>/<key>}` (Kubernetes Secret) and `${env:VAR}` (workstation)",
                ));
            }
            from = start + 2;
            continue;
        };
        let Some(close) = tail.find('}') else {
            return Err(err("the reference has no closing `}`"));
        };
        let body = &tail[prefix..close];
        let reference = if is_secret {
            let Some((name, key)) = body.split_once('/') else {
                return Err(err("a secret reference is `${secret:<name>/<key>}`"));
            };
            if !is_secret_name(name) {
                return Err(err(
                    "the Secret name must be a DNS-1123 subdomain (lowercase letters, digits, `-`, `.`; at most 253)",
                ));
            }
            if !is_secret_key(key) {
                return Err(err(
                    "the Secret key must be letters, digits, `-`, `_`, `.` (at most 253)",
                ));
            }
            Reference::Secret { name, key }
        } else {
            if !is_env_var(body) {
                return Err(err(
                    "an environment variable name is letters, digits and `_`, not starting with a digit",
                ));
            }
            Reference::Env { var: body }
        };
        out.push((start..start + close + 1, reference));
        from = start + close + 1;
    }
    Ok(out)
}

/// `s` with every well-formed reference removed: what is left is literal text.
pub fn without_references(s: &str) -> std::borrow::Cow<'_, str> {
    match references(s) {
        Ok(refs) if !refs.is_empty() => {
            let mut out = String::with_capacity(s.len());
            let mut last = 0;
            for (r, _) in refs {
                out.push_str(&s[last..r.start]);
                last = r.end;
            }
            out.push_str(&s[last..]);
            out.into()
        }
        _ => s.into(),
    }
}

/// `secret:`/`env:` written with other case, a plural or spaces.
fn near_miss(after_brace: &str) -> bool {
    let word: String = after_brace
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == ' ')
        .collect();
    let rest = &after_brace[word.len()..];
    let w = word.trim().to_ascii_lowercase();
    rest.starts_with(':') && matches!(w.as_str(), "secret" | "secrets" | "env")
}

/// `scheme:rest` with a lowercase scheme (`vault:`, `aws-sm:`, `file:`), but not the shell's
/// `${var:-default}`, `${var:=x}`, `${var:+x}`, `${var:?msg}` or substring `${var:1:2}`.
fn unknown_scheme(after_brace: &str) -> bool {
    let scheme_len = after_brace
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_'))
        .count();
    let (scheme, rest) = after_brace.split_at(scheme_len);
    let Some(rest) = rest.strip_prefix(':') else {
        return false;
    };
    scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && rest.starts_with(|c: char| {
            !c.is_ascii_digit() && !c.is_whitespace() && !matches!(c, '-' | '=' | '+' | '?' | '}')
        })
}

/// DNS-1123 subdomain, as Kubernetes requires of Secret names.
pub fn is_secret_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && label.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// A valid Secret data key (Kubernetes `IsConfigMapKey`).
pub fn is_secret_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s != "."
        && s != ".."
        && !s.starts_with("..")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

pub fn is_env_var(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Vec<Reference<'_>> {
        references(s).unwrap().into_iter().map(|(_, r)| r).collect()
    }

    #[test]
    fn plain_text_has_no_references() {
        assert!(ok("npx -y @upstash/context7-mcp").is_empty());
    }

    #[test]
    fn secret_and_env_references_are_found_with_ranges() {
        let s = "Bearer ${secret:magic/api-key} as ${env:USER}";
        let refs = references(s).unwrap();
        assert_eq!(
            refs[0].1,
            Reference::Secret {
                name: "magic",
                key: "api-key"
            }
        );
        assert_eq!(&s[refs[0].0.clone()], "${secret:magic/api-key}");
        assert_eq!(refs[1].1, Reference::Env { var: "USER" });
    }

    #[test]
    fn shell_expansions_are_text() {
        assert!(ok("${HOME}/bin ${VAR:-x} $${secret}").is_empty());
    }

    #[test]
    fn malformed_secret_references_are_errors() {
        for s in [
            "${secret:magic}",
            "${secret:Magic/key}",
            "${secret:magic/}",
            "${secret:/key}",
            "${secret:magic/key",
            "${secret:a/b/c}",
            "${secret:a_b/key}",
            "${secret:-a/key}",
            "${secret:a/b c}",
        ] {
            assert!(references(s).is_err(), "{s}");
        }
    }

    #[test]
    fn malformed_env_references_are_errors() {
        for s in ["${env:}", "${env:1X}", "${env:A-B}"] {
            assert!(references(s).is_err(), "{s}");
        }
    }

    #[test]
    fn near_misses_are_errors() {
        for s in [
            "${Secret:a/b}",
            "${secrets:a/b}",
            "${ENV:X}",
            "${ secret :a/b}",
        ] {
            assert!(references(s).is_err(), "{s}");
        }
    }

    #[test]
    fn unknown_schemes_are_errors() {
        for s in [
            "${vault:secret/data/db#password}",
            "token ${aws-sm:prod/api}",
            "${file:/etc/passwd}",
            "${k8s:ns/name}",
        ] {
            let e = references(s).unwrap_err();
            assert!(e.reason.contains("unknown reference scheme"), "{s}: {e}");
        }
        assert_eq!(references("a ${vault:x}").unwrap_err().offset, 2);
    }

    #[test]
    fn shell_operators_after_a_colon_stay_text() {
        assert!(
            ok("${home:-/tmp} ${x:=1} ${x:+y} ${x:?unset} ${s:1:2} ${s: 1} ${s:} ${HOME:x}")
                .is_empty()
        );
    }

    #[test]
    fn error_offset_points_at_the_reference() {
        assert_eq!(references("ab ${secret:x}").unwrap_err().offset, 3);
    }

    #[test]
    fn secret_name_rules() {
        assert!(is_secret_name("db.creds-1"));
        assert!(!is_secret_name("a..b"));
        assert!(!is_secret_name(&"a".repeat(254)));
        assert!(is_secret_key("PASS_word-1.txt"));
        assert!(!is_secret_key(".."));
        assert!(!is_secret_key("..x"));
    }

    #[test]
    fn without_references_keeps_only_literal_text() {
        assert_eq!(without_references("Bearer ${secret:a/b}"), "Bearer ");
        assert_eq!(without_references("${env:TOKEN}"), "");
        assert_eq!(without_references("plain"), "plain");
    }
}
