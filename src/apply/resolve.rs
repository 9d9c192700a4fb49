//! Resolving orders of unknown outcome before anything else: every journal entry left at
//! `sending` or `unknown` is looked up in the vendor's order list by its `poNumber`
//! (`customReferenceNo`). Found: its real status is journaled. Not found: it is journaled
//! `absent` — proof that it may be planned again. Until then, nothing is re-sent.

use super::Vendor;
use super::journal::{self, Entry, EntryState, Journal, JournalError};
use crate::model::{Order, OrderStatus};

/// What the lookup found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resolution {
    /// `(poNumber, orderNo, status)` of orders that do exist.
    pub found: Vec<(String, String, String)>,
    /// poNumbers proven never placed.
    pub absent: Vec<String>,
    /// Orders this workspace placed that still await payment: their PBXs are in flight, even
    /// when the orders are older than the order-list window.
    pub pending: Vec<Order>,
}

/// Why leftovers could not be resolved: then no order may be sent.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError<E: std::error::Error + 'static> {
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

/// Slack before the oldest leftover when reading the order list, for clock skew.
const LOOKBACK_SLACK_MS: i64 = 86_400_000;

pub(crate) async fn resolve_leftovers<V: Vendor>(
    vendor: &V,
    journal: &mut Journal,
) -> Result<Resolution, ResolveError<V::Error>> {
    let entries = journal::read(journal.path())?;
    let latest = journal::latest(&entries);
    let leftovers: Vec<Entry> = latest
        .values()
        .filter(|e| e.state.is_unresolved())
        .map(|e| (*e).clone())
        .collect();
    let awaiting: Vec<Entry> = latest
        .values()
        .filter(|e| e.state == EntryState::Pending && e.order_no.is_some())
        .map(|e| (*e).clone())
        .collect();
    let mut res = Resolution::default();
    follow_pending(vendor, journal, awaiting, &mut res).await?;
    if leftovers.is_empty() {
        return Ok(res);
    }
    let oldest = leftovers.iter().map(|e| e.at_ms).min().unwrap_or(0);
    let orders = vendor
        .recent_orders(oldest - LOOKBACK_SLACK_MS)
        .await
        .map_err(|source| ResolveError::Lookup {
            count: leftovers.len(),
            source,
        })?;
    for e in leftovers {
        let found = orders
            .iter()
            .find(|o| o.reference.as_deref() == Some(e.po_number.as_str()));
        let (state, order_no, detail) = match found {
            Some(o) => {
                let state = match o.status {
                    OrderStatus::Succeed => EntryState::Done,
                    ref s if s.is_in_flight() => EntryState::Pending,
                    _ => EntryState::Failed,
                };
                res.found.push((
                    e.po_number.clone(),
                    o.order_no.clone(),
                    o.status.to_string(),
                ));
                (
                    state,
                    Some(o.order_no.clone()),
                    format!("found in the order list as {} ({})", o.order_no, o.status),
                )
            }
            None => {
                res.absent.push(e.po_number.clone());
                (
                    EntryState::Absent,
                    None,
                    "not in the order list: never placed".to_owned(),
                )
            }
        };
        journal.append(&Entry {
            at_ms: journal.now_ms(),
            state,
            order_no,
            detail: Some(detail),
            ..e
        })?;
    }
    Ok(res)
}

/// Orders journaled `pending`: asks for each one's status (L7). Settled ones are journaled
/// `done` or `failed`; those still awaiting payment are returned, so their PBXs stay in flight.
async fn follow_pending<V: Vendor>(
    vendor: &V,
    journal: &mut Journal,
    awaiting: Vec<Entry>,
    res: &mut Resolution,
) -> Result<(), ResolveError<V::Error>> {
    let count = awaiting.len();
    for e in awaiting {
        let order_no = e.order_no.clone().unwrap_or_default();
        let order = vendor
            .order(&order_no)
            .await
            .map_err(|source| ResolveError::Lookup { count, source })?;
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
            ..e
        })?;
    }
    Ok(())
}
