//! JSON Schema validation: the built-in document schema (published at the repository root as
//! `schemas/claude-env.schema.json`, embedded here so there is one source of truth) and a
//! config repository's own `schemas/*.json`.
//!
//! Fragments are partial documents, so the built-in schema is applied to each fragment with
//! `required` ignored, and to each merged document for `required` only: every other keyword
//! then reports exactly once, at the file that wrote the value. The repository's own
//! schemas describe whole documents and apply to merged documents only.
//!
//! Messages are built from the error kind, never from jsonschema's text, which quotes the
//! offending value (and that value may be a credential).

use std::sync::{Arc, LazyLock};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};

use crate::diagnostics::Diagnostic;
use crate::parse::{self, Format};
use crate::rules;
use crate::tree::{Node, Origin};

/// The document schema, as published for editors.
pub const DOCUMENT_SCHEMA: &str = include_str!("../../../schemas/claude-env.schema.json");

static BUILTIN: LazyLock<Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(DOCUMENT_SCHEMA).expect("the embedded schema is JSON");
    compile(&schema).expect("the embedded schema compiles")
});

fn compile(schema: &serde_json::Value) -> Result<Validator, ValidationError<'static>> {
    // Offline: validation is pure; a `$ref` to the network is a schema error, not a fetch.
    jsonschema::draft202012::options().offline().build(schema)
}

/// Checks one fragment against the document schema, except `required`.
pub(crate) fn check_fragment(tree: &Node) -> Vec<Diagnostic> {
    let instance = tree.to_json();
    // The common case, and much cheaper than collecting errors.
    if BUILTIN.is_valid(&instance) {
        return Vec::new();
    }
    BUILTIN
        .iter_errors(&instance)
        .filter(|e| !matches!(e.kind(), ValidationErrorKind::Required { .. }))
        .flat_map(|e| to_diagnostics(&e, tree, &instance, rules::SCHEMA))
        .collect()
}

/// Checks a merged document for what fragments cannot: missing required keys.
pub(crate) fn check_merged(tree: &Node, instance: &serde_json::Value) -> Vec<Diagnostic> {
    if BUILTIN.is_valid(instance) {
        return Vec::new();
    }
    BUILTIN
        .iter_errors(instance)
        .filter(|e| matches!(e.kind(), ValidationErrorKind::Required { .. }))
        .flat_map(|e| to_diagnostics(&e, tree, instance, rules::SCHEMA))
        .collect()
}

/// One of the repository's `schemas/*.json`, compiled.
pub(crate) struct RepoSchema {
    pub file: String,
    validator: Validator,
}

impl RepoSchema {
    /// Parses and compiles a schema file; problems are `json-syntax` or `repo-schema`.
    pub(crate) fn compile(file: &str, bytes: &[u8]) -> Result<RepoSchema, Diagnostic> {
        let origin = Arc::new(Origin {
            layer: crate::Layer {
                kind: crate::LayerKind::Base,
                name: None,
            },
            file: file.to_owned(),
        });
        let parsed = parse::parse(bytes, origin, Format::Json);
        if let Some(d) = parsed.diagnostics.into_iter().find(Diagnostic::is_error) {
            return Err(d);
        }
        let schema: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Diagnostic::error(rules::JSON_SYNTAX, file, e.to_string()))?;
        compile(&schema)
            .map(|validator| RepoSchema {
                file: file.to_owned(),
                validator,
            })
            .map_err(|e| {
                Diagnostic::error(
                    rules::REPO_SCHEMA,
                    file,
                    format!("not a usable JSON Schema (draft 2020-12): {}", e.masked()),
                )
            })
    }

    pub(crate) fn check(&self, tree: &Node, instance: &serde_json::Value) -> Vec<Diagnostic> {
        if self.validator.is_valid(instance) {
            return Vec::new();
        }
        self.validator
            .iter_errors(instance)
            .flat_map(|e| {
                let mut ds = to_diagnostics(&e, tree, instance, rules::REPO_SCHEMA);
                for d in &mut ds {
                    d.message = format!("{} (schema {})", d.message, self.file);
                }
                ds
            })
            .collect()
    }
}

fn to_diagnostics(
    e: &ValidationError<'_>,
    tree: &Node,
    instance: &serde_json::Value,
    rule: &'static str,
) -> Vec<Diagnostic> {
    let path = e.instance_path().as_str();
    let shown = if path.is_empty() { "/" } else { path };
    let diag = |at: &crate::tree::At, msg: String| {
        Diagnostic::error(rule, &at.origin.file, msg).at(at.line, at.col)
    };
    if let ValidationErrorKind::AdditionalProperties { unexpected } = e.kind() {
        // One finding per unknown key, at the key.
        return unexpected
            .iter()
            .map(|k| {
                let key_path = crate::pointer::join(path, k);
                let at = tree
                    .locate_key(&key_path)
                    .unwrap_or_else(|| tree.locate(path));
                diag(at, format!("`{shown}`: unknown key `{k}`"))
            })
            .collect();
    }
    let found = instance.pointer(path).map_or("nothing", json_kind);
    vec![diag(
        tree.locate(path),
        format!("`{shown}`: {}", describe(e.kind(), found)),
    )]
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(n) if n.is_f64() => "number",
        serde_json::Value::Number(_) => "integer",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "mapping",
    }
}

/// The message for an error kind: schema facts only, never the instance value.
fn describe(kind: &ValidationErrorKind, found: &str) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("expected {expected}, found {found}")
        }
        K::Required { property } => match property.as_str() {
            Some(p) => format!("`{p}` is required"),
            None => "a required key is missing".to_owned(),
        },
        K::Enum { options } => format!("must be one of {options}"),
        K::Constant { expected_value } => format!("must be {expected_value}"),
        K::Minimum { limit } => format!("must be at least {limit}"),
        K::Maximum { limit } => format!("must be at most {limit}"),
        K::ExclusiveMinimum { limit } => format!("must be greater than {limit}"),
        K::ExclusiveMaximum { limit } => format!("must be less than {limit}"),
        K::MinLength { limit } => format!("must be at least {limit} characters long"),
        K::MaxLength { limit } => format!("must be at most {limit} characters long"),
        K::MinItems { limit } => format!("must have at least {limit} elements"),
        K::MaxItems { limit } => format!("must have at most {limit} elements"),
        K::MinProperties { limit } => format!("must have at least {limit} keys"),
        K::MaxProperties { limit } => format!("must have at most {limit} keys"),
        K::Pattern { pattern } => format!("does not match the pattern `{pattern}`"),
        K::Format { format } => format!("is not a valid {format}"),
        K::PropertyNames { error } => match error.instance().as_str() {
            // Keys are names, never credentials: safe to show.
            Some(key) => format!("key `{key}` {}", describe(error.kind(), "string")),
            None => "has an invalid key".to_owned(),
        },
        K::UniqueItems => "has duplicate elements".to_owned(),
        K::AnyOf { .. } | K::OneOfNotValid { .. } => "matches none of the allowed forms".to_owned(),
        K::OneOfMultipleValid { .. } => "matches more than one of the allowed forms".to_owned(),
        K::Not { .. } => "has a form that is not allowed".to_owned(),
        K::FalseSchema => "is not allowed here".to_owned(),
        K::Contains => "has no element of the required form".to_owned(),
        K::MultipleOf { multiple_of } => format!("must be a multiple of {multiple_of}"),
        other => format!("fails the schema's `{}` keyword", other.keyword()),
    }
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
