//! The business rules of vendor-api section 5, applied to a structurally valid order body
//! against the current account. A body that passes yields a [`Checked`]: the effect to apply
//! once the order succeeds, and its price line by line (the same numbers L9 quotes).
//!
//! Every refusal names the rule (`rule 2: ...`) so a client's error report says what to fix.

use std::collections::HashSet;

use super::vocab::{BillingCycle, ServiceKind};
use crate::date::Date;
use crate::wire::{Id, OrderBody, OrderLine};

use super::catalog::{Plan, Price, Product, ProductCatalog, Service, Unit};
use super::envelope::ErrorReply;
use super::world::{PendingSwitch, ServiceSub, Subscription, Term, World, term_end};

/// What an accepted order does once it succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Effect {
    /// A first plan; capacity set for products that count extensions.
    PurchasePlan {
        term: Term,
        extensions: Option<u32>,
        concurrent_calls: Option<u32>,
    },
    /// An upgrade (or monthly to annual): in force at once; clears any pending switch.
    SwitchNow { term: Term },
    /// A downgrade: waits for the end of the term in force.
    SwitchAtExpiry(PendingSwitch),
    /// A switch back to the configuration in force: the pending switch is dropped.
    CancelPending,
    /// New subscribed services and capacity added.
    AddServices {
        subscribe: Vec<ServiceSub>,
        extensions: u32,
        concurrent_calls: u32,
        recording_minutes: u32,
    },
    /// The plan and every service move one term on.
    /// The plan and these services move one term on; other services keep their end (lapse).
    Renew { expire: Date, services: Vec<Id> },
}

/// An order that passed every rule.
#[derive(Debug, Clone)]
pub(super) struct Checked {
    /// Index of the subscription in [`World::pbxs`].
    pub pbx: usize,
    pub effect: Effect,
    /// Price of each line in cents, in body order.
    pub items: Vec<(Id, u64)>,
}

impl Checked {
    pub(super) fn total_cents(&self) -> u64 {
        self.items.iter().map(|(_, c)| c).sum()
    }
}

const SIMULATED: [&str; 4] = [
    "purchase_plan",
    "purchase_service",
    "switch_plan",
    "renew_plan",
];
const OUT_OF_SCOPE: [&str; 4] = [
    "trial_plan",
    "trial_service",
    "switchTrial_plan",
    "renew_service",
];

/// How this simulated vendor applies a rule where the real one may differ (vendor-api
/// section 8), so tests can prove the client right either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Policy {
    /// `renew_plan` must renew every subscribed service (rule 5 as documented); when off, a
    /// renewal may leave services out, and they lapse at the old term end.
    pub renewal_requires_all_services: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            renewal_requires_all_services: true,
        }
    }
}

/// Checks `body` against the account as it is now.
pub(super) fn check(
    world: &World,
    catalog: &ProductCatalog,
    body: &OrderBody,
    today: Date,
    policy: Policy,
) -> Result<Checked, ErrorReply> {
    let op = body.operation_type.as_str();
    if OUT_OF_SCOPE.contains(&op) {
        return Err(ErrorReply::param(
            "operationType",
            format!(
                "`{op}` is not simulated by the sandbox; it handles {}",
                SIMULATED.join(", ")
            ),
        ));
    }
    if !SIMULATED.contains(&op) {
        return Err(ErrorReply::param(
            "operationType",
            format!(
                "unknown operation type `{op}`; expected one of {}",
                SIMULATED.join(", ")
            ),
        ));
    }
    let product = catalog.product(body.product_id).ok_or_else(|| {
        ErrorReply::not_found(format!("product {} does not exist", body.product_id))
    })?;
    if body.product_no.is_empty() || !body.product_no.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ErrorReply::param(
            "productNo",
            format!(
                "`{}` is not a serial number (letters and digits)",
                body.product_no
            ),
        ));
    }
    let pbx = world.find(product.id, &body.product_no).ok_or_else(|| {
        ErrorReply::not_found(format!(
            "productNo {} is not under product {} ({}) in this account",
            body.product_no, product.id, product.name
        ))
    })?;
    if !world.is_contact(body.billing_id) {
        return Err(ErrorReply::rule(
            8,
            format!(
                "billingId {} is not a billing contact of this account (see the billing contact list)",
                body.billing_id
            ),
        ));
    }
    let expected_purchase = match op {
        "switch_plan" => "switch",
        "renew_plan" => "renew",
        _ => "purchase",
    };
    let mut seen = HashSet::new();
    for (i, line) in body.service_list.iter().enumerate() {
        let at = |k: &str| format!("serviceList[{i}].{k}");
        if line.service_type != "plan" && line.service_type != "service" {
            return Err(ErrorReply::param(
                at("serviceType"),
                format!("`{}` is neither `plan` nor `service`", line.service_type),
            ));
        }
        if line.purchase_type != expected_purchase {
            return Err(ErrorReply::param(
                at("purchaseType"),
                format!(
                    "must be `{expected_purchase}` for {op} (got `{}`)",
                    line.purchase_type
                ),
            ));
        }
        if let Some(model) = &line.billing_model
            && model != "recurring"
        {
            return Err(ErrorReply::param(
                at("billingModel"),
                format!("must be `recurring` (got `{model}`)"),
            ));
        }
        if let Some(c) = &line.billing_cycle
            && BillingCycle::parse(c).is_none()
        {
            return Err(ErrorReply::param(
                at("billingCycle"),
                format!("must be `monthly` or `annually` (got `{c}`)"),
            ));
        }
        let known = match line.service_type.as_str() {
            "plan" => product.plan(line.service_id).is_some(),
            _ => product.service(line.service_id).is_some(),
        };
        if !known {
            return Err(ErrorReply::param(
                at("serviceId"),
                format!(
                    "{} is not a {} of product {} ({})",
                    line.service_id, line.service_type, product.id, product.name
                ),
            ));
        }
        if !seen.insert(line.service_id) {
            return Err(ErrorReply::param(
                at("serviceId"),
                format!("{} appears on more than one line", line.service_id),
            ));
        }
    }
    let ctx = Ctx {
        product,
        sub: &world.pbxs[pbx],
        body,
        today,
        policy,
    };
    let (effect, items) = match op {
        "purchase_plan" => ctx.purchase_plan()?,
        "switch_plan" => ctx.switch_plan()?,
        "purchase_service" => ctx.purchase_service()?,
        _ => ctx.renew_plan()?,
    };
    Ok(Checked { pbx, effect, items })
}

type Outcome = Result<(Effect, Vec<(Id, u64)>), ErrorReply>;

struct Ctx<'a> {
    product: &'a Product,
    sub: &'a Subscription,
    body: &'a OrderBody,
    today: Date,
    policy: Policy,
}

/// The cycle of a line already known to be valid or absent.
fn cycle_of(line: &OrderLine) -> Option<BillingCycle> {
    line.billing_cycle.as_deref().and_then(BillingCycle::parse)
}

fn cycles_text(cycles: &[BillingCycle]) -> String {
    cycles
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// How many periods of `cycle` a term of `multi_cycle` lasts (a month, or k years).
fn periods(cycle: BillingCycle, multi_cycle: u32) -> u64 {
    match cycle {
        BillingCycle::Monthly => 1,
        BillingCycle::Annually => u64::from(multi_cycle.max(1)),
    }
}

/// The price of `periods` periods of `cycle` for a line of `quantity`, with `extensions` in force.
fn price(p: Price, cycle: BillingCycle, periods: u64, quantity: u32, extensions: u32) -> u64 {
    let units = match p.unit {
        Unit::Flat => 1,
        Unit::PerUnit => u64::from(quantity),
        Unit::PerExtension => u64::from(extensions),
    };
    p.period(cycle) * periods * units
}

impl Ctx<'_> {
    fn sn(&self) -> &str {
        &self.sub.sn
    }

    fn plan_name(&self, id: Id) -> String {
        self.product
            .plan(id)
            .map_or_else(|| format!("plan {id}"), |p| format!("{} ({id})", p.name))
    }

    /// The single plan line of purchase_plan / switch_plan.
    fn single_plan_line(&self) -> Result<(&OrderLine, &Plan), ErrorReply> {
        let op = &self.body.operation_type;
        match self.body.service_list.as_slice() {
            [line] if line.service_type == "plan" => {
                let plan = self.product.plan(line.service_id).ok_or_else(|| {
                    ErrorReply::param("serviceList[0].serviceId", "is not a plan of the product")
                })?;
                Ok((line, plan))
            }
            _ => Err(ErrorReply::param(
                "serviceList",
                format!("{op} takes exactly one line, of serviceType `plan`"),
            )),
        }
    }

    /// Rule 3 for the plan line of purchase_plan / switch_plan: the cycle is offered, monthly
    /// takes multiCycle 0, annual takes 1..5 years.
    fn plan_term(&self, line: &OrderLine, plan: &Plan) -> Result<(BillingCycle, u32), ErrorReply> {
        let cycle = cycle_of(line).ok_or_else(|| {
            ErrorReply::param("serviceList[0].billingCycle", "is required on plan lines")
        })?;
        if !plan.cycles.contains(&cycle) {
            return Err(ErrorReply::rule(
                3,
                format!(
                    "{} of {} is billed {} only; `{cycle}` is not offered",
                    plan.name,
                    self.product.name,
                    cycles_text(plan.cycles)
                ),
            ));
        }
        let multi = match (cycle, line.multi_cycle) {
            (BillingCycle::Monthly, None | Some(0)) => 0,
            (BillingCycle::Monthly, Some(k)) => {
                return Err(ErrorReply::rule(
                    3,
                    format!("monthly billing takes multiCycle 0 (got {k})"),
                ));
            }
            (BillingCycle::Annually, Some(k @ 1..=5)) => k,
            (BillingCycle::Annually, k) => {
                let got = k.map_or_else(|| "none".to_owned(), |k| k.to_string());
                return Err(ErrorReply::rule(
                    3,
                    format!(
                        "an annual {} takes multiCycle 1..5 years (got {got})",
                        self.body.operation_type
                    ),
                ));
            }
        };
        Ok((cycle, multi))
    }

    /// Rule 6: the Cloud PBX keeps 5..500 extensions.
    fn extension_bounds(&self, total: u32) -> Result<(), ErrorReply> {
        match self.product.extension_bounds {
            Some((lo, hi)) if total < lo || total > hi => Err(ErrorReply::rule(
                6,
                format!(
                    "{} allows {lo} to {hi} extensions in total; this order would make {total}",
                    self.product.name
                ),
            )),
            _ => Ok(()),
        }
    }

    fn purchase_plan(&self) -> Outcome {
        let (line, plan) = self.single_plan_line()?;
        if let Some(term) = &self.sub.plan {
            return Err(ErrorReply::rule(
                7,
                format!(
                    "{} already has {} under product {}; purchase_plan is for a product with no plan, change it with switch_plan",
                    self.sn(),
                    self.plan_name(term.plan_id),
                    self.product.id
                ),
            ));
        }
        let (cycle, multi) = self.plan_term(line, plan)?;
        let (extensions, concurrent_calls) = match self.product.fresh_capacity {
            Some(fresh) => {
                let ext = match line.quantity {
                    Some(q) if q < self.sub.extensions => {
                        return Err(ErrorReply::rule(
                            9,
                            format!(
                                "capacity never shrinks through an order: {} keeps {} extensions (quantity {q})",
                                self.sn(),
                                self.sub.extensions
                            ),
                        ));
                    }
                    Some(q) => q,
                    None => self.sub.extensions.max(fresh.extensions),
                };
                self.extension_bounds(ext)?;
                (
                    Some(ext),
                    Some(self.sub.concurrent_calls.max(fresh.concurrent_calls)),
                )
            }
            None => {
                if line.quantity.is_some_and(|q| q != 0) {
                    return Err(ErrorReply::param(
                        "serviceList[0].quantity",
                        format!("{} plans take no quantity", self.product.name),
                    ));
                }
                (None, None)
            }
        };
        let term = Term {
            plan_id: plan.id,
            cycle,
            multi_cycle: multi,
            expire: term_end(self.today, cycle, multi),
        };
        let cents = price(
            plan.price,
            cycle,
            periods(cycle, multi),
            0,
            extensions.unwrap_or(0),
        );
        Ok((
            Effect::PurchasePlan {
                term,
                extensions,
                concurrent_calls,
            },
            vec![(plan.id, cents)],
        ))
    }

    fn switch_plan(&self) -> Outcome {
        let (line, target) = self.single_plan_line()?;
        let term = self.sub.plan.as_ref().ok_or_else(|| {
            ErrorReply::rule(
                7,
                format!(
                    "switch_plan needs a plan in force; {} has none under product {} ({}): use purchase_plan",
                    self.sn(),
                    self.product.id,
                    self.product.name
                ),
            )
        })?;
        let (cycle, multi) = self.plan_term(line, target)?;
        if let Some(q) = line.quantity
            && self.product.counts_extensions()
            && q != self.sub.extensions
        {
            return Err(ErrorReply::business(format!(
                "switch_plan keeps capacity: quantity must equal the current extension count {} (got {q}); change capacity with purchase_service",
                self.sub.extensions
            )));
        }
        // Rule 2 holds across a switch: a subscribed service must stay allowed by the plan.
        for sub in &self.sub.services {
            if let Some(svc) = self.product.service(sub.service_id)
                && !svc.requires_plan_ids.is_empty()
                && !svc.requires_plan_ids.contains(&target.id)
            {
                return Err(ErrorReply::rule(
                    2,
                    format!(
                        "{} requires {}; {} subscribes it, so it cannot switch to {}",
                        svc.name,
                        self.required_names(svc),
                        self.sn(),
                        target.name
                    ),
                ));
            }
        }
        let same_as_in_force =
            target.id == term.plan_id && cycle == term.cycle && multi == term.multi_cycle;
        if same_as_in_force {
            if self.sub.pending.is_some() {
                return Ok((Effect::CancelPending, vec![(target.id, 0)]));
            }
            return Err(ErrorReply::rule(
                4,
                format!(
                    "{} is already on {} billed {cycle} (multiCycle {multi}); there is nothing to switch",
                    self.sn(),
                    target.name
                ),
            ));
        }
        if let Some(p) = &self.sub.pending
            && p.plan_id == target.id
            && p.cycle == cycle
            && p.multi_cycle == multi
        {
            return Err(ErrorReply::rule(
                4,
                format!(
                    "a switch of {} to {} is already pending until {}",
                    self.sn(),
                    target.name,
                    p.in_force_until
                ),
            ));
        }
        let current_tier = self.product.plan(term.plan_id).map_or(0, |p| p.tier);
        let upgrade = target.tier > current_tier
            || (target.tier == current_tier
                && term.cycle == BillingCycle::Monthly
                && cycle == BillingCycle::Annually);
        let cents = price(
            target.price,
            cycle,
            periods(cycle, multi),
            0,
            self.sub.extensions,
        );
        if !upgrade {
            // A downgrade (or a shorter term) takes effect when the term in force ends.
            let pending = PendingSwitch {
                plan_id: target.id,
                cycle,
                multi_cycle: multi,
                in_force_until: term.expire,
            };
            return Ok((Effect::SwitchAtExpiry(pending), vec![(target.id, cents)]));
        }
        if term.cycle == BillingCycle::Annually
            && (cycle != BillingCycle::Annually || multi != term.multi_cycle)
        {
            return Err(ErrorReply::rule(
                4,
                format!(
                    "switching to a higher plan keeps the current interval: {} is on a {}-year annual term, so the switch takes annually with multiCycle {} (got {cycle}, multiCycle {multi})",
                    self.sn(),
                    term.multi_cycle,
                    term.multi_cycle
                ),
            ));
        }
        // Monthly to annual starts a new annual term today; otherwise the term end stays.
        let expire = if term.cycle == BillingCycle::Monthly && cycle == BillingCycle::Annually {
            term_end(self.today, cycle, multi)
        } else {
            term.expire
        };
        let new_term = Term {
            plan_id: target.id,
            cycle,
            multi_cycle: multi,
            expire,
        };
        Ok((
            Effect::SwitchNow { term: new_term },
            vec![(target.id, cents)],
        ))
    }

    fn required_names(&self, svc: &Service) -> String {
        svc.requires_plan_ids
            .iter()
            .map(|&id| self.plan_name(id))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    fn purchase_service(&self) -> Outcome {
        let term = self.sub.plan.as_ref().ok_or_else(|| {
            ErrorReply::rule(
                1,
                format!(
                    "purchase_service needs a plan in force for connectionPlanId; {} has none under product {} ({}): purchase_plan first",
                    self.sn(),
                    self.product.id,
                    self.product.name
                ),
            )
        })?;
        let mut subscribe = Vec::new();
        let (mut extensions, mut concurrent_calls, mut recording_minutes) = (0u32, 0u32, 0u32);
        let mut items = Vec::new();
        for (i, line) in self.body.service_list.iter().enumerate() {
            let at = |k: &str| format!("serviceList[{i}].{k}");
            if line.service_type != "service" {
                return Err(ErrorReply::param(
                    at("serviceType"),
                    "purchase_service lines are of serviceType `service`; change a plan with switch_plan",
                ));
            }
            let Some(svc) = self.product.service(line.service_id) else {
                return Err(ErrorReply::param(
                    at("serviceId"),
                    "is not a service of the product",
                ));
            };
            match line.connection_plan_id {
                Some(c) if c == term.plan_id => {}
                Some(c) => {
                    return Err(ErrorReply::rule(
                        1,
                        format!(
                            "connectionPlanId {c} on the {} line is not the plan in force on {}: {}",
                            svc.name,
                            self.sn(),
                            self.plan_name(term.plan_id)
                        ),
                    ));
                }
                None => {
                    return Err(ErrorReply::rule(
                        1,
                        format!(
                            "the {} line needs connectionPlanId = the plan in force on {}: {}",
                            svc.name,
                            self.sn(),
                            self.plan_name(term.plan_id)
                        ),
                    ));
                }
            }
            if !svc.requires_plan_ids.is_empty() && !svc.requires_plan_ids.contains(&term.plan_id) {
                return Err(ErrorReply::rule(
                    2,
                    format!(
                        "{} requires {}; {} is on {}",
                        svc.name,
                        self.required_names(svc),
                        self.sn(),
                        self.plan_name(term.plan_id)
                    ),
                ));
            }
            if let Some(p) = &self.sub.pending
                && !svc.requires_plan_ids.is_empty()
                && !svc.requires_plan_ids.contains(&p.plan_id)
            {
                return Err(ErrorReply::rule(
                    2,
                    format!(
                        "{} requires {}; {} switches to {} after {}",
                        svc.name,
                        self.required_names(svc),
                        self.sn(),
                        self.plan_name(p.plan_id),
                        p.in_force_until
                    ),
                ));
            }
            if let Some(k) = line.multi_cycle.filter(|&k| k != 0) {
                return Err(ErrorReply::rule(
                    3,
                    format!(
                        "purchase_service lines take multiCycle 0: {} follows the plan's term (got {k})",
                        svc.name
                    ),
                ));
            }
            if let Some(c) = cycle_of(line)
                && c != term.cycle
            {
                return Err(ErrorReply::rule(
                    3,
                    format!(
                        "{} follows the plan's billing cycle: {} is billed {} (got {c})",
                        svc.name,
                        self.sn(),
                        term.cycle
                    ),
                ));
            }
            if !svc.cycles.contains(&term.cycle) {
                return Err(ErrorReply::business(format!(
                    "{} is offered {} only; {} is billed {}",
                    svc.name,
                    cycles_text(svc.cycles),
                    self.sn(),
                    term.cycle
                )));
            }
            let subscribed = self.sub.services.iter().find(|s| s.service_id == svc.id);
            let quantity = match svc.kind {
                ServiceKind::Feature | ServiceKind::PerExtension => {
                    if let Some(s) = subscribed {
                        return Err(ErrorReply::business(format!(
                            "{} is already subscribed on {} until {}; renew_plan renews it",
                            svc.name,
                            self.sn(),
                            s.expire
                        )));
                    }
                    if svc.kind == ServiceKind::Feature {
                        if line.quantity.is_some_and(|q| q > 1) {
                            return Err(ErrorReply::param(
                                at("quantity"),
                                format!("{} is a feature and takes no quantity", svc.name),
                            ));
                        }
                        0
                    } else {
                        if line.quantity != Some(self.sub.extensions) {
                            let got = line
                                .quantity
                                .map_or_else(|| "none".to_owned(), |q| q.to_string());
                            return Err(ErrorReply::business(format!(
                                "{} is priced per extension: quantity must equal the current extension count {} (got {got})",
                                svc.name, self.sub.extensions
                            )));
                        }
                        self.sub.extensions
                    }
                }
                kind => {
                    let q = line.quantity.filter(|&q| q > 0).ok_or_else(|| {
                        ErrorReply::param(
                            at("quantity"),
                            format!("is required: how many {} to add (at least 1)", svc.name),
                        )
                    })?;
                    match kind {
                        ServiceKind::Extensions => extensions = extensions.saturating_add(q),
                        ServiceKind::ConcurrentCalls => {
                            concurrent_calls = concurrent_calls.saturating_add(q)
                        }
                        _ => recording_minutes = recording_minutes.saturating_add(q),
                    }
                    q
                }
            };
            if matches!(svc.kind, ServiceKind::Feature | ServiceKind::PerExtension) {
                subscribe.push(ServiceSub {
                    service_id: svc.id,
                    quantity,
                    expire: term.expire,
                });
            }
            items.push((
                svc.id,
                price(svc.price, term.cycle, 1, quantity, self.sub.extensions),
            ));
        }
        if extensions > 0 {
            self.extension_bounds(self.sub.extensions.saturating_add(extensions))?;
        }
        Ok((
            Effect::AddServices {
                subscribe,
                extensions,
                concurrent_calls,
                recording_minutes,
            },
            items,
        ))
    }

    fn renew_plan(&self) -> Outcome {
        let term = self.sub.plan.as_ref().ok_or_else(|| {
            ErrorReply::rule(
                5,
                format!(
                    "renew_plan needs a plan in force; {} has none under product {} ({}): use purchase_plan",
                    self.sn(),
                    self.product.id,
                    self.product.name
                ),
            )
        })?;
        let plan_lines: Vec<_> = self
            .body
            .service_list
            .iter()
            .enumerate()
            .filter(|(_, l)| l.service_type == "plan")
            .collect();
        let [(pi, plan_line)] = plan_lines.as_slice() else {
            return Err(ErrorReply::param(
                "serviceList",
                "renew_plan takes exactly one plan line plus one line per subscribed service",
            ));
        };
        // While a downgrade is pending, either the plan in force or the one switched to renews.
        let renewable: Vec<Id> = std::iter::once(term.plan_id)
            .chain(self.sub.pending.as_ref().map(|p| p.plan_id))
            .collect();
        if !renewable.contains(&plan_line.service_id) {
            return Err(ErrorReply::rule(
                5,
                format!(
                    "renew_plan renews the plan in force on {}: {} (got {})",
                    self.sn(),
                    self.plan_name(term.plan_id),
                    plan_line.service_id
                ),
            ));
        }
        let plan_id = plan_line.service_id;
        match cycle_of(plan_line) {
            None => {
                return Err(ErrorReply::param(
                    format!("serviceList[{pi}].billingCycle"),
                    "is required on the plan line",
                ));
            }
            Some(c) if c != term.cycle => {
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "the billing cycle cannot change on renewal: {} is billed {} (got {c})",
                        self.sn(),
                        term.cycle
                    ),
                ));
            }
            Some(_) => {}
        }
        for line in &self.body.service_list {
            if let Some(k) = line.multi_cycle.filter(|&k| k != 0) {
                return Err(ErrorReply::rule(
                    3,
                    format!(
                        "renew_plan lines take multiCycle 0: the renewal repeats the current term (got {k})"
                    ),
                ));
            }
        }
        if self.product.counts_extensions() {
            if plan_line.quantity != Some(self.sub.extensions) {
                let got = plan_line
                    .quantity
                    .map_or_else(|| "none".to_owned(), |q| q.to_string());
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "the plan line's quantity must equal the current extension count {} exactly (got {got})",
                        self.sub.extensions
                    ),
                ));
            }
        } else if plan_line.quantity.is_some_and(|q| q != 0) {
            return Err(ErrorReply::param(
                format!("serviceList[{pi}].quantity"),
                format!("{} plans take no quantity", self.product.name),
            ));
        }
        let plan = self.product.plan(plan_id).ok_or_else(|| {
            ErrorReply::param(
                format!("serviceList[{pi}].serviceId"),
                "is not a plan of the product",
            )
        })?;
        let n = periods(term.cycle, term.multi_cycle);
        let mut items = vec![(
            plan_id,
            price(plan.price, term.cycle, n, 0, self.sub.extensions),
        )];
        let mut renewed = HashSet::new();
        for line in self
            .body
            .service_list
            .iter()
            .filter(|l| l.service_type == "service")
        {
            let Some(svc) = self.product.service(line.service_id) else {
                return Err(ErrorReply::param(
                    "serviceId",
                    "is not a service of the product",
                ));
            };
            let Some(sub) = self.sub.services.iter().find(|s| s.service_id == svc.id) else {
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "{} is not subscribed on {}; renew_plan renews the plan and its subscribed services only",
                        svc.name,
                        self.sn()
                    ),
                ));
            };
            if line.connection_plan_id != Some(plan_id) {
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "the {} line needs connectionPlanId = the renewed plan {plan_id}",
                        svc.name
                    ),
                ));
            }
            if let Some(c) = cycle_of(line)
                && c != term.cycle
            {
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "the billing cycle cannot change on renewal: {} is billed {} (got {c} on the {} line)",
                        self.sn(),
                        term.cycle,
                        svc.name
                    ),
                ));
            }
            if let Some(q) = line.quantity
                && q != sub.quantity
                && !(svc.kind == ServiceKind::Feature && q <= 1)
            {
                return Err(ErrorReply::rule(
                    5,
                    format!(
                        "the {} line renews the subscribed quantity {} (got {q})",
                        svc.name, sub.quantity
                    ),
                ));
            }
            renewed.insert(svc.id);
            items.push((
                svc.id,
                price(svc.price, term.cycle, n, sub.quantity, self.sub.extensions),
            ));
        }
        let missing: Vec<String> = self
            .sub
            .services
            .iter()
            .filter(|s| !renewed.contains(&s.service_id))
            .map(|s| {
                let name = self
                    .product
                    .service(s.service_id)
                    .map_or("service", |svc| svc.name);
                format!("{name} ({})", s.service_id)
            })
            .collect();
        if !missing.is_empty() && self.policy.renewal_requires_all_services {
            return Err(ErrorReply::rule(
                5,
                format!(
                    "renew_plan must include every subscribed service of {}; missing {}",
                    self.sn(),
                    missing.join(", ")
                ),
            ));
        }
        Ok((
            Effect::Renew {
                expire: term.one_term_after(term.expire),
                services: renewed.into_iter().collect(),
            },
            items,
        ))
    }
}
