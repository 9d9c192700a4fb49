//! The order list as the truth shared between workspaces (vendor-api section 9): before a
//! PBX's first order, apply looks for orders placed on it since the plan's observation that the
//! plan did not see — someone else acted, and the PBX is skipped.
//!
//! One read of the list serves many PBXs. The book keeps what it read and reads again when the
//! read is older than [`MAX_AGE`], or older than [`MIN_AGE`] once this run has placed an order
//! since (so a run slowed down by its own orders never checks against an old list), or at
//! every check once another apply was seen acting on this run's PBXs ([`OrderBook::contended`]). The task
//! that finds the book stale reads it and waits for the answer; tasks arriving meanwhile use
//! the last read rather than queue behind it. A read asks only for orders created since the
//! newest one already known (by the vendor's own clock, less [`OVERLAP_MS`]), so its cost
//! grows with the orders placed meanwhile, not with the run.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use super::Vendor;
use crate::model::Order;

/// How long one read of the order list is trusted.
pub(super) const MAX_AGE: Duration = Duration::from_secs(2);
/// How old a read may be once this run has placed an order since.
pub(super) const MIN_AGE: Duration = Duration::from_millis(100);
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
    /// Another apply was seen acting on this run's PBXs: from then on every check reads the
    /// list afresh (and waits for its own read), since the other's next orders may land on
    /// PBXs this run is about to order for.
    contended: bool,
    /// A read is under way.
    reading: bool,
}

/// A read of the order list made before the executor started (a saved plan's check), and
/// when it was made.
#[derive(Debug, Clone)]
pub struct ListRead {
    pub orders: Arc<Vec<Order>>,
    pub read_at: Instant,
}

/// A cached read of the order list since a point in time.
pub(super) struct OrderBook<V> {
    vendor: V,
    since_ms: i64,
    last: Mutex<Read>,
    /// Serializes the very first read: before it there is nothing to fall back on.
    first: tokio::sync::Mutex<()>,
}

impl<V: Vendor> OrderBook<V> {
    /// A book of the orders created at or after `since_ms`.
    pub(super) fn new(vendor: V, since_ms: i64) -> OrderBook<V> {
        OrderBook {
            vendor,
            since_ms,
            last: Mutex::new(Read::default()),
            first: tokio::sync::Mutex::new(()),
        }
    }

    /// A book that starts from a read the caller made (the saved plan's check), so the first
    /// PBX's check costs no second read — unless the read is older than [`MAX_AGE`] by then (a
    /// confirmation prompt ran meanwhile), when it is read again.
    pub(super) fn seeded(vendor: V, since_ms: i64, read: ListRead) -> OrderBook<V> {
        let ListRead { orders, read_at } = read;
        let newest_ms = orders.iter().map(|o| o.created_ms).max();
        OrderBook {
            vendor,
            since_ms,
            last: Mutex::new(Read {
                at: Some(read_at),
                orders,
                newest_ms,
                ..Read::default()
            }),
            first: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Read> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This run placed (or tried to place) an order: the next check reads the list again.
    pub(super) fn placed(&self) {
        self.lock().own_since = true;
    }

    /// Someone else placed an order on one of this run's PBXs since the plan: another apply
    /// is running. Every later check reads the list afresh: it costs a read per PBX, and only
    /// while two applies race, which it narrows to the orders the other has in flight.
    pub(super) fn contended(&self) {
        self.lock().contended = true;
    }

    /// The orders, read recently enough.
    pub(super) async fn orders(&self) -> Result<Arc<Vec<Order>>, V::Error> {
        if self.lock().at.is_none() {
            let _first = self.first.lock().await;
            if self.lock().at.is_none() {
                return self.read().await;
            }
        }
        {
            let last = self.lock();
            let age = last.at.map_or(MAX_AGE, |at| at.elapsed());
            let stale = age >= MAX_AGE || (last.own_since && age >= MIN_AGE) || last.contended;
            if !stale || (last.reading && !last.contended) {
                return Ok(last.orders.clone());
            }
        }
        self.read().await
    }

    /// Reads the orders created since the newest known one and merges them in.
    async fn read(&self) -> Result<Arc<Vec<Order>>, V::Error> {
        let since = {
            let mut last = self.lock();
            last.reading = true;
            last.own_since = false;
            last.newest_ms
                .map_or(self.since_ms, |n| (n - OVERLAP_MS).max(self.since_ms))
        };
        let started = Instant::now();
        let fresh = self.vendor.recent_orders(since).await;
        let mut last = self.lock();
        last.reading = false;
        let fresh = fresh?;
        let mut all: Vec<Order> = last.orders.as_ref().clone();
        let mut index: std::collections::HashMap<String, usize> = all
            .iter()
            .enumerate()
            .map(|(i, o)| (o.order_no.clone(), i))
            .collect();
        for o in fresh {
            match index.get(&o.order_no) {
                Some(&i) => all[i] = o,
                None => {
                    index.insert(o.order_no.clone(), all.len());
                    all.push(o);
                }
            }
        }
        last.newest_ms = all.iter().map(|o| o.created_ms).max();
        last.orders = Arc::new(all);
        last.at = Some(started);
        Ok(last.orders.clone())
    }
}
