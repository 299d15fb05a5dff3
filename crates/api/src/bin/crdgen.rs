//! Writes the CustomResourceDefinition generated from the Rust types (`crds/`).

use kube::CustomResourceExt;

fn main() {
    let crd = claude_env_api::schema::unwrap_descriptions(claude_env_api::ClaudeEnvironment::crd());
    let yaml = serde_saphyr::to_string(&crd).expect("the CRD serializes to YAML");
    print!("---\n{yaml}");
}
