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
            price_basis: None,
            refused: None,
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
        price_basis: None,
        refused: None,
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
            price_basis: None,
            refused: None,
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
        account: String::new(),
        catalogs: vec![],
        contacts: None,
        errors: vec![],
        pbxs: vec![up, down, manual, flying, same],
        held_back: vec![],
        policy: vec![],
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

fn markdown(plan: &Plan, opts: &MarkdownOptions) -> String {
    let mut out = Vec::new();
    write_plan_markdown(plan, opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn markdown_groups_by_customer() {
    insta::assert_snapshot!(markdown(&sample(), &MarkdownOptions::default()));
}

/// A fleet plan: `n` PBXs over `customers` customers, one priced service order each, every
/// change traced to its manifest line.
fn fleet(n: usize, customers: usize) -> Plan {
    let mut plan = sample();
    plan.pbxs = (0..n)
        .map(|i| {
            let sn = format!("36{i:010}");
            let mut a = testing::action(
                ActionKind::PurchaseService,
                Some(testing::order_body(
                    ActionKind::PurchaseService,
                    12,
                    &sn,
                    "ent-0123456789abcdef",
                )),
            );
            a.reason =
                "200 more extensions, subscribe Hotel PMS Integration on Enterprise Plan".into();
            a.changes = vec![
                Change {
                    field: "extensions".into(),
                    before: Some("100".into()),
                    after: "300".into(),
                },
                Change {
                    field: "services".into(),
                    before: None,
                    after: "Hotel PMS Integration".into(),
                },
            ];
            a.price = Some(Price {
                currency: "USD".into(),
                total: "2180.00".into(),
            });
            let mut p = pbx(&sn, 12, vec![a]);
            p.labels
                .insert("customer".into(), format!("customer-{:03}", i % customers));
            p.desired = Some(crate::manifest::DesiredPbx {
                extensions: Some(testing::at(300, 9)),
                services: Some(vec![testing::at(
                    crate::manifest::CatalogRef::Name("Hotel PMS Integration".into()),
                    11,
                )]),
                ..testing::desired(&sn, 12)
            });
            p
        })
        .collect();
    plan
}

/// One section of a comment: its group, the PBXs it lists (by SN) and how many its
/// "… and N more PBXs" line counts.
#[derive(Debug)]
struct Shown {
    group: String,
    listed: Vec<String>,
    more: usize,
}

fn sections(md: &str) -> Vec<Shown> {
    md.split("<details><summary><b>")
        .skip(1)
        .map(|s| {
            let (group, body) = s.split_once("</b>").unwrap();
            let body = &body[..body.find("</details>").unwrap()];
            let listed = body
                .lines()
                .filter_map(|l| l.strip_prefix("**"))
                .map(|l| l.split(' ').next().unwrap().to_owned())
                .collect();
            let more = body
                .lines()
                .find_map(|l| l.strip_prefix("… and "))
                .map_or(0, |l| l.split(' ').next().unwrap().parse().unwrap());
            Shown {
                group: group.to_owned(),
                listed,
                more,
            }
        })
        .collect()
}

/// The SNs [`fleet`] puts in `customer`, in order.
fn sns_of(n: usize, customers: usize, customer: usize) -> Vec<String> {
    (0..n)
        .filter(|i| i % customers == customer)
        .map(|i| format!("36{i:010}"))
        .collect()
}

#[test]
fn a_thousand_order_plan_fits_a_comment_and_keeps_every_total() {
    let plan = fleet(1_000, 120);
    let full = markdown(
        &plan,
        &MarkdownOptions {
            max_chars: usize::MAX,
            ..MarkdownOptions::default()
        },
    );
    assert!(
        full.chars().count() > 65_536,
        "the test needs a plan too big for a comment"
    );

    let md = markdown(
        &plan,
        &MarkdownOptions {
            saved_as: Some("plan.json".into()),
            ..MarkdownOptions::default()
        },
    );
    assert!(md.len() <= DEFAULT_MAX_CHARS, "{} bytes", md.len());
    assert!(
        md.starts_with("### entitle plan: 1000 orders for 1000 PBXs, USD 2,180,000.00\n"),
        "{}",
        &md[..200]
    );
    // Every customer's total is in the table: 1,000 orders over 120 customers is 8 or 9 each.
    let size = |c: usize| 1_000 / 120 + usize::from(c < 1_000 % 120);
    for c in 0..120 {
        let n = size(c);
        let cost = money(&Price {
            currency: "USD".into(),
            total: format!("{}", 2180 * n),
        });
        let row = format!("| customer-{c:03} | {n} | {n} | {n} | {cost} |");
        assert!(md.contains(&row), "missing {row}");
    }
    assert!(md.contains("| **all** | **1000** | **1000** | **1000** | **USD 2,180,000.00** |"));
    // The sections kept are the first groups, each listing its first PBXs and counting the
    // rest; the groups whose headers do not fit are counted in the note.
    let shown = sections(&md);
    let kept = shown.len();
    assert!(kept > 100 && kept < 120, "{kept} sections kept");
    let mut unlisted = 0;
    for (c, s) in shown.iter().enumerate() {
        assert_eq!(s.group, format!("customer-{c:03}"));
        let sns = sns_of(1_000, 120, c);
        assert!(!s.listed.is_empty(), "{s:?}");
        assert_eq!(s.listed, sns[..s.listed.len()], "the first PBXs");
        assert_eq!(s.listed.len() + s.more, sns.len(), "{s:?}");
        unlisted += s.more;
    }
    let left: usize = (kept..120).map(size).sum();
    let note = format!(
        "the details of {} ({left} changing PBXs, {left} orders) are left out; the groups shown list their first PBXs and leave out {unlisted} more; the table above and the total count them. Every order is in the saved plan: `entitle show plan.json`.",
        plural(120 - kept, "group", "groups"),
    );
    assert!(md.contains(&note), "{}", &md[md.len() - 600..]);
    assert!(md.trim_end().ends_with("computed for 2026-11-22</sub>"));
}

/// The case of a fleet without a `customer` label: one group of 300 changing PBXs. Its
/// section lists as many PBXs as the budget holds, and counts the rest exactly.
#[test]
fn one_group_of_three_hundred_lists_the_pbxs_that_fit_and_counts_the_rest() {
    let plan = fleet(300, 1);
    let md = markdown(&plan, &MarkdownOptions::default());
    assert!(md.len() <= DEFAULT_MAX_CHARS, "{} bytes", md.len());
    // The budget is used, not left half empty: what is left is less than one PBX's row.
    assert!(md.len() > DEFAULT_MAX_CHARS - 400, "{} bytes", md.len());
    let shown = sections(&md);
    assert_eq!(shown.len(), 1, "{shown:?}");
    let listed = shown[0].listed.len();
    assert!(listed > 100 && listed < 300, "{listed} listed");
    assert_eq!(shown[0].listed, sns_of(300, 1, 0)[..listed]);
    let more = 300 - listed;
    assert!(
        md.contains(&format!(
            "\n… and {more} more PBXs: see the full plan\n\n</details>\n"
        )),
        "{}",
        &md[md.len() - 800..]
    );
    assert!(
        md.contains(&format!(
            "\n> **Shortened to fit a pull-request comment:** the group shown lists its first PBXs and leaves out {more} more; the table above and the total count them. Every order is in the saved plan (`entitle plan -o plan.json`, then `entitle show plan.json`).\n"
        )),
        "{}",
        &md[md.len() - 800..]
    );
    assert!(md.contains("| customer-000 | 300 | 300 | 300 | USD 654,000.00 |"));
}

/// Fifty groups, half of one PBX and half of many: the small ones are shown whole and give
/// the room they do not need to the big ones, which share it equally.
#[test]
fn fifty_groups_share_the_room_fairly() {
    let mut plan = fleet(2_000, 50);
    // Customers 0..25 keep one PBX each; their other PBXs go to customers 25..50.
    for (i, p) in plan.pbxs.iter_mut().enumerate() {
        let c = i % 50;
        if c < 25 && i >= 50 {
            p.labels
                .insert("customer".into(), format!("customer-{:03}", 25 + i % 25));
        }
    }
    let md = markdown(&plan, &MarkdownOptions::default());
    assert!(md.len() <= DEFAULT_MAX_CHARS, "{} bytes", md.len());
    let shown = sections(&md);
    assert_eq!(shown.len(), 50, "every group has its section");
    for s in &shown[..25] {
        assert_eq!((s.listed.len(), s.more), (1, 0), "{s:?}");
    }
    let big = &shown[25..];
    let counts: Vec<usize> = big.iter().map(|s| s.listed.len()).collect();
    let (least, most) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
    assert!(*least >= 2, "{counts:?}");
    assert!(most - least <= 1, "{counts:?}");
    for s in big {
        // Each big group has 2,000 / 50 + 25 × 39 / 25 = 79 PBXs.
        assert_eq!(s.listed.len() + s.more, 79, "{s:?}");
        assert!(md.contains(&format!("… and {} more PBXs: see the full plan\n", s.more)));
    }
    let unlisted: usize = big.iter().map(|s| s.more).sum();
    assert!(
        md.contains(&format!(
            "the groups shown list their first PBXs and leave out {unlisted} more; the table above"
        )),
        "{}",
        &md[md.len() - 600..]
    );
}

/// However many groups there are, and however long their names (in bytes as in characters),
/// the comment stays within its budget; groups whose header does not fit are left out and
/// counted.
#[test]
fn five_thousand_groups_with_long_names_stay_within_the_budget() {
    let mut plan = fleet(5_000, 5_000);
    for (i, p) in plan.pbxs.iter_mut().enumerate() {
        p.labels.insert(
            "customer".into(),
            format!("{}-{i:04}", "客户名称很长的一个组".repeat(8)),
        );
    }
    for max_chars in [DEFAULT_MAX_CHARS, 65_536, 20_000, 2_000] {
        let md = markdown(
            &plan,
            &MarkdownOptions {
                max_chars,
                ..MarkdownOptions::default()
            },
        );
        assert!(md.len() <= max_chars, "{} bytes of {max_chars}", md.len());
        assert!(
            md.contains("| **all** | **5000** | **5000** | **5000** | **USD 10,900,000.00** |"),
            "{max_chars}: {md}"
        );
        let kept = sections(&md).len();
        assert!(kept < 5_000, "{kept}");
        let left = 5_000 - kept;
        assert!(
            md.contains(&format!(
                "the details of {left} groups ({left} changing PBXs, {left} orders) are left out; the table above"
            )),
            "{max_chars}: {}",
            &md[md.len() - 600..]
        );
    }
    // A budget too small for the totals: the title and where the whole plan is, still within.
    for max_chars in [600, 100] {
        let md = markdown(
            &plan,
            &MarkdownOptions {
                max_chars,
                ..MarkdownOptions::default()
            },
        );
        assert!(md.len() <= max_chars, "{} bytes of {max_chars}", md.len());
        assert!(
            md.starts_with("### entitle plan: 5000 orders for 5000 PBXs"),
            "{md}"
        );
    }
}

#[test]
fn a_thousand_customers_keep_their_rows_before_any_details() {
    let plan = fleet(1_000, 1_000);
    let md = markdown(&plan, &MarkdownOptions::default());
    assert!(md.len() <= DEFAULT_MAX_CHARS, "{} bytes", md.len());
    for c in 0..1_000 {
        let row = format!("| customer-{c:03} | 1 | 1 | 1 | USD 2,180.00 |");
        assert!(md.contains(&row), "missing {row}");
    }
    assert!(md.contains("| **all** | **1000** | **1000** | **1000** | **USD 2,180,000.00** |"));
    assert!(!md.contains(" more* |"), "no row folded");
}

#[test]
fn a_table_too_long_for_the_comment_folds_its_last_rows_into_one() {
    let plan = fleet(300, 300);
    let md = markdown(
        &plan,
        &MarkdownOptions {
            max_chars: 10_000,
            ..MarkdownOptions::default()
        },
    );
    assert!(md.len() <= 10_000, "{} bytes", md.len());
    let rows = md.lines().filter(|l| l.starts_with("| customer-")).count();
    assert!(rows > 0 && rows < 300, "{rows} rows");
    let folded = 300 - rows;
    assert!(
        md.contains(&format!(
            "| *{folded} more groups* | {folded} | {folded} | {folded} | USD "
        )),
        "{md}"
    );
    assert!(md.contains("| **all** | **300** | **300** | **300** | **USD 654,000.00** |"));
}

#[test]
fn markdown_points_each_change_at_its_line_and_links_it() {
    let plan = fleet(1, 1);
    let md = markdown(
        &plan,
        &MarkdownOptions {
            link_base: Some("https://github.com/acme/entitlements/blob/0123abc/".into()),
            ..MarkdownOptions::default()
        },
    );
    let base = "https://github.com/acme/entitlements/blob/0123abc/manifests/acme.yaml";
    assert!(
        md.contains(&format!(
            "**360000000000 (software-edition)** — [`manifests/acme.yaml:3`]({base}#L3)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "  - `~` extensions: 100 → 300 — [`manifests/acme.yaml:9`]({base}#L9)"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "  - `+` services: Hotel PMS Integration — [`manifests/acme.yaml:11`]({base}#L11)"
        )),
        "{md}"
    );
}

#[test]
fn markdown_groups_by_any_label_and_says_what_has_no_price() {
    let mut plan = fleet(6, 2);
    for (i, p) in plan.pbxs.iter_mut().enumerate() {
        p.labels.insert(
            "region".into(),
            if i < 4 { "eu".into() } else { "us".into() },
        );
    }
    for p in &mut plan.pbxs[..3] {
        p.actions[0].price = None;
        p.actions[0].price_error = Some("the vendor's calculator answered 500".into());
    }
    plan.pbxs[5].manual.push(ManualItem {
        field: "autoRenew".into(),
        current: "true".into(),
        wanted: "false".into(),
        reason: "the API cannot disable auto-renewal; use the partner portal".into(),
    });
    let md = markdown(
        &plan,
        &MarkdownOptions {
            group_by: "region".into(),
            ..MarkdownOptions::default()
        },
    );
    insta::assert_snapshot!(md);
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

/// An entry in error, as the planner records an SN the account does not have.
fn entry_error(sn: &str, line: usize) -> EntryError {
    EntryError {
        code: crate::manifest::Code::UnknownSn,
        sn: sn.into(),
        product: ProductId(12),
        at: testing::loc(line),
        message: format!("{sn} (software-edition): SN not found in the account under this product"),
        help: Some("check the SN and `product`".into()),
        desired: None,
    }
}

/// Entries in error never read as "no changes": the summary counts what was planned, and one
/// line says nothing of the plan is placed; the errors themselves are stderr's.
#[test]
fn entries_in_error_are_counted_never_shown_as_no_changes() {
    let mut plan = sample();
    plan.pbxs.retain(|p| !p.has_changes());
    plan.errors = vec![entry_error("NOSUCH1", 3), entry_error("NOSUCH2", 9)];
    let t = text(&plan, false);
    assert!(
        t.starts_with(
            "No orders. 3 of 5 PBXs in scope match the manifests.\nplan plan-00000000000000000000 for 2026-11-22\n\
             2 PBXs not planned: their manifest entries have errors. No order of this plan is placed until they are fixed.\n"
        ),
        "{t}"
    );
    assert!(!t.contains("NOSUCH"), "{t}");
    plan.pbxs.clear();
    let t = text(&plan, false);
    assert!(
        t.starts_with("No orders. None of the 2 PBXs in scope could be planned.\n"),
        "{t}"
    );
    let md = markdown(&plan, &MarkdownOptions::default());
    assert!(
        md.starts_with(
            "### entitle plan: no orders — 2 errors, cannot be applied\n\n\
             **2 manifest entries have errors** (under *Needs attention*): no order of this plan is placed until they are fixed.\n"
        ),
        "{md}"
    );
    assert_eq!(md.matches("SN not found").count(), 2, "{md}");
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

#[test]
fn every_format_says_which_orders_got_no_price_and_why() {
    let mut plan = sample();
    plan.pbxs[1].actions[0].price = None;
    plan.pbxs[1].actions[0].price_error =
        Some("the vendor's calculator answered 500 internal_error".into());
    let t = text(&plan, false);
    assert!(
        t.starts_with("Plan: 2 orders and 1 auto-renew switch for 2 of 5 PBXs in scope, total USD 1,234.50 without 1 order that got no price (the vendor's calculator answered 500 internal_error)."),
        "{t}"
    );
    assert!(t.contains("price unknown (see the summary)"), "{t}");
    assert_eq!(
        t.matches("500 internal_error").count(),
        1,
        "one reason is said once: {t}"
    );

    // None priced: no total, and why.
    plan.pbxs[0].actions[0].price = None;
    plan.pbxs[0].actions[0].price_error = Some("no pricingId for plan 3048560606464323584".into());
    let t = text(&plan, false);
    assert!(
        t.starts_with("Plan: 2 orders and 1 auto-renew switch for 2 of 5 PBXs in scope, no total: none of its 2 orders got a price (2 reasons, each shown on its order as \"price unknown\")."),
        "{t}"
    );
    assert!(
        t.contains("price unknown: no pricingId for plan 3048560606464323584"),
        "{t}"
    );

    // JSON: the reason on the action, and the count left out of the (empty) total.
    let mut out = Vec::new();
    write_plan_json(&plan, &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        v["pbxs"][1]["actions"][0]["price_error"],
        "the vendor's calculator answered 500 internal_error"
    );
    assert!(
        v["pbxs"][1]["actions"][0]
            .get("price")
            .is_none_or(|p| p.is_null())
    );
    assert_eq!(v["summary"]["unpriced"], 2);
    assert_eq!(v["summary"]["totals"], serde_json::json!([]));
}

#[test]
fn a_failure_with_thousands_of_problems_still_fits_a_comment() {
    let problems: Vec<crate::manifest::Diagnostic> = (1..=2_000)
        .map(|line| {
            crate::manifest::Diagnostic::new(
                crate::manifest::Code::UnknownField,
                Some(testing::loc(line)),
                "unknown field `extentions`, did you mean `extensions`?",
            )
            .with_help("fields of a PBX entry: sn, product, productId, plan, planId, billingCycle, term, extensions")
        })
        .collect();
    let failure = Failure {
        exit_code: 1,
        message: "the manifests are not valid; nothing was planned",
        problems: &problems,
    };
    let mut out = Vec::new();
    write_failure_markdown(&failure, &MarkdownOptions::default(), &mut out).unwrap();
    let md = String::from_utf8(out).unwrap();
    assert!(md.len() <= DEFAULT_MAX_CHARS, "{} bytes", md.len());
    let listed = md
        .lines()
        .filter(|l| l.starts_with("- `manifests/acme.yaml:"))
        .count();
    assert!(listed > 100, "{listed}");
    assert!(
        md.contains(&format!(
            "- … and {} more problems: the job log lists every one\n",
            2_000 - listed
        )),
        "{}",
        &md[md.len() - 300..]
    );
    assert!(md.ends_with("<sub>no plan · nothing was sent</sub>\n"));
}

#[test]
fn text_from_manifests_cannot_break_the_comment_or_mention_anyone() {
    let mut plan = fleet(1, 1);
    plan.pbxs[0].labels.insert(
        "customer".into(),
        "@acme/ops | [x](https://evil.example) <b>".into(),
    );
    let md = markdown(&plan, &MarkdownOptions::default());
    assert!(
        md.contains("| &#64;acme/ops &#124; &#91;x&#93;(https://evil.example) &lt;b&gt; | 1 | 1 | 1 | USD 2,180.00 |"),
        "{md}"
    );
    assert!(!md.contains("@acme"), "{md}");
    assert_eq!(
        md.matches("<b>").count(),
        1,
        "only the section's own tag: {md}"
    );
}

/// The demo Cloud PBX renewing with every service dropped and auto-renewal asked for: the
/// lapse reads on the renewal, in text and in markdown.
#[test]
fn the_lapse_reads_on_the_renewal_in_text_and_markdown() {
    use crate::testing::demo::{demo, desired, name, run_with};
    const PCE: &str = "3658B431119665QJ";
    let mut d = desired(PCE, 13);
    d.plan = name("Enterprise Plan", 6);
    d.extensions = Some(testing::at(100, 8));
    d.services = Some(vec![]);
    d.auto_renew = Some(testing::at(true, 11));
    let mut o = demo(PCE);
    o.auto_renew = Some(false);
    let p = run_with(vec![d], vec![o]).unwrap();
    let mut out = Vec::new();
    let opts = TextOptions {
        color: false,
        show_bodies: true,
    };
    write_plan_text(&p, opts, &mut out).unwrap();
    out.extend_from_slice(b"\n---\n\n");
    write_plan_markdown(&p, &Default::default(), &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}
