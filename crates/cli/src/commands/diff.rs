//! `claude-env diff`: unified diffs between a local target and what `sync` would write.
//! With a NAME or `--cluster`: `commands::in_cluster::diff`, against the live objects. With
//! `--base`: `commands::impact`, the change-impact report between two revisions.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use claude_env_config::Selection;
use similar::TextDiff;

use super::target_dir;
use super::workstation::desired;
use crate::cli::{DiffArgs, ImpactFormat, ReportFormat, SourceArgs};
use crate::error::{CliError, Exit};
use crate::sync::state;

pub(super) fn run(
    src: &SourceArgs,
    args: &DiffArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    if let Some(base) = &args.base {
        return super::impact::run(src, args, base, out);
    }
    let format = match args.output {
        ImpactFormat::Text => ReportFormat::Human,
        ImpactFormat::Json => ReportFormat::Json,
        ImpactFormat::Yaml => ReportFormat::Yaml,
        ImpactFormat::Markdown => {
            return Err(CliError::Usage(
                "-o markdown is for the impact report (--base)".into(),
            ));
        }
    };
    if args.is_cluster() {
        return super::in_cluster::diff::run(src, args, format, out);
    }
    local(src, args, format, out)
}

/// Against a local target: a unified diff per file (or the report), then the risk.
fn local(
    src: &SourceArgs,
    args: &DiffArgs,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let target = target_dir(args.target.as_deref())?;
    let sel = &args.selection;
    let (Some(environment), Some(team)) = (&sel.environment, &sel.team) else {
        return Err(CliError::Usage(
            "diff against a local target needs --env and --team".into(),
        ));
    };
    let selection = Selection {
        environment: environment.clone(),
        team: Some(team.clone()),
        project: sel.project.clone(),
    };
    let want = desired(src, selection, &args.placement, &target)?;
    let risk = super::risk::assess(&target, &want.merged)?;
    let human = format == ReportFormat::Human;
    let mut sink = std::io::sink();
    // Structured output carries the changes, not the text diffs.
    let diffs: &mut dyn Write = if human { &mut *out } else { &mut sink };
    let mut files = Vec::new();
    // Compared: every rendered file, and every file the last sync wrote (a file no longer
    // rendered shows as removed). Other files in the target are not ours to compare.
    let managed = state::load_state(&target)?
        .map(|s| s.hashes())
        .unwrap_or_default();
    let paths: BTreeSet<&String> = want.files.keys().chain(managed.keys()).collect();
    for path in paths {
        let on_disk = std::fs::read(state::join(&target, path)).ok();
        let rendered = want.files.get(path);
        if on_disk.as_ref() == rendered {
            continue;
        }
        files.push(FileDiff {
            path: path.clone(),
            change: match (&on_disk, rendered) {
                (None, _) => "created",
                (_, None) => "removed",
                _ => "modified",
            },
        });
        let (old, new) = (on_disk.as_deref(), rendered.map(Vec::as_slice));
        write_file_diff(diffs, path, old, new, &want.env_values)?;
    }
    let differs = !files.is_empty();
    if !human {
        let report = DiffReport {
            target: target.display().to_string(),
            selection: want.origin.selection(),
            differs,
            files,
            risk: &risk,
        };
        super::structured_out(out, format, &report)?;
    } else if differs {
        super::risk::print(out, &risk)?;
    } else {
        writeln!(
            out,
            "{} matches {}",
            target.display(),
            want.origin.selection()
        )?;
    }
    Ok(if differs { Exit::Findings } else { Exit::Ok })
}

/// One file's unified diff (`None`: absent on that side), `${env:VAR}` values masked.
fn write_file_diff(
    out: &mut dyn Write,
    path: &str,
    on_disk: Option<&[u8]>,
    rendered: Option<&[u8]>,
    env_values: &BTreeMap<String, String>,
) -> Result<(), CliError> {
    let old = mask(&text(on_disk), env_values);
    let new = mask(&text(rendered), env_values);
    let name = |side: &str, present: bool| {
        if present {
            format!("{side}/{path}")
        } else {
            "/dev/null".into()
        }
    };
    let diff = TextDiff::from_lines(&old, &new);
    write!(
        out,
        "{}",
        diff.unified_diff().context_radius(3).header(
            &name("a", on_disk.is_some()),
            &name("b", rendered.is_some())
        )
    )?;
    if old == new {
        // Only a masked ${env:VAR} value differs.
        writeln!(
            out,
            "--- a/{path}\n+++ b/{path}\n(differs only in the value of an ${{env:...}} variable)"
        )?;
    }
    Ok(())
}

/// `diff -o json|yaml` (local).
#[derive(serde::Serialize)]
struct DiffReport<'a> {
    target: String,
    selection: String,
    differs: bool,
    files: Vec<FileDiff>,
    #[serde(flatten)]
    risk: &'a super::risk::Risk,
}

#[derive(serde::Serialize)]
struct FileDiff {
    path: String,
    /// `created`, `modified` or `removed` by the next sync.
    change: &'static str,
}

fn text(bytes: Option<&[u8]>) -> String {
    bytes
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// `${env:VAR}` values are often credentials: show the reference, not the value.
fn mask(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut masked = text.to_string();
    // Longest first, so a value containing another is masked whole.
    let mut vals: Vec<_> = values.iter().filter(|(_, v)| v.len() >= 4).collect();
    vals.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    for (var, value) in vals {
        masked = masked.replace(value.as_str(), &format!("${{env:{var}}}"));
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn env_values_are_masked_longest_first() {
        let values = [
            ("TOKEN".to_string(), "abcd1234".to_string()),
            ("SHORT".to_string(), "abcd".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            mask("t=abcd1234 s=abcd", &values),
            "t=${env:TOKEN} s=${env:SHORT}"
        );
    }
}
