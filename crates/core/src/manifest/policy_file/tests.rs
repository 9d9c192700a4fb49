use super::*;

fn read(text: &str) -> Result<Policy, Vec<String>> {
    decode(&Arc::from("p.yaml"), text).map_err(|ds| ds.iter().map(|d| d.to_string()).collect())
}

#[test]
fn every_limit_is_read_with_where_it_is_written() {
    let p = read(
        "version: 1\n\
         budget:\n  perRun: USD 5000\n  perPbx: USD 1,500.50\n  perCustomer:\n    acme: USD 2000\n    \"*\": 800 USD\n\
         operations: [renew_plan, enable_auto_renew]\n\
         maxIncrease:\n  extensions: 50\n  concurrentCalls: 10\n\
         unknownPrice: allow\n",
    )
    .unwrap();
    assert_eq!(p.file, "p.yaml");
    let run = p.per_run.unwrap();
    assert_eq!(
        (run.value.to_string(), run.at.as_str()),
        ("USD 5,000.00".to_owned(), "p.yaml:3:11")
    );
    assert_eq!(p.per_pbx.unwrap().value.cents, 150_050);
    assert_eq!(p.per_customer["acme"].value.cents, 200_000);
    assert_eq!(p.per_customer["*"].at, "p.yaml:7:10");
    let ops = p.operations.unwrap();
    assert_eq!(
        ops.value,
        [ActionKind::RenewPlan, ActionKind::EnableAutoRenew]
    );
    assert_eq!(p.max_increase["extensions"].value, 50);
    assert_eq!(p.max_increase["concurrentCalls"].at, "p.yaml:11:20");
    assert_eq!(p.unknown_price, UnknownPrice::Allow);
}

#[test]
fn every_problem_is_located_and_says_what_was_meant() {
    let problems = read(
        "version: 1\n\
         budjet: {}\n\
         budget:\n  perRun: 5000\n  perPbx: USD 1.234\n  perCustomer: USD 10\n\
         operations: [renew, 12]\n\
         maxIncrease:\n  extentions: 5\n  concurrentCalls: -1\n\
         unknownPrice: alow\n",
    )
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "error: p.yaml:2:1: unknown field `budjet` in a policy file, did you mean `budget`? [unknown-field]\n  help: the fields of a policy file: version, budget, operations, maxIncrease, unknownPrice",
            "error: p.yaml:4:11: `budget.perRun` must be a currency and an amount: found `5000` [wrong-type]\n  help: write it as text, e.g. `USD 5000` or `USD 5,000.00`",
            "error: p.yaml:5:11: `budget.perPbx` must be a currency and an amount: `1.234` is not an amount of money, e.g. 5000, 5,000 or 5000.00 (a comma only groups thousands) [invalid-format]\n  help: write it as text, e.g. `USD 5000` or `USD 5,000.00`",
            "error: p.yaml:6:16: `budget.perCustomer` must be a mapping, found text `USD 10` [wrong-type]\n  help: map each `customer` label to its budget, e.g. `acme: USD 2000`; `\"*\"` for every other customer",
            "error: p.yaml:7:14: unknown operation `renew`, did you mean `renew_plan`? [unknown-value]\n  help: the operations: purchase_plan, switch_plan, purchase_service, renew_plan, enable_auto_renew",
            "error: p.yaml:7:21: an operation must be text, found `12` [wrong-type]\n  help: the operations: purchase_plan, switch_plan, purchase_service, renew_plan, enable_auto_renew",
            "error: p.yaml:9:3: unknown field `extentions` in `maxIncrease`, did you mean `extensions`? [unknown-field]\n  help: the fields of `maxIncrease`: extensions, concurrentCalls",
            "error: p.yaml:10:20: `maxIncrease.concurrentCalls` must be a whole number of 0 or more, found `-1` [out-of-range]\n  help: the most concurrentCalls one order may add, e.g. `concurrentCalls: 50`",
            "error: p.yaml:11:15: `unknownPrice` must be `fail` or `allow`, found text `alow`, did you mean `allow`? [unknown-value]\n  help: `fail` (the default) counts an order without a price as over every budget; `allow` counts it as nothing",
        ]
    );
}

#[test]
fn a_file_without_its_version_or_of_another_is_refused() {
    assert_eq!(
        read("budget: {perRun: USD 1}\n").unwrap_err(),
        [
            "error: p.yaml:1:1: the policy file is missing `version` [missing-field]\n  help: start the file with `version: 1`"
        ]
    );
    assert_eq!(
        read("version: 2\n").unwrap_err(),
        [
            "error: p.yaml:1:10: `version` must be 1, found `2` [unsupported-version]\n  help: this entitle reads policy files of version 1"
        ]
    );
    assert!(
        read("").unwrap_err()[0].contains("[empty-file]"),
        "{:?}",
        read("")
    );
    let twice = read("version: 1\nversion: 1\n").unwrap_err();
    assert!(twice[0].contains("[duplicate-key]"), "{twice:?}");
}

/// The schema editors use and this reader agree: what one refuses, the other does.
#[test]
fn the_schema_and_the_reader_agree() {
    let schema: Value = serde_json::from_str(&policy_schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for (text, valid) in [
        ("version: 1\n", true),
        (
            "version: 1\nbudget: {perRun: USD 5000, perPbx: '1,000.50 EUR', perCustomer: {acme: USD 1, '*': USD 2}}\n",
            true,
        ),
        (
            "version: 1\noperations: []\nmaxIncrease: {extensions: 0, concurrentCalls: 4294967295}\nunknownPrice: fail\n",
            true,
        ),
        ("version: 2\n", false),
        ("budget: {}\n", false),
        ("version: 1\nbudjet: {}\n", false),
        ("version: 1\nbudget: {perRun: 5000}\n", false),
        ("version: 1\nbudget: {perRun: USD 1.234}\n", false),
        ("version: 1\nbudget: {perRun: DOLLARS 5}\n", false),
        ("version: 1\nbudget: {perRun: USD 79,00}\n", false),
        ("version: 1\nbudget: {perRun: 'USD 7,9,0,0'}\n", false),
        ("version: 1\nbudget: {perRun: 'USD 1,000,000.50'}\n", true),
        ("version: 1\nbudget: {perCustomer: {acme: 5}}\n", false),
        ("version: 1\nbudget: {perDay: USD 5}\n", false),
        ("version: 1\noperations: [renew]\n", false),
        ("version: 1\noperations: renew_plan\n", false),
        ("version: 1\nmaxIncrease: {extensions: -1}\n", false),
        ("version: 1\nmaxIncrease: {extensions: 4294967296}\n", false),
        ("version: 1\nmaxIncrease: {extensions: '5'}\n", false),
        ("version: 1\nmaxIncrease: {recordingMinutes: 5}\n", false),
        ("version: 1\nunknownPrice: allow\n", true),
        ("version: 1\nunknownPrice: true\n", false),
    ] {
        let doc = super::super::document_json("p.yaml", text).unwrap();
        assert_eq!(validator.is_valid(&doc), valid, "the schema on {text}");
        assert_eq!(
            read(text).is_ok(),
            valid,
            "the reader on {text}: {:?}",
            read(text)
        );
    }
}
