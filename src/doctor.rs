//! `entitle doctor`: a read-only check of a real account against every assumption of
//! `shared/partner-api.md`. It never sends an order or turns auto-renewal on; it calls the
//! calculator (which changes nothing) only when asked. Each assumption comes back confirmed,
//! contradicted or unseen, with the evidence; every field the vendor sent that entitle ignores,
//! and every field entitle expects that did not come, is listed; the raw answers can be saved,
//! redacted, to become test fixtures.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::api::mapping;
use crate::api::{ApiError, Client, Request};
use crate::model::{Catalog, ObservedPbx, OrderStatus, ProductId};
use crate::wire::{self, paths};

/// Whether an assumption held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Confirmed,
    Contradicted,
    Unseen,
}

/// One assumption and what the account showed.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub topic: &'static str,
    pub assumption: String,
    pub status: Status,
    pub evidence: String,
    /// entitle cannot work with the account while this holds.
    pub blocks: bool,
}

/// What the doctor found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub findings: Vec<Finding>,
    /// Per answer kind: fields the vendor sent that entitle does not read.
    pub ignored: BTreeMap<&'static str, BTreeSet<String>>,
    /// Per answer kind: fields entitle expects that the vendor did not send.
    pub missing: BTreeMap<&'static str, BTreeSet<String>>,
    /// Raw answers, redacted: `(file name, JSON)`.
    pub samples: Vec<(String, Value)>,
}

impl Report {
    pub(crate) fn blockers(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocks)
    }

    fn note(
        &mut self,
        topic: &'static str,
        assumption: impl Into<String>,
        status: Status,
        evidence: impl Into<String>,
    ) {
        self.findings.push(Finding {
            topic,
            assumption: assumption.into(),
            status,
            evidence: evidence.into(),
            blocks: false,
        });
    }

    fn block(
        &mut self,
        topic: &'static str,
        assumption: impl Into<String>,
        evidence: impl Into<String>,
    ) {
        self.findings.push(Finding {
            topic,
            assumption: assumption.into(),
            status: Status::Contradicted,
            evidence: evidence.into(),
            blocks: true,
        });
    }

    fn sample(&mut self, name: String, v: &Value) {
        self.samples.push((name, redact(v.clone())));
    }

    /// Compares an object's keys with the fields entitle knows for `kind`.
    fn fields(&mut self, kind: &'static str, expected: &[&str], v: &Value) {
        let Some(o) = v.as_object() else { return };
        for k in o.keys().filter(|k| !expected.contains(&k.as_str())) {
            self.ignored.entry(kind).or_default().insert(k.clone());
        }
        for k in expected.iter().filter(|k| !o.contains_key(**k)) {
            self.missing
                .entry(kind)
                .or_default()
                .insert((*k).to_owned());
        }
    }
}

/// The fields of each answer as `partner-api.md` describes them.
const INSTANCE: &[&str] = &[
    "productNo",
    "productId",
    "productName",
    "activationCode",
    "activationStatus",
    "comment",
    "createTime",
];
const DETAIL: &[&str] = &[
    "productNo",
    "productId",
    "productName",
    "activationCode",
    "activationStatus",
    "comment",
    "createTime",
    "planId",
    "planName",
    "billingCycle",
    "multiCycle",
    "expireDate",
    "extensionCount",
    "concurrentCallCount",
    "recordingMinutes",
    "currentPlan",
    "currentPlanExpireDate",
    "serviceList",
];
const CATALOG: &[&str] = &[
    "offeringId",
    "productId",
    "productName",
    "planList",
    "serviceList",
];
const CATALOG_PLAN: &[&str] = &[
    "planId",
    "planName",
    "pricingId",
    "tier",
    "billingCycles",
    "purchaseType",
];
const CATALOG_SERVICE: &[&str] = &[
    "serviceId",
    "serviceName",
    "pricingId",
    "kind",
    "requiresPlanIds",
    "billingCycles",
    "purchaseType",
];
const CONTACT: &[&str] = &[
    "billingContactId",
    "emailAddress",
    "firstName",
    "lastName",
    "company",
    "phoneNumber",
    "country",
    "stateProvince",
    "city",
    "street",
    "zipCode",
    "taxNum",
    "remark",
];
const ORDER: &[&str] = &[
    "id",
    "orderNo",
    "orderStatus",
    "createTime",
    "currencyCode",
    "customReferenceNo",
    "invoiceNo",
    "productId",
    "productNo",
    "operationType",
    "totalAmount",
];
const PAGE: &[&str] = &[
    "count",
    "pageNo",
    "pageSize",
    "results",
    "total",
    "totalPage",
];

/// What to check.
#[derive(Debug, Clone, Default)]
pub(crate) struct DoctorRequest {
    /// PBXs to read (from the manifests or `--sn`); empty: a sample per product.
    pub targets: Vec<(ProductId, String)>,
    /// Call the calculator (L9) once.
    pub price: bool,
    /// poNumbers this workspace's journal holds as placed, to see whether they are echoed.
    pub placed: Vec<String>,
}

/// A GET's raw `result`, or the error.
async fn get(
    client: &Client,
    path: &str,
    query: Vec<(&'static str, String)>,
) -> Result<Value, ApiError> {
    client
        .call_raw(&Request::get(path, query))
        .await
        .map(|a| a.result)
}

/// A read entitle cannot work without: its answer, kept as the sample `name`; when it fails,
/// a finding that blocks (`topic`: `what` reads) and `None`.
async fn fetch(
    client: &Client,
    r: &mut Report,
    (topic, what): (&'static str, String),
    (path, query): (&str, Vec<(&'static str, String)>),
    name: String,
) -> Option<Value> {
    match get(client, path, query).await {
        Ok(v) => {
            r.sample(name, &v);
            Some(v)
        }
        Err(e) => {
            r.block(topic, what, e.to_string());
            None
        }
    }
}

/// Runs every check. Reads only (and one calculation when asked).
pub(crate) async fn run(client: &Client, req: &DoctorRequest) -> Report {
    let mut r = Report::default();
    token(client, &mut r).await;
    let Some(products) = product_list(client, &mut r).await else {
        return r;
    };
    let mut targets = req.targets.clone();
    if targets.is_empty() {
        for p in &products {
            if let Some(sn) = sample_pbx(client, *p, &mut r).await {
                targets.push((*p, sn));
            }
        }
    } else if let Some((p, _)) = targets.first() {
        sample_pbx(client, *p, &mut r).await;
    }
    let mut priced = !req.price;
    let mut seen_catalogs = BTreeSet::new();
    for (product, sn) in &targets {
        let observed = detail(client, *product, sn, &mut r).await;
        let catalog = if seen_catalogs.insert(*product) {
            catalog(client, *product, sn, &mut r).await
        } else {
            None
        };
        if !priced && let (Some(o), Some(c)) = (&observed, &catalog) {
            priced = price(client, o, c, &mut r).await;
        }
    }
    if !priced {
        r.note(
            "pricing",
            "the calculator takes the documented body (lines by pricingId)",
            Status::Unseen,
            "no PBX with a plan and a catalog to price a renewal of",
        );
    }
    if let Some((product, sn)) = targets.first() {
        auto_renew(client, *product, sn, &mut r).await;
    }
    contacts(client, &mut r).await;
    orders(client, req, &mut r).await;
    error_shapes(client, &mut r).await;
    r
}

async fn token(client: &Client, r: &mut Report) {
    match client.probe_token().await {
        Ok(t) => {
            r.sample("token.json".into(), &t.sample);
            r.note(
                "token",
                "`expiresIn` is a string of seconds",
                if t.expires_in_is_string_seconds {
                    Status::Confirmed
                } else {
                    Status::Contradicted
                },
                format!("expiresIn came as {}", t.expires_in),
            );
            match t.refresh {
                None => r.note("token", "a refresh token comes with the access token", Status::Contradicted, "no refreshToken: entitle asks for a new token with the credentials when one expires"),
                Some(Ok(rotated)) => {
                    r.note("token", "the refresh token renews the access token", Status::Confirmed, "grant_type=refresh_token answered with a new token");
                    r.note(
                        "token",
                        "whether the refresh token rotates (unknown; entitle keeps the latest)",
                        Status::Confirmed,
                        if rotated { "it rotates: each renewal returns a new refresh token" } else { "it does not rotate" },
                    );
                }
                Some(Err(e)) => r.note("token", "the refresh token renews the access token", Status::Contradicted, format!("the renewal failed ({e}): entitle falls back to the credentials")),
            }
        }
        Err(e) => r.block(
            "token",
            "the credentials obtain an access token",
            e.to_string(),
        ),
    }
}

async fn product_list(client: &Client, r: &mut Report) -> Option<Vec<ProductId>> {
    let what = ("L1 products", "the product list reads".to_owned());
    let v = fetch(
        client,
        r,
        what.clone(),
        (paths::PRODUCT_LIST, Vec::new()),
        "L1-product_list.json".into(),
    )
    .await?;
    match serde_json::from_value::<Vec<wire::Product>>(v) {
        Ok(ps) => {
            let ids: Vec<ProductId> = ps.iter().map(|p| ProductId(p.product_id)).collect();
            r.note(
                what.0,
                what.1,
                Status::Confirmed,
                format!(
                    "products {}",
                    ids.iter()
                        .map(|p| p.0.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            Some(ids)
        }
        Err(e) => {
            r.block(what.0, what.1, e.to_string());
            None
        }
    }
}

/// Reads the first page of a product's PBXs (checking the page size) and returns one SN.
async fn sample_pbx(client: &Client, product: ProductId, r: &mut Report) -> Option<String> {
    let query = vec![
        ("productId", product.0.to_string()),
        ("pageNo", "1".to_owned()),
        ("pageSize", paths::MAX_PAGE_SIZE.to_string()),
    ];
    let v = fetch(
        client,
        r,
        (
            "L2 instances",
            format!("the PBX list of product {} reads", product.0),
        ),
        (paths::INSTANCE_LIST, query),
        format!("L2-instance_list-{}.json", product.0),
    )
    .await?;
    r.fields("page", PAGE, &v);
    let page: wire::Page<Value> = serde_json::from_value(v).unwrap_or(wire::Page {
        count: 0,
        page_no: 0,
        page_size: 0,
        results: Vec::new(),
        total: 0,
        total_page: 0,
    });
    let asked = u64::from(paths::MAX_PAGE_SIZE);
    let got = page.results.len() as u64;
    if page.page_size > 0 && page.page_size < asked || (got < asked && page.total_page > 1) {
        r.note(
            "paging",
            format!("a page holds the {asked} items asked for"),
            Status::Contradicted,
            format!(
                "product {}: {got} items on page 1 of {} (pageSize {}); entitle follows totalPage",
                product.0, page.total_page, page.page_size
            ),
        );
    } else if got == asked {
        r.note(
            "paging",
            format!("a page holds the {asked} items asked for"),
            Status::Confirmed,
            format!("product {}: {got} items on page 1", product.0),
        );
    }
    if let Some(first) = page.results.first() {
        r.fields("instance", INSTANCE, first);
    }
    page.results
        .first()
        .and_then(|i| i.get("productNo"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn detail(
    client: &Client,
    product: ProductId,
    sn: &str,
    r: &mut Report,
) -> Option<ObservedPbx> {
    let query = vec![
        ("productId", product.0.to_string()),
        ("productNo", sn.to_owned()),
    ];
    let v = fetch(
        client,
        r,
        ("L3 detail", format!("the detail of {sn} reads")),
        (paths::INSTANCE_DETAIL, query),
        format!("L3-detail-{}-{sn}.json", product.0),
    )
    .await?;
    r.fields("detail", DETAIL, &v);
    let parsed = serde_json::from_value::<wire::InstanceDetail>(v)
        .map_err(|e| e.to_string())
        .and_then(|d| mapping::observed_pbx(d, product, sn).map_err(|e| e.to_string()));
    match parsed {
        Ok(o) => {
            // Capacity counts matter only for products that have capacity.
            let counted = matches!(product, ProductId::SOFTWARE_EDITION | ProductId::CLOUD_PBX);
            let unreported: Vec<&String> = o
                .unreported
                .iter()
                .filter(|f| {
                    counted
                        || !matches!(
                            f.as_str(),
                            "extensionCount" | "concurrentCallCount" | "recordingMinutes"
                        )
                })
                .collect();
            if unreported.is_empty() {
                r.note("L3 detail", format!("the detail of {sn} carries the subscription state (plan, capacity, services)"), Status::Confirmed, "every field entitle plans on is present");
            } else {
                r.note("L3 detail", format!("the detail of {sn} carries the subscription state (plan, capacity, services)"), Status::Contradicted, format!("not carried: {}; what depends on them is refused for the PBX, never guessed", unreported.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
            }
            Some(o)
        }
        Err(e) => {
            r.block("L3 detail", format!("the detail of {sn} maps"), e);
            None
        }
    }
}

async fn catalog(client: &Client, product: ProductId, sn: &str, r: &mut Report) -> Option<Catalog> {
    let query = vec![
        ("productId", product.0.to_string()),
        ("productNo", sn.to_owned()),
    ];
    let v = fetch(
        client,
        r,
        (
            "L4 catalog",
            format!("the catalog of product {} reads", product.0),
        ),
        (paths::CATALOG, query),
        format!("L4-catalog-{}.json", product.0),
    )
    .await?;
    r.fields("catalog", CATALOG, &v);
    let lacking = |list: &str, key: &str| {
        v.get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|x| x.get(key).is_none_or(Value::is_null))
            .count()
    };
    let (untiered, unkinded) = (lacking("planList", "tier"), lacking("serviceList", "kind"));
    for p in v
        .get("planList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        r.fields("catalog plan", CATALOG_PLAN, p);
    }
    for s in v
        .get("serviceList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        r.fields("catalog service", CATALOG_SERVICE, s);
    }
    let parsed = serde_json::from_value::<wire::Catalog>(v)
        .map_err(|e| e.to_string())
        .and_then(|c| mapping::catalog(c, product).map_err(|e| e.to_string()));
    match parsed {
        Ok(c) => {
            let unknown: Vec<&str> = c
                .services
                .iter()
                .filter(|s| s.kind == crate::model::ServiceKind::Unknown)
                .map(|s| s.name.as_str())
                .collect();
            let unranked: Vec<&str> = c
                .plans
                .iter()
                .filter(|p| p.tier == 0)
                .map(|p| p.name.as_str())
                .collect();
            let unpriced = c.plans.iter().filter(|p| p.pricing_id.is_none()).count()
                + c.services.iter().filter(|s| s.pricing_id.is_none()).count();
            let said = |n: usize| {
                if n == 0 {
                    Status::Confirmed
                } else {
                    Status::Contradicted
                }
            };
            r.note(
                "L4 catalog",
                format!("product {}: services say what they are (`kind`)", product.0),
                said(unkinded),
                if unknown.is_empty() {
                    "every service's kind is known (said, or from the table of vendor facts)"
                        .to_owned()
                } else {
                    format!(
                        "unknown, so refused when a manifest asks for them: {}",
                        unknown.join(", ")
                    )
                },
            );
            r.note(
                "L4 catalog",
                format!("product {}: plans rank (`tier`)", product.0),
                said(untiered),
                if unranked.is_empty() {
                    "every plan ranks (said, or from its name)".to_owned()
                } else {
                    format!(
                        "unranked, so switches to or from them are refused: {}",
                        unranked.join(", ")
                    )
                },
            );
            r.note(
                "L4 catalog",
                format!(
                    "product {}: every plan and service has a pricingId",
                    product.0
                ),
                if unpriced == 0 {
                    Status::Confirmed
                } else {
                    Status::Contradicted
                },
                if unpriced == 0 {
                    "yes".to_owned()
                } else {
                    format!("{unpriced} without: their orders show \"price unknown\"")
                },
            );
            Some(c)
        }
        Err(e) => {
            r.block(
                "L4 catalog",
                format!("the catalog of product {} maps", product.0),
                e,
            );
            None
        }
    }
}

/// Prices a renewal of `o`'s plan with the documented body. Returns whether it could try.
async fn price(client: &Client, o: &ObservedPbx, c: &Catalog, r: &mut Report) -> bool {
    let Some(plan) = &o.plan else { return false };
    let Some(pricing_id) = c.plan(plan.id).and_then(|p| p.pricing_id) else {
        return false;
    };
    // A renewal names every subscribed service (rule 5).
    let mut service_list = vec![wire::PriceLine {
        service_type: "plan".into(),
        pricing_id,
        billing_cycle: plan.cycle.as_str().into(),
        quantity: (o.extensions > 0).then_some(o.extensions),
    }];
    for s in &o.services {
        let Some(pricing_id) = c.service(s.id).and_then(|x| x.pricing_id) else {
            return false;
        };
        service_list.push(wire::PriceLine {
            service_type: "service".into(),
            pricing_id,
            billing_cycle: plan.cycle.as_str().into(),
            quantity: None,
        });
    }
    let body = wire::PriceRequest {
        product_id: o.product.0,
        product_no: o.sn.clone(),
        operation_type: "renew_plan".into(),
        service_list,
        partner_view: None,
    };
    let assumption = "the calculator takes the documented body (lines by pricingId)";
    match client.price(&body).await {
        Ok(p) => r.note(
            "pricing",
            assumption,
            Status::Confirmed,
            format!(
                "a renewal of {} on {} priced {} {}",
                plan.name, o.sn, p.currency, p.total
            ),
        ),
        // A business rule refused the price: the body itself was understood.
        Err(e) if e.code() == Some(wire::codes::BUSINESS_RULE_VIOLATION) => r.note(
            "pricing",
            assumption,
            Status::Confirmed,
            format!("the body was understood; this renewal was refused by a rule: {e}"),
        ),
        Err(e) => r.note(
            "pricing",
            assumption,
            Status::Contradicted,
            format!("{e}; plans will show \"price unknown\""),
        ),
    }
    true
}

async fn auto_renew(client: &Client, product: ProductId, sn: &str, r: &mut Report) {
    let query = vec![
        ("productNo", sn.to_owned()),
        ("productId", product.0.to_string()),
    ];
    match get(client, paths::AUTO_RENEW_STATUS, query).await {
        Ok(v) => {
            r.sample(format!("L8-auto_renew-{sn}.json"), &v);
            let ok = v.get("autoRenew").is_some_and(Value::is_boolean);
            r.note(
                "L8 auto-renew",
                "the auto-renew status is {\"autoRenew\": bool}",
                if ok {
                    Status::Confirmed
                } else {
                    Status::Contradicted
                },
                v.to_string(),
            );
        }
        Err(e) => r.note(
            "L8 auto-renew",
            "the auto-renew status reads",
            Status::Contradicted,
            format!("{e}; manifests with autoRenew cannot be planned"),
        ),
    }
}

async fn contacts(client: &Client, r: &mut Report) {
    let Some(v) = fetch(
        client,
        r,
        ("L5 contacts", "billing contacts read".to_owned()),
        (paths::BILLING_CONTACTS, Vec::new()),
        "L5-billing_contacts.json".into(),
    )
    .await
    else {
        return;
    };
    if let Some(first) = v.as_array().and_then(|a| a.first()) {
        r.fields("contact", CONTACT, first);
    }
    match serde_json::from_value::<Vec<wire::Contact>>(v) {
        Ok(list) => r.note(
            "L5 contacts",
            "billing contacts read, IDs exact",
            Status::Confirmed,
            crate::words::plural(list.len(), "contact", "contacts"),
        ),
        Err(e) => r.block("L5 contacts", "billing contacts read", e.to_string()),
    }
}

async fn orders(client: &Client, req: &DoctorRequest, r: &mut Report) {
    let query = vec![
        ("pageNo", "1".to_owned()),
        ("pageSize", paths::MAX_PAGE_SIZE.to_string()),
        ("sort", "-createTime".to_owned()),
    ];
    let Some(v) = fetch(
        client,
        r,
        ("L6 orders", "the order list reads".to_owned()),
        (paths::ORDER_PAGE, query),
        "L6-order_page.json".into(),
    )
    .await
    else {
        return;
    };
    let page: wire::Page<Value> = match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => {
            r.block("L6 orders", "the order list reads", e.to_string());
            return;
        }
    };
    if let Some(first) = page.results.first() {
        r.fields("order", ORDER, first);
    }
    let mut list = Vec::new();
    for o in &page.results {
        match serde_json::from_value::<wire::OrderInfo>(o.clone()) {
            Ok(info) => list.push((info.create_time, mapping::order(info))),
            Err(e) => {
                r.block("L6 orders", "every order of the list reads", e.to_string());
                return;
            }
        }
    }
    if list.len() < 2 {
        r.note(
            "L6 orders",
            "`sort=-createTime` lists newest first",
            Status::Unseen,
            "fewer than two orders",
        );
    } else {
        let sorted = list
            .windows(2)
            .all(|w| w[0].1.created_ms >= w[1].1.created_ms);
        r.note(
            "L6 orders",
            "`sort=-createTime` lists newest first",
            if sorted {
                Status::Confirmed
            } else {
                Status::Contradicted
            },
            if sorted {
                "the first page is newest first".to_owned()
            } else if list
                .windows(2)
                .all(|w| w[0].1.created_ms <= w[1].1.created_ms)
            {
                "the list ignores sort, oldest first: entitle reads from its last page back to the window".to_owned()
            } else {
                "the list ignores sort, in no order: entitle reads every page to find recent orders".to_owned()
            },
        );
    }
    match list.first() {
        None => r.note(
            "L6 orders",
            "`createTime` is in milliseconds",
            Status::Unseen,
            "no order",
        ),
        Some(_) => {
            let seconds = list.iter().all(|(raw, _)| *raw < 100_000_000_000);
            r.note(
                "L6 orders",
                "`createTime` is in milliseconds",
                if seconds {
                    Status::Contradicted
                } else {
                    Status::Confirmed
                },
                if seconds {
                    "epoch seconds: entitle reads them as such"
                } else {
                    "epoch milliseconds"
                },
            );
        }
    }
    let statuses: BTreeSet<String> = list.iter().map(|(_, o)| o.status.to_string()).collect();
    let unknown: Vec<&String> = statuses
        .iter()
        .filter(|s| matches!(OrderStatus::parse(s), OrderStatus::Other(_)))
        .collect();
    r.note("L6 orders", "order statuses are among succeed, pending, failed, invalid, cancelled, refunded, confirming",
        if list.is_empty() { Status::Unseen } else if unknown.is_empty() { Status::Confirmed } else { Status::Contradicted },
        if unknown.is_empty() { format!("seen: {}", statuses.iter().cloned().collect::<Vec<_>>().join(", ")) }
        else { format!("not in the list, so counted as in flight: {}", unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) });
    let echoed = req
        .placed
        .iter()
        .filter(|po| {
            list.iter()
                .any(|(_, o)| o.reference.as_deref() == Some(po.as_str()))
        })
        .count();
    let assumption = "`customReferenceNo` echoes the poNumber";
    if req.placed.is_empty() || list.is_empty() {
        r.note(
            "L6 orders",
            assumption,
            Status::Unseen,
            "no order of this workspace's journal to look for",
        );
    } else if echoed > 0 {
        r.note(
            "L6 orders",
            assumption,
            Status::Confirmed,
            format!("{echoed} of this workspace's orders found by poNumber"),
        );
    } else {
        r.note("L6 orders", assumption, Status::Contradicted, "none of this workspace's poNumbers is echoed: orders of unknown outcome are found by PBX, operation and time instead");
    }
}

async fn error_shapes(client: &Client, r: &mut Report) {
    match client
        .call_with_bad_token(&Request::get(paths::PRODUCT_LIST, Vec::new()))
        .await
    {
        Err(e) if e.is_token_refused() => r.note(
            "errors",
            "a bad token is refused with 401 token_invalid or token_expired",
            Status::Confirmed,
            e.code().unwrap_or_default().to_owned(),
        ),
        Err(e) => r.note(
            "errors",
            "a bad token is refused with 401 token_invalid or token_expired",
            Status::Contradicted,
            format!("{e}; entitle renews its token only on those codes"),
        ),
        Ok(_) => r.note(
            "errors",
            "a bad token is refused",
            Status::Contradicted,
            "a made-up token was accepted",
        ),
    }
    let query = vec![
        ("productId", "12".to_owned()),
        ("productNo", "ENTITLEDOCTOR0".to_owned()),
    ];
    match get(client, paths::INSTANCE_DETAIL, query).await {
        Err(e) if e.is_not_found() => r.note(
            "errors",
            "an unknown SN is 404 not_found",
            Status::Confirmed,
            "not_found",
        ),
        Err(e) => r.note(
            "errors",
            "an unknown SN is 404 not_found",
            Status::Contradicted,
            format!("{e}; a mistyped SN then reads as a failure, not as \"not in the account\""),
        ),
        Ok(_) => r.note(
            "errors",
            "an unknown SN is 404 not_found",
            Status::Contradicted,
            "a made-up SN answered",
        ),
    }
}

/// Keys whose values are personal or secret.
const REDACTED_KEYS: &[&str] = &[
    "token",
    "refreshtoken",
    "accesstoken",
    "secret",
    "clientsecret",
    "emailaddress",
    "email",
    "firstname",
    "lastname",
    "phonenumber",
    "phone",
    "street",
    "city",
    "zipcode",
    "taxnum",
    "company",
    "address",
    "stateprovince",
    "remark",
    "contactname",
    "name",
];

/// A copy of `v` with secrets, tokens, e-mail addresses, names and addresses replaced.
pub(crate) fn redact(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| {
                    let key = k.to_ascii_lowercase().replace('_', "");
                    if REDACTED_KEYS.contains(&key.as_str()) && !v.is_null() {
                        (k, Value::String("<redacted>".into()))
                    } else {
                        (k, redact(v))
                    }
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::String(s) if looks_like_email(&s) => Value::String("<redacted>".into()),
        other => other,
    }
}

/// Whether any word of `s` is an e-mail address.
fn looks_like_email(s: &str) -> bool {
    s.split_whitespace().any(|w| {
        w.split_once('@')
            .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_lose_secrets_tokens_emails_and_names() {
        let v = serde_json::json!({
            "token": "abc", "refreshToken": "def", "expiresIn": "7200",
            "list": [{"emailAddress": "a@b.example", "firstName": "Ann", "billingContactId": "1",
                      "note": "write to x@y.example", "planName": "Enterprise Plan"}]
        });
        let r = redact(v).to_string();
        for gone in ["abc", "def", "a@b.example", "Ann", "x@y.example"] {
            assert!(!r.contains(gone), "{r}");
        }
        assert!(r.contains("Enterprise Plan") && r.contains("7200"), "{r}");
    }
}
