//! The five seed tutorials' request bodies, sent byte for byte to a demo sandbox: each is
//! accepted, has its effect, and lands in the order log exactly as sent.

use crate::support::sandbox::Sb;
use crate::support::{seed_text, seed_with};
use serde_json::{Value, json};

/// Sends a seed body and checks the answer's shape.
async fn accept(sb: &Sb, n: u32, sn: &str) -> Value {
    let a = sb.save(&seed_text(n)).await;
    let r = a.ok().clone();
    assert_eq!(r["orderStatus"], "succeed");
    assert_eq!(r["productNo"], sn);
    let no = r["orderNo"].as_str().unwrap();
    assert!(no.starts_with("UO") && no.len() == 21, "{no}");
    assert!(no[2..].bytes().all(|b| b.is_ascii_digit()));
    assert!(r["transactionNo"].as_str().unwrap().len() > 2);
    assert!(r["instanceId"].is_string());
    r
}

#[tokio::test]
async fn seed_000_subscribes_hotel_pms() {
    let sb = Sb::demo().await;
    accept(&sb, 0, "3651D3296882").await;
    let d = sb.detail(12, "3651D3296882").await;
    assert_eq!(
        d["serviceList"],
        json!([{"serviceId": 3115983610256539648u64, "serviceName": "Hotel PMS Integration",
                "quantity": 0, "expireDate": "2027-05-01"}])
    );
    assert_eq!(d["planId"], json!(3049040650094403584u64));
    assert_eq!(d["extensionCount"], 100);
}

#[tokio::test]
async fn seed_001_adds_200_extensions_without_multi_cycle() {
    let sb = Sb::demo().await;
    accept(&sb, 1, "3651D3296882").await;
    let d = sb.detail(12, "3651D3296882").await;
    assert_eq!(d["extensionCount"], 300);
    assert_eq!(d["concurrentCallCount"], 30);
    // Capacity is a counter, not a subscribed service.
    assert_eq!(d["serviceList"], json!([]));
}

#[tokio::test]
async fn seed_002_switches_monthly_enterprise_to_one_year_ultimate() {
    let sb = Sb::demo().await;
    accept(&sb, 2, "3631E0997265").await;
    let d = sb.detail(11, "3631E0997265").await;
    assert_eq!(d["planId"], json!(3048560606464323584u64));
    assert_eq!(d["planName"], "Ultimate Plan");
    assert_eq!(d["billingCycle"], "annually");
    assert_eq!(d["multiCycle"], 1);
    // An upgrade from monthly starts a one-year term today.
    assert_eq!(d["expireDate"], "2027-11-22");
    assert_eq!(d["currentPlan"], "");
    assert_eq!(d["currentPlanExpireDate"], "");
}

#[tokio::test]
async fn seed_003_buys_linkus_for_a_year() {
    let sb = Sb::demo().await;
    let before = sb.detail(9, "369471667338").await;
    assert_eq!(before["planId"], Value::Null);
    assert_eq!(before["planName"], "");
    assert_eq!(before["expireDate"], "");
    accept(&sb, 3, "369471667338").await;
    let d = sb.detail(9, "369471667338").await;
    assert_eq!(d["planId"], json!(3048918321840570368u64));
    assert_eq!(d["planName"], "Linkus Cloud Service");
    assert_eq!(d["billingCycle"], "annually");
    assert_eq!(d["multiCycle"], 1);
    assert_eq!(d["expireDate"], "2027-11-22");
}

#[tokio::test]
async fn seed_004_renews_plan_and_high_availability_one_term() {
    let sb = Sb::demo().await;
    accept(&sb, 4, "3658B431119665QJ").await;
    let d = sb.detail(13, "3658B431119665QJ").await;
    assert_eq!(d["expireDate"], "2027-12-10");
    assert_eq!(d["extensionCount"], 100);
    assert_eq!(
        d["serviceList"],
        json!([{"serviceId": 3048573935752720384u64, "serviceName": "High Availability",
                "quantity": 100, "expireDate": "2027-12-10"}])
    );
}

#[tokio::test]
async fn all_five_in_a_row_and_the_log_holds_the_bodies_as_sent() {
    let sb = Sb::demo().await;
    for (n, sn) in [
        (0, "3651D3296882"),
        (1, "3651D3296882"),
        (2, "3631E0997265"),
        (3, "369471667338"),
        (4, "3658B431119665QJ"),
    ] {
        accept(&sb, n, sn).await;
    }
    let orders = sb.orders().await;
    assert_eq!(orders.len(), 5);
    for (n, o) in orders.iter().enumerate() {
        let sent: Value = serde_json::from_str(&seed_text(n as u32)).unwrap();
        assert_eq!(o["body"], sent, "order {n}");
        assert_eq!(o["status"], "succeed");
        assert_eq!(o["operationType"], sent["operationType"]);
        assert_eq!(o["productId"], sent["productId"]);
        assert_eq!(o["productNo"], sent["productNo"]);
        assert_eq!(o["poNumber"], Value::Null);
    }
    // The raw admin text keeps the 19-digit IDs exact.
    let raw = sb
        .http
        .get(format!("{}/_sandbox/orders", sb.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(raw.contains("\"billingId\":3197218168379846218"));
    assert!(raw.contains("\"connectionPlanId\":3048571730026938368"));
}

#[tokio::test]
async fn po_number_is_echoed_as_custom_reference_no() {
    let sb = Sb::demo().await;
    let body = seed_with(0, |v| v["poNumber"] = json!("ent-3f9c0a7d1b2e4c55"));
    let placed = sb.save(&body).await.ok().clone();
    let page = sb.get("/order/openapi/order/v1/page").await.ok().clone();
    let info = &page["results"][0];
    assert_eq!(info["customReferenceNo"], "ent-3f9c0a7d1b2e4c55");
    assert_eq!(info["orderNo"], placed["orderNo"]);
    assert_eq!(info["orderStatus"], "succeed");
    assert_eq!(info["operationType"], "purchase_service");
    assert_eq!(info["productId"], 12);
    assert_eq!(info["productNo"], "3651D3296882");
    assert_eq!(info["currencyCode"], "USD");
    assert_eq!(info["totalAmount"], "1180.00");
    let id = info["id"].as_str().unwrap();
    assert_eq!(id.len(), 19);
    assert_eq!(format!("UO{id}"), placed["orderNo"].as_str().unwrap());
    // L7 by order number and by id.
    for key in [placed["orderNo"].as_str().unwrap(), id] {
        let detail = sb
            .get(&format!("/order/openapi/order/v1/get/{key}"))
            .await
            .ok()
            .clone();
        assert_eq!(
            detail["orderInformation"]["customReferenceNo"],
            "ent-3f9c0a7d1b2e4c55"
        );
        assert_eq!(detail["basicInformation"]["orderNo"], placed["orderNo"]);
    }
    let orders = sb.orders().await;
    assert_eq!(orders[0]["poNumber"], "ent-3f9c0a7d1b2e4c55");
}

/// Seed 004 as the documented calculator body: each line priced by its catalog pricingId (the
/// sandbox's is the plan or service ID plus one), with no serviceId and no billingId.
fn seed_4_quote(quantity: u32) -> String {
    json!({
        "productId": 13, "productNo": "3658B431119665QJ", "operationType": "renew_plan",
        "serviceList": [
            {"serviceType": "plan", "pricingId": 3048571730026938369u64,
             "billingCycle": "annually", "quantity": quantity},
            {"serviceType": "service", "pricingId": 3048573935752720385u64,
             "billingCycle": "annually"}]
    })
    .to_string()
}

#[tokio::test]
async fn quotes_use_the_same_prices_and_change_nothing() {
    let sb = Sb::demo().await;
    let q = sb.quote(&seed_4_quote(100)).await.ok().clone();
    assert_eq!(
        q,
        json!({"currencyCode": "USD", "totalAmount": "5000.00", "items": [
            {"serviceId": 3048571730026938368u64, "amount": "4000.00"},
            {"serviceId": 3048573935752720384u64, "amount": "1000.00"}]})
    );
    assert!(sb.orders().await.is_empty());
    assert_eq!(
        sb.detail(13, "3658B431119665QJ").await["expireDate"],
        "2026-12-10"
    );
    sb.save(&seed_text(4)).await.ok();
    assert_eq!(sb.orders().await[0]["totalAmount"], "5000.00");
    // A quote runs the same rules as an order.
    sb.quote(&seed_4_quote(99)).await.violates("rule 5");
    // An order body is not a calculator body.
    sb.quote(&seed_text(4))
        .await
        .refused(400, "parameter_validation_failed");
}
