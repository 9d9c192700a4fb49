//! `entitle catalog` end to end: the real binary against a scripted fixture API.

use std::process::Output;

use crate::support::scripted::{CLIENT_ID, Fixture, Reply, SECRET};
use serde_json::{Value, json};

const PRODUCTS: &str = "/pricing/openapi/purchase/v1/product_list";
const INSTANCES: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
const CATALOG: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
const CONTACTS: &str = "/user/openapi/user/v1/client/billing_contact_list";

fn query_value(q: &[(String, String)], key: &str) -> String {
    q.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

fn catalog_of(product: &str) -> Value {
    match product {
        "9" => json!({"offeringId": "1", "productId": 9, "productName": "Linkus Cloud Service",
            "planList": [
                {"planId": 3048918321840570368u64, "planName": "Linkus Cloud Service", "tier": 1, "billingCycles": ["annually"]},
                {"planId": "3048918719332507648", "planName": "Linkus Cloud Service Pro", "tier": 2, "billingCycles": ["annually"]}],
            "serviceList": []}),
        "12" => {
            json!({"offeringId": "2", "productId": 12, "productName": "P-Series Software Edition",
            "planList": [
                {"planId": 3049040650094403584u64, "planName": "Enterprise Plan", "tier": 2, "billingCycles": ["annually"]},
                {"planId": 3049040650094409999u64, "planName": "Ultimate Plan", "tier": 3, "billingCycles": ["annually"]}],
            "serviceList": [
                {"serviceId": 3115983610256539648u64, "serviceName": "Hotel PMS Integration", "kind": "feature",
                 "requiresPlanIds": [], "billingCycles": ["annually"]},
                {"serviceId": 3049060579827040256u64, "serviceName": "Extension Expansion", "kind": "extensions",
                 "requiresPlanIds": [], "billingCycles": ["annually"]},
                {"serviceId": 3115983610256530002u64, "serviceName": "Disaster Recovery", "kind": "feature",
                 "requiresPlanIds": ["3049040650094409999"], "billingCycles": ["annually"]}]})
        }
        "13" => json!({"offeringId": "3", "productId": 13, "productName": "P-Series Cloud PBX",
            "planList": [
                {"planId": 3048571730026938368u64, "planName": "Enterprise Plan", "tier": 2, "billingCycles": ["monthly", "annually"]}],
            "serviceList": [
                {"serviceId": 3048573935752720384u64, "serviceName": "High Availability", "kind": "per_extension",
                 "requiresPlanIds": [], "billingCycles": ["monthly", "annually"]}]}),
        other => panic!("no catalog for product {other}"),
    }
}

async fn account() -> Fixture {
    Fixture::builder()
        .on(
            PRODUCTS,
            vec![Reply::ok(json!([
                {"productId": 13, "name": "P-Series Cloud PBX"},
                {"productId": 9, "name": "Linkus Cloud Service"},
                {"productId": 11, "name": "P-Series Appliance Edition"},
                {"productId": 12, "name": "P-Series Software Edition"}]))],
        )
        .on_fn(INSTANCES, |req, _| {
            let results = match query_value(&req.query_pairs(), "productId").as_str() {
                "9" => vec![json!({"productNo": "369471667338", "productId": 9})],
                _ => vec![],
            };
            Reply::ok(json!({"count": results.len(), "pageNo": 1, "pageSize": 1,
                "results": results.clone(), "total": results.len(), "totalPage": results.len()}))
        })
        .on_fn(CATALOG, |req, _| {
            Reply::ok(catalog_of(&query_value(&req.query_pairs(), "productId")))
        })
        .on(
            CONTACTS,
            vec![Reply::ok(
                json!([{"billingContactId": "3197218168379846218",
                "emailAddress": "billing@example.com", "firstName": "Bo", "lastName": "Li"}]),
            )],
        )
        .start()
        .await
}

async fn entitle(base_url: &str, args: &[&str]) -> Output {
    let mut cmd = crate::support::command();
    cmd.arg("catalog")
        .args(args)
        .args(["--base-url", base_url, "--color", "never"])
        .env("ENTITLE_CLIENT_ID", CLIENT_ID)
        .env("ENTITLE_CLIENT_SECRET", SECRET);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_products_plans_services_and_contacts() {
    let fx = account().await;
    let out = entitle(&fx.base_url, &[]).await;
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "\
linkus (9)  Linkus Cloud Service  (catalog of PBX 369471667338)
  plans:
    NAME                      ID                   TIER  CYCLES
    Linkus Cloud Service      3048918321840570368  1     annually
    Linkus Cloud Service Pro  3048918719332507648  2     annually
  services: none

appliance (11)  P-Series Appliance Edition
  (needs a PBX of this product in the account)

software-edition (12)  P-Series Software Edition
  plans:
    NAME             ID                   TIER  CYCLES
    Enterprise Plan  3049040650094403584  2     annually
    Ultimate Plan    3049040650094409999  3     annually
  services:
    NAME                   ID                   KIND        REQUIRES
    Hotel PMS Integration  3115983610256539648  feature     any plan
    Extension Expansion    3049060579827040256  extensions  any plan
    Disaster Recovery      3115983610256530002  feature     Ultimate Plan

cloud-pbx (13)  P-Series Cloud PBX
  plans:
    NAME             ID                   TIER  CYCLES
    Enterprise Plan  3048571730026938368  2     monthly, annually
  services:
    NAME               ID                   KIND           REQUIRES
    High Availability  3048573935752720384  per_extension  any plan

billing contacts:
  ID                   EMAIL                NAME
  3197218168379846218  billing@example.com  Bo Li
"
    );
    // The per-PBX catalog was asked with the first PBX of its product; the others without.
    let catalog_queries: Vec<_> = fx
        .requests_to(CATALOG)
        .iter()
        .map(|r| r.query.clone())
        .collect();
    assert!(catalog_queries.contains(&"productId=9&productNo=369471667338".to_owned()));
    assert!(catalog_queries.contains(&"productId=12".to_owned()));
    assert_eq!(catalog_queries.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_has_exact_number_ids_and_stable_names() {
    let fx = account().await;
    let out = entitle(
        &fx.base_url,
        &["--product", "software-edition", "--format", "json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Exact: serde_json keeps the 19 digits.
    assert!(text(&out.stdout).contains("\"id\": 3049040650094403584"));
    assert_eq!(
        doc,
        json!({
            "format_version": "2.0",
            "products": [{
                "product_id": 12, "alias": "software-edition", "name": "P-Series Software Edition",
                "catalog_available": true, "catalog_sn": null, "note": null,
                "plans": [
                    {"id": 3049040650094403584u64, "name": "Enterprise Plan", "tier": 2, "cycles": ["annually"]},
                    {"id": 3049040650094409999u64, "name": "Ultimate Plan", "tier": 3, "cycles": ["annually"]}],
                "services": [
                    {"id": 3115983610256539648u64, "name": "Hotel PMS Integration", "kind": "feature",
                     "cycles": ["annually"], "requires_plans": []},
                    {"id": 3049060579827040256u64, "name": "Extension Expansion", "kind": "extensions",
                     "cycles": ["annually"], "requires_plans": []},
                    {"id": 3115983610256530002u64, "name": "Disaster Recovery", "kind": "feature",
                     "cycles": ["annually"],
                     "requires_plans": [{"id": 3049040650094409999u64, "name": "Ultimate Plan"}]}]
            }],
            "billing_contacts": [{"id": 3197218168379846218u64, "email": "billing@example.com", "name": "Bo Li"}]
        })
    );
    // Only the product asked for was looked up.
    assert_eq!(fx.requests_to(CATALOG).len(), 1);
    assert_eq!(fx.requests_to(INSTANCES).len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_and_unknown_products() {
    let fx = account().await;
    let out = entitle(&fx.base_url, &["--product", "13", "--format", "markdown"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\
## cloud-pbx (13): P-Series Cloud PBX

| Plan | ID | Tier | Cycles |
|---|---|---|---|
| Enterprise Plan | `3048571730026938368` | 2 | monthly, annually |

| Service | ID | Kind | Requires |
|---|---|---|---|
| High Availability | `3048573935752720384` | per_extension | any plan |

## Billing contacts

| ID | Email | Name |
|---|---|---|
| `3197218168379846218` | billing@example.com | Bo Li |
"
    );

    let out = entitle(&fx.base_url, &["--product", "14"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: product 14 is not offered to this account (it has: cloud-pbx (13), linkus (9), \
         appliance (11), software-edition (12))\n"
    );
    let out = entitle(&fx.base_url, &["--product", "pbx"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: invalid value 'pbx' for '--product <PRODUCT>': unknown product `pbx`: use one of \
         linkus, appliance, software-edition, cloud-pbx or a product ID\n\n\
         For more information, try '--help'.\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verbose_logs_requests_without_secrets_and_errors_carry_the_request_id() {
    let fx = Fixture::builder()
        .on(
            PRODUCTS,
            vec![Reply::error(403, "forbidden", "account suspended")],
        )
        .start()
        .await;
    let out = entitle(&fx.base_url, &["-v"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.ends_with(
            "error: cannot list the account's products: GET \
             /pricing/openapi/purchase/v1/product_list: 403 forbidden: account suspended (request \
             0123456789abcdef0123456789abcdef)\n"
        ),
        "{err}"
    );
    assert!(err.contains("api request"), "{err}");
    assert!(err.contains("path=/auth/openapi/v1/oauth/token"), "{err}");
    assert!(err.contains("status=403"), "{err}");
    assert!(!err.contains(SECRET), "{err}");
    assert!(!err.contains("tok-1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_credentials_say_how_to_provide_them() {
    let mut cmd = crate::support::command();
    cmd.args(["catalog", "--base-url", "http://127.0.0.1:9"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "error: no API credentials: set ENTITLE_CLIENT_ID and ENTITLE_CLIENT_SECRET, or \
         ENTITLE_CREDENTIALS_FILE to a file with client_id=... and client_secret=... lines (or \
         try --sandbox)\n"
    );
}
