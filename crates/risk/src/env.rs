//! Environment variables (`settings.env`, an MCP server's `env`, a deployed server's
//! `deploy.env`). Most are configuration; the ones that decide where traffic goes, which
//! certificates are trusted, which credentials are used or which code runs are security.
//! Values are never shown: they are often credentials.

use claude_env_config::pointer;
use serde_json::Value;

use crate::change::{Class, Kind, Severity};
use crate::context::{Ctx, keys, kind_of};
use crate::generic;

/// Why a variable is security-sensitive, or `None`.
pub(crate) fn sensitive(name: &str) -> Option<&'static str> {
    let n = name.to_ascii_uppercase();
    let is = |names: &[&str]| names.contains(&n.as_str());
    if n.ends_with("_PROXY") {
        return Some("routes network traffic through a proxy");
    }
    if n.starts_with("ANTHROPIC_") && n.ends_with("_BASE_URL")
        || is(&["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS"])
    {
        return Some("decides where Claude Code sends its traffic");
    }
    if is(&[
        "NODE_TLS_REJECT_UNAUTHORIZED",
        "NODE_EXTRA_CA_CERTS",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ]) {
        return Some("decides which TLS certificates are trusted");
    }
    if is(&[
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_CUSTOM_HEADERS",
        "CLAUDE_CODE_CLIENT_CERT",
        "CLAUDE_CODE_CLIENT_KEY",
        "CLAUDE_CODE_CLIENT_KEY_PASSPHRASE",
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
        "CLAUDE_CODE_SKIP_BEDROCK_AUTH",
        "CLAUDE_CODE_SKIP_VERTEX_AUTH",
    ]) {
        return Some("decides which provider and credentials are used");
    }
    if is(&[
        "PATH",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "DYLD_LIBRARY_PATH",
        "NODE_OPTIONS",
        "NODE_PATH",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "BASH_ENV",
        "ENV",
        "CLAUDE_CODE_SHELL",
        "CLAUDE_CODE_SHELL_PREFIX",
        "GIT_SSH_COMMAND",
    ]) {
        return Some("decides which programs and code run");
    }
    None
}

/// Compares the variable mapping at `ptr`; `whom` is "Claude Code" or "MCP server X".
pub(crate) fn compare(cx: &mut Ctx<'_>, ptr: &str, whom: &str) {
    let (b, h) = cx.pair(ptr);
    if b == h {
        return;
    }
    let is_map = |v: Option<&Value>| v.is_none_or(Value::is_object);
    if !is_map(b) || !is_map(h) {
        generic::leaf(cx, ptr, Class::Configuration, Severity::Medium);
        return;
    }
    for name in keys(b, h) {
        let at = pointer::join(ptr, name);
        let (vb, vh) = cx.pair(&at);
        if vb == vh {
            continue;
        }
        let kind = kind_of(vb, vh);
        let verb = match kind {
            Kind::Added => "sets",
            Kind::Removed => "removes",
            _ => "changes",
        };
        let (class, severity, text) = match sensitive(name) {
            Some(why) => {
                let severity = if kind == Kind::Removed {
                    Severity::Medium
                } else {
                    Severity::High
                };
                (
                    Class::Security,
                    severity,
                    format!("{verb} {name} for {whom}, which {why}"),
                )
            }
            None => (
                Class::Configuration,
                Severity::Medium,
                format!("{verb} environment variable {name} for {whom}"),
            ),
        };
        cx.report(class, severity, kind, &at, text);
    }
}

#[cfg(test)]
mod tests {
    use super::sensitive;

    #[test]
    fn endpoints_proxies_trust_credentials_and_code_loading_are_sensitive() {
        for name in [
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_BEDROCK_BASE_URL",
            "https_proxy",
            "NO_PROXY",
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "ANTHROPIC_API_KEY",
            "LD_PRELOAD",
            "NODE_OPTIONS",
        ] {
            assert!(sensitive(name).is_some(), "{name}");
        }
        for name in [
            "LOG_LEVEL",
            "DATABASE",
            "MAX_THINKING_TOKENS",
            "ANTHROPIC_MODEL",
        ] {
            assert!(sensitive(name).is_none(), "{name}");
        }
    }
}
