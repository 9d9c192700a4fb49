//! Resolving orders of unknown outcome before anything else: every journal entry left at
//! `sending` or `unknown` is looked up in the vendor's order list by its `poNumber`
//! (`customReferenceNo`). Found: its real status is journaled. Not found: it is journaled
//! `absent` — proof that it may be planned again. Until then, nothing is re-sent.

use super::Vendor;
use super::journal::{self, Entry, EntryState, Journal, JournalError, now_ms};
use crate::model::OrderStatus;

/// What the lookup found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// `(poNumber, orderNo, status)` of orders that do exist.
    pub found: Vec<(String, String, String)>,
    /// poNumbers proven never placed.
    pub absent: Vec<String>,
}

impl Resolution {
    pub fn is_empty(&self) -> bool {
        self.found.is_empty() && self.absent.is_empty()
    }
}

/// Why leftovers could not be resolved: then no order may be sent.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "cannot look up {count} order(s) of unknown outcome in the order list: {source}; nothing is sent until they are resolved, re-run later"
    )]
    Lookup {
        count: usize,
        #[source]
        source: E,
    },
}

/// Slack before the oldest leftover when reading the order list, for clock skew.
const LOOKBACK_SLACK_MS: i64 = 86_400_000;

pub async fn resolve_leftovers<V: Vendor>(
    vendor: &V,
    journal: &mut Journal,
) -> Result<Resolution, ResolveError<V::Error>> {
    let entries = journal::read(journal.path())?;
    let leftovers: Vec<Entry> = journal::latest(&entries)
        .into_values()
        .filter(|e| e.state.is_unresolved())
        .cloned()
        .collect();
    if leftovers.is_empty() {
        return Ok(Resolution::default());
    }
    let oldest = leftovers.iter().map(|e| e.at_ms).min().unwrap_or(0);
    let orders = vendor
        .recent_orders(oldest - LOOKBACK_SLACK_MS)
        .await
        .map_err(|source| ResolveError::Lookup {
            count: leftovers.len(),
            source,
        })?;
    let mut res = Resolution::default();
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
            at_ms: now_ms(),
            state,
            order_no,
            detail: Some(detail),
            ..e
        })?;
    }
    Ok(res)
}
