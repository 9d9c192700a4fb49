//! Transport, authentication, lookups and pagination of the sandbox against vendor-api
//! sections 1-3, checked with a plain HTTP client on the raw JSON.

use std::collections::HashSet;

use crate::support::sandbox::Sb;
use crate::support::{CLIENT_ID, SECRET, sandbox_config};
use entitle::sandbox::{SandboxConfig, Seed};
use serde_json::{Value, json};

const DETAIL_PCE: &str =
    "/product/openapi/instance_product/v1/detail?productId=13&productNo=3658B431119665QJ";

fn is_request_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn envelope_shape_and_unique_request_ids() {
    let sb = Sb::demo().await;
    let mut ids = HashSet::new();
    for _ in 0..20 {
        let a = sb.get("/pricing/openapi/purchase/v1/product_list").await;
        let obj = a.json.as_object().unwrap();
        let keys: Vec<_> = obj.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["code", "detailMessage", "requestId", "result", "status"]
        );
        assert_eq!(a.json["status"], 200);
        assert_eq!(a.json["detailMessage"], "");
        let id = a.json["requestId"].as_str().unwrap().to_owned();
        assert!(is_request_id(&id), "{id}");
        assert!(ids.insert(id));
    }
    let products = sb
        .get("/pricing/openapi/purchase/v1/product_list")
        .await
        .ok()
        .clone();
    assert_eq!(
        products,
        json!([{"productId": 9, "name": "Linkus Cloud Service"},
               {"productId": 11, "name": "P-Series Appliance Edition"},
               {"productId": 12, "name": "P-Series Software Edition"},
               {"productId": 13, "name": "P-Series Cloud PBX (PCE Instance)"}])
    );
    // Errors carry a request ID too.
    let a = sb.get("/order/openapi/order/v1/get/UO404").await;
    a.refused(404, "not_found");
    assert!(is_request_id(a.json["requestId"].as_str().unwrap()));
}

#[tokio::test]
async fn user_agent_is_checked_first_on_every_path() {
    let sb = Sb::demo().await;
    for path in [
        DETAIL_PCE,
        "/pricing/openapi/purchase/v1/product_list",
        "/no/such/endpoint",
    ] {
        // Even without a token, the missing User-Agent is what is reported.
        let a = sb.get_with(path, None, None).await;
        a.refused(400, "parameter_validation_failed");
        assert_eq!(a.result()["field"], "User-Agent");
    }
    let resp = sb
        .http
        .post(format!("{}/auth/openapi/v1/oauth/token", sb.base))
        .form(&[
            ("grant_type", "pp_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    crate::support::sandbox::answer(resp)
        .await
        .refused(400, "parameter_validation_failed");
}

#[tokio::test]
async fn bearer_token_is_required_and_checked() {
    let sb = Sb::demo().await;
    sb.get_with(DETAIL_PCE, None, Some("t"))
        .await
        .refused(401, "token_invalid");
    sb.get_with(DETAIL_PCE, Some("made-up"), Some("t"))
        .await
        .refused(401, "token_invalid");
    let a = sb.post("/order/openapi/order/v1/save", "{}").await;
    assert_eq!(a.status, 400, "a valid token gets to validation");
    let resp = sb
        .http
        .post(format!("{}/order/openapi/order/v1/save", sb.base))
        .header("User-Agent", "t")
        .header("Content-Type", "application/json")
        .body(crate::support::seed_text(2))
        .send()
        .await
        .unwrap();
    crate::support::sandbox::answer(resp)
        .await
        .refused(401, "token_invalid");
    assert!(sb.orders().await.is_empty());
}

#[tokio::test]
async fn tokens_expire_and_refresh() {
    let sb = Sb::demo().await;
    let issued = sb
        .token_request(&[
            ("grant_type", "pp_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ])
        .await;
    let r = issued.ok().clone();
    assert_eq!(r["tokenHead"], "Bearer");
    assert_eq!(r["expiresIn"], "1800");
    let (token, refresh) = (
        r["token"].as_str().unwrap(),
        r["refreshToken"].as_str().unwrap(),
    );
    sb.get_with(DETAIL_PCE, Some(token), Some("t")).await.ok();
    let (status, _) = sb.admin_post("expire-tokens", "").await;
    assert_eq!(status, 200);
    sb.get_with(DETAIL_PCE, Some(token), Some("t"))
        .await
        .refused(401, "token_expired");
    let renewed = sb
        .token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    let new_token = renewed.ok()["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, token);
    sb.get_with(DETAIL_PCE, Some(&new_token), Some("t"))
        .await
        .ok();
    // A refresh token is spent once used.
    sb.token_request(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await
        .refused(401, "token_invalid");
    // A short lifetime set through the admin endpoint expires tokens on its own.
    sb.admin("faults", r#"{"tokenLifetimeSecs": 0}"#).await;
    let short = sb.login().await;
    sb.get_with(DETAIL_PCE, Some(&short), Some("t"))
        .await
        .refused(401, "token_expired");
}

#[tokio::test]
async fn wrong_credentials_are_invalid_client() {
    let sb = Sb::demo().await;
    sb.token_request(&[
        ("grant_type", "pp_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", "nope"),
    ])
    .await
    .refused(401, "invalid_client");
    sb.token_request(&[
        ("grant_type", "pp_credentials"),
        ("client_id", "someone"),
        ("client_secret", SECRET),
    ])
    .await
    .refused(401, "invalid_client");
    let a = sb.token_request(&[("client_id", CLIENT_ID)]).await;
    a.refused(400, "parameter_validation_failed");
    assert_eq!(a.result()["field"], "grant_type");

    // Configured credentials are the only ones accepted.
    let sandbox = entitle::sandbox::start(SandboxConfig {
        client_id: "acme".to_owned(),
        client_secret: "s3cret".to_owned(),
        ..sandbox_config()
    })
    .await
    .unwrap();
    let http = crate::support::http_client();
    let url = format!("{}/auth/openapi/v1/oauth/token", sandbox.base_url());
    let ok = http
        .post(&url)
        .header("User-Agent", "t")
        .form(&[
            ("grant_type", "pp_credentials"),
            ("client_id", "acme"),
            ("client_secret", "s3cret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let refused = http
        .post(&url)
        .header("User-Agent", "t")
        .form(&[
            ("grant_type", "pp_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn demo_instances_and_details_are_the_contract_table() {
    let sb = Sb::demo().await;
    let mut all = Vec::new();
    for product in [9, 11, 12, 13] {
        let page = sb
            .get(&format!("/product/openapi/instance_product/v1/client/instance_product_list?productId={product}"))
            .await
            .ok()
            .clone();
        assert_eq!(page["total"], 1, "{page}");
        let inst = &page["results"][0];
        assert_eq!(inst["productId"], product);
        assert_eq!(inst["activationStatus"], "activated");
        assert!(inst["createTime"].is_i64());
        all.push(inst["productNo"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        all,
        [
            "369471667338",
            "3631E0997265",
            "3651D3296882",
            "3658B431119665QJ"
        ]
    );

    let pse = sb
        .get("/product/openapi/instance_product/v1/detail?productId=12&productNo=3651D3296882")
        .await;
    assert!(
        pse.text.contains("\"planId\":3049040650094403584"),
        "{}",
        pse.text
    );
    let d = pse.ok();
    assert_eq!(d["planName"], "Enterprise Plan");
    assert_eq!(d["billingCycle"], "annually");
    assert_eq!(d["multiCycle"], 1);
    assert_eq!(d["expireDate"], "2027-05-01");
    assert_eq!(d["extensionCount"], 100);
    assert_eq!(d["concurrentCallCount"], 30);
    assert_eq!(d["serviceList"], json!([]));
    assert_eq!(d["currentPlan"], "");

    let app = sb.detail(11, "3631E0997265").await;
    assert_eq!(app["planId"], json!(3048560232537899008u64));
    assert_eq!(app["billingCycle"], "monthly");
    assert_eq!(app["multiCycle"], 0);
    assert_eq!(app["expireDate"], "2026-12-20");

    let linkus = sb.detail(9, "369471667338").await;
    assert_eq!(linkus["planId"], Value::Null);
    assert_eq!(linkus["planName"], "");
    assert_eq!(linkus["expireDate"], "");

    let pce = sb.get(DETAIL_PCE).await;
    assert!(
        pce.text.contains("\"serviceId\":3048573935752720384"),
        "{}",
        pce.text
    );
    let d = pce.ok();
    assert_eq!(d["planId"], json!(3048571730026938368u64));
    assert_eq!(d["expireDate"], "2026-12-10");
    assert_eq!(d["extensionCount"], 100);
    assert_eq!(d["serviceList"][0]["quantity"], 100);
    assert_eq!(d["serviceList"][0]["expireDate"], "2026-12-10");
}

#[tokio::test]
async fn unknown_sn_and_product_are_not_found() {
    let sb = Sb::demo().await;
    sb.get("/product/openapi/instance_product/v1/detail?productId=12&productNo=NOSUCHSN")
        .await
        .refused(404, "not_found");
    // Known SN, other product.
    sb.get("/product/openapi/instance_product/v1/detail?productId=13&productNo=3651D3296882")
        .await
        .refused(404, "not_found");
    sb.get("/product/openapi/instance_product/v1/detail?productId=14&productNo=3651D3296882")
        .await
        .refused(404, "not_found");
    let a = sb
        .get("/product/openapi/instance_product/v1/detail?productId=12")
        .await;
    a.refused(400, "parameter_validation_failed");
    assert_eq!(a.result()["field"], "productNo");
    sb.get("/order/openapi/order/v1/check/existed_auto_renew?productId=12&productNo=NOPE")
        .await
        .refused(404, "not_found");
}

#[tokio::test]
async fn catalog_contacts_and_exact_ids() {
    let sb = Sb::demo().await;
    let a = sb
        .get("/pricing/openapi/purchase/v1/purchase_product_info?productId=12")
        .await;
    for id in [
        "\"planId\":3049040650094403584",
        "\"planId\":3049040650094409999",
        "\"serviceId\":3115983610256539648",
        "\"serviceId\":3049060579827040256",
        "\"serviceId\":3049060579827041111",
        "\"requiresPlanIds\":[3049040650094409999]",
    ] {
        assert!(a.text.contains(id), "{id} in {}", a.text);
    }
    let c = a.ok();
    assert_eq!(c["offeringId"], "3049000000000000001");
    let names: Vec<_> = c["serviceList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Hotel PMS Integration",
            "Extension Expansion",
            "Concurrent Call Expansion",
            "Hot Standby",
            "Disaster Recovery",
            "Outbound Call Center"
        ]
    );
    let dr = &c["serviceList"][4];
    assert_eq!(dr["kind"], "feature");
    assert_eq!(c["planList"][1]["tier"], 3);

    // Products 9 and 11 need the SN.
    let a = sb
        .get("/pricing/openapi/purchase/v1/purchase_product_info?productId=11")
        .await;
    a.refused(400, "parameter_validation_failed");
    assert_eq!(a.result()["field"], "productNo");
    let app = sb
        .get("/pricing/openapi/purchase/v1/purchase_product_info?productId=11&productNo=3631E0997265")
        .await
        .ok()
        .clone();
    let tiers: Vec<_> = app["planList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["planId"].as_u64().unwrap(), p["tier"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        tiers,
        [
            (3048558946648207360, 1),
            (3048560232537899008, 2),
            (3048560606464323584, 3)
        ]
    );
    assert_eq!(
        app["planList"][0]["billingCycles"],
        json!(["monthly", "annually"])
    );
    let pce = sb
        .get("/pricing/openapi/purchase/v1/purchase_product_info?productId=13")
        .await
        .ok()
        .clone();
    let kinds: Vec<_> = pce["serviceList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["extensions", "recording_minutes", "per_extension"]);

    let contacts = sb
        .get("/user/openapi/user/v1/client/billing_contact_list")
        .await;
    assert!(
        contacts
            .text
            .contains("\"billingContactId\":\"3197218168379846218\""),
        "{}",
        contacts.text
    );
    assert_eq!(contacts.ok()[0]["emailAddress"], "billing@example.com");
}

#[tokio::test]
async fn pagination_defaults_limits_and_pages() {
    let sb = Sb::seeded(Seed::Fleet(230)).await;
    let list = "/product/openapi/instance_product/v1/client/instance_product_list";
    let first = sb.get(&format!("{list}?productId=12")).await.ok().clone();
    // Fleet PBXs cycle over 12, 13, 11, 9: 58 under product 12.
    assert_eq!(first["total"], 58);
    assert_eq!(first["pageNo"], 1);
    assert_eq!(first["pageSize"], 25);
    assert_eq!(first["count"], 25);
    assert_eq!(first["totalPage"], 3);
    let last = sb
        .get(&format!("{list}?productId=12&pageNo=3"))
        .await
        .ok()
        .clone();
    assert_eq!(last["count"], 8);
    let beyond = sb
        .get(&format!("{list}?productId=12&pageNo=4"))
        .await
        .ok()
        .clone();
    assert_eq!(beyond["count"], 0);
    assert_eq!(beyond["results"], json!([]));
    let mut seen = HashSet::new();
    for page in 1..=3 {
        let p = sb
            .get(&format!("{list}?productId=12&pageNo={page}"))
            .await
            .ok()
            .clone();
        for r in p["results"].as_array().unwrap() {
            assert!(seen.insert(r["productNo"].as_str().unwrap().to_owned()));
        }
    }
    assert_eq!(seen.len(), 58);
    let big = sb.get(&format!("{list}?pageSize=100")).await.ok().clone();
    assert_eq!(
        (
            big["total"].as_u64(),
            big["count"].as_u64(),
            big["totalPage"].as_u64()
        ),
        (Some(230), Some(100), Some(3))
    );
    for bad in ["pageSize=101", "pageSize=0", "pageNo=0", "pageNo=x"] {
        sb.get(&format!("{list}?productId=12&{bad}"))
            .await
            .refused(400, "parameter_validation_failed");
    }
    sb.get("/order/openapi/order/v1/page?pageSize=101")
        .await
        .refused(400, "parameter_validation_failed");
}

#[tokio::test]
async fn order_page_sorts_by_create_time() {
    let sb = Sb::demo().await;
    for n in [0, 2, 3] {
        sb.save(&crate::support::seed_text(n)).await.ok();
    }
    let newest = sb
        .get("/order/openapi/order/v1/page?sort=-createTime")
        .await
        .ok()
        .clone();
    let oldest = sb
        .get("/order/openapi/order/v1/page?sort=createTime&pageSize=2")
        .await
        .ok()
        .clone();
    let types = |p: &Value| -> Vec<String> {
        p["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["operationType"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        types(&newest),
        ["purchase_plan", "switch_plan", "purchase_service"]
    );
    assert_eq!(types(&oldest), ["purchase_service", "switch_plan"]);
    assert_eq!(oldest["totalPage"], 2);
    let times: Vec<_> = newest["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["createTime"].as_i64().unwrap())
        .collect();
    assert!(times[0] > times[1] && times[1] > times[2]);
    // 2026-11-22 is the sandbox's today: orders are stamped that day.
    assert!(
        times
            .iter()
            .all(|t| (1_795_305_600_000..1_795_392_000_000).contains(t))
    );
    sb.get("/order/openapi/order/v1/page?sort=orderNo")
        .await
        .refused(400, "parameter_validation_failed");
}

#[tokio::test]
async fn auto_renew_is_read_and_enabled_per_pbx_and_product() {
    let sb = Sb::demo().await;
    let status =
        "/order/openapi/order/v1/check/existed_auto_renew?productNo=3658B431119665QJ&productId=13";
    assert_eq!(sb.get(status).await.ok(), &json!({"autoRenew": false}));
    let enable = "/product/openapi/instance_subscription/v1/active";
    // productId is a string in this body; the plan id is not the PBX's plan.
    let a = sb
        .post(enable, r#"{"productNo":"3658B431119665QJ","productId":"13","planOrServiceId":3048572026291630080}"#)
        .await;
    a.refused(400, "business_rule_violation");
    let a = sb
        .post(enable, r#"{"productNo":"3658B431119665QJ","productId":"13","planOrServiceId":3048571730026938368}"#)
        .await;
    assert_eq!(a.ok(), &json!(true));
    assert_eq!(sb.get(status).await.ok(), &json!({"autoRenew": true}));
    // Other PBXs are untouched.
    let other =
        "/order/openapi/order/v1/check/existed_auto_renew?productNo=3651D3296882&productId=12";
    assert_eq!(sb.get(other).await.ok(), &json!({"autoRenew": false}));
    // A subscribed service is accepted too; a PBX without a plan is not.
    sb.post(enable, r#"{"productNo":"3658B431119665QJ","productId":"13","planOrServiceId":3048573935752720384}"#)
        .await
        .ok();
    sb.post(
        enable,
        r#"{"productNo":"369471667338","productId":"9","planOrServiceId":3048918321840570368}"#,
    )
    .await
    .refused(400, "business_rule_violation");
    sb.post(
        enable,
        r#"{"productNo":"NOPE","productId":"13","planOrServiceId":3048571730026938368}"#,
    )
    .await
    .refused(404, "not_found");
}

#[tokio::test]
async fn admin_counts_vendor_requests_only() {
    let sb = Sb::demo().await;
    sb.get(DETAIL_PCE).await.ok();
    sb.get(DETAIL_PCE).await.ok();
    sb.get_with(DETAIL_PCE, None, Some("t")).await;
    sb.admin_get("state").await;
    let r = sb.admin_get("requests").await;
    assert_eq!(
        r["counts"],
        json!({"POST /auth/openapi/v1/oauth/token": 1,
               "GET /product/openapi/instance_product/v1/detail": 3})
    );
    let log = r["log"].as_array().unwrap();
    assert_eq!(log.len(), 4);
    assert_eq!(
        log[1],
        json!({"method": "GET", "path": "/product/openapi/instance_product/v1/detail",
                              "query": "productId=13&productNo=3658B431119665QJ", "status": 200})
    );
    assert_eq!(log[3]["status"], 401);
}
