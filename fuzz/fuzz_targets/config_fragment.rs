//! One fragment file, YAML or JSON (first byte even: YAML), through the whole config
//! engine: parse with positions, per-fragment checks (schema, references, secret scan),
//! merge and validate. Property: no panic, and every diagnostic points into a file that
//! exists with a line inside it.
#![no_main]

use claude_env_config::{RepoSnapshot, Selection, load_environment, validate_repo};
use libfuzzer_sys::fuzz_target;

const SETTINGS: &[u8] = b"schemaVersion: 1\nenvironments: [prod]\nmerge:\n  settings.permissions.allow: union\n  settings.hooks.*: {merge-by-key: matcher}\n";

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else {
        return;
    };
    let name = if first % 2 == 0 {
        "base/fragment.yaml"
    } else {
        "base/fragment.json"
    };
    let snapshot = RepoSnapshot::new(
        None,
        [
            ("claude-env.yaml", SETTINGS.to_vec()),
            (name, body.to_vec()),
        ],
    );
    // Lines end at `\n`, `\r\n` or a lone `\r`, as in YAML.
    let lines = body
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\r' || (**b == b'\n' && (*i == 0 || body[i - 1] != b'\r')))
        .count() as u32
        + 1;
    for d in validate_repo(&snapshot).iter() {
        if d.file == name {
            assert!(d.line <= lines, "{d:?} past the end ({lines} lines)");
        }
    }
    let _ = load_environment(&snapshot, &Selection::new("prod"), None);
});
