//! `claude-env diff --base REV [--head REV] [-o text|json|markdown]`: the change-impact
//! report (see [`crate::impact`]). Exit 1 when any selection changes, 0 when none does.

use std::io::Write;

use super::{json_out, yaml_out};
use crate::cli::{DiffArgs, ImpactFormat, SourceArgs};
use crate::error::{CliError, Exit};
use crate::git_cache;
use crate::impact::{self, Filter, Side, markdown, text};
use crate::repo::LoadedRepo;

pub(super) fn run(
    src: &SourceArgs,
    args: &DiffArgs,
    base: &str,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    if src.rev.is_some() {
        return Err(CliError::Usage(
            "--rev cannot be combined with --base (use --head for the newer revision)".into(),
        ));
    }
    let load = |rev: Option<&str>| {
        LoadedRepo::load(&SourceArgs {
            rev: rev.map(str::to_string),
            ..src.clone()
        })
    };
    let base_repo = load(Some(base))?;
    let head_repo = load(args.head.as_deref())?;
    let is_url = src.repo.as_deref().is_some_and(git_cache::is_url);
    let head_name = args
        .head
        .clone()
        .unwrap_or_else(|| if is_url { "branch tip" } else { "working tree" }.to_string());
    let sel = &args.selection;
    let filter = Filter {
        environment: sel.environment.clone(),
        team: sel.team.clone(),
        project: sel.project.clone(),
    };
    let report = impact::build(
        &Side {
            repo: &base_repo,
            name: base.to_string(),
        },
        &Side {
            repo: &head_repo,
            name: head_name,
        },
        &filter,
    );
    match args.output {
        ImpactFormat::Text => write!(out, "{}", text::render(&report))?,
        ImpactFormat::Json => json_out(out, &report)?,
        ImpactFormat::Yaml => yaml_out(out, &report)?,
        ImpactFormat::Markdown => {
            let rerun = match &args.head {
                Some(h) => format!("claude-env diff --base {base} --head {h}"),
                None => format!("claude-env diff --base {base}"),
            };
            write!(out, "{}", markdown::render(&report, args.max_size, &rerun))?;
        }
    }
    Ok(if report.changed() {
        Exit::Findings
    } else {
        Exit::Ok
    })
}
