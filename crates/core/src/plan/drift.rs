//! Why a PBX differs from its manifest entry: the account changed outside entitle (drift), the
//! manifest changed since entitle last applied it, a renewal fell due, or the evidence cannot
//! tell. Pure: the engine gathers the evidence ([`History`]: the journal's record of entitle's
//! last apply of each PBX, and the vendor's recent orders with who placed them); this module
//! only weighs it, and says "cannot tell" where it does not decide.
//!
//! The rule behind every finding: right after an apply whose orders for a PBX all succeeded,
//! the PBX had what the manifest entry asked (but for what the plan left to a person). So a
//! difference today on a manifest key that is as entitle applied it was made on the account's
//! side; one on a key the manifest changed since is the manifest's. Without a record of such an
//! apply, only an order in the vendor's list that entitle did not place says the account moved.

use std::collections::BTreeMap;

use crate::date::Date;
use crate::manifest::{CatalogRef, DesiredPbx};
use crate::model::Order;

use super::PbxKey;
use super::model::{ActionKind, DriftCause, DriftFinding, PbxPlan};

/// The evidence of why PBXs differ, gathered by the engine for the planner.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// How far back the vendor's order list was read, in days: the orders below are all there
    /// is of that window, and nothing is known of orders before it.
    pub window_days: u32,
    /// Entitle's last apply of each PBX, from this workspace's journal (or the shared backend).
    pub last_apply: BTreeMap<PbxKey, LastApply>,
    /// The orders of each PBX in the list read, with who placed them.
    pub orders: BTreeMap<PbxKey, Vec<(Order, Origin)>>,
}

/// Entitle's last apply of one PBX, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastApply {
    pub plan_id: String,
    /// When its last order for the PBX was recorded (epoch ms, the vendor's clock).
    pub at_ms: i64,
    /// Every order of it for the PBX succeeded: the PBX then had what the entry asked.
    pub complete: bool,
    /// [`desired_digest`] of the manifest entry it applied; `None` when written by an entitle
    /// that did not record it.
    pub desired: Option<BTreeMap<String, String>>,
    /// Manifest keys that plan left to a person (manual items): not met after it either.
    pub unmet: Vec<String>,
}

/// Who placed an order of the vendor's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// This workspace's entitle (its journal holds it).
    Ours,
    /// Entitle from elsewhere: its reference is an entitle poNumber this journal does not hold.
    OtherEntitle,
    /// Not entitle: it carries another reference, or none while the vendor is seen to echo
    /// poNumbers (entitle always sends one).
    Outside,
    /// No reference, and the vendor is not seen to echo poNumbers: anyone's.
    Unknown,
}

/// Who placed `o`: `ours` says whether this workspace's journal holds it, and `echoes` whether
/// the vendor is seen to echo poNumbers (some order of the list carries an entitle one).
pub fn origin(o: &Order, ours: bool, echoes: bool) -> Origin {
    let reference = o.reference.as_deref().map(str::trim).unwrap_or("");
    if ours {
        Origin::Ours
    } else if super::is_po_number(reference) {
        Origin::OtherEntitle
    } else if !reference.is_empty() || echoes {
        Origin::Outside
    } else {
        Origin::Unknown
    }
}

/// A short digest of each key the manifest entry sets (names case-insensitive, services in any
/// order, locations and labels left out): what the journal records of the entry an apply
/// carried out, so a later plan tells which keys changed since. A key left out is absent.
pub fn desired_digest(d: &DesiredPbx) -> BTreeMap<String, String> {
    let name = |r: &CatalogRef| match r {
        CatalogRef::Name(n) => n.trim().to_lowercase(),
        CatalogRef::Id(id) => format!("id {id}"),
    };
    let mut values: Vec<(&str, String)> = vec![
        ("renew", d.renew.to_string()),
        ("renewBefore", d.renew_before_days.value.to_string()),
    ];
    if let Some(p) = &d.plan {
        values.push(("plan", name(&p.value)));
    }
    if let Some(c) = &d.billing_cycle {
        values.push(("billingCycle", c.value.to_string()));
    }
    if let Some(t) = &d.term {
        values.push(("term", t.value.to_string()));
    }
    if let Some(x) = &d.extensions {
        values.push(("extensions", x.value.to_string()));
    }
    if let Some(x) = &d.concurrent_calls {
        values.push(("concurrentCalls", x.value.to_string()));
    }
    if let Some(list) = &d.services {
        let mut names: Vec<String> = list.iter().map(|s| name(&s.value)).collect();
        names.sort();
        names.dedup();
        values.push(("services", names.join("\n")));
    }
    if let Some(a) = &d.auto_renew {
        values.push(("autoRenew", a.value.to_string()));
    }
    if let Some(c) = &d.billing_contact {
        values.push(("billingContact", c.value.to_string().to_lowercase()));
    }
    values
        .into_iter()
        .map(|(k, v)| {
            let digest = super::sha256_hex(format!("{k}\n{v}").as_bytes());
            (k.to_owned(), digest[..12].to_owned())
        })
        .collect()
}

/// The manifest key behind a field of a plan's change or manual item.
fn key_of(field: &str) -> &str {
    match field {
        "plan" | "term" | "billingCycle" | "extensions" | "concurrentCalls" | "services"
        | "autoRenew" => field,
        // A renewal is the window's (`renewBefore`) and `renew`'s.
        "expires" => "renewBefore",
        other => other,
    }
}

/// The manifest keys `p` leaves to a person (its manual items), as the journal records them.
pub fn unmet(p: &PbxPlan) -> Vec<String> {
    let mut keys: Vec<String> = p
        .manual
        .iter()
        .map(|m| key_of(&m.field).to_owned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Whether the manifest key changed between `then` and `now` (a term and a billing cycle are
/// read together: either says how long a term is; a renewal is the window's and `renew`'s).
fn changed(key: &str, then: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> bool {
    let moved = |k: &str| then.get(k) != now.get(k);
    match key {
        "term" | "billingCycle" => moved("term") || moved("billingCycle"),
        "renewBefore" => moved("renewBefore") || moved("renew"),
        other => moved(other),
    }
}

/// A renewal's reason without what it orders ("term ends 2026-12-10, within 30d").
fn renewal_words(reason: &str) -> String {
    reason.split(": ").next().unwrap_or(reason).to_owned()
}

fn order_words(o: &Order) -> String {
    format!(
        "order {} ({}, {})",
        o.order_no,
        o.operation_type,
        Date::from_epoch_ms(o.created_ms)
    )
}

/// Why `p` (planned from `d`) differs from its manifest entry, by the evidence `h`; empty when
/// it needs nothing, when nothing is known of it (not read, or held by an order), or when no
/// evidence was gathered (`h` is `None`: a saved plan re-derived, a forecast).
pub fn findings(p: &PbxPlan, d: &DesiredPbx, h: Option<&History>) -> Vec<DriftFinding> {
    let Some(h) = h else { return Vec::new() };
    if p.actions.is_empty() && p.manual.is_empty() {
        return Vec::new();
    }
    let key = (p.product, p.sn.clone());
    let last = h.last_apply.get(&key);
    let since_ms = last.map_or(i64::MIN, |l| l.at_ms);
    let orders: Vec<&(Order, Origin)> = h
        .orders
        .get(&key)
        .map(|v| v.iter().filter(|(o, _)| o.created_ms > since_ms).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    let finding = |cause, detail: String| DriftFinding { cause, detail };

    // What the order list shows, whatever the journal says.
    for (o, origin) in &orders {
        match origin {
            Origin::Outside => out.push(finding(
                DriftCause::Outside,
                format!("{} was not placed by entitle", order_words(o)),
            )),
            Origin::Unknown => out.push(finding(
                DriftCause::Unknown,
                format!(
                    "{} carries no poNumber and the vendor is not seen to echo them, so it may be entitle's",
                    order_words(o)
                ),
            )),
            Origin::OtherEntitle => out.push(finding(
                DriftCause::Unknown,
                format!(
                    "{} was placed by entitle from another workspace",
                    order_words(o)
                ),
            )),
            Origin::Ours => {}
        }
    }

    // The keys behind each difference, and whether it is a renewal falling due.
    let mut causes: Vec<(&str, bool)> = Vec::new();
    for a in &p.actions {
        if a.kind == ActionKind::RenewPlan {
            causes.push(("renewBefore", false));
            continue;
        }
        for c in &a.changes {
            causes.push((key_of(&c.field), false));
        }
    }
    for m in &p.manual {
        causes.push((key_of(&m.field), true));
    }
    let renewal = p.actions.iter().find(|a| a.kind == ActionKind::RenewPlan);
    let now = desired_digest(d);
    let last_date = last.map(|l| Date::from_epoch_ms(l.at_ms));
    match last {
        Some(l) if l.complete && l.desired.is_some() => {
            let then = l.desired.as_ref().expect("checked");
            let mut by_manifest: Vec<&str> = Vec::new();
            let mut by_account: Vec<&str> = Vec::new();
            let mut due = false;
            for (key, manual) in causes {
                if changed(key, then, &now) {
                    by_manifest.push(key);
                } else if key == "renewBefore" && !manual {
                    due = true;
                } else if manual && l.unmet.iter().any(|u| u == key) {
                    // Left to a person by that apply too: nothing moved.
                } else {
                    by_account.push(key);
                }
            }
            by_manifest.sort();
            by_manifest.dedup();
            by_account.sort();
            by_account.dedup();
            let date = last_date.expect("a last apply");
            if !by_manifest.is_empty() {
                out.push(finding(
                    DriftCause::Manifest,
                    format!(
                        "since entitle's last apply ({date}): {}",
                        by_manifest.join(", ")
                    ),
                ));
            }
            let named = out
                .iter()
                .any(|f| f.cause == DriftCause::Outside || f.cause == DriftCause::Unknown);
            if !by_account.is_empty() && !named {
                out.push(finding(
                    DriftCause::Outside,
                    format!(
                        "{} not as entitle's last apply ({date}) left {}, and entitle ordered nothing since",
                        by_account.join(", "),
                        if by_account.len() == 1 { "it" } else { "them" }
                    ),
                ));
            }
            if due && let Some(a) = renewal {
                out.push(finding(DriftCause::RenewalDue, renewal_words(&a.reason)));
            }
        }
        _ => {
            if let Some(a) = renewal {
                out.push(finding(DriftCause::RenewalDue, renewal_words(&a.reason)));
            }
            let other = causes.iter().any(|(k, _)| *k != "renewBefore");
            if other && out.iter().all(|f| f.cause == DriftCause::RenewalDue) {
                let why = match (last, last_date) {
                    (Some(l), Some(date)) if !l.complete => format!(
                        "entitle's last apply of this PBX ({date}) did not complete, and no order outside entitle in the last {} days",
                        h.window_days
                    ),
                    (Some(_), Some(date)) => format!(
                        "entitle's last apply of this PBX ({date}) did not record its manifest entry, and no order outside entitle in the last {} days",
                        h.window_days
                    ),
                    _ => format!(
                        "no record of an entitle apply of this PBX, and no order outside entitle in the last {} days",
                        h.window_days
                    ),
                };
                out.push(finding(DriftCause::Unknown, why));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Id, OrderStatus, ProductId};
    use crate::plan::{Action, Change, ManualItem};
    use crate::testing::{self, at};

    const SN: &str = "SN1";
    /// 2026-11-20T00:00:00Z, entitle's last apply.
    const APPLIED_MS: i64 = 1_795_132_800_000;
    const DAY_MS: i64 = 86_400_000;

    fn entry(extensions: u32) -> DesiredPbx {
        DesiredPbx {
            plan: Some(at(CatalogRef::Name("Enterprise Plan".into()), 5)),
            extensions: Some(at(extensions, 6)),
            ..testing::desired(SN, 12)
        }
    }

    fn key() -> PbxKey {
        (ProductId(12), SN.to_owned())
    }

    fn change(kind: ActionKind, field: &str) -> Action {
        Action {
            changes: vec![Change {
                field: field.into(),
                before: Some("a".into()),
                after: "b".into(),
            }],
            reason: "term ends 2026-12-10, within 30d: renew Enterprise Plan".into(),
            ..testing::action(kind, None)
        }
    }

    fn planned(actions: Vec<Action>) -> PbxPlan {
        testing::pbx_plan(testing::observed(SN, 12), actions)
    }

    fn applied(d: &DesiredPbx, complete: bool) -> LastApply {
        LastApply {
            plan_id: "plan-1".into(),
            at_ms: APPLIED_MS,
            complete,
            desired: Some(desired_digest(d)),
            unmet: vec![],
        }
    }

    fn order(no: &str, reference: Option<&str>, created_ms: i64) -> Order {
        Order {
            id: Id(1),
            order_no: no.into(),
            status: OrderStatus::Succeed,
            created_ms,
            product: ProductId(12),
            sn: SN.into(),
            operation_type: "switch_plan".into(),
            reference: reference.map(Into::into),
            total_amount: "1.00".into(),
            currency: "USD".into(),
        }
    }

    fn history(last: Option<LastApply>, orders: Vec<(Order, Origin)>) -> History {
        History {
            window_days: 30,
            last_apply: last.into_iter().map(|l| (key(), l)).collect(),
            orders: [(key(), orders)].into(),
        }
    }

    fn said(p: &PbxPlan, d: &DesiredPbx, h: &History) -> Vec<String> {
        findings(p, d, Some(h))
            .iter()
            .map(DriftFinding::describe)
            .collect()
    }

    #[test]
    fn a_manifest_changed_since_the_last_apply_is_named_with_its_keys() {
        let p = planned(vec![change(ActionKind::PurchaseService, "extensions")]);
        let h = history(Some(applied(&entry(300), true)), vec![]);
        assert_eq!(
            said(&p, &entry(400), &h),
            ["the manifest changed since entitle's last apply (2026-11-20): extensions"]
        );
    }

    #[test]
    fn an_order_outside_entitle_is_drift_named_by_the_order() {
        let p = planned(vec![change(ActionKind::SwitchPlan, "plan")]);
        let portal = order("UO7", None, APPLIED_MS + DAY_MS);
        let h = history(
            Some(applied(&entry(300), true)),
            vec![(portal, Origin::Outside)],
        );
        assert_eq!(
            said(&p, &entry(300), &h),
            [
                "drift: changed outside entitle: order UO7 (switch_plan, 2026-11-21) was not placed by entitle"
            ]
        );
        // Before entitle's last apply, the order is what that apply worked from: not why it
        // differs now, and the keys as applied say the account moved since.
        let h = history(
            Some(applied(&entry(300), true)),
            vec![(order("UO6", None, APPLIED_MS - DAY_MS), Origin::Outside)],
        );
        assert_eq!(
            said(&p, &entry(300), &h),
            [
                "drift: changed outside entitle: plan not as entitle's last apply (2026-11-20) left it, and entitle ordered nothing since"
            ]
        );
    }

    #[test]
    fn both_hold_at_once_and_both_are_said() {
        let p = planned(vec![
            change(ActionKind::SwitchPlan, "plan"),
            change(ActionKind::PurchaseService, "extensions"),
        ]);
        let h = history(Some(applied(&entry(300), true)), vec![]);
        assert_eq!(
            said(&p, &entry(400), &h),
            [
                "the manifest changed since entitle's last apply (2026-11-20): extensions",
                "drift: changed outside entitle: plan not as entitle's last apply (2026-11-20) left it, and entitle ordered nothing since",
            ]
        );
    }

    #[test]
    fn a_renewal_falling_due_is_time_not_a_change() {
        let p = planned(vec![change(ActionKind::RenewPlan, "expires")]);
        let h = history(Some(applied(&entry(300), true)), vec![]);
        assert_eq!(
            said(&p, &entry(300), &h),
            ["a renewal fell due: term ends 2026-12-10, within 30d"]
        );
        // Without any record it is still time that made it due.
        let h = history(None, vec![]);
        assert_eq!(
            said(&p, &entry(300), &h),
            ["a renewal fell due: term ends 2026-12-10, within 30d"]
        );
        // A window the manifest widened since is the manifest's.
        let mut wider = entry(300);
        wider.renew_before_days.value = 90;
        let h = history(Some(applied(&entry(300), true)), vec![]);
        assert_eq!(
            said(&p, &wider, &h),
            ["the manifest changed since entitle's last apply (2026-11-20): renewBefore"]
        );
    }

    #[test]
    fn without_evidence_it_cannot_tell_and_says_why() {
        let p = planned(vec![change(ActionKind::PurchaseService, "extensions")]);
        assert_eq!(
            said(&p, &entry(300), &history(None, vec![])),
            [
                "cannot tell whether the account or the manifest changed: no record of an entitle apply of this PBX, and no order outside entitle in the last 30 days"
            ]
        );
        let h = history(Some(applied(&entry(300), false)), vec![]);
        assert_eq!(
            said(&p, &entry(300), &h),
            [
                "cannot tell whether the account or the manifest changed: entitle's last apply of this PBX (2026-11-20) did not complete, and no order outside entitle in the last 30 days"
            ]
        );
        // An order with no reference, from a vendor not seen to echo them: maybe entitle's.
        let h = history(
            None,
            vec![(order("UO8", None, APPLIED_MS), Origin::Unknown)],
        );
        assert_eq!(
            said(&p, &entry(300), &h),
            [
                "cannot tell whether the account or the manifest changed: order UO8 (switch_plan, 2026-11-20) carries no poNumber and the vendor is not seen to echo them, so it may be entitle's"
            ]
        );
    }

    #[test]
    fn a_manual_item_that_apply_left_too_is_not_drift() {
        let mut p = planned(vec![]);
        p.manual.push(ManualItem {
            field: "autoRenew".into(),
            current: "true".into(),
            wanted: "false".into(),
            reason: "the API cannot disable auto-renewal".into(),
        });
        let mut d = entry(300);
        d.auto_renew = Some(at(false, 9));
        let mut last = applied(&d, true);
        last.unmet = unmet(&p);
        assert!(said(&p, &d, &history(Some(last), vec![])).is_empty());
        // Met after the apply, unmet now: the account moved.
        let h = history(Some(applied(&d, true)), vec![]);
        assert_eq!(
            said(&p, &d, &h),
            [
                "drift: changed outside entitle: autoRenew not as entitle's last apply (2026-11-20) left it, and entitle ordered nothing since"
            ]
        );
    }

    #[test]
    fn a_pbx_that_needs_nothing_or_a_plan_without_evidence_says_nothing() {
        let h = history(None, vec![]);
        assert!(findings(&planned(vec![]), &entry(300), Some(&h)).is_empty());
        let p = planned(vec![change(ActionKind::PurchaseService, "extensions")]);
        assert!(findings(&p, &entry(300), None).is_empty());
    }

    #[test]
    fn who_placed_an_order() {
        let o = |r: Option<&str>| order("UO1", r, 0);
        let ent = Some("ent-0123456789abcdef");
        assert_eq!(origin(&o(ent), true, true), Origin::Ours);
        assert_eq!(origin(&o(ent), false, true), Origin::OtherEntitle);
        assert_eq!(origin(&o(Some("PO-77")), false, false), Origin::Outside);
        assert_eq!(origin(&o(None), false, true), Origin::Outside);
        assert_eq!(origin(&o(Some(" ")), false, false), Origin::Unknown);
        assert_eq!(origin(&o(None), false, false), Origin::Unknown);
        assert!(!crate::plan::is_po_number("ent-xyz"));
    }

    #[test]
    fn the_digest_ignores_where_and_how_a_key_is_written() {
        let mut a = entry(300);
        a.services = Some(vec![
            at(CatalogRef::Name("Hotel PMS Integration".into()), 7),
            at(CatalogRef::Name("High Availability".into()), 8),
        ]);
        let mut b = a.clone();
        b.plan = Some(at(CatalogRef::Name("enterprise plan".into()), 15));
        b.services = Some(vec![
            at(CatalogRef::Name("high availability".into()), 17),
            at(CatalogRef::Name("Hotel PMS Integration".into()), 18),
        ]);
        b.labels.insert("site".into(), "hq".into());
        assert_eq!(desired_digest(&a), desired_digest(&b));
        b.extensions = None;
        let (da, db) = (desired_digest(&a), desired_digest(&b));
        assert!(da.contains_key("extensions") && !db.contains_key("extensions"));
    }
}
