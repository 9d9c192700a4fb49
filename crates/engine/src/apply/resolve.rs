//! Resolving orders of unknown outcome before anything else, by positive evidence only
//! (docs/safety.md, vendor-api section 9). Every journal entry left at `sending` or
//! `unknown`, and every `pending` order the vendor no longer knows (404), is:
//!
//! - **found** when the order list has it: by its `poNumber` (`customReferenceNo`), by its
//!   order number, or — for a vendor that does not echo references — by the same PBX, product
//!   and operation, created at or after its intent (less [`CLOCK_SKEW_MS`]) and claimed by no
//!   other journal entry;
//! - **taken as placed** when the PBX, read again, no longer has the fingerprint the order was
//!   planned from: its effect (or someone's) shows, and the next plan starts from there;
//! - **absent** only when neither holds and the settle period since it was sent has passed.
//!
//! Until then the PBX is **in doubt**: nothing more is ordered for it, and nothing is written
//! to the journal, so no run — `plan` included — concludes "absent" early.

use std::collections::BTreeSet;

use super::Vendor;
use super::journal::{self, Entry, EntryState, Journal, JournalError};
use crate::clock::Timestamp;
pub use crate::ledger::Resolution;
use crate::ledger::{self, CLOCK_SKEW_MS, Verdict};
use crate::model::{OrderStatus, ProductId};

/// Why leftovers could not be resolved: then no order may be sent.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "cannot look up {} of unknown outcome in the order list: {source}; nothing is sent until they are resolved, re-run later",
        crate::words::plural(*count, "order", "orders")
    )]
    Lookup {
        count: usize,
        #[source]
        source: E,
    },
}

/// An order whose outcome is to be established.
struct Leftover {
    entry: Entry,
    /// When its latest attempt's intent was journaled.
    intent_ms: i64,
}

/// Resolves the journal's leftovers; `settle_ms` is how long after sending an order with no
/// evidence stays in doubt before it is concluded absent.
pub async fn resolve_leftovers<V: Vendor>(
    vendor: &V,
    journal: &mut Journal,
    settle_ms: i64,
) -> Result<Resolution, ResolveError<V::Error>> {
    let entries = journal.entries()?;
    let latest = journal::latest(&entries);
    let intent_ms = ledger::intents(&entries);
    let now = journal.now_ms();
    let mut res = Resolution {
        own_recent: ledger::own_recent(&entries, now, settle_ms),
        applied: journal::last_applies(&entries),
        ..Resolution::default()
    };
    for e in &entries {
        if let (Some(no), Some(fp)) = (&e.order_no, &e.fingerprint) {
            res.own.insert(no.clone(), fp.clone());
        }
    }
    res.in_doubt.extend(ledger::other_accounts(
        &journal.other_accounts_entries()?,
        now,
        settle_ms,
    ));
    let leftover = |e: &Entry| Leftover {
        intent_ms: intent_ms
            .get(e.po_number.as_str())
            .copied()
            .unwrap_or(e.at_ms),
        entry: e.clone(),
    };
    let mut leftovers: Vec<Leftover> = latest
        .values()
        .filter(|e| e.state.is_unresolved())
        .map(|e| leftover(e))
        .collect();
    let awaiting: Vec<&Entry> = latest
        .values()
        .filter(|e| e.state == EntryState::Pending && e.order_no.is_some())
        .copied()
        .collect();
    for e in follow_pending(vendor, journal, awaiting, &mut res).await? {
        leftovers.push(leftover(&e));
    }
    if leftovers.is_empty() {
        return Ok(res);
    }
    leftovers.sort_by_key(|l| l.intent_ms);
    let oldest = leftovers.iter().map(|l| l.intent_ms).min().unwrap_or(0);
    let orders = vendor
        .recent_orders(oldest - CLOCK_SKEW_MS)
        .await
        .map_err(|source| ResolveError::Lookup {
            count: leftovers.len(),
            source,
        })?;
    // An order of the list that a journal entry already stands for is not another's evidence.
    let mut claimed: BTreeSet<String> = entries.iter().filter_map(|e| e.order_no.clone()).collect();
    for l in leftovers {
        let e = &l.entry;
        let listed = ledger::find_order(&orders, &l.entry, l.intent_ms, &claimed);
        // The PBX is read again only when the list has no trace of the order.
        let moved = listed.is_none() && moved_since(vendor, e).await;
        let now = ledger::window_now(e, now, crate::clock::system_now_ms());
        match ledger::verdict(e, l.intent_ms, listed.is_some(), moved, now, settle_ms) {
            Verdict::Found => {
                let Some(o) = listed else { continue };
                claimed.insert(o.order_no.clone());
                let state = match o.status {
                    OrderStatus::Succeed => EntryState::Done,
                    ref s if s.is_in_flight() => EntryState::Pending,
                    _ => EntryState::Failed,
                };
                if let Some(fp) = &e.fingerprint {
                    res.own.insert(o.order_no.clone(), fp.clone());
                }
                if state == EntryState::Pending {
                    res.pending.push(o.clone());
                }
                res.found.push(ledger::Found {
                    po_number: e.po_number.clone(),
                    order_no: o.order_no.clone(),
                    status: o.status.to_string(),
                });
                journal.append(&Entry {
                    at_ms: now,
                    state,
                    order_no: Some(o.order_no.clone()),
                    detail: Some(format!(
                        "found in the order list as {} ({})",
                        o.order_no, o.status
                    )),
                    ..e.clone()
                })?;
            }
            Verdict::TookEffect => {
                res.took_effect.push(ledger::TookEffect {
                    po_number: e.po_number.clone(),
                    sn: e.sn.clone(),
                });
                journal.append(&Entry {
                    at_ms: now,
                    state: EntryState::Done,
                    detail: Some(format!(
                        "not in the order list, but {} changed since the order was sent: taken as placed, and planned again from what it has now",
                        e.sn
                    )),
                    ..e.clone()
                })?;
            }
            Verdict::Absent => {
                res.absent.push(e.po_number.clone());
                journal.append(&Entry {
                    at_ms: now,
                    state: EntryState::Absent,
                    order_no: None,
                    detail: Some(format!(
                        "no trace in the order list or on the PBX since {}: never placed",
                        Timestamp(l.intent_ms)
                    )),
                    ..e.clone()
                })?;
            }
            Verdict::InDoubt { until_ms } => {
                res.in_doubt
                    .push(e.doubt(l.intent_ms, until_ms, ledger::doubt_reason(e)));
            }
        }
    }
    Ok(res)
}

/// Has the PBX moved from the fingerprint the order was planned from? A failed re-read is no
/// evidence either way.
async fn moved_since<V: Vendor>(vendor: &V, e: &Entry) -> bool {
    let Some(before) = &e.fingerprint else {
        return false;
    };
    match vendor.instance(ProductId(e.product), &e.sn).await {
        Ok(now) => !crate::plan::fingerprint_matches(&now, before),
        Err(err) => {
            tracing::warn!(sn = %e.sn, error = %err, "cannot re-read the PBX of an order of unknown outcome");
            false
        }
    }
}

/// Orders journaled `pending`: asks for each one's status (L7). Settled ones are journaled
/// `done` or `failed`; those still awaiting payment are returned in `res.pending`, so their
/// PBXs stay in flight. Those the vendor no longer knows (404) are returned, to be resolved by
/// evidence like any order of unknown outcome.
async fn follow_pending<V: Vendor>(
    vendor: &V,
    journal: &mut Journal,
    awaiting: Vec<&Entry>,
    res: &mut Resolution,
) -> Result<Vec<Entry>, ResolveError<V::Error>> {
    let count = awaiting.len();
    let mut unknown = Vec::new();
    for e in awaiting {
        let order_no = e.order_no.clone().unwrap_or_default();
        let order = match vendor.order(&order_no).await {
            Ok(o) => o,
            Err(err) if V::is_not_found(&err) => {
                unknown.push(e.clone());
                continue;
            }
            Err(source) => return Err(ResolveError::Lookup { count, source }),
        };
        let state = match order.status {
            OrderStatus::Succeed => EntryState::Done,
            ref s if s.is_in_flight() => {
                res.pending.push(order);
                continue;
            }
            _ => EntryState::Failed,
        };
        journal.append(&Entry {
            at_ms: journal.now_ms(),
            state,
            detail: Some(format!("order {order_no} is now {}", order.status)),
            ..e.clone()
        })?;
    }
    Ok(unknown)
}
