//! Prices: every order of a plan quoted through the vendor's calculator, each distinct request
//! once, in the state the order will be sent in. The plan records the catalogs it was made
//! from; a plan that needed none (a renewal) has the missing ones read here, only for their
//! pricing IDs and price units.
//!
//! The calculator prices a body against the account as it is now. An order that an earlier
//! order of the same plan changes the ground for (a renewal after a purchase of extensions or
//! services, anything after a plan purchase or switch) cannot be quoted as it will be sent:
//! the calculator refuses it, or prices it against today's state. [`ask`] decides what to
//! quote for each order and [`settle`] what the answer means for it; both are pure.
//!
//! A business-rule refusal of an order quoted as it will be sent is the vendor saying no: the
//! order is marked refused and the plan cannot be applied. Any other failure leaves the price
//! unknown, with one reason.

use crate::api::{ApiError, Client};
use crate::model::{Catalog, Id, ObservedPbx, Price, PriceUnit, Quote, ServiceKind};
use crate::observe::Progress;
use crate::plan::money::{Cents, grouped};
use crate::plan::{Action, ActionKind, Effective, Plan, VendorRefusal};
use crate::wire::{self, OrderBody};

/// Quotes every order through the vendor's calculator (L9), concurrently, with the
/// documented body (lines priced by the catalog's `pricingId`); identical requests are asked
/// once. Each order ends priced (with how, when it is not the calculator's answer for its
/// exact body), refused by the vendor, or with the one reason its price is unknown. Renewals
/// shown as upcoming are priced too when `upcoming`.
pub(crate) async fn price(
    client: &Client,
    plan: &mut Plan,
    upcoming: bool,
    progress: &dyn Progress,
) {
    let catalogs = catalogs(client, plan, upcoming).await;
    // Each distinct request once; the actions it prices, and how.
    let mut requests: Vec<(wire::PriceRequest, Vec<Asked>)> = Vec::new();
    let mut settled: Vec<(usize, Slot, Priced)> = Vec::new();
    for (i, p) in plan.pbxs.iter().enumerate() {
        let shown = if upcoming { p.upcoming.len() } else { 0 };
        let slots = (0..p.actions.len())
            .map(Slot::Order)
            .chain((0..shown).map(Slot::Upcoming));
        for slot in slots {
            let (earlier, action) = match slot {
                Slot::Order(j) => (&p.actions[..j], &p.actions[j]),
                Slot::Upcoming(j) => (&p.actions[..], &p.upcoming[j]),
            };
            if action.order.is_none() {
                continue;
            }
            let Some(cat) = catalogs.get(p.product, &p.sn) else {
                let why = "the product's catalog could not be read".to_owned();
                settled.push((i, slot, Priced::Unknown(why)));
                continue;
            };
            let Some(ask) = ask(earlier, action, &p.observed, cat) else {
                continue;
            };
            match crate::api::mapping::price_request(ask.body(), cat) {
                Ok(r) => match requests.iter_mut().find(|(known, _)| *known == r) {
                    Some((_, at)) => at.push((i, slot, ask)),
                    None => requests.push((r, vec![(i, slot, ask)])),
                },
                Err(e) => settled.push((i, slot, Priced::Unknown(e))),
            }
        }
    }
    progress.start(requests.len() as u64);
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (request, _)) in requests.iter().enumerate() {
        let client = client.clone();
        let request = request.clone();
        tasks.spawn(async move { (n, client.price(&request).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        progress.advance();
        let Ok((n, answer)) = joined else { continue };
        let answer = Answer::from(answer);
        for (i, slot, ask) in &requests[n].1 {
            settled.push((*i, *slot, settle(ask, &answer)));
        }
    }
    progress.finish();
    for (i, slot, priced) in settled {
        let p = &mut plan.pbxs[i];
        let action = match slot {
            Slot::Order(j) => &mut p.actions[j],
            Slot::Upcoming(j) => &mut p.upcoming[j],
        };
        match priced {
            Priced::Price { price, basis } => {
                action.price = Some(price);
                action.price_basis = basis;
            }
            Priced::Unknown(why) => action.price_error = Some(why),
            // A renewal nobody asked for is not an error of the plan when refused.
            Priced::Refused(words) if matches!(slot, Slot::Upcoming(_)) => {
                action.price_error = Some(format!("the vendor's calculator refuses it: {words}"));
            }
            Priced::Refused(message) => {
                // The note that said "if the vendor refuses" is now the refusal's help.
                let help = crate::plan::renewal_refusal_help(&p.observed, action);
                if let Some(h) = &help {
                    p.notes.retain(|n| n != h);
                }
                action.refused = Some(VendorRefusal { message, help });
            }
        }
    }
}

/// An action asked about: its PBX's index in the plan, where it is there, and how it is asked.
type Asked = (usize, Slot, Ask);

/// Where in a PBX's plan a priced action is: an order, or a renewal shown as upcoming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Order(usize),
    Upcoming(usize),
}

/// The catalogs of the plan's PBXs with orders (or, when `upcoming`, renewals to show): the
/// recorded ones, and, for a plan that needed none (a renewal), the missing ones read once
/// per product and SN, only for pricing (the plan's own inputs are unchanged).
async fn catalogs(client: &Client, plan: &Plan, upcoming: bool) -> crate::plan::Catalogs {
    let mut catalogs = crate::plan::Catalogs::from_recorded(&plan.catalogs);
    let mut missing = std::collections::BTreeSet::new();
    for p in plan.pbxs.iter().filter(|p| {
        let shown = if upcoming { &p.upcoming[..] } else { &[] };
        p.actions.iter().chain(shown).any(|a| a.order.is_some())
    }) {
        if catalogs.get(p.product, &p.sn).is_none() {
            missing.insert((p.product, p.sn.clone()));
        }
    }
    let mut reads = tokio::task::JoinSet::new();
    for (product, sn) in missing {
        let client = client.clone();
        reads.spawn(async move {
            let c = client.catalog(product, Some(&sn)).await;
            (product, sn, c)
        });
    }
    while let Some(Ok((product, sn, c))) = reads.join_next().await {
        match c {
            Ok(c) => {
                catalogs.by_sn.insert((product, sn), c);
            }
            Err(e) => {
                tracing::warn!(%product, %sn, error = %e, "cannot read the catalog for pricing")
            }
        }
    }
    catalogs
}

/// What to ask the calculator for one order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ask {
    /// The body as it will be sent: nothing earlier in the plan changes its ground.
    Exact(OrderBody),
    /// A renewal after a purchase of extensions or services on the same PBX, or a
    /// per-extension service bought after an expansion: the order as the account takes it
    /// today, then adjusted for what the earlier purchase adds.
    AsOfToday { body: OrderBody, adjust: Adjust },
    /// An order after a plan purchase or switch now: quoted as it will be sent, but against
    /// the plan in force today, so neither a price nor a refusal is the vendor's last word.
    AfterPlanChange { body: OrderBody, after: ActionKind },
}

impl Ask {
    fn body(&self) -> &OrderBody {
        match self {
            Ask::Exact(body) | Ask::AsOfToday { body, .. } | Ask::AfterPlanChange { body, .. } => {
                body
            }
        }
    }
}

/// How a renewal quoted as of today becomes the price of the renewal as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Adjust {
    /// Extensions in force today, and after the purchase before the renewal.
    pub today: u32,
    pub then: u32,
    /// Lines priced per extension (ID, name): each grows by `then / today`.
    pub per_extension: Vec<(Id, String)>,
    /// Lines whose price unit neither the vendor nor the service's kind says.
    pub unit_unknown: Vec<String>,
    /// Services the purchase subscribes, which the renewal renews too.
    pub new_services: Vec<String>,
}

/// What to ask the calculator for `action` of a PBX (`observed`), from the orders of the plan
/// before it; `None` when the action is not an order.
pub(crate) fn ask(
    earlier: &[Action],
    action: &Action,
    observed: &ObservedPbx,
    cat: &Catalog,
) -> Option<Ask> {
    let body = action.order.clone()?;
    let earlier = earlier.iter().filter(|a| a.order.is_some());
    if let Some(change) = earlier.clone().find(|a| {
        matches!(a.kind, ActionKind::PurchasePlan | ActionKind::SwitchPlan)
            && a.effective == Effective::Now
    }) {
        return Some(Ask::AfterPlanChange {
            body,
            after: change.kind,
        });
    }
    let renews = action.kind == ActionKind::RenewPlan;
    if !renews && action.kind != ActionKind::PurchaseService {
        return Some(Ask::Exact(body));
    }
    let (mut added, mut new_services) = (0u32, Vec::new());
    for a in earlier.filter(|a| a.kind == ActionKind::PurchaseService) {
        for line in a.order.iter().flat_map(|o| &o.service_list) {
            match cat.service(line.service_id) {
                Some(s) if s.kind == ServiceKind::Extensions => {
                    added = added.saturating_add(line.quantity.unwrap_or(0));
                }
                Some(s) if s.kind.is_capacity() => {}
                // A purchase does not renew what an earlier one subscribes.
                _ if !renews => {}
                s => new_services.push((
                    line.service_id,
                    s.map_or_else(|| line.service_id.to_string(), |s| s.name.clone()),
                )),
            }
        }
    }
    if added == 0 && new_services.is_empty() {
        return Some(Ask::Exact(body));
    }
    let today = observed.extensions;
    let then = today.saturating_add(added);
    let mut adjust = Adjust {
        today,
        then,
        per_extension: Vec::new(),
        unit_unknown: Vec::new(),
        new_services: new_services.iter().map(|(_, n)| n.clone()).collect(),
    };
    let mut as_of_today = body;
    as_of_today
        .service_list
        .retain(|l| !new_services.iter().any(|(id, _)| *id == l.service_id));
    for line in &mut as_of_today.service_list {
        let (name, unit, counted) = if line.service_type == "plan" {
            let p = cat.plan(line.service_id);
            let name = p.map_or_else(|| line.service_id.to_string(), |p| p.name.clone());
            // The plan line counts the extensions in force (rule 5): today's, for today.
            let counted = line.quantity.is_some();
            if counted {
                line.quantity = Some(today);
            }
            (name, p.and_then(|p| p.price_unit), counted)
        } else {
            let s = cat.service(line.service_id);
            let name = s.map_or_else(|| line.service_id.to_string(), |s| s.name.clone());
            let known = s.is_some_and(|s| s.kind != ServiceKind::Unknown);
            let unit = s.and_then(|s| s.price_unit);
            // A per-extension service bought after the expansion counts its extensions:
            // today's, for today.
            if unit == Some(PriceUnit::PerExtension) && line.quantity == Some(then) {
                line.quantity = Some(today);
            }
            (name, unit.or(known.then_some(PriceUnit::Flat)), false)
        };
        match unit {
            Some(PriceUnit::PerExtension) => adjust.per_extension.push((line.service_id, name)),
            Some(PriceUnit::PerUnit) if counted => {
                adjust.per_extension.push((line.service_id, name))
            }
            Some(_) => {}
            None if counted || line.service_type != "plan" => adjust.unit_unknown.push(name),
            None => {}
        }
    }
    if added == 0 {
        adjust.per_extension.clear();
        adjust.unit_unknown.clear();
    }
    Some(Ask::AsOfToday {
        body: as_of_today,
        adjust,
    })
}

/// The calculator's answer, as far as pricing cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Quote(Quote),
    /// A business rule refused the body: the vendor's words, code and request ID.
    Refused(String),
    /// Anything else (transport, a 5xx, an answer that cannot be read): the error.
    Failed(String),
}

impl From<Result<Quote, ApiError>> for Answer {
    fn from(r: Result<Quote, ApiError>) -> Answer {
        match r {
            Ok(q) => Answer::Quote(q),
            Err(ApiError::Vendor {
                code,
                detail,
                request_id,
                ..
            }) if code == wire::codes::BUSINESS_RULE_VIOLATION => {
                Answer::Refused(format!("{detail} ({code}, request {request_id})"))
            }
            Err(e) => Answer::Failed(e.to_string()),
        }
    }
}

/// What an order's price comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Priced {
    /// The price, and how it was obtained when it is not the calculator's answer for the
    /// exact body.
    Price {
        price: Price,
        basis: Option<String>,
    },
    Unknown(String),
    /// The vendor's words.
    Refused(String),
}

/// What `answer` to the request of `ask` means for the order.
pub(crate) fn settle(ask: &Ask, answer: &Answer) -> Priced {
    match (ask, answer) {
        (_, Answer::Failed(why)) => Priced::Unknown(why.clone()),
        (Ask::Exact(_), Answer::Quote(q)) => Priced::Price {
            price: q.price.clone(),
            basis: None,
        },
        (Ask::Exact(_), Answer::Refused(words)) => Priced::Refused(words.clone()),
        (Ask::AfterPlanChange { after, .. }, Answer::Quote(q)) => Priced::Price {
            price: q.price.clone(),
            basis: Some(format!(
                "the calculator's price against the plan in force today; this order follows the {after} above, which may change it"
            )),
        },
        (Ask::AfterPlanChange { after, .. }, Answer::Refused(words)) => Priced::Unknown(format!(
            "the calculator prices against the plan in force today and cannot price this order before the {after} above is placed ({words})"
        )),
        (Ask::AsOfToday { adjust, .. }, Answer::Refused(words)) => Priced::Refused(format!(
            "{words}; asked as the account stands today{}",
            before_the_purchase(adjust)
        )),
        (Ask::AsOfToday { adjust, .. }, Answer::Quote(q)) => adjusted(q, adjust),
    }
}

/// ", before the purchase above adds 10 extensions".
fn before_the_purchase(a: &Adjust) -> String {
    let mut adds = Vec::new();
    if a.then > a.today {
        adds.push(crate::words::plural(
            (a.then - a.today) as usize,
            "extension",
            "extensions",
        ));
    }
    adds.extend(a.new_services.iter().cloned());
    format!(", before the purchase above adds {}", adds.join(" and "))
}

/// The renewal's price once the purchase before it is placed: the calculator's price as of
/// today, plus each per-extension line grown to the new count.
fn adjusted(q: &Quote, a: &Adjust) -> Priced {
    let today = grouped(&q.price);
    let at_today = format!("it costs {today} as the account stands today");
    if !a.new_services.is_empty() {
        return Priced::Unknown(format!(
            "the calculator cannot price a renewal of {} before the purchase above subscribes it; {at_today}",
            crate::words::and_list(&a.new_services)
        ));
    }
    if !a.unit_unknown.is_empty() {
        return Priced::Unknown(format!(
            "the vendor's catalog does not say whether {} is priced per extension, and the purchase above adds {}; {at_today}",
            crate::words::and_list(&a.unit_unknown),
            a.then - a.today
        ));
    }
    let Some(total) = Cents::parse(&q.price.total) else {
        return Priced::Unknown(format!(
            "the calculator's total `{}` is not an amount",
            q.price.total
        ));
    };
    let added = a.then - a.today;
    if a.per_extension.is_empty() {
        return Priced::Price {
            price: q.price.clone(),
            basis: Some(format!(
                "the calculator's price at today's {} extensions: the {added} the purchase above adds do not change it (no line is priced per extension)",
                a.today
            )),
        };
    }
    if a.today == 0 {
        return Priced::Unknown(format!(
            "no extension is in force today to scale the per-extension price from; {at_today}"
        ));
    }
    let mut delta = 0i128;
    let mut rounded = false;
    for (id, name) in &a.per_extension {
        let Some(amount) = q
            .items
            .iter()
            .find(|(item, _)| item == id)
            .and_then(|(_, amount)| Cents::parse(amount))
        else {
            return Priced::Unknown(format!(
                "the calculator's answer does not give the {name} line's amount, which grows with the {added} extensions the purchase above adds; {at_today}"
            ));
        };
        let grown = amount.0 * i128::from(added);
        let den = i128::from(a.today);
        rounded |= grown % den != 0;
        delta += (grown + den / 2) / den;
    }
    let price = Price {
        currency: q.price.currency.clone(),
        total: Cents(total.0 + delta).to_string(),
    };
    let names: Vec<&str> = a.per_extension.iter().map(|(_, n)| n.as_str()).collect();
    let extra = grouped(&Price {
        currency: q.price.currency.clone(),
        total: Cents(delta).to_string(),
    });
    Priced::Price {
        price,
        basis: Some(format!(
            "the calculator's {today} at today's {} extensions, plus {extra}{} for the {added} the purchase above adds ({} {} priced per extension)",
            a.today,
            if rounded {
                ", rounded to the cent,"
            } else {
                ""
            },
            crate::words::and_list(&names),
            if names.len() == 1 { "is" } else { "are" }
        )),
    }
}

#[cfg(test)]
mod tests;
