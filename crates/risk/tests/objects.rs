//! Rendered objects: what the document does not show (a renderer's securityContext) is
//! listed, with the server's provenance; what it does (a new image, replicas) is listed
//! once, from the document.

mod common;

use claude_env_render::{DesiredObjects, RenderContext, render_objects};
use claude_env_risk::{Class, Input, Kind, MergedDocument, Severity, assess};
use pretty_assertions::assert_eq;

const SVC: &str = "mcpServers:\n  svc:\n    deploy:\n      image: ghcr.io/x/svc:1.0\n      port: 8080\n      replicas: 2\n";

fn objects(doc: &MergedDocument) -> DesiredObjects {
    let ctx = RenderContext {
        instance: "dev".into(),
        owner_namespace: "team".into(),
        target_namespace: "team".into(),
        environment: "dev".into(),
        team: Some("backend".into()),
        ..Default::default()
    };
    render_objects(&doc.document().expect("typed"), &ctx).expect("renders")
}

fn summary(
    base: &MergedDocument,
    bo: &DesiredObjects,
    head: &MergedDocument,
    ho: &DesiredObjects,
) -> Vec<(Class, Severity, String)> {
    assess(
        Input::new(base).with_objects(bo),
        Input::new(head).with_objects(ho),
    )
    .changes
    .into_iter()
    .map(|c| (c.class, c.severity, c.path))
    .collect()
}

#[test]
fn a_document_change_is_listed_once_not_again_for_its_objects() {
    let base = common::base(SVC);
    let head = common::base(
        &SVC.replace("svc:1.0", "svc:2.0")
            .replace("replicas: 2", "replicas: 3"),
    );
    assert_eq!(
        summary(&base, &objects(&base), &head, &objects(&head)),
        [
            (
                Class::Security,
                Severity::High,
                "mcpServers.svc.deploy.image".to_owned()
            ),
            (
                Class::Availability,
                Severity::Medium,
                "mcpServers.svc.deploy.replicas".to_owned()
            ),
        ]
    );
}

#[test]
fn a_renderer_change_of_the_security_context_is_security_with_the_servers_provenance() {
    let doc = common::base(SVC);
    let base = objects(&doc);
    let mut head = base.clone();
    let pod = head.servers[0]
        .deployment
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .expect("pod spec");
    pod.security_context
        .as_mut()
        .expect("pod security context")
        .run_as_non_root = Some(false);
    let report = assess(
        Input::new(&doc).with_objects(&base),
        Input::new(&doc).with_objects(&head),
    );
    assert_eq!(report.len(), 1, "{:?}", report.changes);
    let c = &report.changes[0];
    assert_eq!((c.class, c.kind), (Class::Security, Kind::Changed));
    assert_eq!(
        c.path,
        "Deployment/dev-svc:spec.template.spec.securityContext.runAsNonRoot"
    );
    assert_eq!(
        c.explanation,
        "changes spec.template.spec.securityContext.runAsNonRoot of Deployment/dev-svc to false (was true)"
    );
    let src = c.source.as_ref().expect("the server's provenance");
    assert_eq!(
        (src.file.as_str(), src.layer.as_str()),
        ("base/doc.yaml", "base")
    );
}

#[test]
fn objects_count_only_when_both_sides_have_them() {
    let doc = common::base(SVC);
    let base = objects(&doc);
    let mut head = base.clone();
    head.servers.clear();
    // Documents equal, objects gone: both objects listed (nothing in the document says so).
    let r = assess(
        Input::new(&doc).with_objects(&base),
        Input::new(&doc).with_objects(&head),
    );
    let got: Vec<_> = r
        .changes
        .iter()
        .map(|c| (c.class, c.path.as_str(), c.explanation.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Class::Availability,
                "Deployment/dev-svc",
                "deletes Deployment/dev-svc"
            ),
            (
                Class::Availability,
                "Service/dev-svc",
                "deletes Service/dev-svc"
            ),
        ]
    );
    assert!(assess(Input::new(&doc).with_objects(&base), Input::new(&doc)).is_empty());
}

#[test]
fn a_renderer_change_shows_even_when_the_document_changed_the_same_server() {
    let base_doc = common::base(SVC);
    let head_doc = common::base(&SVC.replace("svc:1.0", "svc:2.0"));
    let base = objects(&base_doc);
    let mut head = objects(&head_doc);
    let container = &mut head.servers[0]
        .deployment
        .spec
        .as_mut()
        .and_then(|s| s.template.spec.as_mut())
        .expect("pod spec")
        .containers[0];
    container
        .security_context
        .as_mut()
        .expect("container security context")
        .read_only_root_filesystem = Some(false);
    let paths: Vec<String> = assess(
        Input::new(&base_doc).with_objects(&base),
        Input::new(&head_doc).with_objects(&head),
    )
    .changes
    .into_iter()
    .map(|c| c.path)
    .collect();
    assert_eq!(
        paths,
        [
            "Deployment/dev-svc:spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem",
            "mcpServers.svc.deploy.image",
        ]
    );
}
