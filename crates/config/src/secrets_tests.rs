use super::*;

/// A fake credential body: mixed characters, built at run time so no token-shaped literal
/// sits in the source.
fn body(n: usize) -> String {
    "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC"
        .chars()
        .cycle()
        .take(n)
        .collect()
}

fn upper(n: usize) -> String {
    "Q7W2E9R4T6Y1U8I3O5P0AZSX".chars().cycle().take(n).collect()
}

#[test]
fn well_known_token_formats_are_found_anywhere() {
    let cases = [
        (format!("sk-ant-api03-{}", body(40)), "an Anthropic API key"),
        (format!("sk-proj-{}", body(40)), "an OpenAI API key"),
        (
            format!("sk-{}T3BlbkFJ{}", body(20), body(20)),
            "an OpenAI API key",
        ),
        (format!("sk-{}", body(48)), "an OpenAI-style API key"),
        (
            format!("ghp_{}", body(36)),
            "a GitHub personal access token",
        ),
        (
            format!("github_pat_{}", body(60)),
            "a GitHub personal access token",
        ),
        (format!("gho_{}", body(36)), "a GitHub OAuth or app token"),
        (format!("ghs_{}", body(36)), "a GitHub OAuth or app token"),
        (
            format!("glpat-{}", body(20)),
            "a GitLab personal access token",
        ),
        (format!("AKIA{}", upper(16)), "an AWS access key id"),
        (format!("ASIA{}", upper(16)), "an AWS access key id"),
        (format!("xoxb-{}", body(30)), "a Slack token"),
        (
            format!("https://hooks.slack.com/services/T0/B0/{}", body(24)),
            "a Slack webhook URL",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n".to_owned(),
            "a private key",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----".to_owned(),
            "a private key",
        ),
        (
            format!("eyJ{}.eyJ{}.{}", body(20), body(30), body(25)),
            "a JSON Web Token",
        ),
        (format!("AIza{}", body(35)), "a Google API key"),
        (format!("sk_live_{}", body(24)), "a Stripe live secret key"),
        (format!("npm_{}", body(36)), "an npm access token"),
        (
            "postgres://app:s3cr3tP4ss@db:5432/x".to_owned(),
            "a URL with an embedded password",
        ),
    ];
    for (value, kind) in &cases {
        assert_eq!(
            scan(Some("args"), value).map(|f| f.kind),
            Some(*kind),
            "{kind}"
        );
        // Embedded in text, under any key.
        let text = format!("run with {value} please");
        assert!(scan(None, &text).is_some(), "{kind} in text");
    }
}

#[test]
fn references_are_not_credentials() {
    for v in [
        "${secret:github/token}",
        "${env:GITHUB_TOKEN}",
        "Bearer ${secret:magic/api-key}",
        "postgres://app:${env:DB_PASSWORD}@db/x",
    ] {
        assert_eq!(scan(Some("token"), v), None, "{v}");
        assert_eq!(scan(Some("Authorization"), v), None, "{v}");
    }
}

#[test]
fn a_reference_next_to_a_real_token_still_finds_the_token() {
    let v = format!("${{env:X}} ghp_{}", body(36));
    assert!(scan(None, &v).is_some());
}

#[test]
fn high_entropy_text_under_credential_keys_is_found() {
    for key in [
        "password",
        "DB_PASSWORD",
        "apiKey",
        "api_key",
        "clientSecret",
        "accessKey",
        "credentials",
        "Authorization",
        "x-auth-token",
    ] {
        assert!(scan(Some(key), &body(24)).is_some(), "{key}");
    }
    assert!(scan(Some("Authorization"), &format!("Bearer {}", body(24))).is_some());
}

#[test]
fn aws_secret_keys_are_found_by_key_and_shape() {
    let v = format!("{}/{}", body(20), body(19));
    assert_eq!(
        scan(Some("AWS_SECRET_ACCESS_KEY"), &v).map(|f| f.kind),
        Some("an AWS secret access key")
    );
}

#[test]
fn the_same_text_under_ordinary_keys_is_fine() {
    for key in ["description", "image", "command", "matcher", "model"] {
        assert_eq!(scan(Some(key), &body(24)), None, "{key}");
    }
    assert_eq!(scan(None, &body(24)), None);
}

#[test]
fn keys_that_only_point_at_credentials_are_fine() {
    for key in [
        "passwordFile",
        "apiKeyHelper",
        "secretName",
        "tokenUrl",
        "secretRef",
        "CLAUDE_CODE_MAX_OUTPUT_TOKENS",
        "author",
    ] {
        assert_eq!(scan(Some(key), &body(24)), None, "{key}");
    }
}

#[test]
fn placeholders_short_and_regular_values_are_fine() {
    for v in [
        "changeme",
        "<your-api-key>",
        "{{ .Values.token }}",
        "$GITHUB_TOKEN",
        "${GITHUB_TOKEN}",
        "REPLACE_ME_WITH_A_TOKEN",
        "your-token-goes-here",
        "xxxxxxxxxxxxxxxxxxxxxxxx",
        "********************",
        "hunter2hunter2",
        "short",
        "/run/secrets/github-token",
        "https://vault.example.com/v1/token",
    ] {
        assert_eq!(scan(Some("token"), v), None, "{v}");
    }
}

#[test]
fn entropy_of_simple_strings() {
    assert_eq!(entropy("aaaa"), 0.0);
    assert!((entropy("ab") - 1.0).abs() < 1e-9);
    assert!((entropy("abcd") - 2.0).abs() < 1e-9);
    assert!(entropy(&body(32)) > 4.0);
}

#[test]
fn findings_say_where_in_the_value_the_token_starts() {
    let v = format!("line one\nuse ghp_{} here", body(36));
    assert_eq!(scan(None, &v).unwrap().offset, 13);
    assert_eq!(scan(Some("password"), &body(24)).unwrap().offset, 0);
}

#[test]
fn oauth_settings_are_not_credentials() {
    assert_eq!(scan(Some("oauthScopes"), "repo,read:org,workflow"), None);
    assert!(scan(Some("GITHUB_AUTH_KEY"), &body(24)).is_some());
}
