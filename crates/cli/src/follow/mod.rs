//! Following a ClaudeEnvironment from a workstation (`claude-env sync NAME -n NS`): the
//! revision this workstation should hold (its cohort and the rollout state, by
//! `claude_env_rollout::assignment`), that revision's files from the config ConfigMap the
//! controller rendered ([`files`]), and the ClaudeWorkstation record reporting back
//! ([`record`]). [`service`] writes the user-service definitions of `--watch`.

pub(crate) mod files;
pub(crate) mod record;
pub(crate) mod service;
