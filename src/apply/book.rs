//! The order list as the truth shared between workspaces (partner-api section 9): before a
//! PBX's first order, apply looks for orders placed on it since the plan's observation that the
//! plan did not see — someone else acted, and the PBX is skipped.
//!
//! One read of the list serves many PBXs: the book keeps the last read for [`MAX_AGE`] and
//! concurrent callers share one refresh, so a fleet costs one list read per couple of seconds,
//! not one per order. Our own orders need no invalidation: each PBX is checked before its
//! first order, so none of this run's orders can be on a PBX still to be checked.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use super::Vendor;
use crate::model::Order;

/// How long one read of the order list is trusted.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(2);

/// A cached read of the order list since a point in time.
pub(crate) struct OrderBook<V> {
    vendor: V,
    since_ms: i64,
    last: Mutex<Option<(Instant, Arc<Vec<Order>>)>>,
}

impl<V: Vendor> OrderBook<V> {
    /// A book of the orders created at or after `since_ms`.
    pub(crate) fn new(vendor: V, since_ms: i64) -> OrderBook<V> {
        OrderBook {
            vendor,
            since_ms,
            last: Mutex::new(None),
        }
    }

    /// The orders, read at most [`MAX_AGE`] ago.
    pub(crate) async fn orders(&self) -> Result<Arc<Vec<Order>>, V::Error> {
        let mut last = self.last.lock().await;
        if let Some((at, orders)) = last.as_ref()
            && at.elapsed() < MAX_AGE
        {
            return Ok(orders.clone());
        }
        let orders = Arc::new(self.vendor.recent_orders(self.since_ms).await?);
        *last = Some((Instant::now(), orders.clone()));
        Ok(orders)
    }
}
