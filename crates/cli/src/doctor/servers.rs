//! The servers of a synced mcp.json as the doctor starts them (pure): the transport, and
//! every `${VAR}` / `${VAR:-default}` filled in from the environment as Claude Code does.

use std::collections::BTreeMap;

use serde_json::Value;

/// One server of mcp.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub transport: Transport,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    Stdio {
        command: String,
        args: Vec<String>,
        env: BTreeMap<String, String>,
    },
    /// Streamable HTTP.
    Http {
        url: String,
        headers: BTreeMap<String, String>,
    },
    /// The legacy SSE transport (the SDK's client no longer speaks it).
    Sse { url: String },
}

impl Transport {
    pub fn label(&self) -> &'static str {
        match self {
            Transport::Stdio { .. } => "stdio",
            Transport::Http { .. } => "http",
            Transport::Sse { .. } => "sse",
        }
    }
}

/// The servers of mcp.json, in name order.
pub fn parse(bytes: &[u8]) -> Result<Vec<Server>, String> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("mcp.json is not JSON: {e}"))?;
    let Some(servers) = v.get("mcpServers").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    let strings = |e: &Value, key: &str| -> BTreeMap<String, String> {
        e.get(key)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for (name, e) in servers {
        let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_string);
        let transport = match (s("type").as_deref(), s("command"), s("url")) {
            (Some("sse"), _, Some(url)) => Transport::Sse { url },
            (_, _, Some(url)) => Transport::Http {
                url,
                headers: strings(e, "headers"),
            },
            (_, Some(command), None) => Transport::Stdio {
                command,
                args: e
                    .get("args")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                env: strings(e, "env"),
            },
            _ => {
                return Err(format!(
                    "mcp.json: server {name:?} has neither a command nor a url"
                ));
            }
        };
        out.push(Server {
            name: name.clone(),
            transport,
        });
    }
    Ok(out)
}

/// `s` with `${VAR}` and `${VAR:-default}` filled in; the names of unset variables (without
/// a default) are the error.
pub fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(s.len());
    let mut missing = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let Some(end) = tail.find('}') else {
            out.push_str(&rest[at..]);
            rest = "";
            break;
        };
        let inner = &tail[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        match (lookup(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => missing.push(name.to_string()),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// [`expand`] over a list of strings, collecting every missing variable.
pub fn expand_all<'a>(
    items: impl IntoIterator<Item = &'a String>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, Vec<String>> {
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for s in items {
        match expand(s, lookup) {
            Ok(v) => out.push(v),
            Err(m) => missing.extend(m),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        missing.sort();
        missing.dedup();
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_is_read() {
        let servers = parse(
            br#"{"mcpServers": {
                "a": {"type": "stdio", "command": "npx", "args": ["-y", "x"], "env": {"K": "v"}},
                "b": {"type": "http", "url": "https://h/mcp", "headers": {"Authorization": "Bearer t"}},
                "c": {"type": "sse", "url": "https://h/sse"}
            }}"#,
        )
        .unwrap();
        assert_eq!(servers.len(), 3);
        assert_eq!(servers[0].transport.label(), "stdio");
        assert!(
            matches!(&servers[1].transport, Transport::Http { headers, .. } if headers["Authorization"] == "Bearer t")
        );
        assert_eq!(servers[2].transport.label(), "sse");
        assert!(parse(br#"{"mcpServers": {"x": {}}}"#).is_err());
        assert!(parse(b"{").is_err());
        assert!(parse(b"{}").unwrap().is_empty());
    }

    #[test]
    fn variables_expand_with_defaults_and_missing_ones_are_named() {
        let env = |v: &str| (v == "HOME").then(|| "/home/me".to_string());
        assert_eq!(expand("${HOME}/x", &env).unwrap(), "/home/me/x");
        assert_eq!(expand("${PORT:-8080}", &env).unwrap(), "8080");
        assert_eq!(
            expand("a ${NOPE} ${ALSO}", &env).unwrap_err(),
            ["NOPE", "ALSO"]
        );
        assert_eq!(expand("plain $ {x", &env).unwrap(), "plain $ {x");
        let items = [
            "${NOPE}".to_string(),
            "${HOME}".to_string(),
            "${NOPE}".to_string(),
        ];
        assert_eq!(expand_all(&items, &env).unwrap_err(), ["NOPE"]);
    }
}
