//! Webhook verification against real-shaped GitHub and GitLab payloads and the generic hook.

use std::collections::HashMap;

use claude_env_source::url::same_repo;
use claude_env_source::webhook::{MAX_BODY_BYTES, Outcome, Provider, PushHint, receive, sign};

const SECRET: &[u8] = b"It's a Secret to Everybody";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhooks/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

fn call(provider: Provider, headers: &[(&str, &str)], body: &[u8]) -> Outcome {
    let headers: HashMap<String, String> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    receive(
        provider,
        SECRET,
        |name| headers.get(name).map(String::as_str),
        body,
    )
}

#[test]
fn github_signature_matches_githubs_documented_example() {
    // From GitHub's "Validating webhook deliveries" documentation.
    assert_eq!(
        sign(SECRET, b"Hello, World!"),
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
}

#[test]
fn github_push_is_accepted_with_every_url_and_the_branch() {
    let body = fixture("github-push.json");
    let sig = sign(SECRET, &body);
    let outcome = call(
        Provider::GitHub,
        &[("X-Hub-Signature-256", &sig), ("X-GitHub-Event", "push")],
        &body,
    );
    let Outcome::Accepted(PushHint { urls, branch }) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(branch.as_deref(), Some("main"));
    assert_eq!(urls.len(), 4);
    for spec_url in [
        "https://github.com/acme/claude-config",
        "git@github.com:Acme/claude-config.git",
        "ssh://git@github.com/Acme/claude-config",
    ] {
        assert!(urls.iter().any(|u| same_repo(u, spec_url)), "{spec_url}");
    }
    assert!(
        !urls
            .iter()
            .any(|u| same_repo(u, "https://github.com/Acme/other"))
    );
    assert_eq!(
        (outcome.category(), outcome.http_status()),
        ("accepted", 202)
    );
}

#[test]
fn github_bad_missing_and_malformed_signatures_are_401() {
    let body = fixture("github-push.json");
    let wrong = sign(b"another secret", &body);
    let tampered = sign(SECRET, b"{}");
    let cases: [&[(&str, &str)]; 5] = [
        &[("X-Hub-Signature-256", &wrong)],
        &[("X-Hub-Signature-256", &tampered)],
        &[],
        &[("X-Hub-Signature-256", "sha256=zz")],
        // The legacy SHA-1 header alone is not enough.
        &[(
            "X-Hub-Signature",
            "sha1=0000000000000000000000000000000000000000",
        )],
    ];
    for headers in cases {
        let outcome = call(Provider::GitHub, headers, &body);
        assert!(
            matches!(outcome, Outcome::BadSignature(_)),
            "{headers:?}: {outcome:?}"
        );
        assert_eq!(
            (outcome.category(), outcome.http_status()),
            ("bad-signature", 401)
        );
    }
}

#[test]
fn github_ping_and_tag_pushes_are_ignored() {
    let body = fixture("github-ping.json");
    let sig = sign(SECRET, &body);
    let outcome = call(
        Provider::GitHub,
        &[("X-Hub-Signature-256", &sig), ("X-GitHub-Event", "ping")],
        &body,
    );
    assert_eq!(outcome, Outcome::Ignored("ping".into()));
    assert_eq!(outcome.http_status(), 200);

    let tag = br#"{"ref":"refs/tags/v1","repository":{"clone_url":"https://github.com/a/b.git"}}"#;
    let sig = sign(SECRET, tag);
    let outcome = call(Provider::GitHub, &[("X-Hub-Signature-256", &sig)], tag);
    assert!(matches!(outcome, Outcome::Ignored(_)), "{outcome:?}");
}

#[test]
fn verified_but_malformed_payloads_are_400() {
    for body in [
        &b"not json"[..],
        br#"{"repository":{}}"#,
        br#"{"ref":"refs/heads/main"}"#,
    ] {
        let sig = sign(SECRET, body);
        let outcome = call(Provider::GitHub, &[("X-Hub-Signature-256", &sig)], body);
        assert_eq!(outcome.http_status(), 400, "{outcome:?}");
    }
}

#[test]
fn gitlab_push_hook() {
    let body = fixture("gitlab-push.json");
    let token = std::str::from_utf8(SECRET).unwrap();
    let outcome = call(
        Provider::GitLab,
        &[("X-Gitlab-Token", token), ("X-Gitlab-Event", "Push Hook")],
        &body,
    );
    let Outcome::Accepted(hint) = &outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(hint.branch.as_deref(), Some("develop"));
    assert!(
        hint.urls
            .iter()
            .any(|u| same_repo(u, "https://gitlab.example.com/platform/claude-config.git"))
    );
    assert!(
        hint.urls
            .iter()
            .any(|u| same_repo(u, "git@gitlab.example.com:platform/claude-config"))
    );
    let unique: std::collections::HashSet<_> = hint.urls.iter().collect();
    assert_eq!(unique.len(), hint.urls.len(), "{:?}", hint.urls);

    for headers in [
        &[("X-Gitlab-Token", "wrong")][..],
        &[("X-Gitlab-Token", "")],
        &[],
    ] {
        let outcome = call(Provider::GitLab, headers, &body);
        assert_eq!(outcome.http_status(), 401, "{headers:?}");
    }
    let outcome = call(
        Provider::GitLab,
        &[
            ("X-Gitlab-Token", token),
            ("X-Gitlab-Event", "Merge Request Hook"),
        ],
        &body,
    );
    assert!(matches!(outcome, Outcome::Ignored(_)));
}

#[test]
fn generic_hook() {
    let body = br#"{"url": "http://127.0.0.1:8080/config.git", "branch": "main"}"#;
    let sig = sign(SECRET, body);
    let outcome = call(Provider::Generic, &[("X-Signature", &sig)], body);
    assert_eq!(
        outcome,
        Outcome::Accepted(PushHint {
            urls: vec!["http://127.0.0.1:8080/config.git".into()],
            branch: Some("main".into()),
        })
    );

    let any_branch = br#"{"url": "https://github.com/a/b"}"#;
    let sig = sign(SECRET, any_branch);
    let Outcome::Accepted(hint) = call(Provider::Generic, &[("X-Signature", &sig)], any_branch)
    else {
        panic!("not accepted");
    };
    assert_eq!(hint.branch, None);

    let wrong = sign(b"nope", body);
    assert_eq!(
        call(Provider::Generic, &[("X-Signature", &wrong)], body).http_status(),
        401
    );
    assert_eq!(call(Provider::Generic, &[], body).http_status(), 401);
    for bad in [
        &br#"{"branch":"main"}"#[..],
        br#"{"url":"x","branch":7}"#,
        b"[]",
    ] {
        let sig = sign(SECRET, bad);
        assert_eq!(
            call(Provider::Generic, &[("X-Signature", &sig)], bad).http_status(),
            400
        );
    }
}

#[test]
fn empty_secret_refuses_everything_and_big_bodies_are_413() {
    let body = br#"{"url":"https://github.com/a/b"}"#;
    let forged = sign(b"", body);
    let outcome = receive(Provider::Generic, b"", |_| Some(forged.as_str()), body);
    assert_eq!(outcome.http_status(), 401);

    let big = vec![b' '; MAX_BODY_BYTES + 1];
    let sig = sign(SECRET, &big);
    let outcome = call(Provider::Generic, &[("X-Signature", &sig)], &big);
    assert_eq!(
        (outcome.category(), outcome.http_status()),
        ("too-large", 413)
    );
}
