//! Planner unit tests: every action, rule and combination, on the demo account of
//! vendor-api section 7. Order bodies are compared with the seed tutorials field by field.

use serde_json::{Value, json};

use super::*;
use crate::manifest::{CatalogRef, ContactRef, DesiredPbx};
use crate::model::*;
use crate::testing::demo::*;
use crate::testing::{self, at, date, observed, subscribed_plan};

mod renewal;
mod requirements;

/// The order bodies of a plan, `poNumber` removed (it is checked on its own).
fn bodies(p: &Plan) -> Vec<Value> {
    p.pbxs
        .iter()
        .flat_map(|x| &x.actions)
        .filter_map(|a| a.order.as_ref())
        .map(|b| {
            assert!(
                b.po_number
                    .as_deref()
                    .is_some_and(|n| n.starts_with("ent-"))
            );
            let mut v = serde_json::to_value(b).unwrap();
            v.as_object_mut().unwrap().remove("poNumber");
            v
        })
        .collect()
}

fn kinds(p: &Plan) -> Vec<ActionKind> {
    p.pbxs
        .iter()
        .flat_map(|x| &x.actions)
        .map(|a| a.kind)
        .collect()
}

fn only_error(r: Result<Plan, PlanErrors>) -> PlanError {
    let errs = r.expect_err("plan should fail").0;
    assert_eq!(errs.len(), 1, "{errs:?}");
    errs.into_iter().next().unwrap()
}

/// The error as printed, after checking it says its rule once: the message says what was
/// asked, the rule's sentence why it is refused, and no part of that sentence comes twice.
fn says_its_rule_once(e: &PlanError) -> String {
    let text = e.to_string();
    let rule = e.rule.expect("a rule").explanation().to_lowercase();
    for part in rule.split("; ") {
        assert_eq!(text.to_lowercase().matches(part).count(), 1, "{text}");
    }
    text
}

// The five seed tutorials.

#[test]
fn seed_000_subscribes_hotel_pms() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("hotel pms integration", 9).unwrap()]);
    let p = run(d).unwrap();
    assert_eq!(
        bodies(&p),
        vec![json!({
            "operationType": "purchase_service", "productNo": "3651D3296882", "productId": 12,
            "billingId": 3197218168379846218u64,
            "serviceList": [{"connectionPlanId": 3049040650094403584u64, "serviceId": 3115983610256539648u64,
                "serviceType": "service", "purchaseType": "purchase", "billingModel": "recurring",
                "billingCycle": "annually", "multiCycle": 0}]
        })]
    );
}

#[test]
fn seed_001_expands_200_extensions() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let p = run(d).unwrap();
    assert_eq!(
        bodies(&p),
        vec![json!({
            "operationType": "purchase_service", "productId": 12, "productNo": "3651D3296882",
            "billingId": 3197218168379846218u64,
            "serviceList": [{"connectionPlanId": 3049040650094403584u64, "serviceType": "service",
                "serviceId": 3049060579827040256u64, "quantity": 200, "purchaseType": "purchase",
                "billingModel": "recurring", "billingCycle": "annually"}]
        })]
    );
    let change = &p.pbxs[0].actions[0].changes[0];
    assert_eq!(
        (change.before.as_deref(), change.after.as_str()),
        (Some("100"), "300")
    );
}

#[test]
fn seed_002_switches_monthly_enterprise_to_one_year_ultimate() {
    let mut d = desired("3631E0997265", 11);
    d.plan = name("Ultimate Plan", 6);
    d.billing_cycle = Some(at(Cycle::Annually, 7));
    d.term = Some(at(1, 8));
    let p = run(d).unwrap();
    // The term ends within 30 days too, but the switch starts a new term: no renewal.
    assert_eq!(kinds(&p), vec![ActionKind::SwitchPlan]);
    assert_eq!(
        bodies(&p),
        vec![json!({
            "operationType": "switch_plan", "productId": 11, "productNo": "3631E0997265",
            "billingId": 3197218168379846218u64,
            "serviceList": [{"serviceType": "plan", "serviceId": 3048560606464323584u64,
                "purchaseType": "switch", "billingModel": "recurring", "billingCycle": "annually",
                "multiCycle": 1}]
        })]
    );
    assert_eq!(p.pbxs[0].actions[0].effective, Effective::Now);
}

#[test]
fn seed_003_purchases_linkus_for_one_year() {
    let mut d = desired("369471667338", 9);
    d.plan = name("Linkus Cloud Service", 6);
    d.term = Some(at(1, 8));
    let p = run(d).unwrap();
    assert_eq!(
        bodies(&p),
        vec![json!({
            "operationType": "purchase_plan", "productId": 9, "productNo": "369471667338",
            "billingId": 3197218168379846218u64,
            "serviceList": [{"serviceType": "plan", "serviceId": 3048918321840570368u64,
                "purchaseType": "purchase", "billingModel": "recurring", "billingCycle": "annually",
                "multiCycle": 1}]
        })]
    );
}

#[test]
fn seed_004_renews_pce_with_high_availability() {
    let mut d = desired("3658B431119665QJ", 13);
    d.plan = name("Enterprise Plan", 6);
    d.extensions = Some(at(100, 8));
    d.services = Some(vec![name("High Availability", 10).unwrap()]);
    let p = run(d).unwrap();
    assert_eq!(
        bodies(&p),
        vec![json!({
            "operationType": "renew_plan", "productId": 13, "productNo": "3658B431119665QJ",
            "billingId": 3197218168379846218u64,
            "serviceList": [
                {"serviceType": "plan", "serviceId": 3048571730026938368u64, "quantity": 100,
                 "purchaseType": "renew", "billingModel": "recurring", "billingCycle": "annually", "multiCycle": 0},
                {"connectionPlanId": 3048571730026938368u64, "serviceType": "service",
                 "serviceId": 3048573935752720384u64, "purchaseType": "renew", "billingCycle": "annually", "multiCycle": 0}
            ]
        })]
    );
    let a = &p.pbxs[0].actions[0];
    assert_eq!(
        a.reason,
        "term ends 2026-12-10, within 30d: renew Enterprise Plan + High Availability"
    );
    assert_eq!(a.changes[0].after, "2027-12-10");
}

// Combinations and ordering.

#[test]
fn service_and_capacity_merge_into_one_order_in_dependency_order() {
    let mut d = desired("3651D3296882", 12);
    d.plan = name("Ultimate Plan", 6);
    d.extensions = Some(at(150, 8));
    d.concurrent_calls = Some(at(40, 9));
    d.services = Some(vec![
        name("Hotel PMS Integration", 10).unwrap(),
        name("Disaster Recovery", 11).unwrap(),
    ]);
    d.auto_renew = Some(at(true, 12));
    let mut o = demo("3651D3296882");
    o.auto_renew = Some(false);
    o.plan.as_mut().unwrap().expires = date("2026-12-01");
    let p = run_with(vec![d], vec![o]).unwrap();
    // The switch starts first; renewal waits for the next run; auto-renew goes last.
    assert_eq!(
        kinds(&p),
        vec![
            ActionKind::SwitchPlan,
            ActionKind::PurchaseService,
            ActionKind::EnableAutoRenew
        ]
    );
    let b = bodies(&p);
    let lines = b[1]["serviceList"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    // Services hang on the plan in force after the upgrade.
    assert!(
        lines
            .iter()
            .all(|l| l["connectionPlanId"] == json!(PSE_ULT.0))
    );
    assert_eq!(lines[0]["quantity"], json!(50));
    assert_eq!(lines[1]["quantity"], json!(10));
    assert_eq!(p.pbxs[0].actions[2].auto_renew_target, Some(PSE_ULT));
    let pos: Vec<_> = p.pbxs[0]
        .actions
        .iter()
        .filter_map(|a| a.po_number())
        .collect();
    assert_eq!(pos.len(), 2);
    assert_ne!(pos[0], pos[1]);
}

#[test]
fn renewal_includes_services_bought_in_the_same_run_and_the_new_extension_count() {
    let mut d = desired("3658B431119665QJ", 13);
    d.extensions = Some(at(120, 8));
    let p = run(d).unwrap();
    assert_eq!(
        kinds(&p),
        vec![ActionKind::PurchaseService, ActionKind::RenewPlan]
    );
    let b = bodies(&p);
    assert_eq!(b[1]["serviceList"][0]["quantity"], json!(120));
}

#[test]
fn a_per_extension_service_bought_with_more_extensions_comes_after_the_expansion() {
    // Whether the vendor counts an expansion of the same order in High Availability's
    // quantity is not known: its own order after the expansion is right either way.
    let mut d = desired("3658B431119665QJ", 13);
    d.extensions = Some(at(120, 8));
    d.services = Some(vec![name("High Availability", 9).unwrap()]);
    let mut o = demo("3658B431119665QJ");
    o.services.clear();
    o.plan.as_mut().unwrap().expires = date("2027-06-01");
    let p = run_with(vec![d.clone()], vec![o.clone()]).unwrap();
    assert_eq!(
        kinds(&p),
        vec![ActionKind::PurchaseService, ActionKind::PurchaseService]
    );
    let b = bodies(&p);
    assert_eq!(b[0]["serviceList"].as_array().unwrap().len(), 1);
    assert_eq!(
        b[0]["serviceList"][0]["quantity"],
        json!(20),
        "the expansion"
    );
    assert_eq!(b[1]["serviceList"].as_array().unwrap().len(), 1);
    assert_eq!(
        b[1]["serviceList"][0]["quantity"],
        json!(120),
        "High Availability counts the extensions in force after the expansion"
    );

    // Without an expansion it is one order, counting today's extensions.
    d.extensions = None;
    let p = run_with(vec![d], vec![o]).unwrap();
    assert_eq!(kinds(&p), vec![ActionKind::PurchaseService]);
    assert_eq!(bodies(&p)[0]["serviceList"][0]["quantity"], json!(100));
}

#[test]
fn downgrade_is_switched_at_expiry_and_services_stay_on_the_current_plan() {
    let mut d = desired("3631E0997265", 11);
    d.plan = name("Standard Plan", 6);
    let mut o = demo("3631E0997265");
    o.plan.as_mut().unwrap().expires = date("2027-06-01");
    let p = run_with(vec![d], vec![o]).unwrap();
    let a = &p.pbxs[0].actions[0];
    assert_eq!(a.kind, ActionKind::SwitchPlan);
    assert_eq!(
        a.effective,
        Effective::AtExpiry {
            date: date("2027-06-01")
        }
    );
    assert!(
        a.reason
            .contains("downgrade Enterprise Plan → Standard Plan"),
        "{}",
        a.reason
    );
    assert_eq!(
        a.order.as_ref().unwrap().service_list[0].multi_cycle,
        Some(0),
        "monthly switch keeps multiCycle 0"
    );
}

#[test]
fn upgrade_keeps_a_multi_year_term() {
    let mut d = desired("3651D3296882", 12);
    d.plan = name("Ultimate Plan", 6);
    let mut o = demo("3651D3296882");
    o.plan.as_mut().unwrap().multi_cycle = 3;
    let p = run_with(vec![d.clone()], vec![o.clone()]).unwrap();
    assert_eq!(bodies(&p)[0]["serviceList"][0]["multiCycle"], json!(3));

    d.term = Some(at(1, 8));
    let e = only_error(run_with(vec![d], vec![o]));
    assert_eq!(e.rule, Some(Rule::SwitchKeepsTheTerm));
    assert_eq!(e.at.line, 8);
    assert_eq!(
        says_its_rule_once(&e),
        "manifests/acme.yaml:8:5: 3651D3296882 (software-edition): the current term is 3 years; 1 year asked (vendor rule 4: switching to a higher plan keeps the current term; a lower plan takes effect when the term ends)\n  help: set `term: 3` or remove it"
    );
}

#[test]
fn a_pending_order_blocks_everything_for_that_pbx() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let obs = Observed {
        pbxs: [((ProductId(12), "3651D3296882".into()), demo("3651D3296882"))].into(),
        contacts: Some(contacts()),
        in_flight: [(
            (ProductId(12), "3651D3296882".to_owned()),
            vec![Order {
                id: Id(1),
                order_no: "UO1".into(),
                status: OrderStatus::Pending,
                created_ms: 0,
                product: ProductId(12),
                sn: "3651D3296882".into(),
                operation_type: "purchase_service".into(),
                reference: Some("ent-x".into()),
                total_amount: "1.00".into(),
                currency: "USD".into(),
            }],
        )]
        .into(),
        ..Observed::default()
    };
    let p = plan(&[d], &obs, &catalogs(), &ctx()).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert_eq!(p.pbxs[0].in_flight.len(), 1);
    assert!(p.pbxs[0].notes[0].contains("UO1 purchase_service pending"));
}

#[test]
fn nothing_to_do_when_desired_matches() {
    let mut d = desired("3651D3296882", 12);
    d.plan = name("enterprise plan", 6);
    d.billing_cycle = Some(at(Cycle::Annually, 7));
    d.term = Some(at(1, 8));
    d.extensions = Some(at(100, 9));
    d.concurrent_calls = Some(at(30, 10));
    let o = demo("3651D3296882");
    let r = requirements([(&d, &o)], today());
    assert_eq!(r, Requirements::default(), "no catalog, no contacts");
    let p = run(d).unwrap();
    assert!(!p.has_changes());
    assert!(p.pbxs[0].manual.is_empty());
}

#[test]
fn requirements_ask_for_what_an_order_needs() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("Hotel PMS Integration", 9).unwrap()]);
    let o = demo("3651D3296882");
    let r = requirements([(&d, &o)], today());
    assert!(r.contacts);
    assert_eq!(r.catalogs, [(ProductId(12), None)].into());

    let mut d = desired("369471667338", 9);
    d.plan = name("Linkus Cloud Service", 6);
    let o = demo("369471667338");
    let r = requirements([(&d, &o)], today());
    assert_eq!(
        r.catalogs,
        [(ProductId(9), Some("369471667338".into()))].into()
    );

    // A renewal needs contacts but no catalog.
    let d = desired("3658B431119665QJ", 13);
    let o = demo("3658B431119665QJ");
    let r = requirements([(&d, &o)], today());
    assert!(r.contacts && r.catalogs.is_empty());
}

#[test]
fn renew_false_and_windows_are_honoured() {
    let mut d = desired("3658B431119665QJ", 13);
    d.renew = false;
    let p = run(d.clone()).unwrap();
    assert!(!p.has_changes());
    assert_eq!(p.pbxs[0].upcoming.len(), 1, "shown, not ordered");

    d.renew = true;
    d.renew_before_days = at(7, 2);
    assert!(!run(d).unwrap().has_changes(), "18 days left, 7-day window");
}

// Rules and resolution errors.

#[test]
fn disaster_recovery_needs_ultimate_plan() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("Disaster Recovery", 9).unwrap()]);
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::ServiceRequiresPlan));
    assert_eq!(e.at.line, 9);
    assert_eq!(
        e.message,
        "Disaster Recovery requires Ultimate Plan, but the plan in force would be Enterprise Plan"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("set `plan: Ultimate Plan` or remove `Disaster Recovery`")
    );
    assert!(
        says_its_rule_once(&e)
            .starts_with("manifests/acme.yaml:9:5: 3651D3296882 (software-edition): ")
    );
}

#[test]
fn misspelt_service_and_plan_suggest_the_real_name() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("Hotel PMS Integraton", 9).unwrap()]);
    let e = only_error(run(d));
    assert_eq!(
        e.message,
        "unknown service `Hotel PMS Integraton` for P-Series Software Edition"
    );
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `Hotel PMS Integration`?")
    );

    let mut d = desired("3631E0997265", 11);
    d.plan = name("Ultimat Plan", 6);
    let e = only_error(run(d));
    assert_eq!(e.help.as_deref(), Some("did you mean `Ultimate Plan`?"));
    assert_eq!(e.at.line, 6);
}

#[test]
fn capacity_never_shrinks_and_pce_stays_within_bounds() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(50, 8));
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::CapacityNeverShrinks));
    assert_eq!(
        says_its_rule_once(&e),
        "manifests/acme.yaml:8:5: 3651D3296882 (software-edition): 50 extensions asked but 100 are in force (vendor rule 9: capacity never shrinks through an order)\n  help: set `extensions: 100` (or more); reducing capacity is done in the partner portal"
    );

    let mut d = desired("3658B431119665QJ", 13);
    d.extensions = Some(at(600, 8));
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::CloudPbxExtensions));
    assert_eq!(
        says_its_rule_once(&e),
        "manifests/acme.yaml:8:5: 3658B431119665QJ (cloud-pbx): 600 extensions asked (vendor rule 6: a Cloud PBX holds between 5 and 500 extensions in total)"
    );
}

#[test]
fn services_without_any_plan_are_refused() {
    let mut d = desired("369471667338", 9);
    d.extensions = Some(at(20, 8));
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::ServicesHangOnThePlan));
    assert_eq!(
        says_its_rule_once(&e),
        "manifests/acme.yaml:8:5: 369471667338 (linkus): services or capacity asked, but this PBX has no active plan (vendor rule 1: services and capacity are bought on the PBX's current plan (connectionPlanId))\n  help: declare the `plan` to purchase for it"
    );
}

#[test]
fn unknown_billing_contact_is_refused_with_a_suggestion() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    d.billing_contact = Some(at(ContactRef::Email("biling@example.com".into()), 1));
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::AccountReferences));
    says_its_rule_once(&e);
    assert_eq!(
        e.help.as_deref(),
        Some("did you mean `billing@example.com`?")
    );
}

#[test]
fn cycle_not_sold_is_refused() {
    let mut d = desired("369471667338", 9);
    d.plan = name("Linkus Cloud Service", 6);
    d.billing_cycle = Some(at(Cycle::Monthly, 7));
    let e = only_error(run(d));
    assert_eq!(e.rule, Some(Rule::BillingTerm));
    says_its_rule_once(&e);
    assert_eq!(e.help.as_deref(), Some("use `billingCycle: annually`"));
}

#[test]
fn capacity_names_in_services_point_to_the_capacity_fields() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![name("Extension Expansion", 9).unwrap()]);
    let e = only_error(run(d));
    assert_eq!(
        e.help.as_deref(),
        Some("declare the total wanted with `extensions:` instead")
    );
}

#[test]
fn errors_of_several_pbxs_are_all_reported() {
    let mut a = desired("3651D3296882", 12);
    a.services = Some(vec![name("Disaster Recovery", 9).unwrap()]);
    let mut b = desired("3631E0997265", 11);
    b.plan = name("Gold Plan", 6);
    let errs = run_with(vec![a, b], vec![demo("3651D3296882"), demo("3631E0997265")])
        .unwrap_err()
        .0;
    assert_eq!(errs.len(), 2);
}

// What the API cannot do.

#[test]
fn manual_items_for_what_the_api_cannot_do() {
    let mut d = desired("3658B431119665QJ", 13);
    d.services = Some(vec![]);
    d.auto_renew = Some(at(false, 11));
    d.term = Some(at(3, 8));
    d.renew = false;
    let mut o = demo("3658B431119665QJ");
    o.auto_renew = Some(true);
    let p = run_with(vec![d], vec![o]).unwrap();
    let fields: Vec<_> = p.pbxs[0].manual.iter().map(|m| m.field.as_str()).collect();
    assert_eq!(fields, vec!["term", "services", "autoRenew"]);
    assert!(!p.has_changes());
}

#[test]
fn annual_to_monthly_is_manual() {
    let mut d = desired("3658B431119665QJ", 13);
    d.billing_cycle = Some(at(Cycle::Monthly, 7));
    d.renew = false;
    let p = run(d).unwrap();
    assert!(!p.has_changes());
    assert_eq!(p.pbxs[0].manual[0].field, "billingCycle");
}

#[test]
fn a_pending_downgrade_is_shown_not_repeated() {
    let mut d = desired("3631E0997265", 11);
    d.plan = name("Standard Plan", 6);
    let mut o = demo("3631E0997265");
    o.plan = Some(subscribed_plan(
        APP_STD,
        "Standard Plan",
        Cycle::Monthly,
        0,
        "2026-12-20",
    ));
    o.pending_switch = Some(PendingSwitch {
        in_force_id: Some(APP_ENT),
        in_force: APP_ENT.to_string(),
        until: Some(date("2026-12-20")),
    });
    let p = run_with(vec![d], vec![o]).unwrap();
    assert!(!p.has_changes());
    assert_eq!(
        p.pbxs[0].notes,
        vec!["switch from Enterprise Plan to Standard Plan pending, in force on 2026-12-20"]
    );
}

#[test]
fn purchase_then_services_hang_on_the_new_plan() {
    let mut d = desired("369471667338", 9);
    d.plan = name("Linkus Cloud Service Pro", 6);
    d.auto_renew = Some(at(true, 9));
    let mut o = demo("369471667338");
    o.auto_renew = Some(false);
    let p = run_with(vec![d], vec![o]).unwrap();
    assert_eq!(
        kinds(&p),
        vec![ActionKind::PurchasePlan, ActionKind::EnableAutoRenew]
    );
    assert_eq!(p.pbxs[0].actions[1].auto_renew_target, Some(LINKUS_PRO));
}

#[test]
fn po_numbers_depend_on_the_state_and_the_change_never_on_the_run() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let a = run(d.clone()).unwrap();
    let po = |p: &Plan| p.pbxs[0].actions[0].po_number().unwrap().to_owned();
    // Another run (another workspace) planning the same change from the same state: the same
    // poNumber, so each finds the other's order as its own; but another plan ID.
    let mut c = ctx();
    c.nonce = "another run".into();
    let observed = |o: ObservedPbx| Observed {
        pbxs: [((ProductId(12), "3651D3296882".into()), o)].into(),
        contacts: Some(contacts()),
        ..Observed::default()
    };
    let other = plan(
        &[d.clone()],
        &observed(demo("3651D3296882")),
        &catalogs(),
        &c,
    )
    .unwrap();
    assert_eq!(po(&a), po(&other));
    assert_ne!(a.plan_id, other.plan_id);
    // Another change, or the same change from another state: another poNumber.
    let mut more = d.clone();
    more.extensions = Some(at(400, 8));
    assert_ne!(po(&a), po(&run(more).unwrap()));
    let mut moved = demo("3651D3296882");
    moved.extensions += 1;
    let from_moved = plan(&[d], &observed(moved), &catalogs(), &c).unwrap();
    assert_ne!(po(&a), po(&from_moved));
}

#[test]
fn summary_totals_prices_exactly() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let mut p = run(d).unwrap();
    p.pbxs[0].actions[0].price = Some(Price {
        currency: "USD".into(),
        total: "1180.10".into(),
    });
    let s = p.summary();
    assert_eq!((s.pbxs, s.changed, s.orders), (1, 1, 1));
    assert_eq!(
        s.totals,
        vec![Price {
            currency: "USD".into(),
            total: "1180.10".into()
        }]
    );
}

#[test]
fn a_term_without_a_billing_cycle_means_annual_billing() {
    let mut d = desired("3631E0997265", 11);
    d.plan = name("Ultimate Plan", 6);
    d.term = Some(at(1, 8));
    let o = demo("3631E0997265");
    assert!(requirements([(&d, &o)], today()).contains_catalog(ProductId(11)));
    let p = run(d).unwrap();
    let b = bodies(&p);
    assert_eq!(b[0]["serviceList"][0]["billingCycle"], json!("annually"));
    assert_eq!(b[0]["serviceList"][0]["multiCycle"], json!(1));
}

#[test]
fn a_plan_verifies_as_computed_and_not_once_edited() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let p = run(d).unwrap();
    assert_eq!(crate::plan::verify(&p), Vec::<String>::new());
    let mut edited = p.clone();
    if let Some(body) = edited.pbxs[0].actions[0].order.as_mut() {
        body.service_list[0].quantity = Some(2000);
    }
    assert_eq!(
        crate::plan::verify(&edited),
        [
            "3651D3296882 (software-edition) purchase_service: order.serviceList[0].quantity is 2000 in the plan, 200 when re-derived"
        ]
    );
    let mut renamed = p;
    renamed.plan_id = "plan-00000000000000000000".into();
    assert!(crate::plan::verify(&renamed)[0].contains("does not match the plan's content"));
}

#[test]
fn what_the_vendor_did_not_say_blocks_only_the_pbx_that_needs_it() {
    let mut d = desired("3651D3296882", 12);
    d.extensions = Some(at(300, 8));
    let mut silent = demo("3651D3296882");
    silent.unreported = vec!["extensionCount".into()];
    let mut other = desired("3631E0997265", 11);
    other.plan = Some(at(CatalogRef::Name("Ultimate Plan".into()), 9));
    other.billing_cycle = Some(at(Cycle::Annually, 10));
    other.term = Some(at(1, 11));
    let p = run_with(vec![d, other], vec![silent, demo("3631E0997265")]).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert_eq!(
        p.pbxs[0].blocked,
        [
            "manifests/acme.yaml:8:5: the vendor's detail for 3651D3296882 has no extension count: cannot plan `extensions`"
        ]
    );
    // The rest of the plan goes ahead.
    assert_eq!(kinds_of(&p.pbxs[1]), [ActionKind::SwitchPlan]);
    assert_eq!(p.summary().blocked, 1);
}

#[test]
fn a_service_of_unknown_kind_or_an_unranked_plan_is_never_guessed() {
    let mut d = desired("3651D3296882", 12);
    d.services = Some(vec![at(
        CatalogRef::Name("Hotel PMS Integration".into()),
        9,
    )]);
    let mut cats = catalogs();
    for c in cats.by_product.values_mut() {
        for s in &mut c.services {
            if s.name == "Hotel PMS Integration" {
                s.kind = ServiceKind::Unknown;
            }
        }
        for p in &mut c.plans {
            if p.name == "Ultimate Plan" {
                p.tier = 0;
            }
        }
    }
    let obs = Observed {
        pbxs: [((ProductId(12), "3651D3296882".into()), demo("3651D3296882"))].into(),
        contacts: Some(contacts()),
        ..Observed::default()
    };
    let p = plan(std::slice::from_ref(&d), &obs, &cats, &ctx()).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert!(
        p.pbxs[0].blocked[0].contains("does not say what `Hotel PMS Integration` is"),
        "{:?}",
        p.pbxs[0].blocked
    );
    let mut up = desired("3651D3296882", 12);
    up.plan = Some(at(CatalogRef::Name("Ultimate Plan".into()), 9));
    let p = plan(&[up], &obs, &cats, &ctx()).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert!(
        p.pbxs[0].blocked[0].contains("does not rank `Ultimate Plan`"),
        "{:?}",
        p.pbxs[0].blocked
    );
}

fn kinds_of(p: &PbxPlan) -> Vec<ActionKind> {
    p.actions.iter().map(|a| a.kind).collect()
}

/// What the vendor leaves unsaid blocks only the PBX that needs it: beside it, another PBX is
/// planned as usual.
#[test]
fn an_unknown_fact_blocks_its_pbx_and_the_others_go_ahead() {
    // Acme wants Disaster Recovery, which the table says needs an Ultimate plan that this
    // catalog does not list; Globex switches to Ultimate on another product.
    let mut cats = catalogs();
    for c in cats.by_product.values_mut() {
        for s in &mut c.services {
            if s.name == "Disaster Recovery" {
                s.requires_plan_ids.clear();
                s.requires_missing_plan = Some("ultimate".into());
            }
        }
    }
    let mut acme = desired("3651D3296882", 12);
    acme.services = Some(vec![name("Disaster Recovery", 9).unwrap()]);
    let mut globex = desired("3631E0997265", 11);
    globex.plan = name("Ultimate Plan", 20);
    let obs = Observed {
        pbxs: [
            ((ProductId(12), "3651D3296882".into()), demo("3651D3296882")),
            ((ProductId(11), "3631E0997265".into()), demo("3631E0997265")),
        ]
        .into(),
        contacts: Some(contacts()),
        ..Observed::default()
    };
    let p = plan(&[acme, globex], &obs, &cats, &ctx()).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert_eq!(
        p.pbxs[0].blocked,
        [
            "manifests/acme.yaml:9:5: entitle's table of vendor facts says `Disaster Recovery` is only sold with the `ultimate` plan, which the vendor's catalog for this product does not list: cannot plan `services`"
        ]
    );
    assert_eq!(kinds_of(&p.pbxs[1]), [ActionKind::SwitchPlan]);
    assert!(p.pbxs[1].blocked.is_empty());
    assert_eq!(p.summary().blocked, 1);
}

/// A PBX whose detail could not be read is set aside with the reason; a saved plan of it
/// still verifies.
#[test]
fn an_unreadable_pbx_is_set_aside_and_the_plan_verifies() {
    let mut globex = desired("3631E0997265", 11);
    globex.plan = name("Ultimate Plan", 20);
    let obs = Observed {
        pbxs: [((ProductId(11), "3631E0997265".into()), demo("3631E0997265"))].into(),
        unreadable: [(
            (ProductId(12), "3651D3296882".into()),
            "field `multiCycle`: missing".to_owned(),
        )]
        .into(),
        contacts: Some(contacts()),
        ..Observed::default()
    };
    let acme = desired("3651D3296882", 12);
    let p = plan(&[acme, globex], &obs, &catalogs(), &ctx()).unwrap();
    assert!(p.pbxs[0].actions.is_empty());
    assert!(
        p.pbxs[0].blocked[0].ends_with(
            "the vendor's answer about 3651D3296882 (software-edition) cannot be read, so nothing is planned for it: field `multiCycle`: missing"
        ),
        "{:?}",
        p.pbxs[0].blocked
    );
    assert_eq!(kinds_of(&p.pbxs[1]), [ActionKind::SwitchPlan]);
    assert!(verify(&p).is_empty(), "{:?}", verify(&p));
}

/// The observation of the demo PBXs `found`, and of `missing` SNs the account does not have
/// (each `(sn, product)`), with the account's SNs of each product listed as `listed` says.
fn with_unknown(found: &[&str], missing: &[(&str, u32)], listed: &[(u32, &[&str])]) -> Observed {
    Observed {
        pbxs: found
            .iter()
            .map(|sn| {
                let o = demo(sn);
                ((o.product, o.sn.clone()), o)
            })
            .collect(),
        not_found: missing
            .iter()
            .map(|(sn, p)| (ProductId(*p), (*sn).to_owned()))
            .collect(),
        listed: listed
            .iter()
            .map(|(p, sns)| (ProductId(*p), sns.iter().map(|s| (*s).to_owned()).collect()))
            .collect(),
        contacts: Some(contacts()),
        ..Observed::default()
    }
}

/// An SN the account does not have is an error of its entry alone: every other PBX is planned
/// as usual, and the plan carries the error, located at the entry.
#[test]
fn an_unknown_sn_is_an_error_of_its_entry_and_the_rest_is_planned() {
    let mut acme = desired("3651D3296882", 12);
    acme.extensions = Some(at(300, 8));
    let mut nosuch = desired("NOSUCH0000001", 12);
    nosuch.at = testing::loc(20);
    nosuch.extensions = Some(at(300, 22));
    let obs = with_unknown(
        &["3651D3296882"],
        &[("NOSUCH0000001", 12)],
        &[(12, &["3651D3296882"])],
    );
    let p = plan(&[nosuch, acme], &obs, &catalogs(), &ctx()).unwrap();
    assert_eq!(kinds(&p), [ActionKind::PurchaseService]);
    assert_eq!(p.pbxs.len(), 1);
    assert!(p.has_errors());
    assert_eq!(
        p.diagnostics().to_string(),
        "error: manifests/acme.yaml:20:5: NOSUCH0000001 (software-edition): SN not found in the account under this product [unknown-sn]\n  \
         help: check the SN and `product`; `entitle export --product software-edition` lists the PBXs the account has under this product"
    );
    let s = p.summary();
    assert_eq!((s.pbxs, s.changed, s.errors, s.orders), (2, 1, 1, 1));
}

/// The hint names what the account has: the SN in its own letter case, or the SNs one
/// character away; with no list, or nothing near, how to find the SN.
#[test]
fn an_unknown_sn_names_the_sn_the_account_has_near_it() {
    let help = |sn: &str, listed: &[(u32, &[&str])]| {
        let obs = with_unknown(&[], &[(sn, 12)], listed);
        let p = plan(&[desired(sn, 12)], &obs, &catalogs(), &ctx()).unwrap();
        p.errors[0].help.clone().unwrap()
    };
    let account: &[(u32, &[&str])] = &[(12, &["3651D3296882", "3651D3296884", "FL000001A"])];
    assert_eq!(
        help("3651d3296882", account),
        "SNs are case-sensitive: the account has `3651D3296882` under this product; write the SN as the account does"
    );
    assert_eq!(
        help("3651D329682", account),
        "did you mean `3651D3296882`? the account has it under this product, one character away"
    );
    assert_eq!(
        help("3651D3296883", account),
        "did you mean `3651D3296882` or `3651D3296884`? the account has these under this product, each one character away"
    );
    // Only the SNs of the entry's own product are candidates.
    let other_product: &[(u32, &[&str])] = &[(11, &["3651D3296882"])];
    assert!(help("3651d3296882", other_product).starts_with("check the SN and `product`"));
    // The list could not be read: the error stands, without a hint.
    assert!(help("3651d3296882", &[]).starts_with("check the SN and `product`"));
}

/// Another error refuses the whole plan as before, and lists the unknown SN with it.
#[test]
fn a_rule_error_beside_an_unknown_sn_refuses_the_plan_and_names_both() {
    let mut a = desired("3651D3296882", 12);
    a.services = Some(vec![name("Disaster Recovery", 9).unwrap()]);
    let obs = with_unknown(&["3651D3296882"], &[("NOSUCH0000001", 12)], &[]);
    let errs = plan(
        &[desired("NOSUCH0000001", 12), a],
        &obs,
        &catalogs(),
        &ctx(),
    )
    .unwrap_err()
    .0;
    let codes: Vec<_> = errs.iter().map(|e| e.code).collect();
    assert_eq!(codes, [Code::UnknownSn, Code::ServiceNeedsOtherPlan]);
}

/// A saved plan with an error re-derives as it was; with its error taken out, it does not
/// (the ID covers the entries in error).
#[test]
fn a_plan_with_an_unknown_sn_verifies_and_its_error_cannot_be_dropped() {
    let mut acme = desired("3651D3296882", 12);
    acme.extensions = Some(at(300, 8));
    let obs = with_unknown(
        &["3651D3296882"],
        &[("3651d3296882", 12)],
        &[(12, &["3651D3296882"])],
    );
    let p = plan(
        &[desired("3651d3296882", 12), acme.clone()],
        &obs,
        &catalogs(),
        &ctx(),
    )
    .unwrap();
    assert_eq!(verify(&p), Vec::<String>::new());
    // The ID is another than that of the plan of the same PBXs without the wrong entry.
    let without = plan(&[acme], &obs, &catalogs(), &ctx()).unwrap();
    assert_ne!(without.plan_id, p.plan_id);
    let mut dropped = p.clone();
    dropped.errors.clear();
    let diffs = verify(&dropped);
    assert!(
        diffs
            .iter()
            .any(|d| d.contains("does not match the plan's content")),
        "{diffs:?}"
    );
    // The JSON of the error is the problem's, with the PBX, and reads back the same.
    let json = serde_json::to_value(&p.errors[0]).unwrap();
    assert_eq!(json["code"], "unknown-sn");
    assert_eq!(
        (&json["file"], &json["line"], &json["column"]),
        (&json!("manifests/acme.yaml"), &json!(3), &json!(5))
    );
    assert_eq!(
        (&json["sn"], &json["product"]),
        (&json!("3651d3296882"), &json!(12))
    );
    let back: Plan = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}
