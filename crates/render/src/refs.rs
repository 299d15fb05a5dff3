//! `${secret:<name>/<key>}` and `${env:VAR}` references inside string values, split into
//! text and references. The grammar is the config engine's
//! ([`claude_env_config::reference`]), so validation and rendering never disagree on what
//! a reference is; anything else that looks like `${...}` (Claude Code's own `${HOME}` or
//! `${VAR:-default}`) is ordinary text.

use claude_env_config::reference::{self, Reference};

use crate::error::{Pointer, RenderError};
use crate::secrets::SecretRef;

/// A piece of a string value: literal text or one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Secret(SecretRef),
    Env(&'a str),
}

/// Why a reference did not parse; the caller adds where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefError {
    /// The malformed reference, up to its closing `}` (or the end of the string).
    pub reference: String,
    pub reason: &'static str,
}

/// True when `s` may hold a reference; the cheap test that keeps plain strings allocation-free.
pub fn may_contain_ref(s: &str) -> bool {
    s.contains("${")
}

/// Splits `s` into text and references, in order.
pub fn parse(s: &str) -> Result<Vec<Segment<'_>>, RefError> {
    let refs = reference::references(s).map_err(|e| {
        let tail = &s[e.offset..];
        let end = tail.find('}').map_or(tail.len(), |i| i + 1);
        RefError {
            reference: tail[..end].to_string(),
            reason: e.reason,
        }
    })?;
    let mut out = Vec::with_capacity(refs.len() * 2 + 1);
    let mut from = 0;
    for (range, r) in refs {
        if range.start > from {
            out.push(Segment::Text(&s[from..range.start]));
        }
        out.push(match r {
            Reference::Secret { name, key } => Segment::Secret(SecretRef {
                name: name.to_string(),
                key: key.to_string(),
            }),
            Reference::Env { var } => Segment::Env(var),
        });
        from = range.end;
    }
    if from < s.len() {
        out.push(Segment::Text(&s[from..]));
    }
    Ok(out)
}

/// Errors when `s` holds a reference: for fields Kubernetes takes verbatim (image,
/// annotations, resources), where neither a Secret nor a workstation variable can go.
pub(crate) fn reject(server: &str, s: &str, at: &Pointer) -> Result<(), RenderError> {
    if !may_contain_ref(s) {
        return Ok(());
    }
    let segments = parse(s).map_err(|e| e.at(at))?;
    if segments.iter().any(|seg| !matches!(seg, Segment::Text(_))) {
        return Err(RenderError::ReferenceNotAllowed {
            server: server.to_string(),
            pointer: at.render(),
        });
    }
    Ok(())
}

impl RefError {
    /// The render error for this problem at `at`.
    pub(crate) fn at(self, at: &Pointer) -> RenderError {
        RenderError::MalformedReference {
            pointer: at.render(),
            reference: self.reference,
            reason: self.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, key: &str) -> Segment<'static> {
        Segment::Secret(SecretRef {
            name: name.into(),
            key: key.into(),
        })
    }

    #[test]
    fn plain_text_is_one_segment() {
        assert_eq!(parse("npx -y x").unwrap(), [Segment::Text("npx -y x")]);
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn secret_and_env_references_are_split_out_in_order() {
        let got = parse("Bearer ${secret:magic/api-key} for ${env:USER}!").unwrap();
        assert_eq!(
            got,
            [
                Segment::Text("Bearer "),
                secret("magic", "api-key"),
                Segment::Text(" for "),
                Segment::Env("USER"),
                Segment::Text("!"),
            ]
        );
    }

    #[test]
    fn foreign_dollar_braces_are_text() {
        assert_eq!(
            parse("${HOME}/x ${VAR:-d}").unwrap(),
            [Segment::Text("${HOME}/x ${VAR:-d}")]
        );
    }

    #[test]
    fn malformed_references_are_rejected_with_the_reference_text() {
        for (s, reference) in [
            ("${secret:magic}", "${secret:magic}"),
            ("${secret:Magic/key}", "${secret:Magic/key}"),
            ("${secret:magic/}", "${secret:magic/}"),
            ("x ${secret:magic/key", "${secret:magic/key"),
            ("${env:1BAD}", "${env:1BAD}"),
            ("${env:}", "${env:}"),
        ] {
            let err = parse(s).unwrap_err();
            assert_eq!(err.reference, reference, "{s}");
        }
    }
}
