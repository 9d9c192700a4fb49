//! Spend guardrails: `--max-cost` and the policy file (`entitle.policy.yaml`). A plan over any
//! limit shows every limit it breaks and exits 7, and apply sends nothing; an order whose price
//! is unknown counts as over any budget unless the policy says otherwise; `--override-policy`
//! applies the one plan it names, and the journal records it.
use std::process::Output;

use crate::support::{Env, assert_exit, stderr, stdout};

/// stderr starts with `text` (shown whole when it does not).
fn stderr_starts(o: &Output, text: impl AsRef<str>) {
    let err = stderr(o);
    assert!(err.starts_with(text.as_ref()), "{err}");
}

/// stderr holds `text` (shown whole when it does not).
fn stderr_has(o: &Output, text: impl AsRef<str>) {
    let err = stderr(o);
    assert!(err.contains(text.as_ref()), "{err}");
}

/// The examples cost USD 7,900.00.
#[test]
fn a_plan_over_max_cost_exits_7_and_apply_sends_nothing() {
    let env = Env::new();
    let now = env.now();
    let m = Env::examples_arg();
    let over = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--max-cost",
        "USD 7899.99",
    ]);
    assert_exit(&over, 7);
    stderr_has(
        &over,
        "error: --max-cost USD 7,899.99: the plan would spend USD 7,900.00; USD 0.01 over\nerror: the plan breaks 1 spend limit: nothing of it is applied",
    );
    let within = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--max-cost",
        "USD 7900",
    ]);
    assert_exit(&within, 2);
    let md = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--format",
        "markdown",
        "--max-cost",
        "USD 7899.99",
    ]);
    let text = crate::support::stdout(&md);
    assert!(
        text.starts_with(
            "### entitle plan: 4 orders and 1 auto-renew switch for 4 PBXs, USD 7,900.00\n\n\
             :no_entry: **Over the spend limits: nothing of this plan is applied.**\n\n\
             - `--max-cost` USD 7,899.99: the plan would spend USD 7,900.00; USD 0.01 over\n"
        ),
        "the verdict heads the comment: {text}"
    );
    let md = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--format",
        "markdown",
        "--max-cost",
        "USD 8000",
    ]);
    assert!(
        crate::support::stdout(&md)
            .contains(":white_check_mark: **Within the spend limits** (--max-cost USD 8,000.00)."),
        "{}",
        crate::support::stdout(&md)
    );
    let json = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--detailed-exitcode",
        "--format",
        "json",
        "--max-cost",
        "USD 100",
    ]);
    assert_exit(&json, 7);

    let apply = env.run(&[
        "apply",
        &m,
        "--now",
        &now,
        "--auto-approve",
        "--max-cost",
        "USD 5000",
    ]);
    assert_exit(&apply, 7);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    assert_eq!(env.intents(), 0);
}

#[test]
fn an_unknown_price_fails_closed() {
    let env = Env::new();
    let now = env.now();
    let m = Env::examples_arg();
    let apply = env.run(&[
        "apply",
        &m,
        "--now",
        &now,
        "--auto-approve",
        "--no-price",
        "--max-cost",
        "USD 1000000",
    ]);
    assert_exit(&apply, 7);
    stderr_has(&apply, "4 orders without a price count as over any budget");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    let bad = env.run(&["plan", &m, "--now", &now, "--max-cost", "5000"]);
    assert_exit(&bad, 1);
    stderr_has(&bad, "expected a currency and an amount");
}

/// The examples (copied into the test's directory, planned as `manifests/examples`) with a
/// policy file at their root.
fn with_policy(env: &Env, policy: &str) -> String {
    let m = crate::plan_e2e::with_examples(env);
    std::fs::write(env.path().join(m).join("entitle.policy.yaml"), policy).unwrap();
    m.to_owned()
}

/// Every kind of limit, each broken by the examples: USD 7,900.00 in all, USD 2,180.00 for
/// acme (its purchase of 200 extensions), USD 5,000.00 for umbrella's renewal, a plan switch.
const BROKEN: &str = "\
version: 1
budget:
  perRun: USD 7000
  perCustomer:
    acme: USD 2000
  perPbx: USD 4000
operations: [renew_plan, purchase_service, enable_auto_renew, purchase_plan]
maxIncrease:
  extensions: 100
";

#[test]
fn a_policy_file_shows_every_limit_the_plan_breaks_and_apply_sends_nothing() {
    let env = Env::new();
    let now = env.now();
    let m = with_policy(&env, BROKEN);
    let plan = env.run(&["plan", &m, "--now", &now, "--detailed-exitcode"]);
    assert_exit(&plan, 7);
    let p = "manifests/examples/entitle.policy.yaml";
    assert_eq!(
        stderr(&plan),
        format!(
            "error: {p}:3:11: budget.perRun USD 7,000.00: the plan would spend USD 7,900.00; USD 900.00 over\n\
             error: {p}:5:11: budget.perCustomer.acme USD 2,000.00 for customer acme: the plan would spend USD 2,180.00; USD 180.00 over\n\
             error: {p}:6:11: budget.perPbx USD 4,000.00 for 3658B431119665QJ (cloud-pbx): the plan would spend USD 5,000.00; USD 1,000.00 over\n\
             error: {p}:7:13: operations renew_plan, purchase_service, enable_auto_renew, purchase_plan: the plan would place switch_plan on 3631E0997265 (appliance); switch_plan is not an allowed operation\n\
             error: {p}:9:15: maxIncrease.extensions +100 extensions per order for 3651D3296882 (software-edition): the plan would add +200 (100 → 300) in one purchase_service; +200 extensions is over the largest increase, +100\n\
             error: the plan breaks 5 spend limits: nothing of it is applied\n"
        )
    );
    // Without --detailed-exitcode a plan that is shown is a success, as for changes.
    assert_exit(&env.run(&["plan", &m, "--now", &now]), 0);

    let md = env.run(&[
        "plan",
        &m,
        "--now",
        &now,
        "--format",
        "markdown",
        "-o",
        "plan.json",
    ]);
    let head: String = stdout(&md).lines().take(12).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(crate::support::redact(&head));

    // The JSON plan records the policy it was made under.
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path().join("plan.json")).unwrap())
            .unwrap();
    assert_eq!(saved["policy"][0]["file"], p);
    assert_eq!(saved["policy"][0]["per_run"]["value"]["cents"], 700_000);
    // `show` of the saved plan judges it by the policy it recorded, as `plan` did.
    let shown = env.run(&["show", "plan.json", "--format", "markdown"]);
    assert_exit(&shown, 0);
    let shown_head: String = stdout(&shown)
        .lines()
        .take(12)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(shown_head, head);
    assert_eq!(stderr(&shown).lines().count(), 6, "{}", stderr(&shown));

    for args in [vec!["apply", &m], vec!["apply", "plan.json"]] {
        let mut args = args.clone();
        args.extend(["--now", &now, "--auto-approve"]);
        let apply = env.run(&args);
        assert_exit(&apply, 7);
        stderr_has(&apply, "budget.perRun USD 7,000.00");
    }
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    assert_eq!(env.intents(), 0);
}

#[test]
fn an_unknown_price_fails_closed_unless_the_policy_says_otherwise() {
    let env = Env::new();
    let now = env.now();
    let m = with_policy(&env, "version: 1\nbudget: {perRun: USD 1000000}\n");
    let apply = env.run(&["apply", &m, "--now", &now, "--auto-approve", "--no-price"]);
    assert_exit(&apply, 7);
    stderr_has(&apply, "4 orders without a price count as over any budget");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);

    let m = with_policy(
        &env,
        "version: 1\nbudget: {perRun: USD 1000000}\nunknownPrice: allow\n",
    );
    let apply = env.run(&["apply", &m, "--now", &now, "--auto-approve", "--no-price"]);
    assert_exit(&apply, 0);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 4);
}

#[test]
fn an_override_applies_only_the_plan_it_names_and_the_journal_records_it() {
    let env = Env::new();
    let now = env.now();
    let m = with_policy(&env, "version: 1\nbudget: {perRun: USD 100}\n");
    assert_exit(
        &env.run(&[
            "plan",
            &m,
            "--now",
            &now,
            "-o",
            "plan.json",
            "--detailed-exitcode",
        ]),
        7,
    );
    let saved = std::fs::read_to_string(env.path().join("plan.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&saved).unwrap();
    let id = doc["plan_id"].as_str().unwrap().to_owned();
    let apply = |extra: &[&str]| {
        let mut args = vec!["apply", "plan.json", "--now", &now, "--auto-approve"];
        args.extend(extra);
        env.run(&args)
    };

    let refused = apply(&[]);
    assert_exit(&refused, 7);
    stderr_has(
        &refused,
        format!(
            "help: to apply it anyway, a person approves this plan: `entitle apply plan.json --override-policy {id}`"
        ),
    );
    let other = apply(&["--override-policy", "plan-00000000000000000000"]);
    assert_exit(&other, 7);
    stderr_has(
        &other,
        format!(
            "error: --override-policy plan-00000000000000000000 approves another plan; this one is {id}, and nothing of it is applied"
        ),
    );
    // The policy taken out of the saved plan: the plan no longer matches its ID.
    let mut edited = doc.clone();
    edited.as_object_mut().unwrap().remove("policy");
    std::fs::write(env.path().join("edited.json"), edited.to_string()).unwrap();
    let tampered = env.run(&["apply", "edited.json", "--now", &now, "--auto-approve"]);
    assert_ne!(tampered.status.code(), Some(0), "{}", stderr(&tampered));
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    assert_eq!(env.intents(), 0);

    let approved = apply(&["--override-policy", &id]);
    assert_exit(&approved, 0);
    stderr_has(
        &approved,
        "warning: over the spend limits, approved by --override-policy: budget.perRun USD 100.00: the plan would spend USD 7,900.00",
    );
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 4);
    let started: Vec<serde_json::Value> = env
        .journal()
        .into_iter()
        .filter(|e| e["state"] == "plan_started")
        .collect();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0]["plan_id"], id.as_str());
    assert_eq!(
        started[0]["detail"],
        format!(
            "applied over the spend limits by --override-policy {id}: budget.perRun USD 100.00: the plan would spend USD 7,900.00; USD 7,800.00 over"
        )
    );
}

#[test]
fn a_wrong_policy_file_is_a_located_error_of_every_command() {
    let env = Env::new();
    let m = with_policy(
        &env,
        "version: 1\nbudget:\n  perRun: 5000\noperations: [renew]\n",
    );
    let p = "manifests/examples/entitle.policy.yaml";
    for cmd in ["validate", "plan"] {
        let o = env.run(&[cmd, &m]);
        assert_exit(&o, 1);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{p}:3:11"))
                && err.contains("`budget.perRun` must be a currency and an amount"),
            "{cmd}: {err}"
        );
        assert!(
            err.contains(&format!("{p}:4:14"))
                && err.contains("unknown operation `renew`, did you mean `renew_plan`?"),
            "{cmd}: {err}"
        );
    }
}

/// Inside a git repository, a policy above the paths given holds them too: planning one
/// customer's file never skips the repository's budget. Outside one, only the paths' own.
#[test]
fn a_policy_above_the_paths_holds_them_inside_a_repository() {
    let env = Env::new();
    let now = env.now();
    crate::plan_e2e::with_examples(&env);
    std::fs::write(
        env.path().join("manifests/entitle.policy.yaml"),
        "version: 1\nbudget: {perRun: USD 1}\n",
    )
    .unwrap();
    let umbrella = "manifests/examples/umbrella.yaml";
    let outside = env.run(&["plan", umbrella, "--now", &now, "--detailed-exitcode"]);
    assert_exit(&outside, 2);

    std::fs::create_dir(env.path().join(".git")).unwrap();
    for path in [umbrella, "manifests/examples"] {
        let inside = env.run(&["plan", path, "--now", &now, "--detailed-exitcode"]);
        assert_exit(&inside, 7);
        stderr_starts(
            &inside,
            "error: manifests/entitle.policy.yaml:2:18: budget.perRun USD 1.00: the plan would spend USD ",
        );
    }
    let apply = env.run(&["apply", umbrella, "--now", &now, "--auto-approve"]);
    assert_exit(&apply, 7);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
}

/// A plan saved with `--max-cost` records it: applied later without the option, it is still
/// held to it; and the saved-plan message says apply will send nothing.
#[test]
fn a_saved_plan_keeps_its_max_cost_and_selection_options_do_not_apply_to_it() {
    let env = Env::new();
    let now = env.now();
    let m = crate::plan_e2e::with_examples(&env);
    let plan = env.run(&[
        "plan",
        m,
        "--now",
        &now,
        "--max-cost",
        "USD 5000",
        "-o",
        "p.json",
    ]);
    assert_exit(&plan, 0);
    let id = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(env.path().join("p.json")).unwrap(),
    )
    .unwrap()["plan_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stderr_starts(
        &plan,
        format!(
            "Saved plan {id} to p.json; it breaks its spend limits, so `entitle apply` sends nothing of it unless a person approves this plan: `entitle apply p.json --override-policy {id}`.\n"
        ),
    );
    let apply = env.run(&["apply", "p.json", "--now", &now, "--auto-approve"]);
    assert_exit(&apply, 7);
    stderr_starts(
        &apply,
        "error: --max-cost USD 5,000.00: the plan would spend USD 7,900.00; USD 2,900.00 over\n",
    );
    // The same --max-cost given again is not a second limit.
    let again = env.run(&[
        "apply",
        "p.json",
        "--now",
        &now,
        "--auto-approve",
        "--max-cost",
        "USD 5000",
    ]);
    assert_exit(&again, 7);
    assert_eq!(
        stderr(&again).matches("--max-cost USD 5,000.00:").count(),
        1
    );

    // Options that choose what to plan are refused on a saved plan rather than ignored.
    assert_exit(&env.run(&["plan", m, "--now", &now, "-o", "all.json"]), 0);
    let only = env.run(&[
        "apply",
        "all.json",
        "--now",
        &now,
        "--auto-approve",
        "--only",
        "renew_plan",
    ]);
    assert_exit(&only, 1);
    stderr_starts(
        &only,
        "error: --only chooses what to plan, and `all.json` is a saved plan, whose orders were chosen when it was made; nothing was sent\n  help: give it to `entitle plan` when making the plan (`-o plan.json`), then apply that plan\n",
    );
    let sn = env.run(&[
        "apply",
        "all.json",
        "--now",
        &now,
        "--auto-approve",
        "--sn",
        "3658B431119665QJ",
    ]);
    assert_exit(&sn, 1);
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    assert_eq!(env.intents(), 0);
}

/// A policy tightened (or added) after a plan was saved holds the saved plan too, when the
/// plan's manifests are where it was made; a looser one never loosens it.
#[test]
fn a_policy_tightened_after_the_plan_was_saved_holds_it() {
    let env = Env::new();
    let now = env.now();
    let m = with_policy(&env, "version: 1\nbudget: {perRun: USD 100000}\n");
    assert_exit(&env.run(&["plan", &m, "--now", &now, "-o", "p.json"]), 0);
    let policy = env.path().join(&m).join("entitle.policy.yaml");
    std::fs::write(&policy, "version: 1\nbudget: {perRun: USD 100}\n").unwrap();
    let apply = env.run(&["apply", "p.json", "--now", &now, "--auto-approve"]);
    assert_exit(&apply, 7);
    stderr_starts(
        &apply,
        "note: manifests/examples/entitle.policy.yaml is not as it was when the plan was made: the plan is held to both\n\
             error: manifests/examples/entitle.policy.yaml:2:18: budget.perRun USD 100.00: the plan would spend USD 7,900.00; USD 7,800.00 over\n",
    );
    // A broken policy file stops it too.
    std::fs::write(&policy, "version: 1\nbudget: {perRun: lots}\n").unwrap();
    let broken = env.run(&["apply", "p.json", "--now", &now, "--auto-approve"]);
    assert_exit(&broken, 1);
    stderr_has(&broken, "manifests/examples/entitle.policy.yaml:2:18");
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 0);
    // Applied where its manifests are not: held to what it recorded, and told so.
    let away = env.path().join("away");
    std::fs::create_dir(&away).unwrap();
    std::fs::copy(env.path().join("p.json"), away.join("p.json")).unwrap();
    let elsewhere = env
        .std_cmd()
        .current_dir(&away)
        .args([
            "apply",
            "p.json",
            "--now",
            &now,
            "--auto-approve",
            "--max-cost",
            "USD 1",
        ])
        .output()
        .unwrap();
    assert_exit(&elsewhere, 7);
    stderr_starts(
        &elsewhere,
        "note: the plan's manifests (manifests/examples) are not here: it is held to the limits it recorded, not to any policy file as it is now\n",
    );
    // Back as it was: applied.
    std::fs::write(&policy, "version: 1\nbudget: {perRun: USD 100000}\n").unwrap();
    assert_exit(
        &env.run(&["apply", "p.json", "--now", &now, "--auto-approve"]),
        0,
    );
    assert_eq!(env.count("POST /order/openapi/order/v1/save"), 4);
}

/// A customer budget for a name close to a customer of the manifests is a typo (an error,
/// located); one for a customer no manifest read has holds nothing, and is said so.
#[test]
fn a_customer_budget_must_name_a_customer() {
    let env = Env::new();
    let now = env.now();
    let m = with_policy(
        &env,
        "version: 1\nbudget:\n  perCustomer:\n    ACME: USD 10\n",
    );
    let typo = env.run(&["plan", &m, "--now", &now]);
    assert_exit(&typo, 1);
    stderr_has(
        &typo,
        "error: manifests/examples/entitle.policy.yaml:4:11: no PBX has customer `ACME`, did you mean `acme`? [unknown-value]",
    );
    let m = with_policy(
        &env,
        "version: 1\nbudget:\n  perCustomer:\n    hooli: USD 10\n",
    );
    let idle = env.run(&["plan", &m, "--now", &now, "--detailed-exitcode"]);
    assert_exit(&idle, 2);
    stderr_starts(
        &idle,
        "warning: manifests/examples/entitle.policy.yaml:4:12: budget.perCustomer.hooli: no PBX of these manifests has customer `hooli`; this budget holds nothing here\n",
    );
}

/// A policy file below a directory given holds the manifests under its own directory, and
/// only those; planning its directory alone, it holds the whole run.
#[test]
fn a_policy_below_the_paths_holds_the_manifests_under_it() {
    let env = Env::new();
    let now = env.now();
    for (dir, files) in [
        ("a", ["acme.yaml", "globex.yaml"]),
        ("b", ["initech.yaml", "umbrella.yaml"]),
    ] {
        std::fs::create_dir_all(env.path().join("manifests").join(dir)).unwrap();
        for f in files {
            std::fs::copy(
                Env::examples().join(f),
                env.path().join("manifests").join(dir).join(f),
            )
            .unwrap();
        }
    }
    let policy = env.path().join("manifests/a/entitle.policy.yaml");
    // acme's USD 2,180.00 and globex's USD 600.00; umbrella's USD 5,000.00 is b's.
    std::fs::write(&policy, "version: 1\nbudget: {perRun: USD 2780}\n").unwrap();
    let within = env.run(&["plan", "manifests", "--now", &now, "--detailed-exitcode"]);
    assert_exit(&within, 2);
    std::fs::write(&policy, "version: 1\nbudget: {perRun: USD 2779.99}\n").unwrap();
    let over = env.run(&["plan", "manifests", "--now", &now, "--detailed-exitcode"]);
    assert_exit(&over, 7);
    stderr_starts(
        &over,
        "error: manifests/a/entitle.policy.yaml:2:18: budget.perRun USD 2,779.99 for the PBXs under manifests/a: the plan would spend USD 2,780.00; USD 0.01 over\n",
    );
    // Its directory alone: the same limit, holding the whole run.
    let alone = env.run(&["plan", "manifests/a", "--now", &now, "--detailed-exitcode"]);
    assert_exit(&alone, 7);
    // And `validate` of the parent checks it.
    std::fs::write(&policy, "version: 1\nbudget:\n  perRun: USD 79,00\n").unwrap();
    let invalid = env.run(&["validate", "manifests"]);
    assert_exit(&invalid, 1);
    stderr_has(&invalid, "manifests/a/entitle.policy.yaml:3:11");
}

/// A repository-wide policy names customers of manifests a run may not read: planning one
/// file, a budget of another customer is idle (a warning), never a typo (an error).
#[test]
fn a_policy_above_names_customers_of_other_manifests_without_error() {
    let env = Env::new();
    let now = env.now();
    crate::plan_e2e::with_examples(&env);
    std::fs::create_dir(env.path().join(".git")).unwrap();
    std::fs::write(
        env.path().join("manifests/entitle.policy.yaml"),
        "version: 1\nbudget:\n  perCustomer:\n    umbrella: USD 10000\n    acme: USD 10000\n",
    )
    .unwrap();
    let one = env.run(&[
        "plan",
        "manifests/examples/umbrella.yaml",
        "--now",
        &now,
        "--detailed-exitcode",
    ]);
    assert_exit(&one, 2);
    assert!(
        stderr(&one)
            .contains("budget.perCustomer.acme: no PBX of these manifests has customer `acme`"),
        "{}",
        stderr(&one)
    );
}
