//! Writes the CustomResourceDefinitions generated from the Rust types, one file per CRD
//! (`<group>_<plural>.yaml`), into the directory given (`crds/`).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: crdgen DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    let crds: [CustomResourceDefinition; 2] = [
        claude_env_api::ClaudeEnvironment::crd(),
        claude_env_api::ClaudeWorkstation::crd(),
    ];
    std::fs::create_dir_all(&dir).expect("the output directory can be created");
    for crd in crds {
        let yaml = serde_saphyr::to_string(&crd).expect("a CRD serializes to YAML");
        let name = crd.metadata.name.as_deref().expect("a CRD has a name");
        // `claudeenvironments.claude-env.io` → `claude-env.io_claudeenvironments.yaml`.
        let (plural, group) = name.split_once('.').expect("a CRD name is plural.group");
        let path = dir.join(format!("{group}_{plural}.yaml"));
        std::fs::write(&path, format!("---\n{yaml}"))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
