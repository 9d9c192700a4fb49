//! Step 3, capacity: the manifest declares totals of extensions and concurrent calls, and the
//! `purchase_service` order buys the difference. Capacity never grows backwards through an
//! order (rule 9), and a Cloud PBX holds 5 to 500 extensions (rule 6).

use crate::manifest::{Code, Loc, Located};
use crate::model::{Id, ProductId, ServiceKind};

use super::super::lines;
use super::super::model::Change;
use super::super::pbx::Planner;
use super::super::rule::Rule;
use super::InForce;
use super::services::Purchase;

/// A capacity the manifest declares as a total: its field, its words, the service that adds it.
struct Capacity {
    field: &'static str,
    noun: &'static str,
    kind: ServiceKind,
}

impl Capacity {
    const EXTENSIONS: Capacity = Capacity {
        field: "extensions",
        noun: "extensions",
        kind: ServiceKind::Extensions,
    };
    const CALLS: Capacity = Capacity {
        field: "concurrentCalls",
        noun: "concurrent calls",
        kind: ServiceKind::ConcurrentCalls,
    };
}

impl Planner<'_> {
    /// Adds the extensions line, if any; returns the extension count in force afterwards.
    pub(super) fn extensions_step(
        &mut self,
        in_force: Option<&InForce>,
        buy: &mut Purchase,
    ) -> u32 {
        let have = self.observed.extensions;
        let Some(want) = &self.desired.extensions else {
            return have;
        };
        if !self.reported("extensionCount", "extensions", &want.at) {
            return have;
        }
        let bounds = ProductId::CLOUD_PBX_EXTENSIONS;
        if self.desired.product.value == ProductId::CLOUD_PBX && !bounds.contains(&want.value) {
            self.error(
                Code::OutOfRange,
                &want.at,
                Some(Rule::CloudPbxExtensions),
                format!("{} extensions asked", want.value),
                None,
            );
            return have;
        }
        if self.capacity(want, have, Capacity::EXTENSIONS, in_force, buy) {
            want.value
        } else {
            have
        }
    }

    /// Adds the concurrent-calls line, if any.
    pub(super) fn concurrent_calls_step(&mut self, in_force: Option<&InForce>, buy: &mut Purchase) {
        if let Some(want) = &self.desired.concurrent_calls {
            if !self.reported("concurrentCallCount", "concurrentCalls", &want.at) {
                return;
            }
            let have = self.observed.concurrent_calls;
            self.capacity(want, have, Capacity::CALLS, in_force, buy);
        }
    }

    /// Adds the line that grows a capacity from `have` to the declared total; `false` when
    /// nothing is to buy or on an error.
    fn capacity(
        &mut self,
        want: &Located<u32>,
        have: u32,
        c: Capacity,
        in_force: Option<&InForce>,
        buy: &mut Purchase,
    ) -> bool {
        let Capacity { field, noun, kind } = c;
        if want.value < have {
            self.error(
                Code::CapacityShrinks,
                &want.at,
                Some(Rule::CapacityNeverShrinks),
                // The rule's sentence says why (PlanError::rule_note); the message what.
                format!("{} {noun} asked but {have} are in force", want.value),
                Some(format!(
                    "set `{field}: {have}` (or more); reducing capacity is done in the partner portal"
                )),
            );
            return false;
        }
        if want.value == have {
            return false;
        }
        let Some(on) = self.need_plan(in_force, &want.at) else {
            return false;
        };
        let Some(svc) = self.capacity_service(kind, &want.at) else {
            return false;
        };
        let delta = want.value - have;
        buy.add(
            lines::capacity_line(on.plan.id, svc, on.cycle, delta),
            Change {
                field: field.into(),
                before: Some(have.to_string()),
                after: want.value.to_string(),
            },
            format!("{delta} more {noun}"),
        );
        true
    }

    /// The catalog's expansion service of a kind of capacity.
    fn capacity_service(&mut self, kind: ServiceKind, at: &Loc) -> Option<Id> {
        let cat = self.catalog(at)?;
        if let Some(s) = cat.capacity_service(kind) {
            return Some(s.id);
        }
        let what = match kind {
            ServiceKind::ConcurrentCalls => "concurrent calls",
            _ => "extensions",
        };
        let product = self.desired.product.value;
        self.error(
            Code::CapacityNotSold,
            at,
            None,
            format!("{} sells no {what} expansion", cat.product_name),
            Some(format!("remove this field for a {product} PBX")),
        );
        None
    }
}
