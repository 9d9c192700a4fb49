//! Planning one `(sn, product)`: compare desired and observed, check the vendor's rules, and
//! emit at most one order per operationType, in dependency order (purchase or switch the plan,
//! then services and capacity on the plan in force after it, then renewal, then auto-renew).

use crate::date::Date;
use crate::manifest::{CatalogRef, ContactRef, DesiredPbx, Loc, Located};
use crate::model::{
    Catalog, CatalogPlan, Contact, Cycle, Id, ObservedPbx, ObservedPlan, Order, ProductId,
    ServiceKind,
};
use crate::wire::{OrderBody, OrderLine};

use super::PlanContext;
use super::error::PlanError;
use super::keys::{fingerprint, po_number};
use super::lines;
use super::model::{Action, ActionKind, Change, Effective, ManualItem, PbxPlan};
use super::resolve::{self, refers_to};

/// Extensions a P-Series Cloud PBX may have in total (vendor rule 6).
pub const PCE_EXTENSIONS: std::ops::RangeInclusive<u32> = 5..=500;

/// A plan by ID, name and (when the catalog was read) tier and cycles.
#[derive(Debug, Clone)]
struct PlanRef {
    id: Id,
    name: String,
}

impl From<&CatalogPlan> for PlanRef {
    fn from(p: &CatalogPlan) -> Self {
        PlanRef {
            id: p.id,
            name: p.name.clone(),
        }
    }
}

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

struct Planner<'a> {
    d: &'a DesiredPbx,
    o: &'a ObservedPbx,
    cat: Option<&'a Catalog>,
    today: Date,
    errors: Vec<PlanError>,
    actions: Vec<Action>,
    manual: Vec<ManualItem>,
    notes: Vec<String>,
}

pub fn plan_pbx(
    d: &DesiredPbx,
    o: &ObservedPbx,
    cat: Option<&Catalog>,
    contacts: Option<&[Contact]>,
    in_flight: Vec<Order>,
    ctx: &PlanContext,
) -> Result<PbxPlan, Vec<PlanError>> {
    let mut p = Planner {
        d,
        o,
        cat,
        today: ctx.today,
        errors: Vec::new(),
        actions: Vec::new(),
        manual: Vec::new(),
        notes: Vec::new(),
    };
    if in_flight.is_empty() {
        p.run();
    } else {
        p.notes.push(format!(
            "{} order(s) awaiting settlement ({}); nothing more is ordered until they resolve",
            in_flight.len(),
            in_flight
                .iter()
                .map(|o| format!("{} {} {}", o.order_no, o.operation_type, o.status))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if p.actions.iter().any(|a| a.order.is_some()) {
        match p.billing_id(contacts) {
            Some(billing) => {
                for a in &mut p.actions {
                    if let Some(body) = &mut a.order {
                        body.billing_id = billing;
                        body.po_number = Some(po_number(&ctx.plan_id, body));
                    }
                }
            }
            None => debug_assert!(!p.errors.is_empty()),
        }
    }
    if !p.errors.is_empty() {
        return Err(p.errors);
    }
    Ok(PbxPlan {
        sn: d.sn.clone(),
        product: d.product.value,
        source: d.at.to_string(),
        labels: d.labels.clone(),
        fingerprint: fingerprint(o),
        observed: o.clone(),
        in_flight,
        actions: p.actions,
        manual: p.manual,
        notes: p.notes,
    })
}

/// The billing cycle a manifest asks for: as declared; else annual when a `term` (years of an
/// annual term) is declared; else the current one.
pub fn wanted_cycle(d: &DesiredPbx, current: Cycle) -> Cycle {
    match (&d.billing_cycle, &d.term) {
        (Some(c), _) => c.value,
        (None, Some(_)) => Cycle::Annually,
        (None, None) => current,
    }
}

fn years(n: u32) -> String {
    if n == 1 {
        "1 year".into()
    } else {
        format!("{n} years")
    }
}

fn term_text(cycle: Cycle, multi: u32) -> String {
    match cycle {
        Cycle::Monthly => "monthly".into(),
        Cycle::Annually => format!("annually, {}", years(multi.max(1))),
    }
}

/// The end of a term renewed once from `expires`.
fn next_term_end(plan: &ObservedPlan) -> Date {
    match plan.cycle {
        Cycle::Monthly => plan.expires.add_months(1),
        Cycle::Annually => plan.expires.add_years(plan.multi_cycle.max(1) as i32),
    }
}

impl<'a> Planner<'a> {
    fn error(&mut self, at: &Loc, rule: Option<u8>, message: String, help: Option<String>) {
        self.errors
            .push(PlanError::new(self.d, at, rule, message, help));
    }

    /// The catalog, or an error at `at` when observe did not read it (a bug, reported rather
    /// than guessed around).
    fn catalog(&mut self, at: &Loc) -> Option<&'a Catalog> {
        if self.cat.is_none() {
            self.error(
                at,
                None,
                "the catalog of this product was not read".into(),
                Some("this is a bug in entitle; please report it".into()),
            );
        }
        self.cat
    }

    fn run(&mut self) {
        let d = self.d;
        let o = self.o;
        let product = d.product.value;

        // 1-2: the plan.
        let (after_plan, after_cycle, plan_changed) = self.plan_step();

        // 3: services and capacity, on the plan in force after step 2.
        let mut ext_after = o.extensions;
        let mut new_services: Vec<Id> = Vec::new();
        let mut lines_: Vec<OrderLine> = Vec::new();
        let mut changes: Vec<Change> = Vec::new();
        let mut reasons: Vec<String> = Vec::new();

        if let Some(want) = &d.extensions {
            if product == ProductId::CLOUD_PBX && !PCE_EXTENSIONS.contains(&want.value) {
                self.error(
                    &want.at,
                    Some(6),
                    format!(
                        "a cloud PBX holds between {} and {} extensions in total; {} asked",
                        PCE_EXTENSIONS.start(),
                        PCE_EXTENSIONS.end(),
                        want.value
                    ),
                    None,
                );
            } else if let Some((line, change, reason)) = self.capacity(
                want,
                o.extensions,
                Capacity::EXTENSIONS,
                &after_plan,
                after_cycle,
            ) {
                lines_.push(line);
                changes.push(change);
                reasons.push(reason);
                ext_after = want.value;
            }
        }
        if let Some(want) = &d.concurrent_calls
            && let Some((line, change, reason)) = self.capacity(
                want,
                o.concurrent_calls,
                Capacity::CALLS,
                &after_plan,
                after_cycle,
            )
        {
            lines_.push(line);
            changes.push(change);
            reasons.push(reason);
        }
        if let Some(wanted) = &d.services {
            for w in wanted {
                if o.services
                    .iter()
                    .any(|s| refers_to(&w.value, s.id, &s.name))
                {
                    continue;
                }
                let Some(cat) = self.catalog(&w.at) else {
                    continue;
                };
                let svc = match resolve::service(cat, &w.value) {
                    Ok(s) => s.clone(),
                    Err(u) => {
                        let help = resolve::help(&u, "service");
                        self.error(
                            &w.at,
                            None,
                            format!("unknown service `{}` for {}", w.value, cat.product_name),
                            Some(help),
                        );
                        continue;
                    }
                };
                if svc.kind.is_capacity() {
                    let field = match svc.kind {
                        ServiceKind::ConcurrentCalls => "concurrentCalls",
                        _ => "extensions",
                    };
                    self.error(
                        &w.at,
                        None,
                        format!("`{}` is capacity, not a service to subscribe", svc.name),
                        Some(format!("declare the total wanted with `{field}:` instead")),
                    );
                    continue;
                }
                if o.services.iter().any(|s| s.id == svc.id) || new_services.contains(&svc.id) {
                    continue;
                }
                let Some((plan, cycle)) = self.need_plan(&after_plan, after_cycle, &w.at) else {
                    continue;
                };
                if !svc.requires_plan_ids.is_empty() && !svc.requires_plan_ids.contains(&plan.id) {
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
                        &w.at,
                        Some(2),
                        format!(
                            "{} requires {needed}, but the plan in force would be {}",
                            svc.name, plan.name
                        ),
                        Some(format!("set `plan: {needed}` or remove `{}`", svc.name)),
                    );
                    continue;
                }
                let qty = (svc.kind == ServiceKind::PerExtension).then_some(ext_after);
                lines_.push(lines::feature_line(plan.id, svc.id, cycle, qty));
                changes.push(Change {
                    field: "services".into(),
                    before: None,
                    after: svc.name.clone(),
                });
                reasons.push(format!("subscribe {}", svc.name));
                new_services.push(svc.id);
            }
            // Subscribed services the manifest no longer lists: the API cannot drop them.
            for s in &o.services {
                if wanted.iter().any(|w| refers_to(&w.value, s.id, &s.name)) {
                    continue;
                }
                let capacity = self
                    .cat
                    .and_then(|c| c.service(s.id))
                    .is_some_and(|c| c.kind.is_capacity());
                if !capacity {
                    self.manual.push(ManualItem {
                        field: "services".into(),
                        current: s.name.clone(),
                        wanted: "(not listed)".into(),
                        reason: format!(
                            "{} is subscribed but not in the manifest; the API cannot cancel a service, use the partner portal",
                            s.name
                        ),
                    });
                }
            }
        }
        if !lines_.is_empty()
            && let Some(plan) = &after_plan
        {
            self.actions.push(Action {
                kind: ActionKind::PurchaseService,
                reason: format!("{} on {}", reasons.join(", "), plan.name),
                changes,
                effective: Effective::Now,
                order: Some(self.body(ActionKind::PurchaseService, lines_)),
                auto_renew_target: None,
                price: None,
            });
        }

        // 4: renewal.
        if !plan_changed {
            self.renew_step(ext_after, &new_services);
        }

        // 5: auto-renew.
        if let Some(want) = &d.auto_renew {
            match (want.value, o.auto_renew) {
                (true, Some(false)) => {
                    if let Some(plan) = &after_plan {
                        self.actions.push(Action {
                            kind: ActionKind::EnableAutoRenew,
                            reason: "auto-renewal is off".into(),
                            changes: vec![Change {
                                field: "autoRenew".into(),
                                before: Some("false".into()),
                                after: "true".into(),
                            }],
                            effective: Effective::Now,
                            order: None,
                            auto_renew_target: Some(plan.id),
                            price: None,
                        });
                    }
                }
                (false, Some(true)) => self.manual.push(ManualItem {
                    field: "autoRenew".into(),
                    current: "true".into(),
                    wanted: "false".into(),
                    reason: "the API cannot disable auto-renewal; use the partner portal".into(),
                }),
                _ => {}
            }
        }
    }

    /// The order line that grows a capacity from `have` to the declared total, with its change
    /// and reason; `None` when nothing is to buy or on an error (capacity never shrinks: rule 9).
    fn capacity(
        &mut self,
        want: &Located<u32>,
        have: u32,
        c: Capacity,
        after_plan: &Option<PlanRef>,
        after_cycle: Option<Cycle>,
    ) -> Option<(OrderLine, Change, String)> {
        let Capacity { field, noun, kind } = c;
        if want.value < have {
            self.error(
                &want.at,
                Some(9),
                format!(
                    "{} {noun} asked but {have} are in force; capacity never shrinks through an order",
                    want.value
                ),
                Some(format!(
                    "set `{field}: {have}` (or more); reducing capacity is done in the partner portal"
                )),
            );
            return None;
        }
        if want.value == have {
            return None;
        }
        let (plan, cycle) = self.need_plan(after_plan, after_cycle, &want.at)?;
        let svc = self.capacity_service(kind, &want.at)?;
        let delta = want.value - have;
        Some((
            lines::capacity_line(plan.id, svc, cycle, delta),
            Change {
                field: field.into(),
                before: Some(have.to_string()),
                after: want.value.to_string(),
            },
            format!("{delta} more {noun}"),
        ))
    }

    /// The plan to hang services on, or an error when the PBX would have none.
    fn need_plan(
        &mut self,
        after_plan: &Option<PlanRef>,
        cycle: Option<Cycle>,
        at: &Loc,
    ) -> Option<(PlanRef, Cycle)> {
        match (after_plan, cycle) {
            (Some(p), Some(c)) => Some((p.clone(), c)),
            _ => {
                self.error(
                    at,
                    Some(1),
                    "services and capacity hang on a plan, and this PBX has no active plan".into(),
                    Some("declare the `plan` to purchase for it".into()),
                );
                None
            }
        }
    }

    fn capacity_service(&mut self, kind: ServiceKind, at: &Loc) -> Option<Id> {
        let cat = self.catalog(at)?;
        match cat.capacity_service(kind) {
            Some(s) => Some(s.id),
            None => {
                let what = match kind {
                    ServiceKind::ConcurrentCalls => "concurrent calls",
                    _ => "extensions",
                };
                let name = cat.product_name.clone();
                self.error(
                    at,
                    None,
                    format!("{name} sells no {what} expansion"),
                    Some(format!(
                        "remove this field for a {} PBX",
                        self.d.product.value
                    )),
                );
                None
            }
        }
    }

    fn body(&self, kind: ActionKind, service_list: Vec<OrderLine>) -> OrderBody {
        OrderBody {
            operation_type: kind.as_str().into(),
            product_id: self.d.product.value.0,
            product_no: self.d.sn.clone(),
            billing_id: Id(0),
            po_number: None,
            service_list,
        }
    }

    /// Steps 1 and 2. Returns the plan in force after them (what services hang on), its
    /// billing cycle, and whether the plan changes (then renewal waits for the next run).
    fn plan_step(&mut self) -> (Option<PlanRef>, Option<Cycle>, bool) {
        let d = self.d;
        let o = self.o;
        let Some(cur) = &o.plan else {
            let Some(want) = &d.plan else {
                return (None, None, false);
            };
            // 1: purchase_plan.
            let Some(cat) = self.catalog(&want.at) else {
                return (None, None, false);
            };
            let target = match resolve::plan(cat, &want.value) {
                Ok(p) => p.clone(),
                Err(u) => {
                    self.unknown_plan(&want.value, &want.at, &u);
                    return (None, None, false);
                }
            };
            let cycle = match (&d.billing_cycle, target.cycles.as_slice()) {
                (Some(c), _) => c.value,
                (None, _) if d.term.is_some() => Cycle::Annually,
                (None, [only]) => *only,
                (None, _) => {
                    self.error(
                        &want.at,
                        None,
                        format!("{} is sold monthly or annually; say which", target.name),
                        Some("add `billingCycle: annually` (or `monthly`)".into()),
                    );
                    return (None, None, false);
                }
            };
            if !self.cycle_offered(&target, cycle) {
                return (None, None, false);
            }
            let multi = match cycle {
                Cycle::Monthly => 0,
                Cycle::Annually => d.term.as_ref().map_or(1, |t| t.value),
            };
            let mut changes = vec![Change {
                field: "plan".into(),
                before: None,
                after: target.name.clone(),
            }];
            changes.push(Change {
                field: "term".into(),
                before: None,
                after: term_text(cycle, multi),
            });
            let body = self.body(
                ActionKind::PurchasePlan,
                vec![lines::plan_line(target.id, "purchase", cycle, multi)],
            );
            self.actions.push(Action {
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
            });
            return (Some(PlanRef::from(&target)), Some(cycle), true);
        };

        // The plan in force now: while a switch is pending, the one being switched from.
        let in_force = match &o.pending_switch {
            None => PlanRef {
                id: cur.id,
                name: cur.name.clone(),
            },
            Some(ps) => {
                let by_id = ps.in_force_id.and_then(|id| {
                    self.cat
                        .and_then(|c| c.plan(id))
                        .map(PlanRef::from)
                        .or(Some(PlanRef {
                            id,
                            name: ps.in_force.clone(),
                        }))
                });
                let by_name = || {
                    self.cat.and_then(|c| {
                        c.plans
                            .iter()
                            .find(|p| p.name.eq_ignore_ascii_case(&ps.in_force))
                            .map(PlanRef::from)
                    })
                };
                match by_id.or_else(by_name) {
                    Some(p) => p,
                    None => {
                        self.error(
                            &d.at,
                            None,
                            format!(
                                "a plan switch is pending but the plan in force (`{}`) is not in the catalog",
                                ps.in_force
                            ),
                            Some("check the PBX in the partner portal".into()),
                        );
                        return (None, None, true);
                    }
                }
            }
        };

        if let Some(ps) = &o.pending_switch {
            let until = ps.until.map(|u| format!(" on {u}")).unwrap_or_default();
            self.notes.push(format!(
                "switch from {} to {} pending, in force{until}",
                in_force.name, cur.name
            ));
            if let Some(want) = &d.plan
                && !refers_to(&want.value, cur.id, &cur.name)
            {
                self.manual.push(ManualItem {
                    field: "plan".into(),
                    current: format!("{} (switching to {})", in_force.name, cur.name),
                    wanted: want.value.to_string(),
                    reason: "a plan switch is already pending; changing it again needs the partner portal".into(),
                });
            }
            // Renewal and further switches wait until the pending switch is in force.
            return (Some(in_force), Some(cur.cycle), true);
        }

        let same_plan = d
            .plan
            .as_ref()
            .is_none_or(|w| refers_to(&w.value, cur.id, &cur.name));
        let want_cycle = wanted_cycle(d, cur.cycle);
        if same_plan && want_cycle == cur.cycle {
            if let Some(t) = &d.term
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
            return (Some(in_force), Some(cur.cycle), false);
        }

        // 2: switch_plan (another plan, or the same plan on another cycle).
        let at = d
            .plan
            .as_ref()
            .map(|p| p.at.clone())
            .or_else(|| d.billing_cycle.as_ref().map(|c| c.at.clone()))
            .or_else(|| d.term.as_ref().map(|t| t.at.clone()))
            .unwrap_or_else(|| d.at.clone());
        let Some(cat) = self.catalog(&at) else {
            return (Some(in_force), Some(cur.cycle), true);
        };
        let target = match &d.plan {
            Some(w) => match resolve::plan(cat, &w.value) {
                Ok(p) => p.clone(),
                Err(u) => {
                    self.unknown_plan(&w.value, &w.at, &u);
                    return (Some(in_force), Some(cur.cycle), true);
                }
            },
            None => match cat.plan(cur.id) {
                Some(p) => p.clone(),
                None => {
                    self.error(
                        &at,
                        None,
                        format!("the current plan {} is not in the catalog", cur.name),
                        None,
                    );
                    return (Some(in_force), Some(cur.cycle), true);
                }
            },
        };
        let Some(cur_tier) = cat.plan(cur.id).map(|p| p.tier) else {
            self.error(
                &at,
                None,
                format!(
                    "the current plan {} is not in the catalog, so upgrade and downgrade cannot be told apart",
                    cur.name
                ),
                Some("check the PBX in the partner portal".into()),
            );
            return (Some(in_force), Some(cur.cycle), true);
        };
        if !self.cycle_offered(&target, want_cycle) {
            return (Some(in_force), Some(cur.cycle), true);
        }
        if cur.cycle == Cycle::Annually && want_cycle == Cycle::Monthly {
            self.manual.push(ManualItem {
                field: "billingCycle".into(),
                current: "annually".into(),
                wanted: "monthly".into(),
                reason: "an annual term cannot be switched to monthly billing through the API; use the partner portal".into(),
            });
            return (Some(in_force), Some(cur.cycle), false);
        }
        let upgrade = target.tier >= cur_tier;
        let multi = match (cur.cycle, want_cycle) {
            (_, Cycle::Monthly) => 0,
            (Cycle::Monthly, Cycle::Annually) => d.term.as_ref().map_or(1, |t| t.value),
            (Cycle::Annually, Cycle::Annually) => {
                let k = cur.multi_cycle.max(1);
                match &d.term {
                    Some(t) if t.value != k && upgrade => {
                        self.error(
                            &t.at,
                            Some(4),
                            format!(
                                "switching to a higher plan keeps the current {} term; {} asked",
                                years(k),
                                years(t.value)
                            ),
                            Some(format!("set `term: {k}` or remove it")),
                        );
                        return (Some(in_force), Some(cur.cycle), true);
                    }
                    Some(t) => t.value,
                    None => k,
                }
            }
        };
        let effective = if upgrade {
            Effective::Now
        } else {
            Effective::AtExpiry { date: cur.expires }
        };
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
        let body = self.body(
            ActionKind::SwitchPlan,
            vec![lines::plan_line(target.id, "switch", want_cycle, multi)],
        );
        self.actions.push(Action {
            kind: ActionKind::SwitchPlan,
            reason: format!("{direction} ({after_term})"),
            changes,
            effective,
            order: Some(body),
            auto_renew_target: None,
            price: None,
        });
        if upgrade {
            (Some(PlanRef::from(&target)), Some(want_cycle), true)
        } else {
            (Some(in_force), Some(cur.cycle), true)
        }
    }

    fn cycle_offered(&mut self, plan: &CatalogPlan, cycle: Cycle) -> bool {
        if plan.cycles.is_empty() || plan.cycles.contains(&cycle) {
            return true;
        }
        let at = self
            .d
            .billing_cycle
            .as_ref()
            .map(|c| c.at.clone())
            .or_else(|| self.d.plan.as_ref().map(|p| p.at.clone()))
            .unwrap_or_else(|| self.d.at.clone());
        let offered: Vec<&str> = plan.cycles.iter().map(|c| c.as_str()).collect();
        self.error(
            &at,
            Some(3),
            format!("{} is not sold {cycle}", plan.name),
            Some(format!("use `billingCycle: {}`", offered.join("` or `"))),
        );
        false
    }

    fn unknown_plan(&mut self, r: &CatalogRef, at: &Loc, u: &resolve::Unresolved) {
        let product = self
            .cat
            .map(|c| c.product_name.clone())
            .unwrap_or_else(|| self.d.product.value.to_string());
        self.error(
            at,
            None,
            format!("unknown plan `{r}` for {product}"),
            Some(resolve::help(u, "plan")),
        );
    }

    /// Step 4: renew when the term ends within the window (plan line plus every service).
    fn renew_step(&mut self, ext_after: u32, new_services: &[Id]) {
        let d = self.d;
        let o = self.o;
        let Some(cur) = &o.plan else { return };
        let days = self.today.days_until(cur.expires);
        let window = d.renew_before_days.value;
        if i64::from(window) < days {
            return;
        }
        let when = if days >= 0 {
            format!("term ends {}, within {window}d", cur.expires)
        } else {
            format!("term ended {} ({} days ago)", cur.expires, -days)
        };
        if !d.renew {
            self.notes
                .push(format!("{when}; not renewed (`renew: false`)"));
            return;
        }
        let mut lines_ = vec![lines::renew_plan_line(
            cur.id,
            cur.cycle,
            (ext_after > 0).then_some(ext_after),
        )];
        let mut names = Vec::new();
        for s in &o.services {
            lines_.push(lines::renew_service_line(cur.id, s.id, cur.cycle));
            names.push(s.name.clone());
        }
        for id in new_services {
            lines_.push(lines::renew_service_line(cur.id, *id, cur.cycle));
        }
        let next = next_term_end(cur);
        let mut what = vec![cur.name.clone()];
        what.extend(names);
        self.actions.push(Action {
            kind: ActionKind::RenewPlan,
            reason: format!("{when}: renew {}", what.join(" + ")),
            changes: vec![Change {
                field: "expires".into(),
                before: Some(cur.expires.to_string()),
                after: next.to_string(),
            }],
            effective: Effective::Now,
            order: Some(self.body(ActionKind::RenewPlan, lines_)),
            auto_renew_target: None,
            price: None,
        });
    }

    /// The billing contact orders go to: the declared one, or the account's only contact.
    fn billing_id(&mut self, contacts: Option<&[Contact]>) -> Option<Id> {
        let d = self.d;
        let Some(contacts) = contacts else {
            self.error(
                &d.at,
                None,
                "billing contacts were not read".into(),
                Some("this is a bug in entitle; please report it".into()),
            );
            return None;
        };
        let Some(want) = &d.billing_contact else {
            if let [only] = contacts {
                return Some(only.id);
            }
            self.error(
                &d.at,
                Some(8),
                "orders need a billing contact and none is declared".into(),
                Some(format!(
                    "add `billingContact:` to the PBX or to `defaults:` (the account has {})",
                    contacts
                        .iter()
                        .map(|c| c.email.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
            return None;
        };
        let found = contacts.iter().find(|c| match &want.value {
            ContactRef::Id(id) => c.id == *id,
            ContactRef::Email(e) => c.email.eq_ignore_ascii_case(e.trim()),
        });
        match found {
            Some(c) => Some(c.id),
            None => {
                let help = match &want.value {
                    ContactRef::Email(e) => {
                        crate::manifest::suggest(e, contacts.iter().map(|c| c.email.as_str()))
                            .map(|s| format!("did you mean `{s}`?"))
                    }
                    ContactRef::Id(_) => None,
                }
                .or_else(|| {
                    Some(format!(
                        "the account's billing contacts are: {}",
                        contacts
                            .iter()
                            .map(|c| format!("{} ({})", c.email, c.id))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                });
                self.error(
                    &want.at,
                    Some(8),
                    format!(
                        "billing contact `{}` is not one of the account's",
                        want.value
                    ),
                    help,
                );
                None
            }
        }
    }
}
