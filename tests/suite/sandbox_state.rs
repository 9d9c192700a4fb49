//! Effects beyond the seed scenarios, the state file across restarts, pending switches coming
//! into force once their date passes, and reset.

use crate::support::sandbox::Sb;
use crate::support::{CONTACT, sandbox_config, seed_text};
use entitle::sandbox::{self, SandboxConfig, SandboxError, Seed};
use serde_json::{Value, json};

const PSE: &str = "3651D3296882";
const PCE: &str = "3658B431119665QJ";
const PCE_ENTERPRISE: u64 = 3_048_571_730_026_938_368;
const APPLIANCE: &str = "3631E0997265";

fn service_order(
    product: u32,
    sn: &str,
    connection: u64,
    service: u64,
    quantity: Option<u32>,
) -> String {
    let mut line = json!({"connectionPlanId": connection, "serviceType": "service", "serviceId": service,
        "purchaseType": "purchase", "billingModel": "recurring", "billingCycle": "annually", "multiCycle": 0});
    if let Some(q) = quantity {
        line["quantity"] = json!(q);
    }
    json!({"operationType": "purchase_service", "productId": product, "productNo": sn,
           "billingId": CONTACT, "serviceList": [line]})
    .to_string()
}

fn plan_order(
    op: &str,
    product: u32,
    sn: &str,
    plan: u64,
    cycle: &str,
    multi: u32,
    quantity: Option<u32>,
) -> String {
    let purchase = match op {
        "switch_plan" => "switch",
        "renew_plan" => "renew",
        _ => "purchase",
    };
    let mut line = json!({"serviceType": "plan", "serviceId": plan, "purchaseType": purchase,
        "billingModel": "recurring", "billingCycle": cycle, "multiCycle": multi});
    if let Some(q) = quantity {
        line["quantity"] = json!(q);
    }
    json!({"operationType": op, "productId": product, "productNo": sn, "billingId": CONTACT,
           "serviceList": [line]})
    .to_string()
}

#[tokio::test]
async fn capacity_expansions_add_and_per_extension_services_follow() {
    let sb = Sb::demo().await;
    sb.save(&service_order(
        12,
        PSE,
        3049040650094403584,
        3049060579827041111,
        Some(10),
    ))
    .await
    .ok();
    assert_eq!(sb.detail(12, PSE).await["concurrentCallCount"], 40);
    sb.save(&service_order(
        13,
        PCE,
        PCE_ENTERPRISE,
        3048573516041273344,
        Some(50),
    ))
    .await
    .ok();
    sb.save(&service_order(
        13,
        PCE,
        PCE_ENTERPRISE,
        3048573759449317376,
        Some(1000),
    ))
    .await
    .ok();
    let d = sb.detail(13, PCE).await;
    assert_eq!(d["extensionCount"], 150);
    assert_eq!(d["recordingMinutes"], 1000);
    // High Availability covers every extension.
    assert_eq!(d["serviceList"][0]["quantity"], 150);
    // The seed renewal's quantity 100 is now wrong; 150 renews.
    crate::support::sandbox::Answer::violates(&sb.save(&seed_text(4)).await, "rule 5");
    let renewal = seed_text(4).replace("\"quantity\": 100", "\"quantity\": 150");
    sb.save(&renewal).await.ok();
    assert_eq!(sb.detail(13, PCE).await["expireDate"], "2027-12-10");
    // Feature services of the Software Edition.
    sb.save(&service_order(
        12,
        PSE,
        3049040650094403584,
        3049060579827042222,
        None,
    ))
    .await
    .ok();
    sb.save(&service_order(
        12,
        PSE,
        3049040650094403584,
        3049060579827044444,
        None,
    ))
    .await
    .ok();
    let names: Vec<_> = sb.detail(12, PSE).await["serviceList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["serviceName"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Hot Standby", "Outbound Call Center"]);
}

#[tokio::test]
async fn monthly_renewal_moves_one_month_and_annual_renewal_k_years() {
    let sb = Sb::demo().await;
    sb.save(&plan_order(
        "renew_plan",
        11,
        APPLIANCE,
        3048560232537899008,
        "monthly",
        0,
        None,
    ))
    .await
    .ok();
    assert_eq!(sb.detail(11, APPLIANCE).await["expireDate"], "2027-01-20");
    // Monthly to a 3-year annual Ultimate term, then a renewal adds 3 years.
    sb.save(&plan_order(
        "switch_plan",
        11,
        APPLIANCE,
        3048560606464323584,
        "annually",
        3,
        None,
    ))
    .await
    .ok();
    let d = sb.detail(11, APPLIANCE).await;
    assert_eq!(
        (d["multiCycle"].clone(), d["expireDate"].clone()),
        (json!(3), json!("2029-11-22"))
    );
    sb.save(&plan_order(
        "renew_plan",
        11,
        APPLIANCE,
        3048560606464323584,
        "annually",
        0,
        None,
    ))
    .await
    .ok();
    assert_eq!(sb.detail(11, APPLIANCE).await["expireDate"], "2032-11-22");
}

#[tokio::test]
async fn purchase_plan_gives_fresh_capacity_and_checks_the_cloud_bounds() {
    let sb = Sb::seeded(Seed::Fleet(40)).await;
    let list = sb
        .get("/product/openapi/instance_product/v1/client/instance_product_list?productId=13")
        .await
        .ok()
        .clone();
    let mut planless = None;
    for inst in list["results"].as_array().unwrap() {
        let sn = inst["productNo"].as_str().unwrap();
        if sb.detail(13, sn).await["planId"].is_null() {
            planless = Some(sn.to_owned());
            break;
        }
    }
    let sn = planless.expect("the fleet has a Cloud PBX without a plan");
    crate::support::sandbox::Answer::violates(
        &sb.save(&plan_order(
            "purchase_plan",
            13,
            &sn,
            PCE_ENTERPRISE,
            "annually",
            2,
            Some(3),
        ))
        .await,
        "rule 6",
    );
    sb.save(&plan_order(
        "purchase_plan",
        13,
        &sn,
        PCE_ENTERPRISE,
        "annually",
        2,
        Some(50),
    ))
    .await
    .ok();
    let d = sb.detail(13, &sn).await;
    assert_eq!(d["extensionCount"], 50);
    assert_eq!(d["multiCycle"], 2);
    assert_eq!(d["expireDate"], "2028-11-22");
    assert_eq!(sb.orders().await[0]["totalAmount"], "4000.00");
}

#[tokio::test]
async fn state_file_survives_a_restart_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state/sandbox.json");
    let config = SandboxConfig {
        state_file: Some(file.clone()),
        ..sandbox_config()
    };
    let sb = Sb::with(config.clone()).await;
    assert!(file.exists(), "written at start");
    let body = seed_text(1).replace(
        "\"billingId\"",
        "\"poNumber\": \"ent-restart\", \"billingId\"",
    );
    sb.save(&body).await.ok();
    let token = sb.token.clone();
    sb.sandbox.shutdown().await;

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&token), "tokens never reach the state file");
    assert!(text.contains("3197218168379846218"));
    assert!(
        !dir.path().join("state").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains(".tmp"))
    );

    // The seed is ignored once the file exists.
    let again = Sb::with(SandboxConfig {
        seed: Seed::Empty,
        ..config
    })
    .await;
    assert_eq!(again.detail(12, PSE).await["extensionCount"], 300);
    let page = again.get("/order/openapi/order/v1/page").await.ok().clone();
    assert_eq!(page["total"], 1);
    assert_eq!(page["results"][0]["customReferenceNo"], "ent-restart");
    // The old token is unknown to the new process.
    again
        .get_with(
            "/pricing/openapi/purchase/v1/product_list",
            Some(&token),
            Some("t"),
        )
        .await
        .refused(401, "token_invalid");
    // New orders keep increasing numbers and times.
    again.save(&seed_text(2)).await.ok();
    let orders = again.orders().await;
    assert!(orders[1]["createTime"].as_i64() > orders[0]["createTime"].as_i64());
    assert_ne!(orders[1]["orderNo"], orders[0]["orderNo"]);
}

#[tokio::test]
async fn a_pending_downgrade_comes_into_force_after_its_date() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        state_file: Some(file.clone()),
        ..sandbox_config()
    };
    let sb = Sb::with(config.clone()).await;
    sb.save(&plan_order(
        "switch_plan",
        11,
        APPLIANCE,
        3048558946648207360,
        "monthly",
        0,
        None,
    ))
    .await
    .ok();
    assert_eq!(
        sb.detail(11, APPLIANCE).await["currentPlan"],
        "3048560232537899008"
    );
    sb.sandbox.shutdown().await;
    let later = Sb::with(SandboxConfig {
        // 29 days on: the Appliance's month (28 days) is over.
        clock: entitle::clock::Clock::starting_at(crate::support::START_MS + 29 * 86_400_000),
        ..config
    })
    .await;
    let d = later.detail(11, APPLIANCE).await;
    assert_eq!(d["planId"], json!(3048558946648207360u64));
    assert_eq!(d["currentPlan"], "");
    assert_eq!(d["currentPlanExpireDate"], "");
}

#[tokio::test]
async fn a_broken_state_file_is_reported_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    std::fs::write(&file, "{ not json").unwrap();
    let err = sandbox::start(SandboxConfig {
        state_file: Some(file.clone()),
        ..sandbox_config()
    })
    .await
    .expect_err("a broken state file stops the start");
    assert!(matches!(err, SandboxError::State { .. }), "{err}");
    assert!(err.to_string().contains("delete it"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{ not json");
}

#[tokio::test]
async fn reset_goes_back_to_the_seed_and_clears_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sandbox.json");
    let sb = Sb::with(SandboxConfig {
        state_file: Some(file.clone()),
        ..sandbox_config()
    })
    .await;
    sb.save(&seed_text(1)).await.ok();
    sb.admin(
        "faults",
        r#"{"readFaultEvery": {"every": 1, "kind": "server_error"}}"#,
    )
    .await;
    sb.get(&format!(
        "/product/openapi/instance_product/v1/detail?productId=12&productNo={PSE}"
    ))
    .await
    .refused(500, "internal_error");
    assert_eq!(sb.served().await, json!({"server_error": 1}));
    sb.admin("reset", "").await;
    assert_eq!(sb.served().await, json!({}));
    assert!(sb.orders().await.is_empty());
    assert_eq!(sb.admin_get("requests").await["log"], json!([]));
    // Faults are back to the configuration; tokens stay valid.
    assert_eq!(sb.detail(12, PSE).await["extensionCount"], 100);
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["orders"], json!([]));
    let state = sb.admin_get("state").await;
    assert_eq!(state["today"], "2026-11-22");
    assert_eq!(state["world"]["pbxs"].as_array().unwrap().len(), 4);
}
