//! What observe must read beyond one detail per PBX: the catalog only where a name must be
//! resolved or an order built, billing contacts only if some order may be built. Decided from
//! desired and observed alone, so a plan with nothing to do reads no catalog at all.

use std::collections::BTreeSet;

use crate::date::Date;
use crate::manifest::DesiredPbx;
use crate::model::{ObservedPbx, ProductId};

use super::resolve::refers_to;

/// Reads a plan needs after the PBX details.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirements {
    /// `(product, Some(sn))` for products whose catalog is per SN, `(product, None)` otherwise.
    pub catalogs: BTreeSet<(ProductId, Option<String>)>,
    pub contacts: bool,
}

/// Per PBX: does planning need the catalog, and may it build an order?
fn needs(d: &DesiredPbx, o: &ObservedPbx, today: Date) -> (bool, bool) {
    let mut catalog = false;
    let mut order = false;
    match &o.plan {
        None => {
            if d.plan.is_some() {
                catalog = true;
                order = true;
            }
            // Services or capacity without a plan are an error the planner reports; no read.
        }
        Some(cur) => {
            if o.pending_switch.is_some() {
                // The plan in force may have to be named from the catalog.
                catalog = true;
            }
            let same_plan = d
                .plan
                .as_ref()
                .is_none_or(|w| refers_to(&w.value, cur.id, &cur.name));
            let same_cycle = super::steps::wanted_cycle(d, cur.cycle) == cur.cycle;
            if !(same_plan && same_cycle) {
                catalog = true;
                order = true;
            }
            let days = today.days_until(cur.expires);
            if d.renew && days <= i64::from(d.renew_before_days.value) {
                order = true;
            }
        }
    }
    if d.extensions
        .as_ref()
        .is_some_and(|e| e.value > o.extensions)
        || d.concurrent_calls
            .as_ref()
            .is_some_and(|c| c.value > o.concurrent_calls)
    {
        catalog = true;
        order = true;
    }
    if let Some(wanted) = &d.services {
        let missing = wanted.iter().any(|w| {
            !o.services
                .iter()
                .any(|s| refers_to(&w.value, s.id, &s.name))
        });
        let unlisted = o
            .services
            .iter()
            .any(|s| !wanted.iter().any(|w| refers_to(&w.value, s.id, &s.name)));
        if missing {
            catalog = true;
            order = true;
        }
        if unlisted {
            // Telling capacity (ignored) from a real service (manual item) needs its kind.
            catalog = true;
        }
    }
    (catalog, order)
}

/// The reads the plan of these PBXs needs. `observed` holds the details already read;
/// PBXs with orders in flight are skipped by the caller.
pub fn requirements<'a>(
    pairs: impl IntoIterator<Item = (&'a DesiredPbx, &'a ObservedPbx)>,
    today: Date,
) -> Requirements {
    let mut r = Requirements::default();
    for (d, o) in pairs {
        let (catalog, order) = needs(d, o, today);
        if catalog {
            let product = d.product.value;
            let sn = product.catalog_needs_sn().then(|| d.sn.clone());
            r.catalogs.insert((product, sn));
        }
        r.contacts |= order;
    }
    r
}

impl Requirements {
    /// Is some catalog of this product needed?
    pub fn contains_catalog(&self, product: ProductId) -> bool {
        self.catalogs.iter().any(|(p, _)| *p == product)
    }
}
