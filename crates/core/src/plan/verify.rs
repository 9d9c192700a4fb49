//! Saved plans are verified, not trusted: [`verify`] re-derives every order of a saved plan
//! from what the plan records — the desired state of each PBX, the observed state (checked
//! against its fingerprint), the catalogs and contacts, the date and the nonce — with the same
//! pure planner, and lists every way the recorded plan differs: an order body, a poNumber, an
//! SN, an entry repeated or missing, or a plan ID that no longer matches its content.
//!
//! This catches corruption and hand edits. It cannot tell a consistent forgery (inputs and
//! orders edited together, the ID recomputed) from a new plan: what ties a plan to its review
//! is its ID, shown in the review.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Catalogs, Observed, Plan, PlanContext, plan};

/// At most this many differences are listed.
const MAX_SHOWN: usize = 10;

/// Re-derives `saved` and returns every difference (empty: it is what entitle planned).
pub fn verify(saved: &Plan) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut seen = BTreeSet::new();
    let mut desired = Vec::with_capacity(saved.pbxs.len());
    let mut observed = Observed {
        contacts: saved.contacts.clone(),
        observed_at_ms: saved.observed_at_ms,
        ..Observed::default()
    };
    for p in &saved.pbxs {
        let key = (p.product, p.sn.clone());
        if !seen.insert(key.clone()) {
            diffs.push(format!("{} is in the plan twice", p.key()));
            continue;
        }
        let Some(d) = &p.desired else {
            diffs.push(format!(
                "{} has no recorded desired state (a plan of an older entitle?)",
                p.key()
            ));
            continue;
        };
        if d.sn != p.sn || d.product.value != p.product {
            diffs.push(format!(
                "{}: the entry is for {}, its desired state for {}",
                p.key(),
                p.key(),
                d.key()
            ));
        }
        if !crate::plan::fingerprint_matches(&p.observed, &p.fingerprint) {
            diffs.push(format!(
                "{}: the recorded observed state does not match its fingerprint",
                p.key()
            ));
        }
        let orders: Vec<&str> = p.actions.iter().filter_map(|a| a.po_number()).collect();
        if orders.iter().collect::<BTreeSet<_>>().len() != orders.len() {
            diffs.push(format!("{}: a poNumber is repeated", p.key()));
        }
        if let Some(why) = &p.unreadable {
            observed.unreadable.insert(key, why.clone());
            desired.push(d.clone());
            continue;
        }
        observed.pbxs.insert(key.clone(), p.observed.clone());
        observed.in_flight.insert(key.clone(), p.in_flight.clone());
        observed.in_doubt.insert(key.clone(), p.in_doubt.clone());
        observed.recent.insert(key, p.seen_orders.clone());
        desired.push(d.clone());
    }
    // The entries in error: not found in the account when planned. The SNs the account had
    // (for the hint) are not recorded; the hint is no input of the plan ID.
    for e in &saved.errors {
        let key = (e.product, e.sn.clone());
        if !seen.insert(key.clone()) {
            diffs.push(format!("{} is in the plan twice", e.key()));
            continue;
        }
        let Some(d) = &e.desired else {
            diffs.push(format!(
                "the error of {} has no recorded desired state",
                e.key()
            ));
            continue;
        };
        if d.sn != e.sn || d.product.value != e.product {
            diffs.push(format!(
                "{}: the error is for {}, its desired state for {}",
                e.key(),
                e.key(),
                d.key()
            ));
        }
        observed.not_found.insert(key);
        desired.push(d.clone());
    }
    if !diffs.is_empty() {
        return shown(diffs);
    }
    let ctx = PlanContext {
        today: saved.today,
        manifest_hash: saved.manifest_hash.clone(),
        selection: saved.selection.clone(),
        policy: saved.policy.clone(),
        nonce: saved.nonce.clone(),
        account: saved.account.clone(),
    };
    let derived = match plan(
        &desired,
        &observed,
        &Catalogs::from_recorded(&saved.catalogs),
        &ctx,
    ) {
        Ok(p) => p,
        Err(errors) => {
            return shown(
                errors
                    .0
                    .iter()
                    .map(|e| format!("the recorded inputs do not plan: {}: {}", e.pbx, e.message))
                    .collect(),
            );
        }
    };
    let errors = |p: &Plan| -> Vec<String> {
        p.errors
            .iter()
            .map(|e| format!("{} [{}]", e.key(), e.code))
            .collect()
    };
    if errors(saved) != errors(&derived) {
        diffs.push(format!(
            "the plan's errors are [{}]; re-derived, [{}]",
            errors(saved).join(", "),
            errors(&derived).join(", ")
        ));
    }
    if derived.plan_id != saved.plan_id {
        diffs.push(format!(
            "the plan ID {} does not match the plan's content (derived {})",
            saved.plan_id, derived.plan_id
        ));
    }
    for (s, d) in saved.pbxs.iter().zip(&derived.pbxs) {
        if s.actions.len() != d.actions.len() {
            diffs.push(format!(
                "{}: {} recorded, {} derived",
                s.key(),
                crate::words::plural(s.actions.len(), "action", "actions"),
                d.actions.len()
            ));
            continue;
        }
        for (a, b) in s.actions.iter().zip(&d.actions) {
            let what = |a: &super::Action| {
                serde_json::json!({
                    "kind": a.kind,
                    "order": a.order,
                    "autoRenewTarget": a.auto_renew_target,
                })
            };
            let mut paths = Vec::new();
            differences(&what(a), &what(b), String::new(), &mut paths);
            diffs.extend(
                paths
                    .into_iter()
                    .map(|p| format!("{} {}: {p}", s.key(), b.kind)),
            );
        }
    }
    shown(diffs)
}

fn shown(mut diffs: Vec<String>) -> Vec<String> {
    if diffs.len() > MAX_SHOWN {
        let more = diffs.len() - MAX_SHOWN;
        diffs.truncate(MAX_SHOWN);
        diffs.push(format!("… and {more} more"));
    }
    diffs
}

/// Every path where `recorded` and `derived` differ, as `path: recorded in the plan, derived`.
fn differences(recorded: &Value, derived: &Value, path: String, out: &mut Vec<String>) {
    match (recorded, derived) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let null = Value::Null;
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                differences(
                    a.get(k).unwrap_or(&null),
                    b.get(k).unwrap_or(&null),
                    sub,
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a != b => out.push(format!("{path} is {a} in the plan, {b} when re-derived")),
        _ => {}
    }
}
