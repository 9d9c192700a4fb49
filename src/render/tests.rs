//! Renderer snapshots over a plan that has every kind of entry: an upgrade, a downgrade at
//! expiry, a service order, an auto-renew switch, a manual item, an order in flight, a note,
//! an unchanged PBX.

use std::collections::BTreeMap;

use super::*;
use crate::model::*;
use crate::plan::*;
use crate::testing;
use crate::wire::{OrderBody, OrderLine};

fn observed(sn: &str, product: u32) -> ObservedPbx {
    ObservedPbx {
        extensions: 100,
        ..testing::observed(sn, product)
    }
}

fn order(kind: ActionKind, sn: &str) -> Option<OrderBody> {
    Some(OrderBody {
        operation_type: kind.as_str().into(),
        product_id: 11,
        product_no: sn.into(),
        billing_id: Id(3197218168379846218),
        po_number: Some("ent-0123456789abcdef".into()),
        service_list: vec![OrderLine {
            connection_plan_id: None,
            service_type: "plan".into(),
            service_id: Id(3048560606464323584),
            quantity: None,
            purchase_type: "switch".into(),
            billing_model: Some("recurring".into()),
            billing_cycle: Some("annually".into()),
            multi_cycle: Some(1),
        }],
    })
}

fn pbx(sn: &str, product: u32, actions: Vec<Action>) -> PbxPlan {
    PbxPlan {
        labels: BTreeMap::from([("customer".to_owned(), format!("c-{sn}"))]),
        ..testing::pbx_plan(observed(sn, product), actions)
    }
}

fn sample() -> Plan {
    let usd = |t: &str| {
        Some(Price {
            currency: "USD".into(),
            total: t.into(),
        })
    };
    let mut up = pbx(
        "SNUP",
        11,
        vec![Action {
            kind: ActionKind::SwitchPlan,
            reason: "upgrade Enterprise Plan → Ultimate Plan (annually, 1 year)".into(),
            changes: vec![Change {
                field: "plan".into(),
                before: Some("Enterprise Plan".into()),
                after: "Ultimate Plan".into(),
            }],
            effective: Effective::Now,
            order: order(ActionKind::SwitchPlan, "SNUP"),
            auto_renew_target: None,
            price: usd("1234.5"),
            price_error: None,
        }],
    );
    up.actions.push(Action {
        kind: ActionKind::EnableAutoRenew,
        reason: "auto-renewal is off".into(),
        changes: vec![Change {
            field: "autoRenew".into(),
            before: Some("false".into()),
            after: "true".into(),
        }],
        effective: Effective::Now,
        order: None,
        auto_renew_target: Some(Id(3048560606464323584)),
        price: None,
        price_error: None,
    });
    let down = pbx(
        "SNDOWN",
        11,
        vec![Action {
            kind: ActionKind::SwitchPlan,
            reason: "downgrade Enterprise Plan → Standard Plan, in force when the term ends 2027-06-01 (monthly)".into(),
            changes: vec![],
            effective: Effective::AtExpiry {
                date: "2027-06-01".parse().unwrap(),
            },
            order: order(ActionKind::SwitchPlan, "SNDOWN"),
            auto_renew_target: None,
            price: Some(Price {
                currency: "EUR".into(),
                total: "10".into(),
            }),
            price_error: None,
        }],
    );
    let mut manual = pbx("SNMANUAL", 13, vec![]);
    manual.manual.push(ManualItem {
        field: "autoRenew".into(),
        current: "true".into(),
        wanted: "false".into(),
        reason: "the API cannot disable auto-renewal; use the partner portal".into(),
    });
    manual
        .notes
        .push("term ends 2026-12-10, within 30d; not renewed (`renew: false`)".into());
    let mut flying = pbx("SNFLY", 12, vec![]);
    flying.in_flight.push(Order {
        id: Id(3206300000000004099),
        order_no: "UO3206300000000004099".into(),
        status: OrderStatus::Pending,
        created_ms: 0,
        product: ProductId(12),
        sn: "SNFLY".into(),
        operation_type: "purchase_service".into(),
        reference: Some("ent-feedfacefeedface".into()),
        total_amount: "1180.00".into(),
        currency: "USD".into(),
    });
    let same = pbx("SNSAME", 12, vec![]);
    Plan {
        format_version: FORMAT_VERSION.into(),
        plan_id: "plan-00000000000000000000".into(),
        today: "2026-11-22".parse().unwrap(),
        manifest_hash: "h".into(),
        selection: Selection::default(),
        observed_at_ms: 0,
        nonce: String::new(),
        catalogs: vec![],
        contacts: None,
        pbxs: vec![up, down, manual, flying, same],
    }
}

fn text(plan: &Plan, color: bool) -> String {
    let mut out = Vec::new();
    write_plan_text(
        plan,
        TextOptions {
            color,
            show_bodies: true,
        },
        &mut out,
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn text_shows_every_kind_of_entry() {
    insta::assert_snapshot!(text(&sample(), false));
}

#[test]
fn colour_is_only_what_the_caller_asks_for() {
    assert!(!text(&sample(), false).contains('\u{1b}'));
    assert!(text(&sample(), true).contains("\u{1b}[32m+\u{1b}[0m"));
}

#[test]
fn markdown_groups_by_customer() {
    let mut out = Vec::new();
    write_plan_markdown(&sample(), &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn json_round_trips_and_keeps_ids_exact() {
    let mut out = Vec::new();
    write_plan_json(&sample(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("\"format_version\": \"1.0\""));
    assert!(text.contains("\"billingId\": 3197218168379846218"));
    let back: Plan = serde_json::from_str(&text).unwrap();
    assert_eq!(back, sample());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["summary"]["totals"][1]["total"], "1234.50");
}

#[test]
fn no_changes_says_so() {
    let mut plan = sample();
    plan.pbxs.retain(|p| !p.has_changes());
    let t = text(&plan, false);
    assert!(
        t.starts_with("No changes. 3 PBXs in scope match the manifests."),
        "{t}"
    );
}

#[test]
fn money_groups_thousands() {
    let p = |t: &str| Price {
        currency: "USD".into(),
        total: t.into(),
    };
    assert_eq!(money(&p("1180")), "USD 1,180.00");
    assert_eq!(money(&p("1234567.5")), "USD 1,234,567.50");
    assert_eq!(money(&p("12.00")), "USD 12.00");
    assert_eq!(money(&p("n/a")), "USD n/a");
}

#[test]
fn a_total_says_which_orders_it_leaves_out() {
    let mut plan = sample();
    plan.pbxs[1].actions[0].price = None;
    let t = text(&plan, false);
    assert!(
        t.starts_with("Plan: 2 orders and 1 auto-renew switch for 2 of 5 PBXs in scope, total USD 1,234.50 without 1 order that got no price."),
        "{t}"
    );
}
