//! Everything that can stop a render. Every variant says where: the server, and the field as
//! an RFC 6901 JSON pointer into the merged document, so a caller holding the
//! `MergedDocument` can look the pointer up in its provenance and print `file:line`.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// A `${secret:...}`/`${env:...}` reference that does not parse.
    #[error("{pointer}: malformed reference `{reference}`: {reason}")]
    MalformedReference {
        pointer: String,
        reference: String,
        reason: &'static str,
    },

    /// `${env:VAR}` in something the cluster runs: there is no workstation environment there.
    #[error(
        "{pointer}: `${{env:{var}}}` cannot be used by server `{server}` running in the cluster; use `${{secret:<name>/<key>}}`"
    )]
    EnvInCluster {
        server: String,
        pointer: String,
        var: String,
    },

    /// A reference in a field that cannot carry one (image, labels, ...).
    #[error("{pointer}: references are not allowed in this field of server `{server}`")]
    ReferenceNotAllowed { server: String, pointer: String },

    /// Two different secret keys whose derived environment variable names are equal.
    #[error(
        "{pointer}: `${{secret:{second}}}` and `${{secret:{first}}}` both map to the environment variable `{var}`; rename one"
    )]
    SecretVarCollision {
        pointer: String,
        var: String,
        first: String,
        second: String,
    },

    /// A command or persona name that is not a safe file name.
    #[error(
        "{pointer}: `{name}` is not a valid {kind} name (letters, digits, `.`, `_`, `-`; not starting with `.`; at most 200 characters)"
    )]
    InvalidFileName {
        kind: &'static str,
        name: String,
        pointer: String,
    },

    /// A label or annotation the user set that is not valid Kubernetes syntax.
    #[error("{pointer}: invalid {what} for server `{server}`: `{value}`")]
    InvalidMetadata {
        server: String,
        pointer: String,
        what: &'static str,
        value: String,
    },

    /// A label or annotation the renderer owns (ownership, selectors, config hash).
    #[error("{pointer}: `{key}` is set by claude-env and cannot be overridden (server `{server}`)")]
    ReservedKey {
        server: String,
        pointer: String,
        key: String,
    },

    #[error("{pointer}: invalid server `{server}`: {reason}")]
    InvalidServer {
        server: String,
        pointer: String,
        reason: String,
    },

    /// Two servers whose Kubernetes object names are equal after sanitizing.
    #[error("servers `{first}` and `{second}` both render to the object name `{name}`; rename one")]
    NameCollision {
        name: String,
        first: String,
        second: String,
    },

    #[error("serializing rendered objects: {0}")]
    Serialize(String),
}

/// `${env:VAR}` references that the workstation environment does not define.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("environment variables not set: {}", .missing.join(", "))]
pub struct MissingEnvVars {
    /// Sorted, without duplicates.
    pub missing: Vec<String>,
}

/// A JSON pointer under construction, built only when an error needs it: rendering walks
/// every value, and formatting a pointer for each would cost more than the render.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pointer<'a> {
    parent: Option<&'a Pointer<'a>>,
    token: &'a str,
}

impl<'a> Pointer<'a> {
    pub(crate) const ROOT: Pointer<'static> = Pointer {
        parent: None,
        token: "",
    };

    pub(crate) fn child(&'a self, token: &'a str) -> Pointer<'a> {
        Pointer {
            parent: Some(self),
            token,
        }
    }

    /// RFC 6901: `/`-separated tokens, `~` escaped as `~0` and `/` as `~1`.
    pub(crate) fn render(&self) -> String {
        let mut tokens = Vec::new();
        let mut at = Some(self);
        while let Some(p) = at {
            if p.parent.is_some() {
                tokens.push(p.token);
            }
            at = p.parent;
        }
        let mut out = String::new();
        for token in tokens.iter().rev() {
            out.push('/');
            out.push_str(&token.replace('~', "~0").replace('/', "~1"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped_per_rfc_6901() {
        let root = Pointer::ROOT;
        let servers = root.child("mcpServers");
        let server = servers.child("a/b~c");
        assert_eq!(server.render(), "/mcpServers/a~1b~0c");
        assert_eq!(root.render(), "");
    }
}
