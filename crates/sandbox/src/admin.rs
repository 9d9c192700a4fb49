//! Admin endpoints under `/_sandbox/` (no auth, not part of the vendor API, not counted): request
//! counts and log, the order log with bodies as received, fault switches, "mark order paid",
//! reset, token expiry and a state dump, and what the vendor does without the API: an order
//! placed in the portal, an auto-renewal. Tests and benchmarks use them to see exactly what a
//! client sent. Answers are plain JSON (no envelope); errors are `{"error": "..."}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::wire::OrderBody;

use super::app::{App, Inner};
use super::envelope::render;
use super::faults::{EveryNth, Hold, SaveFault, sanitize_rate};
use super::variant::{self, Variant};
use super::{OrderStatusMode, effects};

pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_sandbox/requests", get(requests))
        .route("/_sandbox/orders", get(orders))
        .route("/_sandbox/orders/{order}/pay", post(pay))
        .route("/_sandbox/faults", get(faults).post(set_faults))
        .route("/_sandbox/release", post(release))
        .route("/_sandbox/advance", post(advance))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/expire-tokens", post(expire_tokens))
        .route("/_sandbox/state", get(state))
        .route("/_sandbox/portal/order", post(portal_order))
        .route("/_sandbox/portal/auto-renew", post(auto_renew))
}

/// An order placed in the vendor's web portal: the body of an API order, under the same rules
/// and with the same effects, stored with whatever reference it carries (a person in the
/// portal usually gives none). Answers as the API's save does, without the envelope.
async fn portal_order(State(app): State<Arc<App>>, body: Bytes) -> Response {
    match super::vendor::commit(&app, &body) {
        Ok(v) => ok(v),
        Err(e) => error(StatusCode::CONFLICT, e.message),
    }
}

/// The vendor's own auto-renewal of a PBX's term: `{"productId", "productNo", "listed"}`. The
/// term in force (and its services) moves one term on; with `listed: true` it shows in the
/// order list as a `renew_plan` order with no reference, otherwise it leaves no order (whether
/// the vendor lists its auto-renewals is not known).
async fn auto_renew(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (Some(product), Some(sn)) = (
        v.get("productId").and_then(Value::as_u64),
        v.get("productNo").and_then(Value::as_str),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "body must be {\"productId\": N, \"productNo\": \"SN\", \"listed\": bool}",
        );
    };
    let listed = v.get("listed").and_then(Value::as_bool).unwrap_or(false);
    let now_ms = app.now_ms();
    let mut inner = app.lock();
    let Some(idx) = u32::try_from(product)
        .ok()
        .and_then(|p| inner.world.find(p, sn))
    else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no PBX {sn} under product {product}"),
        );
    };
    let world = &mut inner.world;
    let sub = &mut world.pbxs[idx];
    let Some(term) = &mut sub.plan else {
        return error(StatusCode::CONFLICT, format!("{sn} has no plan to renew"));
    };
    let expire = term.one_term_after(term.expire);
    let before = term.expire;
    term.expire = expire;
    for s in sub.services.iter_mut().filter(|s| s.expire == before) {
        s.expire = expire;
    }
    let order = if listed {
        let (id, order_no, transaction_no) = world.take_order_numbers();
        let create_time = now_ms.max(world.last_create_time + 1_000);
        world.last_create_time = create_time;
        world.orders.push(super::world::OrderRecord {
            id,
            order_no: order_no.clone(),
            transaction_no,
            status: "succeed".to_owned(),
            po_number: None,
            product_id: product as u32,
            product_no: sn.to_owned(),
            operation_type: "renew_plan".to_owned(),
            create_time,
            currency_code: "USD".to_owned(),
            total_amount: "0.00".to_owned(),
            billing_id: crate::wire::Id(0),
            body: json!({"autoRenewal": true}),
        });
        Some(order_no)
    } else {
        None
    };
    if let Err(e) = app.persist(&inner.world) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e);
    }
    ok(json!({"expireDate": expire.to_string(), "orderNo": order}))
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    render(status, json!({"error": message.into()}))
}

fn ok(body: Value) -> Response {
    render(StatusCode::OK, body)
}

async fn requests(State(app): State<Arc<App>>) -> Response {
    let inner = app.lock();
    ok(json!({"counts": inner.log.counts, "log": inner.log.entries}))
}

fn order_json(o: &super::world::OrderRecord) -> Value {
    json!({
        "orderNo": o.order_no,
        "id": o.id.to_string(),
        "status": o.status,
        "poNumber": o.po_number,
        "productId": o.product_id,
        "productNo": o.product_no,
        "operationType": o.operation_type,
        "createTime": o.create_time,
        "totalAmount": o.total_amount,
        "body": o.body,
    })
}

async fn orders(State(app): State<Arc<App>>) -> Response {
    let inner = app.lock();
    ok(Value::Array(
        inner.world.orders.iter().map(order_json).collect(),
    ))
}

/// A pending order becomes `succeed` and its effects apply, if its rules still hold; otherwise
/// it becomes `failed` and nothing changes.
async fn pay(State(app): State<Arc<App>>, Path(order): Path<String>) -> Response {
    let today = app.today();
    let mut inner = app.lock();
    let Some(idx) = inner.world.order(&order) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("order {order} does not exist"),
        );
    };
    let status = inner.world.orders[idx].status.clone();
    if status != "pending" {
        return error(
            StatusCode::CONFLICT,
            format!("order {order} is {status}, not pending"),
        );
    }
    inner.world.settle(today);
    let body: Result<OrderBody, _> = serde_json::from_value(inner.world.orders[idx].body.clone());
    let checked = match body {
        Ok(b) => app.check(&inner, &b, today).map_err(|e| e.message),
        Err(e) => Err(e.to_string()),
    };
    let result = match checked {
        Ok(c) => {
            effects::apply(&mut inner.world, &app.catalog, &c);
            inner.world.orders[idx].status = "succeed".to_owned();
            Ok(())
        }
        Err(reason) => {
            inner.world.orders[idx].status = "failed".to_owned();
            Err(reason)
        }
    };
    if let Err(e) = app.persist(&inner.world) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e);
    }
    match result {
        Ok(()) => ok(order_json(&inner.world.orders[idx])),
        Err(reason) => error(
            StatusCode::CONFLICT,
            format!("order {order} no longer passes the rules and is now failed: {reason}"),
        ),
    }
}

fn faults_json(app: &App) -> Value {
    let inner = app.lock();
    let f = &inner.faults;
    json!({
        "failRate": f.fail_rate,
        "retryAfterSecs": f.retry_after_secs,
        "nextOrderSaves": f.next_order_saves,
        "readFaultEvery": f.read_fault_every,
        "orderStatus": match f.order_status {
            OrderStatusMode::Succeed => "succeed",
            OrderStatusMode::Pending => "pending",
        },
        "stallSecs": f.stall.as_secs(),
        "latencyMs": f.latency.as_millis() as u64,
        "tokenLifetimeSecs": inner.tokens.access_lifetime.as_secs(),
        "holdOrderSave": f.hold_order_save,
        "renewalRequiresAllServices": f.policy.renewal_requires_all_services,
        "holdsReached": *app.holds().borrow(),
        "served": f.served,
        "vendor": inner.variant.to_json(),
    })
}

/// Moves the sandbox's time forward: `{"ms": N}`. Answers the new time.
async fn advance(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let ms = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("ms").and_then(Value::as_u64))
        .and_then(|n| i64::try_from(n).ok());
    match ms {
        Some(ms) => ok(json!({"nowMs": app.advance(ms)})),
        None => error(
            StatusCode::BAD_REQUEST,
            "body must be {\"ms\": N}, N a whole number of milliseconds",
        ),
    }
}

/// Every held order save goes on.
async fn release(State(app): State<Arc<App>>) -> Response {
    app.release();
    ok(json!({"released": true}))
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    ok(faults_json(&app))
}

/// The switches a `POST /_sandbox/faults` sets; `None` leaves a switch as it is.
#[derive(Debug, Default)]
struct FaultPatch {
    fail_rate: Option<f64>,
    retry_after_secs: Option<u64>,
    stall: Option<Duration>,
    latency: Option<Duration>,
    token_lifetime: Option<Duration>,
    next_order_saves: Option<Vec<SaveFault>>,
    /// `Some(None)` cancels a hold not reached yet.
    hold_order_save: Option<Option<Hold>>,
    /// `Some(None)` turns the every-nth fault off.
    read_fault_every: Option<Option<EveryNth>>,
    order_status: Option<OrderStatusMode>,
    renewal_requires_all_services: Option<bool>,
    unreadable_detail: Option<Vec<String>>,
    variant: Option<Variant>,
}

impl FaultPatch {
    /// Reads every field, refusing unknown ones, before anything changes.
    fn parse(mut patch: Map<String, Value>, variant: &Variant) -> Result<FaultPatch, String> {
        let mut p = FaultPatch {
            variant: Some(variant.patch(&mut patch)?),
            ..FaultPatch::default()
        };
        for (key, value) in patch {
            let bad = |what: &str| format!("{key} must be {what}");
            let secs = |v: &Value| v.as_u64().ok_or_else(|| bad("a whole number"));
            match key.as_str() {
                "failRate" => match value.as_f64() {
                    Some(r) if (0.0..=1.0).contains(&r) => p.fail_rate = Some(sanitize_rate(r)),
                    _ => return Err(bad("a number between 0 and 1")),
                },
                "retryAfterSecs" => p.retry_after_secs = Some(secs(&value)?),
                "stallSecs" => p.stall = Some(Duration::from_secs(secs(&value)?)),
                "latencyMs" => p.latency = Some(Duration::from_millis(secs(&value)?)),
                "tokenLifetimeSecs" => {
                    p.token_lifetime = Some(Duration::from_secs(secs(&value)?));
                }
                "nextOrderSaves" => {
                    p.next_order_saves = Some(serde_json::from_value(value).map_err(|_| {
                        bad("an array of fail_before_commit, commit_then_500, commit_then_drop, commit_then_token_expired, commit_then_429, commit_then_408, commit_then_refused, commit_then_repeated_code")
                    })?);
                }
                "holdOrderSave" => {
                    p.hold_order_save = Some(if value.is_null() {
                        None
                    } else {
                        Some(serde_json::from_value(value).map_err(|_| {
                            bad("null or {\"skip\": N, \"phase\": \"before_commit\"|\"after_commit\"}")
                        })?)
                    });
                }
                "readFaultEvery" => {
                    p.read_fault_every = Some(if value.is_null() {
                        None
                    } else {
                        Some(serde_json::from_value(value).map_err(|_| {
                            bad("null or {\"every\": N, \"kind\": \"rate_limit\"|\"server_error\"|\"stall\"}")
                        })?)
                    });
                }
                "unreadableDetail" => {
                    p.unreadable_detail =
                        Some(serde_json::from_value(value).map_err(|_| bad("an array of SNs"))?);
                }
                "renewalRequiresAllServices" => {
                    p.renewal_requires_all_services =
                        Some(value.as_bool().ok_or_else(|| bad("true or false"))?);
                }
                "orderStatus" => {
                    p.order_status = Some(match value.as_str() {
                        Some("succeed") => OrderStatusMode::Succeed,
                        Some("pending") => OrderStatusMode::Pending,
                        _ => return Err(bad("\"succeed\" or \"pending\"")),
                    });
                }
                _ => {
                    return Err(format!(
                        "unknown switch `{key}`; known: failRate, retryAfterSecs, nextOrderSaves, holdOrderSave, readFaultEvery, orderStatus, renewalRequiresAllServices, unreadableDetail, stallSecs, latencyMs, tokenLifetimeSecs, {}",
                        variant::SWITCHES
                    ));
                }
            }
        }
        Ok(p)
    }

    fn apply(self, inner: &mut Inner) {
        let f = &mut inner.faults;
        if let Some(r) = self.fail_rate {
            f.fail_rate = r;
        }
        if let Some(s) = self.retry_after_secs {
            f.retry_after_secs = s;
        }
        if let Some(d) = self.stall {
            f.stall = d;
        }
        if let Some(d) = self.latency {
            f.latency = d;
        }
        if let Some(q) = self.next_order_saves {
            f.next_order_saves = q.into_iter().collect();
        }
        if let Some(h) = self.hold_order_save {
            f.hold_order_save = h;
        }
        if let Some(e) = self.read_fault_every {
            f.read_fault_every = e;
        }
        if let Some(m) = self.order_status {
            f.order_status = m;
        }
        if let Some(sns) = self.unreadable_detail {
            f.unreadable_detail = sns;
        }
        if let Some(all) = self.renewal_requires_all_services {
            f.policy.renewal_requires_all_services = all;
        }
        if let Some(d) = self.token_lifetime {
            inner.tokens.access_lifetime = d;
        }
        if let Some(v) = self.variant {
            if v.rate_limit != inner.variant.rate_limit {
                inner.bucket = (f64::from(v.rate_limit), tokio::time::Instant::now());
            }
            inner.variant = v;
        }
    }
}

/// Each field present sets its switch; `readFaultEvery: null` turns that switch off.
async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let variant = app.lock().variant;
    let patch = serde_json::from_slice::<Map<String, Value>>(&body)
        .map_err(|e| format!("body must be a JSON object: {e}"))
        .and_then(|p| FaultPatch::parse(p, &variant));
    match patch {
        Ok(p) => {
            p.apply(&mut app.lock());
            ok(faults_json(&app))
        }
        Err(e) => error(StatusCode::BAD_REQUEST, e),
    }
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    match app.reset() {
        Ok(()) => ok(json!({"reset": true})),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

async fn expire_tokens(State(app): State<Arc<App>>) -> Response {
    app.lock().tokens.expire_all();
    ok(json!({"expired": true}))
}

async fn state(State(app): State<Arc<App>>) -> Response {
    let today = app.today();
    let inner = app.lock();
    match serde_json::to_value(&inner.world) {
        Ok(world) => ok(json!({"today": today.to_string(), "world": world})),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}
