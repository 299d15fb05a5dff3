//! Asking for what the flags left out: with a terminal, a prompt (dialoguer); without one
//! (CI, a pipe) or with `--no-input`, the default, or an error naming the flag to pass.

use std::io::IsTerminal;

use dialoguer::{Input, Select, theme::ColorfulTheme};

use super::InitError;

pub(super) struct Prompter {
    interactive: bool,
}

/// A check on an answer: `Err(why)` refuses it.
pub(super) type Check<'a> = &'a dyn Fn(&str) -> Result<(), String>;

impl Prompter {
    pub(super) fn new(no_input: bool) -> Prompter {
        Prompter {
            interactive: !no_input
                && std::io::stdin().is_terminal()
                && std::io::stderr().is_terminal(),
        }
    }

    pub(super) fn is_interactive(&self) -> bool {
        self.interactive
    }

    /// `given` (checked), else an answer to `question`, else `default`; `flag` names what to
    /// pass when there is nothing to ask and no default.
    pub(super) fn text(
        &self,
        given: Option<String>,
        question: &str,
        default: Option<&str>,
        flag: &str,
        check: Check,
    ) -> Result<String, InitError> {
        if let Some(v) = given {
            check(&v).map_err(|why| InitError::Invalid {
                what: flag.to_string(),
                why,
            })?;
            return Ok(v);
        }
        if !self.interactive {
            let v = default.ok_or_else(|| InitError::Missing(flag.to_string()))?;
            check(v).map_err(|why| InitError::Invalid {
                what: flag.to_string(),
                why,
            })?;
            return Ok(v.to_string());
        }
        let theme = ColorfulTheme::default();
        let mut input = Input::<String>::with_theme(&theme).with_prompt(question);
        if let Some(d) = default {
            input = input.default(d.to_string());
        }
        Ok(input.validate_with(|s: &String| check(s)).interact_text()?)
    }

    /// `given`, else a choice among `options` (name, description), else `default`.
    pub(super) fn select(
        &self,
        given: Option<String>,
        question: &str,
        options: &[(String, String)],
        default: &str,
    ) -> Result<String, InitError> {
        if let Some(v) = given {
            return Ok(v);
        }
        if !self.interactive || options.is_empty() {
            return Ok(default.to_string());
        }
        let items: Vec<String> = options
            .iter()
            .map(|(n, d)| format!("{n:<16} {d}"))
            .collect();
        let start = options.iter().position(|(n, _)| n == default).unwrap_or(0);
        let i = Select::with_theme(&ColorfulTheme::default())
            .with_prompt(question)
            .items(&items)
            .default(start)
            .interact()?;
        Ok(options[i].0.clone())
    }
}
