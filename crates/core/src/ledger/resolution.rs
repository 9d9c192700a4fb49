//! What resolving the journal's leftovers found: the evidence the ledger decides holds from.

use std::collections::BTreeMap;

use crate::model::{Order, PbxDoubt, RecentOrder};

/// What the lookup found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Orders found in the order list.
    pub found: Vec<Found>,
    /// `(poNumber, PBX)` of orders not listed whose PBX shows a change since they were sent.
    pub took_effect: Vec<TookEffect>,
    /// poNumbers proven never placed.
    pub absent: Vec<crate::plan::PoNumber>,
    /// Orders this workspace placed that still await payment: their PBXs are in flight, even
    /// when the orders are older than the order-list window.
    pub pending: Vec<Order>,
    /// PBXs with an order of unknown outcome and no evidence yet: nothing more is ordered for
    /// them until the evidence comes or the settle period ends.
    pub in_doubt: Vec<PbxDoubt>,
    /// Order numbers of this workspace's orders, with the fingerprint of the PBX each was
    /// planned from: once the PBX has moved from it, the order's effect shows.
    pub own: BTreeMap<String, crate::plan::Fingerprint>,
    /// This workspace's orders placed within the settle period, with the fingerprint of the
    /// PBX each was planned from: while the PBX still has it, the effect may not show yet
    /// (and a lagging order list may not show the order either).
    pub own_recent: Vec<RecentOrder>,
    /// Entitle's last apply of each PBX, by the journal: the evidence a plan tells by whether
    /// the manifest or the account changed since.
    pub applied: BTreeMap<crate::plan::PbxKey, crate::plan::drift::LastApply>,
}

/// An order of unknown outcome, found in the vendor's order list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The reference entitle sent it with.
    pub po_number: crate::plan::PoNumber,
    /// The vendor's order number.
    pub order_no: String,
    /// Its status there (`succeed`, `pending`, ...).
    pub status: String,
}

/// An order of unknown outcome not listed, whose PBX shows a change since it was sent: taken
/// as placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TookEffect {
    pub po_number: crate::plan::PoNumber,
    pub sn: String,
}
