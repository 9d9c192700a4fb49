//! Step 3, services: the services the manifest lists and the PBX lacks, each a line of the one
//! `purchase_service` order (with the capacity lines of [`super::capacity`]), hung on the plan
//! in force after step 2 (rule 1) and only under a plan the service requires (rule 2).
//!
//! A per-extension service (High Availability) is ordered with the extension count in force.
//! When the same run adds extensions, whether the vendor counts an expansion of the same order
//! is not known, so the service gets an order of its own after the expansion: right either
//! way.

use crate::manifest::{CatalogRef, Code, Loc, Located};
use crate::model::{Catalog, Id, OfferedService, ServiceKind};
use crate::wire::OrderLine;

use super::super::lines;
use super::super::model::{Action, ActionKind, Change, Effective};
use super::super::pbx::Planner;
use super::super::resolve::{self, refers_to};
use super::super::rule::Rule;
use super::{InForce, PlanRef};

/// What step 3 leaves for the renewal.
pub(crate) struct ServicesOutcome {
    /// Extensions in force after this step: a renewal's plan line counts them (rule 5).
    pub extensions: u32,
    /// Services this step subscribes: a renewal in the same run renews them too.
    pub subscribed: Vec<Id>,
    /// The `purchase_service` order, and the one for per-extension services after an
    /// expansion.
    pub actions: Vec<Action>,
}

/// The lines of the one `purchase_service` order, with what each changes and why.
#[derive(Default)]
pub(super) struct Purchase {
    lines: Vec<OrderLine>,
    changes: Vec<Change>,
    reasons: Vec<String>,
}

impl Purchase {
    pub(super) fn add(&mut self, line: OrderLine, change: Change, reason: String) {
        self.lines.push(line);
        self.changes.push(change);
        self.reasons.push(reason);
    }
}

impl<'a> Planner<'a> {
    /// Step 3: capacity first, then services (a per-extension service counts the extensions
    /// in force after the expansion).
    pub(crate) fn services_step(&mut self, in_force: Option<&InForce>) -> ServicesOutcome {
        let mut buy = Purchase::default();
        let extensions = self.extensions_step(in_force, &mut buy);
        self.concurrent_calls_step(in_force, &mut buy);
        let mut after = Purchase::default();
        let grown = (extensions != self.observed.extensions).then_some(&mut after);
        let subscribed = self.subscribe(in_force, extensions, &mut buy, grown);
        let actions = match in_force {
            Some(on) => [buy, after]
                .into_iter()
                .filter(|b| !b.lines.is_empty())
                .map(|b| self.purchase(on, b))
                .collect(),
            None => Vec::new(),
        };
        ServicesOutcome {
            extensions,
            subscribed,
            actions,
        }
    }

    /// The `purchase_service` order of `buy`'s lines, hung on `on`.
    fn purchase(&self, on: &InForce, buy: Purchase) -> Action {
        Action {
            kind: ActionKind::PurchaseService,
            reason: format!("{} on {}", buy.reasons.join(", "), on.plan.name),
            changes: buy.changes,
            effective: Effective::Now,
            order: Some(self.body(ActionKind::PurchaseService, buy.lines)),
            auto_renew_target: None,
            price: None,
            price_error: None,
            price_basis: None,
            refused: None,
        }
    }

    /// Adds a line per listed service not yet subscribed; returns their IDs. A per-extension
    /// service goes to `after_expansion` when given: the order after the one that grows the
    /// extensions.
    fn subscribe(
        &mut self,
        in_force: Option<&InForce>,
        extensions: u32,
        buy: &mut Purchase,
        mut after_expansion: Option<&mut Purchase>,
    ) -> Vec<Id> {
        let o = self.observed;
        let Some(wanted) = &self.desired.services else {
            return Vec::new();
        };
        let Some(first) = wanted.first() else {
            return Vec::new();
        };
        if !self.reported("serviceList", "services", &first.at) {
            return Vec::new();
        }
        let mut subscribed: Vec<Id> = Vec::new();
        for w in wanted {
            if o.services
                .iter()
                .any(|s| refers_to(&w.value, s.id, &s.name))
            {
                continue;
            }
            let Some((cat, svc)) = self.wanted_service(w) else {
                continue;
            };
            if o.services.iter().any(|s| s.id == svc.id) || subscribed.contains(&svc.id) {
                continue;
            }
            let Some(on) = self.need_plan(in_force, &w.at) else {
                continue;
            };
            if !self.allowed_under(cat, &svc, &on.plan, &w.at) {
                continue;
            }
            if svc.kind == ServiceKind::Unknown {
                self.block(
                    &w.at,
                    format!(
                        "the vendor's catalog does not say what `{}` is (no `kind`), and entitle's table of vendor facts does not know it: cannot plan `services`",
                        svc.name
                    ),
                );
                continue;
            }
            if svc.kind == ServiceKind::PerExtension
                && !self.reported("extensionCount", "services", &w.at)
            {
                continue;
            }
            let qty = (svc.kind == ServiceKind::PerExtension).then_some(extensions);
            let buy = match after_expansion.as_deref_mut() {
                Some(after) if qty.is_some() => after,
                _ => &mut *buy,
            };
            buy.add(
                lines::feature_line(on.plan.id, svc.id, on.cycle, qty),
                Change {
                    field: "services".into(),
                    before: None,
                    after: svc.name.clone(),
                },
                format!("subscribe {}", svc.name),
            );
            subscribed.push(svc.id);
        }
        subscribed
    }

    /// The catalog service a manifest entry names, if it is one that can be subscribed.
    fn wanted_service(&mut self, w: &Located<CatalogRef>) -> Option<(&'a Catalog, OfferedService)> {
        let cat = self.catalog(&w.at)?;
        let svc = match resolve::service(cat, &w.value) {
            Ok(s) => s.clone(),
            Err(u) => {
                self.error(
                    Code::UnknownService,
                    &w.at,
                    None,
                    format!("unknown service `{}` for {}", w.value, cat.product_name),
                    Some(resolve::help(&u, "service")),
                );
                return None;
            }
        };
        if svc.kind.is_capacity() {
            let field = match svc.kind {
                ServiceKind::ConcurrentCalls => "concurrentCalls",
                _ => "extensions",
            };
            self.error(
                Code::CapacityAsService,
                &w.at,
                None,
                format!("`{}` is capacity, not a service to subscribe", svc.name),
                Some(format!("declare the total wanted with `{field}:` instead")),
            );
            return None;
        }
        Some((cat, svc))
    }

    /// The plan to hang services on, or an error (rule 1) when the PBX would have none.
    pub(super) fn need_plan(&mut self, in_force: Option<&InForce>, at: &Loc) -> Option<InForce> {
        if in_force.is_none() {
            self.error(
                Code::ServiceWithoutPlan,
                at,
                Some(Rule::ServicesHangOnThePlan),
                "services or capacity asked, but this PBX has no active plan".into(),
                Some("declare the `plan` to purchase for it".into()),
            );
        }
        in_force.cloned()
    }

    /// Rule 2: a service with `requiresPlanIds` is bought only under one of them.
    fn allowed_under(
        &mut self,
        cat: &Catalog,
        svc: &OfferedService,
        plan: &PlanRef,
        at: &Loc,
    ) -> bool {
        if let Some(word) = &svc.requires_missing_plan {
            self.block(
                at,
                format!(
                    "entitle's table of vendor facts says `{}` is only sold with the `{word}` plan, which the vendor's catalog for this product does not list: cannot plan `services`",
                    svc.name
                ),
            );
            return false;
        }
        if svc.requires_plan_ids.is_empty() || svc.requires_plan_ids.contains(&plan.id) {
            return true;
        }
        let needed: Vec<String> = svc
            .requires_plan_ids
            .iter()
            .map(|id| {
                cat.plan(*id)
                    .map(|p| p.name.clone())
                    .unwrap_or_else(|| format!("plan {id}"))
            })
            .collect();
        let needed = needed.join(" or ");
        self.error(
            Code::ServiceNeedsOtherPlan,
            at,
            Some(Rule::ServiceRequiresPlan),
            format!(
                "{} requires {needed}, but the plan in force would be {}",
                svc.name, plan.name
            ),
            Some(format!("set `plan: {needed}` or remove `{}`", svc.name)),
        );
        false
    }
}
