use claude_env_config::RepoSnapshot;

use super::model::{Action, Area, ImpactReport, Status};
use super::*;

const SETTINGS: &str = "schemaVersion: 1\nenvironments:\n  dev: {}\n  prod: {}\n";

/// dev and prod; teams a and b; project p. prod sets its own deny list (lists replace).
fn base_files() -> Vec<(&'static str, String)> {
    vec![
        ("claude-env.yaml", SETTINGS.to_string()),
        (
            "base/settings.yaml",
            "settings:\n  model: sonnet\n  permissions:\n    deny: [\"Bash(curl:*)\", \"Bash(rm -rf:*)\"]\n\
             memory: |\n  # Notes\n"
                .to_string(),
        ),
        (
            "environments/prod/settings.yaml",
            "settings:\n  permissions:\n    deny: [\"Bash(curl:*)\", \"Bash(rm -rf:*)\"]\n".to_string(),
        ),
        ("teams/a/settings.yaml", "metadata: {team: a}\n".to_string()),
        ("teams/b/settings.yaml", "metadata: {team: b}\n".to_string()),
        ("projects/p/settings.yaml", "metadata: {project: p}\n".to_string()),
    ]
}

fn loaded(files: &[(&str, String)], rev: &str) -> LoadedRepo {
    LoadedRepo {
        snapshot: RepoSnapshot::new(
            Some(rev.to_string()),
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
        ),
        revision: Some(rev.to_string()),
        repo: "test".to_string(),
        path: None,
        branch: None,
    }
}

fn with(
    mut files: Vec<(&'static str, String)>,
    changes: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    for (p, c) in changes {
        files.retain(|(q, _)| q != p);
        files.push((p, c.to_string()));
    }
    files
}

fn report(before: &[(&str, String)], after: &[(&str, String)], filter: &Filter) -> ImpactReport {
    let (b, h) = (
        loaded(before, &"a".repeat(40)),
        loaded(after, &"b".repeat(40)),
    );
    build(
        &Side {
            repo: &b,
            name: "base".into(),
        },
        &Side {
            repo: &h,
            name: "head".into(),
        },
        filter,
    )
}

fn with_status(r: &ImpactReport, status: Status) -> Vec<&str> {
    r.selections
        .iter()
        .filter(|s| s.status == status)
        .map(|s| s.name.as_str())
        .collect()
}

fn token() -> String {
    format!("ghp_{}", "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC".repeat(2))
}

/// A permission removed in base (prod keeps denying it) and an MCP server added for team b.
fn two_commit_change() -> ImpactReport {
    let head = with(
        base_files(),
        &[
            (
                "base/settings.yaml",
                "settings:\n  model: sonnet\n  permissions:\n    deny: [\"Bash(rm -rf:*)\"]\n\
                 memory: |\n  # Notes\n",
            ),
            (
                "teams/b/mcp.yaml",
                &format!(
                    "mcpServers:\n  github:\n    command: npx\n    args: [\"-y\", \"server-github\", \"--token\", \"{}\"]\n    \
                     env:\n      GITHUB_TOKEN: {}\n",
                    token(),
                    token()
                ),
            ),
        ],
    );
    report(&base_files(), &head, &Filter::default())
}

#[test]
fn exactly_the_affected_selections_are_named() {
    let r = two_commit_change();
    assert_eq!(
        r.selections.len(),
        12,
        "2 environments × (1 + 2 teams) × (1 + 1 project)"
    );
    assert_eq!(
        with_status(&r, Status::Changed),
        [
            "dev", "dev/-/p", "dev/a", "dev/a/p", "dev/b", "dev/b/p", "prod/b", "prod/b/p"
        ]
    );
    assert_eq!(
        with_status(&r, Status::Unchanged),
        ["prod", "prod/-/p", "prod/a", "prod/a/p"]
    );
    let find = |n: &str| r.selections.iter().find(|s| s.name == n).unwrap();
    let subjects = |n: &str| -> Vec<(Area, Action, String)> {
        find(n)
            .changes
            .iter()
            .map(|c| (c.area, c.action, c.subject.clone()))
            .collect()
    };
    assert_eq!(
        subjects("dev/a"),
        [
            (
                Area::Permissions,
                Action::Removed,
                "deny: Bash(curl:*)".to_string()
            ),
            (
                Area::Objects,
                Action::Modified,
                "ConfigMap config".to_string()
            ),
        ]
    );
    let prod_b = subjects("prod/b");
    assert!(
        prod_b.contains(&(Area::McpServers, Action::Added, "github".to_string())),
        "{prod_b:?}"
    );
    assert!(
        !prod_b.iter().any(|(a, _, _)| *a == Area::Permissions),
        "{prod_b:?}"
    );
    // No deployed server: the ConfigMap is replaced, nothing rolls.
    assert!(prod_b.contains(&(
        Area::Objects,
        Action::Modified,
        "ConfigMap config".to_string()
    )));
    assert!(r.changed());
}

#[test]
fn secrets_are_masked_everywhere_and_head_findings_are_included() {
    let r = two_commit_change();
    let json = serde_json::to_string(&r).unwrap();
    let text = text::render(&r);
    let md = markdown::render(&r, 60_000, "claude-env diff --base x");
    for out in [&json, &text, &md] {
        assert!(!out.contains("ghp_"), "{out}");
        assert!(
            out.contains("<masked: a GitHub personal access token>") || out.contains("&lt;masked"),
            "{out}"
        );
    }
    assert!(r.findings.errors().any(|d| d.rule == "plaintext-secret"));
    assert!(text.contains("error[plaintext-secret]"), "{text}");
}

#[test]
fn new_and_removed_layers_add_and_remove_selections_and_a_broken_one_fails() {
    let mut head = with(
        base_files(),
        &[("teams/c/settings.yaml", "metadata: {team: c}\n")],
    );
    head.retain(|(p, _)| !p.starts_with("projects/"));
    let head = with(head, &[("teams/a/settings.yaml", "settings: [unclosed\n")]);
    let r = report(&base_files(), &head, &Filter::default());
    assert_eq!(with_status(&r, Status::Added), ["dev/c", "prod/c"]);
    assert_eq!(
        with_status(&r, Status::Removed),
        [
            "dev/-/p", "dev/a/p", "dev/b/p", "prod/-/p", "prod/a/p", "prod/b/p"
        ]
    );
    assert_eq!(with_status(&r, Status::Failed), ["dev/a", "prod/a"]);
    let failed = r.selections.iter().find(|s| s.name == "dev/a").unwrap();
    assert!(
        failed
            .note
            .as_deref()
            .unwrap()
            .contains("teams/a/settings.yaml"),
        "{failed:?}"
    );
    let added = r.selections.iter().find(|s| s.name == "dev/c").unwrap();
    assert!(
        added
            .changes
            .iter()
            .all(|c| c.action == Action::Added && c.diff.is_none())
    );
}

#[test]
fn a_config_change_rolls_deployed_servers_and_object_fields_are_compared() {
    let deploy = |replicas: u32| {
        format!(
            "mcpServers:\n  ctx:\n    deploy:\n      image: ctx:1.0.0\n      port: 8080\n      replicas: {replicas}\n"
        )
    };
    let before = with(base_files(), &[("base/mcp.yaml", &deploy(1))]);
    let after = with(
        before.clone(),
        &[
            ("base/mcp.yaml", &deploy(2)),
            ("teams/a/memory.yaml", "memory: |\n  # Team a\n"),
        ],
    );
    let r = report(
        &before,
        &after,
        &Filter {
            environment: Some("dev".into()),
            ..Default::default()
        },
    );
    assert!(r.selections.iter().all(|s| s.environment == "dev"));
    let dev = r.selections.iter().find(|s| s.name == "dev").unwrap();
    let subjects: Vec<&str> = dev.changes.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["Deployment ctx: spec.replicas"],
        "same files: nothing rolls"
    );
    assert_eq!(dev.changes[0].before.as_deref(), Some("1"));
    let dev_a = r.selections.iter().find(|s| s.name == "dev/a").unwrap();
    let subjects: Vec<&str> = dev_a.changes.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "CLAUDE.md",
            "ConfigMap config",
            "Deployment ctx: pods roll",
            "Deployment ctx: spec.replicas"
        ]
    );
    let diff = dev_a.changes[0].diff.as_deref().unwrap();
    assert!(
        diff.contains("-# Notes") && diff.contains("+# Team a"),
        "{diff}"
    );
}

#[test]
fn nothing_changed_is_no_finding() {
    let r = report(&base_files(), &base_files(), &Filter::default());
    assert_eq!(r.counts().unchanged, 12);
    assert!(!r.changed());
    let text = text::render(&r);
    assert!(text.contains("no change in: dev (6), prod (6)"), "{text}");
}

#[test]
fn the_markdown_report_is_cut_to_its_size_with_a_note() {
    let r = two_commit_change();
    let full = markdown::render(&r, 1_000_000, "claude-env diff --base x");
    assert!(!full.contains("[!NOTE]"));
    let cut = markdown::render(&r, 1_500, "claude-env diff --base x");
    assert!(cut.len() <= 1_500, "{} bytes", cut.len());
    assert!(cut.contains("This report was cut"), "{cut}");
    assert!(cut.contains("`claude-env diff --base x`"), "{cut}");
    assert!(cut.starts_with("## claude-env change impact"));
}

#[test]
fn selections_with_the_same_changes_are_grouped() {
    let r = two_commit_change();
    let dev: Vec<_> = r.in_environment("dev").collect();
    let g = model::groups(dev);
    let names: Vec<Vec<&str>> = g.iter().map(|g| g.names()).collect();
    assert_eq!(
        names,
        [
            vec!["dev", "dev/-/p", "dev/a", "dev/a/p"],
            vec!["dev/b", "dev/b/p"]
        ]
    );
}
