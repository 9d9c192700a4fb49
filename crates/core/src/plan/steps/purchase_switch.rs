//! Steps 1 and 2, the plan: `purchase_plan` when the PBX has none and the manifest names one,
//! `switch_plan` when the plan or billing cycle differs (an upgrade in force now, a downgrade at
//! expiry). What the API cannot change this way (a term length alone, annual to monthly, a
//! second switch while one is pending) is a manual item.

use crate::manifest::{CatalogRef, Code, Loc};
use crate::model::{Catalog, Cycle, OfferedPlan, PendingSwitch, SubscribedPlan};

use super::super::lines;
use super::super::model::{Action, ActionKind, Change, Effective, ManualItem};
use super::super::pbx::Planner;
use super::super::resolve::{self, refers_to};
use super::super::rule::Rule;
use super::{InForce, PlanRef, term_text, wanted_cycle, years};

/// What steps 1 and 2 leave for the later steps.
pub(crate) struct PlanOutcome {
    /// The plan services hang on after these steps (the new one after a purchase or an upgrade,
    /// the current one otherwise); `None` when the PBX has no plan and gets none.
    pub in_force: Option<InForce>,
    /// A new term starts (purchase, switch) or a switch is pending: the renewal waits for a
    /// later run rather than renew a term that is about to change.
    pub renewal_waits: bool,
    /// The `purchase_plan` or `switch_plan` order.
    pub action: Option<Action>,
}

impl PlanOutcome {
    fn nothing() -> PlanOutcome {
        PlanOutcome {
            in_force: None,
            renewal_waits: false,
            action: None,
        }
    }

    /// The plan stays as it is, and may be renewed.
    fn unchanged(in_force: InForce) -> PlanOutcome {
        PlanOutcome {
            in_force: Some(in_force),
            renewal_waits: false,
            action: None,
        }
    }

    /// No order, and no renewal either (a switch is pending, or the step failed).
    fn held(in_force: Option<InForce>) -> PlanOutcome {
        PlanOutcome {
            in_force,
            renewal_waits: true,
            action: None,
        }
    }

    fn ordered(in_force: InForce, action: Action) -> PlanOutcome {
        PlanOutcome {
            in_force: Some(in_force),
            renewal_waits: true,
            action: Some(action),
        }
    }
}

impl Planner<'_> {
    /// Steps 1 and 2.
    pub(crate) fn plan_step(&mut self) -> PlanOutcome {
        match &self.observed.plan {
            None => self.purchase_plan(),
            Some(cur) => self.switch_plan(cur),
        }
    }

    /// Step 1: the PBX has no active plan; buy the one the manifest names.
    fn purchase_plan(&mut self) -> PlanOutcome {
        let d = self.desired;
        let Some(want) = &d.plan else {
            return PlanOutcome::nothing();
        };
        let Some(cat) = self.catalog(&want.at) else {
            return PlanOutcome::nothing();
        };
        let target = match resolve::plan(cat, &want.value) {
            Ok(p) => p.clone(),
            Err(u) => {
                self.unknown_plan(&want.value, &want.at, &u);
                return PlanOutcome::nothing();
            }
        };
        let Some(cycle) = self.purchase_cycle(&target, &want.at) else {
            return PlanOutcome::nothing();
        };
        if !self.cycle_offered(&target, cycle) {
            return PlanOutcome::nothing();
        }
        let multi = match cycle {
            Cycle::Monthly => 0,
            Cycle::Annually => d.term.as_ref().map_or(1, |t| t.value),
        };
        let changes = vec![
            Change {
                field: "plan".into(),
                before: None,
                after: target.name.clone(),
            },
            Change {
                field: "term".into(),
                before: None,
                after: term_text(cycle, multi),
            },
        ];
        let body = self.body(
            ActionKind::PurchasePlan,
            vec![lines::plan_line(target.id, "purchase", cycle, multi)],
        );
        let action = Action {
            kind: ActionKind::PurchasePlan,
            reason: format!(
                "no active plan; purchase {} ({})",
                target.name,
                term_text(cycle, multi)
            ),
            changes,
            effective: Effective::Now,
            order: Some(body),
            auto_renew_target: None,
            price: None,
            price_error: None,
            price_basis: None,
            refused: None,
        };
        let in_force = InForce {
            plan: PlanRef::from(&target),
            cycle,
        };
        PlanOutcome::ordered(in_force, action)
    }

    /// The cycle a purchase is billed on: as declared, annual when a term is declared, or the
    /// only one the plan is sold on.
    fn purchase_cycle(&mut self, target: &OfferedPlan, at: &Loc) -> Option<Cycle> {
        let d = self.desired;
        match (&d.billing_cycle, target.cycles.as_slice()) {
            (Some(c), _) => Some(c.value),
            (None, _) if d.term.is_some() => Some(Cycle::Annually),
            (None, [only]) => Some(*only),
            (None, _) => {
                self.error(
                    Code::MissingField,
                    at,
                    None,
                    format!("{} is sold monthly or annually; say which", target.name),
                    Some("add `billingCycle: annually` (or `monthly`)".into()),
                );
                None
            }
        }
    }

    /// Step 2: the PBX has a plan; switch it when the manifest wants another plan or cycle.
    fn switch_plan(&mut self, cur: &SubscribedPlan) -> PlanOutcome {
        let d = self.desired;
        let Some(plan) = self.plan_in_force(cur) else {
            return PlanOutcome::held(None);
        };
        let current = InForce {
            plan,
            cycle: cur.cycle,
        };
        if let Some(ps) = &self.observed.pending_switch {
            self.pending_switch_shown(cur, ps, &current.plan);
            return PlanOutcome::held(Some(current));
        }
        let same_plan = d
            .plan
            .as_ref()
            .is_none_or(|w| refers_to(&w.value, cur.id, &cur.name));
        let want_cycle = wanted_cycle(d, cur.cycle);
        if same_plan && want_cycle == cur.cycle {
            self.term_length_is_manual(cur);
            return PlanOutcome::unchanged(current);
        }
        let at = self.switch_at();
        let Some(cat) = self.catalog(&at) else {
            return PlanOutcome::held(Some(current));
        };
        let Some((target, cur_tier)) = self.switch_target(cat, cur, &at) else {
            return PlanOutcome::held(Some(current));
        };
        if !self.cycle_offered(&target, want_cycle) {
            return PlanOutcome::held(Some(current));
        }
        if cur.cycle == Cycle::Annually && want_cycle == Cycle::Monthly {
            self.manual.push(ManualItem {
                field: "billingCycle".into(),
                current: "annually".into(),
                wanted: "monthly".into(),
                reason: "an annual term cannot be switched to monthly billing through the API; use the partner portal".into(),
            });
            return PlanOutcome::unchanged(current);
        }
        let upgrade = target.tier >= cur_tier;
        let Some(multi) = self.switch_multi_cycle(cur, want_cycle, upgrade) else {
            return PlanOutcome::held(Some(current));
        };
        let action = self.switch_action(cur, &target, want_cycle, multi, upgrade);
        // A downgrade is in force only at expiry: until then services hang on the current plan.
        let in_force = if upgrade {
            InForce {
                plan: PlanRef::from(&target),
                cycle: want_cycle,
            }
        } else {
            current
        };
        PlanOutcome::ordered(in_force, action)
    }

    /// The plan in force now: while a switch is pending, the one being switched from.
    fn plan_in_force(&mut self, cur: &SubscribedPlan) -> Option<PlanRef> {
        let Some(ps) = &self.observed.pending_switch else {
            return Some(PlanRef {
                id: cur.id,
                name: cur.name.clone(),
            });
        };
        let by_id = ps.in_force_id.map(|id| {
            self.catalog
                .and_then(|c| c.plan(id))
                .map(PlanRef::from)
                .unwrap_or_else(|| PlanRef {
                    id,
                    name: ps.in_force.clone(),
                })
        });
        let by_name = || {
            self.catalog.and_then(|c| {
                c.plans
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(&ps.in_force))
                    .map(PlanRef::from)
            })
        };
        let found = by_id.or_else(by_name);
        if found.is_none() {
            let d = self.desired;
            self.error(
                Code::CurrentPlanUnknown,
                &d.at,
                None,
                format!(
                    "a plan switch is pending but the plan in force (`{}`) is not in the catalog",
                    ps.in_force
                ),
                Some("check the PBX in the partner portal".into()),
            );
        }
        found
    }

    /// A pending switch is shown, and a manifest wanting yet another plan is a manual item.
    fn pending_switch_shown(
        &mut self,
        cur: &SubscribedPlan,
        ps: &PendingSwitch,
        in_force: &PlanRef,
    ) {
        let until = ps.until.map(|u| format!(" on {u}")).unwrap_or_default();
        self.notes.push(format!(
            "switch from {} to {} pending, in force{until}",
            in_force.name, cur.name
        ));
        if let Some(want) = &self.desired.plan
            && !refers_to(&want.value, cur.id, &cur.name)
        {
            self.manual.push(ManualItem {
                field: "plan".into(),
                current: format!("{} (switching to {})", in_force.name, cur.name),
                wanted: want.value.to_string(),
                reason:
                    "a plan switch is already pending; changing it again needs the partner portal"
                        .into(),
            });
        }
    }

    /// Same plan, same cycle, another number of years: only a switch or the portal changes it.
    fn term_length_is_manual(&mut self, cur: &SubscribedPlan) {
        if let Some(t) = &self.desired.term
            && cur.cycle == Cycle::Annually
            && t.value != cur.multi_cycle.max(1)
        {
            self.manual.push(ManualItem {
                field: "term".into(),
                current: years(cur.multi_cycle.max(1)),
                wanted: years(t.value),
                reason: "the API changes the length of a term only together with a plan switch; renewals keep it".into(),
            });
        }
    }

    /// Where a switch is asked for: the plan, else the billing cycle, else the term.
    fn switch_at(&self) -> Loc {
        let d = self.desired;
        d.plan
            .as_ref()
            .map(|p| p.at.clone())
            .or_else(|| d.billing_cycle.as_ref().map(|c| c.at.clone()))
            .or_else(|| d.term.as_ref().map(|t| t.at.clone()))
            .unwrap_or_else(|| d.at.clone())
    }

    /// The plan switched to (the current one when only the cycle changes) and the current
    /// plan's tier, which tells an upgrade from a downgrade.
    fn switch_target(
        &mut self,
        cat: &Catalog,
        cur: &SubscribedPlan,
        at: &Loc,
    ) -> Option<(OfferedPlan, u32)> {
        let target = match &self.desired.plan {
            Some(w) => match resolve::plan(cat, &w.value) {
                Ok(p) => p.clone(),
                Err(u) => {
                    self.unknown_plan(&w.value, &w.at, &u);
                    return None;
                }
            },
            None => match cat.plan(cur.id) {
                Some(p) => p.clone(),
                None => {
                    self.error(
                        Code::CurrentPlanUnknown,
                        at,
                        None,
                        format!("the current plan {} is not in the catalog", cur.name),
                        None,
                    );
                    return None;
                }
            },
        };
        let Some(cur_tier) = cat.plan(cur.id).map(|p| p.tier) else {
            self.error(
                Code::CurrentPlanUnknown,
                at,
                None,
                format!(
                    "the current plan {} is not in the catalog, so upgrade and downgrade cannot be told apart",
                    cur.name
                ),
                Some("check the PBX in the partner portal".into()),
            );
            return None;
        };
        if target.id != cur.id && (target.tier == 0 || cur_tier == 0) {
            let unranked = if target.tier == 0 {
                &target.name
            } else {
                &cur.name
            };
            self.block(
                at,
                format!(
                    "the vendor's catalog does not rank `{unranked}` (no `tier`), and entitle's table of plan names does not know it: cannot tell whether {} → {} is an upgrade or a downgrade",
                    cur.name, target.name
                ),
            );
            return None;
        }
        Some((target, cur_tier))
    }

    /// The `multiCycle` of a switch (rules 3 and 4): 0 for monthly, the declared years when a
    /// monthly PBX goes annual, and the current years on an upgrade of an annual PBX.
    fn switch_multi_cycle(
        &mut self,
        cur: &SubscribedPlan,
        want_cycle: Cycle,
        upgrade: bool,
    ) -> Option<u32> {
        let d = self.desired;
        match (cur.cycle, want_cycle) {
            (_, Cycle::Monthly) => Some(0),
            (Cycle::Monthly, Cycle::Annually) => Some(d.term.as_ref().map_or(1, |t| t.value)),
            (Cycle::Annually, Cycle::Annually) => {
                let k = cur.multi_cycle.max(1);
                match &d.term {
                    Some(t) if t.value != k && upgrade => {
                        self.error(
                            Code::TermKeptOnUpgrade,
                            &t.at,
                            Some(Rule::SwitchKeepsTheTerm),
                            format!("the current term is {}; {} asked", years(k), years(t.value)),
                            Some(format!("set `term: {k}` or remove it")),
                        );
                        None
                    }
                    Some(t) => Some(t.value),
                    None => Some(k),
                }
            }
        }
    }

    fn switch_action(
        &self,
        cur: &SubscribedPlan,
        target: &OfferedPlan,
        want_cycle: Cycle,
        multi: u32,
        upgrade: bool,
    ) -> Action {
        let mut changes = Vec::new();
        if target.id != cur.id {
            changes.push(Change {
                field: "plan".into(),
                before: Some(cur.name.clone()),
                after: target.name.clone(),
            });
        }
        let before_term = term_text(cur.cycle, cur.multi_cycle);
        let after_term = term_text(want_cycle, multi);
        if before_term != after_term {
            changes.push(Change {
                field: "term".into(),
                before: Some(before_term),
                after: after_term.clone(),
            });
        }
        let direction = if target.id == cur.id {
            format!("{} from {} to {}", cur.name, cur.cycle, want_cycle)
        } else if upgrade {
            format!("upgrade {} → {}", cur.name, target.name)
        } else {
            format!(
                "downgrade {} → {}, in force when the term ends {}",
                cur.name, target.name, cur.expires
            )
        };
        let effective = if upgrade {
            Effective::Now
        } else {
            Effective::AtExpiry { date: cur.expires }
        };
        let body = self.body(
            ActionKind::SwitchPlan,
            vec![lines::plan_line(target.id, "switch", want_cycle, multi)],
        );
        Action {
            kind: ActionKind::SwitchPlan,
            reason: format!("{direction} ({after_term})"),
            changes,
            effective,
            order: Some(body),
            auto_renew_target: None,
            price: None,
            price_error: None,
            price_basis: None,
            refused: None,
        }
    }

    /// Rule 3: a plan is sold only on the cycles the catalog lists for it.
    fn cycle_offered(&mut self, plan: &OfferedPlan, cycle: Cycle) -> bool {
        if plan.cycles.is_empty() || plan.cycles.contains(&cycle) {
            return true;
        }
        let d = self.desired;
        let at = d
            .billing_cycle
            .as_ref()
            .map(|c| c.at.clone())
            .or_else(|| d.plan.as_ref().map(|p| p.at.clone()))
            .unwrap_or_else(|| d.at.clone());
        let offered: Vec<&str> = plan.cycles.iter().map(|c| c.as_str()).collect();
        self.error(
            Code::CycleNotSold,
            &at,
            Some(Rule::BillingTerm),
            format!("{} is not sold {cycle}", plan.name),
            Some(format!("use `billingCycle: {}`", offered.join("` or `"))),
        );
        false
    }

    fn unknown_plan(&mut self, r: &CatalogRef, at: &Loc, u: &resolve::Unresolved) {
        let product = self
            .catalog
            .map(|c| c.product_name.clone())
            .unwrap_or_else(|| self.desired.product.value.to_string());
        self.error(
            Code::UnknownPlan,
            at,
            None,
            format!("unknown plan `{r}` for {product}"),
            Some(resolve::help(u, "plan")),
        );
    }
}
