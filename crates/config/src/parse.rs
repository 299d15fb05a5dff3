//! Fragment text → positioned [`Node`] tree, built straight from saphyr's spanned events so
//! every node and key keeps file:line:col and tags (`!delete`) survive.
//!
//! JSON is parsed by the same YAML 1.2 parser (JSON is YAML 1.2) after serde_json checked its
//! syntax, so a broken `.json` file is reported in JSON terms rather than YAML ones.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use saphyr::Scalar;
use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, StrInput, Tag};

use crate::diagnostics::Diagnostic;
use crate::keys::Keys;
use crate::rules;
use crate::tree::{At, Entry, Node, Origin, Value};

/// Nesting deeper than this is not configuration; refusing it keeps recursion bounded.
const MAX_DEPTH: usize = 128;
/// Upper bound on nodes including alias expansions ("billion laughs").
const MAX_NODES: usize = 1_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Yaml,
    Json,
}

impl Format {
    /// The format of a fragment file, or `None` if the file is not one.
    pub(crate) fn of(path: &str) -> Option<Format> {
        let ext = path.rsplit_once('.')?.1;
        match ext {
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// A parsed file: the tree (an empty mapping for an empty file) unless the syntax was too
/// broken to build one, and every problem found on the way.
pub(crate) struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

pub(crate) fn parse(bytes: &[u8], origin: Arc<Origin>, format: Format) -> Parsed {
    let syntax_rule = match format {
        Format::Yaml => rules::YAML_SYNTAX,
        Format::Json => rules::JSON_SYNTAX,
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(e) => {
            let (line, col) = line_col(&bytes[..e.valid_up_to()]);
            let d = Diagnostic::error(syntax_rule, &origin.file, "the file is not valid UTF-8")
                .at(line, col);
            return failed(d);
        }
    };
    if format == Format::Json
        && let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text)
    {
        let d = Diagnostic::error(rules::JSON_SYNTAX, &origin.file, json_message(&e))
            .at(e.line() as u32, e.column() as u32);
        return failed(d);
    }
    let mut b = Builder {
        events: Parser::new_from_str(text),
        end: line_col(text.as_bytes()),
        origin,
        anchors: HashMap::new(),
        diagnostics: Vec::new(),
        nodes: 0,
        syntax_rule,
    };
    let root = b.document();
    let mut diagnostics = b.diagnostics;
    let root = match root {
        Ok(root) => root_mapping(root, &b.origin, &mut diagnostics),
        Err(Fatal) => None,
    };
    Parsed { root, diagnostics }
}

fn failed(d: Diagnostic) -> Parsed {
    Parsed {
        root: None,
        diagnostics: vec![d],
    }
}

/// A fragment is a (partial) document, so it must be a mapping; an empty file is an empty one.
fn root_mapping(
    root: Option<Node>,
    origin: &Arc<Origin>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Node> {
    let at = At {
        origin: origin.clone(),
        line: 1,
        col: 1,
    };
    match root {
        None => Some(Node {
            value: Value::Map(Vec::new()),
            at,
        }),
        Some(n) => match n.value {
            Value::Map(_) => Some(n),
            Value::Null => Some(Node {
                value: Value::Map(Vec::new()),
                at,
            }),
            ref other => {
                let msg = format!(
                    "a file must hold a mapping at the top level, not a {}",
                    other.kind()
                );
                diags.push(
                    Diagnostic::error(rules::SCHEMA, &origin.file, msg).at(n.at.line, n.at.col),
                );
                None
            }
        },
    }
}

/// serde_json's message without its " at line L column C" tail (we print positions ourselves).
fn json_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The position just past `prefix`, counting lines as YAML does (`\n`, `\r\n` and a lone
/// `\r` each end one) and columns in bytes.
fn line_col(prefix: &[u8]) -> (u32, u32) {
    let (mut line, mut col) = (1u32, 1u32);
    let mut after_cr = false;
    for &b in prefix {
        match b {
            b'\n' if after_cr => {}
            b'\n' | b'\r' => {
                line += 1;
                col = 1;
            }
            _ => col += 1,
        }
        after_cr = b == b'\r';
    }
    (line, col)
}

/// Parsing cannot continue; the diagnostic saying why has been recorded.
struct Fatal;

struct Builder<'a> {
    events: Parser<'a, StrInput<'a>>,
    origin: Arc<Origin>,
    /// Anchor id → (node, its size in nodes) for aliases.
    anchors: HashMap<usize, (Node, usize)>,
    diagnostics: Vec<Diagnostic>,
    nodes: usize,
    syntax_rule: &'static str,
    /// Line and column just past the last character: the scanner reports some errors at
    /// the end of input on a line after the last one.
    end: (u32, u32),
}

impl<'a> Builder<'a> {
    fn at(&self, span: &Span) -> At {
        At {
            origin: self.origin.clone(),
            line: span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        }
    }

    fn report(&mut self, rule: &'static str, at: &At, msg: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::error(rule, &self.origin.file, msg).at(at.line, at.col));
    }

    fn scan_error(&mut self, e: &ScanError) -> Fatal {
        let m = e.marker();
        let at = (m.line() as u32, m.col() as u32 + 1).min(self.end);
        let d = Diagnostic::error(self.syntax_rule, &self.origin.file, e.info()).at(at.0, at.1);
        self.diagnostics.push(d);
        Fatal
    }

    fn next(&mut self) -> Result<(Event<'a>, Span), Fatal> {
        match self.events.next_event() {
            Some(Ok(ev)) => Ok(ev),
            Some(Err(e)) => Err(self.scan_error(&e)),
            // The parser ends every stream with StreamEnd; running past it is a bug upstream.
            None => Err(self.fatal_at(None, "unexpected end of input")),
        }
    }

    fn fatal_at(&mut self, span: Option<&Span>, msg: &str) -> Fatal {
        let (line, col) = span.map_or((1, 1), |s| {
            (s.start.line() as u32, s.start.col() as u32 + 1)
        });
        let d = Diagnostic::error(self.syntax_rule, &self.origin.file, msg).at(line, col);
        self.diagnostics.push(d);
        Fatal
    }

    /// The stream's single document (`None` for an empty stream).
    fn document(&mut self) -> Result<Option<Node>, Fatal> {
        let mut root = None;
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(root),
                Event::DocumentStart(_) if root.is_some() => {
                    let at = self.at(&span);
                    self.report(
                        self.syntax_rule,
                        &at,
                        "a file holds one YAML document; split further `---` documents into files",
                    );
                    return Ok(root);
                }
                Event::DocumentStart(_) => {
                    let (ev, span) = self.next()?;
                    root = Some(self.node(ev, span, 0)?);
                }
                _ => return Err(self.fatal_at(Some(&span), "unexpected event outside a document")),
            }
        }
    }

    fn count(&mut self, n: usize, span: &Span) -> Result<(), Fatal> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self.fatal_at(
                Some(span),
                "the document expands to too many nodes (alias bomb?)",
            ));
        }
        Ok(())
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, Fatal> {
        if depth > MAX_DEPTH {
            return Err(self.fatal_at(Some(&span), "nesting is too deep"));
        }
        self.count(1, &span)?;
        let at = self.at(&span);
        let (node, anchor, tag) = match ev {
            Event::Scalar(v, style, anchor, tag) => {
                let value = self.scalar(v, style, tag.as_deref(), &at);
                (Node { value, at }, anchor, tag.filter(|t| is_delete(t)))
            }
            Event::SequenceStart(anchor, tag) => {
                let mut items = Vec::new();
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(ev, span, depth + 1)?);
                }
                (
                    Node {
                        value: Value::Seq(items),
                        at,
                    },
                    anchor,
                    tag,
                )
            }
            Event::MappingStart(anchor, tag) => {
                let value = self.mapping(&at, depth)?;
                (Node { value, at }, anchor, tag)
            }
            Event::Alias(id) => {
                let Some((n, size)) = self.anchors.get(&id).cloned() else {
                    return Err(self.fatal_at(Some(&span), "alias to an unknown anchor"));
                };
                self.count(size, &span)?;
                return Ok(n);
            }
            _ => return Err(self.fatal_at(Some(&span), "unexpected YAML event")),
        };
        let node = match tag {
            Some(t) if is_delete(&t) => delete_marker(node),
            // Scalars reported their own tags in `scalar`; only `!delete` is passed on.
            Some(t) if !t.is_yaml_core_schema() => {
                let msg = format!(
                    "unsupported tag `{}{}` (only `!delete` is known)",
                    t.handle, t.suffix
                );
                self.report(self.syntax_rule, &node.at.clone(), msg);
                node
            }
            _ => node,
        };
        if anchor > 0 {
            let size = size_of(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }

    fn scalar(&mut self, v: Cow<'a, str>, style: ScalarStyle, tag: Option<&Tag>, at: &At) -> Value {
        let parsed = match tag {
            // The marker's selector (`!delete "Bash(rm:*)"`) is read like an untagged scalar.
            Some(t) if is_delete(t) => Scalar::parse_from_cow_and_metadata(v, style, None),
            Some(t) if !t.is_yaml_core_schema() => {
                let msg = format!(
                    "unsupported tag `{}{}` (only `!delete` is known)",
                    t.handle, t.suffix
                );
                self.report(self.syntax_rule, at, msg);
                Scalar::parse_from_cow_and_metadata(v, style, None)
            }
            Some(t) => {
                let r = Scalar::parse_from_cow_and_metadata(v, style, Some(&Cow::Borrowed(t)));
                if r.is_none() {
                    let msg = format!("the value cannot be read as `!!{}`", t.suffix);
                    self.report(self.syntax_rule, at, msg);
                }
                r
            }
            None => Scalar::parse_from_cow_and_metadata(v, style, None),
        };
        match parsed {
            None | Some(Scalar::Null) => Value::Null,
            Some(Scalar::Boolean(b)) => Value::Bool(b),
            Some(Scalar::Integer(i)) => Value::Int(i),
            Some(Scalar::FloatingPoint(f)) if f.is_finite() => Value::Float(f.into_inner()),
            Some(Scalar::FloatingPoint(_)) => {
                self.report(
                    self.syntax_rule,
                    at,
                    "infinity and NaN cannot be represented in JSON",
                );
                Value::Null
            }
            Some(Scalar::String(s)) => Value::Str(Arc::from(&*s)),
        }
    }

    fn mapping(&mut self, at: &At, depth: usize) -> Result<Value, Fatal> {
        let mut entries: Vec<Entry> = Vec::new();
        // Duplicate keys are found through an index, not by scanning: a mapping of n keys
        // costs O(n) however large a hostile file makes it.
        let mut keys = Keys::default();
        // YAML merge keys (`<<: *defaults`): entries that explicit keys override.
        let mut merged = Vec::new();
        loop {
            let (ev, span) = self.next()?;
            let key_at = self.at(&span);
            let (key, plain) = match ev {
                Event::MappingEnd => break,
                Event::Scalar(v, style, _, _) => {
                    (Arc::<str>::from(&*v), style == ScalarStyle::Plain)
                }
                other => {
                    // Complex keys: parse and drop them with their value, report once.
                    self.node(other, span, depth + 1)?;
                    let (ev, span) = self.next()?;
                    self.node(ev, span, depth + 1)?;
                    self.report(self.syntax_rule, &key_at, "mapping keys must be scalars");
                    continue;
                }
            };
            let (ev, span) = self.next()?;
            let node = self.node(ev, span, depth + 1)?;
            if plain && &*key == "<<" {
                self.merge_key_sources(node, &mut merged);
                continue;
            }
            if let Some(first) = keys.find(&entries, &key) {
                let msg = format!(
                    "key `{key}` is already defined at line {}",
                    entries[first].key_at.line
                );
                self.report(rules::DUPLICATE_KEY, &key_at, msg);
                continue;
            }
            entries.push(Entry { key, key_at, node });
            keys.pushed(&entries);
        }
        for e in merged {
            if keys.find(&entries, &e.key).is_none() {
                entries.push(e);
                keys.pushed(&entries);
            }
        }
        Ok(self.patch(entries, at))
    }

    /// `<<: map` or `<<: [map, ...]`; earlier sources win, as the YAML merge key type says.
    fn merge_key_sources(&mut self, node: Node, merged: &mut Vec<Entry>) {
        let sources = match node.value {
            Value::Seq(items) => items,
            _ => vec![node],
        };
        let mut keys = Keys::new(merged);
        for src in sources {
            match src.value {
                Value::Map(entries) => {
                    for e in entries {
                        if keys.find(merged, &e.key).is_none() {
                            merged.push(e);
                            keys.pushed(merged);
                        }
                    }
                }
                _ => self.report(
                    self.syntax_rule,
                    &src.at,
                    "a `<<` merge key needs a mapping or a list of mappings",
                ),
            }
        }
    }

    /// Turns `{"$patch": "delete", ...}` into the deletion marker.
    fn patch(&mut self, mut entries: Vec<Entry>, at: &At) -> Value {
        let Some(i) = entries.iter().position(|e| &*e.key == "$patch") else {
            return Value::Map(entries);
        };
        let e = entries.remove(i);
        if e.node.value.as_str() != Some("delete") {
            self.report(
                rules::PATCH_MARKER,
                &e.node.at,
                "`$patch` supports only `delete`",
            );
            return Value::Map(entries);
        }
        if entries.is_empty() {
            Value::Delete(None)
        } else {
            Value::Delete(Some(Box::new(Node {
                value: Value::Map(entries),
                at: at.clone(),
            })))
        }
    }
}

fn is_delete(t: &Tag) -> bool {
    t.handle == "!" && t.suffix == "delete"
}

/// `!delete` on a node: nothing (or an empty collection) deletes the key; anything else
/// selects what to delete from an array.
fn delete_marker(node: Node) -> Node {
    let empty = match &node.value {
        Value::Null | Value::Delete(None) => true,
        Value::Str(s) => s.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Seq(s) => s.is_empty(),
        _ => false,
    };
    let at = node.at.clone();
    let selector = if empty { None } else { Some(Box::new(node)) };
    Node {
        value: Value::Delete(selector),
        at,
    }
}

fn size_of(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(items) => items.iter().map(size_of).sum(),
        Value::Map(entries) => entries.iter().map(|e| size_of(&e.node)).sum(),
        Value::Delete(Some(sel)) => size_of(sel),
        _ => 0,
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
