//! Validation beyond merging: per fragment (schema, reference syntax, plain-text secrets)
//! and per merged document (required keys, the repository's schemas, semantic checks).

use crate::diagnostics::Diagnostic;
use crate::reference;
use crate::rules;
use crate::schema::{self, RepoSchema};
use crate::secrets;
use crate::semantic::{self, Policy};
use crate::tree::Node;

/// Findings about one fragment on its own. `scan_secrets` is off for the user layer, which
/// never leaves the workstation.
pub(crate) fn fragment_findings(tree: &Node, scan_secrets: bool) -> Vec<Diagnostic> {
    let mut out = schema::check_fragment(tree);
    tree.for_each_string(&mut |key, s, at| {
        let diag = |rule, msg: String| {
            Diagnostic::error(rule, &at.origin.file, msg).at(at.line, at.col)
        };
        if let Err(e) = reference::references(s) {
            out.push(diag(rules::SECRET_REFERENCE, format!("malformed reference: {e}")));
        }
        if scan_secrets && let Some(kind) = secrets::scan(key, s) {
            let what = key.map_or_else(|| "a value".to_owned(), |k| format!("the value of `{k}`"));
            out.push(diag(
                rules::PLAINTEXT_SECRET,
                format!(
                    "{what} looks like {kind}; keep credentials out of the repository and reference them: `${{secret:<name>/<key>}}` (Kubernetes Secret) or `${{env:VAR}}` (workstation)"
                ),
            ));
        }
    });
    out
}

/// Findings about the merged document of one selection.
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
