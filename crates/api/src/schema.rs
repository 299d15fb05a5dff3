//! The CRDs as shipped: generated from the types, with their descriptions unwrapped.
//!
//! Descriptions are the types' doc comments, wrapped at 100 columns in the source; `kubectl
//! explain` wraps text itself, so a line break inside a paragraph would show as a ragged
//! break. Paragraphs (blank lines) and list items (`- `, `* `) keep their line breaks.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

/// `crd` with every description's paragraphs on one line each.
pub fn unwrap_descriptions(crd: CustomResourceDefinition) -> CustomResourceDefinition {
    let mut value = serde_json::to_value(&crd).expect("a CRD serializes to JSON");
    walk(&mut value);
    serde_json::from_value(value).expect("unwrapping descriptions keeps a valid CRD")
}

fn walk(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match child {
                    Value::String(text) if key == "description" => *text = unwrap(text),
                    _ => walk(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(walk),
        _ => {}
    }
}

/// Joins the lines of each paragraph with a space.
pub fn unwrap(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim();
        let list_item = line.starts_with("- ") || line.starts_with("* ");
        if line.is_empty() {
            out.push_str("\n\n");
        } else if out.is_empty() || out.ends_with('\n') {
            out.push_str(line);
        } else if list_item {
            out.push('\n');
            out.push_str(line);
        } else {
            out.push(' ');
            out.push_str(line);
        }
    }
    // Runs of blank lines are one paragraph break.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::unwrap;

    #[test]
    fn paragraphs_are_joined_and_kept_apart() {
        assert_eq!(unwrap("one\ntwo\n\nthree\nfour"), "one two\n\nthree four");
        assert_eq!(unwrap("items:\n- a\n- b"), "items:\n- a\n- b");
        assert_eq!(unwrap("single"), "single");
        assert_eq!(unwrap("a\n\n\n\nb\n"), "a\n\nb");
    }
}
