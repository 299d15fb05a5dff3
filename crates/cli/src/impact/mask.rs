//! Masking for everything a report prints: a value that looks like a plain-text credential
//! (the detector `validate` uses) is replaced by what it looks like, never shown. The
//! repository should hold none (validation fails on them), but a report of a change that adds
//! one is posted where many can read it.

use serde_json::Value;

/// What a masked value is replaced with.
pub(crate) fn masked(kind: &str) -> String {
    format!("<masked: {kind}>")
}

/// A JSON value with every credential-looking string masked. Strings are checked under
/// their mapping key; in a `{name, value}` entry (a container's `env`) under the `name`.
pub(crate) fn json(value: &Value) -> Value {
    walk(None, value)
}

fn walk(key: Option<&str>, value: &Value) -> Value {
    match value {
        Value::String(s) => match claude_env_config::find_credential(key, s) {
            Some((kind, _)) => Value::String(masked(kind)),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| walk(key, v)).collect()),
        Value::Object(map) => {
            let entry_name = map.get("name").and_then(Value::as_str);
            map.iter()
                .map(|(k, v)| {
                    let under = match (k.as_str(), entry_name) {
                        ("value", Some(n)) => n,
                        _ => k.as_str(),
                    };
                    (k.clone(), walk(Some(under), v))
                })
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        _ => value.clone(),
    }
}

/// Text (Markdown, a YAML rendering) with every credential-looking token masked: from where
/// the detector finds it to the next whitespace, and a private key block whole.
pub(crate) fn text(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    let mut in_key_block = false;
    for line in input.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let end = &line[body.len()..];
        if in_key_block {
            if body.contains("-----END") {
                in_key_block = false;
            }
            out.push_str(&masked("a private key"));
            out.push_str(end);
            continue;
        }
        let masked_line = mask_line(body);
        if body.contains("PRIVATE KEY") && body.contains("-----BEGIN") && !body.contains("-----END")
        {
            in_key_block = true;
        }
        out.push_str(&masked_line);
        out.push_str(end);
    }
    out
}

/// One line: mask findings left to right until none is left.
fn mask_line(line: &str) -> String {
    let mut rest = line.to_string();
    let mut out = String::new();
    while let Some((kind, offset)) = claude_env_config::find_credential(None, &rest) {
        let tail = &rest[offset..];
        let len = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '`' | ','))
            .unwrap_or(tail.len())
            .max(1);
        out.push_str(&rest[..offset]);
        out.push_str(&masked(kind));
        rest = rest[offset + len..].to_string();
    }
    out.push_str(&rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token() -> String {
        format!("ghp_{}", "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC".repeat(2))
    }

    #[test]
    fn tokens_in_text_are_masked_and_the_rest_kept() {
        let t = token();
        let got = text(&format!("use {t} here\nand \"{t}\", twice\nclean\n"));
        assert!(!got.contains("ghp_"), "{got}");
        assert_eq!(
            got,
            "use <masked: a GitHub personal access token> here\n\
             and \"<masked: a GitHub personal access token>\", twice\nclean\n"
        );
    }

    #[test]
    fn a_private_key_block_is_masked_whole() {
        let got = text(
            "a\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\nz\n",
        );
        assert!(!got.contains("b3BlbnNzaC1rZXk"), "{got}");
        assert!(got.starts_with("a\n") && got.ends_with("z\n"), "{got}");
    }

    #[test]
    fn json_strings_are_checked_under_their_key_and_env_entries_under_their_name() {
        let high_entropy = "Zq8vN3xL0pR7sT2wY5bC";
        let v = json!({
            "env": {"API_TOKEN": high_entropy, "MODE": high_entropy},
            "containers": [{"env": [{"name": "API_TOKEN", "value": high_entropy}]}],
            "args": [token()],
        });
        let got = json(&v);
        assert_eq!(
            got["env"]["MODE"], high_entropy,
            "not under a credential key"
        );
        assert_ne!(got["env"]["API_TOKEN"], high_entropy);
        assert_ne!(got["containers"][0]["env"][0]["value"], high_entropy);
        assert_eq!(got["containers"][0]["env"][0]["name"], "API_TOKEN");
        assert!(!got.to_string().contains("ghp_"), "{got}");
    }
}
