//! The planner's steps (docs/plan.md), one module each, in the order they run for a PBX: the plan
//! (purchase or switch), services and capacity on the plan in force after it, the renewal, and
//! auto-renewal. Each step is a method of [`Planner`](super::pbx::Planner) that returns what
//! the later steps need as a named outcome; the vocabulary they share is here.

mod auto_renew;
mod capacity;
mod purchase_switch;
mod renewal;
mod services;

pub(super) use purchase_switch::PlanOutcome;
pub use renewal::renewal_refusal_help;
pub(super) use services::ServicesOutcome;

use crate::date::Date;
use crate::manifest::DesiredPbx;
use crate::model::{Cycle, Id, OfferedPlan, SubscribedPlan};
use crate::words::term as term_text;

/// A plan by ID and name.
#[derive(Debug, Clone)]
pub(super) struct PlanRef {
    pub id: Id,
    pub name: String,
}

impl From<&OfferedPlan> for PlanRef {
    fn from(p: &OfferedPlan) -> Self {
        PlanRef {
            id: p.id,
            name: p.name.clone(),
        }
    }
}

/// The plan services hang on, with its billing cycle (their lines follow the plan's cycle).
#[derive(Debug, Clone)]
pub(super) struct InForce {
    pub plan: PlanRef,
    pub cycle: Cycle,
}

/// The billing cycle a manifest asks for: as declared; else annual when a `term` (years of an
/// annual term) is declared; else the current one.
pub(super) fn wanted_cycle(d: &DesiredPbx, current: Cycle) -> Cycle {
    match (&d.billing_cycle, &d.term) {
        (Some(c), _) => c.value,
        (None, Some(_)) => Cycle::Annually,
        (None, None) => current,
    }
}

fn years(n: u32) -> String {
    crate::words::plural(n as usize, "year", "years")
}

/// The end of a term renewed once from `expires`.
fn next_term_end(plan: &SubscribedPlan) -> Date {
    match plan.cycle {
        Cycle::Monthly => plan.expires.add_months(1),
        Cycle::Annually => plan.expires.add_years(plan.multi_cycle.max(1) as i32),
    }
}
