//! Which line of a manifest asked for a change: each field of a plan's change (or manual item)
//! is traced back to where the manifest wrote it, so a reviewer reading the plan jumps to the
//! line that caused an order rather than to the PBX entry it belongs to.

use crate::manifest::{CatalogRef, DesiredPbx, Loc};
use crate::model::Catalog;

/// Where `field` (as a plan's change names it, with `value` its new or dropped value) was
/// written for `d`: the field itself, or the entry when the manifest left it to a default.
/// A service written by ID is told by the `catalog` the plan used, which names it.
pub fn field_at<'a>(
    d: &'a DesiredPbx,
    field: &str,
    value: &str,
    catalog: Option<&Catalog>,
) -> &'a Loc {
    let plan = d.plan.as_ref().map(|p| &p.at);
    let term = d.term.as_ref().map(|t| &t.at);
    let cycle = d.billing_cycle.as_ref().map(|c| &c.at);
    let at = match field {
        "plan" => plan,
        // A term is the years of an annual cycle: what is written for either, else the plan.
        "term" => term.or(cycle).or(plan),
        "billingCycle" => cycle.or(term).or(plan),
        "extensions" => d.extensions.as_ref().map(|x| &x.at),
        "concurrentCalls" => d.concurrent_calls.as_ref().map(|x| &x.at),
        "services" => d.services.as_ref().and_then(|list| {
            let named = list.iter().find(|s| match &s.value {
                CatalogRef::Name(n) => n.eq_ignore_ascii_case(value),
                CatalogRef::Id(id) => {
                    value == id.to_string()
                        || catalog
                            .and_then(|c| c.service(*id))
                            .is_some_and(|svc| svc.name.eq_ignore_ascii_case(value))
                }
            });
            // A service the manifest drops is not written anywhere: the list is the cause.
            named.or(list.first()).map(|s| &s.at)
        }),
        // A renewal is caused by the window (`renewBefore`, or the entry for the default).
        "expires" => Some(&d.renew_before_days.at),
        "autoRenew" => d.auto_renew.as_ref().map(|a| &a.at),
        _ => None,
    };
    at.unwrap_or(&d.at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Located;
    use crate::model::{Cycle, Id};
    use crate::testing::{at, desired, loc};

    #[test]
    fn each_field_points_at_its_line_and_defaults_at_the_entry() {
        let d = DesiredPbx {
            plan: Some(at(CatalogRef::Name("Ultimate Plan".into()), 10)),
            billing_cycle: Some(at(Cycle::Annually, 11)),
            extensions: Some(at(300, 12)),
            services: Some(vec![
                at(CatalogRef::Name("Hotel PMS Integration".into()), 14),
                at(CatalogRef::Id(Id(42)), 15),
            ]),
            renew_before_days: Located::new(30, loc(16)),
            ..desired("SN1", 12)
        };
        let catalog = Catalog {
            product: crate::model::ProductId(12),
            product_name: String::new(),
            plans: vec![],
            services: vec![crate::model::OfferedService {
                id: Id(42),
                name: "Disaster Recovery".into(),
                kind: crate::model::ServiceKind::Feature,
                requires_plan_ids: vec![],
                requires_missing_plan: None,
                cycles: vec![],
                pricing_id: None,
                price_unit: None,
            }],
        };
        let line = |field: &str, value: &str| field_at(&d, field, value, Some(&catalog)).line;
        assert_eq!(line("plan", "Ultimate Plan"), 10);
        assert_eq!(line("term", "annually, 1 year"), 11, "no term: the cycle");
        assert_eq!(line("extensions", "300"), 12);
        assert_eq!(line("services", "hotel pms integration"), 14);
        assert_eq!(line("services", "42"), 15);
        assert_eq!(
            line("services", "disaster recovery"),
            15,
            "by ID, named by the catalog"
        );
        assert_eq!(
            line("services", "High Availability"),
            14,
            "dropped: the list"
        );
        assert_eq!(line("expires", "2027-12-10"), 16);
        assert_eq!(
            line("autoRenew", "true"),
            d.at.line,
            "not written: the entry"
        );
        assert_eq!(line("concurrentCalls", "8"), d.at.line);
    }
}
