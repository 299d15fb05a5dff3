//! Validation beyond merging: per fragment (schema, reference syntax, plain-text secrets)
//! and per merged document (required keys, the repository's schemas, semantic checks).

use crate::diagnostics::Diagnostic;
use crate::reference;
use crate::rules;
use crate::schema::{self, RepoSchema};
use crate::secrets;
use crate::semantic::{self, Policy};
use crate::tree::{At, Node};

/// Findings about one fragment on its own; `source` is the fragment's text. `scan_secrets`
/// is off for the user layer, which never leaves the workstation.
pub(crate) fn fragment_findings(tree: &Node, source: &str, scan_secrets: bool) -> Vec<Diagnostic> {
    let mut out = schema::check_fragment(tree);
    tree.for_each_string(&mut |key, s, at| {
        if let Err(e) = reference::references(s) {
            let (line, col) = position_in(source, at, s, e.offset);
            let msg = format!("malformed reference: {e}");
            out.push(Diagnostic::error(rules::SECRET_REFERENCE, &at.origin.file, msg).at(line, col));
        }
        if scan_secrets && let Some(found) = secrets::scan(key, s) {
            let what = key.map_or_else(|| "a value".to_owned(), |k| format!("the value of `{k}`"));
            let (line, col) = position_in(source, at, s, found.offset);
            out.push(
                Diagnostic::error(
                    rules::PLAINTEXT_SECRET,
                    &at.origin.file,
                    format!(
                        "{what} looks like {}; keep credentials out of the repository and reference them: `${{secret:<name>/<key>}}` (Kubernetes Secret) or `${{env:VAR}}` (workstation)",
                        found.kind
                    ),
                )
                .at(line, col),
            );
        }
    });
    out
}

/// The file position of byte `offset` of `value`, a string written at `at`. In a multi-line
/// value (a Markdown block under `memory`, say) that is the line holding it, when the
/// source has that line verbatim (literal blocks do; folded and quoted strings may not);
/// otherwise the start of the value.
fn position_in(source: &str, at: &At, value: &str, offset: usize) -> (u32, u32) {
    let before = &value[..offset];
    let newlines = before.matches('\n').count();
    if newlines == 0 {
        return (at.line, at.col);
    }
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let value_line = value[line_start..].split('\n').next().unwrap_or("");
    let line = at.line as usize + newlines;
    match source.lines().nth(line - 1) {
        Some(src) if !value_line.is_empty() && src.trim_end_matches('\r').ends_with(value_line) => {
            let indent = src.trim_end_matches('\r').chars().count() - value_line.chars().count();
            let col = indent + value[line_start..offset].chars().count() + 1;
            (line as u32, col as u32)
        }
        _ => (at.line, at.col),
    }
}

/// `instance` is `tree` as JSON.
pub(crate) fn merged_findings(
    tree: &Node,
    instance: &serde_json::Value,
    schemas: &[RepoSchema],
    policy: Policy,
) -> Vec<Diagnostic> {
    let mut out = schema::check_merged(tree, instance);
    for s in schemas {
        out.extend(s.check(tree, instance));
    }
    out.extend(semantic::check(tree, policy));
    out
}

#[cfg(test)]
mod tests {
    use crate::testutil::check;

    fn secret_at(file: &str) -> (u32, u32) {
        let ds = check("", &[("base/a.yaml", file)]);
        let d = ds
            .iter()
            .find(|d| d.rule == "plaintext-secret")
            .expect("a finding");
        (d.line, d.column)
    }

    fn token() -> String {
        format!("ghp_{}", "aB3dE5gH7jK9mN1pQ2rS4tU6vW8xY0zC".repeat(2))
    }

    #[test]
    fn a_token_in_a_literal_block_is_found_on_its_line() {
        let file = format!("memory: |\n  # Notes\n\n    indented {}\n", token());
        assert_eq!(secret_at(&file), (4, 14));
    }

    #[test]
    fn a_token_in_a_folded_block_points_at_the_value() {
        let file = format!("memory: >\n  some words\n  more {} words\n", token());
        assert_eq!(secret_at(&file), (2, 3));
    }

    #[test]
    fn a_malformed_reference_in_a_block_is_found_on_its_line() {
        let ds = check(
            "",
            &[("base/a.yaml", "memory: |\n  ok\n  use ${secret:Bad/key}\n")],
        );
        let d = ds.iter().next().unwrap();
        assert_eq!((d.rule, d.line, d.column), ("secret-reference", 3, 7));
    }

    #[test]
    fn a_token_on_one_line_points_at_the_value() {
        let file = format!("memory: \"see {}\"\n", token());
        assert_eq!(secret_at(&file), (1, 9));
    }
}
