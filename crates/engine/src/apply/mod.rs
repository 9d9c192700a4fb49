//! Apply: place a plan's orders without ever buying twice (docs/safety.md). Owns the journal,
//! the workspace lock, the resolution of orders whose outcome is unknown, the freshness checks
//! (saved-plan fingerprints, the re-read just before a PBX's first order) and the executor.

mod book;
mod execute;
pub mod journal;
pub mod lock;
mod resolve;

use std::future::Future;

pub use book::ListRead;
pub use execute::{
    ApplyReport, Guard, Interrupt, MovedPbx, OrderReport, Outcome, REREAD_AFTER_MS, Stop, execute,
    stale_pbxs,
};
pub use journal::{Entry, EntryState, Journal, JournalError};
pub use lock::{LockError, WorkspaceLock};
pub use resolve::{Resolution, ResolveError, resolve_leftovers};

use crate::model::{Id, Order, OrderStatus, ProductId};
use crate::observe::Source;
use crate::wire::OrderBody;

/// What sending one order came to; `E` is the vendor's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome<E> {
    /// The vendor answered with an order: `succeed`, `pending`, ...
    Placed {
        order_no: String,
        status: OrderStatus,
    },
    /// Provably never left this machine: nothing bought.
    NotSent(E),
    /// The vendor answered a refusal code: most likely nothing bought, but proven only by
    /// evidence (a vendor may answer an error after it committed).
    Refused(E),
    /// Timeout, 5xx, 401, 429, dropped connection, an unreadable answer: it may or may not
    /// exist.
    Unknown(E),
}

/// The writes apply needs, beyond the reads of [`Source`].
pub trait Vendor: Source {
    /// Sends an order ONCE; never retried by the implementation.
    fn save_order(&self, body: &OrderBody)
    -> impl Future<Output = SendOutcome<Self::Error>> + Send;
    /// One order by ID or order number (L7).
    fn order(&self, id_or_no: &str) -> impl Future<Output = Result<Order, Self::Error>> + Send;
    fn enable_auto_renew(
        &self,
        product: ProductId,
        sn: &str,
        plan_or_service: Id,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

#[cfg(test)]
mod tests;
