//! The ledger: the one place that decides whether a PBX may be ordered for now. Pure — it is
//! given what was read (the journal's entries, the vendor's evidence: orders listed, PBX states
//! read), the vendor's current time and the settle period, and answers with a typed [`Hold`]
//! or nothing; it reads and writes nothing, so every hold is a table test away.
//!
//! Who asks it:
//! - resolution (the engine's `apply::resolve_leftovers`) for an order of unknown outcome:
//!   [`find_order`], [`verdict`] and [`own_recent`];
//! - observation, which only reads, for what the order list shows: [`in_flight`] and
//!   [`unsettled`];
//! - the planner, per PBX: [`hold_before_planning`] and [`hold_after_planning`];
//! - the saved-plan check: [`saved_plan_holds`] and [`replay_evidence`];
//! - the executor, just before a PBX's first order: [`sent_before`], [`book_since`],
//!   [`acted_on`] and [`changed_since_plan`] (which the saved-plan check asks too).

mod resolution;

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::Timestamp;
use crate::journal::{self, Entry, EntryState};
use crate::model::{Doubt, ObservedPbx, Order, PbxDoubt, ProductId, RecentOrder};
use crate::plan::{Fingerprint, PbxKey, PbxPlan, Plan, PoNumber, fingerprint, fingerprint_matches};

pub use resolution::{Found, Resolution, TookEffect};

/// A hold on one PBX of a saved plan (its key, `SN (product)`).
#[derive(Debug, Clone, PartialEq)]
pub struct PbxHold {
    pub pbx: String,
    pub hold: Hold,
}

/// An order the vendor's order list shows on one PBX of a saved plan, which the plan cannot
/// have accounted for: said as the order and why it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub pbx: String,
    pub order: String,
}

/// How far the vendor's clock may be behind ours when an order is matched to an intent by
/// its time: an order stamped up to this long before the intent still counts.
pub const CLOCK_SKEW_MS: i64 = 5 * 60_000;

/// Why nothing may be ordered for a PBX now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Orders awaiting payment (or confirmation): until they settle, whatever the time.
    AwaitingPayment(Vec<Order>),
    /// Orders of this workspace whose outcome is unknown and shows no evidence yet: until the
    /// settle period after each has passed.
    InDoubt(Vec<Doubt>),
    /// Orders placed moments ago (this workspace's or anyone's) whose effect may not show
    /// yet: ordering again could buy the same thing twice.
    Unsettled(Vec<Doubt>),
    /// One of the PBX's orders was sent before, by this journal's record.
    SentBefore { po_number: PoNumber, what: String },
    /// Someone else placed an order on it since the plan was made: another apply, the portal.
    OtherApply(Order),
    /// Read again, it no longer has the state the plan was made from: what moved.
    Moved(Vec<String>),
}

impl Hold {
    /// Until when it holds (epoch ms, the vendor's clock); `None`: until an order settles.
    pub fn until_ms(&self) -> Option<i64> {
        match self {
            Hold::InDoubt(d) | Hold::Unsettled(d) => d.iter().map(|d| d.until_ms).max(),
            _ => None,
        }
    }

    /// Why it holds, without what follows from it: each order and what is known of it.
    pub fn reason(&self) -> String {
        match self {
            Hold::AwaitingPayment(orders) => orders
                .iter()
                .map(|o| format!("order {} is {}", o.order_no, o.status.as_str()))
                .collect::<Vec<_>>()
                .join("; "),
            Hold::InDoubt(doubts) | Hold::Unsettled(doubts) => doubts
                .iter()
                .map(|d| match &d.po_number {
                    Some(po) => {
                        format!("order {po} sent at {}: {}", Timestamp(d.since_ms), d.reason)
                    }
                    None => d.reason.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
            Hold::SentBefore { .. } | Hold::OtherApply(_) => self.describe(),
            Hold::Moved(what) => what.join("; "),
        }
    }

    /// What a plan's notes and apply's messages say of it.
    pub fn describe(&self) -> String {
        match self {
            Hold::AwaitingPayment(orders) => format!(
                "{} awaiting settlement ({}); nothing more is ordered until they resolve",
                crate::words::plural(orders.len(), "order", "orders"),
                orders
                    .iter()
                    .map(|o| format!("{} {} {}", o.order_no, o.operation_type, o.status))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Hold::InDoubt(doubts) | Hold::Unsettled(doubts) => format!(
                "in doubt: {}; nothing more is ordered for it until the order shows, re-run after {}",
                doubts
                    .iter()
                    .map(|d| match &d.po_number {
                        Some(po) => format!(
                            "{} {po} sent at {}: {}",
                            d.operation_type,
                            Timestamp(d.since_ms),
                            d.reason
                        ),
                        None => d.reason.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                Timestamp(self.until_ms().unwrap_or(0))
            ),
            Hold::SentBefore { po_number, what } => format!(
                "order {po_number} was sent before ({what}); nothing sent again, re-run `entitle plan`"
            ),
            Hold::OtherApply(o) => format!(
                "someone else acted: order {} ({}, {}) was placed at {} since the plan; nothing sent, re-run `entitle plan`",
                o.order_no,
                o.operation_type,
                o.status,
                Timestamp(o.created_ms)
            ),
            Hold::Moved(what) => format!(
                "changed since the plan ({}); nothing sent, re-run `entitle plan`",
                what.join("; ")
            ),
        }
    }
}

/// What the evidence says of an order of unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The order list has it.
    Found,
    /// Not listed, but its PBX moved from the state it was planned from: taken as placed.
    TookEffect,
    /// No trace, and the settle period since its intent has passed: never placed.
    Absent,
    /// No trace yet: its PBX is in doubt until `until_ms`.
    InDoubt { until_ms: i64 },
}

/// The verdict on an order of unknown outcome whose latest intent was journaled at
/// `intent_ms`, given whether the order list has it and whether its PBX moved, at the
/// vendor's `now_ms`. Absent is concluded only from the absence of evidence over the whole
/// settle period, counted on one clock: the vendor's.
pub fn verdict(
    entry: &Entry,
    intent_ms: i64,
    listed: bool,
    moved: bool,
    now_ms: i64,
    settle_ms: i64,
) -> Verdict {
    if listed {
        return Verdict::Found;
    }
    if moved {
        return Verdict::TookEffect;
    }
    let until_ms = entry.at_ms.max(intent_ms).saturating_add(settle_ms);
    if now_ms >= until_ms {
        Verdict::Absent
    } else {
        Verdict::InDoubt { until_ms }
    }
}

/// The "now" an entry's window is counted against: the vendor's (`vendor_ms`), except for an
/// entry of keys version 1, stamped by an entitle that read this machine's clock
/// (`local_ms`): its window is counted on that clock too, unless the vendor's is behind it, so
/// a vendor clock ahead of this machine's never shortens it.
pub fn window_now(entry: &Entry, vendor_ms: i64, local_ms: i64) -> i64 {
    if entry.keys < 2 {
        vendor_ms.min(local_ms)
    } else {
        vendor_ms
    }
}

/// The reason an order is in doubt, for people.
pub fn doubt_reason(entry: &Entry) -> String {
    match (&entry.order_no, entry.state) {
        (Some(no), _) => format!("the vendor no longer knows order {no}"),
        (None, EntryState::Refused) => format!(
            "the vendor answered a refusal ({}), which proves nothing was bought only once the order list still shows no such order after the settle period",
            entry.detail.as_deref().unwrap_or("no detail")
        ),
        (None, _) => "its outcome is unknown and it is not in the order list yet".to_owned(),
    }
}

/// The order of the list that is this journal entry's (its latest intent at `intent_ms`): by
/// reference, by order number, or (when the vendor echoes no reference) the earliest order of
/// the same PBX, product and operation created since the intent (less [`CLOCK_SKEW_MS`]) that
/// no other entry has `claimed`.
pub fn find_order<'o>(
    orders: &'o [Order],
    e: &Entry,
    intent_ms: i64,
    claimed: &BTreeSet<String>,
) -> Option<&'o Order> {
    let free =
        |o: &&Order| e.order_no.as_ref() == Some(&o.order_no) || !claimed.contains(&o.order_no);
    orders
        .iter()
        .filter(free)
        .find(|o| o.reference.as_deref() == Some(e.po_number.as_str()) && !e.po_number.is_empty())
        .or_else(|| {
            let no = e.order_no.as_ref()?;
            orders.iter().find(|o| &o.order_no == no)
        })
        .or_else(|| {
            orders
                .iter()
                .filter(free)
                .filter(|o| o.reference.as_deref().is_none_or(str::is_empty))
                .filter(|o| {
                    o.sn == e.sn
                        && o.product.0 == e.product
                        && o.operation_type == e.operation
                        && o.created_ms >= intent_ms - CLOCK_SKEW_MS
                })
                .min_by_key(|o| o.created_ms)
        })
}

/// Since when the order list is read for orders placed on a plan's PBXs that the plan did not
/// see: its observation, less the settle period (an order placed just before may not have
/// shown) or the clock skew allowed, whichever is longer.
pub fn book_since(plan: &Plan, settle_ms: i64) -> i64 {
    plan.observed_at_ms - settle_ms.max(CLOCK_SKEW_MS)
}

/// When each poNumber's latest intent was journaled.
pub fn intents(entries: &[Entry]) -> BTreeMap<&str, i64> {
    let mut intent_ms = BTreeMap::new();
    for e in entries.iter().filter(|e| e.state == EntryState::Sending) {
        intent_ms.insert(e.po_number.as_str(), e.at_ms);
    }
    intent_ms
}

/// This workspace's orders placed (done or awaiting payment) within the settle period before
/// `now_ms`, each with the fingerprint of the PBX it was planned from: while the PBX still has
/// it, the order's effect may not show yet.
pub fn own_recent(entries: &[Entry], now_ms: i64, settle_ms: i64) -> Vec<RecentOrder> {
    let intent_ms = intents(entries);
    let mut out = Vec::new();
    for e in journal::latest(entries).values() {
        if let (EntryState::Done | EntryState::Pending, Some(fp)) = (e.state, &e.fingerprint) {
            let sent = intent_ms
                .get(e.po_number.as_str())
                .copied()
                .unwrap_or(e.at_ms);
            if sent >= now_ms - settle_ms {
                let reason = format!(
                    "it was placed{} moments ago and its effect does not show yet",
                    e.order_no
                        .as_ref()
                        .map(|n| format!(" as {n}"))
                        .unwrap_or_default()
                );
                let PbxDoubt { product, sn, doubt } =
                    e.doubt(sent, sent.saturating_add(settle_ms), reason);
                out.push(RecentOrder {
                    product,
                    sn,
                    doubt,
                    fingerprint: fp.clone(),
                });
            }
        }
    }
    out
}

/// While another process applies with this journal, its orders are not ours to resolve:
/// every one it has not settled yet counts as in doubt.
pub fn in_progress(entries: &[Entry], settle_ms: i64) -> Vec<PbxDoubt> {
    journal::latest(entries)
        .values()
        .filter(|e| e.state.is_unresolved())
        .map(|e| {
            e.doubt(
                e.at_ms,
                e.at_ms.saturating_add(settle_ms),
                "another apply in this workspace is sending it".to_owned(),
            )
        })
        .collect()
}

/// Orders this workspace's journal holds for another vendor account key (another client ID,
/// or a URL that is not this one) whose outcome is unknown: not this run's to resolve (its
/// order list may not be theirs), but if they are the same account after all, ordering for
/// their PBXs now could buy twice. So they hold their PBXs until the settle period after them
/// has passed on the vendor's clock (`now_ms`).
pub fn other_accounts(entries: &[Entry], now_ms: i64, settle_ms: i64) -> Vec<PbxDoubt> {
    journal::latest(entries)
        .values()
        .filter(|e| e.state.is_unresolved())
        .filter(|e| e.at_ms.saturating_add(settle_ms) > now_ms)
        .map(|e| {
            e.doubt(
                e.at_ms,
                e.at_ms.saturating_add(settle_ms),
                format!(
                    "it was sent from this workspace under another account key ({}: another client ID or base URL), and its outcome is unknown",
                    e.account.as_deref().unwrap_or("?")
                ),
            )
        })
        .collect()
}

/// Orders still awaiting settlement, for the PBXs in scope; an order listed twice (in the
/// order list and in the journal) counts once.
pub fn in_flight<'o>(
    orders: impl Iterator<Item = &'o Order>,
    pbxs: &BTreeMap<PbxKey, ObservedPbx>,
) -> BTreeMap<PbxKey, Vec<Order>> {
    let mut map: BTreeMap<PbxKey, Vec<Order>> = BTreeMap::new();
    for o in orders.filter(|o| o.status.is_in_flight()) {
        let key = (o.product, o.sn.clone());
        if !pbxs.contains_key(&key) {
            continue;
        }
        let list = map.entry(key).or_default();
        if !list.iter().any(|x| x.order_no == o.order_no) {
            list.push(o.clone());
        }
    }
    map
}

/// What observation knows of this workspace's orders, for [`unsettled`].
#[derive(Debug, Clone, Copy)]
pub struct Own<'a> {
    /// Order number → fingerprint of the PBX it was planned from.
    pub orders: &'a BTreeMap<String, Fingerprint>,
    /// See [`own_recent`].
    pub recent: &'a [RecentOrder],
}

/// Orders of the PBXs in scope placed within the settle period before `now_ms`: every one's
/// number (`recent`), and those whose effect is not proven to show yet (`unsettled`). An order
/// of this workspace shows once its PBX moved from the fingerprint it was planned from;
/// anyone else's, and a failed one, is never proven, so it is unsettled until the settle
/// period ends.
#[allow(clippy::type_complexity)]
pub fn unsettled(
    orders: &[Order],
    pbxs: &BTreeMap<PbxKey, ObservedPbx>,
    own: Own<'_>,
    now_ms: i64,
    settle_ms: i64,
) -> (BTreeMap<PbxKey, Vec<Doubt>>, BTreeMap<PbxKey, Vec<String>>) {
    let mut unsettled: BTreeMap<PbxKey, Vec<Doubt>> = BTreeMap::new();
    let mut recent: BTreeMap<PbxKey, Vec<String>> = BTreeMap::new();
    let since = now_ms - settle_ms;
    for o in orders.iter().filter(|o| o.created_ms >= since) {
        let key = (o.product, o.sn.clone());
        let Some(observed) = pbxs.get(&key) else {
            continue;
        };
        recent
            .entry(key.clone())
            .or_default()
            .push(o.order_no.clone());
        if !o.status.may_have_effect() {
            continue;
        }
        let shows = own
            .orders
            .get(&o.order_no)
            .is_some_and(|before| !fingerprint_matches(observed, before));
        let journaled = own
            .recent
            .iter()
            .any(|r| r.doubt.order_no.as_ref() == Some(&o.order_no));
        if !shows && !journaled {
            unsettled.entry(key).or_default().push(Doubt {
                po_number: o
                    .reference
                    .clone()
                    .filter(|r| !r.is_empty())
                    .map(PoNumber::from),
                order_no: Some(o.order_no.clone()),
                operation_type: o.operation_type.clone(),
                since_ms: o.created_ms,
                until_ms: o.created_ms.saturating_add(settle_ms),
                reason: format!(
                    "order {} ({}, {}) was placed moments ago and its effect may not show yet",
                    o.order_no, o.operation_type, o.status
                ),
            });
        }
    }
    // Our own recent orders, listed or not (a lagging list may not show them yet).
    for recent in own.recent {
        let key = (recent.product, recent.sn.clone());
        if let Some(observed) = pbxs.get(&key)
            && fingerprint_matches(observed, &recent.fingerprint)
        {
            unsettled.entry(key).or_default().push(recent.doubt.clone());
        }
    }
    (unsettled, recent)
}

/// The planner's first question for a PBX, before working out what it needs: orders
/// awaiting payment, then orders in doubt, hold it whatever the manifest says.
pub fn hold_before_planning(in_flight: &[Order], in_doubt: &[Doubt]) -> Option<Hold> {
    if !in_flight.is_empty() {
        Some(Hold::AwaitingPayment(in_flight.to_vec()))
    } else if !in_doubt.is_empty() {
        Some(Hold::InDoubt(in_doubt.to_vec()))
    } else {
        None
    }
}

/// The planner's second question, once it knows whether the PBX needs anything: an order
/// placed moments ago may not show on the PBX yet, so ordering now could buy the same thing
/// twice. A PBX that needs nothing is not held up by it.
pub fn hold_after_planning(unsettled: &[Doubt], needs_orders: bool) -> Option<Hold> {
    (needs_orders && !unsettled.is_empty()).then(|| Hold::Unsettled(unsettled.to_vec()))
}

/// Why a saved plan may not be applied now: for each PBX it would change, an order of this
/// workspace that the plan cannot have accounted for — of unknown outcome with no evidence
/// yet, awaiting payment, or sent within the settle period from the very state the plan was
/// made from (its effect may not show yet). Each item: the PBX, and the hold.
pub fn saved_plan_holds(plan: &Plan, leftovers: &Resolution) -> Vec<PbxHold> {
    let mut out = Vec::new();
    for p in plan.pbxs.iter().filter(|p| p.has_changes()) {
        let here = |product: &ProductId, sn: &str| *product == p.product && sn == p.sn;
        for PbxDoubt { product, sn, doubt } in &leftovers.in_doubt {
            if here(product, sn) {
                out.push(PbxHold {
                    pbx: p.key(),
                    hold: Hold::InDoubt(vec![doubt.clone()]),
                });
            }
        }
        for RecentOrder {
            product,
            sn,
            doubt: d,
            fingerprint: planned_from,
        } in &leftovers.own_recent
        {
            if here(product, sn) && fingerprint_matches(&p.observed, planned_from) {
                out.push(PbxHold {
                    pbx: p.key(),
                    hold: Hold::Unsettled(vec![Doubt {
                        reason: format!(
                            "it was sent from the state this plan was made from, and {}",
                            d.reason
                        ),
                        ..d.clone()
                    }]),
                });
            }
        }
        let pending: Vec<Order> = leftovers
            .pending
            .iter()
            .filter(|o| here(&o.product, &o.sn))
            .cloned()
            .collect();
        if !pending.is_empty() {
            out.push(PbxHold {
                pbx: p.key(),
                hold: Hold::AwaitingPayment(pending),
            });
        }
    }
    out
}

/// Why a saved plan must not be applied: the vendor's order list shows it applied already
/// (one of its poNumbers, sent from another checkout or machine), or shows an order on one of
/// its PBXs placed since it was made, which the plan cannot have accounted for (a vendor that
/// does not echo poNumbers shows a replay only this way). Each item: the PBX, and the order.
pub fn replay_evidence(plan: &Plan, orders: &[Order]) -> Vec<Evidence> {
    let ours: BTreeSet<&str> = plan
        .pbxs
        .iter()
        .flat_map(|p| p.actions.iter().filter_map(|a| a.po_number()))
        .collect();
    let mut out = Vec::new();
    for p in plan.pbxs.iter().filter(|p| p.has_changes()) {
        for o in orders
            .iter()
            .filter(|o| o.product == p.product && o.sn == p.sn)
        {
            let echoed = o.reference.as_deref().is_some_and(|r| ours.contains(r));
            let since = !p.seen_orders.contains(&o.order_no)
                && o.created_ms >= plan.observed_at_ms - CLOCK_SKEW_MS
                && o.status.may_have_effect();
            if echoed {
                out.push(Evidence {
                    pbx: p.key(),
                    order: format!(
                        "order {} ({}, {}) carries this plan's poNumber {}: the plan was applied already",
                        o.order_no,
                        o.operation_type,
                        o.status,
                        o.reference.as_deref().unwrap_or_default()
                    ),
                });
            } else if since {
                out.push(Evidence {
                    pbx: p.key(),
                    order: format!(
                        "order {} ({}, {}) was placed at {}, after the plan was made",
                        o.order_no,
                        o.operation_type,
                        o.status,
                        Timestamp(o.created_ms)
                    ),
                });
            }
        }
    }
    out
}

/// How long the journal's record of a sent order keeps the same order from being sent again
/// by a plan made before its effect showed (beyond the settle period, for a vendor slower than
/// that).
const RESEND_GUARD_MS: i64 = 86_400_000;

/// poNumbers the journal holds as sent recently (placed, pending, refused, or of unknown
/// outcome), with what became of them: such an order is never sent again by a plan made
/// before it showed.
pub fn sent_before(entries: &[Entry], now_ms: i64, settle_ms: i64) -> BTreeMap<String, String> {
    let recent = now_ms - RESEND_GUARD_MS.max(settle_ms);
    journal::latest(entries)
        .into_iter()
        .filter(|(_, e)| e.at_ms >= recent)
        .filter(|(_, e)| {
            matches!(
                e.state,
                EntryState::Sending
                    | EntryState::Unknown
                    | EntryState::Refused
                    | EntryState::Done
                    | EntryState::Pending
            )
        })
        .map(|(po, e)| {
            let what = match &e.order_no {
                Some(no) => format!("order {no}, {:?}", e.state).to_lowercase(),
                None => format!("{:?}", e.state).to_lowercase(),
            };
            (po.to_owned(), what)
        })
        .collect()
}

/// Whether a PBX read again (`now`) has moved from the state its plan was made from (a
/// fingerprint of any keys version), and what moved: someone changed it since the plan.
pub fn changed_since_plan(p: &PbxPlan, now: &ObservedPbx) -> Option<Hold> {
    (!fingerprint_matches(now, &p.fingerprint)).then(|| Hold::Moved(moved(&p.observed, now)))
}

/// Fields of a PBX that moved between two observations, as `field: before → after`.
fn moved(before: &ObservedPbx, after: &ObservedPbx) -> Vec<String> {
    let mut out = Vec::new();
    let plan = |o: &ObservedPbx| {
        o.plan
            .as_ref()
            .map(|p| {
                format!(
                    "{} ({}, until {})",
                    p.name,
                    crate::words::term(p.cycle, p.multi_cycle),
                    p.expires
                )
            })
            .unwrap_or_else(|| "none".into())
    };
    let mut diff = |field: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{field}: {a} → {b}"));
        }
    };
    diff("plan", plan(before), plan(after));
    diff(
        "extensions",
        before.extensions.to_string(),
        after.extensions.to_string(),
    );
    diff(
        "concurrentCalls",
        before.concurrent_calls.to_string(),
        after.concurrent_calls.to_string(),
    );
    // An empty side reads `none`, as a PBX without a plan does.
    let services = |o: &ObservedPbx| match o.services.as_slice() {
        [] => "none".to_owned(),
        list => list
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    };
    diff("services", services(before), services(after));
    let pending = |o: &ObservedPbx| match &o.pending_switch {
        None => "none".to_owned(),
        Some(p) => match p.until {
            Some(until) => format!("{} in force until {until}", p.in_force),
            None => format!("{} in force", p.in_force),
        },
    };
    diff("pending switch", pending(before), pending(after));
    if out.is_empty() && fingerprint(before) != fingerprint(after) {
        out.push("other subscription details changed".into());
    }
    out
}

/// The executor's question just before a PBX's first order: was one of its orders sent
/// before (`sent`, see [`sent_before`]), or has someone placed an order on it since the plan
/// that the plan did not see (`orders`, the order list since the plan's observation)?
pub fn acted_on(p: &PbxPlan, orders: &[Order], sent: &BTreeMap<String, String>) -> Option<Hold> {
    for po in p.actions.iter().filter_map(|a| a.po_number()) {
        if let Some(what) = sent.get(po) {
            return Some(Hold::SentBefore {
                po_number: po.into(),
                what: what.clone(),
            });
        }
    }
    let ours: BTreeSet<&str> = p.actions.iter().filter_map(|a| a.po_number()).collect();
    orders
        .iter()
        .find(|o| {
            o.product == p.product
                && o.sn == p.sn
                && !p.seen_orders.contains(&o.order_no)
                && (o.status.may_have_effect()
                    || o.reference.as_deref().is_some_and(|r| ours.contains(r)))
        })
        .map(|o| Hold::OtherApply(o.clone()))
}

#[cfg(test)]
mod tests;
