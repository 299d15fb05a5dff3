//! Kubernetes names: object names, ConfigMap keys, label values, and the syntax checks
//! behind them. Names that are not already valid are sanitized and get a short digest of the
//! original, so two different inputs never silently share a name.

use crate::hash::{CONFIG_HASH_LEN, short_digest};

/// DNS-1035 label limit: Service names (the strictest object name we produce).
pub const MAX_LABEL: usize = 63;
/// DNS-1123 subdomain limit: ConfigMap and Deployment names.
pub const MAX_SUBDOMAIN: usize = 253;
/// Hex characters of the digest appended to sanitized or truncated names.
const SUFFIX_LEN: usize = 8;

/// Name of the Deployment and Service of one MCP server: `<instance>-<server>`, a valid
/// DNS-1035 label (Service names must be), kept verbatim when it already is one.
pub fn server_object_name(instance: &str, server: &str) -> String {
    dns1035_label(&format!("{instance}-{server}"), MAX_LABEL)
}

/// Name of the config ConfigMap: `<instance>-config-<hash>`. The instance part is shortened
/// (with a digest of the full name) only when the whole would exceed 253 characters.
pub fn config_map_name(instance: &str, hash: &str) -> String {
    const MIDDLE: &str = "-config-";
    let budget = MAX_SUBDOMAIN - MIDDLE.len() - CONFIG_HASH_LEN.max(hash.len());
    let prefix = if instance.len() <= budget && is_dns1123_subdomain(instance) {
        instance.to_string()
    } else {
        dns1035_label(instance, budget)
    };
    format!("{prefix}{MIDDLE}{hash}")
}

/// ConfigMap keys cannot hold `/`; file paths map to keys by `/` → `__`. The files a render
/// produces are `settings.json`, `mcp.json`, `CLAUDE.md`, `commands/<name>.md` and
/// `agents/<name>.md`, and names never contain `/`, so the mapping is injective; the
/// volume's `items` map each key back to its path.
pub fn config_map_key(path: &str) -> String {
    path.replace('/', "__")
}

/// The inverse of [`config_map_key`] for keys a render produced.
pub fn file_path(key: &str) -> String {
    match key.split_once("__") {
        Some((dir, rest)) if dir == "commands" || dir == "agents" => format!("{dir}/{rest}"),
        _ => key.to_string(),
    }
}

/// A valid label value for `raw`: `raw` itself when valid, else sanitized with a digest.
pub fn label_value(raw: &str) -> String {
    if is_label_value(raw) {
        return raw.to_string();
    }
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    with_suffix(cleaned, raw, MAX_LABEL, |c: char| {
        !c.is_ascii_alphanumeric()
    })
}

/// A DNS-1035 label (lowercase letters, digits, `-`; starting with a letter) of at most `max`
/// characters: `raw` when it already is one, else sanitized with a digest of `raw`.
pub fn dns1035_label(raw: &str, max: usize) -> String {
    if raw.len() <= max && is_dns1035_label(raw) {
        return raw.to_string();
    }
    let mut cleaned = String::with_capacity(raw.len());
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && (cleaned.is_empty() || cleaned.ends_with('-'))) {
            cleaned.push(c);
        }
    }
    if !cleaned.starts_with(|c: char| c.is_ascii_lowercase()) {
        cleaned.insert_str(0, "x-");
    }
    with_suffix(cleaned.trim_end_matches('-'), raw, max, |c| c == '-')
}

/// `<prefix>-<digest of raw>`, the prefix cut to fit `max` and stripped of trailing
/// characters that may not end a name.
fn with_suffix(prefix: &str, raw: &str, max: usize, bad_end: impl Fn(char) -> bool) -> String {
    let keep = max.saturating_sub(SUFFIX_LEN + 1).min(prefix.len());
    // Prefixes here are ASCII, so any byte index is a char boundary.
    let prefix = prefix[..keep].trim_end_matches(bad_end);
    let digest = short_digest(raw, SUFFIX_LEN);
    if prefix.is_empty() {
        format!("x{digest}")
    } else {
        format!("{prefix}-{digest}")
    }
}

pub fn is_dns1035_label(s: &str) -> bool {
    s.len() <= MAX_LABEL && s.starts_with(|c: char| c.is_ascii_lowercase()) && is_dns1123_label(s)
}

pub fn is_dns1123_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= MAX_SUBDOMAIN
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A label value: empty, or at most 63 of `[-A-Za-z0-9_.]` starting and ending alphanumeric.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// A label or annotation key: `[prefix/]name`, prefix a DNS-1123 subdomain.
pub fn is_qualified_key(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => is_dns1123_subdomain(prefix) && is_qualified_name_part(name),
        None => is_qualified_name_part(s),
    }
}

fn is_qualified_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_kept_verbatim() {
        assert_eq!(server_object_name("dev", "context7"), "dev-context7");
        assert_eq!(
            config_map_name("dev", "0123456789"),
            "dev-config-0123456789"
        );
        assert_eq!(label_value("sequential-thinking"), "sequential-thinking");
    }

    #[test]
    fn invalid_names_are_sanitized_with_a_digest_so_they_cannot_collide() {
        let a = server_object_name("dev", "My_Server");
        let b = server_object_name("dev", "my.server");
        assert!(is_dns1035_label(&a), "{a}");
        assert!(is_dns1035_label(&b), "{b}");
        assert!(a.starts_with("dev-my-server-"), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn long_names_are_truncated_to_63_with_a_digest_and_stay_distinct() {
        let long = "a".repeat(80);
        let a = server_object_name(&long, "context7");
        let b = server_object_name(&long, "playwright");
        assert_eq!(a.len(), MAX_LABEL);
        assert!(is_dns1035_label(&a) && is_dns1035_label(&b));
        assert_ne!(a, b);
        // Deterministic.
        assert_eq!(a, server_object_name(&long, "context7"));
    }

    #[test]
    fn truncation_never_leaves_a_dash_before_the_digest() {
        // 54 characters of prefix would end exactly on a dash.
        let raw = format!("{}-{}", "a".repeat(53), "b".repeat(20));
        let name = dns1035_label(&raw, MAX_LABEL);
        assert!(!name.contains("--"), "{name}");
        assert!(is_dns1035_label(&name), "{name}");
    }

    #[test]
    fn names_starting_with_a_digit_get_a_letter_first() {
        let name = server_object_name("1env", "x");
        assert!(is_dns1035_label(&name), "{name}");
    }

    #[test]
    fn long_instances_keep_the_config_map_name_within_253() {
        let instance = format!("{}.example", "a".repeat(250));
        let name = config_map_name(&instance, "0123456789");
        assert!(name.len() <= MAX_SUBDOMAIN, "{}", name.len());
        assert!(name.ends_with("-config-0123456789"));
        assert!(is_dns1123_subdomain(&name));
    }

    #[test]
    fn config_map_keys_round_trip_to_file_paths() {
        for path in [
            "settings.json",
            "CLAUDE.md",
            "commands/review.md",
            "agents/sre.md",
        ] {
            let key = config_map_key(path);
            assert!(!key.contains('/'));
            assert_eq!(file_path(&key), path);
        }
        assert_eq!(config_map_key("commands/review.md"), "commands__review.md");
    }

    #[test]
    fn label_values_are_sanitized_and_bounded() {
        let v = label_value(&"x/".repeat(40));
        assert!(is_label_value(&v), "{v}");
        assert!(v.len() <= MAX_LABEL);
    }

    #[test]
    fn qualified_keys() {
        assert!(is_qualified_key("app.kubernetes.io/name"));
        assert!(is_qualified_key("team"));
        assert!(!is_qualified_key("Bad_Prefix/x"));
        assert!(!is_qualified_key("a/b/c"));
        assert!(!is_qualified_key("-x"));
    }
}
