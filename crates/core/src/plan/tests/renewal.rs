//! Renewals spend only what the manifest wants: the plan, plus the subscribed services the
//! manifest still lists (all of them when it lists none); a dropped service lapses at the term
//! end, and the renewal says so. On the demo Cloud PBX (term ends 2026-12-10, within 30 days of
//! 2026-11-22, High Availability subscribed).

use serde_json::{Value, json};

use super::*;

const PCE: &str = "3658B431119665QJ";

/// The demo Cloud PBX as the umbrella manifest has it, with these services listed.
fn pce(services: Option<Vec<&str>>) -> DesiredPbx {
    let mut d = desired(PCE, 13);
    d.plan = name("Enterprise Plan", 6);
    d.extensions = Some(at(100, 8));
    d.services = services.map(|s| s.into_iter().map(|n| name(n, 10).unwrap()).collect());
    d
}

fn renewal(p: &Plan) -> &Action {
    let renewals: Vec<&Action> = p.pbxs[0]
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::RenewPlan)
        .collect();
    assert_eq!(renewals.len(), 1, "{:#?}", p.pbxs[0].actions);
    renewals[0]
}

/// The `serviceId`s a renewal renews, plan first.
fn renewed(a: &Action) -> Vec<Id> {
    let body = a.order.as_ref().unwrap();
    body.service_list.iter().map(|l| l.service_id).collect()
}

fn changes(a: &Action) -> Vec<(String, Option<String>, String)> {
    a.changes
        .iter()
        .map(|c| (c.field.clone(), c.before.clone(), c.after.clone()))
        .collect()
}

fn change(field: &str, before: &str, after: &str) -> (String, Option<String>, String) {
    (field.into(), Some(before.into()), after.into())
}

const EXPIRES: (&str, &str) = ("2026-12-10", "2027-12-10");

#[test]
fn a_service_the_manifest_drops_is_not_renewed_and_the_renewal_shows_it_lapse() {
    let p = run(pce(Some(vec![]))).unwrap();
    let a = renewal(&p);
    assert_eq!(renewed(a), vec![PCE_ENT], "the plan alone");
    let plan_line = &a.order.as_ref().unwrap().service_list[0];
    assert_eq!(
        plan_line.quantity,
        Some(100),
        "rule 5: the extensions in force"
    );
    assert_eq!(
        a.reason,
        "term ends 2026-12-10, within 30d: renew Enterprise Plan; let High Availability lapse"
    );
    assert_eq!(
        changes(a),
        vec![
            change("expires", EXPIRES.0, EXPIRES.1),
            change(
                "services",
                "High Availability",
                "not renewed: the manifest drops it; it lapses on 2026-12-10"
            ),
        ]
    );
    // Letting it lapse is planned, not a manual to-do.
    assert!(p.pbxs[0].manual.is_empty(), "{:?}", p.pbxs[0].manual);
    // Should the vendor insist on every service, the user knows what happens and what to do.
    let help = renewal_refusal_help(&p.pbxs[0].observed, a).unwrap();
    assert_eq!(p.pbxs[0].notes, vec![help.clone()]);
    assert!(
        help.starts_with("this renewal leaves out High Availability: if the vendor refuses"),
        "{help}"
    );
    assert!(
        help.contains("nothing is bought and the term is not renewed"),
        "{help}"
    );
    assert!(
        help.contains("to keep High Availability, list it under `services:`"),
        "{help}"
    );
}

#[test]
fn a_service_the_manifest_keeps_is_renewed_as_in_seed_004() {
    let p = run(pce(Some(vec!["high availability"]))).unwrap();
    let a = renewal(&p);
    let mut body = serde_json::to_value(a.order.as_ref().unwrap()).unwrap();
    body.as_object_mut().unwrap().remove("poNumber");
    let seed: Value =
        serde_json::from_str(include_str!("../../../../../tests/fixtures/seeds/004.json")).unwrap();
    assert_eq!(body, seed);
    assert_eq!(changes(a), vec![change("expires", EXPIRES.0, EXPIRES.1)]);
    assert!(p.pbxs[0].notes.is_empty() && p.pbxs[0].manual.is_empty());
    assert_eq!(renewal_refusal_help(&p.pbxs[0].observed, a), None);
}

#[test]
fn without_a_services_list_every_subscribed_service_is_renewed() {
    let p = run(pce(None)).unwrap();
    let a = renewal(&p);
    assert_eq!(renewed(a), vec![PCE_ENT, PCE_HA]);
    assert_eq!(
        a.reason,
        "term ends 2026-12-10, within 30d: renew Enterprise Plan + High Availability"
    );
    assert_eq!(a.changes.len(), 1);
}

#[test]
fn only_the_dropped_service_lapses_and_capacity_is_never_dropped_by_a_services_list() {
    // A Software Edition PBX with two services, and a vendor that lists capacity among them.
    let mut o = demo("3651D3296882");
    o.plan.as_mut().unwrap().expires = date("2026-12-01");
    for (id, name) in [
        (HOTEL, "Hotel PMS Integration"),
        (PSE_EXT, "Extension Expansion"),
        (DR, "Disaster Recovery"),
    ] {
        o.services.push(ObservedService {
            id,
            name: name.into(),
            quantity: 1,
            expires: Some(date("2026-12-01")),
        });
    }
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("Hotel PMS Integration", 9).unwrap()]);
    let p = run_with(vec![d], vec![o]).unwrap();
    let a = renewal(&p);
    assert_eq!(renewed(a), vec![PSE_ENT, HOTEL, PSE_EXT]);
    assert_eq!(
        a.reason,
        "term ends 2026-12-01, within 30d: renew Enterprise Plan + Hotel PMS Integration + Extension Expansion; let Disaster Recovery lapse"
    );
    assert_eq!(
        changes(a)[1],
        change(
            "services",
            "Disaster Recovery",
            "not renewed: the manifest drops it; it lapses on 2026-12-01"
        )
    );
    assert!(p.pbxs[0].manual.is_empty());
}

#[test]
fn a_dropped_service_outside_the_renewal_window_stays_a_manual_item() {
    let mut d = pce(Some(vec![]));
    d.renew_before_days = at(7, 2);
    let p = run(d).unwrap();
    assert!(!p.has_changes());
    let m = &p.pbxs[0].manual;
    assert_eq!(m.len(), 1);
    assert_eq!(
        (m[0].field.as_str(), m[0].current.as_str()),
        ("services", "High Availability")
    );
}

#[test]
fn a_renewal_that_keeps_a_billing_cycle_the_manifest_changes_says_so() {
    let mut d = pce(None);
    d.billing_cycle = Some(at(Cycle::Monthly, 7));
    let p = run(d).unwrap();
    let a = renewal(&p);
    assert_eq!(
        changes(a)[1],
        change(
            "billingCycle",
            "annually",
            "annually (the manifest asks monthly; a renewal cannot change the billing cycle, vendor rule 5)"
        )
    );
    // Monthly billing itself still needs the portal.
    assert_eq!(p.pbxs[0].manual[0].field, "billingCycle");
}

#[test]
fn a_renewal_that_keeps_a_term_length_the_manifest_changes_says_so() {
    let mut d = pce(None);
    d.term = Some(at(3, 8));
    let p = run(d).unwrap();
    let a = renewal(&p);
    assert_eq!(
        changes(a)[1],
        change(
            "term",
            "annually, 1 year",
            "annually, 1 year (the manifest asks 3 years; a renewal repeats the current term)"
        )
    );
    assert_eq!(p.pbxs[0].manual[0].field, "term");
}

#[test]
fn renewal_bodies_keep_rule_5_when_services_lapse() {
    let p = run(pce(Some(vec![]))).unwrap();
    let body = serde_json::to_value(renewal(&p).order.as_ref().unwrap()).unwrap();
    assert_eq!(
        body["serviceList"],
        json!([{"serviceType": "plan", "serviceId": PCE_ENT.0, "quantity": 100,
            "purchaseType": "renew", "billingModel": "recurring", "billingCycle": "annually",
            "multiCycle": 0}])
    );
}

#[test]
fn a_renewal_renew_false_holds_back_is_upcoming_never_an_order() {
    let mut d = pce(None);
    d.renew = false;
    let p = run(d.clone()).unwrap();
    let pbx = &p.pbxs[0];
    assert!(pbx.actions.is_empty(), "{:#?}", pbx.actions);
    assert!(!p.has_changes());
    assert_eq!(pbx.upcoming.len(), 1);
    let up = &pbx.upcoming[0];
    assert_eq!(up.kind, ActionKind::RenewPlan);
    assert_eq!(
        up.reason,
        "term ends 2026-12-10, within 30d: renew Enterprise Plan + High Availability; not \
         ordered: `renew: false` (to order it, set `renew: true` for this PBX, \
         manifests/acme.yaml:3:5)"
    );
    assert_eq!(
        renewed(up),
        renewed(renewal(&run(pce(None)).unwrap())),
        "the body it would send, to price"
    );
    assert_eq!(up.po_number(), None, "not an order: no poNumber");

    // Not known well enough to show: nothing is shown, and the PBX is not blocked either.
    let mut o = demo(PCE);
    o.unreported.push("serviceList".into());
    let p = run_with(vec![d], vec![o]).unwrap();
    assert!(p.pbxs[0].upcoming.is_empty());
    assert!(p.pbxs[0].blocked.is_empty(), "{:?}", p.pbxs[0].blocked);
}
