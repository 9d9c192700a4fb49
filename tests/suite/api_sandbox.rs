//! The client against the real sandbox on an ephemeral port (one per test): the two sides are
//! written apart from the contract, so each checks the other.

use crate::support::Env;

use entitle::api::{Client, ClientConfig, Credentials, SaveOutcome};
use entitle::model::{Id, ProductId};
use entitle::sandbox::Seed;
use serde_json::json;

fn client(env: &crate::support::Env) -> Client {
    let mut cfg = ClientConfig::new(
        env.base_url.clone(),
        Credentials::new("test-client", crate::support::SECRET),
    );
    cfg.rate_per_sec = 0.0;
    Client::new(cfg).unwrap()
}

#[test]
fn reads_the_demo_account_exactly() {
    let env = Env::new();
    let c = client(&env);
    env.rt.block_on(async {
        let pce = c
            .instance(ProductId::CLOUD_PBX, "3658B431119665QJ")
            .await
            .unwrap();
        let plan = pce.plan.unwrap();
        assert_eq!(plan.id, Id(3048571730026938368));
        assert_eq!(plan.expires.to_string(), "2026-12-10");
        assert_eq!(pce.extensions, 100);
        assert_eq!(pce.services[0].id, Id(3048573935752720384));
        let linkus = c.instance(ProductId::LINKUS, "369471667338").await.unwrap();
        assert!(linkus.plan.is_none());
        let contacts = c.billing_contacts().await.unwrap();
        assert_eq!(contacts[0].id, Id(3197218168379846218));
        let cat = c.catalog(ProductId::SOFTWARE_EDITION, None).await.unwrap();
        assert!(
            cat.services
                .iter()
                .any(|s| s.name == "Hotel PMS Integration")
        );
        let err = c
            .instance(ProductId::CLOUD_PBX, "NOSUCH")
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err}");
        assert!(err.to_string().contains("not_found"), "{err}");
    });
}

#[test]
fn pages_through_a_fleet() {
    let env = Env::with(|c| c.seed = Seed::Fleet(420));
    let c = client(&env);
    let total: usize = env.rt.block_on(async {
        let mut n = 0;
        for p in [9, 11, 12, 13] {
            n += c.instances(ProductId(p)).await.unwrap().len();
        }
        n
    });
    assert_eq!(total, 420);
}

#[test]
fn expired_tokens_are_refreshed_once_and_the_read_retried() {
    let env = Env::new();
    let c = client(&env);
    env.rt.block_on(c.products()).unwrap();
    env.post("/_sandbox/expire-tokens", json!({}));
    env.rt.block_on(c.products()).unwrap();
    assert_eq!(env.count("POST /auth/openapi/v1/oauth/token"), 2);
}

#[test]
fn rate_limits_are_waited_out_and_server_errors_retried() {
    let env = Env::new();
    let c = client(&env);
    // (How long a Retry-After is waited out is tested on tokio's paused clock in api_transport.)
    env.faults(json!({"readFaultEvery": {"every": 2, "kind": "rate_limit"}, "retryAfterSecs": 0}));
    env.rt.block_on(async {
        for _ in 0..2 {
            c.instance(ProductId::SOFTWARE_EDITION, "3651D3296882")
                .await
                .unwrap();
        }
    });
    assert_eq!(env.faults_served(), json!({"rate_limit": 1}));
    assert_eq!(
        env.count("GET /product/openapi/instance_product/v1/detail"),
        3
    );
    env.faults(json!({"readFaultEvery": {"every": 2, "kind": "server_error"}}));
    env.rt.block_on(c.billing_contacts()).unwrap();
    assert_eq!(
        env.faults_served(),
        json!({"rate_limit": 1, "server_error": 1})
    );
    assert_eq!(c.stats().retried, 2);
}

#[test]
fn an_order_save_is_never_sent_twice_by_the_transport() {
    let env = Env::new();
    let c = client(&env);
    let body: entitle::wire::OrderBody =
        serde_json::from_value(crate::support::seed_body(1)).unwrap();
    for fault in ["commit_then_500", "commit_then_drop", "fail_before_commit"] {
        env.post("/_sandbox/reset", json!({}));
        env.faults(json!({"nextOrderSaves": [fault]}));
        let out = env.rt.block_on(c.save_order(&body));
        assert!(matches!(out, SaveOutcome::Unknown(_)), "{fault}: {out:?}");
        assert_eq!(env.count("POST /order/openapi/order/v1/save"), 1, "{fault}");
        assert_eq!(env.faults_served(), json!({ fault: 1 }));
    }
    env.post("/_sandbox/reset", json!({}));
    let mut bad = body.clone();
    bad.service_list[0].connection_plan_id = Some(Id(3049040650094409999));
    match env.rt.block_on(c.save_order(&bad)) {
        SaveOutcome::Refused(e) => {
            assert_eq!(e.code(), Some("business_rule_violation"));
            assert_eq!(e.request_id().map(str::len), Some(32));
        }
        other => panic!("{other:?}"),
    }
}
