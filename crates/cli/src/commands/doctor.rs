//! `claude-env doctor [--target DIR]`: do the synced files work on this workstation?

use std::io::Write;

use super::{structured_out, target_dir};
use crate::cli::DoctorArgs;
use crate::cluster::client;
use crate::doctor;
use crate::error::{CliError, Exit};
use crate::sync::state;

pub(super) fn run(args: &DoctorArgs, out: &mut dyn Write) -> Result<Exit, CliError> {
    let target = target_dir(args.target.target.as_deref())?;
    let revision = state::load_state(&target)?.and_then(|s| s.origin.revision);
    let lookup = |v: &str| std::env::var(v).ok();
    let report =
        client::runtime()?.block_on(doctor::check(&target, revision, args.timeout, &lookup));
    if !structured_out(out, args.output, &report)? {
        writeln!(out, "{}:", target.display())?;
        write!(out, "{}", doctor::describe(&report))?;
    }
    Ok(match report.result {
        claude_env_api::DoctorResult::Healthy => Exit::Ok,
        claude_env_api::DoctorResult::Failing => Exit::Findings,
    })
}
