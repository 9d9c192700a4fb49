//! The account rendered as the contract's response types (`crate::wire`): instances, details,
//! catalogs, contacts, orders, pages.

use serde::Serialize;
use serde_json::{Value, json};

use crate::wire::{self, Id};

use super::catalog::{Product, ProductCatalog};
use super::envelope::{ErrorReply, Form};
use super::variant::Variant;
use super::world::{ContactRecord, OrderRecord, Subscription};

pub(super) fn product_list(catalog: &ProductCatalog) -> Vec<wire::Product> {
    catalog
        .products
        .iter()
        .map(|p| wire::Product {
            product_id: p.id,
            name: p.name.to_owned(),
        })
        .collect()
}

pub(super) fn instance(sub: &Subscription, product: &Product, variant: &Variant) -> wire::Instance {
    wire::Instance {
        product_no: sub.sn.clone(),
        product_id: sub.product_id,
        product_name: product.name.to_owned(),
        activation_code: sub.activation_code.clone(),
        activation_status: sub.activation_status.clone(),
        comment: sub.comment.clone(),
        create_time: variant.wire_time(sub.create_time),
    }
}

fn plan_name(product: &Product, id: Id) -> String {
    product
        .plan(id)
        .map_or_else(String::new, |p| p.name.to_owned())
}

/// L3: while a switch is pending, `planId`/`planName`/`billingCycle`/`multiCycle` describe the
/// plan switched TO and `currentPlan` (the ID in decimal) the one in force until
/// `currentPlanExpireDate`.
pub(super) fn detail(
    sub: &Subscription,
    product: &Product,
    variant: &Variant,
) -> wire::InstanceDetail {
    let base = instance(sub, product, variant);
    let mut d = wire::InstanceDetail {
        product_no: base.product_no,
        product_id: base.product_id,
        product_name: base.product_name,
        activation_code: base.activation_code,
        activation_status: base.activation_status,
        comment: base.comment,
        create_time: base.create_time,
        // null: no active plan (absent would be "not said").
        plan_id: Some(None),
        ..Default::default()
    };
    if let Some(term) = &sub.plan {
        let (id, cycle, multi) = match &sub.pending {
            Some(p) => (p.plan_id, p.cycle, p.multi_cycle),
            None => (term.plan_id, term.cycle, term.multi_cycle),
        };
        d.plan_id = Some(Some(id));
        d.plan_name = plan_name(product, id);
        d.billing_cycle = cycle.as_str().to_owned();
        d.multi_cycle = Some(multi);
        d.expire_date = term.expire.to_string();
        if let Some(p) = &sub.pending {
            d.current_plan = term.plan_id.to_string();
            d.current_plan_expire_date = p.in_force_until.to_string();
        }
    }
    if product.counts_extensions() {
        d.extension_count = Some(sub.extensions);
        d.concurrent_call_count = Some(sub.concurrent_calls);
        d.recording_minutes = Some(sub.recording_minutes);
    }
    d.service_list = Some(
        sub.services
            .iter()
            .map(|s| wire::SubscribedService {
                service_id: s.service_id,
                service_name: product
                    .service(s.service_id)
                    .map_or_else(String::new, |svc| svc.name.to_owned()),
                quantity: s.quantity,
                expire_date: s.expire.to_string(),
            })
            .collect(),
    );
    d
}

/// L4. Pricing IDs are the plan or service ID plus one. A minimal catalog has only the fields
/// the vendor confirms.
pub(super) fn catalog(product: &Product, minimal: bool) -> wire::Offering {
    let full = catalog_in_full(product);
    if !minimal {
        return full;
    }
    wire::Offering {
        plan_list: full
            .plan_list
            .into_iter()
            .map(|p| wire::CatalogPlan {
                tier: 0,
                billing_cycles: Vec::new(),
                price_unit: String::new(),
                ..p
            })
            .collect(),
        service_list: full
            .service_list
            .into_iter()
            .map(|s| wire::CatalogService {
                kind: String::new(),
                requires_plan_ids: None,
                billing_cycles: Vec::new(),
                price_unit: String::new(),
                ..s
            })
            .collect(),
        ..full
    }
}

fn catalog_in_full(product: &Product) -> wire::Offering {
    let cycles =
        |cs: &[super::vocab::BillingCycle]| cs.iter().map(|c| c.as_str().to_owned()).collect();
    wire::Offering {
        offering_id: product.offering_id.to_string(),
        product_id: product.id,
        product_name: product.name.to_owned(),
        plan_list: product
            .plans
            .iter()
            .map(|p| wire::CatalogPlan {
                plan_id: p.id,
                plan_name: p.name.to_owned(),
                pricing_id: Some(Id(p.id.0 + 1)),
                tier: p.tier,
                billing_cycles: cycles(p.cycles),
                purchase_type: "purchase".to_owned(),
                price_unit: p.price.unit.as_str().to_owned(),
            })
            .collect(),
        service_list: product
            .services
            .iter()
            .map(|s| wire::CatalogService {
                service_id: s.id,
                service_name: s.name.to_owned(),
                pricing_id: Some(Id(s.id.0 + 1)),
                kind: s.kind.as_str().to_owned(),
                requires_plan_ids: Some(s.requires_plan_ids.clone()),
                billing_cycles: cycles(s.cycles),
                purchase_type: "purchase".to_owned(),
                price_unit: s.price.unit.as_str().to_owned(),
            })
            .collect(),
    }
}

pub(super) fn contact(c: &ContactRecord) -> wire::Contact {
    wire::Contact {
        billing_contact_id: c.id,
        email_address: c.email.clone(),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        company: c.company.clone(),
        country: c.country.clone(),
        phone_number: c.phone.clone(),
        street: c.street.clone(),
        city: c.city.clone(),
        zip_code: c.zip_code.clone(),
        ..Default::default()
    }
}

/// L6's view of an order, as this vendor variant writes it.
pub(super) fn order_info(o: &OrderRecord, variant: &Variant) -> wire::OrderInfo {
    wire::OrderInfo {
        id: o.id,
        order_no: o.order_no.clone(),
        order_status: o.status.clone(),
        create_time: variant.wire_time(o.create_time),
        currency_code: o.currency_code.clone(),
        custom_reference_no: reference(o, variant),
        invoice_no: if o.status == "succeed" {
            format!("INV-{:06}", o.id.0 % 1_000_000)
        } else {
            String::new()
        },
        product_id: o.product_id,
        product_no: o.product_no.clone(),
        operation_type: o.operation_type.clone(),
        total_amount: o.total_amount.clone(),
    }
}

/// `customReferenceNo`: the `poNumber`, when this vendor echoes it.
fn reference(o: &OrderRecord, variant: &Variant) -> String {
    if variant.echo_reference {
        o.po_number.clone().unwrap_or_default()
    } else {
        String::new()
    }
}

/// L7.
pub(super) fn order_detail(o: &OrderRecord, variant: &Variant) -> Value {
    json!({
        "basicInformation": {
            // A string here, as documented (vendor-api section 8); a number in the list.
            "productId": o.product_id.to_string(),
            "orderNo": o.order_no,
            "orderStatus": o.status,
            "createTime": variant.wire_time(o.create_time),
            "operationType": o.operation_type,
            "customReferenceNo": reference(o, variant),
            "billingContactId": o.billing_id.to_string(),
            "transactionNo": o.transaction_no,
        },
        "orderInformation": order_info(o, variant),
        "serviceList": o.body.get("serviceList").cloned().unwrap_or(Value::Null),
    })
}

/// The `pageNo` / `pageSize` of a paged request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Paging {
    pub page_no: u64,
    pub page_size: u64,
}

impl Paging {
    /// The paging asked for, with pages of at most `cap` items (0: no cap below the maximum).
    pub(super) fn from_query(q: &Form, cap: u64) -> Result<Paging, ErrorReply> {
        let page_no = q.number("pageNo")?.unwrap_or(1);
        if page_no == 0 {
            return Err(ErrorReply::param("pageNo", "starts at 1"));
        }
        let page_size = q.number("pageSize")?.unwrap_or(25);
        let max = u64::from(wire::paths::MAX_PAGE_SIZE);
        if page_size == 0 || page_size > max {
            return Err(ErrorReply::param(
                "pageSize",
                format!("must be between 1 and {max} (got {page_size})"),
            ));
        }
        let page_size = if cap > 0 {
            page_size.min(cap)
        } else {
            page_size
        };
        Ok(Paging { page_no, page_size })
    }

    /// The page of `items` (an exact-size iterator over everything that matches).
    pub(super) fn page<T: Serialize>(
        self,
        items: impl ExactSizeIterator<Item = T>,
    ) -> wire::Page<T> {
        let total = items.len() as u64;
        let skip = (self.page_no - 1).saturating_mul(self.page_size);
        let results: Vec<T> = items
            .skip(usize::try_from(skip).unwrap_or(usize::MAX))
            .take(self.page_size as usize)
            .collect();
        wire::Page {
            count: results.len() as u64,
            page_no: self.page_no,
            page_size: self.page_size,
            results,
            total,
            total_page: total.div_ceil(self.page_size),
        }
    }
}
