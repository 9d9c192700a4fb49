//! `entitle doctor` against the sandbox, as the obliging vendor and as the vendor documented
//! and no more: exit 0, no write request, every assumption named with what was seen, every
//! list and status read that plan and apply read, and a samples directory of whole envelopes
//! with no secret, token, e-mail address, contact, licence key or PBX label, which a scripted
//! fixture serves as they are.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::scripted::{Fixture, Reply, client};
use crate::support::{Env, SECRET, stderr, stdout};

const INSTANCE_LIST: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
const AUTO_RENEW: &str = "/order/openapi/order/v1/check/existed_auto_renew";
const ORDER_GET: &str = "/order/openapi/order/v1/get/";

const WRITES: [&str; 2] = [
    "POST /order/openapi/order/v1/save",
    "POST /product/openapi/instance_subscription/v1/active",
];

/// What a doctor run printed, saved and asked.
struct Run {
    report: String,
    /// `(file name, text)`, by name.
    samples: Vec<(String, String)>,
    /// The sandbox's log of the requests doctor sent (the apply's left out).
    requests: Vec<Value>,
}

/// The text of the sample `name`.
#[track_caller]
fn sample<'a>(samples: &'a [(String, String)], name: &str) -> &'a str {
    samples
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no sample {name}"))
        .1
        .as_str()
}

/// Applies the examples (so there are orders and a journal), then runs doctor.
fn doctor(env: &Env) -> Run {
    let examples = Env::examples_arg();
    let applied = env.apply(&examples);
    assert!(
        matches!(applied.status.code(), Some(0)),
        "{}",
        stderr(&applied)
    );
    let writes: Vec<u64> = WRITES.iter().map(|w| env.count(w)).collect();
    let before = env.get("/_sandbox/requests")["log"]
        .as_array()
        .unwrap()
        .len();
    let out = env.run(&["doctor", &examples, "--price", "--save-samples", "samples"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(
        WRITES.iter().map(|w| env.count(w)).collect::<Vec<_>>(),
        writes,
        "doctor sent a write request"
    );
    assert!(
        stderr(&out).contains("ask the calculator"),
        "{}",
        stderr(&out)
    );
    let mut samples = Vec::new();
    for e in std::fs::read_dir(env.path().join("samples")).unwrap() {
        let e = e.unwrap();
        let text = std::fs::read_to_string(e.path()).unwrap();
        serde_json::from_str::<Value>(&text).unwrap();
        samples.push((e.file_name().to_string_lossy().into_owned(), text));
    }
    samples.sort();
    let requests = env.get("/_sandbox/requests")["log"].as_array().unwrap()[before..].to_vec();
    Run {
        report: stdout(&out),
        samples,
        requests,
    }
}

#[track_caller]
fn line(report: &str, status: &str, assumption: &str) {
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with(status) && l.contains(assumption)),
        "expected `{status}` for `{assumption}` in:\n{report}"
    );
}

/// The evidence line under the finding for `assumption`.
#[track_caller]
fn evidence<'a>(report: &'a str, assumption: &str) -> &'a str {
    let mut lines = report.lines();
    lines
        .by_ref()
        .find(|l| l.contains(assumption))
        .unwrap_or_else(|| panic!("no `{assumption}` in:\n{report}"));
    lines.next().unwrap().trim()
}

#[track_caller]
fn no_secrets(env: &Env, samples: &[(String, String)]) {
    assert!(
        samples.len() >= 10,
        "{:?}",
        samples.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    let tokens = env.sandbox.issued_tokens();
    // Each a pair (access, refresh): apply's, doctor's probe and its renewal, doctor's own.
    assert_eq!(tokens.len(), 8);
    let private = env.private_values();
    for (name, text) in samples {
        assert!(!text.contains(SECRET), "the client secret in {name}");
        for t in &tokens {
            assert!(!text.contains(t.as_str()), "a token in {name}");
        }
        assert!(!text.contains('@'), "an e-mail address in {name}: {text}");
        for p in &private {
            assert!(!text.contains(p.as_str()), "`{p}` in {name}: {text}");
        }
        // The whole envelope, as a fixture serves it.
        let v: Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["code"], "success", "{name}");
        assert_eq!(v["status"], 200, "{name}");
        assert_eq!(v["requestId"].as_str().map(str::len), Some(32), "{name}");
        assert!(v.get("result").is_some(), "{name}");
    }
    let token: Value = serde_json::from_str(sample(samples, "token.json")).unwrap();
    assert_eq!(token["result"]["token"], "<redacted>");
    assert_eq!(token["result"]["refreshToken"], "<redacted>");
    // Catalog facts are not personal: product names stay.
    let products: Value = serde_json::from_str(sample(samples, "L1-product_list.json")).unwrap();
    let names: Vec<&str> = products["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Linkus Cloud Service",
            "P-Series Appliance Edition",
            "P-Series Software Edition",
            "P-Series Cloud PBX (PCE Instance)"
        ]
    );
}

#[test]
fn the_obliging_sandbox_confirms_every_assumption() {
    let env = Env::new();
    let Run {
        report, samples, ..
    } = doctor(&env);
    line(&report, "confirmed", "`expiresIn` is a string of seconds");
    line(
        &report,
        "confirmed",
        "the calculator takes the documented body",
    );
    line(
        &report,
        "confirmed",
        "`sort=-createTime` lists newest first",
    );
    line(&report, "confirmed", "`createTime` is in milliseconds");
    line(
        &report,
        "confirmed",
        "`customReferenceNo` echoes the poNumber",
    );
    line(&report, "confirmed", "an unknown SN is 404 not_found");
    line(&report, "confirmed", "a bad token is refused with 401");
    line(
        &report,
        "confirmed",
        "the order detail is {basicInformation, orderInformation} as listed",
    );
    line(
        &report,
        "confirmed",
        "`basicInformation.productId` is a string",
    );
    // One PBX per product: no list is long enough to show the page size.
    line(&report, "unseen", "a page holds the 100 items asked for");
    assert_eq!(
        evidence(&report, "a page holds the 100 items asked for"),
        "no list is longer than a page (the PBXs of product 12: 1, the PBXs of product 11: 1, \
         the PBXs of product 9: 1, the PBXs of product 13: 1, the orders: 4); entitle follows \
         totalPage whatever a page holds"
    );
    assert!(
        report.contains("OK: entitle can work with this account as it is."),
        "{report}"
    );
    no_secrets(&env, &samples);
}

/// Every product of the manifests has its PBX list read and one auto-renew status, and the
/// newest order its detail: what plan and apply read, not the first PBX's product only.
#[test]
fn every_product_of_the_manifests_is_listed_and_the_newest_order_read() {
    let env = Env::new();
    let Run {
        report,
        samples,
        requests: log,
    } = doctor(&env);
    let queried = |path: &str| -> Vec<String> {
        log.iter()
            .filter(|r| r["path"] == path)
            .map(|r| r["query"].as_str().unwrap().to_owned())
            .collect()
    };
    let products_listed: BTreeSet<String> = queried(INSTANCE_LIST)
        .iter()
        .filter_map(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("productId="))
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        products_listed,
        ["11", "12", "13", "9"].map(str::to_owned).into()
    );
    assert_eq!(
        queried(AUTO_RENEW)
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        [
            "productNo=3631E0997265&productId=11",
            "productNo=3651D3296882&productId=12",
            "productNo=3658B431119665QJ&productId=13",
            "productNo=369471667338&productId=9"
        ]
        .into()
    );
    let orders = env.get("/_sandbox/orders");
    let newest = orders.as_array().unwrap().last().unwrap()["orderNo"]
        .as_str()
        .unwrap()
        .to_owned();
    let details: Vec<String> = log
        .iter()
        .filter_map(|r| {
            r["path"]
                .as_str()?
                .strip_prefix(ORDER_GET)
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(details, std::slice::from_ref(&newest));
    let names: Vec<&str> = samples.iter().map(|(n, _)| n.as_str()).collect();
    let order_sample = format!("L7-order-{newest}.json");
    let mut expected = vec![
        "L1-product_list.json",
        "L2-instance_list-11.json",
        "L2-instance_list-12.json",
        "L2-instance_list-13.json",
        "L2-instance_list-9.json",
        "L3-detail-11-3631E0997265.json",
        "L3-detail-12-3651D3296882.json",
        "L3-detail-13-3658B431119665QJ.json",
        "L3-detail-9-369471667338.json",
        "L4-catalog-11.json",
        "L4-catalog-12.json",
        "L4-catalog-13.json",
        "L4-catalog-9.json",
        "L5-billing_contacts.json",
        "L6-order_page.json",
        order_sample.as_str(),
        "L8-auto_renew-11-3631E0997265.json",
        "L8-auto_renew-12-3651D3296882.json",
        "L8-auto_renew-13-3658B431119665QJ.json",
        "L8-auto_renew-9-369471667338.json",
        "token.json",
    ];
    expected.sort_unstable();
    assert_eq!(names, expected);
    // The order detail's fields are reported as the others' are.
    assert!(report.contains("  order detail: serviceList\n"), "{report}");
}

/// A saved sample is the whole envelope: a scripted fixture serves it as it is, and the
/// client reads from it what the sandbox said.
#[test]
fn samples_are_served_as_they_are_by_a_fixture() {
    let env = Env::new();
    let Run { samples, .. } = doctor(&env);
    let detail = sample(&samples, "L3-detail-13-3658B431119665QJ.json").to_owned();
    let contacts = sample(&samples, "L5-billing_contacts.json").to_owned();
    env.rt.block_on(async {
        let fx = Fixture::builder()
            .on(
                "/product/openapi/instance_product/v1/detail",
                vec![Reply::raw(200, detail)],
            )
            .on(
                "/user/openapi/user/v1/client/billing_contact_list",
                vec![Reply::raw(200, contacts)],
            )
            .start()
            .await;
        let c = client(&fx.base_url);
        let pbx = c
            .instance(entitle::model::ProductId(13), "3658B431119665QJ")
            .await
            .unwrap();
        assert_eq!(pbx.extensions, 100);
        assert_eq!(pbx.comment, "<redacted>");
        assert_eq!(
            pbx.plan.as_ref().map(|p| p.name.as_str()),
            Some("Enterprise Plan")
        );
        let contacts = c.billing_contacts().await.unwrap();
        assert_eq!(
            contacts.iter().map(|c| c.id.0).collect::<Vec<_>>(),
            [crate::support::CONTACT]
        );
    });
}

#[test]
fn the_documented_only_sandbox_is_told_apart_and_still_works() {
    let env = Env::with(|c| c.variant = entitle::sandbox::Variant::documented_only());
    let Run {
        report, samples, ..
    } = doctor(&env);
    line(
        &report,
        "contradicted",
        "`sort=-createTime` lists newest first",
    );
    // Oldest first, so read backwards at the window's cost, not whole.
    assert!(
        report.contains(
            "the list ignores sort, oldest first: entitle reads from its last page back to the window"
        ),
        "{report}"
    );
    line(&report, "contradicted", "`createTime` is in milliseconds");
    line(
        &report,
        "contradicted",
        "`customReferenceNo` echoes the poNumber",
    );
    line(
        &report,
        "confirmed",
        "the calculator takes the documented body",
    );
    // Not said by the vendor; known from the table of vendor facts where the tutorials tell.
    line(
        &report,
        "contradicted",
        "product 12: services say what they are",
    );
    assert!(
        report.contains(
            "unknown, so refused when a manifest asks for them: Hot Standby, Outbound Call Center"
        ),
        "{report}"
    );
    line(&report, "contradicted", "product 12: plans rank");
    line(
        &report,
        "contradicted",
        "a page holds the 100 items asked for",
    );
    assert!(
        report.contains("every plan ranks (said, or from its name)"),
        "{report}"
    );
    assert!(
        report.contains("catalog service: billingCycles, kind, requiresPlanIds"),
        "{report}"
    );
    assert!(
        report.contains("OK: entitle can work with this account as it is."),
        "{report}"
    );
    no_secrets(&env, &samples);
}

/// A vendor that lists orders oldest first, 50 to a page, and does echo the poNumber: the
/// workspace's orders are behind 60 older ones, past page 1. The echo is judged on the orders
/// apply reads to find them, so it is confirmed.
#[test]
fn an_echo_behind_a_page_of_older_orders_is_confirmed() {
    let env = Env::with(|c| {
        c.variant = entitle::sandbox::Variant {
            echo_reference: true,
            ..entitle::sandbox::Variant::documented_only()
        };
        c.past_orders = 60;
    });
    let Run {
        report, samples, ..
    } = doctor(&env);
    // Page 1 holds none of the workspace's orders: only the history.
    let page: Value = serde_json::from_str(sample(&samples, "L6-order_page.json")).unwrap();
    let first_page = page["result"]["results"].as_array().unwrap();
    assert_eq!(first_page.len(), 50);
    assert!(
        first_page.iter().all(|o| o["customReferenceNo"] == ""),
        "{page}"
    );
    line(
        &report,
        "confirmed",
        "`customReferenceNo` echoes the poNumber",
    );
    // Page 1 and the orders since the workspace's first intent: the history's newest ten are
    // on neither.
    assert_eq!(env.order_bodies().len(), 64);
    assert_eq!(
        evidence(&report, "`customReferenceNo` echoes the poNumber"),
        "4 of this workspace's 4 orders found by poNumber among 54 orders read"
    );
    line(
        &report,
        "contradicted",
        "`sort=-createTime` lists newest first",
    );
    line(&report, "contradicted", "`createTime` is in milliseconds");
    no_secrets(&env, &samples);
}

#[test]
fn wrong_credentials_block_with_exit_1() {
    let env = Env::new();
    let out = env
        .cmd()
        .args(["doctor"])
        .env("ENTITLE_CLIENT_SECRET", "not-the-secret-0x9f")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("BLOCKED"), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("not-the-secret-0x9f"),
        "{}",
        stdout(&out)
    );
}

/// A mistyped `--sn` is named with the closest SN, before any request; `--sn` without
/// manifests is refused rather than ignored.
#[test]
fn a_mistyped_sn_is_named_not_sampled_around() {
    let env = Env::new();
    let examples = Env::examples_arg();
    let out = env.run(&["doctor", &examples, "--sn", "3651D329688"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains(
            "--sn 3651D329688: no PBX with this SN in the manifests; did you mean 3651D3296882?"
        ),
        "{}",
        stderr(&out)
    );
    let out = env.run(&["doctor", "--sn", "3651D3296882"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--sn picks PBXs of the manifests: give the manifests' paths too"),
        "{}",
        stderr(&out)
    );
    let log = env.get("/_sandbox/requests");
    assert_eq!(log["log"].as_array().map(Vec::len), Some(0), "{log}");
}

/// Every vendor the sandbox can play: doctor passes (exit 0) and writes nothing.
#[test]
fn doctor_passes_against_every_vendor_variant() {
    let mut variants = Vec::new();
    for bits in 0..64u32 {
        let on = |b: u32| bits & (1 << b) != 0;
        variants.push(serde_json::json!({
            "echoReference": !on(0), "timesInSeconds": on(1), "ignoreSort": on(2),
            "listLagMs": if on(3) { 60_000 } else { 0 },
            "effectLagMs": if on(4) { 60_000 } else { 0 },
            "minimalCatalog": on(5), "pageCap": if on(5) { 50 } else { 0 },
        }));
    }
    for v in variants {
        let env = Env::new();
        env.faults(v.clone());
        let out = env.run(&["doctor", "--price"]);
        assert_eq!(out.status.code(), Some(0), "{v}\n{}", stdout(&out));
        for w in WRITES {
            assert_eq!(env.count(w), 0, "{v}");
        }
    }
}
