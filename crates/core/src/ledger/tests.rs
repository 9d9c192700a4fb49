//! Table tests: every hold the ledger can answer, and every way out of it.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::journal::{Entry, EntryState};
use crate::model::{Id, OrderStatus};
use crate::plan::{ActionKind, PbxPlan};
use crate::testing;

/// 2026-11-22T09:00:00Z.
const NOW: i64 = 1_795_338_000_000;
/// Ten minutes.
const SETTLE: i64 = 600_000;

fn entry(po: &str, state: EntryState, at_ms: i64) -> Entry {
    Entry {
        fingerprint: Some(crate::plan::fingerprint(&testing::observed("SN1", 12))),
        ..testing::journal_entry(po, state, at_ms)
    }
}

fn order(no: &str, status: OrderStatus, reference: &str, created_ms: i64) -> Order {
    Order {
        id: Id(5),
        order_no: no.into(),
        status,
        created_ms,
        product: ProductId(12),
        sn: "SN1".into(),
        operation_type: "purchase_service".into(),
        reference: Some(reference.to_owned()).filter(|r| !r.is_empty()),
        total_amount: "1.00".into(),
        currency: "USD".into(),
    }
}

fn doubt(po: &str) -> Doubt {
    Doubt {
        po_number: Some(po.into()),
        order_no: None,
        operation_type: "purchase_service".into(),
        since_ms: NOW,
        until_ms: NOW + SETTLE,
        reason: "its outcome is unknown".into(),
    }
}

/// SN1 buying a service under `po`, planned from `observed`.
fn buying(po: &str) -> PbxPlan {
    testing::pbx_plan(
        testing::observed("SN1", 12),
        vec![testing::action(
            ActionKind::PurchaseService,
            Some(testing::order_body(
                ActionKind::PurchaseService,
                12,
                "SN1",
                po,
            )),
        )],
    )
}

fn plan_of(p: PbxPlan) -> Plan {
    Plan {
        observed_at_ms: NOW,
        ..testing::plan(vec![p])
    }
}

#[test]
fn an_unknown_outcome_is_found_took_effect_in_doubt_or_absent() {
    let e = entry("ent-1", EntryState::Unknown, NOW);
    // (listed, moved, now) → verdict
    let table = [
        (true, false, NOW, Verdict::Found),
        (true, true, NOW + 2 * SETTLE, Verdict::Found),
        (false, true, NOW, Verdict::TookEffect),
        (
            false,
            false,
            NOW + 1,
            Verdict::InDoubt {
                until_ms: NOW + SETTLE,
            },
        ),
        (
            false,
            false,
            NOW + SETTLE - 1,
            Verdict::InDoubt {
                until_ms: NOW + SETTLE,
            },
        ),
        (false, false, NOW + SETTLE, Verdict::Absent),
    ];
    for (listed, moved, now, want) in table {
        assert_eq!(
            verdict(&e, NOW, listed, moved, now, SETTLE),
            want,
            "listed {listed}, moved {moved}, now {now}"
        );
    }
    // The settle period counts from the latest of the entry and its intent.
    let later = entry("ent-1", EntryState::Unknown, NOW + 5_000);
    assert_eq!(
        verdict(&later, NOW, false, false, NOW + SETTLE, SETTLE),
        Verdict::InDoubt {
            until_ms: NOW + 5_000 + SETTLE
        }
    );
}

#[test]
fn a_refusal_is_in_doubt_with_its_own_reason() {
    let mut e = entry("ent-1", EntryState::Refused, NOW);
    e.detail = Some("400 business_rule_violation".into());
    assert!(doubt_reason(&e).contains("answered a refusal (400 business_rule_violation)"));
    assert!(doubt_reason(&entry("ent-1", EntryState::Sending, NOW)).contains("outcome is unknown"));
    e.order_no = Some("UO1".into());
    assert_eq!(doubt_reason(&e), "the vendor no longer knows order UO1");
}

#[test]
fn own_orders_are_recent_within_the_settle_period_from_their_intent() {
    let mut done = entry("ent-1", EntryState::Done, NOW + 1_000);
    done.order_no = Some("UO1".into());
    let entries = vec![entry("ent-1", EntryState::Sending, NOW), done];
    let recent = own_recent(&entries, NOW + SETTLE - 1, SETTLE);
    assert_eq!(recent.len(), 1);
    assert_eq!(recent[0].doubt.since_ms, NOW, "counted from the intent");
    assert_eq!(recent[0].doubt.until_ms, NOW + SETTLE);
    assert!(own_recent(&entries, NOW + SETTLE + 1, SETTLE).is_empty());
    let failed = vec![entry("ent-1", EntryState::Failed, NOW)];
    assert!(own_recent(&failed, NOW, SETTLE).is_empty());
}

#[test]
fn another_applys_unsettled_orders_are_in_doubt() {
    for (state, held) in [
        (EntryState::Sending, true),
        (EntryState::Unknown, true),
        (EntryState::Refused, true),
        (EntryState::Done, false),
        (EntryState::Failed, false),
        (EntryState::Absent, false),
    ] {
        let got = in_progress(&[entry("ent-1", state, NOW)], SETTLE);
        assert_eq!(got.len(), usize::from(held), "{state:?}");
    }
}

#[test]
fn orders_awaiting_payment_hold_their_pbx_once() {
    let pbxs = BTreeMap::from([(
        (ProductId(12), "SN1".to_owned()),
        testing::observed("SN1", 12),
    )]);
    let pending = order("UO1", OrderStatus::Pending, "", NOW);
    let mut other = pending.clone();
    other.sn = "SN9".into();
    let done = order("UO2", OrderStatus::Succeed, "", NOW);
    let got = in_flight([&pending, &pending, &other, &done].into_iter(), &pbxs);
    assert_eq!(got.len(), 1);
    assert_eq!(got[&(ProductId(12), "SN1".to_owned())].len(), 1);
}

#[test]
fn orders_placed_moments_ago_are_unsettled_until_their_effect_shows() {
    let observed = testing::observed("SN1", 12);
    let pbxs = BTreeMap::from([((ProductId(12), "SN1".to_owned()), observed.clone())]);
    let fp = crate::plan::fingerprint(&observed);
    let mut moved = observed.clone();
    moved.extensions = 300;
    let fp_before_move = crate::plan::fingerprint(&moved);
    let none = BTreeMap::new();
    let own_of = |no: &str, fp: &Fingerprint| BTreeMap::from([(no.to_owned(), fp.clone())]);
    let anyones = order("UO1", OrderStatus::Succeed, "", NOW - 1_000);
    // (orders, own orders, own recent) → unsettled?
    /// The orders listed, our own orders (number → planned-from fingerprint), held?, case.
    type Case<'a> = (Vec<Order>, BTreeMap<String, Fingerprint>, bool, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![anyones.clone()],
            none.clone(),
            true,
            "anyone's, just placed",
        ),
        (
            vec![order("UO1", OrderStatus::Succeed, "", NOW - SETTLE - 1)],
            none.clone(),
            false,
            "placed before the settle period",
        ),
        (
            vec![order("UO1", OrderStatus::Failed, "", NOW - 1_000)],
            none.clone(),
            false,
            "failed: no effect to wait for",
        ),
        (
            vec![anyones.clone()],
            own_of("UO1", &fp),
            true,
            "ours, the PBX not moved yet",
        ),
        (
            vec![anyones.clone()],
            own_of("UO1", &fp_before_move),
            false,
            "ours, the PBX moved from where it was planned",
        ),
    ];
    for (orders, own, held, case) in cases {
        let (unsettled, recent) = unsettled(
            &orders,
            &pbxs,
            Own {
                orders: &own,
                recent: &[],
            },
            NOW,
            SETTLE,
        );
        assert_eq!(!unsettled.is_empty(), held, "{case}");
        let seen = recent.values().flatten().count();
        assert_eq!(
            seen,
            usize::from(orders[0].created_ms >= NOW - SETTLE),
            "{case}"
        );
    }
    // Our own recent order, not listed yet (a lagging list): held while the PBX has the state
    // it was planned from.
    let recent_own = vec![recent("SN1", doubt("ent-1"), fp.clone())];
    let (held, _) = unsettled(
        &[],
        &pbxs,
        Own {
            orders: &none,
            recent: &recent_own,
        },
        NOW,
        SETTLE,
    );
    assert_eq!(held.len(), 1);
    let moved_own = vec![recent("SN1", doubt("ent-1"), fp_before_move)];
    let (free, _) = unsettled(
        &[],
        &pbxs,
        Own {
            orders: &none,
            recent: &moved_own,
        },
        NOW,
        SETTLE,
    );
    assert!(free.is_empty());
}

#[test]
fn the_planner_holds_for_payment_then_doubt_then_unsettled_orders() {
    let pending = order("UO1", OrderStatus::Pending, "", NOW);
    let d = doubt("ent-1");
    assert!(matches!(
        hold_before_planning(std::slice::from_ref(&pending), std::slice::from_ref(&d)),
        Some(Hold::AwaitingPayment(_))
    ));
    assert!(matches!(
        hold_before_planning(&[], std::slice::from_ref(&d)),
        Some(Hold::InDoubt(_))
    ));
    assert_eq!(hold_before_planning(&[], &[]), None);
    assert!(matches!(
        hold_after_planning(std::slice::from_ref(&d), true),
        Some(Hold::Unsettled(_))
    ));
    // A PBX with nothing to order is not held up by an unsettled order.
    assert_eq!(hold_after_planning(std::slice::from_ref(&d), false), None);
    assert_eq!(hold_after_planning(&[], true), None);
    let h = Hold::InDoubt(vec![d]);
    assert_eq!(h.until_ms(), Some(NOW + SETTLE));
    assert!(
        h.describe()
            .contains("re-run after 2026-11-22T09:10:00.000Z"),
        "{}",
        h.describe()
    );
    assert_eq!(Hold::AwaitingPayment(vec![pending]).until_ms(), None);
}

#[test]
fn a_saved_plan_is_held_by_this_workspaces_unsettled_orders_on_its_pbxs_only() {
    let p = plan_of(buying("po-new"));
    let at = |r: &Resolution| saved_plan_holds(&p, r);
    assert!(at(&Resolution::default()).is_empty());

    // Of unknown outcome on SN1: held until its settle period ends; on another PBX: not.
    let mut r = Resolution {
        in_doubt: vec![PbxDoubt {
            product: ProductId(12),
            sn: "SN1".into(),
            doubt: doubt("po-old"),
        }],
        ..Resolution::default()
    };
    assert_eq!(at(&r)[0].pbx, "SN1 (software-edition)");
    assert_eq!(at(&r)[0].hold.until_ms(), Some(NOW + SETTLE));
    r.in_doubt[0].sn = "SN2".into();
    assert!(at(&r).is_empty());

    // Sent moments ago from the state the plan was made from: held. From another state (the
    // plan already shows its effect): not.
    let fp = p.pbxs[0].fingerprint.clone();
    let mut r = Resolution {
        own_recent: vec![recent("SN1", doubt("po-old"), fp)],
        ..Resolution::default()
    };
    assert_eq!(at(&r).len(), 1);
    let said = at(&r)[0].hold.reason();
    assert!(
        said.starts_with("order po-old sent at 2026-11-22T09:00:00")
            && said.contains("from the state this plan was made from"),
        "{said}"
    );
    r.own_recent[0].fingerprint = "another state".into();
    assert!(at(&r).is_empty());

    // Awaiting payment: held with no end.
    let r = Resolution {
        pending: vec![order("UO1", OrderStatus::Pending, "po-old", NOW)],
        ..Resolution::default()
    };
    assert!(
        at(&r)[0]
            .hold
            .describe()
            .starts_with("1 order awaiting settlement (UO1")
    );
    assert_eq!(at(&r)[0].hold.until_ms(), None);

    // A plan with nothing to do for SN1 is never held.
    let mut quiet = p.clone();
    quiet.pbxs[0].actions.clear();
    assert!(saved_plan_holds(&quiet, &r).is_empty());
}

#[test]
fn a_replayed_plan_shows_by_its_ponumber_or_by_orders_since_it_was_made() {
    let p = plan_of(buying("ent-mine"));
    // (order, evidence?)
    let cases = [
        (
            order("UO1", OrderStatus::Succeed, "ent-mine", NOW + 1_000),
            true,
        ),
        // Echoed before the plan was made: still ours, still applied.
        (
            order("UO1", OrderStatus::Succeed, "ent-mine", NOW - 3_600_000),
            true,
        ),
        // No echo: an order placed since the plan was made.
        (order("UO1", OrderStatus::Succeed, "", NOW + 1_000), true),
        (order("UO1", OrderStatus::Pending, "", NOW + 1_000), true),
        // Failed, or placed well before the plan: no evidence.
        (order("UO1", OrderStatus::Failed, "", NOW + 1_000), false),
        (
            order("UO1", OrderStatus::Succeed, "", NOW - 3_600_000),
            false,
        ),
        // Someone else's reference, long before: nothing.
        (
            order("UO1", OrderStatus::Succeed, "other", NOW - 3_600_000),
            false,
        ),
    ];
    for (o, evidence) in cases {
        assert_eq!(
            !replay_evidence(&p, std::slice::from_ref(&o)).is_empty(),
            evidence,
            "{o:?}"
        );
    }
    // An order the plan saw is not evidence.
    let mut seen = p.clone();
    seen.pbxs[0].seen_orders = vec!["UO1".into()];
    assert!(replay_evidence(&seen, &[order("UO1", OrderStatus::Succeed, "", NOW + 1)]).is_empty());
}

#[test]
fn the_journal_remembers_what_was_sent_for_a_day_or_the_settle_period() {
    for (state, held) in [
        (EntryState::Sending, true),
        (EntryState::Unknown, true),
        (EntryState::Refused, true),
        (EntryState::Done, true),
        (EntryState::Pending, true),
        (EntryState::Failed, false),
        (EntryState::Absent, false),
    ] {
        let sent = sent_before(&[entry("ent-1", state, NOW)], NOW + 1_000, SETTLE);
        assert_eq!(sent.contains_key("ent-1"), held, "{state:?}");
    }
    let old = [entry("ent-1", EntryState::Done, NOW - 86_400_001)];
    assert!(sent_before(&old, NOW, SETTLE).is_empty());
    // A settle period longer than a day stretches it.
    assert!(sent_before(&old, NOW, 2 * 86_400_000).contains_key("ent-1"));
}

#[test]
fn the_executor_skips_a_pbx_sent_for_before_or_acted_on_by_someone_else() {
    let p = buying("ent-mine");
    let sent = BTreeMap::from([("ent-mine".to_owned(), "unknown".to_owned())]);
    assert!(matches!(
        acted_on(&p, &[], &sent),
        Some(Hold::SentBefore { .. })
    ));
    let none = BTreeMap::new();
    assert_eq!(acted_on(&p, &[], &none), None);
    let cases = [
        (order("UO9", OrderStatus::Succeed, "", NOW), true),
        (order("UO9", OrderStatus::Pending, "", NOW), true),
        // A failed order of someone else's changes nothing; one under our poNumber is ours.
        (order("UO9", OrderStatus::Failed, "", NOW), false),
        (order("UO9", OrderStatus::Failed, "ent-mine", NOW), true),
    ];
    for (o, held) in cases {
        let got = acted_on(&p, std::slice::from_ref(&o), &none);
        assert_eq!(got.is_some(), held, "{o:?}");
        if held {
            assert!(
                got.unwrap()
                    .describe()
                    .contains("someone else acted: order UO9")
            );
        }
    }
    let mut seen = p.clone();
    seen.seen_orders = vec!["UO9".into()];
    assert_eq!(
        acted_on(&seen, &[order("UO9", OrderStatus::Succeed, "", NOW)], &none),
        None
    );
}

#[test]
fn an_order_is_found_by_reference_by_number_or_by_pbx_operation_and_time() {
    let e = entry("ent-1", EntryState::Unknown, NOW);
    let none = BTreeSet::new();
    let found = |orders: &[Order], claimed: &BTreeSet<String>| {
        find_order(orders, &e, NOW, claimed).map(|o| o.order_no.clone())
    };
    // By its poNumber, whatever else is listed.
    let by_ref = [
        order("UO1", OrderStatus::Succeed, "", NOW + 1),
        order("UO2", OrderStatus::Succeed, "ent-1", NOW + 2),
    ];
    assert_eq!(found(&by_ref, &none).as_deref(), Some("UO2"));
    // Another's poNumber is never ours.
    let other = [order("UO3", OrderStatus::Succeed, "ent-9", NOW + 1)];
    assert_eq!(found(&other, &none), None);
    // No echo: the earliest order of the PBX and operation since the intent, less the skew
    // allowed, that no other entry claimed.
    let unechoed = [
        order("UO5", OrderStatus::Succeed, "", NOW + 5_000),
        order("UO4", OrderStatus::Succeed, "", NOW - CLOCK_SKEW_MS + 1),
        order("UO0", OrderStatus::Succeed, "", NOW - CLOCK_SKEW_MS - 1),
    ];
    assert_eq!(found(&unechoed, &none).as_deref(), Some("UO4"));
    let claimed = BTreeSet::from(["UO4".to_owned()]);
    assert_eq!(found(&unechoed, &claimed).as_deref(), Some("UO5"));
    let mut other_op = unechoed[0].clone();
    other_op.operation_type = "renew_plan".into();
    assert_eq!(found(&[other_op], &none), None);
    // By its order number, once known (a pending order the vendor stopped listing under it).
    let mut known = e.clone();
    known.order_no = Some("UO7".into());
    let listed = [order("UO7", OrderStatus::Succeed, "ent-other", NOW)];
    assert_eq!(
        find_order(&listed, &known, NOW, &none).map(|o| o.order_no.as_str()),
        Some("UO7")
    );
}

#[test]
fn the_order_list_is_read_back_past_the_settle_period_or_the_skew() {
    let p = plan_of(buying("ent-1"));
    assert_eq!(book_since(&p, SETTLE), NOW - SETTLE);
    assert_eq!(book_since(&p, 1_000), NOW - CLOCK_SKEW_MS);
}

#[test]
fn another_accounts_unknown_orders_in_this_workspace_hold_their_pbxs_for_the_settle_period() {
    let mut sending = entry("ent-1", EntryState::Sending, NOW);
    sending.account = Some("feedfacecafebeef".into());
    let mut done = entry("ent-2", EntryState::Done, NOW);
    done.account = Some("feedfacecafebeef".into());
    let held = other_accounts(&[sending.clone(), done], NOW + 1_000, SETTLE);
    assert_eq!(held.len(), 1, "only the unknown one");
    assert!(
        held[0]
            .doubt
            .reason
            .contains("another account key (feedfacecafebeef")
    );
    assert!(other_accounts(&[sending], NOW + SETTLE, SETTLE).is_empty());
}

#[test]
fn a_pbx_that_moved_since_the_plan_is_held_and_says_what_moved() {
    let p = buying("ent-1");
    assert_eq!(changed_since_plan(&p, &p.observed), None);
    let mut now = p.observed.clone();
    now.extensions = 300;
    let hold = changed_since_plan(&p, &now).unwrap();
    assert_eq!(hold, Hold::Moved(vec!["extensions: 0 → 300".to_owned()]));
    assert!(
        hold.describe()
            .starts_with("changed since the plan (extensions: 0 → 300)")
    );
    // An empty side reads `none`, never a blank.
    let mut serviced = p.observed.clone();
    serviced.services.push(crate::model::ObservedService {
        id: crate::model::Id(7),
        name: "Hotel PMS Integration".into(),
        quantity: 1,
        expires: None,
    });
    serviced.pending_switch = Some(crate::model::PendingSwitch {
        in_force_id: None,
        in_force: "Ultimate Plan".into(),
        until: Some("2027-06-01".parse().unwrap()),
    });
    assert_eq!(
        changed_since_plan(&p, &serviced),
        Some(Hold::Moved(vec![
            "services: none → Hotel PMS Integration".to_owned(),
            "pending switch: none → Ultimate Plan in force until 2027-06-01".to_owned(),
        ]))
    );
    assert_eq!(
        changed_since_plan(&testing::pbx_plan(serviced, p.actions.clone()), &p.observed),
        Some(Hold::Moved(vec![
            "services: Hotel PMS Integration → none".to_owned(),
            "pending switch: Ultimate Plan in force until 2027-06-01 → none".to_owned(),
        ]))
    );
    // What no order changes (the comment) is no move.
    let mut renamed = p.observed.clone();
    renamed.comment = "renamed".into();
    assert_eq!(changed_since_plan(&p, &renamed), None);
}

#[test]
fn an_entry_stamped_on_this_machines_clock_is_counted_on_it_unless_the_vendor_is_behind() {
    let mut legacy = entry("ent-1", EntryState::Unknown, NOW);
    legacy.keys = 1;
    let current = entry("ent-1", EntryState::Unknown, NOW);
    // (entry, vendor now, local now) → the now its window is counted against
    for (e, vendor, local, want) in [
        (&legacy, NOW + 60_000, NOW, NOW),
        (&legacy, NOW, NOW + 60_000, NOW),
        (&current, NOW + 60_000, NOW, NOW + 60_000),
        (&current, NOW, NOW + 60_000, NOW),
    ] {
        assert_eq!(window_now(e, vendor, local), want, "keys {}", e.keys);
    }
}

/// An order of this workspace placed moments ago on a Software Edition `sn`.
fn recent(sn: &str, doubt: Doubt, fingerprint: Fingerprint) -> RecentOrder {
    RecentOrder {
        product: ProductId(12),
        sn: sn.into(),
        doubt,
        fingerprint,
    }
}
