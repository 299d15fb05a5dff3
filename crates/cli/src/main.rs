//! `claude-env`: see the library crate.

fn main() -> std::process::ExitCode {
    claude_env_cli::main_exit_code()
}
