//! `entitle doctor` against the sandbox, as the obliging vendor and as the vendor documented
//! and no more: exit 0, no write request, every assumption named with what was seen, and a
//! samples directory with no secret, token or e-mail address.

use serde_json::Value;

use crate::support::{Env, SECRET, stderr, stdout};

const WRITES: [&str; 2] = [
    "POST /order/openapi/order/v1/save",
    "POST /product/openapi/instance_subscription/v1/active",
];

/// Applies the examples (so there are orders and a journal), then runs doctor; returns its
/// output and the samples' text.
fn doctor(env: &Env) -> (String, Vec<(String, String)>) {
    let examples = Env::examples_arg();
    let applied = env.apply(&examples);
    assert!(
        matches!(applied.status.code(), Some(0)),
        "{}",
        stderr(&applied)
    );
    let writes: Vec<u64> = WRITES.iter().map(|w| env.count(w)).collect();
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
    (stdout(&out), samples)
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

#[track_caller]
fn no_secrets(samples: &[(String, String)]) {
    assert!(
        samples.len() >= 10,
        "{:?}",
        samples.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (name, text) in samples {
        assert!(!text.contains(SECRET), "{name}");
        assert!(!text.contains('@'), "an e-mail address in {name}: {text}");
    }
    let token = &samples.iter().find(|(n, _)| n == "token.json").unwrap().1;
    let token: Value = serde_json::from_str(token).unwrap();
    assert_eq!(token["token"], "<redacted>");
    assert_eq!(token["refreshToken"], "<redacted>");
}

#[test]
fn the_obliging_sandbox_confirms_every_assumption() {
    let env = Env::new();
    let (report, samples) = doctor(&env);
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
    assert!(
        report.contains("OK: entitle can work with this account as it is."),
        "{report}"
    );
    no_secrets(&samples);
}

#[test]
fn the_documented_only_sandbox_is_told_apart_and_still_works() {
    let env = Env::with(|c| c.variant = entitle::sandbox::Variant::documented_only());
    let (report, samples) = doctor(&env);
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
    no_secrets(&samples);
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
