//! Order lines, shaped exactly as the vendor's tutorials send them (`tests/fixtures/seeds/`): which
//! optional fields each kind of line carries is part of the conformance target.

use crate::model::{Cycle, Id};
use crate::wire::OrderLine;

const RECURRING: &str = "recurring";

/// `purchase_plan` / `switch_plan` plan line (seeds 002, 003).
pub(super) fn plan_line(
    plan: Id,
    purchase_type: &str,
    cycle: Cycle,
    multi_cycle: u32,
) -> OrderLine {
    OrderLine {
        connection_plan_id: None,
        service_type: "plan".into(),
        service_id: plan,
        quantity: None,
        purchase_type: purchase_type.into(),
        billing_model: Some(RECURRING.into()),
        billing_cycle: Some(cycle.as_str().into()),
        multi_cycle: Some(multi_cycle),
    }
}

/// `purchase_service` line of an on/off service (seed 000): no quantity, `multiCycle` 0.
pub(super) fn feature_line(
    connection_plan: Id,
    service: Id,
    cycle: Cycle,
    quantity: Option<u32>,
) -> OrderLine {
    OrderLine {
        connection_plan_id: Some(connection_plan),
        service_type: "service".into(),
        service_id: service,
        quantity,
        purchase_type: "purchase".into(),
        billing_model: Some(RECURRING.into()),
        billing_cycle: Some(cycle.as_str().into()),
        multi_cycle: Some(0),
    }
}

/// `purchase_service` capacity line (seed 001): a quantity and no `multiCycle`.
pub(super) fn capacity_line(
    connection_plan: Id,
    service: Id,
    cycle: Cycle,
    quantity: u32,
) -> OrderLine {
    OrderLine {
        connection_plan_id: Some(connection_plan),
        service_type: "service".into(),
        service_id: service,
        quantity: Some(quantity),
        purchase_type: "purchase".into(),
        billing_model: Some(RECURRING.into()),
        billing_cycle: Some(cycle.as_str().into()),
        multi_cycle: None,
    }
}

/// `renew_plan` plan line (seed 004): quantity = the extension count in force.
pub(super) fn renew_plan_line(plan: Id, cycle: Cycle, extensions: Option<u32>) -> OrderLine {
    OrderLine {
        connection_plan_id: None,
        service_type: "plan".into(),
        service_id: plan,
        quantity: extensions,
        purchase_type: "renew".into(),
        billing_model: Some(RECURRING.into()),
        billing_cycle: Some(cycle.as_str().into()),
        multi_cycle: Some(0),
    }
}

/// `renew_plan` service line (seed 004): hangs on the plan, no billing model, no quantity.
pub(super) fn renew_service_line(plan: Id, service: Id, cycle: Cycle) -> OrderLine {
    OrderLine {
        connection_plan_id: Some(plan),
        service_type: "service".into(),
        service_id: service,
        quantity: None,
        purchase_type: "renew".into(),
        billing_model: None,
        billing_cycle: Some(cycle.as_str().into()),
        multi_cycle: Some(0),
    }
}
