//! Every business rule of vendor-api section 5 refused with `business_rule_violation` naming
//! the rule, and malformed orders refused with `parameter_validation_failed` naming the field.
//! Each refusal is also checked to have changed nothing.

use crate::support::sandbox::{Answer, Sb};
use crate::support::{seed_text, seed_with};
use entitle::sandbox::Seed;
use serde_json::{Value, json};

const PSE: &str = "3651D3296882";
const PSE_ENTERPRISE: u64 = 3_049_040_650_094_403_584;
const PSE_ULTIMATE: u64 = 3_049_040_650_094_409_999;
const DISASTER_RECOVERY: u64 = 3_049_060_579_827_043_333;
const CONCURRENT_CALLS: u64 = 3_049_060_579_827_041_111;
const PCE: &str = "3658B431119665QJ";
const PCE_EXT_EXPANSION: u64 = 3_048_573_516_041_273_344;
const PCE_RECORDING: u64 = 3_048_573_759_449_317_376;
const APPLIANCE: &str = "3631E0997265";
const APPLIANCE_STANDARD: u64 = 3_048_558_946_648_207_360;
const APPLIANCE_ENTERPRISE: u64 = 3_048_560_232_537_899_008;

fn service_order(product: u32, sn: &str, lines: Value) -> String {
    json!({"operationType": "purchase_service", "productId": product, "productNo": sn,
           "billingId": crate::support::CONTACT, "serviceList": lines})
    .to_string()
}

fn service_line(service: u64, connection: u64) -> Value {
    json!({"connectionPlanId": connection, "serviceType": "service", "serviceId": service,
           "purchaseType": "purchase", "billingModel": "recurring", "billingCycle": "annually",
           "multiCycle": 0})
}

fn switch_order(product: u32, sn: &str, plan: u64, cycle: &str, multi: u32) -> String {
    json!({"operationType": "switch_plan", "productId": product, "productNo": sn,
           "billingId": crate::support::CONTACT,
           "serviceList": [{"serviceType": "plan", "serviceId": plan, "purchaseType": "switch",
                            "billingModel": "recurring", "billingCycle": cycle, "multiCycle": multi}]})
    .to_string()
}

/// Refused, and nothing stored.
async fn refused(sb: &Sb, body: &str) -> Answer {
    let before = sb.admin_get("state").await;
    let a = sb.save(body).await;
    assert_ne!(a.status, 200, "{}", a.text);
    assert_eq!(
        sb.admin_get("state").await,
        before,
        "a refused order changed the state"
    );
    a
}

#[tokio::test]
async fn rule_1_connection_plan_is_the_plan_in_force() {
    let sb = Sb::demo().await;
    let wrong = service_order(
        12,
        PSE,
        json!([service_line(3115983610256539648, PSE_ULTIMATE)]),
    );
    let detail = refused(&sb, &wrong).await;
    detail.violates("rule 1");
    assert!(
        detail.detail().contains("3049040650094403584"),
        "{}",
        detail.detail()
    );
    let mut line = service_line(3115983610256539648, PSE_ENTERPRISE);
    line.as_object_mut().unwrap().remove("connectionPlanId");
    refused(&sb, &service_order(12, PSE, json!([line])))
        .await
        .violates("rule 1");

    // While a downgrade is pending, the plan in force (not the one switched to) is the
    // connection plan.
    sb.save(&switch_order(12, PSE, PSE_ULTIMATE, "annually", 1))
        .await
        .ok();
    sb.save(&switch_order(12, PSE, PSE_ENTERPRISE, "annually", 1))
        .await
        .ok();
    let d = sb.detail(12, PSE).await;
    assert_eq!(d["planId"], json!(PSE_ENTERPRISE));
    assert_eq!(d["currentPlan"], PSE_ULTIMATE.to_string());
    let to_shown = service_order(
        12,
        PSE,
        json!([service_line(3115983610256539648, PSE_ENTERPRISE)]),
    );
    refused(&sb, &to_shown).await.violates("rule 1");
    let to_in_force = service_order(
        12,
        PSE,
        json!([service_line(3115983610256539648, PSE_ULTIMATE)]),
    );
    sb.save(&to_in_force).await.ok();
}

#[tokio::test]
async fn rule_1_purchase_service_needs_a_plan() {
    let sb = Sb::seeded(Seed::Fleet(64)).await;
    // Find a Software Edition PBX of the fleet without a plan.
    let page = sb
        .get("/product/openapi/instance_product/v1/client/instance_product_list?productId=12&pageSize=100")
        .await
        .ok()
        .clone();
    let mut planless = None;
    for inst in page["results"].as_array().unwrap() {
        let sn = inst["productNo"].as_str().unwrap();
        if sb.detail(12, sn).await["planId"].is_null() {
            planless = Some(sn.to_owned());
            break;
        }
    }
    let sn = planless.expect("the fleet has a Software Edition PBX without a plan");
    let body = service_order(
        12,
        &sn,
        json!([service_line(3115983610256539648, PSE_ENTERPRISE)]),
    );
    refused(&sb, &body).await.violates("rule 1");
}

#[tokio::test]
async fn rule_2_disaster_recovery_requires_ultimate() {
    let sb = Sb::demo().await;
    let dr = service_order(
        12,
        PSE,
        json!([service_line(DISASTER_RECOVERY, PSE_ENTERPRISE)]),
    );
    let a = refused(&sb, &dr).await;
    a.violates("rule 2");
    assert!(
        a.detail()
            .contains("Disaster Recovery requires Ultimate Plan"),
        "{}",
        a.detail()
    );
    // On Ultimate it is accepted; then a switch away from Ultimate is refused by rule 2 too.
    sb.save(&switch_order(12, PSE, PSE_ULTIMATE, "annually", 1))
        .await
        .ok();
    sb.save(&service_order(
        12,
        PSE,
        json!([service_line(DISASTER_RECOVERY, PSE_ULTIMATE)]),
    ))
    .await
    .ok();
    refused(&sb, &switch_order(12, PSE, PSE_ENTERPRISE, "annually", 1))
        .await
        .violates("rule 2");
}

#[tokio::test]
async fn rule_2_holds_for_a_pending_downgrade() {
    let sb = Sb::demo().await;
    sb.save(&switch_order(12, PSE, PSE_ULTIMATE, "annually", 1))
        .await
        .ok();
    sb.save(&switch_order(12, PSE, PSE_ENTERPRISE, "annually", 1))
        .await
        .ok();
    // Ultimate is in force, but Enterprise follows: Disaster Recovery would lose its plan.
    let dr = service_order(
        12,
        PSE,
        json!([service_line(DISASTER_RECOVERY, PSE_ULTIMATE)]),
    );
    let a = refused(&sb, &dr).await;
    a.violates("rule 2");
    assert!(
        a.detail().contains("switches to Enterprise Plan"),
        "{}",
        a.detail()
    );
}

#[tokio::test]
async fn rule_3_multi_cycle_and_billing_cycle() {
    let sb = Sb::demo().await;
    // purchase_service lines take multiCycle 0.
    let body = seed_with(0, |v| v["serviceList"][0]["multiCycle"] = json!(1));
    refused(&sb, &body).await.violates("rule 3");
    // ...and follow the plan's cycle.
    let body = seed_with(0, |v| {
        v["serviceList"][0]["billingCycle"] = json!("monthly")
    });
    refused(&sb, &body).await.violates("rule 3");
    // Annual purchase_plan takes 1..5 years.
    for k in [json!(0), json!(6), Value::Null] {
        let body = seed_with(3, |v| {
            if k.is_null() {
                v["serviceList"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("multiCycle");
            } else {
                v["serviceList"][0]["multiCycle"] = k.clone();
            }
        });
        refused(&sb, &body).await.violates("rule 3");
    }
    // Linkus is billed annually only.
    let body = seed_with(3, |v| {
        v["serviceList"][0]["billingCycle"] = json!("monthly");
        v["serviceList"][0]["multiCycle"] = json!(0);
    });
    refused(&sb, &body).await.violates("rule 3");
    // Monthly billing takes multiCycle 0.
    refused(
        &sb,
        &switch_order(11, APPLIANCE, 3048560606464323584, "monthly", 1),
    )
    .await
    .violates("rule 3");
    // renew_plan lines take multiCycle 0.
    let body = seed_with(4, |v| v["serviceList"][0]["multiCycle"] = json!(1));
    refused(&sb, &body).await.violates("rule 3");
}

#[tokio::test]
async fn rule_4_upgrades_keep_the_interval_and_switches_must_change_something() {
    let sb = Sb::demo().await;
    refused(&sb, &switch_order(12, PSE, PSE_ULTIMATE, "annually", 2))
        .await
        .violates("rule 4");
    refused(&sb, &switch_order(12, PSE, PSE_ENTERPRISE, "annually", 1))
        .await
        .violates("rule 4");
    // A PCE on annual Enterprise cannot upgrade onto a monthly term.
    refused(
        &sb,
        &switch_order(13, PCE, 3048572026291630080, "monthly", 0),
    )
    .await
    .violates("rule 4");
    // Keeping the interval is accepted, at once, term end unchanged.
    sb.save(&switch_order(12, PSE, PSE_ULTIMATE, "annually", 1))
        .await
        .ok();
    let d = sb.detail(12, PSE).await;
    assert_eq!(d["planId"], json!(PSE_ULTIMATE));
    assert_eq!(d["expireDate"], "2027-05-01");
    assert_eq!(d["currentPlan"], "");
}

#[tokio::test]
async fn rule_4_downgrade_waits_for_expiry_and_can_be_called_off() {
    let sb = Sb::demo().await;
    sb.save(&switch_order(
        11,
        APPLIANCE,
        APPLIANCE_STANDARD,
        "monthly",
        0,
    ))
    .await
    .ok();
    let d = sb.detail(11, APPLIANCE).await;
    assert_eq!(d["planId"], json!(APPLIANCE_STANDARD));
    assert_eq!(d["planName"], "Standard Plan");
    assert_eq!(d["currentPlan"], APPLIANCE_ENTERPRISE.to_string());
    assert_eq!(d["currentPlanExpireDate"], "2026-12-20");
    assert_eq!(d["expireDate"], "2026-12-20");
    // The same switch again is refused: it is already pending.
    refused(
        &sb,
        &switch_order(11, APPLIANCE, APPLIANCE_STANDARD, "monthly", 0),
    )
    .await
    .violates("rule 4");
    // Switching back to the plan in force calls the downgrade off.
    sb.save(&switch_order(
        11,
        APPLIANCE,
        APPLIANCE_ENTERPRISE,
        "monthly",
        0,
    ))
    .await
    .ok();
    let d = sb.detail(11, APPLIANCE).await;
    assert_eq!(d["planId"], json!(APPLIANCE_ENTERPRISE));
    assert_eq!(d["currentPlan"], "");
    assert_eq!(d["currentPlanExpireDate"], "");
}

#[tokio::test]
async fn rule_5_renewal_is_exact() {
    let sb = Sb::demo().await;
    for q in [json!(99), json!(101), Value::Null] {
        let body = seed_with(4, |v| {
            if q.is_null() {
                v["serviceList"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("quantity");
            } else {
                v["serviceList"][0]["quantity"] = q.clone();
            }
        });
        let a = refused(&sb, &body).await;
        a.violates("rule 5");
        assert!(
            a.detail().contains("current extension count 100"),
            "{}",
            a.detail()
        );
    }
    // Every subscribed service must be renewed with the plan.
    let body = seed_with(4, |v| {
        v["serviceList"].as_array_mut().unwrap().pop();
    });
    let a = refused(&sb, &body).await;
    a.violates("rule 5");
    assert!(a.detail().contains("High Availability"), "{}", a.detail());
    // The billing cycle cannot change.
    let body = seed_with(4, |v| {
        v["serviceList"][0]["billingCycle"] = json!("monthly")
    });
    refused(&sb, &body).await.violates("rule 5");
    // Service lines carry connectionPlanId = the plan.
    let body = seed_with(4, |v| {
        v["serviceList"][1]
            .as_object_mut()
            .unwrap()
            .remove("connectionPlanId");
    });
    refused(&sb, &body).await.violates("rule 5");
    // Only the plan in force renews.
    let body = seed_with(4, |v| {
        v["serviceList"][0]["serviceId"] = json!(3048572026291630080u64);
        v["serviceList"][1]["connectionPlanId"] = json!(3048572026291630080u64);
    });
    refused(&sb, &body).await.violates("rule 5");
    // A service that is not subscribed cannot be renewed.
    let body = seed_with(4, |v| {
        let mut extra = v["serviceList"][1].clone();
        extra["serviceId"] = json!(PCE_RECORDING);
        v["serviceList"].as_array_mut().unwrap().push(extra);
    });
    refused(&sb, &body).await.violates("rule 5");
    // A PBX without a plan has nothing to renew.
    let linkus = json!({"operationType": "renew_plan", "productId": 9, "productNo": "369471667338",
        "billingId": crate::support::CONTACT, "serviceList": [{"serviceType": "plan",
        "serviceId": 3048918321840570368u64, "purchaseType": "renew", "billingCycle": "annually",
        "multiCycle": 0}]});
    refused(&sb, &linkus.to_string()).await.violates("rule 5");
}

#[tokio::test]
async fn rule_6_cloud_pbx_keeps_5_to_500_extensions() {
    let sb = Sb::demo().await;
    let line = |q: u32| {
        let mut l = service_line(PCE_EXT_EXPANSION, 3048571730026938368);
        l["quantity"] = json!(q);
        l
    };
    let a = refused(&sb, &service_order(13, PCE, json!([line(401)]))).await;
    a.violates("rule 6");
    assert!(a.detail().contains("501"), "{}", a.detail());
    sb.save(&service_order(13, PCE, json!([line(400)])))
        .await
        .ok();
    assert_eq!(sb.detail(13, PCE).await["extensionCount"], 500);
    refused(&sb, &service_order(13, PCE, json!([line(1)])))
        .await
        .violates("rule 6");
}

#[tokio::test]
async fn rule_7_purchase_plan_only_without_a_plan_switch_only_with_one() {
    let sb = Sb::demo().await;
    let body = json!({"operationType": "purchase_plan", "productId": 12, "productNo": PSE,
        "billingId": crate::support::CONTACT, "serviceList": [{"serviceType": "plan",
        "serviceId": PSE_ULTIMATE, "purchaseType": "purchase", "billingModel": "recurring",
        "billingCycle": "annually", "multiCycle": 1}]});
    let a = refused(&sb, &body.to_string()).await;
    a.violates("rule 7");
    assert!(a.detail().contains("switch_plan"), "{}", a.detail());
    refused(
        &sb,
        &switch_order(9, "369471667338", 3048918719332507648, "annually", 1),
    )
    .await
    .violates("rule 7");
    // Once bought, purchasing again is refused.
    sb.save(&seed_text(3)).await.ok();
    refused(&sb, &seed_text(3)).await.violates("rule 7");
}

#[tokio::test]
async fn rule_8_billing_contact_and_product_no() {
    let sb = Sb::demo().await;
    let body = seed_with(2, |v| v["billingId"] = json!(3197218168379846219u64));
    let a = refused(&sb, &body).await;
    a.violates("rule 8");
    assert!(a.detail().contains("3197218168379846219"), "{}", a.detail());
    // The SN exists, but not under this product.
    let body = seed_with(2, |v| v["productId"] = json!(13));
    refused(&sb, &body).await.refused(404, "not_found");
    let body = seed_with(2, |v| v["productNo"] = json!("NOSUCHSN1"));
    refused(&sb, &body).await.refused(404, "not_found");
    let body = seed_with(2, |v| v["productId"] = json!(14));
    refused(&sb, &body).await.refused(404, "not_found");
}

#[tokio::test]
async fn services_are_bought_once_and_priced_per_extension_exactly() {
    let sb = Sb::demo().await;
    sb.save(&seed_text(0)).await.ok();
    let a = refused(&sb, &seed_text(0)).await;
    assert!(
        a.refused(400, "business_rule_violation")
            .contains("already subscribed")
    );
    // High Availability is already on the PCE.
    let mut ha = service_line(3048573935752720384, 3048571730026938368);
    ha["quantity"] = json!(100);
    let a = refused(&sb, &service_order(13, PCE, json!([ha]))).await;
    assert!(
        a.refused(400, "business_rule_violation")
            .contains("already subscribed")
    );
}

#[tokio::test]
async fn malformed_orders_name_the_field() {
    let sb = Sb::demo().await;
    let field_of = |a: &Answer| {
        a.refused(400, "parameter_validation_failed");
        a.result()["field"].as_str().unwrap().to_owned()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            seed_with(2, |v| {
                v.as_object_mut().unwrap().remove("billingId");
            }),
            "billingId",
        ),
        (
            seed_with(2, |v| v["operationType"] = json!("buy_everything")),
            "operationType",
        ),
        (
            seed_with(2, |v| v["operationType"] = json!("trial_plan")),
            "operationType",
        ),
        (
            seed_with(2, |v| v["serviceList"] = json!([])),
            "serviceList",
        ),
        (
            seed_with(2, |v| {
                v["serviceList"][0]["serviceId"] = json!(3049040650094403584u64)
            }),
            "serviceList[0].serviceId",
        ),
        (
            seed_with(2, |v| {
                v["serviceList"][0]["purchaseType"] = json!("purchase")
            }),
            "serviceList[0].purchaseType",
        ),
        (
            seed_with(2, |v| v["serviceList"][0]["billingModel"] = json!("once")),
            "serviceList[0].billingModel",
        ),
        (
            seed_with(2, |v| v["serviceList"][0]["billingCycle"] = json!("weekly")),
            "serviceList[0].billingCycle",
        ),
        (
            seed_with(2, |v| v["serviceList"][0]["serviceType"] = json!("bundle")),
            "serviceList[0].serviceType",
        ),
        (
            seed_with(2, |v| v["billingId"] = json!(3.197e18)),
            "billingId",
        ),
        (
            seed_with(4, |v| {
                let l = v["serviceList"][1].clone();
                v["serviceList"].as_array_mut().unwrap().push(l);
            }),
            "serviceList[2].serviceId",
        ),
        (
            service_order(
                12,
                PSE,
                json!([service_line(CONCURRENT_CALLS, PSE_ENTERPRISE)]),
            ),
            "serviceList[0].quantity",
        ),
        ("not json".to_owned(), "body"),
    ];
    for (body, field) in cases {
        let a = refused(&sb, &body).await;
        assert_eq!(field_of(&a), field, "{body}");
    }
    assert!(sb.orders().await.is_empty());
    // The body is read as JSON whatever it is labelled (curl -d sends a form type).
    let resp = sb
        .http
        .post(format!("{}/order/openapi/order/v1/save", sb.base))
        .header("User-Agent", "t")
        .header("Authorization", format!("Bearer {}", sb.token))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(seed_text(2))
        .send()
        .await
        .unwrap();
    crate::support::sandbox::answer(resp).await.ok();
}
