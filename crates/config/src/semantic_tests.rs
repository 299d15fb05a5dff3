use crate::testutil::check;

fn found(files: &[(&str, &str)]) -> Vec<(&'static str, String, u32, String)> {
    check("", files)
        .iter()
        .map(|d| (d.rule, d.file.clone(), d.line, d.severity.to_string()))
        .collect()
}

fn rules(files: &[(&str, &str)]) -> Vec<&'static str> {
    found(files).into_iter().map(|f| f.0).collect()
}

#[test]
fn a_server_needs_a_transport() {
    let f = found(&[(
        "base/a.yaml",
        "mcpServers:\n  s:\n    description: nothing to run\n",
    )]);
    assert_eq!(
        f,
        [("mcp-no-transport", "base/a.yaml".into(), 2, "error".into())]
    );
}

#[test]
fn any_one_transport_is_enough() {
    for body in [
        "command: npx",
        "url: https://x.example/mcp",
        "deploy: {image: 'ghcr.io/a/b:1', port: 80}",
    ] {
        let file = format!("mcpServers:\n  s:\n    {body}\n");
        assert!(rules(&[("base/a.yaml", &file)]).is_empty(), "{body}");
    }
}

#[test]
fn a_transport_removed_by_a_higher_layer_is_missed() {
    let f = rules(&[
        (
            "base/a.yaml",
            "mcpServers:\n  s:\n    command: npx\n    description: d\n",
        ),
        (
            "projects/p/a.yaml",
            "mcpServers:\n  s:\n    command: !delete\n",
        ),
    ]);
    assert_eq!(f, ["mcp-no-transport"]);
}

#[test]
fn disabled_servers_are_not_checked() {
    assert!(rules(&[("base/a.yaml", "mcpServers:\n  s: {enabled: false}\n")]).is_empty());
}

#[test]
fn command_and_url_together_conflict() {
    let f = rules(&[(
        "base/a.yaml",
        "mcpServers:\n  s: {command: x, url: 'https://x'}\n",
    )]);
    assert_eq!(f, ["mcp-transport-conflict"]);
}

#[test]
fn two_deployed_servers_on_one_port_clash_at_the_later_one() {
    let f = found(&[
        (
            "base/a.yaml",
            "mcpServers:\n  a: {deploy: {image: 'x/a:1', port: 8080}}\n",
        ),
        (
            "teams/t/b.yaml",
            "mcpServers:\n  b:\n    deploy: {image: 'x/b:1', port: 8080}\n",
        ),
    ]);
    assert_eq!(
        f,
        [("port-clash", "teams/t/b.yaml".into(), 3, "error".into())]
    );
    let msg = check(
        "",
        &[
            (
                "base/a.yaml",
                "mcpServers:\n  a: {deploy: {image: 'x/a:1', port: 8080}}\n",
            ),
            (
                "teams/t/b.yaml",
                "mcpServers:\n  b:\n    deploy: {image: 'x/b:1', port: 8080}\n",
            ),
        ],
    );
    let msg = &msg.iter().next().unwrap().message;
    assert!(
        msg.contains("`a`") && msg.contains("base/a.yaml:2:"),
        "{msg}"
    );
}

#[test]
fn distinct_ports_and_disabled_servers_do_not_clash() {
    assert!(rules(&[(
        "base/a.yaml",
        "mcpServers:\n  a: {deploy: {image: 'x/a:1', port: 8080}}\n  b: {deploy: {image: 'x/b:1', port: 8081}}\n  c: {enabled: false, deploy: {image: 'x/c:1', port: 8080}}\n",
    )])
    .is_empty());
}

#[test]
fn a_malformed_image_is_reported_at_the_image() {
    let f = found(&[(
        "base/a.yaml",
        "mcpServers:\n  a:\n    deploy:\n      image: 'Ghcr.io/UPPER/Case:1'\n      port: 80\n",
    )]);
    assert_eq!(
        f,
        [("image-reference", "base/a.yaml".into(), 4, "error".into())]
    );
}

#[test]
fn unpinned_images_warn_unless_the_environment_requires_pinning() {
    let files = [(
        "base/a.yaml",
        "mcpServers:\n  a: {deploy: {image: 'ghcr.io/a/b:latest', port: 80}}\n  b: {deploy: {image: 'ghcr.io/a/c', port: 81}}\n",
    )];
    let f = found(&files);
    assert_eq!(
        f.iter().map(|x| (x.0, x.3.as_str())).collect::<Vec<_>>(),
        [("image-unpinned", "warning"), ("image-unpinned", "warning")]
    );

    let snap = crate::RepoSnapshot::new(
        None,
        [
            (
                "claude-env.yaml",
                "schemaVersion: 1\nenvironments:\n  prod: {requirePinnedImages: true}\n",
            ),
            (files[0].0, files[0].1),
        ]
        .map(|(p, c)| (p.to_owned(), c.as_bytes().to_vec())),
    );
    let ds = crate::ParsedRepo::parse(&snap)
        .check(&crate::Selection::new("prod"), None)
        .diagnostics;
    assert_eq!(ds.errors().count(), 2, "{ds}");
}

#[test]
fn pinned_images_are_fine() {
    let sha = "sha256:".to_owned() + &"a".repeat(64);
    let file = format!(
        "mcpServers:\n  a: {{deploy: {{image: 'ghcr.io/a/b@{sha}', port: 80}}}}\n  b: {{deploy: {{image: 'b:1.2', port: 81}}}}\n"
    );
    assert!(rules(&[("base/a.yaml", &file)]).is_empty());
}
