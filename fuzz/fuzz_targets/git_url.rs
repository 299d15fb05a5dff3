//! Git URL parsing and the keys and redaction derived from it. Properties: no panic; a URL
//! the URL standard reads a password from is one `carries_password` refuses (so it is
//! never fetched); after `redact` a URL parser finds no password but `***`; a network URL's
//! parsed form never displays its password (so never in a message, a metric label or the
//! cache's config); a URL that parses names the same repository as itself.
#![no_main]

use claude_env_fuzz::url::{RepoUrl, carries_password, redact, same_repo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    if input.trim().chars().any(char::is_control) {
        // Refused by the parser (URL parsers drop tabs and newlines, libgit2 keeps them):
        // nothing to compare, only no panic.
        assert!(RepoUrl::parse(input).is_err());
        let _ = (redact(input), carries_password(input));
        return;
    }
    let standard = url::Url::parse(input).ok();
    // The URL as the standard reads it, without its password: text found there is the
    // user name, the host or the path, never the password (host `1` reads as `0.0.0.1`).
    let without_password = standard.clone().map(|mut u| {
        let _ = u.set_password(None);
        u.to_string()
    });
    // Only passwords that can be looked for: at least 4 characters, not made of the mask's
    // own characters, written once and as the parser gives it back (`ws::` comes back as
    // `ws%3A%3A`), and nowhere in the rest of the URL once a parser has normalised it.
    let findable = |p: &str| {
        p.len() >= 4
            && !p.contains('*')
            && input.matches(p).count() == 1
            && input.contains(&format!(":{p}@"))
            && !without_password.as_deref().is_some_and(|rest| rest.contains(p))
    };

    let standard_password = standard
        .as_ref()
        .filter(|u| u.scheme() != "file")
        .and_then(|u| u.password())
        .filter(|p| !p.is_empty());
    if standard_password.is_some() {
        assert!(carries_password(input), "{input:?} has a password");
    }

    // What redaction leaves is no credential to a URL parser either.
    let shown = redact(input);
    if let Some(pw) = url::Url::parse(&shown)
        .ok()
        .and_then(|u| u.password().map(str::to_owned))
    {
        assert!(
            pw == "***" || pw.is_empty(),
            "redact({input:?}) = {shown:?} still has {pw:?}"
        );
    }
    if let Some(pw) = standard_password.filter(|p| findable(p)) {
        assert!(!shown.contains(pw), "redact({input:?}) = {shown:?}");
    }

    match RepoUrl::parse(input) {
        Err(e) => {
            if let Some(pw) = standard_password.filter(|p| findable(p)) {
                // The reason is fixed text ("unsupported scheme" holds the password
                // `sche`): the URL it quotes is what must not show it.
                assert!(!e.url.contains(pw), "{e}");
            }
        }
        Ok(url) => {
            let display = url.to_string();
            if let Some(pw) = standard_password.filter(|p| findable(p)) {
                assert!(!display.contains(pw), "{input:?} displays as {display:?}");
            }
            let _ = (url.cache_key(), url.is_loopback(), url.effective_port());
            assert!(same_repo(input, input));
        }
    }
});
