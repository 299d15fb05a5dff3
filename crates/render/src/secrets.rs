//! Secret references and the environment variables that carry them.
//!
//! A rendered file never contains a secret value. `${secret:<name>/<key>}` becomes Claude
//! Code's own expansion syntax `${CLAUDE_ENV_SECRET_<NAME>__<KEY>}` (see [`SecretRef::env_var`]),
//! so whoever starts Claude Code with these files supplies the value from the Secret (the
//! mapping is [`crate::ClaudeFiles::secret_vars`]); a deployed server gets the same variable
//! through `valueFrom.secretKeyRef`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::error::{Pointer, RenderError};

/// One key of one Kubernetes Secret (in the target namespace).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct SecretRef {
    pub name: String,
    pub key: String,
}

/// Prefix of every variable derived from a secret reference, so they never clash with the
/// user's own variables.
pub const SECRET_VAR_PREFIX: &str = "CLAUDE_ENV_SECRET_";

impl SecretRef {
    /// `CLAUDE_ENV_SECRET_<NAME>__<KEY>`: upper-cased, every character that is not a letter or
    /// digit becomes `_`, and `__` separates name from key. Deterministic and readable; the
    /// rare clash (`a.b` vs `a-b`) is a render error
    /// ([`crate::RenderError::SecretVarCollision`]).
    pub fn env_var(&self) -> String {
        let mut v =
            String::with_capacity(SECRET_VAR_PREFIX.len() + self.name.len() + self.key.len() + 2);
        v.push_str(SECRET_VAR_PREFIX);
        push_upper_snake(&mut v, &self.name);
        v.push_str("__");
        push_upper_snake(&mut v, &self.key);
        v
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.name, self.key)
    }
}

fn push_upper_snake(out: &mut String, s: &str) {
    out.extend(s.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
}

/// The secret variables one render uses: variable name → secret key, refusing two different
/// keys under one name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SecretVars(BTreeMap<String, SecretRef>);

impl SecretVars {
    /// Records `r` and returns its variable name.
    pub(crate) fn add(&mut self, r: SecretRef, pointer: &Pointer) -> Result<String, RenderError> {
        let var = r.env_var();
        match self.0.get(&var) {
            Some(existing) if *existing != r => Err(RenderError::SecretVarCollision {
                pointer: pointer.render(),
                var,
                first: existing.to_string(),
                second: r.to_string(),
            }),
            Some(_) => Ok(var),
            None => {
                self.0.insert(var.clone(), r);
                Ok(var)
            }
        }
    }

    pub(crate) fn into_map(self) -> BTreeMap<String, SecretRef> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, key: &str) -> SecretRef {
        SecretRef {
            name: name.into(),
            key: key.into(),
        }
    }

    #[test]
    fn variable_name_is_prefixed_upper_snake_with_a_double_underscore_separator() {
        assert_eq!(
            r("magic", "api-key").env_var(),
            "CLAUDE_ENV_SECRET_MAGIC__API_KEY"
        );
        assert_eq!(
            r("db.creds", "pass.txt").env_var(),
            "CLAUDE_ENV_SECRET_DB_CREDS__PASS_TXT"
        );
    }

    #[test]
    fn the_same_reference_twice_is_one_variable() {
        let mut vars = SecretVars::default();
        let a = vars.add(r("magic", "api-key"), &Pointer::ROOT).unwrap();
        let b = vars.add(r("magic", "api-key"), &Pointer::ROOT).unwrap();
        assert_eq!(a, b);
        assert_eq!(vars.into_map().len(), 1);
    }

    #[test]
    fn two_keys_with_one_variable_name_are_an_error_naming_both() {
        let mut vars = SecretVars::default();
        vars.add(r("db.creds", "x"), &Pointer::ROOT).unwrap();
        let err = vars
            .add(r("db-creds", "x"), &Pointer::ROOT.child("b"))
            .unwrap_err();
        assert_eq!(
            err,
            RenderError::SecretVarCollision {
                pointer: "/b".into(),
                var: "CLAUDE_ENV_SECRET_DB_CREDS__X".into(),
                first: "db.creds/x".into(),
                second: "db-creds/x".into(),
            }
        );
    }
}
