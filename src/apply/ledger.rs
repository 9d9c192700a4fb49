//! The ledger: what the journal and the vendor's evidence say about whether a PBX may be
//! ordered for now. Pure: given what was read, it decides; it reads and writes nothing.

use std::collections::BTreeSet;

use super::resolve::CLOCK_SKEW_MS;
use crate::clock::Timestamp;
use crate::model::Order;
use crate::plan::Plan;

/// Why a saved plan must not be applied: the vendor's order list shows it applied already
/// (one of its poNumbers, sent from another checkout or machine), or shows an order on one of
/// its PBXs placed since it was made, which the plan cannot have accounted for (a vendor that
/// does not echo poNumbers shows a replay only this way). Each item: the PBX, and the order.
pub(crate) fn replay_evidence(plan: &Plan, orders: &[Order]) -> Vec<(String, String)> {
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
                out.push((
                    p.key(),
                    format!(
                        "order {} ({}, {}) carries this plan's poNumber {}: the plan was applied already",
                        o.order_no,
                        o.operation_type,
                        o.status,
                        o.reference.as_deref().unwrap_or_default()
                    ),
                ));
            } else if since {
                out.push((
                    p.key(),
                    format!(
                        "order {} ({}, {}) was placed at {}, after the plan was made",
                        o.order_no,
                        o.operation_type,
                        o.status,
                        Timestamp(o.created_ms)
                    ),
                ));
            }
        }
    }
    out
}
