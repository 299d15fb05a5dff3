//! The objects an environment should have right now, derived from the rollout machine's
//! state and the rendered revisions it involves (pure). Applying this set and pruning the
//! rest is how every rollout action takes effect, so a controller that died between actions
//! converges on the next reconcile, and drift is measured against what the rollout intends.
//!
//! | stage | Deployments | Services | ConfigMaps |
//! |---|---|---|---|
//! | Idle, AwaitingApproval | serving revision (stable, else the last rolled out), full | as rendered (blue-green: active colour) | serving |
//! | AwaitingApproval of a first deploy | none | none | none |
//! | Applied (Immediate) | new revision, full | new | stable + new |
//! | Canary{weight} | stable spec at `split.stable`; `-canary` new spec at `split.canary` | new | stable + new |
//! | Promoting | new spec on the stable Deployments, full | new | stable + new |
//! | Preview{color} | active colour: stable, full; `color`: new, full | active → active colour; `-preview` → `color` | stable + new |
//! | Switched{color, previous} | `color`: new, full; `previous`: stable, full | active and preview → `color` | stable + new |

use std::collections::BTreeMap;

use claude_env_api::{Color, ObjectKind, StrategyType};
use claude_env_render::naming::server_object_name;
use claude_env_rollout::{Role, RolloutState, Stage, canary_split};
use serde_json::json;

use claude_env_render::Manifest;

/// Pod and selector label of the canary Deployment's pods.
pub(crate) const TRACK: &str = "claude-env.io/track";
/// Pod and selector label of blue-green colours.
pub(crate) const COLOR: &str = "claude-env.io/color";

/// The rendered objects of each revision a rollout involves (unshaped, as `objects::desired`
/// returns them).
pub(crate) type Rendered = BTreeMap<String, Vec<Manifest>>;

/// The revisions whose renders [`desired_set`] needs.
pub(crate) fn revisions_needed(state: &RolloutState) -> Vec<String> {
    let mut out: Vec<String> = state
        .stable
        .iter()
        .chain(state.revision.iter())
        .cloned()
        .collect();
    out.dedup();
    out
}

fn color_name(c: Color) -> &'static str {
    match c {
        Color::Blue => "blue",
        Color::Green => "green",
    }
}

/// The name of a server's Deployment in `role` (`<instance>-<server>[-canary|-blue|-green]`).
pub(crate) fn role_name(instance: &str, server: &str, role: Role) -> String {
    match role {
        Role::Stable => server_object_name(instance, server),
        Role::Canary => server_object_name(instance, &format!("{server}-canary")),
        Role::Color(c) => server_object_name(instance, &format!("{server}-{}", color_name(c))),
    }
}

pub(crate) fn preview_name(instance: &str, server: &str) -> String {
    server_object_name(instance, &format!("{server}-preview"))
}

fn set_name(d: &mut Manifest, name: String) {
    d.value["metadata"]["name"] = json!(name);
    d.key.name = name;
}

/// A rendered Deployment as `role`, at `replicas`.
pub(crate) fn role_deployment(
    rendered: &Manifest,
    instance: &str,
    role: Role,
    replicas: i32,
) -> Manifest {
    let mut d = rendered.clone();
    let server = d.server.clone().unwrap_or_default();
    let label = match role {
        Role::Stable => None,
        Role::Canary => Some((TRACK, "canary")),
        Role::Color(c) => Some((COLOR, color_name(c))),
    };
    if let Some((key, value)) = label {
        set_name(&mut d, role_name(instance, &server, role));
        d.value["spec"]["selector"]["matchLabels"][key] = json!(value);
        d.value["spec"]["template"]["metadata"]["labels"][key] = json!(value);
    }
    d.value["spec"]["replicas"] = json!(replicas);
    d
}

/// A rendered Service selecting only `color`'s pods, optionally renamed to the preview.
pub(crate) fn color_service(
    rendered: &Manifest,
    instance: &str,
    color: Color,
    preview: bool,
) -> Manifest {
    let mut s = rendered.clone();
    if preview {
        let server = s.server.clone().unwrap_or_default();
        set_name(&mut s, preview_name(instance, &server));
    }
    s.value["spec"]["selector"][COLOR] = json!(color_name(color));
    s
}

fn replicas(d: &Manifest) -> i32 {
    d.value["spec"]["replicas"].as_i64().unwrap_or(1) as i32
}

fn of_kind<'a>(
    objects: &'a [Manifest],
    kind: ObjectKind,
) -> impl Iterator<Item = &'a Manifest> + 'a {
    objects.iter().filter(move |d| d.key.kind == kind)
}

fn by_server(objects: &[Manifest], kind: ObjectKind) -> BTreeMap<&str, &Manifest> {
    objects
        .iter()
        .filter(|d| d.key.kind == kind)
        .filter_map(|d| d.server.as_deref().map(|s| (s, d)))
        .collect()
}

/// Everything the environment should have for `state` (see the table above). Revisions
/// missing from `rendered` contribute nothing.
pub(crate) fn desired_set(
    strategy: StrategyType,
    state: &RolloutState,
    instance: &str,
    rendered: &Rendered,
) -> Vec<Manifest> {
    let empty = Vec::new();
    let get = |r: Option<&String>| r.and_then(|r| rendered.get(r)).unwrap_or(&empty);
    let stable = get(state.stable.as_ref());
    let new = get(state.revision.as_ref());
    let serving = if state.stable.is_some() { stable } else { new };
    let mut out: Vec<Manifest> = Vec::new();
    let config_maps = |objs: &[Manifest], out: &mut Vec<Manifest>| {
        for cm in of_kind(objs, ObjectKind::ConfigMap) {
            if !out.iter().any(|o| o.key == cm.key) {
                out.push(cm.clone());
            }
        }
    };
    let blue_green = strategy == StrategyType::BlueGreen;
    match &state.stage {
        // A first deploy waiting for approval: nothing runs until a human says so.
        Stage::AwaitingApproval if state.stable.is_none() => {}
        Stage::Idle | Stage::AwaitingApproval => {
            config_maps(serving, &mut out);
            plain_or_active(
                serving,
                instance,
                if blue_green { state.active_color } else { None },
                &mut out,
            );
        }
        Stage::Applied { .. } | Stage::Promoting { .. } => {
            config_maps(stable, &mut out);
            config_maps(new, &mut out);
            plain_or_active(
                new,
                instance,
                if blue_green { state.active_color } else { None },
                &mut out,
            );
        }
        Stage::Canary { weight, .. } => {
            config_maps(stable, &mut out);
            config_maps(new, &mut out);
            out.extend(of_kind(new, ObjectKind::Service).cloned());
            canary_deployments(stable, new, instance, *weight, &mut out);
        }
        Stage::Preview { color, .. } => {
            config_maps(stable, &mut out);
            config_maps(new, &mut out);
            let active = state.active_color;
            if state.stable.is_some() {
                colored(stable, instance, active, false, &mut out);
            }
            // The active Service selects the active colour, or the preview on a first deploy.
            for s in of_kind(
                if state.stable.is_some() { stable } else { new },
                ObjectKind::Service,
            ) {
                out.push(color_service(s, instance, active.unwrap_or(*color), false));
            }
            colored(new, instance, Some(*color), true, &mut out);
        }
        Stage::Switched {
            color, previous, ..
        } => {
            config_maps(stable, &mut out);
            config_maps(new, &mut out);
            if let Some(prev) = previous {
                colored(stable, instance, Some(*prev), false, &mut out);
            }
            for s in of_kind(new, ObjectKind::Service) {
                out.push(color_service(s, instance, *color, false));
            }
            colored(new, instance, Some(*color), true, &mut out);
        }
    }
    out
}

/// A canary step at `weight`: each server's stable Deployment keeps its spec at the stable
/// share of replicas, a `-canary` Deployment runs the new spec at the rest (all of them for a
/// server the stable revision lacks), and servers the new revision dropped keep serving from
/// stable until promotion.
fn canary_deployments(
    stable: &[Manifest],
    new: &[Manifest],
    instance: &str,
    weight: u32,
    out: &mut Vec<Manifest>,
) {
    let stable_deploys = by_server(stable, ObjectKind::Deployment);
    let new_deploys = by_server(new, ObjectKind::Deployment);
    for (server, d) in &new_deploys {
        let split = canary_split(replicas(d).max(0) as u32, weight);
        let canary = match stable_deploys.get(server) {
            Some(s) => {
                out.push(role_deployment(
                    s,
                    instance,
                    Role::Stable,
                    split.stable as i32,
                ));
                split.canary
            }
            None => replicas(d).max(0) as u32,
        };
        out.push(role_deployment(d, instance, Role::Canary, canary as i32));
    }
    for (server, s) in &stable_deploys {
        if !new_deploys.contains_key(server) {
            out.push(role_deployment(s, instance, Role::Stable, replicas(s)));
        }
    }
}

/// Plain Deployments and Services, or (blue-green) the `active` colour's.
fn plain_or_active(
    objs: &[Manifest],
    instance: &str,
    active: Option<Color>,
    out: &mut Vec<Manifest>,
) {
    match active {
        None => out.extend(
            objs.iter()
                .filter(|d| d.key.kind != ObjectKind::ConfigMap)
                .cloned(),
        ),
        Some(c) => {
            for s in of_kind(objs, ObjectKind::Service) {
                out.push(color_service(s, instance, c, false));
                out.push(color_service(s, instance, c, true));
            }
            colored(objs, instance, Some(c), false, out);
        }
    }
}

/// `objs`' Deployments as `color` at full replicas (plain when `color` is `None`), plus the
/// preview Services selecting it when `preview`.
fn colored(
    objs: &[Manifest],
    instance: &str,
    color: Option<Color>,
    preview: bool,
    out: &mut Vec<Manifest>,
) {
    for d in of_kind(objs, ObjectKind::Deployment) {
        out.push(role_deployment(
            d,
            instance,
            color.map_or(Role::Stable, Role::Color),
            replicas(d),
        ));
    }
    if let (true, Some(c)) = (preview, color) {
        for s in of_kind(objs, ObjectKind::Service) {
            out.push(color_service(s, instance, c, true));
        }
    }
}

/// Replicas each server's rendered Deployment asks for (the machine's `servers`).
pub(crate) fn servers(objs: &[Manifest]) -> BTreeMap<String, u32> {
    by_server(objs, ObjectKind::Deployment)
        .into_iter()
        .map(|(s, d)| (s.to_string(), replicas(d).max(0) as u32))
        .collect()
}

#[cfg(test)]
#[path = "shape_tests.rs"]
mod tests;
