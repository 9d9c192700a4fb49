//! Admin endpoints under `/_sandbox/` (no auth, not part of the vendor API, not counted): request
//! counts and log, the order log with bodies as received, fault switches, "mark order paid",
//! reset, token expiry and a state dump. Tests and benchmarks use them to see exactly what a
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

use super::app::App;
use super::envelope::render;
use super::faults::{EveryNth, SaveFault, sanitize_rate};
use super::{OrderStatusMode, effects, rules};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/_sandbox/requests", get(requests))
        .route("/_sandbox/orders", get(orders))
        .route("/_sandbox/orders/{order}/pay", post(pay))
        .route("/_sandbox/faults", get(faults).post(set_faults))
        .route("/_sandbox/reset", post(reset))
        .route("/_sandbox/expire-tokens", post(expire_tokens))
        .route("/_sandbox/state", get(state))
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
        Ok(b) => rules::check(&inner.world, &app.catalog, &b, today).map_err(|e| e.message),
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
    })
}

async fn faults(State(app): State<Arc<App>>) -> Response {
    ok(faults_json(&app))
}

/// Each field present sets its switch; `readFaultEvery: null` turns that switch off.
async fn set_faults(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let patch: Map<String, Value> = match serde_json::from_slice(&body) {
        Ok(m) => m,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("body must be a JSON object: {e}"),
            );
        }
    };
    // Validate everything before changing anything.
    let mut updates: Vec<Box<dyn FnOnce(&mut super::app::Inner)>> = Vec::new();
    for (key, value) in patch {
        let bad = |what: &str| error(StatusCode::BAD_REQUEST, format!("{key} must be {what}"));
        match key.as_str() {
            "failRate" => match value.as_f64() {
                Some(p) if (0.0..=1.0).contains(&p) => {
                    updates.push(Box::new(move |i| i.faults.fail_rate = sanitize_rate(p)));
                }
                _ => return bad("a number between 0 and 1"),
            },
            "retryAfterSecs" => match value.as_u64() {
                Some(s) => updates.push(Box::new(move |i| i.faults.retry_after_secs = s)),
                None => return bad("a whole number of seconds"),
            },
            "stallSecs" => match value.as_u64() {
                Some(s) => {
                    updates.push(Box::new(move |i| i.faults.stall = Duration::from_secs(s)));
                }
                None => return bad("a whole number of seconds"),
            },
            "latencyMs" => match value.as_u64() {
                Some(ms) => {
                    updates.push(Box::new(move |i| {
                        i.faults.latency = Duration::from_millis(ms)
                    }));
                }
                None => return bad("a whole number of milliseconds"),
            },
            "tokenLifetimeSecs" => match value.as_u64() {
                Some(s) => updates.push(Box::new(move |i| {
                    i.tokens.access_lifetime = Duration::from_secs(s);
                })),
                None => return bad("a whole number of seconds"),
            },
            "nextOrderSaves" => match serde_json::from_value::<Vec<SaveFault>>(value) {
                Ok(list) => updates.push(Box::new(move |i| {
                    i.faults.next_order_saves = list.into_iter().collect();
                })),
                Err(_) => {
                    return bad(
                        "an array of fail_before_commit, commit_then_500, commit_then_drop",
                    );
                }
            },
            "readFaultEvery" => {
                let parsed = if value.is_null() {
                    Ok(None)
                } else {
                    serde_json::from_value::<EveryNth>(value).map(Some)
                };
                match parsed {
                    Ok(every) => updates.push(Box::new(move |i| i.faults.read_fault_every = every)),
                    Err(_) => {
                        return bad(
                            "null or {\"every\": N, \"kind\": \"rate_limit\"|\"server_error\"|\"stall\"}",
                        );
                    }
                }
            }
            "orderStatus" => {
                let mode = match value.as_str() {
                    Some("succeed") => OrderStatusMode::Succeed,
                    Some("pending") => OrderStatusMode::Pending,
                    _ => return bad("\"succeed\" or \"pending\""),
                };
                updates.push(Box::new(move |i| i.faults.order_status = mode));
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "unknown switch `{key}`; known: failRate, retryAfterSecs, nextOrderSaves, readFaultEvery, orderStatus, stallSecs, latencyMs, tokenLifetimeSecs"
                    ),
                );
            }
        }
    }
    {
        let mut inner = app.lock();
        for update in updates {
            update(&mut inner);
        }
    }
    ok(faults_json(&app))
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
