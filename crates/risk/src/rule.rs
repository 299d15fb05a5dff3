//! Claude Code permission rules (`Bash(git diff:*)`, `WebFetch(domain:x)`, `mcp__github`,
//! `Read`): what a rule covers, in words, and whether it covers everything a tool can do.

use crate::context::clip;

/// Tools that change the machine or reach the network: allowing all of their uses is the
/// most dangerous grant there is.
const POWERFUL: [&str; 7] = [
    "Bash",
    "WebFetch",
    "Write",
    "Edit",
    "MultiEdit",
    "NotebookEdit",
    "*",
];

/// Specifiers that match every use of a tool.
const EVERYTHING: [&str; 9] = [
    "*", ":*", "**", "*:*", "domain:*", "/**", "//**", "~/**", "**/*",
];

/// One rule, split into its tool and optional specifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rule<'a> {
    pub raw: &'a str,
    pub tool: &'a str,
    pub specifier: Option<&'a str>,
}

impl<'a> Rule<'a> {
    pub(crate) fn parse(raw: &'a str) -> Self {
        let trimmed = raw.trim();
        let (tool, specifier) = match (trimmed.find('('), trimmed.strip_suffix(')')) {
            (Some(open), Some(body)) if open > 0 => (&trimmed[..open], Some(&body[open + 1..])),
            _ => (trimmed, None),
        };
        Rule {
            raw,
            tool: tool.trim(),
            specifier: specifier.map(str::trim).filter(|s| !s.is_empty()),
        }
    }

    /// Whether the rule matches every use of its tool: no specifier, or a bare wildcard, or
    /// every tool of an MCP server.
    pub(crate) fn is_wildcard(&self) -> bool {
        if let Some((_, tool)) = self.mcp() {
            return tool.is_none();
        }
        match self.specifier {
            None => true,
            Some(s) => EVERYTHING.contains(&s),
        }
    }

    /// Allowing this rule lets the agent run anything, write anywhere or reach any host.
    pub(crate) fn is_critical(&self) -> bool {
        self.is_wildcard() && POWERFUL.contains(&self.tool)
    }

    /// `mcp__server` / `mcp__server__*` → (server, None); `mcp__server__tool` → (server, tool).
    fn mcp(&self) -> Option<(&'a str, Option<&'a str>)> {
        let rest = self.tool.strip_prefix("mcp__")?;
        Some(match rest.split_once("__") {
            None => (rest, None),
            Some((server, "*")) => (server, None),
            Some((server, tool)) => (server, Some(tool)),
        })
    }

    /// What the rule covers: "any Bash command", "Bash commands starting with `git diff`",
    /// "every tool of MCP server `github`", "`Read(./src/**)`".
    pub(crate) fn describe(&self) -> String {
        if let Some((server, tool)) = self.mcp() {
            return match tool {
                None => format!("every tool of MCP server `{server}`"),
                Some(t) => format!("MCP tool `{t}` of server `{server}`"),
            };
        }
        let any = self.is_wildcard();
        match (self.tool, self.specifier) {
            ("*", _) => "every tool".into(),
            ("Bash", _) if any => "any Bash command".into(),
            ("Bash", Some(s)) => match prefix_of(s) {
                Some(p) => format!("Bash commands starting with `{}`", clip(p, 60)),
                None => format!("the Bash command `{}`", clip(s, 60)),
            },
            ("WebFetch", _) if any => "fetching any URL".into(),
            ("WebFetch", Some(s)) => match s.strip_prefix("domain:") {
                Some(d) => format!("fetching from `{d}`"),
                None => format!("`{}`", clip(self.raw, 70)),
            },
            ("WebSearch", None) => "web searches".into(),
            (
                tool @ ("Read" | "Glob" | "Grep" | "LS" | "Edit" | "Write" | "MultiEdit"
                | "NotebookEdit"),
                _,
            ) if any => format!("`{tool}` on any file"),
            (tool, None) => format!("every use of `{tool}`"),
            _ => format!("`{}`", clip(self.raw, 70)),
        }
    }
}

/// `git diff:*` and `git diff *` → `git diff`.
fn prefix_of(spec: &str) -> Option<&str> {
    spec.strip_suffix(":*")
        .or_else(|| spec.strip_suffix(" *"))
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.contains('*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_split_into_tool_and_specifier() {
        let r = Rule::parse("Bash(git diff:*)");
        assert_eq!((r.tool, r.specifier), ("Bash", Some("git diff:*")));
        let r = Rule::parse("Read");
        assert_eq!((r.tool, r.specifier), ("Read", None));
        let r = Rule::parse("Bash()");
        assert_eq!((r.tool, r.specifier), ("Bash", None));
        let r = Rule::parse("odd)");
        assert_eq!((r.tool, r.specifier), ("odd)", None));
    }

    #[test]
    fn wildcards_and_criticality() {
        for (rule, wildcard, critical) in [
            ("Bash", true, true),
            ("Bash(*)", true, true),
            ("Bash(:*)", true, true),
            ("Bash(git:*)", false, false),
            ("WebFetch", true, true),
            ("WebFetch(domain:*)", true, true),
            ("WebFetch(domain:docs.rs)", false, false),
            ("Edit(**)", true, true),
            ("Edit(./src/**)", false, false),
            ("Read", true, false),
            ("mcp__github", true, false),
            ("mcp__github__*", true, false),
            ("mcp__github__get_issue", false, false),
            ("*", true, true),
        ] {
            let r = Rule::parse(rule);
            assert_eq!(r.is_wildcard(), wildcard, "{rule} wildcard");
            assert_eq!(r.is_critical(), critical, "{rule} critical");
        }
    }

    #[test]
    fn descriptions_say_what_is_covered() {
        for (rule, text) in [
            ("Bash", "any Bash command"),
            ("Bash(*)", "any Bash command"),
            ("Bash(git diff:*)", "Bash commands starting with `git diff`"),
            ("Bash(npm run *)", "Bash commands starting with `npm run`"),
            ("Bash(make)", "the Bash command `make`"),
            ("WebFetch", "fetching any URL"),
            ("WebFetch(domain:docs.rs)", "fetching from `docs.rs`"),
            ("Read", "`Read` on any file"),
            ("Edit(**)", "`Edit` on any file"),
            ("Edit(./src/**)", "`Edit(./src/**)`"),
            ("mcp__github", "every tool of MCP server `github`"),
            (
                "mcp__github__get_issue",
                "MCP tool `get_issue` of server `github`",
            ),
            ("TodoWrite", "every use of `TodoWrite`"),
            ("*", "every tool"),
        ] {
            assert_eq!(Rule::parse(rule).describe(), text, "{rule}");
        }
    }
}
