//! The classifier, setting by setting: each case is a base fragment, a head fragment and
//! every change the report must list (class, severity, path, explanation), riskiest first.

// Table-driven: one row per case, read as a table.
#![allow(clippy::too_many_lines)]

mod common;

use claude_env_risk::{Class, Severity, compare};
use pretty_assertions::assert_eq;

use Class::*;
use Severity::*;

type Expected<'a> = &'a [(Class, Severity, &'a str, &'a str)];

#[track_caller]
fn case(name: &str, base: &str, head: &str, expected: Expected<'_>) {
    let report = compare(&common::base(base), &common::base(head));
    let got: Vec<(Class, Severity, String, String)> = report
        .changes
        .iter()
        .map(|c| (c.class, c.severity, c.path.clone(), c.explanation.clone()))
        .collect();
    let want: Vec<(Class, Severity, String, String)> = expected
        .iter()
        .map(|(c, s, p, e)| (*c, *s, p.to_string(), e.to_string()))
        .collect();
    assert_eq!(got, want, "case: {name}");
    for c in &report.changes {
        assert!(c.source.is_some(), "case {name}: {c:?} has no source");
    }
}

const PERMS: &str = "settings:\n  permissions:\n    allow: [Read, \"Bash(git status:*)\"]\n    ask: [\"Bash(git push:*)\"]\n    deny: [\"Bash(rm -rf:*)\", \"WebFetch\"]\n";

fn perms(allow: &str, ask: &str, deny: &str) -> String {
    format!("settings:\n  permissions:\n    allow: {allow}\n    ask: {ask}\n    deny: {deny}\n")
}

const ALLOW: &str = "settings.permissions.allow";
const ASK: &str = "settings.permissions.ask";
const DENY: &str = "settings.permissions.deny";
const OLD_ALLOW: &str = "[Read, \"Bash(git status:*)\"]";
const OLD_ASK: &str = "[\"Bash(git push:*)\"]";
const OLD_DENY: &str = "[\"Bash(rm -rf:*)\", \"WebFetch\"]";

#[test]
fn permission_rules_that_widen_are_security() {
    let add = |rule: &str| {
        perms(
            &format!("[Read, \"Bash(git status:*)\", \"{rule}\"]"),
            OLD_ASK,
            OLD_DENY,
        )
    };
    case(
        "allow Bash",
        PERMS,
        &add("Bash"),
        &[(Security, Critical, ALLOW, "allows any Bash command")],
    );
    case(
        "allow Bash(*)",
        PERMS,
        &add("Bash(*)"),
        &[(Security, Critical, ALLOW, "allows any Bash command")],
    );
    case(
        "allow a prefix",
        PERMS,
        &add("Bash(cargo test:*)"),
        &[(
            Security,
            High,
            ALLOW,
            "allows Bash commands starting with `cargo test`",
        )],
    );
    case(
        "allow an MCP server",
        PERMS,
        &add("mcp__github"),
        &[(
            Security,
            High,
            ALLOW,
            "allows every tool of MCP server `github`",
        )],
    );
    case(
        "allow Edit anywhere",
        PERMS,
        &add("Edit"),
        &[(Security, Critical, ALLOW, "allows `Edit` on any file")],
    );
    case(
        "remove a deny rule",
        PERMS,
        &perms(OLD_ALLOW, OLD_ASK, "[WebFetch]"),
        &[(Security, High, DENY, "removes deny rule `Bash(rm -rf:*)`")],
    );
    case(
        "ask to allow",
        PERMS,
        &perms(
            "[Read, \"Bash(git status:*)\", \"Bash(git push:*)\"]",
            "[]",
            OLD_DENY,
        ),
        &[(
            Security,
            High,
            ALLOW,
            "turns ask rule `Bash(git push:*)` into allow",
        )],
    );
    case(
        "deny to allow",
        PERMS,
        &perms(
            "[Read, \"Bash(git status:*)\", WebFetch]",
            OLD_ASK,
            "[\"Bash(rm -rf:*)\"]",
        ),
        &[(
            Security,
            Critical,
            ALLOW,
            "turns deny rule `WebFetch` into allow",
        )],
    );
    case(
        "remove an ask rule",
        PERMS,
        &perms(OLD_ALLOW, "[]", OLD_DENY),
        &[(Security, Medium, ASK, "removes ask rule `Bash(git push:*)`")],
    );
    case(
        "deny to ask",
        PERMS,
        &perms(
            OLD_ALLOW,
            "[\"Bash(git push:*)\", WebFetch]",
            "[\"Bash(rm -rf:*)\"]",
        ),
        &[(Security, Medium, ASK, "turns deny rule `WebFetch` into ask")],
    );
}

#[test]
fn permission_rules_that_narrow_are_not_security() {
    case(
        "remove an allow rule",
        PERMS,
        &perms("[Read]", OLD_ASK, OLD_DENY),
        &[(
            Configuration,
            Low,
            ALLOW,
            "removes allow rule `Bash(git status:*)`",
        )],
    );
    case(
        "add a deny rule",
        PERMS,
        &perms(
            OLD_ALLOW,
            OLD_ASK,
            "[\"Bash(rm -rf:*)\", WebFetch, \"Bash(curl:*)\"]",
        ),
        &[(Configuration, Low, DENY, "adds deny rule `Bash(curl:*)`")],
    );
    case(
        "allow to ask",
        PERMS,
        &perms(
            "[Read]",
            "[\"Bash(git push:*)\", \"Bash(git status:*)\"]",
            OLD_DENY,
        ),
        &[(
            Configuration,
            Low,
            ASK,
            "turns allow rule `Bash(git status:*)` into ask",
        )],
    );
    case(
        "allowing what is denied changes nothing",
        PERMS,
        &perms(
            "[Read, \"Bash(git status:*)\", WebFetch]",
            OLD_ASK,
            OLD_DENY,
        ),
        &[(
            Configuration,
            Low,
            ALLOW,
            "adds allow rule `WebFetch` (no effect: the deny rule decides)",
        )],
    );
    case(
        "reordered rules",
        PERMS,
        &perms(
            "[\"Bash(git status:*)\", Read]",
            OLD_ASK,
            "[WebFetch, \"Bash(rm -rf:*)\"]",
        ),
        &[
            (Cosmetic, Low, ALLOW, "reorders settings.permissions.allow"),
            (Cosmetic, Low, DENY, "reorders settings.permissions.deny"),
        ],
    );
}

#[test]
fn modes_directories_and_the_bypass_lock() {
    let dirs = |d: &str| format!("settings:\n  permissions:\n    additionalDirectories: {d}\n");
    let path = "settings.permissions.additionalDirectories";
    case(
        "a directory",
        &dirs("[../docs]"),
        &dirs("[../docs, ../shared]"),
        &[(
            Security,
            High,
            path,
            "gives Claude Code access to directory `../shared`",
        )],
    );
    case(
        "the home directory",
        &dirs("[]"),
        &dirs("[\"~\"]"),
        &[(
            Security,
            Critical,
            path,
            "gives Claude Code access to directory `~`",
        )],
    );
    case(
        "fewer directories",
        &dirs("[../docs]"),
        &dirs("[]"),
        &[(
            Configuration,
            Low,
            path,
            "takes directory `../docs` out of Claude Code's reach",
        )],
    );
    let mode = |m: &str| format!("settings:\n  permissions:\n    defaultMode: {m}\n");
    let path = "settings.permissions.defaultMode";
    case(
        "bypass mode",
        &mode("default"),
        &mode("bypassPermissions"),
        &[(
            Security,
            Critical,
            path,
            "starts Claude Code in `bypassPermissions` mode (was `default`): no permission prompts at all",
        )],
    );
    case(
        "a stricter mode",
        &mode("acceptEdits"),
        &mode("plan"),
        &[(
            Configuration,
            Low,
            path,
            "starts Claude Code in `plan` mode (was `acceptEdits`)",
        )],
    );
    case(
        "the bypass lock lifted",
        "settings:\n  permissions:\n    disableBypassPermissionsMode: disable\n",
        "settings:\n  model: x\n",
        &[
            (
                Security,
                High,
                "settings.permissions.disableBypassPermissionsMode",
                "allows bypassPermissions mode again",
            ),
            (
                Configuration,
                Medium,
                "settings.model",
                "sets settings.model to `x`",
            ),
        ],
    );
}

fn hooks(pre: &str, post: &str) -> String {
    format!(
        "settings:\n  hooks:\n    PreToolUse:\n      - matcher: Bash\n        hooks: {pre}\n    PostToolUse:\n      - matcher: Edit\n        hooks: {post}\n"
    )
}

#[test]
fn hooks_run_commands() {
    let guard = "{type: command, command: guard.sh, timeout: 10}";
    let fmt = "{type: command, command: fmt.sh}";
    let base = hooks(&format!("[{guard}]"), &format!("[{fmt}]"));
    let path = "settings.hooks.PreToolUse";
    case(
        "a new hook",
        &base,
        &hooks(
            &format!("[{guard}, {{type: command, command: audit.sh}}]"),
            &format!("[{fmt}]"),
        ),
        &[(
            Security,
            High,
            path,
            "adds a PreToolUse hook on `Bash` running `audit.sh`",
        )],
    );
    case(
        "a changed hook",
        &base,
        &hooks(
            "[{type: command, command: guard2.sh, timeout: 10}]",
            &format!("[{fmt}]"),
        ),
        &[(
            Security,
            High,
            path,
            "changes the PreToolUse hook on `Bash` to run `guard2.sh` (was `guard.sh`)",
        )],
    );
    case(
        "a guard removed",
        &base,
        &hooks("[]", &format!("[{fmt}]")),
        &[(
            Security,
            Medium,
            path,
            "removes the PreToolUse hook `guard.sh` on `Bash`: it no longer checks tool calls",
        )],
    );
    case(
        "a formatter removed",
        &base,
        &hooks(&format!("[{guard}]"), "[]"),
        &[(
            Configuration,
            Low,
            "settings.hooks.PostToolUse",
            "removes the PostToolUse hook `fmt.sh` on `Edit`",
        )],
    );
    case(
        "a timeout",
        &base,
        &hooks(
            "[{type: command, command: guard.sh, timeout: 30}]",
            &format!("[{fmt}]"),
        ),
        &[(
            Configuration,
            Low,
            path,
            "changes the settings of PreToolUse hook `guard.sh`",
        )],
    );
    let two = hooks(&format!("[{guard}, {fmt}]"), "[]");
    case(
        "hooks reordered",
        &two,
        &hooks(&format!("[{fmt}, {guard}]"), "[]"),
        &[(Cosmetic, Low, path, "reorders the PreToolUse hooks")],
    );
}

const SERVERS: &str = "mcpServers:\n  ctx:\n    command: npx\n    args: [\"-y\", \"@upstash/context7-mcp\"]\n    env: {LOG_LEVEL: info}\n  remote:\n    type: http\n    url: https://mcp.example.com/mcp\n    description: Remote tools\n  svc:\n    deploy:\n      image: ghcr.io/x/svc:1.0\n      port: 8080\n      replicas: 2\n";

fn servers(edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_saphyr::from_str(SERVERS).unwrap();
    edit(&mut v);
    serde_json::to_string(&v).unwrap()
}

#[test]
fn mcp_servers() {
    use serde_json::json;
    case(
        "a new stdio server",
        "settings: {}\n",
        "mcpServers:\n  ctx:\n    command: npx\n    args: [\"-y\", \"@upstash/context7-mcp\"]\n",
        &[(
            Security,
            High,
            "mcpServers.ctx",
            "adds MCP server ctx running `npx -y @upstash/context7-mcp`",
        )],
    );
    case(
        "a remote URL",
        SERVERS,
        &servers(|v| v["mcpServers"]["remote"]["url"] = json!("https://evil.example.net/mcp")),
        &[(
            Security,
            High,
            "mcpServers.remote.url",
            "points MCP server remote at `https://evil.example.net/mcp`",
        )],
    );
    case(
        "a deployed image",
        SERVERS,
        &servers(|v| v["mcpServers"]["svc"]["deploy"]["image"] = json!("ghcr.io/x/svc:2.0")),
        &[(
            Security,
            High,
            "mcpServers.svc.deploy.image",
            "changes the image of MCP server svc to `ghcr.io/x/svc:2.0`",
        )],
    );
    case(
        "new arguments",
        SERVERS,
        &servers(|v| v["mcpServers"]["ctx"]["args"] = json!(["-y", "@evil/mcp"])),
        &[(
            Security,
            High,
            "mcpServers.ctx.args",
            "changes the arguments of MCP server ctx: `npx -y @evil/mcp`",
        )],
    );
    case(
        "a removed server",
        SERVERS,
        &servers(|v| {
            v["mcpServers"].as_object_mut().unwrap().remove("remote");
        }),
        &[(
            Availability,
            Medium,
            "mcpServers.remote",
            "removes MCP server remote",
        )],
    );
    case(
        "a disabled server",
        SERVERS,
        &servers(|v| v["mcpServers"]["ctx"]["enabled"] = json!(false)),
        &[(
            Availability,
            Medium,
            "mcpServers.ctx",
            "disables MCP server ctx",
        )],
    );
    case(
        "a re-enabled server",
        &servers(|v| v["mcpServers"]["ctx"]["enabled"] = json!(false)),
        SERVERS,
        &[(
            Security,
            High,
            "mcpServers.ctx",
            "enables MCP server ctx running `npx -y @upstash/context7-mcp`",
        )],
    );
    case(
        "server env",
        SERVERS,
        &servers(|v| {
            v["mcpServers"]["ctx"]["env"] =
                json!({"LOG_LEVEL": "debug", "HTTPS_PROXY": "http://proxy:3128"})
        }),
        &[
            (
                Security,
                High,
                "mcpServers.ctx.env.HTTPS_PROXY",
                "sets HTTPS_PROXY for MCP server ctx, which routes network traffic through a proxy",
            ),
            (
                Configuration,
                Medium,
                "mcpServers.ctx.env.LOG_LEVEL",
                "changes environment variable LOG_LEVEL for MCP server ctx",
            ),
        ],
    );
    case(
        "scaled to zero",
        SERVERS,
        &servers(|v| v["mcpServers"]["svc"]["deploy"]["replicas"] = json!(0)),
        &[(
            Availability,
            High,
            "mcpServers.svc.deploy.replicas",
            "scales MCP server svc to 0 replicas (was 2)",
        )],
    );
    case(
        "resources",
        SERVERS,
        &servers(|v| {
            v["mcpServers"]["svc"]["deploy"]["resources"] = json!({"limits": {"memory": "256Mi"}})
        }),
        &[(
            Availability,
            Medium,
            "mcpServers.svc.deploy.resources.limits.memory",
            "sets mcpServers.svc.deploy.resources.limits.memory to 256Mi",
        )],
    );
    case(
        "a description",
        SERVERS,
        &servers(|v| v["mcpServers"]["remote"]["description"] = json!("Other")),
        &[(
            Cosmetic,
            Low,
            "mcpServers.remote.description",
            "changes mcpServers.remote.description",
        )],
    );
    case(
        "a header",
        SERVERS,
        &servers(|v| {
            v["mcpServers"]["remote"]["headers"] =
                json!({"Authorization": "Bearer ${secret:mcp/token}"})
        }),
        &[(
            Configuration,
            Medium,
            "mcpServers.remote.headers.Authorization",
            "sets header Authorization of MCP server remote",
        )],
    );
}

#[test]
fn env_model_and_other_settings() {
    case(
        "a plain variable",
        "settings:\n  env: {LOG_LEVEL: info}\n",
        "settings:\n  env: {LOG_LEVEL: debug}\n",
        &[(
            Configuration,
            Medium,
            "settings.env.LOG_LEVEL",
            "changes environment variable LOG_LEVEL for Claude Code",
        )],
    );
    case(
        "the model endpoint",
        "settings:\n  env: {}\n",
        "settings:\n  env: {ANTHROPIC_BASE_URL: \"https://llm.example.net\"}\n",
        &[(
            Security,
            High,
            "settings.env.ANTHROPIC_BASE_URL",
            "sets ANTHROPIC_BASE_URL for Claude Code, which decides where Claude Code sends its traffic",
        )],
    );
    case(
        "the model",
        "settings:\n  model: sonnet\n",
        "settings:\n  model: opus\n",
        &[(
            Configuration,
            Medium,
            "settings.model",
            "changes settings.model to `opus` (was `sonnet`)",
        )],
    );
    case(
        "the sandbox off",
        "settings:\n  sandbox: {enabled: true}\n",
        "settings:\n  sandbox: {enabled: false}\n",
        &[(
            Security,
            High,
            "settings.sandbox.enabled",
            "runs Bash commands outside the sandbox (settings.sandbox.enabled: false)",
        )],
    );
    case(
        "an API key helper",
        "settings: {}\n",
        "settings:\n  apiKeyHelper: /usr/local/bin/get-key\n",
        &[(
            Security,
            High,
            "settings.apiKeyHelper",
            "gets API keys by running `/usr/local/bin/get-key`",
        )],
    );
    case(
        "every project MCP server",
        "settings: {}\n",
        "settings:\n  enableAllProjectMcpServers: true\n",
        &[(
            Security,
            High,
            "settings.enableAllProjectMcpServers",
            "starts every MCP server of a project's .mcp.json without asking (settings.enableAllProjectMcpServers: true)",
        )],
    );
    case(
        "an unknown setting",
        "settings: {}\n",
        "settings:\n  spinnerTipsEnabled: false\n",
        &[(
            Configuration,
            Medium,
            "settings.spinnerTipsEnabled",
            "sets settings.spinnerTipsEnabled to false",
        )],
    );
    case(
        "metadata",
        "metadata: {owner: a}\n",
        "metadata: {owner: b}\n",
        &[(Cosmetic, Low, "metadata.owner", "changes metadata.owner")],
    );
}

#[test]
fn memory_commands_and_personas() {
    case(
        "memory",
        "memory: |\n  # Notes\n  Use cargo.\n",
        "memory: |\n  # Notes\n  Use cargo.\n  Run the tests.\n",
        &[(
            Configuration,
            Medium,
            "memory",
            "changes CLAUDE.md (+1 -0 lines)",
        )],
    );
    case(
        "memory whitespace",
        "memory: |\n  # Notes\n  Use cargo.\n",
        "memory: |\n  # Notes\n\n  Use   cargo.\n",
        &[(
            Cosmetic,
            Low,
            "memory",
            "reformats CLAUDE.md (whitespace only)",
        )],
    );
    case(
        "a new command",
        "commands: {}\n",
        "commands:\n  review: |\n    Review the diff.\n",
        &[(
            Configuration,
            Low,
            "commands.review",
            "adds slash command /review (1 line)",
        )],
    );
    case(
        "a command that allows tools",
        "commands:\n  deploy: |\n    Deploy.\n",
        "commands:\n  deploy: |\n    ---\n    allowed-tools: Bash, Read\n    ---\n    Deploy.\n",
        &[
            (
                Security,
                Critical,
                "commands.deploy",
                "slash command /deploy allows any Bash command (allowed-tools)",
            ),
            (
                Security,
                High,
                "commands.deploy",
                "slash command /deploy allows `Read` on any file (allowed-tools)",
            ),
            (
                Configuration,
                Medium,
                "commands.deploy",
                "changes slash command /deploy (+3 -0 lines)",
            ),
        ],
    );
    case(
        "a sub-agent in bypass mode",
        "personas:\n  fixer: |\n    ---\n    name: fixer\n    ---\n    Fix things.\n",
        "personas:\n  fixer: |\n    ---\n    name: fixer\n    permissionMode: bypassPermissions\n    ---\n    Fix things.\n",
        &[
            (
                Security,
                Critical,
                "personas.fixer",
                "runs sub-agent fixer in `bypassPermissions` mode (was `default`): no permission prompts at all",
            ),
            (
                Configuration,
                Medium,
                "personas.fixer",
                "changes sub-agent fixer (+1 -0 lines)",
            ),
        ],
    );
}

#[test]
fn identical_documents_have_no_changes() {
    let doc = common::load(&[
        ("base/a.yaml", PERMS),
        ("base/b.yaml", SERVERS),
        ("base/c.yaml", "memory: hi\ncommands: {x: y}\n"),
    ]);
    assert!(compare(&doc, &doc).is_empty());
}
