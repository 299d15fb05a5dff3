//! The merge laws, over random layered documents: an empty layer is the identity, merging is
//! deterministic, and provenance always names the highest layer that set a leaf (whose
//! value is the merged value).

use claude_env_config::{LayerKind, MergedDocument, ParsedRepo, RepoSnapshot, Selection};
use proptest::prelude::*;
use serde_json::{Map, Value};

const LAYERS: [(LayerKind, &str); 4] = [
    (LayerKind::Base, "base"),
    (LayerKind::Environment, "environments/prod"),
    (LayerKind::Team, "teams/t"),
    (LayerKind::Project, "projects/p"),
];

fn scalar() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        any::<i8>().prop_map(Value::from),
        "[a-c]{1,2}".prop_map(Value::String),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn value() -> impl Strategy<Value = Value> + Clone {
    scalar().prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(prop_oneof![Just(Value::Null), inner.clone()], 0..3)
                .prop_map(Value::Array),
            object(inner),
        ]
    })
}

/// A mapping whose values may be null ("keep the parent").
fn object(inner: impl Strategy<Value = Value> + Clone) -> impl Strategy<Value = Value> + Clone {
    prop::collection::btree_map(
        "[ab]",
        prop_oneof![1 => Just(Value::Null), 4 => inner],
        0..3,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
}

/// Four layer documents, each possibly absent (no files at all).
fn layers() -> impl Strategy<Value = Vec<Option<Value>>> {
    prop::collection::vec(prop::option::of(object(value())), 4)
}

fn snapshot(merge: &str, layers: &[Option<Value>], extra: &[(&str, &str)]) -> RepoSnapshot {
    let mut files = vec![
        (
            "claude-env.yaml".to_owned(),
            format!("schemaVersion: 1\nenvironments: [prod]\nmerge:\n{merge}").into_bytes(),
        ),
        ("teams/t/.gitkeep".to_owned(), Vec::new()),
        ("projects/p/.gitkeep".to_owned(), Vec::new()),
    ];
    for ((_, dir), doc) in LAYERS.iter().zip(layers) {
        if let Some(doc) = doc {
            files.push((format!("{dir}/doc.json"), doc.to_string().into_bytes()));
        }
    }
    files.extend(
        extra
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
    );
    RepoSnapshot::new(None, files)
}

fn merge(snapshot: &RepoSnapshot) -> MergedDocument {
    let sel = Selection::new("prod").team("t").project("p");
    ParsedRepo::parse(snapshot)
        .merge(&sel, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Whether a layer document sets `pointer`: a non-null value there, or any value as an
/// array element (nulls in arrays are data).
fn sets(doc: &Value, pointer: &str) -> bool {
    let Some(v) = doc.pointer(pointer) else {
        return false;
    };
    let parent = &pointer[..pointer.rfind('/').unwrap_or(0)];
    !v.is_null() || doc.pointer(parent).is_some_and(Value::is_array)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn an_empty_layer_is_the_identity(layers in layers(), at in 0usize..4) {
        let mut without = layers.clone();
        without[at] = None;
        let mut with_empty = layers.clone();
        with_empty[at] = Some(Value::Object(Map::new()));
        prop_assert_eq!(merge(&snapshot("", &without, &[])), merge(&snapshot("", &with_empty, &[])));
    }

    #[test]
    fn an_empty_fragment_changes_nothing(layers in layers(), at in 0usize..4) {
        let extra = format!("{}/zz-empty.yaml", LAYERS[at].1);
        let plain = merge(&snapshot("", &layers, &[]));
        let padded = merge(&snapshot("", &layers, &[(&extra, "# nothing here\n")]));
        prop_assert_eq!(plain, padded);
    }

    #[test]
    fn merging_is_deterministic(layers in layers()) {
        let snap = snapshot("  a: union\n  '*.b': append\n", &layers, &[]);
        let first = merge(&snap);
        let second = merge(&snap.clone());
        prop_assert_eq!(first.value.to_string(), second.value.to_string());
        prop_assert_eq!(first, second);
    }

    #[test]
    fn provenance_names_the_highest_layer_that_set_the_leaf(layers in layers()) {
        let doc = merge(&snapshot("", &layers, &[]));
        for (pointer, p) in &doc.provenance {
            let highest = LAYERS
                .iter()
                .zip(&layers)
                .rev()
                .find(|(_, l)| l.as_ref().is_some_and(|l| sets(l, pointer)));
            let Some(((kind, dir), Some(layer))) = highest else {
                return Err(TestCaseError::fail(format!("no layer sets {pointer}")));
            };
            prop_assert_eq!(p.layer.kind, *kind, "{}", pointer);
            prop_assert_eq!(&p.file, &format!("{dir}/doc.json"));
            let merged = doc.value.pointer(pointer).unwrap();
            if !merged.is_object() && !merged.is_array() {
                prop_assert_eq!(Some(merged), layer.pointer(pointer), "{}", pointer);
            }
        }
    }

    #[test]
    fn every_scalar_the_top_layer_sets_survives(layers in layers()) {
        let doc = merge(&snapshot("", &layers, &[]));
        if let Some(Some(top)) = layers.last() {
            let mut stack = vec![(String::new(), top)];
            while let Some((ptr, v)) = stack.pop() {
                match v {
                    Value::Object(m) => stack.extend(m.iter().map(|(k, v)| (format!("{ptr}/{k}"), v))),
                    Value::Null | Value::Array(_) => {}
                    scalar => {
                        prop_assert_eq!(doc.value.pointer(&ptr), Some(scalar));
                        prop_assert_eq!(doc.provenance_of(&ptr).unwrap().layer.kind, LayerKind::Project);
                    }
                }
            }
        }
    }

    #[test]
    fn union_is_every_element_once_in_first_seen_order(
        arrays in prop::collection::vec(prop::option::of(prop::collection::vec(0i8..6, 0..6)), 4)
    ) {
        let layers: Vec<Option<Value>> = arrays
            .iter()
            .map(|a| a.as_ref().map(|a| serde_json::json!({"a": a})))
            .collect();
        let doc = merge(&snapshot("  a: union\n", &layers, &[]));
        let mut want: Vec<i8> = Vec::new();
        for x in arrays.iter().flatten().flatten() {
            if !want.contains(x) {
                want.push(*x);
            }
        }
        let got = doc.value.get("a").cloned().unwrap_or(Value::Array(Vec::new()));
        prop_assert_eq!(got, serde_json::json!(want));
    }

    #[test]
    fn layering_a_document_on_itself_changes_no_value(doc in object(value())) {
        let once = merge(&snapshot("", &[Some(doc.clone()), None, None, None], &[]));
        let twice = merge(&snapshot("", &[Some(doc.clone()), None, Some(doc), None], &[]));
        prop_assert_eq!(once.value, twice.value);
    }
}
