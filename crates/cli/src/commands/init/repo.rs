//! `init repo DIR`: a complete, valid config repository — settings, base, one layer per
//! environment, one team and one project from templates, a README, CI for GitHub Actions and
//! GitLab (validate; the change-impact report on pull requests), a pre-commit config and a
//! first ClaudeEnvironment.

use std::io::Write;
use std::path::PathBuf;

use super::prompt::Prompter;
use super::{InitError, Plan, check_name, refuse_invalid};
use crate::cli::{InitRepoArgs, SourceArgs};
use crate::error::{CliError, Exit};
use crate::templates;

const PLACEHOLDER_URL: &str = "https://git.example.com/platform/claude-config.git";

/// What the new repository is made of, once asked or defaulted.
struct Answers {
    dir: PathBuf,
    environments: Vec<String>,
    team: String,
    team_template: String,
    project: String,
    project_template: String,
    owner: String,
    source_url: String,
    namespace: String,
}

pub(super) fn run(
    src: &SourceArgs,
    args: &InitRepoArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    if src.repo.is_some() || src.rev.is_some() || src.path.is_some() {
        return Err(CliError::Usage(
            "init repo writes to DIR: --repo, --rev and --path do not apply".into(),
        ));
    }
    let a = ask(args)?;
    let plan = plan(&a)?;
    plan.check_free(&[])?;
    let snapshot = plan.applied_to(&Default::default());
    let diagnostics = claude_env_config::validate_repo(&snapshot);
    if diagnostics.has_errors() {
        // The templates are ours: this is a bug, but never write an invalid repository.
        return refuse_invalid(out, &diagnostics);
    }
    let dir = plan.root.display().to_string();
    if args.mode.dry_run {
        writeln!(
            out,
            "would create a claude-env repository in {dir}; nothing written:"
        )?;
        plan.print(out, "create")?;
        return Ok(Exit::Ok);
    }
    plan.write()?;
    writeln!(out, "created a claude-env repository in {dir}:")?;
    plan.print(out, "create")?;
    let env = &a.environments[0];
    writeln!(
        out,
        "\nnext:\n  cd {dir} && git init -b main && git add -A && git commit -m 'claude-env configuration'\n  \
         claude-env validate\n  \
         claude-env render --env {env} --team {team} --project {project}\n  \
         push it, set spec.source.url in cluster/claude-environment.yaml, then\n  \
         kubectl apply -f cluster/claude-environment.yaml && claude-env status -n {ns}",
        team = a.team,
        project = a.project,
        ns = a.namespace,
    )?;
    Ok(Exit::Ok)
}

fn check_owner(s: &str) -> Result<(), String> {
    let ok = !s.trim().is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '@' | '-'));
    ok.then_some(())
        .ok_or_else(|| "letters, digits, spaces and . _ @ - only".to_string())
}

fn check_url(s: &str) -> Result<(), String> {
    (!s.is_empty() && !s.contains(char::is_whitespace) && !s.contains(['"', '\'', '#']))
        .then_some(())
        .ok_or_else(|| "a URL without spaces or quotes".to_string())
}

fn ask(args: &InitRepoArgs) -> Result<Answers, InitError> {
    let p = Prompter::new(args.mode.no_input);
    let dir_default = p.is_interactive().then_some("claude-config");
    let dir = p.text(
        args.dir.as_ref().map(|d| d.display().to_string()),
        "Directory for the new repository",
        dir_default,
        "DIR",
        &|d| {
            (!d.is_empty())
                .then_some(())
                .ok_or_else(|| "a directory".into())
        },
    )?;
    let mut environments: Vec<String> = Vec::new();
    for e in &args.environments {
        check_name(e).map_err(|why| InitError::Invalid {
            what: "--environments".into(),
            why,
        })?;
        if environments.contains(e) {
            return Err(InitError::Invalid {
                what: "--environments".into(),
                why: format!("`{e}` is listed twice"),
            });
        }
        environments.push(e.clone());
    }
    if environments.is_empty() {
        return Err(InitError::Missing("--environments".into()));
    }
    let options: Vec<(String, String)> = templates::list(None)
        .into_iter()
        .map(|(n, _, d)| (n, d))
        .collect();
    let (team, team_template) = ask_layer(
        &p,
        &options,
        ("team", "--team", "backend"),
        (args.team.clone(), args.team_template.clone()),
    )?;
    let (project, project_template) = ask_layer(
        &p,
        &options,
        ("project", "--project", "example-service"),
        (args.project.clone(), args.project_template.clone()),
    )?;
    let owner = p.text(
        args.owner.clone(),
        "Who owns this configuration",
        Some("platform-team"),
        "--owner",
        &check_owner,
    )?;
    let source_url = p.text(
        args.source_url.clone(),
        "Git URL the controller will fetch",
        Some(PLACEHOLDER_URL),
        "--source-url",
        &check_url,
    )?;
    let namespace = args.namespace.clone();
    check_name(&namespace).map_err(|why| InitError::Invalid {
        what: "--namespace".into(),
        why,
    })?;
    Ok(Answers {
        dir: std::path::absolute(&dir).unwrap_or_else(|_| PathBuf::from(&dir)),
        environments,
        team,
        team_template,
        project,
        project_template,
        owner,
        source_url,
        namespace,
    })
}

/// A layer's name and template: `(kind, flag, default name)`, `(given name, given template)`.
/// The template defaults to the built-in one named like the layer, else `backend` for a team
/// and `minimal` for a project.
fn ask_layer(
    p: &Prompter,
    options: &[(String, String)],
    (kind, flag, default): (&str, &str, &str),
    (name, template): (Option<String>, Option<String>),
) -> Result<(String, String), InitError> {
    let name = p.text(
        name,
        &format!("First {kind}"),
        Some(default),
        flag,
        &check_name,
    )?;
    let fallback = if kind == "team" { "backend" } else { "minimal" };
    let default_template = if options.iter().any(|(n, _)| *n == name) {
        name.as_str()
    } else {
        fallback
    };
    let template = p.select(
        template,
        &format!("Template of {kind} {name}"),
        options,
        default_template,
    )?;
    Ok((name, template))
}

/// The `environments:` block of claude-env.yaml.
fn environments_block(envs: &[String]) -> String {
    let mut out = String::new();
    for e in envs {
        let description = match e.as_str() {
            "development" => Some("Laptops and development clusters; few prompts."),
            "staging" => Some("Pre-production; as production, with web access for docs."),
            "production" => Some("Production; network and shell ask first."),
            _ => None,
        };
        match description {
            Some(d) => out.push_str(&format!("  {e}:\n    description: {d}\n")),
            None => out.push_str(&format!("  {e}: {{}}\n")),
        }
        if e == "production" {
            out.push_str(
                "    # An image without a version tag or digest is an error here, not a warning.\n    \
                 requirePinnedImages: true\n",
            );
        }
    }
    out
}

fn plan(a: &Answers) -> Result<Plan, InitError> {
    let block = environments_block(&a.environments);
    let block = block.trim_end_matches('\n');
    let list = a.environments.join(", ");
    let version = format!("v{}", env!("CARGO_PKG_VERSION"));
    let vars: Vec<(&str, &str)> = vec![
        ("environments", block),
        ("environments_list", &list),
        ("environment", &a.environments[0]),
        ("team", &a.team),
        ("project", &a.project),
        ("owner", &a.owner),
        ("version", &version),
        ("namespace", &a.namespace),
        ("source_url", &a.source_url),
    ];
    let mut files: Vec<(String, String)> = templates::repo_files()
        .map(|(p, c)| (p.to_string(), templates::fill(c, &vars)))
        .collect();
    for e in &a.environments {
        files.push((
            format!("environments/{e}/settings.yaml"),
            templates::fill(templates::environment_file(e), &[("name", e)]),
        ));
    }
    for (kind, dir, name, template) in [
        ("team", "teams", &a.team, &a.team_template),
        ("project", "projects", &a.project, &a.project_template),
    ] {
        let t = templates::find(None, template)?;
        let vars = [("name", name.as_str()), ("kind", kind), ("team", &a.team)];
        for (rel, content) in &t.files {
            files.push((
                format!("{dir}/{name}/{rel}"),
                templates::fill(content, &vars),
            ));
        }
    }
    files.push((
        format!("projects/{}/team.yaml", a.project),
        format!(
            "# The team that owns this project.\nmetadata:\n  team: {}\n",
            a.team
        ),
    ));
    Ok(Plan {
        root: a.dir.clone(),
        files,
    })
}
