//! The typed endpoints against raw JSON written from the contract: query parameters, pagination,
//! exact 19-digit IDs (numbers and strings), tolerance of unknown fields, and the mapping to the
//! domain model with its errors.

use crate::support::scripted::{Fixture, Reply, client};
use entitle::api::ApiError;
use entitle::model::{Cycle, Id, OrderStatus, ProductId, ServiceKind};
use entitle::wire::{PriceLine, PriceRequest};
use serde_json::{Value, json};

/// An order time in epoch milliseconds (2026-11-18): tests add small offsets to it.
const T0: i64 = 1_795_000_000_000;

const INSTANCES: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
const DETAIL: &str = "/product/openapi/instance_product/v1/detail";
const CATALOG: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
const CONTACTS: &str = "/user/openapi/user/v1/client/billing_contact_list";
const ORDERS: &str = "/order/openapi/order/v1/page";
const AUTO_RENEW: &str = "/order/openapi/order/v1/check/existed_auto_renew";
const PRICE: &str = "/pricing/openapi/purchase/v1/pricing/calculate";

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn page(results: Vec<Value>, page_no: u64, total: u64) -> Reply {
    let total_page = total.div_ceil(100);
    Reply::ok(
        json!({"count": results.len(), "pageNo": page_no, "pageSize": 100,
        "results": results, "total": total, "totalPage": total_page}),
    )
}

fn instance(n: u64) -> Value {
    json!({"productNo": format!("SN{n:05}"), "productId": 12, "productName": "P-Series Software Edition",
           "activationCode": "ABCD-EFGH", "activationStatus": "activated", "comment": "",
           "createTime": 1739250000000i64, "somethingNew": {"nested": [1, 2]}})
}

#[tokio::test]
async fn instances_pages_through_every_page_of_100_in_order() {
    let fx = Fixture::builder()
        .on_fn(INSTANCES, |req, _| {
            let page_no = req.page_no().unwrap();
            let start = (page_no - 1) * 100;
            let end = (start + 100).min(250);
            page((start..end).map(instance).collect(), page_no, 250)
        })
        .start()
        .await;
    let c = client(&fx.base_url);
    let list = c.instances(ProductId(12)).await.unwrap();
    assert_eq!(list.len(), 250);
    assert_eq!(list[0].product_no, "SN00000");
    assert_eq!(list[249].product_no, "SN00249");
    assert!(list.windows(2).all(|w| w[0].product_no < w[1].product_no));

    let mut queries: Vec<_> = fx
        .requests_to(INSTANCES)
        .iter()
        .map(|r| r.query_pairs())
        .collect();
    queries.sort_by_key(|p| p[1].1.clone());
    assert_eq!(
        queries,
        [
            q(&[("productId", "12"), ("pageNo", "1"), ("pageSize", "100")]),
            q(&[("productId", "12"), ("pageNo", "2"), ("pageSize", "100")]),
            q(&[("productId", "12"), ("pageNo", "3"), ("pageSize", "100")]),
        ]
    );
}

#[tokio::test]
async fn instances_with_an_absurd_page_count_is_an_error_not_a_flood() {
    let fx = Fixture::builder()
        .on(
            INSTANCES,
            vec![Reply::ok(
                json!({"results": [instance(1)], "totalPage": 99_999_999u64}),
            )],
        )
        .start()
        .await;
    let err = client(&fx.base_url)
        .instances(ProductId(12))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("totalPage 99999999"), "{err}");
    assert_eq!(fx.requests_to(INSTANCES).len(), 1);
}

#[tokio::test]
async fn instance_detail_maps_to_observed_state_with_exact_ids() {
    let fx = Fixture::builder()
        .on(
            DETAIL,
            vec![Reply::ok(json!({
                "productNo": "3658B431119665QJ", "productId": 13, "productName": "P-Series Cloud PBX",
                "activationCode": "X", "activationStatus": "activated", "comment": "Acme",
                "createTime": 1739250000000i64,
                "planId": 3048571730026938368u64, "planName": "Enterprise Plan",
                "billingCycle": "annually", "multiCycle": 1, "expireDate": "2026-12-10",
                "extensionCount": 100, "concurrentCallCount": 0, "recordingMinutes": 0,
                "currentPlan": "", "currentPlanExpireDate": "",
                "serviceList": [{"serviceId": "3048573935752720384", "serviceName": "High Availability",
                                 "quantity": 100, "expireDate": "2026-12-10", "futureField": true}],
                "unknownTopLevel": "ignored"
            }))],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let pbx = c.instance(ProductId(13), "3658B431119665QJ").await.unwrap();
    let plan = pbx.plan.as_ref().unwrap();
    assert_eq!(plan.id, Id(3048571730026938368));
    assert_eq!(plan.id.to_string(), "3048571730026938368");
    assert_eq!((plan.cycle, plan.multi_cycle), (Cycle::Annually, 1));
    assert_eq!(plan.expires.to_string(), "2026-12-10");
    assert_eq!(pbx.extensions, 100);
    assert_eq!(pbx.services[0].id, Id(3048573935752720384));
    assert_eq!(pbx.services[0].quantity, 100);
    assert_eq!(pbx.auto_renew, None);
    assert_eq!(pbx.pending_switch, None);
    assert_eq!(
        fx.requests_to(DETAIL)[0].query_pairs(),
        q(&[("productId", "13"), ("productNo", "3658B431119665QJ")])
    );
}

#[tokio::test]
async fn instance_errors_name_the_sn_and_the_field() {
    let fx = Fixture::builder()
        .on_fn(DETAIL, |req, _| {
            if req.query.contains("UNKNOWN") {
                Reply::error(404, "not_found", "SN not found")
            } else {
                Reply::ok(json!({"productNo": "3631E0997265", "productId": 11,
                    "planId": 3048560232537899008u64, "billingCycle": "monthly",
                    "multiCycle": 0, "expireDate": "20-12-2026"}))
            }
        })
        .start()
        .await;
    let c = client(&fx.base_url);
    let err = c.instance(ProductId(11), "UNKNOWN1").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.to_string(),
        "GET /product/openapi/instance_product/v1/detail?productId=11&productNo=UNKNOWN1: 404 \
         not_found: SN not found (request 0123456789abcdef0123456789abcdef)"
    );
    let err = c.instance(ProductId(11), "3631E0997265").await.unwrap_err();
    let ApiError::Mapping { source, .. } = &err else {
        panic!("expected a mapping error, got {err:?}");
    };
    assert_eq!(source.sn.as_deref(), Some("3631E0997265"));
    assert_eq!(source.field, "expireDate");
    assert_eq!(
        err.to_string(),
        "GET /product/openapi/instance_product/v1/detail?productId=11&productNo=3631E0997265: \
         PBX 3631E0997265 (appliance): field `expireDate`: `20-12-2026` is not a date in the form \
         YYYY-MM-DD (request 59d974128ae8b000e0ab1a907dc96a13)"
    );
    // A mapping error is not transient: one request only.
    assert_eq!(fx.requests_to(DETAIL).len(), 2);
}

#[tokio::test]
async fn catalog_for_a_per_pbx_product_sends_the_sn() {
    let fx = Fixture::builder()
        .on(
            CATALOG,
            vec![Reply::ok(json!({
                "offeringId": 3049000000000000001u64, "productId": 9, "productName": "Linkus Cloud Service",
                "planList": [
                    {"planId": "3048918321840570368", "planName": "Linkus Cloud Service", "pricingId": 1,
                     "tier": 1, "billingCycles": ["annually"], "purchaseType": "purchase"},
                    {"planId": 3048918719332507648u64, "planName": "Linkus Cloud Service Pro",
                     "tier": 2, "billingCycles": ["annually"], "purchaseType": "purchase"}],
                "serviceList": []
            }))],
        )
        .start()
        .await;
    let c = client(&fx.base_url);
    let cat = c.catalog(ProductId(9), Some("369471667338")).await.unwrap();
    assert_eq!(cat.plans.len(), 2);
    assert_eq!(cat.plans[0].id, Id(3048918321840570368));
    assert_eq!(cat.plans[1].id, Id(3048918719332507648));
    assert_eq!(cat.plans[1].tier, 2);
    assert_eq!(
        fx.requests_to(CATALOG)[0].query_pairs(),
        q(&[("productId", "9"), ("productNo", "369471667338")])
    );
}

#[tokio::test]
async fn catalog_services_and_requirements() {
    let fx = Fixture::builder()
        .on(
            CATALOG,
            vec![Reply::ok(json!({
                "offeringId": "3049000000000000001", "productId": 12, "productName": "P-Series Software Edition",
                "planList": [{"planId": 3049040650094403584u64, "planName": "Enterprise Plan", "tier": 2,
                              "billingCycles": ["annually"]}],
                "serviceList": [
                    {"serviceId": 3115983610256539648u64, "serviceName": "Hotel PMS Integration",
                     "kind": "feature", "requiresPlanIds": [], "billingCycles": ["annually"]},
                    {"serviceId": 3115983610256530001u64, "serviceName": "Disaster Recovery",
                     "kind": "feature", "requiresPlanIds": ["3049040650094409999"], "billingCycles": ["annually"]},
                    {"serviceId": 3049060579827040256u64, "serviceName": "Extension Expansion",
                     "kind": "extensions", "requiresPlanIds": [], "billingCycles": ["annually"]}]
            }))],
        )
        .start()
        .await;
    let cat = client(&fx.base_url)
        .catalog(ProductId(12), None)
        .await
        .unwrap();
    assert_eq!(
        fx.requests_to(CATALOG)[0].query_pairs(),
        q(&[("productId", "12")])
    );
    assert_eq!(
        cat.services[1].requires_plan_ids,
        vec![Id(3049040650094409999)]
    );
    assert_eq!(
        cat.capacity_service(ServiceKind::Extensions).unwrap().id,
        Id(3049060579827040256)
    );
}

#[tokio::test]
async fn contacts_orders_auto_renew_and_price() {
    let order = |n: i64, created: i64| {
        json!({"id": format!("32062710469340610{n:02}"), "orderNo": format!("UO32062710469340610{n:02}"),
               "orderStatus": "succeed", "createTime": T0 + created, "currencyCode": "USD",
               "customReferenceNo": format!("ent-{n}"), "invoiceNo": "", "productId": 12,
               "productNo": "3651D3296882", "operationType": "purchase_service", "totalAmount": "1180.00"})
    };
    let fx = Fixture::builder()
        .on(
            CONTACTS,
            vec![Reply::ok(
                json!([{"billingContactId": "3197218168379846218",
                "emailAddress": "billing@example.com", "firstName": "Bo", "lastName": "Li",
                "company": "Example", "phoneNumber": "", "country": "", "stateProvince": "",
                "city": "", "street": "", "zipCode": "", "taxNum": "", "remark": ""}]),
            )],
        )
        .on_fn(ORDERS, move |req, _| match req.page_no().unwrap() {
            1 => page(vec![order(1, 5000), order(2, 4000)], 1, 500),
            2 => page(vec![order(3, 3000), order(4, 1000)], 2, 500),
            _ => panic!("paged past the first older order"),
        })
        .on(AUTO_RENEW, vec![Reply::ok(json!({"autoRenew": true}))])
        .on(
            PRICE,
            vec![Reply::ok(
                json!({"currencyCode": "USD", "totalAmount": "1180.00",
                "items": [{"serviceId": 3115983610256539648u64, "amount": "1180.00"}]}),
            )],
        )
        .start()
        .await;
    let c = client(&fx.base_url);

    let contacts = c.billing_contacts().await.unwrap();
    assert_eq!(contacts[0].id, Id(3197218168379846218));
    assert_eq!(contacts[0].name, "Bo Li");

    let recent = c.recent_orders(T0 + 2000).await.unwrap();
    let refs: Vec<_> = recent
        .iter()
        .map(|o| o.reference.clone().unwrap())
        .collect();
    assert_eq!(refs, ["ent-1", "ent-2", "ent-3"]);
    assert_eq!(recent[0].id, Id(3206271046934061001));
    assert_eq!(recent[0].status, OrderStatus::Succeed);
    let pages: Vec<_> = fx
        .requests_to(ORDERS)
        .iter()
        .map(|r| r.query_pairs())
        .collect();
    assert_eq!(
        pages,
        [
            q(&[
                ("pageNo", "1"),
                ("pageSize", "100"),
                ("sort", "-createTime")
            ]),
            q(&[
                ("pageNo", "2"),
                ("pageSize", "100"),
                ("sort", "-createTime")
            ]),
        ]
    );

    assert!(c.auto_renew(ProductId(12), "3651D3296882").await.unwrap());
    assert_eq!(
        fx.requests_to(AUTO_RENEW)[0].query_pairs(),
        q(&[("productNo", "3651D3296882"), ("productId", "12")])
    );

    // The documented calculator body: lines priced by pricingId, no serviceId, no billingId.
    let body = PriceRequest {
        product_id: 9,
        product_no: "369471667338".into(),
        operation_type: "purchase_plan".into(),
        service_list: vec![PriceLine {
            service_type: "plan".into(),
            pricing_id: Id(3048918321840570369),
            billing_cycle: "annually".into(),
            quantity: None,
        }],
        partner_view: None,
    };
    let price = c.price(&body).await.unwrap();
    assert_eq!(
        (price.price.currency.as_str(), price.price.total.as_str()),
        ("USD", "1180.00")
    );
    assert_eq!(
        fx.requests_to(PRICE)[0].json(),
        json!({"productId": 9, "productNo": "369471667338", "operationType": "purchase_plan",
               "serviceList": [{"serviceType": "plan", "pricingId": 3048918321840570369u64,
                                "billingCycle": "annually"}]})
    );
}

#[tokio::test]
async fn order_lookup_by_number() {
    let fx = Fixture::builder()
        .on(
            "/order/openapi/order/v1/get/UO3206271046934061056",
            vec![Reply::ok(json!({"basicInformation": {"x": 1}, "orderInformation": {
                "id": 3206271046934061056u64, "orderNo": "UO3206271046934061056", "orderStatus": "pending",
                "createTime": 1763800000000i64, "productId": 12, "productNo": "3651D3296882",
                "customReferenceNo": "ent-3f9c0a7d1b2e4c55"}}))],
        )
        .start()
        .await;
    let o = client(&fx.base_url)
        .order("UO3206271046934061056")
        .await
        .unwrap();
    assert_eq!(o.id, Id(3206271046934061056));
    assert_eq!(o.status, OrderStatus::Pending);
    assert_eq!(o.reference.as_deref(), Some("ent-3f9c0a7d1b2e4c55"));
}

#[tokio::test]
async fn a_body_that_is_not_the_envelope_is_reported_with_an_excerpt() {
    let fx = Fixture::builder()
        .on(CONTACTS, vec![Reply::raw(200, "<html>maintenance</html>")])
        .start()
        .await;
    let err = client(&fx.base_url).billing_contacts().await.unwrap_err();
    assert!(
        err.to_string().starts_with(
            "GET /user/openapi/user/v1/client/billing_contact_list: 200 unexpected response: the \
             body is not the API's JSON envelope ("
        ),
        "{err}"
    );
    assert!(
        err.to_string().ends_with("`<html>maintenance</html>`"),
        "{err}"
    );
    // The envelope says success but the result has the wrong shape: also reported, not guessed.
    let fx = Fixture::builder()
        .on(CONTACTS, vec![Reply::ok(json!({"not": "a list"}))])
        .start()
        .await;
    let err = client(&fx.base_url).billing_contacts().await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unexpected response: the result does not have the contract's shape"),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("(request 59d974128ae8b000e0ab1a907dc96a13)"),
        "{err}"
    );
}

#[tokio::test]
async fn an_error_code_under_http_200_is_still_an_error() {
    let fx = Fixture::builder()
        .on(
            CONTACTS,
            vec![Reply::raw(
                200,
                json!({"code": "parameter_validation_failed", "detailMessage": "bad request",
                       "requestId": "ab", "result": {"field": "pageSize", "reason": "at most 100"},
                       "status": 400})
                .to_string(),
            )],
        )
        .start()
        .await;
    let err = client(&fx.base_url).billing_contacts().await.unwrap_err();
    assert_eq!(err.code(), Some("parameter_validation_failed"));
    assert_eq!(
        err.to_string(),
        "GET /user/openapi/user/v1/client/billing_contact_list: 200 parameter_validation_failed: \
         bad request (field `pageSize`: at most 100) (request ab)"
    );
}

#[tokio::test]
async fn instances_keeps_paging_while_pages_are_full_even_without_a_page_count() {
    // No totalPage, and a server that caps pages at 50: 50 + 50 + 10 PBXs.
    let fx = Fixture::builder()
        .on_fn(INSTANCES, |req, _| {
            let n = req.page_no().unwrap();
            let start = (n - 1) * 50;
            let end = (start + 50).min(110);
            let results: Vec<Value> = (start..end).map(instance).collect();
            Reply::ok(json!({"pageNo": n, "pageSize": 50, "results": results}))
        })
        .start()
        .await;
    let list = client(&fx.base_url).instances(ProductId(12)).await.unwrap();
    assert_eq!(list.len(), 110);
    let pages: Vec<u64> = fx
        .requests_to(INSTANCES)
        .iter()
        .map(|r| r.page_no().unwrap())
        .collect();
    assert_eq!(pages, [1, 2, 3]);
}

#[tokio::test]
async fn recent_orders_does_not_trust_an_unsorted_page_to_stop() {
    let order = |id: u64, created: i64| {
        json!({"id": id, "orderNo": format!("UO{id}"), "orderStatus": "succeed",
               "createTime": T0 + created, "productId": 12, "productNo": "3651D3296882",
               "customReferenceNo": format!("ent-{id}")})
    };
    let fx = Fixture::builder()
        .on_fn(ORDERS, move |req, _| match req.page_no().unwrap() {
            // Oldest first: the server ignored `sort`.
            1 => Reply::ok(json!({"results": [order(1, 1000), order(2, 5000)], "totalPage": 2})),
            _ => Reply::ok(json!({"results": [order(3, 6000)], "totalPage": 2})),
        })
        .start()
        .await;
    let recent = client(&fx.base_url).recent_orders(T0 + 2000).await.unwrap();
    // Newest first, whatever order the list came in.
    let ids: Vec<Id> = recent.iter().map(|o| o.id).collect();
    assert_eq!(ids, [Id(3), Id(2)]);
    let pages: Vec<u64> = fx
        .requests_to(ORDERS)
        .iter()
        .map(|r| r.page_no().unwrap())
        .collect();
    assert_eq!(pages, [1, 2]);
}
