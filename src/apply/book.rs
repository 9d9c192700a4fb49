//! The order list as the truth shared between workspaces (partner-api section 9): before a
//! PBX's first order, apply looks for orders placed on it since the plan's observation that the
//! plan did not see — someone else acted, and the PBX is skipped.
//!
//! One read of the list serves many PBXs. The book keeps what it read and refreshes it when
//! it is older than [`MAX_AGE`], or — so that a run slowed down by its own orders does not
//! check against an old list — when this run placed an order since, but not more often than
//! every [`MIN_AGE`]. Concurrent callers share one refresh. A refresh reads only the orders
//! created since the newest one already known (by the vendor's own clock, less
//! [`OVERLAP_MS`]), so its cost grows with the orders placed meanwhile, not with the run.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::Vendor;
use crate::model::Order;

/// How long one read of the order list is trusted.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(2);
/// The shortest time between two reads, however many orders this run places.
pub(crate) const MIN_AGE: Duration = Duration::from_millis(100);
/// Orders created this long before the newest known one are read again: commits that land
/// out of order.
const OVERLAP_MS: i64 = 2_000;

#[derive(Default)]
struct Read {
    at: Option<Instant>,
    orders: Arc<Vec<Order>>,
    /// `createTime` of the newest order read (the vendor's clock).
    newest_ms: Option<i64>,
    /// This run placed an order since the last read.
    own_since: bool,
}

/// A cached read of the order list since a point in time.
pub(crate) struct OrderBook<V> {
    vendor: V,
    since_ms: i64,
    last: Mutex<Read>,
}

impl<V: Vendor> OrderBook<V> {
    /// A book of the orders created at or after `since_ms`.
    pub(crate) fn new(vendor: V, since_ms: i64) -> OrderBook<V> {
        OrderBook {
            vendor,
            since_ms,
            last: Mutex::new(Read::default()),
        }
    }

    /// This run placed (or tried to place) an order: the next check reads the list again.
    pub(crate) async fn placed(&self) {
        self.last.lock().await.own_since = true;
    }

    /// The orders, read recently enough.
    pub(crate) async fn orders(&self) -> Result<Arc<Vec<Order>>, V::Error> {
        let mut last = self.last.lock().await;
        if let Some(at) = last.at {
            let age = at.elapsed();
            if age < MAX_AGE && !(last.own_since && age >= MIN_AGE) {
                return Ok(last.orders.clone());
            }
        }
        let since = last
            .newest_ms
            .map_or(self.since_ms, |n| (n - OVERLAP_MS).max(self.since_ms));
        let started = Instant::now();
        let fresh = self.vendor.recent_orders(since).await?;
        let mut all: Vec<Order> = last.orders.as_ref().clone();
        for o in fresh {
            match all.iter_mut().find(|x| x.order_no == o.order_no) {
                Some(known) => *known = o,
                None => all.push(o),
            }
        }
        last.newest_ms = all.iter().map(|o| o.created_ms).max();
        last.orders = Arc::new(all);
        last.at = Some(started);
        last.own_since = false;
        Ok(last.orders.clone())
    }
}
