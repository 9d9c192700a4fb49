//! Time is an input: the demo moves with its today, `--sandbox` and the client agree on it, and
//! `--now` never moves the clock that orders are checked against at the real vendor.

use serde_json::Value;

use crate::support::{Env, command, stderr, stdout};

/// `plan manifests/examples --sandbox` in a fresh workspace, as JSON, with `extra` arguments.
fn demo_plan(extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = command()
        .current_dir(dir.path())
        .args([
            "plan",
            &Env::examples_arg(),
            "--sandbox",
            "--format",
            "json",
        ])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What a plan would buy, with nothing that names a date: per PBX, each action's kind and the
/// exact order body (without its plan-derived poNumber).
fn purchases(plan: &Value) -> Vec<(String, Vec<(String, Value)>)> {
    plan["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let actions = p["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let mut body = a["order"].clone();
                    if let Some(o) = body.as_object_mut() {
                        o.remove("poNumber");
                    }
                    (a["kind"].as_str().unwrap().to_owned(), body)
                })
                .collect();
            (p["sn"].as_str().unwrap().to_owned(), actions)
        })
        .collect()
}

/// The renewal's reason: "term ends DATE, within 30d: ...".
fn renewal_reason(plan: &Value) -> String {
    plan["pbxs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["actions"].as_array().unwrap())
        .find(|a| a["kind"] == "renew_plan")
        .map(|a| a["reason"].as_str().unwrap().to_owned())
        .expect("a renewal is planned")
}

#[test]
fn the_demo_plans_the_same_four_scenarios_on_any_day() {
    let base = demo_plan(&["--now", "2026-11-22"]);
    let expected = purchases(&base);
    let kinds: Vec<Vec<&str>> = expected
        .iter()
        .map(|(_, a)| a.iter().map(|(k, _)| k.as_str()).collect())
        .collect();
    assert_eq!(
        kinds,
        [
            vec!["purchase_service"],
            vec!["switch_plan"],
            vec!["purchase_plan"],
            vec!["renew_plan", "enable_auto_renew"]
        ]
    );
    assert!(
        renewal_reason(&base).starts_with("term ends 2026-12-10, within 30d"),
        "{}",
        renewal_reason(&base)
    );
    // 40 days, 400 days and three years on, a fresh demo account plans exactly the same orders;
    // its dates (and the plan's) follow its today.
    for (now, term_end) in [
        ("2027-01-01", "2027-01-19"),
        ("2027-12-27", "2028-01-14"),
        ("2029-11-21", "2029-12-09"),
    ] {
        let later = demo_plan(&["--now", now]);
        assert_eq!(later["today"], now);
        assert_eq!(purchases(&later), expected, "on {now}");
        assert!(
            renewal_reason(&later).starts_with(&format!("term ends {term_end}, within 30d")),
            "{}",
            renewal_reason(&later)
        );
    }
    // And on the real today, whatever it is (CI runs this with the clock moved ahead too).
    assert_eq!(purchases(&demo_plan(&[])), expected, "today");
}

#[test]
fn the_demo_readme_walkthrough_converges_on_any_day() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        command()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let examples = Env::examples_arg();
    let apply = run(&["apply", &examples, "--sandbox", "--auto-approve"]);
    assert_eq!(apply.status.code(), Some(0), "{}", stderr(&apply));
    assert!(
        stdout(&apply).contains("5 done, 0 pending, 0 failed, 0 unknown, 0 skipped"),
        "{}",
        stdout(&apply)
    );
    let again = run(&["plan", &examples, "--sandbox", "--detailed-exitcode"]);
    assert_eq!(again.status.code(), Some(0), "{}", stdout(&again));
    assert!(
        stdout(&again).starts_with("No changes."),
        "{}",
        stdout(&again)
    );
}

#[test]
fn apply_refuses_now_against_the_real_vendor() {
    let dir = tempfile::tempdir().unwrap();
    let out = command()
        .current_dir(dir.path())
        .args([
            "apply",
            &Env::examples_arg(),
            "--now",
            "2026-11-22",
            "--auto-approve",
            "--base-url",
            "https://openapi.partner.yeastar.example",
        ])
        .env("ENTITLE_CLIENT_ID", "id")
        .env("ENTITLE_CLIENT_SECRET", "secret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --now is refused when applying to https://openapi.partner.yeastar.example: orders \
         are placed at the vendor's real time, so the checks for orders in flight must count \
         from it; --now is for plans, the sandbox and tests\n"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn now_takes_a_date_or_a_utc_time_and_says_what_it_expects() {
    let env = Env::new();
    let ok = env.run(&[
        "plan",
        &Env::examples_arg(),
        "--now",
        "2026-11-22T12:00:00.250Z",
        "--format",
        "json",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    let plan: Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(plan["today"], "2026-11-22");
    let bad = env.run(&["plan", &Env::examples_arg(), "--now", "22/11/2026"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains(
            "`22/11/2026` is neither a date nor a UTC time; write 2026-11-22 or 2026-11-22T09:00:00Z"
        ),
        "{}",
        stderr(&bad)
    );
}
