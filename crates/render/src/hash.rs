//! Content hashes: the config hash that names the ConfigMap and rolls pods, and the short
//! digests that keep truncated names unique.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Length of the config hash in hex characters (40 bits: collisions between the few
/// ConfigMaps of one environment are not a practical concern, and names stay short).
pub const CONFIG_HASH_LEN: usize = 10;

/// The first [`CONFIG_HASH_LEN`] hex characters of SHA-256 over a canonical serialization of
/// the ConfigMap's content: for each entry in key order, the key's length (u64 big-endian),
/// the key, the value's length (u64 big-endian), the value. Length prefixes make the
/// encoding injective (no two different maps hash the same bytes), and it depends only on
/// the content, never on formatting of the Kubernetes object around it.
pub fn config_hash<V: AsRef<[u8]>>(data: &BTreeMap<String, V>) -> String {
    let mut h = Sha256::new();
    for (k, v) in data {
        let v = v.as_ref();
        h.update((k.len() as u64).to_be_bytes());
        h.update(k.as_bytes());
        h.update((v.len() as u64).to_be_bytes());
        h.update(v);
    }
    let mut hex = hex::encode(h.finalize());
    hex.truncate(CONFIG_HASH_LEN);
    hex
}

/// The first `len` hex characters of SHA-256 of `s`.
pub fn short_digest(s: &str, len: usize) -> String {
    let mut hex = hex::encode(Sha256::digest(s.as_bytes()));
    hex.truncate(len);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn hash_is_ten_lowercase_hex_characters_and_stable() {
        let h = config_hash(&map(&[("a", "1")]));
        assert_eq!(h.len(), CONFIG_HASH_LEN);
        assert!(
            h.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_eq!(h, config_hash(&map(&[("a", "1")])));
    }

    #[test]
    fn hash_changes_with_any_key_or_value() {
        let base = config_hash(&map(&[("a", "1"), ("b", "2")]));
        assert_ne!(base, config_hash(&map(&[("a", "1"), ("b", "3")])));
        assert_ne!(base, config_hash(&map(&[("a", "1"), ("c", "2")])));
        assert_ne!(base, config_hash(&map(&[("a", "1")])));
    }

    #[test]
    fn moving_bytes_between_key_and_value_changes_the_hash() {
        // Without length prefixes "ab"+"c" and "a"+"bc" would hash alike.
        assert_ne!(
            config_hash(&map(&[("ab", "c")])),
            config_hash(&map(&[("a", "bc")]))
        );
    }
}
