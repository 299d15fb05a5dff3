//! Writes the CustomResourceDefinitions generated from the Rust types: with a directory
//! argument one file per CRD (`<group>_<plural>.yaml`, as in `crds/`), else all of them to
//! stdout.

use std::path::Path;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        claude_env_api::ClaudeEnvironment::crd(),
        claude_env_api::ClaudeWorkstation::crd(),
        claude_env_api::NotificationProvider::crd(),
        claude_env_api::NotificationRule::crd(),
    ]
}

fn yaml(crd: CustomResourceDefinition) -> String {
    let crd = claude_env_api::schema::unwrap_descriptions(crd);
    let text = serde_saphyr::to_string(&crd).expect("the CRD serializes to YAML");
    format!("---\n{text}")
}

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1) else {
        for crd in crds() {
            print!("{}", yaml(crd));
        }
        return Ok(());
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    for crd in crds() {
        let name = format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural);
        std::fs::write(dir.join(name), yaml(crd))?;
    }
    Ok(())
}
