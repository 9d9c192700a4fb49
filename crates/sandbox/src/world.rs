//! The simulated account: billing contacts, every (SN, product) subscription and the order log.
//! This is exactly what `--state` persists; tokens, request logs and fault switches are runtime
//! only (tokens are secrets and must never reach a file).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::vocab::BillingCycle;
use crate::date::Date;
use crate::wire::Id;

/// Bumped when the persisted shape changes incompatibly.
pub(super) const FORMAT: u32 = 1;

/// Order IDs are this plus a multiple of the order sequence: always 19 digits.
const ORDER_ID_BASE: u64 = 3_206_300_000_000_000_000;
const ORDER_ID_STEP: u64 = 4_099;

/// The whole persisted account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct World {
    pub format: u32,
    pub contacts: Vec<ContactRecord>,
    pub pbxs: Vec<Subscription>,
    pub orders: Vec<OrderRecord>,
    /// Sequence of the next order (IDs and numbers derive from it).
    pub next_order_seq: u64,
    /// `createTime` of the newest order, so times only increase.
    pub last_create_time: i64,
    #[serde(skip)]
    index: HashMap<(u32, String), usize>,
}

/// A billing contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContactRecord {
    pub id: Id,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub country: String,
    /// The address and phone, as the contract's `Contact` has them (absent from state files
    /// written before they were kept).
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub zip_code: String,
}

/// The state of one SN under one product.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Subscription {
    pub sn: String,
    pub product_id: u32,
    pub instance_id: u64,
    pub activation_code: String,
    pub activation_status: String,
    pub comment: String,
    pub create_time: i64,
    /// The term in force; `None` = no active plan.
    pub plan: Option<Term>,
    /// A switch accepted but waiting for the end of the term in force (a downgrade).
    pub pending: Option<PendingSwitch>,
    pub extensions: u32,
    pub concurrent_calls: u32,
    pub recording_minutes: u32,
    pub services: Vec<ServiceSub>,
    pub auto_renew: bool,
}

/// A plan in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Term {
    pub plan_id: Id,
    pub cycle: BillingCycle,
    pub multi_cycle: u32,
    pub expire: Date,
}

impl Term {
    /// The date one term after `from`: `multi_cycle` years, or one month when monthly.
    pub(super) fn one_term_after(&self, from: Date) -> Date {
        term_end(from, self.cycle, self.multi_cycle)
    }
}

/// `from` plus one term of `cycle` / `multi_cycle`.
pub(super) fn term_end(from: Date, cycle: BillingCycle, multi_cycle: u32) -> Date {
    match cycle {
        BillingCycle::Monthly => from.add_months(1),
        BillingCycle::Annually => from.add_years(multi_cycle.max(1) as i32),
    }
}

/// The plan a PBX switches to when the term in force ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PendingSwitch {
    pub plan_id: Id,
    pub cycle: BillingCycle,
    pub multi_cycle: u32,
    /// The last day of the plan in force.
    pub in_force_until: Date,
}

/// A subscribed service (features and per-extension services; capacity goes to the counters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceSub {
    pub service_id: Id,
    pub quantity: u32,
    pub expire: Date,
}

/// One order as committed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderRecord {
    pub id: Id,
    pub order_no: String,
    pub transaction_no: String,
    pub status: String,
    pub po_number: Option<String>,
    pub product_id: u32,
    pub product_no: String,
    pub operation_type: String,
    pub create_time: i64,
    pub currency_code: String,
    pub total_amount: String,
    pub billing_id: Id,
    /// The request body exactly as received (numbers keep their u64 precision).
    pub body: serde_json::Value,
}

impl World {
    pub(super) fn new(contacts: Vec<ContactRecord>, pbxs: Vec<Subscription>) -> World {
        let mut w = World {
            format: FORMAT,
            contacts,
            pbxs,
            orders: Vec::new(),
            next_order_seq: 1,
            last_create_time: 0,
            index: HashMap::new(),
        };
        w.reindex();
        w
    }

    /// Rebuilds the lookup index (after loading from a file).
    pub(super) fn reindex(&mut self) {
        self.index = self
            .pbxs
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.product_id, s.sn.clone()), i))
            .collect();
    }

    /// The first (product, SN) listed twice: such a state file is unusable.
    pub(super) fn duplicate_key(&self) -> Option<(u32, String)> {
        let mut seen = std::collections::HashSet::new();
        self.pbxs
            .iter()
            .find(|s| !seen.insert((s.product_id, s.sn.as_str())))
            .map(|s| (s.product_id, s.sn.clone()))
    }

    pub(super) fn find(&self, product_id: u32, sn: &str) -> Option<usize> {
        self.index.get(&(product_id, sn.to_owned())).copied()
    }

    /// Takes the next order's numbers from the sequence: its ID, its order number (`UO` and
    /// the ID) and its transaction number (`DA` and the ID after it).
    pub(super) fn take_order_numbers(&mut self) -> (Id, String, String) {
        let seq = self.next_order_seq;
        self.next_order_seq += 1;
        let id = Id(ORDER_ID_BASE + seq * ORDER_ID_STEP);
        (id, format!("UO{id}"), format!("DA{}", id.0 + 1))
    }

    pub(super) fn is_contact(&self, id: Id) -> bool {
        self.contacts.iter().any(|c| c.id == id)
    }

    pub(super) fn order(&self, id_or_no: &str) -> Option<usize> {
        self.orders
            .iter()
            .position(|o| o.order_no == id_or_no || o.id.0.to_string() == id_or_no)
    }

    /// Puts into force every pending switch whose term ended before `today`. Returns whether
    /// anything changed.
    pub(super) fn settle(&mut self, today: Date) -> bool {
        let mut changed = false;
        for s in &mut self.pbxs {
            if let (Some(p), Some(term)) = (&s.pending, &mut s.plan)
                && p.in_force_until < today
            {
                term.plan_id = p.plan_id;
                term.cycle = p.cycle;
                term.multi_cycle = p.multi_cycle;
                s.pending = None;
                changed = true;
            }
        }
        changed
    }
}
