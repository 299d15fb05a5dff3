//! `init team NAME` and `init project NAME`: a new layer directory from a template, in the
//! repository `--repo` names (a local directory, default `.`); and `init templates`.

use std::io::Write;
use std::path::{Path, PathBuf};

use claude_env_config::{ParsedRepo, RepoSnapshot};

use super::prompt::Prompter;
use super::{InitError, Plan, check_name, new_errors, refuse_invalid};
use crate::cli::{InitModeArgs, InitProjectArgs, InitTeamArgs, InitTemplatesArgs, SourceArgs};
use crate::error::{CliError, Exit};
use crate::git_cache;
use crate::templates::{self, Origin};

const DEFAULT_TEMPLATE: &str = "minimal";

/// Teams or projects: where the layer goes and how it is called.
#[derive(Clone, Copy)]
enum Kind {
    Team,
    Project,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Team => "team",
            Kind::Project => "project",
        }
    }

    fn dir(self) -> &'static str {
        match self {
            Kind::Team => "teams",
            Kind::Project => "projects",
        }
    }
}

/// The repository root `--repo`/`--path` name, which must be a local directory with a
/// claude-env.yaml; and its config files.
fn local_repo(src: &SourceArgs) -> Result<(PathBuf, RepoSnapshot), InitError> {
    let given = src.repo.clone().unwrap_or_else(|| ".".to_string());
    if git_cache::is_url(&given) {
        return Err(InitError::NotLocal(format!(
            "{given} is a URL: clone it and run init in the clone"
        )));
    }
    if src.rev.is_some() || src.branch.is_some() {
        return Err(InitError::NotLocal(
            "--rev and --branch do not apply: init writes to the working tree".into(),
        ));
    }
    let mut root = PathBuf::from(given);
    if let Some(p) = src.path.as_deref().filter(|p| !p.is_empty()) {
        root = root.join(p);
    }
    let root = std::fs::canonicalize(&root).map_err(|_| InitError::NotARepo(root.clone()))?;
    if !root.join("claude-env.yaml").is_file() {
        return Err(InitError::NotARepo(root));
    }
    let snapshot = claude_env_source::load::from_dir(&root).map_err(|source| InitError::Read {
        path: root.clone(),
        source,
    })?;
    Ok((root, snapshot))
}

fn template_options(root: Option<&Path>) -> Vec<(String, String)> {
    templates::list(root)
        .into_iter()
        .map(|(n, _, d)| (n, d))
        .collect()
}

fn layer_files(
    root: &Path,
    kind: Kind,
    name: &str,
    template: &str,
    extra_vars: &[(&str, &str)],
) -> Result<Vec<(String, String)>, InitError> {
    let t = templates::find(Some(root), template)?;
    let mut vars = vec![("name", name), ("kind", kind.word())];
    vars.extend_from_slice(extra_vars);
    Ok(t.files
        .iter()
        .map(|(rel, content)| {
            (
                format!("{}/{name}/{rel}", kind.dir()),
                templates::fill(content, &vars),
            )
        })
        .collect())
}

pub(super) fn team(
    src: &SourceArgs,
    args: &InitTeamArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let (root, snapshot) = local_repo(src)?;
    let p = Prompter::new(args.mode.no_input);
    let name = p.text(args.name.clone(), "Team name", None, "NAME", &check_name)?;
    let template = p.select(
        args.from_template.clone(),
        "Template",
        &template_options(Some(&root)),
        DEFAULT_TEMPLATE,
    )?;
    let files = layer_files(&root, Kind::Team, &name, &template, &[])?;
    let env = first_environment(&snapshot);
    let next = format!("claude-env render --env {env} --team {name}");
    finish(
        Plan { root, files },
        Kind::Team,
        &name,
        &snapshot,
        &args.mode,
        &next,
        out,
    )
}

pub(super) fn project(
    src: &SourceArgs,
    args: &InitProjectArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let (root, snapshot) = local_repo(src)?;
    let parsed = ParsedRepo::parse(&snapshot);
    let teams: Vec<String> = parsed.teams().map(str::to_string).collect();
    let p = Prompter::new(args.mode.no_input);
    let name = p.text(args.name.clone(), "Project name", None, "NAME", &check_name)?;
    let team = match &args.team {
        Some(t) if !teams.contains(t) => {
            return Err(InitError::Invalid {
                what: "--team".into(),
                why: format!(
                    "there is no directory teams/{t}/ (teams: {})",
                    teams.join(", ")
                ),
            }
            .into());
        }
        Some(t) => Some(t.clone()),
        None => {
            let mut options = vec![("-".to_string(), "no team".to_string())];
            options.extend(teams.iter().map(|t| (t.clone(), format!("teams/{t}/"))));
            Some(p.select(None, "Owning team", &options, "-")?).filter(|t| t != "-")
        }
    };
    let template = p.select(
        args.from_template.clone(),
        "Template",
        &template_options(Some(&root)),
        DEFAULT_TEMPLATE,
    )?;
    let team_var = team.clone().unwrap_or_default();
    let mut files = layer_files(
        &root,
        Kind::Project,
        &name,
        &template,
        &[("team", &team_var)],
    )?;
    let team_file = format!("projects/{name}/team.yaml");
    if let Some(t) = &team
        && !files.iter().any(|(p, _)| *p == team_file)
    {
        files.push((
            team_file,
            format!("# The team that owns this project.\nmetadata:\n  team: {t}\n"),
        ));
    }
    let env = first_environment(&snapshot);
    let next = match &team {
        Some(t) => format!("claude-env render --env {env} --team {t} --project {name}"),
        None => format!("claude-env render --env {env} --project {name}"),
    };
    finish(
        Plan { root, files },
        Kind::Project,
        &name,
        &snapshot,
        &args.mode,
        &next,
        out,
    )
}

fn first_environment(snapshot: &RepoSnapshot) -> String {
    ParsedRepo::parse(snapshot)
        .environments()
        .first()
        .map_or_else(|| "ENV".to_string(), |e| e.to_string())
}

fn finish(
    plan: Plan,
    kind: Kind,
    name: &str,
    snapshot: &RepoSnapshot,
    mode: &InitModeArgs,
    next: &str,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let dir = format!("{}/{name}", kind.dir());
    plan.check_free(std::slice::from_ref(&dir))?;
    let before = claude_env_config::validate_repo(snapshot);
    let after = claude_env_config::validate_repo(&plan.applied_to(snapshot));
    let added = new_errors(&before, &after);
    if !added.is_empty() {
        return refuse_invalid(out, &added);
    }
    let (errors, warnings) = (after.errors().count(), after.warnings().count());
    if mode.dry_run {
        writeln!(
            out,
            "would create {} {name} ({dir}/); nothing written:",
            kind.word()
        )?;
        plan.print(out, "create")?;
    } else {
        plan.write()?;
        writeln!(out, "created {} {name}:", kind.word())?;
        plan.print(out, "create")?;
    }
    writeln!(
        out,
        "the repository {}: {errors} error(s), {warnings} warning(s){}",
        if mode.dry_run {
            "would validate"
        } else {
            "validates"
        },
        if errors > 0 {
            " (all there before; run `claude-env validate`)"
        } else {
            ""
        }
    )?;
    writeln!(out, "next: {next}")?;
    Ok(Exit::Ok)
}

pub(super) fn list_templates(
    src: &SourceArgs,
    args: &InitTemplatesArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    // Outside a repository the built-in templates are still worth listing.
    let root = local_repo(src).ok().map(|(r, _)| r);
    let listed: Vec<Listed> = templates::list(root.as_deref())
        .into_iter()
        .map(|(name, origin, description)| Listed {
            name,
            from: match origin {
                Origin::BuiltIn => "built-in".to_string(),
                Origin::Repository(p) => format!("{}/", p.display()),
            },
            description,
        })
        .collect();
    if crate::commands::structured_out(out, args.output, &listed)? {
        return Ok(Exit::Ok);
    }
    for t in &listed {
        writeln!(out, "{:<18} {:<22} {}", t.name, t.from, t.description)?;
    }
    Ok(Exit::Ok)
}

/// One template, as `init templates` lists it.
#[derive(serde::Serialize)]
struct Listed {
    name: String,
    /// `built-in`, or the repository's directory (`templates/NAME/`).
    from: String,
    description: String,
}
