//! JSON pointers (RFC 6901): how provenance and diagnostics name a place in a document.

use std::borrow::Cow;

/// Escapes one reference token: `~` → `~0`, `/` → `~1`.
pub fn escape(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Reverses [`escape`]. `~1` is replaced before `~0` so `~01` stays `~1` (RFC 6901 §4).
pub fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Appends one token to a pointer.
pub fn push(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&escape(token));
}

/// `pointer` extended by one token.
pub fn join(pointer: &str, token: &str) -> String {
    let mut p = pointer.to_owned();
    push(&mut p, token);
    p
}

/// The unescaped tokens of a pointer; the root (`""`) has none.
pub fn tokens(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(unescape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_handles_tilde_and_slash() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn unescape_is_the_inverse_and_does_not_double_decode() {
        assert_eq!(unescape("a~1b~0c"), "a/b~c");
        assert_eq!(unescape("~01"), "~1");
    }

    #[test]
    fn join_and_tokens_round_trip() {
        let p = join(&join("", "mcpServers"), "a/b");
        assert_eq!(p, "/mcpServers/a~1b");
        assert_eq!(tokens(&p).collect::<Vec<_>>(), ["mcpServers", "a/b"]);
        assert_eq!(tokens("").count(), 0);
    }

    #[test]
    fn empty_token_is_kept() {
        assert_eq!(join("", ""), "/");
        assert_eq!(tokens("/").collect::<Vec<_>>(), [""]);
    }
}
