//! Injected faults (reads: 429 with Retry-After, 500, stalls; order saves: failure before the
//! commit, commit then 500, commit then a dropped connection), latency, and pending orders paid
//! through the admin endpoint.

use std::time::{Duration, Instant};

use crate::support::sandbox::Sb;
use crate::support::{sandbox_config, seed_text, seed_with};
use entitle::sandbox::{OrderStatusMode, SandboxConfig};
use serde_json::json;

const PRODUCTS: &str = "/pricing/openapi/purchase/v1/product_list";

#[tokio::test]
async fn commit_then_drop_stores_the_order_and_the_client_sees_a_transport_error() {
    let sb = Sb::demo().await;
    sb.admin("faults", r#"{"nextOrderSaves": ["commit_then_drop"]}"#)
        .await;
    let body = seed_with(0, |v| v["poNumber"] = json!("ent-dropped"));
    let outcome = sb.post_raw("/order/openapi/order/v1/save", &body).await;
    let err = outcome.expect_err("the connection is dropped without an answer");
    assert!(!err.is_timeout(), "{err:?}");
    let orders = sb.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["status"], "succeed");
    assert_eq!(orders[0]["poNumber"], "ent-dropped");
    // The effect happened, and the order is findable by its reference.
    assert_eq!(
        sb.detail(12, "3651D3296882").await["serviceList"][0]["serviceName"],
        "Hotel PMS Integration"
    );
    let page = sb.get("/order/openapi/order/v1/page").await.ok().clone();
    assert_eq!(page["results"][0]["customReferenceNo"], "ent-dropped");
    let log = sb.admin_get("requests").await;
    let saves: Vec<_> = log["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == "/order/openapi/order/v1/save")
        .collect();
    assert_eq!(saves.len(), 1);
    assert_eq!(saves[0]["status"], 0);
    assert_eq!(sb.served().await, json!({"commit_then_drop": 1}));
    // The queue is consumed: the next save answers normally.
    sb.save(&seed_text(1)).await.ok();
    assert_eq!(sb.served().await, json!({"commit_then_drop": 1}));
}

#[tokio::test]
async fn commit_then_500_and_fail_before_commit() {
    let sb = Sb::demo().await;
    let (status, faults) = sb
        .admin_post(
            "faults",
            r#"{"nextOrderSaves": ["fail_before_commit", "commit_then_500"]}"#,
        )
        .await;
    assert_eq!(status, 200, "{faults}");
    assert_eq!(
        faults["nextOrderSaves"],
        json!(["fail_before_commit", "commit_then_500"])
    );
    let a = sb.save(&seed_text(1)).await;
    a.refused(500, "internal_error");
    assert!(
        sb.orders().await.is_empty(),
        "nothing stored before the commit"
    );
    assert_eq!(sb.detail(12, "3651D3296882").await["extensionCount"], 100);
    let a = sb.save(&seed_text(1)).await;
    a.refused(500, "internal_error");
    assert_eq!(sb.orders().await.len(), 1, "stored, then the answer failed");
    assert_eq!(sb.detail(12, "3651D3296882").await["extensionCount"], 300);
    sb.save(&seed_text(1)).await.ok();
    assert_eq!(sb.detail(12, "3651D3296882").await["extensionCount"], 500);
    assert_eq!(
        sb.served().await,
        json!({"commit_then_500": 1, "fail_before_commit": 1})
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let sb = Sb::demo().await;
    sb.admin(
        "faults",
        r#"{"readFaultEvery": {"every": 2, "kind": "rate_limit"}}"#,
    )
    .await;
    let statuses = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(sb.get(PRODUCTS).await);
        }
        v
    };
    assert_eq!(
        statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
        [200, 429, 200, 429]
    );
    statuses[1].refused(429, "too_many_requests");
    assert_eq!(statuses[1].retry_after.as_deref(), Some("1"));
    assert_eq!(statuses[0].retry_after, None);
    sb.admin(
        "faults",
        r#"{"retryAfterSecs": 0, "readFaultEvery": {"every": 1, "kind": "rate_limit"}}"#,
    )
    .await;
    let a = sb.get(PRODUCTS).await;
    a.refused(429, "too_many_requests");
    assert_eq!(a.retry_after.as_deref(), Some("0"));
    // Order saves are not reads: no rate limit there.
    sb.save(&seed_text(2)).await.ok();
    sb.admin("faults", r#"{"readFaultEvery": null}"#).await;
    sb.get(PRODUCTS).await.ok();
    assert_eq!(sb.served().await, json!({"rate_limit": 3}));
}

#[tokio::test]
async fn server_errors_and_stalls_on_reads() {
    let sb = Sb::demo().await;
    sb.admin(
        "faults",
        r#"{"readFaultEvery": {"every": 1, "kind": "server_error"}}"#,
    )
    .await;
    sb.get(PRODUCTS).await.refused(500, "internal_error");
    sb.admin(
        "faults",
        r#"{"readFaultEvery": {"every": 1, "kind": "stall"}, "stallSecs": 600}"#,
    )
    .await;
    let err = sb
        .http
        .get(format!("{}{PRODUCTS}", sb.base))
        .header("User-Agent", "t")
        .header("Authorization", format!("Bearer {}", sb.token))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("a stalled read times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        sb.served().await,
        json!({"server_error": 1, "stall": 1}),
        "the timeout came from the stall"
    );
    // Unknown switches are refused.
    let (status, body) = sb.admin_post("faults", r#"{"failrate": 1}"#).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("failRate"));
}

#[tokio::test]
async fn fail_rate_is_replayable_from_the_rng_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let sb = Sb::with(SandboxConfig {
            fail_rate: 0.4,
            rng_seed: seed,
            ..sandbox_config()
        })
        .await;
        // Stalls answer at once here, so the run stays short.
        sb.admin("faults", r#"{"stallSecs": 0}"#).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(sb.get(PRODUCTS).await.status);
        }
        let served = sb.served().await;
        let faults: u64 = ["rate_limit", "server_error", "stall"]
            .iter()
            .map(|k| served[k].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(
            faults as usize,
            statuses.iter().filter(|s| **s != 200).count(),
            "{served}"
        );
        statuses
    }
    let a = run(11).await;
    assert_eq!(a, run(11).await);
    assert!(a.contains(&200));
    assert!(a.iter().any(|s| *s == 429 || *s == 500), "{a:?}");
}

#[tokio::test]
async fn latency_delays_vendor_answers() {
    let sb = Sb::with(SandboxConfig {
        latency_ms: 150,
        ..sandbox_config()
    })
    .await;
    let started = Instant::now();
    sb.get(PRODUCTS).await.ok();
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn pending_orders_change_nothing_until_paid() {
    let sb = Sb::with(SandboxConfig {
        order_status: OrderStatusMode::Pending,
        ..sandbox_config()
    })
    .await;
    let placed = sb.save(&seed_text(1)).await.ok().clone();
    assert_eq!(placed["orderStatus"], "pending");
    assert_eq!(sb.detail(12, "3651D3296882").await["extensionCount"], 100);
    let page = sb.get("/order/openapi/order/v1/page").await.ok().clone();
    assert_eq!(page["results"][0]["orderStatus"], "pending");
    let no = placed["orderNo"].as_str().unwrap();
    let (status, order) = sb.admin_post(&format!("orders/{no}/pay"), "").await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["status"], "succeed");
    assert_eq!(sb.detail(12, "3651D3296882").await["extensionCount"], 300);
    let page = sb.get("/order/openapi/order/v1/page").await.ok().clone();
    assert_eq!(page["results"][0]["orderStatus"], "succeed");
    let (status, _) = sb.admin_post(&format!("orders/{no}/pay"), "").await;
    assert_eq!(status, 409, "paid once");
    let (status, _) = sb.admin_post("orders/UO1/pay", "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_pending_order_that_no_longer_fits_fails_when_paid() {
    let sb = Sb::demo().await;
    sb.admin("faults", r#"{"orderStatus": "pending"}"#).await;
    let renewal = sb.save(&seed_text(4)).await.ok().clone();
    assert_eq!(renewal["orderStatus"], "pending");
    sb.admin("faults", r#"{"orderStatus": "succeed"}"#).await;
    // The extension count moves on: the renewal's quantity 100 is now wrong.
    let grow = json!({"operationType": "purchase_service", "productId": 13, "productNo": "3658B431119665QJ",
        "billingId": crate::support::CONTACT, "serviceList": [{"connectionPlanId": 3048571730026938368u64,
        "serviceType": "service", "serviceId": 3048573516041273344u64, "quantity": 20,
        "purchaseType": "purchase", "billingCycle": "annually"}]});
    sb.save(&grow.to_string()).await.ok();
    let no = renewal["orderNo"].as_str().unwrap();
    let (status, body) = sb.admin_post(&format!("orders/{no}/pay"), "").await;
    assert_eq!(status, 409);
    assert!(body["error"].as_str().unwrap().contains("rule 5"), "{body}");
    assert_eq!(sb.orders().await[0]["status"], "failed");
    assert_eq!(
        sb.detail(13, "3658B431119665QJ").await["expireDate"],
        "2026-12-10"
    );
}
