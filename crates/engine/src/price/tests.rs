//! What is asked of the calculator for each order, and what its answer makes of the order's
//! price, on plans the real planner makes.

use super::*;
use crate::manifest::DesiredPbx;
use crate::model::{Catalog, Id, PriceUnit, ProductId, Quote};
use crate::plan::PbxPlan;
use crate::testing::at;
use crate::testing::demo::{self, PCE_ENT, PCE_HA};

const CLOUD: &str = "3658B431119665QJ";
const PSE: &str = "3651D3296882";

/// The demo catalog of a product, with the plans' price unit set to `unit`.
fn catalog(product: u32, unit: Option<PriceUnit>) -> Catalog {
    let mut c = demo::catalogs().by_product[&ProductId(product)].clone();
    for p in &mut c.plans {
        p.price_unit = unit;
    }
    c
}

/// The demo Cloud PBX (100 extensions, High Availability, term ending in the window), asked
/// for `extensions` in total and to keep High Availability.
fn cloud(extensions: u32) -> PbxPlan {
    let d = DesiredPbx {
        extensions: Some(at(extensions, 8)),
        services: Some(vec![at(crate::manifest::CatalogRef::Id(PCE_HA), 9)]),
        ..demo::desired(CLOUD, 13)
    };
    planned(d)
}

fn planned(d: DesiredPbx) -> PbxPlan {
    let plan = demo::run(d).expect("the demo PBX plans");
    plan.pbxs.into_iter().next().expect("one PBX")
}

/// The ask for `p`'s order `j`, from the orders before it.
fn ask_at(p: &PbxPlan, j: usize, cat: &Catalog) -> Option<Ask> {
    ask(&p.actions[..j], &p.actions[j], &p.observed, cat)
}

fn kinds(p: &PbxPlan) -> Vec<ActionKind> {
    p.actions.iter().map(|a| a.kind).collect()
}

fn usd(total: &str) -> Price {
    Price {
        currency: "USD".into(),
        total: total.into(),
    }
}

fn quote(total: &str, items: &[(Id, &str)]) -> Answer {
    Answer::Quote(Quote {
        price: usd(total),
        items: items.iter().map(|(id, a)| (*id, (*a).to_owned())).collect(),
    })
}

/// The renewal's ask on the demo Cloud PBX buying 10 more extensions.
fn renewal_after_purchase(unit: Option<PriceUnit>) -> Ask {
    let p = cloud(110);
    assert_eq!(
        kinds(&p),
        [ActionKind::PurchaseService, ActionKind::RenewPlan]
    );
    ask_at(&p, 1, &catalog(13, unit)).expect("an order")
}

#[test]
fn an_order_nothing_earlier_changes_is_asked_as_it_will_be_sent() {
    let p = cloud(110);
    let purchase = ask_at(&p, 0, &catalog(13, None)).unwrap();
    assert_eq!(
        purchase,
        Ask::Exact(p.actions[0].order.clone().unwrap()),
        "the purchase comes first"
    );
    let p = cloud(100);
    assert_eq!(kinds(&p), [ActionKind::RenewPlan]);
    let renewal = ask_at(&p, 0, &catalog(13, None)).unwrap();
    assert_eq!(renewal, Ask::Exact(p.actions[0].order.clone().unwrap()));
    assert_eq!(
        settle(&renewal, &quote("5000.00", &[])),
        Priced::Price {
            price: usd("5000.00"),
            basis: None
        },
        "the calculator's own answer for the exact body needs no explanation"
    );
}

#[test]
fn a_renewal_after_a_capacity_purchase_is_asked_at_todays_count_and_grown_per_extension() {
    let ask = renewal_after_purchase(Some(PriceUnit::PerExtension));
    let Ask::AsOfToday { body, adjust } = &ask else {
        panic!("{ask:?}")
    };
    let plan_line = body
        .service_list
        .iter()
        .find(|l| l.service_type == "plan")
        .unwrap();
    assert_eq!(
        plan_line.quantity,
        Some(100),
        "today's count, as rule 5 wants"
    );
    assert_eq!(body.service_list.len(), 2, "High Availability still renews");
    assert_eq!((adjust.today, adjust.then), (100, 110));
    assert_eq!(
        adjust.per_extension,
        [
            (PCE_ENT, "Enterprise Plan".to_owned()),
            (PCE_HA, "High Availability".to_owned())
        ]
    );
    let answer = quote("5000.00", &[(PCE_ENT, "4000.00"), (PCE_HA, "1000.00")]);
    assert_eq!(
        settle(&ask, &answer),
        Priced::Price {
            price: usd("5500.00"),
            basis: Some(
                "the calculator's USD 5,000.00 at today's 100 extensions, plus USD 500.00 for the \
                 10 the purchase above adds (Enterprise Plan and High Availability are priced per \
                 extension)"
                    .into()
            )
        }
    );
}

#[test]
fn a_flat_plan_keeps_the_calculators_price_and_says_why() {
    let d = DesiredPbx {
        extensions: Some(at(110, 8)),
        ..demo::desired(PSE, 12)
    };
    let mut o = demo::demo(PSE);
    o.plan.as_mut().unwrap().expires = demo::today().add_days(10);
    let plan = demo::run_with(vec![d], vec![o]).unwrap();
    let p = &plan.pbxs[0];
    assert_eq!(
        kinds(p),
        [ActionKind::PurchaseService, ActionKind::RenewPlan]
    );
    let ask = ask_at(p, 1, &catalog(12, Some(PriceUnit::Flat))).unwrap();
    assert_eq!(
        settle(&ask, &quote("900.00", &[])),
        Priced::Price {
            price: usd("900.00"),
            basis: Some(
                "the calculator's price at today's 100 extensions: the 10 the purchase above adds \
                 do not change it (no line is priced per extension)"
                    .into()
            )
        }
    );
}

#[test]
fn a_price_that_cannot_be_grown_is_unknown_with_one_reason() {
    let unsaid = renewal_after_purchase(None);
    let answer = quote("5000.00", &[(PCE_ENT, "4000.00"), (PCE_HA, "1000.00")]);
    assert_eq!(
        settle(&unsaid, &answer),
        Priced::Unknown(
            "the vendor's catalog does not say whether Enterprise Plan is priced per extension, \
             and the purchase above adds 10; it costs USD 5,000.00 as the account stands today"
                .into()
        )
    );
    let per_ext = renewal_after_purchase(Some(PriceUnit::PerExtension));
    assert_eq!(
        settle(&per_ext, &quote("5000.00", &[(PCE_ENT, "4000.00")])),
        Priced::Unknown(
            "the calculator's answer does not give the High Availability line's amount, which \
             grows with the 10 extensions the purchase above adds; it costs USD 5,000.00 as the \
             account stands today"
                .into()
        ),
        "without the line's amount, no guess"
    );
}

#[test]
fn a_grown_amount_is_rounded_to_the_cent_and_says_so() {
    let Ask::AsOfToday { body, mut adjust } = renewal_after_purchase(Some(PriceUnit::PerExtension))
    else {
        panic!()
    };
    (adjust.today, adjust.then) = (3, 4);
    adjust.per_extension.truncate(1);
    let ask = Ask::AsOfToday { body, adjust };
    let Priced::Price { price, basis } = settle(&ask, &quote("100.00", &[(PCE_ENT, "100.00")]))
    else {
        panic!()
    };
    assert_eq!(price, usd("133.33"));
    assert!(
        basis
            .unwrap()
            .contains("plus USD 33.33, rounded to the cent, for the 1 ")
    );
}

#[test]
fn a_renewal_of_a_service_the_plan_subscribes_first_is_unknown() {
    let mut o = demo::demo(CLOUD);
    o.services.clear();
    let d = DesiredPbx {
        services: Some(vec![at(crate::manifest::CatalogRef::Id(PCE_HA), 9)]),
        ..demo::desired(CLOUD, 13)
    };
    let plan = demo::run_with(vec![d], vec![o]).unwrap();
    let p = &plan.pbxs[0];
    assert_eq!(
        kinds(p),
        [ActionKind::PurchaseService, ActionKind::RenewPlan]
    );
    let ask = ask_at(p, 1, &catalog(13, Some(PriceUnit::PerExtension))).unwrap();
    let Ask::AsOfToday { body, .. } = &ask else {
        panic!("{ask:?}")
    };
    assert!(
        body.service_list.iter().all(|l| l.service_id != PCE_HA),
        "today's renewal cannot name a service not subscribed yet"
    );
    assert_eq!(
        settle(&ask, &quote("4000.00", &[(PCE_ENT, "4000.00")])),
        Priced::Unknown(
            "the calculator cannot price a renewal of High Availability before the purchase above \
             subscribes it; it costs USD 4,000.00 as the account stands today"
                .into()
        )
    );
}

#[test]
fn a_refusal_is_the_vendors_no_only_for_an_order_asked_as_it_stands() {
    let words = "rule 5: renew_plan must include every subscribed service".to_owned();
    let refused = Answer::Refused(words.clone());
    let p = cloud(100);
    let exact = ask_at(&p, 0, &catalog(13, None)).unwrap();
    assert_eq!(settle(&exact, &refused), Priced::Refused(words.clone()));
    assert_eq!(
        settle(&exact, &Answer::Failed("connection reset".into())),
        Priced::Unknown("connection reset".into()),
        "a transport failure is not a refusal"
    );
    let grown = renewal_after_purchase(Some(PriceUnit::PerExtension));
    assert_eq!(
        settle(&grown, &refused),
        Priced::Refused(format!(
            "{words}; asked as the account stands today, before the purchase above adds 10 \
             extensions"
        ))
    );
    let after_switch = Ask::AfterPlanChange {
        body: p.actions[0].order.clone().unwrap(),
        after: ActionKind::SwitchPlan,
    };
    assert!(
        matches!(settle(&after_switch, &refused), Priced::Unknown(why) if why.starts_with(
            "the calculator prices against the plan in force today and cannot price this order before the switch_plan above is placed"
        )),
        "the switch changes what the calculator would say"
    );
}

#[test]
fn an_order_after_a_switch_is_asked_as_is_and_its_price_explained() {
    let d = DesiredPbx {
        plan: demo::name("Ultimate Plan", 5),
        extensions: Some(at(110, 8)),
        ..demo::desired(CLOUD, 13)
    };
    let p = planned(d);
    assert_eq!(
        kinds(&p),
        [ActionKind::SwitchPlan, ActionKind::PurchaseService]
    );
    let ask = ask_at(&p, 1, &catalog(13, None)).unwrap();
    assert_eq!(
        ask,
        Ask::AfterPlanChange {
            body: p.actions[1].order.clone().unwrap(),
            after: ActionKind::SwitchPlan
        }
    );
    assert_eq!(
        settle(&ask, &quote("400.00", &[])),
        Priced::Price {
            price: usd("400.00"),
            basis: Some(
                "the calculator's price against the plan in force today; this order follows the \
                 switch_plan above, which may change it"
                    .into()
            )
        }
    );
}

#[test]
fn only_a_business_rule_is_a_refusal() {
    let vendor = |status: u16, code: &str| {
        Answer::from(Err(ApiError::Vendor {
            request: Box::new(crate::api::Endpoint {
                method: "POST",
                path: crate::wire::paths::PRICE.into(),
                query: String::new(),
            }),
            status,
            code: code.into(),
            detail: "rule 5: no".into(),
            request_id: "r1".into(),
            field: None,
        }))
    };
    assert_eq!(
        vendor(400, wire::codes::BUSINESS_RULE_VIOLATION),
        Answer::Refused("rule 5: no (business_rule_violation, request r1)".into())
    );
    for (status, code) in [
        (500, "internal_error"),
        (400, wire::codes::PARAMETER_VALIDATION_FAILED),
        (429, "rate_limited"),
    ] {
        assert!(
            matches!(vendor(status, code), Answer::Failed(_)),
            "{status} {code} leaves the price unknown"
        );
    }
}

#[test]
fn a_per_extension_service_after_the_expansion_is_asked_at_todays_count_and_grown() {
    let mut o = demo::demo(CLOUD);
    o.services.clear();
    o.plan.as_mut().unwrap().expires = demo::today().add_days(200);
    let d = DesiredPbx {
        extensions: Some(at(110, 8)),
        services: Some(vec![at(crate::manifest::CatalogRef::Id(PCE_HA), 9)]),
        ..demo::desired(CLOUD, 13)
    };
    let plan = demo::run_with(vec![d], vec![o]).unwrap();
    let p = &plan.pbxs[0];
    assert_eq!(
        kinds(p),
        [ActionKind::PurchaseService, ActionKind::PurchaseService]
    );
    let ask = ask_at(p, 1, &catalog(13, None)).unwrap();
    let Ask::AsOfToday { body, adjust } = &ask else {
        panic!("{ask:?}")
    };
    assert_eq!(
        body.service_list[0].quantity,
        Some(100),
        "today's count, as the calculator wants it now"
    );
    assert_eq!(
        adjust.per_extension,
        [(PCE_HA, "High Availability".to_owned())]
    );
    assert!(adjust.new_services.is_empty(), "a purchase renews nothing");
    assert_eq!(
        settle(&ask, &quote("1000.00", &[(PCE_HA, "1000.00")])),
        Priced::Price {
            price: usd("1100.00"),
            basis: Some(
                "the calculator's USD 1,000.00 at today's 100 extensions, plus USD 100.00 for the \
                 10 the purchase above adds (High Availability is priced per extension)"
                    .into()
            )
        }
    );
}
