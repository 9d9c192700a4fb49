//! `entitle doctor`: a read-only check of a real account against every assumption of
//! `docs/vendor-api.md`. It never sends an order or turns auto-renewal on; it calls the
//! calculator (which changes nothing) only when asked. Each assumption comes back confirmed,
//! contradicted or unseen, with the evidence; every field the vendor sent that entitle ignores,
//! and every field entitle expects that did not come, is listed; the raw answers can be saved,
//! redacted, to become test fixtures.
//!
//! It reads what `plan` and `apply` read: the PBX list of every product in play, the detail and
//! catalog of each PBX, an auto-renew status per product, the billing contacts, the order list
//! back to this workspace's oldest order (as apply reads it to find its orders) and the detail
//! of the newest order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::api::mapping;
use crate::api::{Answer, ApiError, Client, Request, Shape};
use crate::ledger::CLOCK_SKEW_MS;
use crate::model::{Catalog, ObservedPbx, OrderStatus, ProductId};
use crate::redact::redact;
use crate::wire::{self, paths};

/// Whether an assumption held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Confirmed,
    Contradicted,
    Unseen,
}

/// One assumption and what the account showed.
#[derive(Debug, Clone)]
pub struct Finding {
    pub topic: &'static str,
    pub assumption: String,
    pub status: Status,
    pub evidence: String,
    /// entitle cannot work with the account while this holds.
    pub blocks: bool,
}

/// What the doctor found.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Per answer kind: fields the vendor sent that entitle does not read.
    pub ignored: BTreeMap<&'static str, BTreeSet<String>>,
    /// Per answer kind: fields entitle expects that the vendor did not send.
    pub missing: BTreeMap<&'static str, BTreeSet<String>>,
    /// Raw answers, redacted: `(file name, the whole envelope)`.
    pub samples: Vec<(String, Value)>,
}

impl Report {
    pub fn blockers(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocks)
    }

    /// 0 when entitle can work with the account, 1 when a finding blocks it.
    pub fn exit(&self) -> crate::exit::Exit {
        if self.blockers().next().is_none() {
            crate::exit::Exit::Success
        } else {
            crate::exit::Exit::Error
        }
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

    /// Keeps an answer, redacted, as the file `name`. Names carry SNs and order numbers the
    /// vendor sent, so anything but letters, digits, `-`, `_` and `.` becomes `_`: a sample
    /// cannot be written outside the samples directory.
    fn sample(&mut self, name: String, v: &Value) {
        let name = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
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

/// The fields of each answer as `docs/vendor-api.md` describes them.
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
/// L7: the order detail around the list's `OrderInfo`.
const ORDER_DETAIL: &[&str] = &["basicInformation", "orderInformation"];
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
pub struct DoctorRequest {
    /// PBXs to read (from the manifests or `--sn`); empty: a sample per product.
    pub targets: Vec<(ProductId, String)>,
    /// Call the calculator (L9) once.
    pub price: bool,
    /// poNumbers this workspace's journal holds as placed, to see whether they are echoed.
    pub placed: Vec<String>,
    /// When the oldest of `placed` was journaled (epoch ms): the order list is read back to
    /// there, as apply reads it to find its orders.
    pub placed_since_ms: Option<i64>,
}

/// A GET's answer, or the error.
async fn get(
    client: &Client,
    path: &str,
    query: Vec<(&'static str, String)>,
) -> Result<Answer, ApiError> {
    client.call_raw(&Request::get(path, query)).await
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
        Ok(a) => {
            r.sample(name, &a.whole());
            Some(a.result)
        }
        Err(e) => {
            r.block(topic, what, e.to_string());
            None
        }
    }
}

/// Runs every check. Reads only (and one calculation when asked).
pub async fn run(client: &Client, req: &DoctorRequest) -> Report {
    let mut r = Report::default();
    token(client, &mut r).await;
    let Some(products) = product_list(client, &mut r).await else {
        return r;
    };
    let mut targets = req.targets.clone();
    // The PBX list of every product in play: the manifests' products, or (none given) every
    // product of the account, each then sampled by its first PBX.
    let listed: Vec<ProductId> = if targets.is_empty() {
        products
    } else {
        let mut seen = BTreeSet::new();
        targets
            .iter()
            .map(|(p, _)| *p)
            .filter(|p| seen.insert(*p))
            .collect()
    };
    let mut pages = PageSizes::default();
    for p in &listed {
        let first = sample_pbx(client, *p, &mut pages, &mut r).await;
        if req.targets.is_empty()
            && let Some(sn) = first
        {
            targets.push((*p, sn));
        }
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
    // One status per product: the endpoint takes the product, and may answer per product.
    let mut renew_read = BTreeSet::new();
    for (product, sn) in &targets {
        if renew_read.insert(*product) {
            auto_renew(client, *product, sn, &mut r).await;
        }
    }
    if renew_read.is_empty() {
        r.note(
            "L8 auto-renew",
            "the auto-renew status is {\"autoRenew\": bool}",
            Status::Unseen,
            "no PBX to read the status of",
        );
    }
    contacts(client, &mut r).await;
    let newest = orders(client, req, &mut pages, &mut r).await;
    pages.note(&mut r);
    match newest {
        Some(order_no) => order_detail(client, &order_no, &mut r).await,
        None => r.note(
            "L7 order",
            "the order detail is {basicInformation, orderInformation} as listed",
            Status::Unseen,
            "no order to read the detail of",
        ),
    }
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

/// What the first pages read showed of the page size (vendor-api section 8: not stated for
/// this API; the sibling API caps it at 50), judged once over every list read.
#[derive(Debug, Default)]
struct PageSizes {
    /// Pages that held the size asked for.
    full: Vec<String>,
    /// Pages that held fewer though more items exist.
    capped: Vec<String>,
    /// Pages that held everything there was, in fewer items than a page: no evidence.
    short: Vec<String>,
}

impl PageSizes {
    /// Files what page 1 of `list` showed, asked for `asked` items per page.
    fn saw(&mut self, list: String, page: &wire::Page<Value>, asked: u64) {
        let got = page.results.len() as u64;
        // Fewer than asked while more exist, by `totalPage` or by `total`.
        let more = page.total_page > 1 || page.total > got;
        if page.page_size > 0 && page.page_size < asked || (got < asked && more) {
            self.capped.push(format!(
                "{list}: {got} items on page 1 of {} (pageSize {}, total {})",
                page.total_page, page.page_size, page.total
            ));
        } else if got == asked {
            self.full.push(format!("{list}: {got} items on page 1"));
        } else {
            self.short.push(format!("{list}: {got}"));
        }
    }

    fn note(&self, r: &mut Report) {
        let assumption = format!("a page holds the {} items asked for", paths::MAX_PAGE_SIZE);
        if !self.capped.is_empty() {
            r.note(
                "paging",
                assumption,
                Status::Contradicted,
                format!("{}; entitle follows totalPage", self.capped.join("; ")),
            );
        } else if !self.full.is_empty() {
            r.note(
                "paging",
                assumption,
                Status::Confirmed,
                self.full.join("; "),
            );
        } else if !self.short.is_empty() {
            r.note(
                "paging",
                assumption,
                Status::Unseen,
                format!(
                    "no list is longer than a page ({}); entitle follows totalPage whatever a page holds",
                    self.short.join(", ")
                ),
            );
        } else {
            r.note("paging", assumption, Status::Unseen, "no list was read");
        }
    }
}

/// Reads the first page of a product's PBXs (the page size goes to `pages`) and returns one SN.
async fn sample_pbx(
    client: &Client,
    product: ProductId,
    pages: &mut PageSizes,
    r: &mut Report,
) -> Option<String> {
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
    let page: wire::Page<Value> = serde_json::from_value(v).unwrap_or_default();
    pages.saw(
        format!("the PBXs of product {}", product.0),
        &page,
        u64::from(paths::MAX_PAGE_SIZE),
    );
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
            let counted = product.has_capacity();
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
    let parsed = serde_json::from_value::<wire::Offering>(v)
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
                plan.name, o.sn, p.price.currency, p.price.total
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
        Ok(a) => {
            r.sample(format!("L8-auto_renew-{}-{sn}.json", product.0), &a.whole());
            let v = a.result;
            let ok = v.get("autoRenew").is_some_and(Value::is_boolean);
            r.note(
                "L8 auto-renew",
                "the auto-renew status is {\"autoRenew\": bool}",
                if ok {
                    Status::Confirmed
                } else {
                    Status::Contradicted
                },
                format!("product {}, {sn}: {v}", product.0),
            );
        }
        Err(e) => r.note(
            "L8 auto-renew",
            "the auto-renew status reads",
            Status::Contradicted,
            format!(
                "product {}, {sn}: {e}; manifests with autoRenew cannot be planned",
                product.0
            ),
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

/// L6: page 1 (its shape, its order, the page size), then the orders apply would read to find
/// this workspace's orders. The echo, the statuses and the time unit are judged on every order
/// read, so a list that comes oldest first cannot hide the workspace's orders behind older ones.
/// Returns the newest order's number, for L7.
async fn orders(
    client: &Client,
    req: &DoctorRequest,
    pages: &mut PageSizes,
    r: &mut Report,
) -> Option<String> {
    let query = vec![
        ("pageNo", "1".to_owned()),
        ("pageSize", paths::MAX_PAGE_SIZE.to_string()),
        ("sort", "-createTime".to_owned()),
    ];
    let v = fetch(
        client,
        r,
        ("L6 orders", "the order list reads".to_owned()),
        (paths::ORDER_PAGE, query),
        "L6-order_page.json".into(),
    )
    .await?;
    r.fields("page", PAGE, &v);
    let page: wire::Page<Value> = match serde_json::from_value(v) {
        Ok(p) => p,
        Err(e) => {
            r.block("L6 orders", "the order list reads", e.to_string());
            return None;
        }
    };
    pages.saw(
        "the orders".to_owned(),
        &page,
        u64::from(paths::MAX_PAGE_SIZE),
    );
    if let Some(first) = page.results.first() {
        r.fields("order", ORDER, first);
    }
    let mut first_page = Vec::new();
    for o in &page.results {
        match serde_json::from_value::<wire::OrderInfo>(o.clone()) {
            Ok(info) => first_page.push(info),
            Err(e) => {
                r.block("L6 orders", "every order of the list reads", e.to_string());
                return None;
            }
        }
    }
    // Every order read: the first page, and the recent orders as apply reads them.
    let mut read: Vec<crate::model::Order> =
        first_page.iter().cloned().map(mapping::order).collect();
    let assumption = "`sort=-createTime` lists newest first";
    if read.len() < 2 {
        r.note(
            "L6 orders",
            assumption,
            Status::Unseen,
            "fewer than two orders",
        );
    } else {
        // As the order-list reader tells them apart; one time for all counts as sorted.
        let (status, evidence) = match crate::api::shape(&read) {
            Shape::Descending | Shape::Flat => {
                (Status::Confirmed, "the first page is newest first")
            }
            Shape::Ascending => (
                Status::Contradicted,
                "the list ignores sort, oldest first: entitle reads from its last page back to the window",
            ),
            Shape::Mixed => (
                Status::Contradicted,
                "the list ignores sort, in no order: entitle reads every page to find recent orders",
            ),
        };
        r.note("L6 orders", assumption, status, evidence);
    }
    if let Some(since) = req.placed_since_ms {
        // As apply reads the list to find its orders (resolve.rs): back to the oldest intent,
        // less the clock skew it allows.
        match client.recent_orders(since - CLOCK_SKEW_MS).await {
            Ok(recent) => read.extend(recent),
            Err(e) => {
                r.block(
                    "L6 orders",
                    "the order list reads back to this workspace's oldest order",
                    e.to_string(),
                );
                return None;
            }
        }
    }
    let mut seen = BTreeSet::new();
    read.retain(|o| seen.insert(o.id));
    judge_orders(req, &first_page, &read, r);
    read.iter()
        .max_by_key(|o| o.created_ms)
        .map(|o| o.order_no.clone())
        .filter(|no| !no.is_empty())
}

/// The time unit (from the answers as the vendor wrote them), the statuses and the
/// `poNumber` echo (over every order read).
fn judge_orders(
    req: &DoctorRequest,
    raw: &[wire::OrderInfo],
    list: &[crate::model::Order],
    r: &mut Report,
) {
    if raw.is_empty() {
        r.note(
            "L6 orders",
            "`createTime` is in milliseconds",
            Status::Unseen,
            "no order",
        );
    } else {
        let seconds = raw.iter().all(|o| o.create_time < 100_000_000_000);
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
    let statuses: BTreeSet<String> = list.iter().map(|o| o.status.to_string()).collect();
    let unknown: Vec<&String> = statuses
        .iter()
        .filter(|s| matches!(OrderStatus::parse(s), OrderStatus::Other(_)))
        .collect();
    r.note("L6 orders", "order statuses are among succeed, pending, failed, invalid, cancelled, refunded, confirming",
        if list.is_empty() { Status::Unseen } else if unknown.is_empty() { Status::Confirmed } else { Status::Contradicted },
        if list.is_empty() { "no order".to_owned() }
        else if unknown.is_empty() { format!("seen: {}", statuses.iter().cloned().collect::<Vec<_>>().join(", ")) }
        else { format!("not in the list, so counted as in flight: {}", unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) });
    let echoed = req
        .placed
        .iter()
        .filter(|po| {
            list.iter()
                .any(|o| o.reference.as_deref() == Some(po.as_str()))
        })
        .count();
    let assumption = "`customReferenceNo` echoes the poNumber";
    let among = format!(
        "of this workspace's {} found by poNumber among {}",
        crate::words::plural(req.placed.len(), "order", "orders"),
        crate::words::plural(list.len(), "order read", "orders read")
    );
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
            format!("{echoed} {among}"),
        );
    } else {
        r.note("L6 orders", assumption, Status::Contradicted, format!("none {among}: orders of unknown outcome are found by PBX, operation and time instead"));
    }
}

/// L7: the detail of one order, by its number as apply asks for it.
async fn order_detail(client: &Client, order_no: &str, r: &mut Report) {
    let Some(v) = fetch(
        client,
        r,
        ("L7 order", format!("the detail of order {order_no} reads")),
        (&crate::api::order_path(order_no), Vec::new()),
        format!("L7-order-{order_no}.json"),
    )
    .await
    else {
        return;
    };
    judge_order_detail(order_no, &v, r);
}

/// The shape of an order detail: `{basicInformation, orderInformation: OrderInfo}` naming the
/// order asked for. `basicInformation.productId` is documented as a string (vendor-api section
/// 8); entitle reads only `orderInformation`, whose IDs it takes as numbers or strings.
fn judge_order_detail(order_no: &str, v: &Value, r: &mut Report) {
    r.fields("order detail", ORDER_DETAIL, v);
    if let Some(info) = v.get("orderInformation") {
        r.fields("order detail information", ORDER, info);
    }
    let assumption = "the order detail is {basicInformation, orderInformation} as listed";
    match serde_json::from_value::<wire::OrderDetail>(v.clone()) {
        Ok(d) if d.order_information.order_no == order_no => {
            r.note(
                "L7 order",
                assumption,
                Status::Confirmed,
                format!("order {order_no} read by its number"),
            );
        }
        Ok(d) => r.block(
            "L7 order",
            assumption,
            format!(
                "asked for order {order_no}, the answer names `{}`: orders whose outcome is unknown cannot be followed",
                d.order_information.order_no
            ),
        ),
        Err(e) => r.block("L7 order", format!("the detail of order {order_no} maps"), e.to_string()),
    }
    let product_id = v.get("basicInformation").and_then(|b| b.get("productId"));
    let assumption = "`basicInformation.productId` is a string";
    match product_id {
        Some(Value::String(s)) => r.note(
            "L7 order",
            assumption,
            Status::Confirmed,
            format!("\"{s}\" (entitle reads IDs as numbers or strings)"),
        ),
        Some(other) => r.note(
            "L7 order",
            assumption,
            Status::Contradicted,
            format!("{other}: entitle reads IDs as numbers or strings, so nothing changes"),
        ),
        None => r.note(
            "L7 order",
            assumption,
            Status::Unseen,
            "basicInformation has no productId",
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_capped_below_the_size_asked_is_told_by_total_alone() {
        let page = |got: usize, total: u64| wire::Page::<Value> {
            results: vec![Value::Null; got],
            total,
            ..wire::Page::default()
        };
        let mut sizes = PageSizes::default();
        sizes.saw("the orders".into(), &page(50, 120), 100);
        assert_eq!(sizes.capped.len(), 1, "{sizes:?}");
        let mut sizes = PageSizes::default();
        sizes.saw("the orders".into(), &page(50, 50), 100);
        assert_eq!((sizes.capped.len(), sizes.short.len()), (0, 1), "{sizes:?}");
    }

    #[test]
    fn sample_names_stay_in_the_samples_directory() {
        let mut r = Report::default();
        r.sample("L7-order-../../etc/x y.json".into(), &Value::Null);
        assert_eq!(r.samples[0].0, "L7-order-.._.._etc_x_y.json");
    }

    fn status_of(r: &Report, assumption: &str) -> Option<Status> {
        r.findings
            .iter()
            .find(|f| f.assumption.contains(assumption))
            .map(|f| f.status)
    }

    #[test]
    fn an_order_detail_as_documented_reads_with_its_string_product_id() {
        // vendor-api section 8: `basicInformation.productId` is a string; so may be the IDs
        // of `orderInformation`, which the wire type reads either way.
        let v = serde_json::json!({
            "basicInformation": {"productId": "12", "orderNo": "UO1"},
            "orderInformation": {"id": "3206271046934061056", "orderNo": "UO1",
                                 "orderStatus": "succeed", "createTime": "1763800000",
                                 "productId": "12", "productNo": "3651D3296882"}
        });
        let mut r = Report::default();
        judge_order_detail("UO1", &v, &mut r);
        assert_eq!(r.blockers().count(), 0, "{:?}", r.findings);
        assert_eq!(
            status_of(&r, "the order detail is"),
            Some(Status::Confirmed)
        );
        assert_eq!(
            status_of(&r, "`basicInformation.productId` is a string"),
            Some(Status::Confirmed)
        );
        let info: wire::OrderDetail = serde_json::from_value(v).unwrap();
        assert_eq!(info.order_information.product_id, 12);
        assert_eq!(
            r.missing["order detail information"],
            [
                "currencyCode",
                "customReferenceNo",
                "invoiceNo",
                "operationType",
                "totalAmount"
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
        );
    }

    #[test]
    fn an_order_detail_of_another_order_or_a_number_product_id_is_told() {
        let v = serde_json::json!({
            "basicInformation": {"productId": 12},
            "orderInformation": {"id": 1, "orderNo": "UO2"}
        });
        let mut r = Report::default();
        judge_order_detail("UO1", &v, &mut r);
        let blocked: Vec<&str> = r.blockers().map(|f| f.evidence.as_str()).collect();
        assert_eq!(
            blocked,
            [
                "asked for order UO1, the answer names `UO2`: orders whose outcome is unknown cannot be followed"
            ]
        );
        assert_eq!(
            status_of(&r, "`basicInformation.productId` is a string"),
            Some(Status::Contradicted)
        );
    }
}
