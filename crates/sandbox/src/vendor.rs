//! The vendor endpoints (vendor-api sections 2-4). Every request goes through [`handle`]:
//! latency, then `User-Agent` (checked first, on every path), routing, the bearer token, read
//! faults, and the endpoint itself; then it is logged for the admin endpoints.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::wire::{self, Id, paths};

use super::app::{App, LogEntry};
use super::envelope::{self, ErrorReply, Form};
use super::faults::{self, HoldPhase, ReadFault, SaveFault};
use super::world::OrderRecord;
use super::{OrderStatusMode, catalog, effects, order_body, views};

/// Largest request body read.
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Token,
    ProductList,
    InstanceList,
    InstanceDetail,
    Catalog,
    BillingContacts,
    OrderPage,
    OrderGet,
    AutoRenewStatus,
    Price,
    OrderSave,
    EnableAutoRenew,
}

impl Route {
    fn find(path: &str) -> Option<(Method, Route)> {
        Some(match path {
            paths::TOKEN => (Method::POST, Route::Token),
            paths::PRODUCT_LIST => (Method::GET, Route::ProductList),
            paths::INSTANCE_LIST => (Method::GET, Route::InstanceList),
            paths::INSTANCE_DETAIL => (Method::GET, Route::InstanceDetail),
            paths::CATALOG => (Method::GET, Route::Catalog),
            paths::BILLING_CONTACTS => (Method::GET, Route::BillingContacts),
            paths::ORDER_PAGE => (Method::GET, Route::OrderPage),
            paths::AUTO_RENEW_STATUS => (Method::GET, Route::AutoRenewStatus),
            paths::PRICE => (Method::POST, Route::Price),
            paths::ORDER_SAVE => (Method::POST, Route::OrderSave),
            paths::ENABLE_AUTO_RENEW => (Method::POST, Route::EnableAutoRenew),
            p if order_ref(p).is_some() => (Method::GET, Route::OrderGet),
            _ => return None,
        })
    }

    /// Reads may be rate limited, fail or stall; L9 is a read too (it changes nothing).
    fn is_read(self) -> bool {
        !matches!(
            self,
            Route::Token | Route::OrderSave | Route::EnableAutoRenew
        )
    }
}

/// The `{idOrOrderNo}` of an L7 path.
fn order_ref(path: &str) -> Option<&str> {
    path.strip_prefix(paths::ORDER_GET)?
        .strip_prefix('/')
        .filter(|r| !r.is_empty() && !r.contains('/'))
}

/// What the endpoint answers.
enum Reply {
    Ok(Value),
    Err(ErrorReply),
    RateLimited {
        retry_after_secs: u64,
    },
    Dropped,
    /// A body written by hand (an envelope no serializer would write).
    Raw(u16, String),
}

impl From<Result<Value, ErrorReply>> for Reply {
    fn from(r: Result<Value, ErrorReply>) -> Reply {
        match r {
            Ok(v) => Reply::Ok(v),
            Err(e) => Reply::Err(e),
        }
    }
}

/// The fallback handler serving every vendor path. `Content-Type` is not enforced: bodies are
/// read as the endpoint expects (a form for the token, JSON elsewhere), so a hand-written
/// `curl -d @order.json` works as well as a client that labels its body.
pub(super) async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if path.starts_with("/_sandbox/") {
        // A mistyped admin call is not a vendor request: not logged, no envelope.
        return envelope::render(
            axum::http::StatusCode::NOT_FOUND,
            json!({"error": format!("no admin endpoint {method} {path}; see `entitle sandbox --help`")}),
        );
    }
    let _in_progress = app.request_started();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let request_id = app.request_id();
    let latency = app.lock().faults.latency;
    if !latency.is_zero() {
        app.sleep(latency).await;
    }
    let reply = if app.admit() {
        dispatch(&app, &method, &path, &query, req).await
    } else {
        Reply::RateLimited {
            retry_after_secs: 1,
        }
    };
    let (status, response) = match reply {
        Reply::Ok(v) => (200, envelope::success(&request_id, v)),
        Reply::Err(e) => (e.status.as_u16(), envelope::failure(&request_id, &e)),
        Reply::RateLimited { retry_after_secs } => {
            let e = ErrorReply::too_many_requests();
            let mut r = envelope::failure(&request_id, &e);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            (e.status.as_u16(), r)
        }
        Reply::Dropped => (0, Response::new(faults::dropped_body())),
        Reply::Raw(status, body) => {
            let status = axum::http::StatusCode::from_u16(status)
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            (status.as_u16(), r)
        }
    };
    app.lock().log.record(LogEntry {
        method: method.to_string(),
        path,
        query,
        status,
    });
    // The vendor's clock, as every HTTP server tells it: the sandbox's own time, which may be
    // far from the client's (a clock that is off, or a demo's day).
    let mut response = response;
    if let Ok(date) = HeaderValue::from_str(&crate::clock::http_date(app.now_ms())) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

async fn dispatch(app: &Arc<App>, method: &Method, path: &str, query: &str, req: Request) -> Reply {
    let has_agent = req
        .headers()
        .get(header::USER_AGENT)
        .is_some_and(|v| !v.as_bytes().trim_ascii().is_empty());
    if !has_agent {
        return Reply::Err(ErrorReply::param("User-Agent", "header is required"));
    }
    let Some((want, route)) = Route::find(path) else {
        return Reply::Err(ErrorReply::not_found(format!(
            "no endpoint {method} {path}"
        )));
    };
    if method != want {
        return Reply::Err(ErrorReply::not_found(format!(
            "no endpoint {method} {path}; it takes {want}"
        )));
    }
    let headers = req.headers().clone();
    let body = if method == Method::POST {
        match axum::body::to_bytes(req.into_body(), MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return Reply::Err(ErrorReply::param(
                    "body",
                    format!("is unreadable or larger than {MAX_BODY} bytes"),
                ));
            }
        }
    } else {
        Bytes::new()
    };
    if route == Route::Token {
        return token(app, &body).into();
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if let Err(e) = app.lock().tokens.verify(authorization) {
        return Reply::Err(e);
    }
    if route.is_read() {
        let (fault, retry_after_secs, stall) = {
            let mut inner = app.lock();
            let f = inner.faults.on_read();
            (f, inner.faults.retry_after_secs, inner.faults.stall)
        };
        match fault {
            Some(ReadFault::RateLimit) => return Reply::RateLimited { retry_after_secs },
            Some(ReadFault::ServerError) => {
                return Reply::Err(ErrorReply::internal("sandbox fault: injected server error"));
            }
            Some(ReadFault::Stall) => {
                app.sleep(stall).await;
                return Reply::Err(ErrorReply::internal("sandbox fault: stalled request"));
            }
            None => {}
        }
    }
    let q = Form::parse(query);
    {
        let mut inner = app.lock();
        if app.apply_due_effects(&mut inner)
            && let Err(e) = app.persist(&inner.world)
        {
            return Reply::Err(ErrorReply::internal(e));
        }
    }
    match route {
        Route::ProductList => Ok(json!(views::product_list(&app.catalog))).into(),
        Route::InstanceList => instance_list(app, &q).into(),
        Route::InstanceDetail => instance_detail(app, &q).into(),
        Route::Catalog => catalog_info(app, &q).into(),
        Route::BillingContacts => {
            let inner = app.lock();
            let list: Vec<_> = inner.world.contacts.iter().map(views::contact).collect();
            Ok(json!(list)).into()
        }
        Route::OrderPage => order_page(app, &q).into(),
        Route::OrderGet => order_get(app, order_ref(path).unwrap_or_default()).into(),
        Route::AutoRenewStatus => auto_renew_status(app, &q).into(),
        Route::Price => price(app, &body).into(),
        Route::OrderSave => order_save(app.clone(), body).await,
        Route::EnableAutoRenew => enable_auto_renew(app, &body).into(),
        Route::Token => token(app, &body).into(),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ErrorReply> {
    serde_json::to_value(v).map_err(|e| ErrorReply::internal(format!("cannot render: {e}")))
}

fn token(app: &App, body: &[u8]) -> Result<Value, ErrorReply> {
    let form = Form::parse(&String::from_utf8_lossy(body));
    let issued = match form.require("grant_type")? {
        "pp_credentials" => {
            let id = form.require("client_id")?;
            let secret = form.require("client_secret")?;
            if id != app.config.client_id || secret != app.config.client_secret {
                return Err(ErrorReply::invalid_client());
            }
            app.lock().tokens.issue()
        }
        "refresh_token" => {
            let refresh = form.require("refresh_token")?;
            app.lock().tokens.refresh(refresh)?
        }
        other => {
            return Err(ErrorReply::param(
                "grant_type",
                format!("must be pp_credentials or refresh_token (got `{other}`)"),
            ));
        }
    };
    to_value(&wire::TokenResponse {
        token: issued.token,
        token_head: "Bearer".to_owned(),
        expires_in: issued.expires_in_secs.to_string(),
        refresh_token: issued.refresh_token,
    })
}

fn product(app: &App, id: u32) -> Result<&catalog::Product, ErrorReply> {
    app.catalog
        .product(id)
        .ok_or_else(|| ErrorReply::not_found(format!("product {id} does not exist")))
}

fn sn_not_found(sn: &str, p: &catalog::Product) -> ErrorReply {
    ErrorReply::not_found(format!(
        "productNo {sn} is not under product {} ({}) in this account",
        p.id, p.name
    ))
}

fn instance_list(app: &App, q: &Form) -> Result<Value, ErrorReply> {
    let paging = views::Paging::from_query(q, app.lock().variant.page_cap)?;
    let wanted = match q.number("productId")? {
        Some(id) => {
            let id = u32::try_from(id)
                .map_err(|_| ErrorReply::not_found(format!("product {id} does not exist")))?;
            Some(product(app, id)?.id)
        }
        None => None,
    };
    let inner = app.lock();
    let items: Vec<_> = inner
        .world
        .pbxs
        .iter()
        .filter(|s| wanted.is_none_or(|p| p == s.product_id))
        .filter_map(|s| {
            Some(views::instance(
                s,
                app.catalog.product(s.product_id)?,
                &inner.variant,
            ))
        })
        .collect();
    to_value(&paging.page(items.into_iter()))
}

fn instance_detail(app: &App, q: &Form) -> Result<Value, ErrorReply> {
    let p = product(app, q.product_id()?)?;
    let sn = q.require("productNo")?;
    let today = app.today();
    let mut inner = app.lock();
    if inner.world.settle(today) {
        app.persist(&inner.world).map_err(ErrorReply::internal)?;
    }
    let idx = inner
        .world
        .find(p.id, sn)
        .ok_or_else(|| sn_not_found(sn, p))?;
    let mut detail = to_value(&views::detail(&inner.world.pbxs[idx], p, &inner.variant))?;
    if inner
        .faults
        .unreadable_detail
        .iter()
        .any(|s| s.eq_ignore_ascii_case(sn))
    {
        detail["serviceList"] = Value::from("unavailable");
        *inner.faults.served.entry("unreadable_detail").or_default() += 1;
    }
    Ok(detail)
}

fn catalog_info(app: &App, q: &Form) -> Result<Value, ErrorReply> {
    let p = product(app, q.product_id()?)?;
    match q.get("productNo") {
        Some(sn) if app.lock().world.find(p.id, sn).is_none() => {
            return Err(sn_not_found(sn, p));
        }
        Some(_) => {}
        None if p.catalog_needs_sn => {
            return Err(ErrorReply::param(
                "productNo",
                format!("is required for product {} ({})", p.id, p.name),
            ));
        }
        None => {}
    }
    to_value(&views::catalog(p, app.lock().variant.minimal_catalog))
}

fn order_page(app: &App, q: &Form) -> Result<Value, ErrorReply> {
    let paging = views::Paging::from_query(q, app.lock().variant.page_cap)?;
    let newest_first = match q.get("sort") {
        None | Some("-createTime") => true,
        Some("createTime") => false,
        Some(other) => {
            return Err(ErrorReply::param(
                "sort",
                format!("must be createTime or -createTime (got `{other}`)"),
            ));
        }
    };
    let now = app.now_ms();
    let inner = app.lock();
    let variant = inner.variant;
    let mut orders: Vec<&OrderRecord> = inner
        .world
        .orders
        .iter()
        .filter(|o| variant.listed(o.create_time, now))
        .collect();
    // Stable sort keeps commit order among equal times.
    orders.sort_by_key(|o| o.create_time);
    if newest_first && !variant.ignore_sort {
        orders.reverse();
    }
    to_value(&paging.page(orders.into_iter().map(|o| views::order_info(o, &variant))))
}

fn order_get(app: &App, reference: &str) -> Result<Value, ErrorReply> {
    let now = app.now_ms();
    let inner = app.lock();
    let variant = inner.variant;
    let order = inner
        .world
        .order(reference)
        .map(|i| &inner.world.orders[i])
        .filter(|o| variant.listed(o.create_time, now))
        .ok_or_else(|| ErrorReply::not_found(format!("order {reference} does not exist")))?;
    Ok(views::order_detail(order, &variant))
}

fn auto_renew_status(app: &App, q: &Form) -> Result<Value, ErrorReply> {
    let sn = q.require("productNo")?;
    let p = product(app, q.product_id()?)?;
    let inner = app.lock();
    let idx = inner
        .world
        .find(p.id, sn)
        .ok_or_else(|| sn_not_found(sn, p))?;
    to_value(&wire::AutoRenewStatus {
        auto_renew: inner.world.pbxs[idx].auto_renew,
    })
}

/// L9, as documented: lines priced by `pricingId` (the catalog's plan or service ID plus one),
/// with no `serviceId` and no `billingId`. An order body is refused. The price is the one the
/// order would be stored with: the request is checked as that order against the account.
fn price(app: &App, body: &[u8]) -> Result<Value, ErrorReply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ErrorReply::param("body", format!("is not valid JSON: {e}")))?;
    for key in ["productId", "productNo", "operationType", "serviceList"] {
        if value.get(key).is_none_or(Value::is_null) {
            return Err(ErrorReply::param(key, "is required"));
        }
    }
    let lines = value["serviceList"]
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ErrorReply::param("serviceList", "must be a non-empty array of lines"))?;
    for (i, line) in lines.iter().enumerate() {
        for key in ["serviceType", "pricingId", "billingCycle"] {
            if line.get(key).is_none_or(Value::is_null) {
                return Err(ErrorReply::param(
                    format!("serviceList[{i}].{key}"),
                    "is required (the calculator prices lines by the catalog's pricingId; this looks like an order body)",
                ));
            }
        }
    }
    let req: wire::PriceRequest =
        serde_json::from_value(value).map_err(|e| ErrorReply::param("body", e.to_string()))?;
    let p = product(app, req.product_id)?;
    let today = app.today();
    let inner = app.lock();
    let idx = inner
        .world
        .find(p.id, &req.product_no)
        .ok_or_else(|| sn_not_found(&req.product_no, p))?;
    let plan_in_force = inner.world.pbxs[idx].plan.as_ref().map(|t| t.plan_id);
    let billing_id = inner
        .world
        .contacts
        .first()
        .map(|c| c.id)
        .ok_or_else(|| ErrorReply::business("the account has no billing contact"))?;
    let purchase_type = match req.operation_type.as_str() {
        "switch_plan" => "switch",
        "renew_plan" => "renew",
        _ => "purchase",
    };
    let mut service_list = Vec::with_capacity(req.service_list.len());
    for (i, l) in req.service_list.iter().enumerate() {
        let id = Id(l.pricing_id.0.wrapping_sub(1));
        let is_plan = p.plan(id).is_some();
        if !is_plan && p.service(id).is_none() {
            return Err(ErrorReply::param(
                format!("serviceList[{i}].pricingId"),
                format!("{} is not a pricing ID of product {}", l.pricing_id, p.id),
            ));
        }
        let annual_plan = is_plan && l.billing_cycle == "annually";
        service_list.push(wire::OrderLine {
            connection_plan_id: if is_plan { None } else { plan_in_force },
            service_type: l.service_type.clone(),
            service_id: id,
            quantity: l.quantity,
            purchase_type: purchase_type.to_owned(),
            billing_model: Some("recurring".to_owned()),
            billing_cycle: Some(l.billing_cycle.clone()),
            multi_cycle: Some(u32::from(annual_plan && purchase_type != "renew")),
        });
    }
    let order = wire::OrderBody {
        operation_type: req.operation_type.clone(),
        product_id: req.product_id,
        product_no: req.product_no.clone(),
        billing_id,
        po_number: None,
        service_list,
    };
    let checked = app.check(&inner, &order, today)?;
    to_value(&wire::Quote {
        currency_code: "USD".to_owned(),
        total_amount: catalog::format_cents(checked.total_cents()),
        items: checked
            .items
            .iter()
            .map(|(id, cents)| wire::QuoteItem {
                service_id: *id,
                amount: catalog::format_cents(*cents),
            })
            .collect(),
    })
}

async fn order_save(app: Arc<App>, body: Bytes) -> Reply {
    // The vendor goes on with an order it received whether or not the client still waits for
    // the answer: the save runs on its own task, which a dropped connection does not cancel.
    // Counted in progress until stored, so `wait_idle` waits for a save its client gave up.
    let task = tokio::spawn(async move {
        let _busy = app.request_started();
        save_detached(&app, &body).await
    });
    task.await.unwrap_or_else(|e| {
        Reply::Err(ErrorReply::internal(format!("the order save stopped: {e}")))
    })
}

async fn save_detached(app: &App, body: &[u8]) -> Reply {
    let (fault, hold, delay) = {
        let mut inner = app.lock();
        let delay = inner.variant.commit_delay;
        (inner.faults.on_save(), inner.faults.hold_this_save(), delay)
    };
    if hold == Some(HoldPhase::BeforeCommit) {
        app.hold().await;
    }
    if !delay.is_zero() {
        app.sleep(delay).await;
    }
    if fault == Some(SaveFault::FailBeforeCommit) {
        return Reply::Err(ErrorReply::internal(
            "sandbox fault: server error before the order was stored",
        ));
    }
    let result = commit(app, body);
    if hold == Some(HoldPhase::AfterCommit) && result.is_ok() {
        app.hold().await;
    }
    match (result, fault) {
        (Err(e), _) => Reply::Err(e),
        (Ok(_), Some(SaveFault::CommitThen500)) => Reply::Err(ErrorReply::internal(
            "sandbox fault: server error after the order was stored",
        )),
        (Ok(_), Some(SaveFault::CommitThenDrop)) => Reply::Dropped,
        (Ok(_), Some(SaveFault::CommitThenTokenExpired)) => Reply::Err(ErrorReply::token_expired(
            "sandbox fault: the access token expired (after the order was stored)",
        )),
        (Ok(_), Some(SaveFault::CommitThen429)) => Reply::RateLimited {
            retry_after_secs: 1,
        },
        (Ok(_), Some(SaveFault::CommitThen408)) => Reply::Err(ErrorReply::with_status(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "sandbox fault: request timeout (after the order was stored)",
        )),
        (Ok(_), Some(SaveFault::CommitThenRefused)) => Reply::Err(ErrorReply::with_status(
            axum::http::StatusCode::OK,
            crate::wire::codes::BUSINESS_RULE_VIOLATION,
            "sandbox fault: refused (after the order was stored)",
        )),
        (Ok(v), Some(SaveFault::CommitThenRepeatedCode)) => Reply::Raw(
            200,
            format!(
                r#"{{"code":"success","detailMessage":"","requestId":"sandbox-repeated","result":{v},"status":200,"code":"business_rule_violation"}}"#
            ),
        ),
        (Ok(v), _) => Reply::Ok(v),
    }
}

/// Validates, stores and (unless orders stay pending) applies an order.
pub(super) fn commit(app: &App, body: &[u8]) -> Result<Value, ErrorReply> {
    let (raw, order) = order_body::parse(body)?;
    let today = app.today();
    let mut inner = app.lock();
    app.apply_due_effects(&mut inner);
    inner.world.settle(today);
    let checked = app.check(&inner, &order, today)?;
    let status = match inner.faults.order_status {
        OrderStatusMode::Succeed => "succeed",
        OrderStatusMode::Pending => "pending",
    };
    let world = &mut inner.world;
    let (id, order_no, transaction_no) = world.take_order_numbers();
    let create_time = clock_ms(app).max(world.last_create_time + 1_000);
    world.last_create_time = create_time;
    let record = OrderRecord {
        id,
        order_no,
        transaction_no,
        status: status.to_owned(),
        po_number: order.po_number.clone(),
        product_id: order.product_id,
        product_no: order.product_no.clone(),
        operation_type: order.operation_type.clone(),
        create_time,
        currency_code: "USD".to_owned(),
        total_amount: catalog::format_cents(checked.total_cents()),
        billing_id: order.billing_id,
        body: raw,
    };
    let result = wire::OrderResult {
        instance_id: world.pbxs[checked.pbx].instance_id.to_string(),
        order_no: record.order_no.clone(),
        order_status: status.to_owned(),
        product_no: record.product_no.clone(),
        transaction_no: record.transaction_no.clone(),
    };
    world.orders.push(record);
    let effect_lag = inner.variant.effect_lag_ms;
    if status == "succeed" {
        if effect_lag > 0 {
            inner
                .deferred
                .push((create_time.saturating_add(effect_lag), checked));
        } else {
            effects::apply(&mut inner.world, &app.catalog, &checked);
        }
    }
    app.persist(&inner.world).map_err(|e| {
        ErrorReply::internal(format!("order {} was stored but {e}", result.order_no))
    })?;
    to_value(&result)
}

/// `createTime` of a new order: the sandbox's time, in milliseconds.
fn clock_ms(app: &App) -> i64 {
    app.now_ms()
}

fn enable_auto_renew(app: &App, body: &[u8]) -> Result<Value, ErrorReply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ErrorReply::param("body", format!("is not valid JSON: {e}")))?;
    for key in ["productNo", "productId", "planOrServiceId"] {
        if value.get(key).is_none_or(Value::is_null) {
            return Err(ErrorReply::param(key, "is required"));
        }
    }
    let req: wire::EnableAutoRenew =
        serde_json::from_value(value).map_err(|e| ErrorReply::param("body", e.to_string()))?;
    let product_id: u32 = req.product_id.parse().map_err(|_| {
        ErrorReply::param(
            "productId",
            format!("`{}` is not a product ID", req.product_id),
        )
    })?;
    let p = product(app, product_id)?;
    let mut inner = app.lock();
    let idx = inner
        .world
        .find(p.id, &req.product_no)
        .ok_or_else(|| sn_not_found(&req.product_no, p))?;
    let sub = &mut inner.world.pbxs[idx];
    let Some(term) = &sub.plan else {
        return Err(ErrorReply::rule(
            7,
            format!(
                "{} has no plan in force under product {}; there is nothing to renew automatically",
                sub.sn, p.id
            ),
        ));
    };
    let id = req.plan_or_service_id;
    let allowed = id == term.plan_id
        || sub.pending.as_ref().is_some_and(|s| s.plan_id == id)
        || sub.services.iter().any(|s| s.service_id == id);
    if !allowed {
        return Err(ErrorReply::business(format!(
            "planOrServiceId {id} is neither the plan in force ({}) nor a subscribed service of {}",
            term.plan_id, sub.sn
        )));
    }
    sub.auto_renew = true;
    app.persist(&inner.world).map_err(ErrorReply::internal)?;
    Ok(Value::Bool(true))
}
