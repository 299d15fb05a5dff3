//! OCI image references (`[registry[:port]/]path[:tag][@digest]`), by the grammar of
//! distribution/reference, which Docker, containerd and the kubelet all follow.
//!
//! A regex rather than a crate: the well-kept parser (oci-spec) pulls derive_builder, getset
//! and strum for a grammar of a few lines, and the small ones are unproven.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageReference<'a> {
    /// Registry host (and port), if the reference names one.
    pub registry: Option<&'a str>,
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl ImageReference<'_> {
    /// Pinned: a digest, or a tag other than `latest`. Untagged means `latest`.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some() || self.tag.is_some_and(|t| t != "latest")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the image reference is empty")]
    Empty,
    #[error(
        "an image reference is `[registry/]repository[:tag][@digest]` with a lowercase repository"
    )]
    Format,
    #[error("the repository name is longer than 255 characters")]
    NameTooLong,
    #[error(
        "the digest is not `<algorithm>:<hex>` of the right length (sha256: 64, sha384: 96, sha512: 128)"
    )]
    Digest,
}

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    // distribution/reference's grammar (reference.go), spelled out.
    let alnum = "[a-z0-9]+";
    let separator = "(?:[._]|__|[-]+)";
    let path_component = format!("{alnum}(?:{separator}{alnum})*");
    let domain_component = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    let ipv6 = r"\[(?:[a-fA-F0-9:]+)\]";
    let host = format!("(?:{domain_component}(?:\\.{domain_component})*|{ipv6})");
    let domain = format!("{host}(?::[0-9]+)?");
    let name =
        format!("(?:(?P<domain>{domain})/)?(?P<path>{path_component}(?:/{path_component})*)");
    let tag = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
    let digest = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}";
    Regex::new(&format!(
        "^{name}(?::(?P<tag>{tag}))?(?:@(?P<digest>{digest}))?$"
    ))
    .expect("image reference regex compiles")
});

pub fn parse(s: &str) -> Result<ImageReference<'_>, ImageError> {
    if s.is_empty() {
        return Err(ImageError::Empty);
    }
    let caps = REFERENCE.captures(s).ok_or(ImageError::Format)?;
    let get = |n| caps.name(n).map(|m| m.as_str());
    let mut registry = get("domain");
    let mut repository = get("path").ok_or(ImageError::Format)?;
    // `foo/bar`: a first component without `.` or `:` that is not `localhost` is part of
    // the path, as Docker decides (the regex cannot tell: `foo` matches both), and must then
    // be a valid (lowercase) path component.
    if let Some(d) = registry
        && !d.contains(['.', ':'])
        && d != "localhost"
    {
        if d.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(ImageError::Format);
        }
        repository = &s[..d.len() + 1 + repository.len()];
        registry = None;
    }
    if repository.len() > 255 {
        return Err(ImageError::NameTooLong);
    }
    let digest = get("digest");
    if let Some(d) = digest {
        let (algo, hex) = d.split_once(':').ok_or(ImageError::Digest)?;
        let want = match algo {
            "sha256" => Some(64),
            "sha384" => Some(96),
            "sha512" => Some(128),
            _ => None,
        };
        if want.is_some_and(|n| hex.len() != n) {
            return Err(ImageError::Digest);
        }
    }
    Ok(ImageReference {
        registry,
        repository,
        tag: get("tag"),
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

    #[test]
    fn docker_hub_short_names() {
        let r = parse("busybox").unwrap();
        assert_eq!((r.registry, r.repository, r.tag), (None, "busybox", None));
        let r = parse("library/busybox:1.36").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (None, "library/busybox", Some("1.36"))
        );
    }

    #[test]
    fn registry_with_port_and_nested_path() {
        let r = parse("localhost:5000/team/mcp/server:v1.2.3").unwrap();
        assert_eq!(r.registry, Some("localhost:5000"));
        assert_eq!(r.repository, "team/mcp/server");
        assert_eq!(r.tag, Some("v1.2.3"));
        let r = parse("ghcr.io/acme/context7:1.0").unwrap();
        assert_eq!(
            (r.registry, r.repository),
            (Some("ghcr.io"), "acme/context7")
        );
    }

    #[test]
    fn digests_with_and_without_tag() {
        let with = format!("ghcr.io/a/b:1@{SHA}");
        let r = parse(&with).unwrap();
        assert_eq!((r.tag, r.digest), (Some("1"), Some(SHA)));
        assert!(r.is_pinned());
        assert!(parse(&format!("a/b@{SHA}")).unwrap().is_pinned());
    }

    #[test]
    fn malformed_references() {
        for s in [
            "Upper/case:1",
            "ghcr.io/acme/",
            ":tag",
            "a b",
            "a:tag with space",
            "a::b",
            "ghcr.io//x",
            "a:-tag",
            "a@sha256:123",
            "ghcr.io/x:${env:TAG}",
        ] {
            assert!(parse(s).is_err(), "{s}");
        }
        assert_eq!(parse(""), Err(ImageError::Empty));
    }

    #[test]
    fn digest_length_is_checked_for_known_algorithms() {
        let short = "a@sha256:ffffffffffffffffffffffffffffffffff";
        assert_eq!(parse(short), Err(ImageError::Digest));
    }

    #[test]
    fn latest_and_untagged_are_not_pinned() {
        assert!(!parse("nginx").unwrap().is_pinned());
        assert!(!parse("nginx:latest").unwrap().is_pinned());
        assert!(parse("nginx:1.27").unwrap().is_pinned());
    }

    #[test]
    fn long_names_are_rejected() {
        let long = format!("a/{}", "b".repeat(260));
        assert_eq!(parse(&long), Err(ImageError::NameTooLong));
    }
}
