//! ClaudeEnvironments for people (pure): the `status` table, one environment in detail, the
//! history table, and for programs the objects without their managedFields. Every function
//! takes `now`, so ages are testable.

use std::fmt::Write as _;

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, DriftItem, DriftStatus, HistoryEntry,
    RolloutStatus, annotations, condition, short_revision,
};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use serde_json::Value;

use crate::style;

/// The status table's columns.
const HEADERS: [&str; 10] = [
    "NAME",
    "ENVIRONMENT",
    "TEAM",
    "PROJECT",
    "REVISION",
    "READY",
    "DRIFT",
    "ROLLOUT",
    "AGE",
    "CHANGED",
];

/// Condition types in the order people read them.
const CONDITION_ORDER: [&str; 7] = [
    condition::READY,
    condition::STALLED,
    condition::RECONCILING,
    condition::HEALTHY,
    condition::DRIFTED,
    condition::PROGRESSING,
    condition::SOURCE_VERIFIED,
];

/// Not Ready, or drifted: what makes `status` exit 1.
pub(crate) fn needs_attention(env: &ClaudeEnvironment) -> bool {
    let s = status(env);
    let ready = find(&s.conditions, condition::READY).is_some_and(|c| c.status == "True");
    let drifted = find(&s.conditions, condition::DRIFTED).is_some_and(|c| c.status == "True")
        || s.drift.as_ref().is_some_and(|d| d.drifted_fields > 0);
    !ready || drifted
}

/// One row of the status table.
pub(crate) fn row(env: &ClaudeEnvironment, now: Timestamp) -> Vec<String> {
    let s = status(env);
    let dash = || "-".to_string();
    vec![
        env.metadata.name.clone().unwrap_or_default(),
        env.spec.environment.clone(),
        env.spec.team.clone().unwrap_or_else(dash),
        env.spec.project.clone().unwrap_or_else(dash),
        s.last_applied_revision
            .as_deref()
            .map_or_else(dash, |r| short_revision(r).to_string()),
        find(&s.conditions, condition::READY)
            .map_or_else(dash, |c| style::condition_status(&c.status)),
        s.drift
            .as_ref()
            .map_or_else(dash, |d| format!("{:.1}%", d.percentage)),
        s.rollout.as_ref().map_or_else(dash, rollout_cell),
        env.metadata
            .creation_timestamp
            .as_ref()
            .map_or_else(dash, |t| age(t.0, now)),
        last_change(&s).map_or_else(dash, |t| age(t, now)),
    ]
}

/// The status table; with `namespaces`, a NAMESPACE column first (as `kubectl get -A`).
pub(crate) fn table(envs: &[ClaudeEnvironment], namespaces: bool, now: Timestamp) -> String {
    let rows: Vec<Vec<String>> = envs.iter().map(|e| row_for(e, namespaces, now)).collect();
    columns(&headers(namespaces), &rows)
}

/// A row of [`table`].
pub(crate) fn row_for(env: &ClaudeEnvironment, namespaces: bool, now: Timestamp) -> Vec<String> {
    let mut r = row(env, now);
    if namespaces {
        r.insert(0, env.metadata.namespace.clone().unwrap_or_default());
    }
    r
}

fn headers(namespaces: bool) -> Vec<&'static str> {
    let mut headers: Vec<&str> = HEADERS.to_vec();
    if namespaces {
        headers.insert(0, "NAMESPACE");
    }
    headers
}

/// The column widths of [`table`] for these rows (what `status --watch` aligns later rows
/// to).
pub(crate) fn widths<'a>(
    namespaces: bool,
    rows: impl IntoIterator<Item = &'a Vec<String>>,
) -> Vec<usize> {
    let headers = headers(namespaces);
    let mut widths: Vec<usize> = headers.iter().map(|h| style::width(h)).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(style::width(cell));
        }
    }
    widths
}

/// One row padded to `widths`, three spaces apart (kubectl's printer); no trailing spaces.
pub(crate) fn aligned_row(cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for (i, cell) in cells.iter().enumerate() {
        line.push_str(cell);
        if i + 1 < cells.len() {
            let w = widths.get(i).copied().unwrap_or_default();
            line.push_str(&" ".repeat(w.saturating_sub(style::width(cell)) + 3));
        }
    }
    line.trim_end().to_string() + "\n"
}

/// `Paused (step 2, 25%)`, `Promoting (green)`, `Idle`.
pub(crate) fn rollout_cell(r: &RolloutStatus) -> String {
    let mut parts = Vec::new();
    if let Some(step) = r.step {
        parts.push(format!("step {step}"));
    }
    if let Some(w) = r.weight {
        parts.push(format!("{w}%"));
    }
    if let Some(c) = r.active_color {
        parts.push(format!("{c:?}").to_lowercase());
    }
    let phase = format!("{:?}", r.phase);
    if parts.is_empty() {
        phase
    } else {
        format!("{phase} ({})", parts.join(", "))
    }
}

/// Everything about one environment.
pub(crate) fn details(env: &ClaudeEnvironment, now: Timestamp) -> String {
    let s = status(env);
    let mut o = String::new();
    summary_section(&mut o, env, &s, now);
    conditions_section(&mut o, &s, now);
    o.push_str("\nDrift:        ");
    match &s.drift {
        None => o.push_str("not measured yet\n"),
        Some(d) => drift_section(&mut o, d, now),
    }
    o.push_str("\nRollout:      ");
    match &s.rollout {
        None => o.push_str("-\n"),
        Some(r) => rollout_section(&mut o, env, r),
    }
    let requests = requests(env, &s);
    if !requests.is_empty() {
        o.push_str("\nRequests:\n");
        o.push_str(&indent(
            &columns(&["ANNOTATION", "VALUE", "STATE"], &requests),
            2,
        ));
    }
    let entries = s
        .inventory
        .as_ref()
        .map(|i| i.entries.as_slice())
        .unwrap_or_default();
    let _ = writeln!(o, "\nInventory:    {} object(s)", entries.len());
    for e in entries {
        let _ = writeln!(o, "  {}/{}/{}", e.kind, e.namespace, e.name);
    }
    o.push_str("\nHistory:\n");
    if s.history.is_empty() {
        o.push_str("  (none)\n");
    } else {
        o.push_str(&indent(&history_table(&s.history, now), 2));
    }
    o
}

/// Name, layers, source, strategy, revisions: one `Label: value` line each.
fn summary_section(
    o: &mut String,
    env: &ClaudeEnvironment,
    s: &ClaudeEnvironmentStatus,
    now: Timestamp,
) {
    let spec = &env.spec;
    let mut field = |label: &str, value: String| {
        let _ = writeln!(o, "{:<13} {value}", format!("{label}:"));
    };
    field(
        "Name",
        format!("{} (namespace {})", name_of(env), namespace_of(env)),
    );
    let selection = [
        Some(spec.environment.as_str()),
        spec.team.as_deref(),
        spec.project.as_deref(),
    ]
    .iter()
    .map(|p| p.unwrap_or("-"))
    .collect::<Vec<_>>()
    .join(" / ");
    field(
        "Environment",
        format!("{selection} (environment / team / project)"),
    );
    let mut source = spec.source.url.clone();
    if let Some(b) = &spec.source.branch {
        source.push_str(&format!(", branch {b}"));
    }
    if let Some(p) = &spec.source.path {
        source.push_str(&format!(", path {p}"));
    }
    field("Source", source);
    if let Some(t) = &spec.target_namespace {
        field("Objects in", format!("namespace {t}"));
    }
    let mut strategy = format!("{:?}", spec.strategy.type_);
    if spec.approval.as_ref().is_some_and(|a| a.required) {
        strategy.push_str(", approval required");
    }
    field("Strategy", strategy);
    if spec.suspend {
        field(
            "Suspended",
            style::paint(
                style::PENDING,
                "yes: nothing is applied, pruned or remediated (claude-env resume)",
            ),
        );
    }
    let rev = |r: &Option<String>| {
        r.as_deref()
            .map_or("-".to_string(), |r| short_revision(r).to_string())
    };
    let mut revisions = format!("applied {}", rev(&s.last_applied_revision));
    if s.last_attempted_revision != s.last_applied_revision {
        revisions.push_str(&format!(", attempted {}", rev(&s.last_attempted_revision)));
    }
    revisions.push_str(&format!(
        ", last known good {}",
        rev(&s.last_known_good_revision)
    ));
    field("Revision", revisions);
    if let Some(t) = &env.metadata.creation_timestamp {
        field("Age", age(t.0, now));
    }
    if s.observed_generation.is_some() && s.observed_generation != env.metadata.generation {
        field(
            "Note",
            "the controller has not seen the latest spec yet (observedGeneration is behind)".into(),
        );
    }
}

/// Ready first, then the others; each message indented below its condition.
fn conditions_section(o: &mut String, s: &ClaudeEnvironmentStatus, now: Timestamp) {
    o.push_str("\nConditions:\n");
    let conditions = ordered(&s.conditions);
    if conditions.is_empty() {
        o.push_str("  (none yet: the controller has not reconciled it)\n");
    }
    for c in conditions {
        let _ = writeln!(
            o,
            "  {}={}  {}  ({} ago)",
            c.type_,
            style::condition_status(&c.status),
            c.reason,
            age(c.last_transition_time.0, now)
        );
        for line in c.message.lines() {
            let _ = writeln!(o, "    {line}");
        }
    }
}

/// The phase, revisions and message, and what a person can do next.
fn rollout_section(o: &mut String, env: &ClaudeEnvironment, r: &RolloutStatus) {
    let (name, namespace) = (name_of(env), namespace_of(env));
    let _ = write!(o, "{}", rollout_cell(r));
    if let Some(rev) = &r.revision {
        let _ = write!(o, ", revision {}", short_revision(rev));
    }
    if let Some(stable) = &r.stable_revision {
        let _ = write!(o, " (stable {})", short_revision(stable));
    }
    o.push('\n');
    if let Some(m) = &r.message {
        let _ = writeln!(o, "              {m}");
    }
    if let Some(f) = &r.failed_revision {
        let _ = writeln!(
            o,
            "              failed revision {} is not rolled out again until the branch moves \
             or: claude-env retry {name} -n {namespace}",
            short_revision(f)
        );
    }
    if let Some(w) = crate::cluster::patch::waiting_for_approval(&status(env)) {
        let _ = writeln!(
            o,
            "              waiting for approval of {}: claude-env approve {name} -n {namespace}",
            short_revision(w)
        );
    }
}

fn name_of(env: &ClaudeEnvironment) -> String {
    env.metadata.name.clone().unwrap_or_default()
}

fn namespace_of(env: &ClaudeEnvironment) -> String {
    env.metadata.namespace.clone().unwrap_or_default()
}

fn drift_section(o: &mut String, d: &DriftStatus, now: Timestamp) {
    let _ = write!(
        o,
        "{:.1}% ({} of {} managed fields)",
        d.percentage, d.drifted_fields, d.managed_fields
    );
    if let Some(t) = &d.detected_at {
        let _ = write!(o, ", detected {} ago", age(t.0, now));
    }
    o.push('\n');
    if !d.items.is_empty() {
        o.push_str(&indent(&drift_items_table(&d.items), 2));
        if (d.items.len() as i64) < d.drifted_fields {
            let _ = writeln!(
                o,
                "  ({} more drifted field(s) not listed)",
                d.drifted_fields - d.items.len() as i64
            );
        }
    }
    if let Some(r) = &d.last_remediation {
        let _ = writeln!(
            o,
            "  last remediation {} ago: restored {} field(s) in {}",
            age(r.time.0, now),
            r.drifted_fields,
            r.objects.join(", ")
        );
    }
}

/// The steering annotations present, and whether the controller acted on them.
fn requests(env: &ClaudeEnvironment, s: &ClaudeEnvironmentStatus) -> Vec<Vec<String>> {
    let a = env.metadata.annotations.clone().unwrap_or_default();
    let mut rows = Vec::new();
    let state = |handled: bool| if handled { "handled" } else { "pending" }.to_string();
    if let Some(v) = a.get(annotations::RECONCILE) {
        let handled = s.last_handled_reconcile_at.as_deref() == Some(v.as_str());
        rows.push(vec![
            annotations::RECONCILE.into(),
            v.clone(),
            state(handled),
        ]);
    }
    if let Some(v) = a.get(annotations::ROLLBACK_TO) {
        let handled = s.last_handled_rollback_to.as_deref() == Some(v.as_str());
        rows.push(vec![
            annotations::ROLLBACK_TO.into(),
            v.clone(),
            state(handled),
        ]);
    }
    if let Some(v) = a.get(annotations::APPROVE) {
        let waiting = crate::cluster::patch::waiting_for_approval(s);
        // `<revision>[@<nonce>]` (`claude-env approve` adds the time); the controller also
        // takes an abbreviation of 7 or more characters.
        let approved = v.split('@').next().unwrap_or_default().trim();
        let names = |w: &str| w == approved || (approved.len() >= 7 && w.starts_with(approved));
        let note = match waiting {
            Some(w) if names(w) => "pending (the rollout is paused on it)".to_string(),
            Some(w) => format!("ignored: the rollout waits on {}", short_revision(w)),
            None => "-".to_string(),
        };
        rows.push(vec![annotations::APPROVE.into(), v.clone(), note]);
    }
    // The machine records the retry and abort values it has seen.
    let machine = crate::cluster::patch::rollout_state(env);
    for (key, handled) in [
        (annotations::RETRY, machine.handled_retry),
        (annotations::ABORT, machine.handled_abort),
    ] {
        if let Some(v) = a.get(key) {
            let done = handled.as_deref() == Some(v.as_str());
            rows.push(vec![key.into(), v.clone(), state(done)]);
        }
    }
    rows
}

/// History, oldest first (as the local `history`): TIME, AGE, REVISION, RESULT, ACTOR (who
/// approved or requested it, or the controller), REASON, MESSAGE (first line). `-` where an
/// entry written before actors were recorded has none.
pub(crate) fn history_table(history: &[HistoryEntry], now: Timestamp) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let rows: Vec<Vec<String>> = history
        .iter()
        .rev()
        .map(|h| {
            vec![
                h.time.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                age(h.time.0, now),
                short_revision(&h.revision).to_string(),
                format!("{:?}", h.result),
                h.change_class
                    .map_or_else(|| "-".into(), |c| format!("{c:?}")),
                actor(h),
                or_dash(&h.reason),
                h.message.as_deref().map_or_else(String::new, first_line),
            ]
        })
        .collect();
    columns(
        &[
            "TIME", "AGE", "REVISION", "RESULT", "CLASS", "ACTOR", "REASON", "MESSAGE",
        ],
        &rows,
    )
}

/// Who caused a history entry, and who approved its security-class changes when that was
/// someone else (`alice (security: sam)`); `-` for an entry recorded without an actor.
fn actor(h: &HistoryEntry) -> String {
    let actor = h.actor.clone().unwrap_or_else(|| "-".into());
    match &h.security_approved_by {
        Some(s) if h.actor.as_deref() != Some(s.as_str()) => format!("{actor} (security: {s})"),
        _ => actor,
    }
}

/// The object as `kubectl get -o json` shows it: without managedFields.
pub(crate) fn for_output(env: &ClaudeEnvironment) -> Value {
    let mut v = serde_json::to_value(env).expect("ClaudeEnvironment serializes");
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    v
}

/// A `v1/List` of them.
pub(crate) fn list_for_output(envs: &[ClaudeEnvironment]) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": envs.iter().map(for_output).collect::<Vec<_>>(),
    })
}

/// kubectl's age format (`45s`, `3m12s`, `5h`, `2d3h`, `400d`).
pub(crate) fn age(since: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second() - since.as_second();
    if secs < -1 {
        return "<invalid>".into();
    }
    let secs = secs.max(0);
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        return match secs % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    format!("{}y{}d", days / 365, days % 365)
}

/// The last time something happened: the newest history entry or Ready transition.
fn last_change(s: &ClaudeEnvironmentStatus) -> Option<Timestamp> {
    let history = s.history.first().map(|h| h.time.0);
    let ready = find(&s.conditions, condition::READY).map(|c| c.last_transition_time.0);
    history.into_iter().chain(ready).max()
}

fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

fn ordered(conditions: &[Condition]) -> Vec<&Condition> {
    let rank = |c: &Condition| {
        CONDITION_ORDER
            .iter()
            .position(|t| *t == c.type_)
            .unwrap_or(CONDITION_ORDER.len())
    };
    let mut out: Vec<&Condition> = conditions.iter().collect();
    out.sort_by_key(|c| (rank(c), c.type_.clone()));
    out
}

fn first_line(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default();
    match lines.count() {
        0 => first.to_string(),
        n => format!("{first} (+{n} lines)"),
    }
}

fn status(env: &ClaudeEnvironment) -> ClaudeEnvironmentStatus {
    env.status.clone().unwrap_or_default()
}

/// Drift items as a table: object, path (`(whole object)` when missing), category,
/// severity, kind. Shared by `status` and `diff --cluster`.
pub(crate) fn drift_items_table(items: &[DriftItem]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.object.clone(),
                if i.path.is_empty() {
                    "(whole object)".into()
                } else {
                    i.path.clone()
                },
                format!("{:?}", i.category),
                format!("{:?}", i.severity),
                format!("{:?}", i.kind),
            ]
        })
        .collect();
    columns(&["OBJECT", "PATH", "CATEGORY", "SEVERITY", "KIND"], &rows)
}

/// Left-aligned columns three spaces apart (kubectl's printer), the header bold; cells may
/// be styled (escape codes take no room).
pub(crate) fn columns(headers: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = headers
        .iter()
        .map(|h| style::paint(style::HEADER, h))
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| style::width(h)).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(style::width(cell));
        }
    }
    let mut out = aligned_row(&header, &widths);
    for r in rows {
        out.push_str(&aligned_row(r, &widths));
    }
    out
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-11-21T06:00:00Z".parse().unwrap()
    }

    /// A production environment, Ready on 1f2e…, 12.5% drifted, paused at step 2.
    fn env() -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {
                "name": "payments", "namespace": "team-be", "generation": 3,
                "creationTimestamp": "2026-11-19T06:00:00Z",
                "annotations": {
                    "claude-env.io/reconcile": "2026-11-21T05:58:00.000Z",
                    "claude-env.io/rollback-to": "0a1b2c3@2026-11-21T05:00:00.000Z"
                },
                "managedFields": [{"manager": "kubectl"}]
            },
            "spec": {
                "source": {"url": "https://git.example.com/cfg.git", "branch": "main", "path": "cfg"},
                "environment": "production", "team": "backend", "project": "payments-api",
                "strategy": {"type": "Canary", "canary": {"steps": [{"setWeight": 25}, {"pause": {}}]}},
                "approval": {"required": true}
            },
            "status": {
                "observedGeneration": 3,
                "conditions": [
                    {"type": "Drifted", "status": "True", "reason": "DriftDetected",
                     "message": "3 of 24 managed fields drifted", "lastTransitionTime": "2026-11-21T05:57:00Z"},
                    {"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                     "message": "Applied revision 1f2e3d4c5b6a", "lastTransitionTime": "2026-11-21T05:55:00Z"}
                ],
                "lastAttemptedRevision": "9a8b7c6d5e4f3a2b1c0d9a8b7c6d5e4f3a2b1c0d",
                "lastAppliedRevision": "1f2e3d4c5b6a7988aabbccddeeff001122334455",
                "lastKnownGoodRevision": "1f2e3d4c5b6a7988aabbccddeeff001122334455",
                "lastHandledReconcileAt": "2026-11-21T05:58:00.000Z",
                "inventory": {"entries": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "team-be", "name": "payments-config-abc"},
                    {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "team-be", "name": "payments-context7"}
                ]},
                "drift": {"percentage": 12.5, "managedFields": 24, "driftedFields": 3,
                    "detectedAt": "2026-11-21T05:57:00Z",
                    "items": [{"object": "Deployment/team-be/payments-context7",
                        "path": "/spec/template/spec/containers/0/image",
                        "category": "Availability", "severity": "High", "kind": "Changed"}]},
                "rollout": {"phase": "Paused", "step": 2, "weight": 25,
                    "revision": "9a8b7c6d5e4f3a2b1c0d9a8b7c6d5e4f3a2b1c0d",
                    "stableRevision": "1f2e3d4c5b6a7988aabbccddeeff001122334455",
                    "message": "waiting for approval"},
                "history": [
                    {"revision": "9a8b7c6d5e4f3a2b1c0d9a8b7c6d5e4f3a2b1c0d", "time": "2026-11-21T05:59:00Z",
                     "result": "Invalid", "message": "base/x.yaml:3:1: error[yaml-syntax]: bad\nsecond line",
                     "actor": "claude-env-controller", "reason": "ValidationFailed"},
                    {"revision": "1f2e3d4c5b6a7988aabbccddeeff001122334455", "time": "2026-11-21T05:55:00Z",
                     "result": "Succeeded", "actor": "alice@example.com", "reason": "RolloutSucceeded",
                     "changeClass": "Security", "securityApprovedBy": "sam@example.com"},
                    {"revision": "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "time": "2026-11-21T05:50:00Z",
                     "result": "Succeeded"}
                ]
            }
        }))
        .unwrap()
    }

    fn healthy(name: &str, ns: &str) -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-11-21T05:59:15Z"},
            "spec": {"source": {"url": "u"}, "environment": "development"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "R",
                "message": "", "lastTransitionTime": "2026-11-21T05:59:30Z"}],
                "lastAppliedRevision": "abcdef"}
        }))
        .unwrap()
    }

    #[test]
    fn the_table_has_kubectl_columns() {
        let t = style::plain(&table(&[env(), healthy("dev", "team-be")], false, now()));
        assert_eq!(
            t,
            "NAME       ENVIRONMENT   TEAM      PROJECT        REVISION       READY   DRIFT   ROLLOUT                AGE   CHANGED\n\
             payments   production    backend   payments-api   1f2e3d4c5b6a   True    12.5%   Paused (step 2, 25%)   2d    60s\n\
             dev        development   -         -              abcdef         True    -       -                      45s   30s\n"
        );
    }

    #[test]
    fn colour_codes_take_no_room_in_the_columns() {
        let raw = table(&[env(), healthy("dev", "team-be")], false, now());
        assert!(raw.contains("\u{1b}[32mTrue\u{1b}[0m"), "{raw:?}");
        assert!(raw.starts_with("\u{1b}[1mNAME\u{1b}[0m"), "{raw:?}");
        let plain = style::plain(&raw);
        let starts = |l: &str| {
            l.find("DRIFT")
                .or_else(|| l.find("12.5%"))
                .or_else(|| l.find(" - "))
        };
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(starts(lines[0]), starts(lines[1]), "{plain}");
    }

    #[test]
    fn watched_rows_align_to_the_table() {
        let rows = vec![row_for(&env(), false, now())];
        let w = widths(false, &rows);
        let t = style::plain(&table(&[env()], false, now()));
        assert_eq!(
            style::plain(&aligned_row(&rows[0], &w)),
            t.lines().nth(1).unwrap().to_string() + "\n"
        );
    }

    #[test]
    fn all_namespaces_adds_a_namespace_column() {
        let t = style::plain(&table(&[healthy("a", "ns1")], true, now()));
        assert!(t.starts_with("NAMESPACE   NAME   ENVIRONMENT"), "{t}");
        assert!(
            t.lines()
                .nth(1)
                .unwrap()
                .starts_with("ns1         a      development"),
            "{t}"
        );
    }

    #[test]
    fn attention_means_not_ready_or_drifted() {
        assert!(needs_attention(&env()), "drifted");
        assert!(!needs_attention(&healthy("a", "b")));
        let mut never = healthy("a", "b");
        never.status = None;
        assert!(needs_attention(&never), "never reconciled is not Ready");
        let mut unknown = healthy("a", "b");
        unknown.status.as_mut().unwrap().conditions[0].status = "Unknown".into();
        assert!(needs_attention(&unknown));
    }

    #[test]
    fn details_show_conditions_drift_rollout_requests_inventory_and_history() {
        let d = style::plain(&details(&env(), now()));
        for expected in [
            "Name:         payments (namespace team-be)\n",
            "Environment:  production / backend / payments-api (environment / team / project)\n",
            "Source:       https://git.example.com/cfg.git, branch main, path cfg\n",
            "Strategy:     Canary, approval required\n",
            "Revision:     applied 1f2e3d4c5b6a, attempted 9a8b7c6d5e4f, last known good 1f2e3d4c5b6a\n",
            // Ready first, then the others; messages indented below.
            "Conditions:\n  Ready=True  ReconciliationSucceeded  (5m ago)\n    Applied revision 1f2e3d4c5b6a\n  Drifted=True  DriftDetected  (3m ago)\n",
            "Drift:        12.5% (3 of 24 managed fields), detected 3m ago\n",
            "  OBJECT                                 PATH                                     CATEGORY       SEVERITY   KIND\n  \
             Deployment/team-be/payments-context7   /spec/template/spec/containers/0/image   Availability   High       Changed\n",
            "  (2 more drifted field(s) not listed)\n",
            "Rollout:      Paused (step 2, 25%), revision 9a8b7c6d5e4f (stable 1f2e3d4c5b6a)\n              waiting for approval\n",
            "waiting for approval of 9a8b7c6d5e4f: claude-env approve payments -n team-be\n",
            "claude-env.io/reconcile     2026-11-21T05:58:00.000Z           handled\n",
            "claude-env.io/rollback-to   0a1b2c3@2026-11-21T05:00:00.000Z   pending\n",
            "Inventory:    2 object(s)\n  ConfigMap/team-be/payments-config-abc\n  Deployment/team-be/payments-context7\n",
            // Oldest first; a multi-line message cut to its first line.
            // Who and why; `-` for an entry recorded without them.
            // The class of its changes; a security approver other than the actor beside it.
            "  TIME                   AGE   REVISION       RESULT      CLASS      ACTOR                                           REASON             MESSAGE\n  \
             2026-11-21T05:50:00Z   10m   0a1b2c3d4e5f   Succeeded   -          -                                               -\n  \
             2026-11-21T05:55:00Z   5m    1f2e3d4c5b6a   Succeeded   Security   alice@example.com (security: sam@example.com)   RolloutSucceeded\n  \
             2026-11-21T05:59:00Z   60s   9a8b7c6d5e4f   Invalid     -          claude-env-controller                           ValidationFailed   base/x.yaml:3:1: error[yaml-syntax]: bad (+1 lines)\n",
        ] {
            assert!(d.contains(expected), "missing {expected:?} in\n{d}");
        }
    }

    #[test]
    fn an_approval_with_the_cli_nonce_is_pending_for_the_paused_revision() {
        let mut e = env();
        let annotations = e.metadata.annotations.as_mut().unwrap();
        annotations.insert(
            "claude-env.io/approve".into(),
            "9a8b7c6d5e4f3a2b1c0d9a8b7c6d5e4f3a2b1c0d@2026-11-21T05:59:00.000Z".into(),
        );
        let d = style::plain(&details(&e, now()));
        assert!(d.contains("pending (the rollout is paused on it)"), "{d}");
        e.metadata.annotations.as_mut().unwrap().insert(
            "claude-env.io/approve".into(),
            "1f2e3d4c5b6a@2026-11-21T05:59:00.000Z".into(),
        );
        let d = style::plain(&details(&e, now()));
        assert!(
            d.contains("ignored: the rollout waits on 9a8b7c6d5e4f"),
            "{d}"
        );
    }

    #[test]
    fn details_of_a_new_environment_say_what_is_missing() {
        let mut e = healthy("a", "b");
        e.status = None;
        let d = style::plain(&details(&e, now()));
        assert!(
            d.contains("(none yet: the controller has not reconciled it)"),
            "{d}"
        );
        assert!(d.contains("Drift:        not measured yet"), "{d}");
        assert!(d.contains("History:\n  (none)"), "{d}");
    }

    #[test]
    fn output_drops_managed_fields() {
        let v = list_for_output(&[env()]);
        assert_eq!(v["kind"], "List");
        assert!(v["items"][0]["metadata"].get("managedFields").is_none());
        assert_eq!(v["items"][0]["status"]["drift"]["percentage"], 12.5);
    }

    #[test]
    fn ages_read_like_kubectl() {
        let t = |secs: i64| age(now() - jiff::SignedDuration::from_secs(secs), now());
        assert_eq!(t(0), "0s");
        assert_eq!(t(119), "119s");
        assert_eq!(t(192), "3m12s");
        assert_eq!(t(600), "10m");
        assert_eq!(t(3 * 3600 + 5 * 60), "3h5m");
        assert_eq!(t(30 * 3600), "30h");
        assert_eq!(t(3 * 86400 + 3600), "3d1h");
        assert_eq!(t(400 * 86400), "400d");
        assert_eq!(t(-5), "<invalid>");
    }

    #[test]
    fn rollout_cells() {
        let mut r = RolloutStatus::default();
        assert_eq!(rollout_cell(&r), "Idle");
        r.phase = claude_env_api::RolloutPhase::Promoting;
        r.active_color = Some(claude_env_api::Color::Green);
        assert_eq!(rollout_cell(&r), "Promoting (green)");
    }
}
