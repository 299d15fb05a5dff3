//! `kubectl explain` reads the CRD's schema descriptions, which come from the doc comments of
//! the API types: every field must have one that says what it is (not a derive's or a
//! wrapper type's boilerplate).

use claude_env_api::{
    ClaudeEnvironment, ClaudeWorkstation, NotificationProvider, NotificationRule,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde_json::Value;

/// Text that means a description was generated, not written.
const BOILERPLATE: [&str; 3] = [
    "Auto-generated derived type",
    "Time is a wrapper around time.Time",
    "via `CustomResource`",
];

/// The schema of a CRD as shipped.
fn schema_of(crd: CustomResourceDefinition) -> Value {
    let crd = serde_json::to_value(claude_env_api::schema::unwrap_descriptions(crd))
        .expect("the CRD serializes");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

fn schema() -> Value {
    schema_of(ClaudeEnvironment::crd())
}

/// Every CRD the project ships, by kind.
fn every_schema() -> Vec<(&'static str, Value)> {
    vec![
        ("ClaudeEnvironment", schema()),
        ("ClaudeWorkstation", schema_of(ClaudeWorkstation::crd())),
        (
            "NotificationProvider",
            schema_of(NotificationProvider::crd()),
        ),
        ("NotificationRule", schema_of(NotificationRule::crd())),
    ]
}

/// Every property below `schema`, as `path: description` (empty when missing).
fn properties(schema: &Value, path: &str, out: &mut Vec<(String, String)>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let here = format!("{path}.{name}");
            let description = prop
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push((here.clone(), description.to_string()));
            properties(prop, &here, out);
        }
    }
    if let Some(items) = schema.get("items") {
        properties(items, &format!("{path}[]"), out);
    }
}

#[test]
fn the_kind_has_a_written_description() {
    let root = schema();
    let d = root["description"].as_str().unwrap_or_default();
    assert!(d.starts_with("One Claude Code environment"), "{d}");
    assert!(!BOILERPLATE.iter().any(|b| d.contains(b)), "{d}");
}

#[test]
fn every_field_has_a_written_description() {
    let mut all = Vec::new();
    properties(&schema(), "", &mut all);
    assert!(all.len() > 80, "the schema has {} properties", all.len());
    for (kind, schema) in every_schema().into_iter().skip(1) {
        properties(&schema, kind, &mut all);
    }
    let missing: Vec<_> = all
        .iter()
        .filter(|(_, d)| d.trim().is_empty() || BOILERPLATE.iter().any(|b| d.contains(b)))
        .map(|(p, d)| format!("{p}: {d:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "fields without a description:\n{}",
        missing.join("\n")
    );
}

#[test]
fn descriptions_break_lines_only_between_paragraphs_and_list_items() {
    let mut all = Vec::new();
    properties(&schema(), "", &mut all);
    for (path, d) in &all {
        for (i, _) in d.match_indices('\n') {
            let around = (&d[..i], &d[i + 1..]);
            let ok = around.0.ends_with('\n')
                || around.1.starts_with('\n')
                || around.1.starts_with("- ")
                || around.1.starts_with("* ");
            assert!(ok, "{path}: a line break inside a paragraph: {d:?}");
        }
    }
}

#[test]
fn printer_columns_show_a_short_revision_and_the_ready_message_and_wide_ones() {
    let crd = serde_json::to_value(ClaudeEnvironment::crd()).expect("the CRD serializes");
    let columns = crd["spec"]["versions"][0]["additionalPrinterColumns"]
        .as_array()
        .expect("columns")
        .clone();
    let find = |name: &str| {
        columns
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no column {name}"))
            .clone()
    };
    assert_eq!(
        find("Revision")["jsonPath"],
        ".status.lastAppliedShortRevision"
    );
    assert_eq!(
        find("Message")["jsonPath"],
        ".status.conditions[?(@.type==\"Ready\")].message"
    );
    for wide in ["Team", "Project", "Strategy"] {
        assert_eq!(find(wide)["priority"], 1, "{wide} is a wide column");
    }
    assert!(find("Ready").get("priority").is_none());
}
