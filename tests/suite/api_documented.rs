//! The client against raw answers shaped as the vendor documents them and no more (vendor-api
//! section 8): only confirmed fields, IDs as strings, times in seconds, no `customReferenceNo`
//! echo, pages capped at 50 and `sort` ignored: the detail, the catalog, the PBX list, the
//! contacts, the order list and an order's detail. Written from the contract, not the sandbox.

use crate::support::scripted::{Fixture, Reply, client};
use entitle::model::{Id, ProductId, ServiceKind};
use serde_json::{Value, json};

const DETAIL: &str = "/product/openapi/instance_product/v1/detail";
const CATALOG: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
const ORDERS: &str = "/order/openapi/order/v1/page";

/// 2026-11-18, in epoch seconds.
const T0_SECS: i64 = 1_795_000_000;

#[tokio::test]
async fn a_detail_of_confirmed_fields_only_says_what_it_does_not_say() {
    let fx = Fixture::builder()
        .on(
            DETAIL,
            vec![Reply::ok(json!({
                "activationCode": "ABCD-EFGH", "activationStatus": "activated",
                "comment": "Acme HQ", "createTime": "1739250000",
                "currentPlan": "", "currentPlanExpireDate": ""
            }))],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let o = c.instance(ProductId(12), "3651D3296882").await.unwrap();
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
    assert_eq!(
        (o.sn.as_str(), o.comment.as_str()),
        ("3651D3296882", "Acme HQ")
    );
}

#[tokio::test]
async fn a_catalog_of_confirmed_fields_with_string_ids_is_completed_from_the_facts_table() {
    let fx = Fixture::builder()
        .on(
            CATALOG,
            vec![Reply::ok(json!({
                "offeringId": "3049000000000000001", "productId": "12",
                "planList": [
                    {"planId": "3049040650094403584", "planName": "Enterprise Plan",
                     "pricingId": "3049040650094403585", "purchaseType": "purchase"}],
                "serviceList": [
                    {"serviceId": "3049060579827040256", "serviceName": "Extension Expansion",
                     "pricingId": "3049060579827040257", "purchaseType": "purchase"},
                    {"serviceId": "3115983610256539648", "serviceName": "Hotel PMS Integration",
                     "pricingId": "3115983610256539649", "purchaseType": "purchase"},
                    {"serviceId": "1", "serviceName": "Something Else", "purchaseType": "purchase"}]
            }))],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let cat = c.catalog(ProductId(12), None).await.unwrap();
    assert_eq!(cat.plans[0].id, Id(3049040650094403584));
    assert_eq!(cat.plans[0].tier, 2);
    assert!(cat.plans[0].cycles.is_empty());
    assert_eq!(cat.plans[0].pricing_id, Some(Id(3049040650094403585)));
    let kinds: Vec<ServiceKind> = cat.services.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            ServiceKind::Extensions,
            ServiceKind::Feature,
            ServiceKind::Unknown
        ]
    );
    assert_eq!(cat.services[2].pricing_id, None);
}

/// An order as documented: string IDs, time in seconds, no echo.
fn order(n: i64) -> Value {
    json!({"id": format!("32062710469340{n:05}"), "orderNo": format!("UO{n}"),
           "orderStatus": "succeed", "createTime": T0_SECS + n, "currencyCode": "USD",
           "productId": "12", "productNo": "3651D3296882", "operationType": "purchase_service",
           "totalAmount": "10.00"})
}

#[tokio::test]
async fn orders_come_oldest_first_in_pages_of_50_with_times_in_seconds() {
    // 120 orders, oldest first whatever `sort` asks, 50 to a page.
    let fx = Fixture::builder()
        .on_fn(ORDERS, |req, _| {
            let page_no = req.page_no().unwrap() as i64;
            let start = (page_no - 1) * 50;
            let results: Vec<Value> = (start..(start + 50).min(120)).map(order).collect();
            Reply::ok(
                json!({"count": results.len(), "pageNo": page_no, "pageSize": 50,
                             "results": results, "total": 120, "totalPage": 3}),
            )
        })
        .start()
        .await;
    let c = client(&fx.base_url);
    // The 20 newest are on the last page of an oldest-first list: still found, by reading
    // page 1, then the last page, then the one before it, which reaches older orders.
    let since_ms = (T0_SECS + 100) * 1000;
    let recent = c.recent_orders(since_ms).await.unwrap();
    let ids: Vec<String> = recent.iter().map(|o| o.order_no.clone()).collect();
    assert_eq!(
        ids,
        (100..120)
            .rev()
            .map(|n| format!("UO{n}"))
            .collect::<Vec<_>>()
    );
    assert!(recent.iter().all(|o| o.reference.is_none()));
    let pages: Vec<u64> = fx
        .requests_to(ORDERS)
        .iter()
        .map(|r| r.page_no().unwrap())
        .collect();
    assert_eq!(pages, [1, 3, 2]);
}

const INSTANCES: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
const CONTACTS: &str = "/user/openapi/user/v1/client/billing_contact_list";

#[tokio::test]
async fn the_pbx_list_in_pages_of_50_with_string_ids_is_read_whole() {
    // 120 PBXs, 50 to a page whatever `pageSize` asks, product IDs and times as strings.
    let fx = Fixture::builder()
        .on_fn(INSTANCES, |req, _| {
            let n = req.page_no().unwrap_or(1) as i64;
            let results: Vec<Value> = ((n - 1) * 50..(n * 50).min(120))
                .map(|i| {
                    json!({"productNo": format!("SN{i:04}"), "productId": "12",
                           "activationCode": "X", "activationStatus": "activated",
                           "comment": "", "createTime": (T0_SECS + i).to_string()})
                })
                .collect();
            Reply::ok(json!({"count": results.len(), "pageNo": n, "pageSize": 50,
                             "results": results, "total": 120, "totalPage": 3}))
        })
        .start()
        .await;
    let list = client(&fx.base_url).instances(ProductId(12)).await.unwrap();
    assert_eq!(list.len(), 120);
    assert_eq!(list[119].product_no, "SN0119");
    assert!(list.iter().all(|i| i.product_id == 12));
    let mut pages: Vec<u64> = fx
        .requests_to(INSTANCES)
        .iter()
        .map(|r| r.page_no().unwrap())
        .collect();
    pages.sort_unstable();
    assert_eq!(pages, [1, 2, 3]);
}

#[tokio::test]
async fn contacts_with_string_ids_keep_every_digit() {
    let fx = Fixture::builder()
        .on(
            CONTACTS,
            vec![Reply::ok(json!([
                {"billingContactId": "3197218168379846218", "emailAddress": "billing@example.com"}
            ]))],
        )
        .start()
        .await;
    let contacts = client(&fx.base_url).billing_contacts().await.unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].id, Id(3_197_218_168_379_846_218));
    assert_eq!(contacts[0].email, "billing@example.com");
}

#[tokio::test]
async fn an_order_detail_as_documented_string_ids_and_seconds() {
    let fx = Fixture::builder()
        .on(
            "/order/openapi/order/v1/get/UO3206271046934061056",
            vec![Reply::ok(json!({
                "basicInformation": {"productId": "12", "productNo": "3651D3296882"},
                "orderInformation": {
                    "id": "3206271046934061056", "orderNo": "UO3206271046934061056",
                    "orderStatus": "succeed", "createTime": T0_SECS, "productId": "12",
                    "productNo": "3651D3296882", "operationType": "purchase_service"}}))],
        )
        .start()
        .await;
    let o = client(&fx.base_url)
        .order("UO3206271046934061056")
        .await
        .unwrap();
    assert_eq!(o.id, Id(3_206_271_046_934_061_056));
    assert_eq!(o.product, ProductId(12));
    assert_eq!(o.created_ms, T0_SECS * 1000);
    assert_eq!(o.reference, None, "no echo");
}
