//! `claude-env render`: one environment as files, as Kubernetes objects, or explained.

use std::io::Write;

use claude_env_config::Selection;
use serde::Serialize;

use super::{json_out, yaml_out};
use crate::cli::{RenderArgs, RenderFormat, SourceArgs};
use crate::environment::{self, Placement};
use crate::error::{CliError, Exit};
use crate::explain;
use crate::repo::LoadedRepo;

pub(super) fn run(
    src: &SourceArgs,
    args: &RenderArgs,
    out: &mut dyn Write,
) -> Result<Exit, CliError> {
    let repo = LoadedRepo::load(src)?;
    // Named explicitly, so it must exist (sync's is optional).
    let user = match &args.user_layer {
        Some(p) => Some(environment::read_user_layer(p)?.ok_or_else(|| {
            environment::EnvError::UserLayer {
                path: p.display().to_string(),
                source: std::io::ErrorKind::NotFound.into(),
            }
        })?),
        None => None,
    };
    let env = environment::load(&repo, Selection::from(&args.selection), user)?;
    let place = Placement {
        instance: args.placement.instance.clone(),
        namespace: args.placement.namespace().to_string(),
        target_namespace: None,
    };
    if args.explain {
        let leaves = explain::leaves(&env.merged);
        match args.output {
            RenderFormat::Files => write!(out, "{}", explain::render_text(&leaves))?,
            RenderFormat::Json => json_out(out, &leaves)?,
            RenderFormat::Yaml => yaml_out(out, &leaves)?,
        }
        return Ok(Exit::Ok);
    }
    if args.objects {
        let objects = env.objects(&repo, &place)?;
        let text = match args.output {
            RenderFormat::Json => objects.to_json(),
            RenderFormat::Files | RenderFormat::Yaml => objects.to_yaml(),
        }
        .map_err(|e| CliError::Serialize(e.to_string()))?;
        write!(out, "{text}")?;
        return Ok(Exit::Ok);
    }
    let files = env.files(&repo, &place)?;
    match args.output {
        RenderFormat::Files => {
            for (path, bytes) in &files.files {
                writeln!(out, "==> {path} <==")?;
                out.write_all(bytes)?;
                if !bytes.ends_with(b"\n") {
                    writeln!(out)?;
                }
            }
        }
        RenderFormat::Json => json_out(out, &FilesOut::from(&files))?,
        RenderFormat::Yaml => yaml_out(out, &FilesOut::from(&files))?,
    }
    Ok(Exit::Ok)
}

/// The files as text, with what they expect from the environment.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FilesOut<'a> {
    files: std::collections::BTreeMap<&'a str, String>,
    env_vars: &'a std::collections::BTreeSet<String>,
    secret_vars: std::collections::BTreeMap<&'a str, String>,
}

impl<'a> From<&'a claude_env_render::ClaudeFiles> for FilesOut<'a> {
    fn from(f: &'a claude_env_render::ClaudeFiles) -> Self {
        FilesOut {
            files: f
                .files
                .iter()
                .map(|(p, b)| (p.as_str(), String::from_utf8_lossy(b).into_owned()))
                .collect(),
            env_vars: &f.env_vars,
            secret_vars: f
                .secret_vars
                .iter()
                .map(|(v, s)| (v.as_str(), format!("{}/{}", s.name, s.key)))
                .collect(),
        }
    }
}
