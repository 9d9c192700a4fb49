//! The ONE place where the vendor's wire types ([`crate::wire`]) become the domain model
//! ([`crate::model`]). Every interpretation the contract marks [ASSUMED] is made here, so that
//! when a real response is captured only this module changes:
//!
//! - `planId` null (or 0) means "no active plan"; `billingCycle`, `multiCycle` and `expireDate`
//!   then carry no meaning and are ignored.
//! - A plan's `multiCycle` may be absent for a monthly plan (read as 0) but not for an annual one.
//! - `currentPlan` non-empty means a switch is pending: the plan in force is `currentPlan` (an ID
//!   when it is all digits, otherwise kept as the vendor's text) until `currentPlanExpireDate`.
//! - A field of the detail the answer does not carry (`planId`, `extensionCount`,
//!   `concurrentCallCount`, `recordingMinutes`, `serviceList`) is listed in
//!   `ObservedPbx::unreported`, never read as 0 or "none": the planner refuses to plan what
//!   depends on it for that PBX. `planId: null` is "no active plan".
//! - Catalog facts the vendor leaves unsaid (a service's kind, a plan's rank, the plans a
//!   service needs, a name) come from the one table [`VENDOR_FACTS`], each with its source;
//!   what neither says stays unknown, and the action that needs it is refused.
//! - Empty strings are "absent" for optional dates and for `customReferenceNo`.
//! - A contact's display name is "first last", or the company when both are empty.
//!
//! Anything that cannot be read is a [`MappingError`] naming the subject (SN, product, order),
//! the wire field and the value — never a guess.

use std::collections::BTreeSet;
use std::str::FromStr;

use super::error::MappingError;
use crate::date::Date;
use crate::model::{
    Catalog, Contact, Cycle, Id, ObservedPbx, ObservedService, OfferedPlan, OfferedService, Order,
    OrderStatus, PendingSwitch, Price, PriceUnit, ProductId, Quote, ServiceKind, SubscribedPlan,
};
use crate::wire;

fn err(subject: &str, sn: Option<&str>, field: impl Into<String>, problem: String) -> MappingError {
    MappingError {
        subject: subject.to_owned(),
        sn: sn.map(str::to_owned),
        field: field.into(),
        problem,
    }
}

fn parse_date(
    subject: &str,
    sn: Option<&str>,
    field: impl Into<String>,
    v: &str,
) -> Result<Date, MappingError> {
    Date::from_str(v.trim()).map_err(|e| err(subject, sn, field, e.to_string()))
}

fn optional_date(
    subject: &str,
    sn: Option<&str>,
    field: impl Into<String>,
    v: &str,
) -> Result<Option<Date>, MappingError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(subject, sn, field, v).map(Some)
    }
}

fn cycle(subject: &str, field: impl Into<String>, v: &str) -> Result<Cycle, MappingError> {
    Cycle::parse(v.trim()).ok_or_else(|| {
        err(
            subject,
            None,
            field,
            format!("`{v}` is not `monthly` or `annually`"),
        )
    })
}

/// L1 item.
pub fn product(p: wire::Product) -> (ProductId, String) {
    (ProductId(p.product_id), p.name)
}

/// L3: the subscription state of `sn` under `product` (`auto_renew` is left `None`: it comes
/// from L8 only when asked).
pub fn observed_pbx(
    d: wire::InstanceDetail,
    product: ProductId,
    sn: &str,
) -> Result<ObservedPbx, MappingError> {
    let subject = format!("PBX {sn} ({product})");
    let s = subject.as_str();
    let e = |field: &str, problem: String| err(s, Some(sn), field, problem);
    if !d.product_no.is_empty() && !d.product_no.eq_ignore_ascii_case(sn) {
        return Err(e(
            "productNo",
            format!(
                "the answer is about `{}`, not the PBX asked for",
                d.product_no
            ),
        ));
    }
    if d.product_id != 0 && d.product_id != product.0 {
        return Err(e(
            "productId",
            format!(
                "the answer is about product {}, not {}",
                d.product_id, product.0
            ),
        ));
    }
    let mut unreported: Vec<String> = Vec::new();
    if d.plan_id.is_none() {
        unreported.push("planId".into());
    }
    for (field, value) in [
        ("extensionCount", d.extension_count),
        ("concurrentCallCount", d.concurrent_call_count),
        ("recordingMinutes", d.recording_minutes),
    ] {
        if value.is_none() {
            unreported.push(field.into());
        }
    }
    if d.service_list.is_none() {
        unreported.push("serviceList".into());
    }
    let plan = match d.plan_id.flatten().filter(|id| id.0 != 0) {
        None => None,
        Some(id) => {
            let cycle = cycle(s, "billingCycle", &d.billing_cycle).map_err(|m| MappingError {
                sn: Some(sn.to_owned()),
                ..m
            })?;
            let multi_cycle = match (d.multi_cycle, cycle) {
                (Some(n), _) => n,
                (None, Cycle::Monthly) => 0,
                (None, Cycle::Annually) => {
                    return Err(e(
                        "multiCycle",
                        "missing; an annual plan needs its term in years".to_owned(),
                    ));
                }
            };
            if d.expire_date.trim().is_empty() {
                return Err(e("expireDate", format!("empty, but the PBX has plan {id}")));
            }
            Some(SubscribedPlan {
                id,
                name: d.plan_name.clone(),
                cycle,
                multi_cycle,
                expires: parse_date(s, Some(sn), "expireDate", &d.expire_date)?,
            })
        }
    };
    let pending_switch = if d.current_plan.trim().is_empty() {
        None
    } else {
        let raw = d.current_plan.trim();
        let in_force_id = if raw.bytes().all(|b| b.is_ascii_digit()) {
            raw.parse::<Id>().ok()
        } else {
            None
        };
        Some(PendingSwitch {
            in_force_id,
            in_force: raw.to_owned(),
            until: optional_date(
                s,
                Some(sn),
                "currentPlanExpireDate",
                &d.current_plan_expire_date,
            )?,
        })
    };
    let services = d
        .service_list
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, svc)| {
            Ok(ObservedService {
                id: svc.service_id,
                name: svc.service_name.clone(),
                quantity: svc.quantity,
                expires: optional_date(
                    s,
                    Some(sn),
                    format!("serviceList[{i}].expireDate"),
                    &svc.expire_date,
                )?,
            })
        })
        .collect::<Result<Vec<_>, MappingError>>()?;
    Ok(ObservedPbx {
        sn: sn.to_owned(),
        product,
        product_name: d.product_name,
        activation_status: d.activation_status,
        comment: d.comment,
        plan,
        pending_switch,
        extensions: d.extension_count.unwrap_or(0),
        concurrent_calls: d.concurrent_call_count.unwrap_or(0),
        recording_minutes: d.recording_minutes.unwrap_or(0),
        services,
        auto_renew: None,
        unreported,
    })
}

/// What the table knows about one catalog entry the vendor's catalog may leave unsaid
/// (vendor-api section 8: only `offeringId`, `planId`, `serviceId`, `purchaseType` and a
/// pricing ID are confirmed).
#[derive(Debug, Clone, Copy)]
pub enum Fact {
    /// A service: what buying it does, and the plan (by a word of its name, lowercase) it
    /// may only be bought under.
    Service {
        kind: ServiceKind,
        requires_plan: Option<&'static str>,
    },
    /// A plan: how it ranks against the product's other plans (higher is better), for telling
    /// an upgrade from a downgrade.
    Plan { rank: u32 },
}

/// One vendor fact: the entry's name as the vendor's tutorials write it, its ID where a seed
/// shows one, what is known of it, and where that comes from.
#[derive(Debug, Clone, Copy)]
pub struct VendorFact {
    /// Matched case-insensitively: a service by its whole name, a plan by a word its name
    /// contains (`Enterprise` in "Enterprise Plan").
    pub name: &'static str,
    /// Matched first, when a seed tutorial shows the ID.
    pub ids: &'static [u64],
    pub fact: Fact,
    pub source: &'static str,
}

/// Every vendor fact entitle relies on when the catalog does not say, in one table. What the
/// vendor's answer says (`kind`, `tier`, `requiresPlanIds`) wins over it; what neither says
/// stays unknown, and the action that needs it is refused.
pub const VENDOR_FACTS: &[VendorFact] = &[
    VendorFact {
        name: "Extension Expansion",
        ids: &[3_049_060_579_827_040_256],
        fact: Fact::Service {
            kind: ServiceKind::Extensions,
            requires_plan: None,
        },
        source: "seed 001 (grow by 200 extensions: quantity 200 of Extension Expansion)",
    },
    VendorFact {
        name: "Hotel PMS Integration",
        ids: &[3_115_983_610_256_539_648],
        fact: Fact::Service {
            kind: ServiceKind::Feature,
            requires_plan: None,
        },
        source: "seed 000 (subscribed with no quantity)",
    },
    VendorFact {
        name: "High Availability",
        ids: &[3_048_573_935_752_720_384],
        fact: Fact::Service {
            kind: ServiceKind::PerExtension,
            requires_plan: None,
        },
        source: "seed 004 (renewed with the plan; the vendor prices it per extension)",
    },
    VendorFact {
        name: "Concurrent Call Expansion",
        ids: &[],
        fact: Fact::Service {
            kind: ServiceKind::ConcurrentCalls,
            requires_plan: None,
        },
        source: "vendor guide: capacity add-on named in the tutorials",
    },
    VendorFact {
        name: "Recording Minutes",
        ids: &[],
        fact: Fact::Service {
            kind: ServiceKind::RecordingMinutes,
            requires_plan: None,
        },
        source: "vendor guide: capacity add-on named in the tutorials",
    },
    VendorFact {
        name: "Disaster Recovery",
        ids: &[],
        fact: Fact::Service {
            kind: ServiceKind::Feature,
            requires_plan: Some("ultimate"),
        },
        source: "seed 002 note and vendor-api section 8: Disaster Recovery is only supported on Ultimate Plan",
    },
    // Plans, by a word of their name. `Linkus Cloud Service Pro` comes before `Linkus Cloud
    // Service`, which its name contains.
    VendorFact {
        name: "linkus cloud service pro",
        ids: &[],
        fact: Fact::Plan { rank: 2 },
        source: "vendor plan names: Pro above the plain Linkus Cloud Service",
    },
    VendorFact {
        name: "linkus cloud service",
        ids: &[3_048_918_321_840_570_368],
        fact: Fact::Plan { rank: 1 },
        source: "seed 003 (Linkus Cloud Service, plan ID 3048918321840570368)",
    },
    VendorFact {
        name: "standard",
        ids: &[],
        fact: Fact::Plan { rank: 1 },
        source: "vendor plan names: Standard < Enterprise < Ultimate",
    },
    VendorFact {
        name: "enterprise",
        ids: &[3_049_040_650_094_403_584, 3_048_571_730_026_938_368],
        fact: Fact::Plan { rank: 2 },
        source: "seeds 000 and 001 (Enterprise Plan of the Software Edition, 3049040650094403584), seed 004 (of the Cloud PBX, 3048571730026938368); Standard < Enterprise < Ultimate",
    },
    VendorFact {
        name: "ultimate",
        ids: &[3_048_560_606_464_323_584],
        fact: Fact::Plan { rank: 3 },
        source: "seed 002 (Ultimate Plan of the Appliance, 3048560606464323584); Standard < Enterprise < Ultimate",
    },
];

impl VendorFact {
    /// What a service fact says: its kind, and the plan (a word of its name) it needs.
    fn service(&self) -> Option<(ServiceKind, Option<&'static str>)> {
        match self.fact {
            Fact::Service {
                kind,
                requires_plan,
            } => Some((kind, requires_plan)),
            Fact::Plan { .. } => None,
        }
    }
}

/// The table's fact about a service: by ID first, then by name.
pub fn service_fact(id: Id, name: &str) -> Option<&'static VendorFact> {
    let name = name.trim();
    let is_service = |f: &&VendorFact| f.service().is_some();
    VENDOR_FACTS
        .iter()
        .filter(is_service)
        .find(|f| f.ids.contains(&id.0))
        .or_else(|| {
            VENDOR_FACTS
                .iter()
                .filter(is_service)
                .find(|f| !name.is_empty() && f.name.eq_ignore_ascii_case(name))
        })
}

/// The table's rank of a plan: by ID first, then by a word of its name.
pub fn plan_rank(id: Id, name: &str) -> Option<u32> {
    let rank = |f: &VendorFact| match f.fact {
        Fact::Plan { rank } => Some(rank),
        Fact::Service { .. } => None,
    };
    let name = name.trim().to_ascii_lowercase();
    if let Some(r) = VENDOR_FACTS
        .iter()
        .filter(|f| f.ids.contains(&id.0))
        .find_map(rank)
    {
        return Some(r);
    }
    // Words the name contains, less those inside a longer one that matched ("linkus cloud
    // service" inside "linkus cloud service pro"). Words of different ranks ("Enterprise
    // Standard") leave the plan unranked: a switch that needs the rank is refused, never
    // guessed as an upgrade.
    let words: Vec<&VendorFact> = VENDOR_FACTS
        .iter()
        .filter(|f| rank(f).is_some() && !name.is_empty() && name.contains(f.name))
        .collect();
    let ranks: BTreeSet<u32> = words
        .iter()
        .filter(|f| {
            !words
                .iter()
                .any(|g| g.name != f.name && g.name.contains(f.name))
        })
        .filter_map(|f| rank(f))
        .collect();
    match ranks.len() {
        1 => ranks.into_iter().next(),
        _ => None,
    }
}

/// Whether the table's plan `word` (a [`VendorFact`] name) is `p`: by the IDs the table knows
/// for it, or by its name containing the word.
fn plan_is(p: &OfferedPlan, word: &str) -> bool {
    p.name.to_ascii_lowercase().contains(word)
        || VENDOR_FACTS
            .iter()
            .any(|f| f.name == word && f.ids.contains(&p.id.0))
}

/// L4: what can be bought for `product`.
pub fn catalog(c: wire::Offering, product: ProductId) -> Result<Catalog, MappingError> {
    let subject = format!("catalog of {product}");
    let s = subject.as_str();
    if c.product_id != 0 && c.product_id != product.0 {
        return Err(err(
            s,
            None,
            "productId",
            format!(
                "the answer is about product {}, not {}",
                c.product_id, product.0
            ),
        ));
    }
    let cycles = |field: String, list: &[String]| -> Result<Vec<Cycle>, MappingError> {
        list.iter()
            .enumerate()
            .map(|(j, v)| cycle(s, format!("{field}[{j}]"), v))
            .collect()
    };
    let plans = c
        .plan_list
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(OfferedPlan {
                id: p.plan_id,
                name: p.plan_name.clone(),
                tier: if p.tier > 0 {
                    p.tier
                } else {
                    plan_rank(p.plan_id, &p.plan_name).unwrap_or(0)
                },
                cycles: cycles(format!("planList[{i}].billingCycles"), &p.billing_cycles)?,
                pricing_id: p.pricing_id,
                // A hint only: a value entitle does not know is "not said", not an error.
                price_unit: PriceUnit::parse(p.price_unit.trim()),
            })
        })
        .collect::<Result<Vec<_>, MappingError>>()?;
    let services = c
        .service_list
        .iter()
        .enumerate()
        .map(|(i, svc)| {
            let fact = service_fact(svc.service_id, &svc.service_name);
            let (table_kind, table_plan) = fact
                .and_then(VendorFact::service)
                .unwrap_or((ServiceKind::Unknown, None));
            let kind = match svc.kind.trim() {
                "" => table_kind,
                k => ServiceKind::parse(k).ok_or_else(|| {
                    err(
                        s,
                        None,
                        format!("serviceList[{i}].kind"),
                        format!(
                            "`{}` (service {}) is not one of feature, extensions, concurrent_calls, \
                             recording_minutes, per_extension",
                            svc.kind, svc.service_id
                        ),
                    )
                })?,
            };
            // The vendor's list wins when it names plans. An empty or absent one does not lift
            // a requirement the table knows (a serializer that writes [] for "not said" must
            // not make Disaster Recovery buyable under any plan): the table's plan is found
            // among this catalog's plans by ID or by a word of its name, and when the catalog
            // lists none the service is unbuyable here, never buyable under any plan.
            let (requires_plan_ids, requires_missing_plan) =
                match (&svc.requires_plan_ids, table_plan) {
                    (Some(ids), _) if !ids.is_empty() => (ids.clone(), None),
                    (_, Some(word)) => {
                        let ids: Vec<Id> = plans
                            .iter()
                            .filter(|p| plan_is(p, word))
                            .map(|p| p.id)
                            .collect();
                        let missing = ids.is_empty().then(|| word.to_owned());
                        (ids, missing)
                    }
                    (ids, None) => (ids.clone().unwrap_or_default(), None),
                };
            Ok(OfferedService {
                id: svc.service_id,
                name: match (svc.service_name.trim(), fact) {
                    // Not a confirmed field: the table names a service it knows by ID.
                    ("", Some(f)) => f.name.to_owned(),
                    ("", None) => String::new(),
                    _ => svc.service_name.clone(),
                },
                kind,
                requires_plan_ids,
                requires_missing_plan,
                cycles: cycles(
                    format!("serviceList[{i}].billingCycles"),
                    &svc.billing_cycles,
                )?,
                pricing_id: svc.pricing_id,
                // A per-extension service is priced per extension (the vendor's tutorials).
                price_unit: PriceUnit::parse(svc.price_unit.trim())
                    .or((kind == ServiceKind::PerExtension).then_some(PriceUnit::PerExtension)),
            })
        })
        .collect::<Result<Vec<_>, MappingError>>()?;
    Ok(Catalog {
        product,
        product_name: c.product_name,
        plans,
        services,
    })
}

/// L5 item.
pub fn contact(c: wire::Contact) -> Contact {
    let name = format!("{} {}", c.first_name.trim(), c.last_name.trim())
        .trim()
        .to_owned();
    Contact {
        id: c.billing_contact_id,
        email: c.email_address,
        name: if name.is_empty() {
            c.company.trim().to_owned()
        } else {
            name
        },
    }
}

/// `createTime` in epoch milliseconds. [ASSUMED] The unit is not documented (Yeastar's sibling
/// API uses seconds), so a value below 10^11 is read as seconds: 10^11 ms is 1973, and 10^11 s is
/// the year 5138, so no real time in either unit is misread.
fn epoch_ms(t: i64) -> i64 {
    if t.abs() < 100_000_000_000 {
        t.saturating_mul(1000)
    } else {
        t
    }
}

/// L6 item / L7 `orderInformation`.
pub fn order(o: wire::OrderInfo) -> Order {
    Order {
        id: o.id,
        order_no: o.order_no,
        status: OrderStatus::parse(o.order_status.trim()),
        created_ms: epoch_ms(o.create_time),
        product: ProductId(o.product_id),
        sn: o.product_no,
        operation_type: o.operation_type,
        reference: Some(o.custom_reference_no).filter(|r| !r.trim().is_empty()),
        total_amount: o.total_amount,
        currency: o.currency_code,
    }
}

/// A decimal amount as the vendor writes them: `1180.00`, `0`, `-12.5`.
fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The documented calculator body (L9) for an order body: each line priced by the `pricingId`
/// the catalog gives its plan or service. `Err` says which line has none.
pub fn price_request(
    body: &wire::OrderBody,
    catalog: &Catalog,
) -> Result<wire::PriceRequest, String> {
    let service_list = body
        .service_list
        .iter()
        .map(|l| {
            let pricing = catalog
                .plan(l.service_id)
                .and_then(|p| p.pricing_id)
                .or_else(|| catalog.service(l.service_id).and_then(|s| s.pricing_id));
            let pricing_id = pricing.ok_or_else(|| {
                format!(
                    "the vendor's catalog gives no pricingId for {} {}",
                    l.service_type, l.service_id
                )
            })?;
            Ok(wire::PriceLine {
                service_type: l.service_type.clone(),
                pricing_id,
                billing_cycle: l.billing_cycle.clone().unwrap_or_default(),
                quantity: l.quantity,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(wire::PriceRequest {
        product_id: body.product_id,
        product_no: body.product_no.clone(),
        operation_type: body.operation_type.clone(),
        service_list,
        partner_view: None,
    })
}

/// L9.
pub fn price(q: wire::Quote) -> Result<Quote, MappingError> {
    if !is_decimal(q.total_amount.trim()) {
        return Err(err(
            "price quote",
            None,
            "totalAmount",
            format!("`{}` is not a decimal amount", q.total_amount),
        ));
    }
    Ok(Quote {
        price: Price {
            currency: q.currency_code,
            total: q.total_amount.trim().to_owned(),
        },
        // Items are a help for pricing dependent orders, never needed: one that cannot be
        // read is left out, and what needs it says the price is unknown.
        items: q
            .items
            .into_iter()
            .filter(|i| is_decimal(i.amount.trim()))
            .map(|i| (i.service_id, i.amount.trim().to_owned()))
            .collect(),
    })
}

/// `order/v1/save` result: the order number and status.
pub fn placed(r: wire::OrderResult) -> Result<(String, OrderStatus), MappingError> {
    if r.order_no.trim().is_empty() {
        return Err(err(
            &format!("order for PBX {}", r.product_no),
            Some(&r.product_no)
                .filter(|s| !s.is_empty())
                .map(String::as_str),
            "orderNo",
            "empty; the order was accepted but cannot be identified".to_owned(),
        ));
    }
    Ok((
        r.order_no.trim().to_owned(),
        OrderStatus::parse(r.order_status.trim()),
    ))
}

/// The result of the enable-auto-renewal call: `true` [DOC]; anything else is not a
/// confirmation.
pub fn auto_renew_enabled(result: &serde_json::Value) -> Result<(), String> {
    match result {
        serde_json::Value::Bool(true) => Ok(()),
        other => Err(format!(
            "auto-renewal was not confirmed (result `{other}`, expected `true`)"
        )),
    }
}

/// The body of the enable-auto-renewal call (`productId` travels as a string there).
pub fn enable_auto_renew_body(product: ProductId, sn: &str, id: Id) -> wire::EnableAutoRenew {
    wire::EnableAutoRenew {
        product_no: sn.to_owned(),
        product_id: product.0.to_string(),
        plan_or_service_id: id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(json: serde_json::Value) -> wire::InstanceDetail {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn order_times_in_seconds_or_milliseconds_are_the_same_instant() {
        let at = |t: i64| {
            order(
                serde_json::from_value(serde_json::json!({
                    "id": "3206271046934061056", "orderNo": "UO3206271046934061056",
                    "orderStatus": "settling", "createTime": t}))
                .unwrap(),
            )
        };
        assert_eq!(at(1_795_338_000).created_ms, 1_795_338_000_000);
        assert_eq!(at(1_795_338_000_250).created_ms, 1_795_338_000_250);
        // A status the contract does not list is in flight, never settled.
        assert!(at(0).status.is_in_flight());
    }

    #[test]
    fn instance_detail_with_plan_services_and_pending_switch() {
        let d = detail(serde_json::json!({
            "productNo": "3651D3296882", "productId": 12, "productName": "P-Series Software Edition",
            "activationStatus": "activated", "comment": "Acme HQ",
            "planId": 3049040650094409999u64, "planName": "Ultimate Plan",
            "billingCycle": "annually", "multiCycle": 2, "expireDate": "2027-05-01",
            "extensionCount": 100, "concurrentCallCount": 30,
            "currentPlan": "3049040650094403584", "currentPlanExpireDate": "2027-05-01",
            "serviceList": [{"serviceId": "3115983610256539648", "serviceName": "Hotel PMS Integration",
                             "quantity": 0, "expireDate": ""}]
        }));
        let p = observed_pbx(d, ProductId(12), "3651D3296882").unwrap();
        let plan = p.plan.unwrap();
        assert_eq!(plan.id, Id(3049040650094409999));
        assert_eq!((plan.cycle, plan.multi_cycle), (Cycle::Annually, 2));
        assert_eq!(plan.expires.to_string(), "2027-05-01");
        let sw = p.pending_switch.unwrap();
        assert_eq!(sw.in_force_id, Some(Id(3049040650094403584)));
        assert_eq!(sw.until.unwrap().to_string(), "2027-05-01");
        assert_eq!(p.extensions, 100);
        assert_eq!(p.recording_minutes, 0);
        assert_eq!(p.services[0].id, Id(3115983610256539648));
        assert_eq!(p.services[0].expires, None);
        assert_eq!(p.auto_renew, None);
    }

    #[test]
    fn no_plan_and_named_pending_plan() {
        let d = detail(serde_json::json!({
            "productNo": "369471667338", "productId": 9, "planId": null, "planName": "",
            "billingCycle": "", "expireDate": "", "currentPlan": "Enterprise Plan"
        }));
        let p = observed_pbx(d, ProductId(9), "369471667338").unwrap();
        assert_eq!(p.plan, None);
        let sw = p.pending_switch.unwrap();
        assert_eq!(
            (sw.in_force_id, sw.in_force.as_str()),
            (None, "Enterprise Plan")
        );
    }

    #[test]
    fn unreadable_values_name_field_and_sn() {
        let d = detail(serde_json::json!({
            "productNo": "3631E0997265", "productId": 11, "planId": "3048560232537899008",
            "billingCycle": "weekly", "multiCycle": 0, "expireDate": "2026-12-20"
        }));
        let e = observed_pbx(d, ProductId(11), "3631E0997265").unwrap_err();
        assert_eq!(e.sn.as_deref(), Some("3631E0997265"));
        assert_eq!(
            e.to_string(),
            "PBX 3631E0997265 (appliance): field `billingCycle`: `weekly` is not `monthly` or `annually`"
        );
        let d = detail(serde_json::json!({
            "productNo": "3631E0997265", "productId": 11, "planId": 3048560232537899008u64,
            "billingCycle": "monthly", "expireDate": "2026-12-20",
            "serviceList": [{"serviceId": 1, "expireDate": "2026-02-30"}]
        }));
        let e = observed_pbx(d, ProductId(11), "3631E0997265").unwrap_err();
        assert_eq!(
            e.to_string(),
            "PBX 3631E0997265 (appliance): field `serviceList[0].expireDate`: `2026-02-30` is not a date in the form YYYY-MM-DD"
        );
        let d = detail(serde_json::json!({
            "productNo": "OTHER", "productId": 11
        }));
        assert_eq!(
            observed_pbx(d, ProductId(11), "3631E0997265")
                .unwrap_err()
                .field,
            "productNo"
        );
        let d = detail(serde_json::json!({
            "productNo": "3651D3296882", "productId": 12, "planId": 1, "billingCycle": "annually",
            "expireDate": "2027-01-01"
        }));
        assert_eq!(
            observed_pbx(d, ProductId(12), "3651D3296882")
                .unwrap_err()
                .field,
            "multiCycle"
        );
    }

    #[test]
    fn catalog_kinds_and_cycles() {
        let c: wire::Offering = serde_json::from_value(serde_json::json!({
            "offeringId": "3049000000000000001", "productId": 12, "productName": "PSE",
            "planList": [{"planId": 3049040650094403584u64, "planName": "Enterprise Plan", "tier": 2,
                          "billingCycles": ["annually"]}],
            "serviceList": [{"serviceId": "3049060579827040256", "serviceName": "Extension Expansion",
                             "kind": "extensions", "requiresPlanIds": ["3049040650094403584"],
                             "billingCycles": ["annually", "monthly"]}]
        }))
        .unwrap();
        let cat = catalog(c.clone(), ProductId(12)).unwrap();
        assert_eq!(cat.plans[0].cycles, vec![Cycle::Annually]);
        assert_eq!(cat.services[0].kind, ServiceKind::Extensions);
        assert_eq!(
            cat.services[0].requires_plan_ids,
            vec![Id(3049040650094403584)]
        );
        let mut bad = c;
        bad.service_list[0].kind = "bundle".into();
        let e = catalog(bad, ProductId(12)).unwrap_err();
        assert_eq!(e.field, "serviceList[0].kind");
    }

    #[test]
    fn contacts_orders_prices() {
        let c: wire::Contact = serde_json::from_value(serde_json::json!({
            "billingContactId": "3197218168379846218", "emailAddress": "billing@example.com",
            "firstName": "", "lastName": "", "company": "Example Ltd"
        }))
        .unwrap();
        let c = contact(c);
        assert_eq!(c.id, Id(3197218168379846218));
        assert_eq!(c.name, "Example Ltd");

        let o: wire::OrderInfo = serde_json::from_value(serde_json::json!({
            "id": "3206271046934061056", "orderNo": "UO3206271046934061056", "orderStatus": "pending",
            "createTime": 1763800000000i64, "customReferenceNo": "", "productId": 12,
            "productNo": "3651D3296882", "totalAmount": "1180.00"
        }))
        .unwrap();
        let o = order(o);
        assert_eq!(o.status, OrderStatus::Pending);
        assert_eq!(o.reference, None);
        assert_eq!(o.id, Id(3206271046934061056));

        for ok in ["1180.00", "0", "-3.5"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", "1.", ".5", "1e3", "12,00", "NaN"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn a_minimal_detail_lists_what_it_does_not_say_instead_of_reading_zero() {
        // Only the confirmed fields: activation*, comment, createTime (seconds), currentPlan*.
        let d = detail(serde_json::json!({
            "activationCode": "X", "activationStatus": "activated", "comment": "c",
            "createTime": "1739250000", "currentPlan": "", "currentPlanExpireDate": ""
        }));
        let o = observed_pbx(d, ProductId(12), "3651D3296882").unwrap();
        assert_eq!(
            o.unreported,
            [
                "planId",
                "extensionCount",
                "concurrentCallCount",
                "recordingMinutes",
                "serviceList"
            ]
        );
        // planId null is "no active plan", said.
        let d = detail(serde_json::json!({"planId": null, "extensionCount": 0,
            "concurrentCallCount": 0, "recordingMinutes": 0, "serviceList": []}));
        let o = observed_pbx(d, ProductId(12), "3651D3296882").unwrap();
        assert!(o.unreported.is_empty() && o.plan.is_none());
    }

    #[test]
    fn a_catalog_of_confirmed_fields_is_completed_from_the_table_of_vendor_facts() {
        let c: wire::Offering = serde_json::from_value(serde_json::json!({
            "offeringId": 1, "productId": "12",
            "planList": [
                {"planId": "3049040650094403584", "planName": "Enterprise Plan", "pricingId": 7},
                {"planId": 3049040650094409999u64, "planName": "Ultimate Plan"}],
            "serviceList": [
                {"serviceId": 3049060579827040256u64, "serviceName": "anything", "pricingId": 8},
                {"serviceId": 5, "serviceName": "concurrent call expansion"},
                {"serviceId": 6, "serviceName": "Disaster Recovery"},
                {"serviceId": 7, "serviceName": "Mystery Add-on"},
                {"serviceId": 8, "serviceName": "Hot Standby", "kind": "feature", "requiresPlanIds": [1]}]
        }))
        .unwrap();
        let cat = catalog(c, ProductId(12)).unwrap();
        let tiers: Vec<u32> = cat.plans.iter().map(|p| p.tier).collect();
        assert_eq!(tiers, [2, 3]);
        assert_eq!(cat.plans[0].pricing_id, Some(Id(7)));
        let kinds: Vec<ServiceKind> = cat.services.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            [
                ServiceKind::Extensions, // by the seed's ID, whatever the name
                ServiceKind::ConcurrentCalls,
                ServiceKind::Feature,
                ServiceKind::Unknown,
                ServiceKind::Feature, // the vendor's own kind wins
            ]
        );
        assert_eq!(cat.services[2].requires_plan_ids, [Id(3049040650094409999)]);
        assert_eq!(cat.services[4].requires_plan_ids, [Id(1)]);
        assert_eq!(plan_rank(Id(1), "Linkus Cloud Service Pro"), Some(2));
        assert_eq!(plan_rank(Id(1), "Linkus Cloud Service"), Some(1));
        assert_eq!(plan_rank(Id(1), "Gold"), None);
        // Two words of different ranks: unranked, never a guess.
        assert_eq!(plan_rank(Id(1), "Enterprise Standard"), None);
        assert_eq!(plan_rank(Id(1), "Ultimate Plan (Enterprise)"), None);
        // By a seed's plan ID, whatever the name (or none).
        assert_eq!(plan_rank(Id(3_048_560_606_464_323_584), ""), Some(3));
        assert_eq!(plan_rank(Id(3_048_571_730_026_938_368), "Plan B"), Some(2));
    }

    #[test]
    fn what_the_vendor_says_wins_over_the_table() {
        let c: wire::Offering = serde_json::from_value(serde_json::json!({
            "planList": [
                {"planId": "3049040650094403584", "planName": "Enterprise Plan", "tier": 9},
                {"planId": 2, "planName": "Ultimate Plan", "tier": 1}],
            "serviceList": [
                // The table says extensions; the vendor says feature.
                {"serviceId": 3049060579827040256u64, "serviceName": "Extension Expansion", "kind": "feature"},
                // The table says Ultimate only; an empty list does not lift it.
                {"serviceId": 6, "serviceName": "Disaster Recovery", "requiresPlanIds": []},
                // The vendor names the plan; the table would say Ultimate.
                {"serviceId": 7, "serviceName": "Disaster Recovery", "requiresPlanIds": ["3049040650094403584"]}]
        }))
        .unwrap();
        let cat = catalog(c, ProductId(12)).unwrap();
        assert_eq!(cat.plans.iter().map(|p| p.tier).collect::<Vec<_>>(), [9, 1]);
        assert_eq!(cat.services[0].kind, ServiceKind::Feature);
        assert_eq!(cat.services[1].requires_plan_ids, [Id(2)]);
        assert_eq!(cat.services[1].requires_missing_plan, None);
        assert_eq!(cat.services[2].requires_plan_ids, [Id(3049040650094403584)]);
    }

    #[test]
    fn a_catalog_without_names_or_the_plan_a_service_needs_is_never_guessed() {
        let c: wire::Offering = serde_json::from_value(serde_json::json!({
            "planList": [{"planId": "3048560606464323584"}, {"planId": 77}],
            "serviceList": [
                {"serviceId": "3115983610256539648"},
                {"serviceId": 6, "serviceName": "Disaster Recovery"}]
        }))
        .unwrap();
        let cat = catalog(c, ProductId(12)).unwrap();
        // Names are not confirmed fields: absent, the seeds' IDs still rank and name them.
        assert_eq!(cat.plans[0].tier, 3);
        assert_eq!(
            cat.plans[1].tier, 0,
            "unranked: a switch needing it is refused"
        );
        assert_eq!(cat.services[0].name, "Hotel PMS Integration");
        assert_eq!(cat.services[0].kind, ServiceKind::Feature);
        // Disaster Recovery needs Ultimate: found by the seed's ID, though unnamed.
        assert_eq!(cat.services[1].requires_plan_ids, [Id(3048560606464323584)]);

        // A catalog without Ultimate: Disaster Recovery cannot be bought under any plan.
        let c: wire::Offering = serde_json::from_value(serde_json::json!({
            "planList": [{"planId": 77, "planName": "Enterprise Plan"}],
            "serviceList": [{"serviceId": 6, "serviceName": "Disaster Recovery"}]
        }))
        .unwrap();
        let cat = catalog(c, ProductId(12)).unwrap();
        assert!(cat.services[0].requires_plan_ids.is_empty());
        assert_eq!(
            cat.services[0].requires_missing_plan.as_deref(),
            Some("ultimate")
        );
    }
}
