//! The loader end to end, in memory: what each rule reports, where, and what loads.

use super::*;
use crate::model::{Cycle, Id, ProductId};
use indoc::{formatdoc, indoc};

fn load1(text: &str) -> Result<LoadedManifests, Diagnostics> {
    load_from_memory(&[("m.yaml", text.as_bytes())])
}

/// Every problem of `text`, in the plain one-line format.
fn problems(text: &str) -> Vec<String> {
    match load1(text) {
        Ok(l) => panic!("expected problems, loaded {} PBXs", l.pbxs.len()),
        Err(d) => d.0.iter().map(|d| d.to_string()).collect(),
    }
}

/// The only problem of `text`.
fn problem(text: &str) -> String {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

fn pbx(body: &str) -> String {
    formatdoc! {"
        version: 1
        pbxs:
          - sn: 3651D3296882
        {body}"}
}

fn at(line: usize, column: usize) -> (usize, usize) {
    (line, column)
}

fn lc(l: &Loc) -> (usize, usize) {
    (l.line, l.column)
}

const FULL: &str = "\
version: 1
defaults:
  billingContact: billing@example.com
  renewBefore: 4w
  billingCycle: annually
  term: 2
  autoRenew: false
  renew: false
  labels: {customer: acme, tier: gold}
pbxs:
  - sn: 3651D3296882
    product: software-edition
    plan: Enterprise Plan
    term: 1
    extensions: 300
    concurrentCalls: 30
    services:
      - Hotel PMS Integration
      - {name: Disaster Recovery}
      - id: 3115983610256539648
    autoRenew: true
    renew: true
    renewBefore: 10d
    billingContact: 3197218168379846218
    labels: {tier: silver, site: hq}
  - sn: 369471667338
    productId: 9
    planId: 3048918321840570368
";

#[test]
fn a_full_manifest_resolves_with_defaults_and_exact_places() {
    let l = load1(FULL).unwrap();
    assert_eq!(l.pbxs.len(), 2);
    let a = &l.pbxs[0];
    assert_eq!(a.sn, "3651D3296882");
    assert_eq!(lc(&a.at), at(11, 5));
    assert_eq!(&*a.at.file, "m.yaml");
    assert_eq!(a.product.value, ProductId::SOFTWARE_EDITION);
    assert_eq!(lc(&a.product.at), at(12, 14));
    let plan = a.plan.as_ref().unwrap();
    assert_eq!(plan.value, CatalogRef::Name("Enterprise Plan".into()));
    assert_eq!(lc(&plan.at), at(13, 11));
    // The entry's own value wins over the default, and is located in the entry.
    assert_eq!(a.term.as_ref().unwrap().value, 1);
    assert_eq!(lc(&a.term.as_ref().unwrap().at), at(14, 11));
    // A default is located where the default was written.
    let cycle = a.billing_cycle.as_ref().unwrap();
    assert_eq!(cycle.value, Cycle::Annually);
    assert_eq!(lc(&cycle.at), at(5, 17));
    assert_eq!(a.extensions.as_ref().unwrap().value, 300);
    assert_eq!(a.concurrent_calls.as_ref().unwrap().value, 30);
    let services = a.services.as_ref().unwrap();
    let refs: Vec<&CatalogRef> = services.iter().map(|s| &s.value).collect();
    assert_eq!(
        refs,
        [
            &CatalogRef::Name("Hotel PMS Integration".into()),
            &CatalogRef::Name("Disaster Recovery".into()),
            &CatalogRef::Id(Id(3115983610256539648)),
        ]
    );
    assert_eq!(lc(&services[0].at), at(18, 9));
    assert_eq!(lc(&services[1].at), at(19, 16));
    assert_eq!(lc(&services[2].at), at(20, 13));
    assert!(a.auto_renew.as_ref().unwrap().value);
    assert!(a.renew);
    assert_eq!(a.renew_before_days.value, 10);
    assert_eq!(
        a.billing_contact.as_ref().unwrap().value,
        ContactRef::Id(Id(3197218168379846218))
    );
    let labels: Vec<(&str, &str)> = a
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        labels,
        [("customer", "acme"), ("site", "hq"), ("tier", "silver")]
    );

    let b = &l.pbxs[1];
    // Unquoted all-digit SN: its digits, exactly.
    assert_eq!(b.sn, "369471667338");
    assert_eq!(b.product.value, ProductId::LINKUS);
    assert_eq!(
        b.plan.as_ref().unwrap().value,
        CatalogRef::Id(Id(3048918321840570368))
    );
    assert_eq!(b.term.as_ref().unwrap().value, 2);
    assert_eq!(lc(&b.term.as_ref().unwrap().at), at(6, 9));
    assert!(!b.renew);
    assert_eq!(b.renew_before_days.value, 28);
    assert_eq!(lc(&b.renew_before_days.at), at(4, 16));
    assert!(!b.auto_renew.as_ref().unwrap().value);
    assert_eq!(
        b.billing_contact.as_ref().unwrap().value,
        ContactRef::Email("billing@example.com".into())
    );
    assert!(b.services.is_none(), "services not declared: don't care");
    assert!(b.extensions.is_none());
}

#[test]
fn fields_left_out_mean_dont_care_and_renewal_defaults_apply() {
    let l = load1(&pbx("    product: appliance\n")).unwrap();
    let p = &l.pbxs[0];
    assert!(p.plan.is_none() && p.billing_cycle.is_none() && p.term.is_none());
    assert!(p.services.is_none() && p.auto_renew.is_none() && p.billing_contact.is_none());
    assert!(p.renew);
    assert_eq!(p.renew_before_days.value, DEFAULT_RENEW_BEFORE_DAYS);
    assert_eq!(p.renew_before_days.at, p.at);
    assert!(p.labels.is_empty());
    let l = load1(&pbx("    product: appliance\n    services: []\n")).unwrap();
    assert_eq!(
        l.pbxs[0].services.as_deref(),
        Some(&[][..]),
        "empty list: exactly none"
    );
}

#[test]
fn ids_stay_exact_as_numbers_and_strings() {
    for id in [
        "3049040650094403584",
        "'3049040650094403584'",
        "9999999999999999999",
    ] {
        let l = load1(&pbx(&format!("    product: linkus\n    planId: {id}\n"))).unwrap();
        let want = id.trim_matches('\'').parse::<u64>().unwrap();
        assert_eq!(
            l.pbxs[0].plan.as_ref().unwrap().value,
            CatalogRef::Id(Id(want))
        );
    }
    let p = problem(&pbx(
        "    product: linkus\n    planId: 10000000000000000000\n",
    ));
    assert!(
        p.contains("m.yaml:5:13: `planId` must be at most 9999999999999999999"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    planId: 3.049e18\n"));
    assert!(p.contains("m.yaml:5:13: `planId` `3.049e18` is written as a decimal number, which cannot hold an ID exactly"), "{p}");
    let p = problem(&pbx("    product: linkus\n    planId: '12a'\n"));
    assert!(
        p.contains("`planId` `12a` is not an ID; IDs are 1 to 19 digits, not starting with 0"),
        "{p}"
    );
    for zero in ["0", "'0'", "'007'"] {
        let p = problem(&pbx(&format!("    product: linkus\n    planId: {zero}\n")));
        assert!(p.contains("m.yaml:5:13: `planId`"), "{p}");
    }
}

#[test]
fn unknown_keys_name_the_key_place_and_the_closest_field() {
    let p = problem(&pbx("    product: linkus\n    extentions: 300\n"));
    assert_eq!(
        p,
        "error: m.yaml:5:5: unknown field `extentions`, did you mean `extensions`? [unknown-field]\n  help: fields of a PBX entry: sn, product, productId, plan, planId, billingCycle, term, extensions, concurrentCalls, services, autoRenew, renew, renewBefore, billingContact, labels; keys starting with `x-` are ignored (room for YAML anchors)"
    );
    let p = problem(indoc! {"
        version: 1
        default:
          term: 1
        pbxs: []
    "});
    assert!(
        p.starts_with("error: m.yaml:2:1: unknown field `default`, did you mean `defaults`?"),
        "{p}"
    );
    let p = problem(indoc! {"
        version: 1
        defaults:
          billing_contact: a@b.co
        pbxs: []
    "});
    assert!(
        p.starts_with(
            "error: m.yaml:3:3: unknown field `billing_contact`, did you mean `billingContact`?"
        ),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    services: [{nmae: x}]\n"));
    assert!(
        p.starts_with("error: m.yaml:5:17: unknown field `nmae`, did you mean `name`?"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    colour: red\n"));
    assert!(
        p.starts_with("error: m.yaml:5:5: unknown field `colour` [unknown-field]\n"),
        "{p}"
    );
}

#[test]
fn every_problem_of_a_file_is_reported() {
    let text = indoc! {"
        version: 1
        pbxs:
          - sn: 3651D3296882
            product: cloud-pbx
            extentions: 3
            term: 9
            billingCycle: monthly
            autoRenew: yes
          - sn: 1e5
            product: linkus
          - sn: X1
            product: cloud-pbx
            extensions: 501
            billingCycle: monthly
            term: 2
    "};
    let p = problems(text);
    let places: Vec<&str> = p.iter().map(|s| s.split(": ").nth(1).unwrap()).collect();
    assert_eq!(
        places,
        [
            "m.yaml:5:5",
            "m.yaml:6:11",
            "m.yaml:8:16",
            "m.yaml:9:9",
            "m.yaml:13:17",
            "m.yaml:15:11"
        ],
        "{p:#?}"
    );
}

#[test]
fn term_is_one_to_five_years() {
    for ok in ["1", "5"] {
        load1(&pbx(&format!("    product: linkus\n    term: {ok}\n"))).unwrap();
    }
    let p = problem(&pbx("    product: linkus\n    term: 0\n"));
    assert!(
        p.contains("m.yaml:5:11: `term` must be at least 1, found `0`"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    term: 6\n"));
    assert!(p.contains("`term` must be at most 5, found `6`"), "{p}");
    assert!(
        p.contains("help: `term` is the number of years per annual term, 1 to 5"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    term: one\n"));
    assert!(
        p.contains("`term` must be a whole number, found text `one`"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    term: 1.0\n"));
    assert!(
        p.contains("`term` `1.0` is a decimal number; a whole number is needed"),
        "{p}"
    );
    assert!(p.contains("help: write `1`"), "{p}");
}

#[test]
fn monthly_billing_has_no_multi_year_term() {
    load1(&pbx(
        "    product: appliance\n    billingCycle: monthly\n    term: 1\n",
    ))
    .unwrap();
    let p = problem(&pbx(
        "    product: appliance\n    billingCycle: monthly\n    term: 3\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:6:11: `term: 3` asks for a 3-year term, but PBX `3651D3296882` is billed monthly (line 5, column 19) [conflicting-fields]\n  help: monthly billing has no multi-year term: remove `term`, or set `billingCycle: annually`"
    );
    // From defaults too: the term is located in `defaults`.
    let text = indoc! {"
        version: 1
        defaults:
          term: 2
        pbxs:
          - sn: A1
            product: appliance
            billingCycle: monthly
    "};
    let p = problem(text);
    assert_eq!(
        p,
        "error: m.yaml:3:9: `term: 2` asks for a 2-year term, but PBX `A1` is billed monthly (line 7, column 19) and takes this term [conflicting-fields]\n  help: monthly billing has no multi-year term: remove `term`, or set `billingCycle: annually`"
    );
    // The cycle from `defaults`, the term the entry's own; an entry's own cycle wins.
    let text = indoc! {"
        version: 1
        defaults:
          billingCycle: monthly
        pbxs:
          - sn: A1
            product: appliance
            term: 3
          - sn: A2
            product: appliance
            billingCycle: annually
            term: 3
    "};
    assert_eq!(
        problem(text),
        "error: m.yaml:7:11: `term: 3` asks for a 3-year term, but PBX `A1` is billed monthly (line 3, column 17) [conflicting-fields]\n  help: monthly billing has no multi-year term: remove `term`, or set `billingCycle: annually`"
    );
    // Both in `defaults`: reported once, there, whatever the entries say.
    let text = indoc! {"
        version: 1
        defaults:
          billingCycle: monthly
          term: 2
        pbxs:
          - sn: A1
            product: appliance
          - sn: A2
            product: appliance
    "};
    assert!(
        problem(text).starts_with(
            "error: m.yaml:4:9: `term: 2` asks for a 2-year term, but `defaults` sets monthly billing (line 3, column 17)"
        )
    );
    // A term of `defaults` that no monthly entry takes is fine.
    load1(indoc! {"
        version: 1
        defaults:
          term: 2
        pbxs:
          - {sn: A1, product: appliance, billingCycle: monthly, term: 1}
          - {sn: A2, product: appliance, billingCycle: annually}
    "})
    .unwrap();
}

#[test]
fn cloud_pbx_extensions_are_5_to_500() {
    for ok in [5, 500] {
        load1(&pbx(&format!(
            "    product: cloud-pbx\n    extensions: {ok}\n"
        )))
        .unwrap();
    }
    for bad in [4, 501] {
        let p = problem(&pbx(&format!(
            "    product: cloud-pbx\n    extensions: {bad}\n"
        )));
        assert_eq!(
            p,
            format!(
                "error: m.yaml:5:17: a Cloud PBX has 5 to 500 extensions; `extensions: {bad}` is outside that [out-of-range]"
            )
        );
    }
    // Other products have no such range.
    load1(&pbx(
        "    product: software-edition\n    extensions: 1000\n",
    ))
    .unwrap();
    load1(indoc! {"
        version: 1
        pbxs:
          - sn: A1
            productId: 13
            extensions: 300
    "})
    .unwrap();
    // The product from `defaults` (by alias or ID), unless the entry names its own.
    for product in ["product: cloud-pbx", "productId: 13"] {
        let text = formatdoc! {"
            version: 1
            defaults:
              {product}
            pbxs:
              - sn: A1
                extensions: 4
              - sn: A2
                product: software-edition
                extensions: 1000
              - sn: A3
                productId: 13
                extensions: 501
        "};
        let p = problems(&text);
        assert_eq!(
            p,
            [
                "error: m.yaml:6:17: a Cloud PBX has 5 to 500 extensions; `extensions: 4` is outside that [out-of-range]",
                "error: m.yaml:12:17: a Cloud PBX has 5 to 500 extensions; `extensions: 501` is outside that [out-of-range]",
            ],
            "{product}"
        );
    }
    // Outside the plain range too: the Cloud PBX's range is the one named.
    let p = problem(&pbx("    product: cloud-pbx\n    extensions: 0\n"));
    assert!(p.contains("a Cloud PBX has 5 to 500 extensions"), "{p}");
}

#[test]
fn sns_are_letters_and_digits() {
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - sn: 36-94
            product: linkus
    "});
    assert!(
        p.contains("m.yaml:3:9: SN `36-94` must be letters and digits only"),
        "{p}"
    );
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - sn: ''
            product: linkus
    "});
    assert!(p.contains("SN `` must be letters and digits only"), "{p}");
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - sn: true
            product: linkus
    "});
    assert!(
        p.contains("`sn` must be text or a whole number, found `true`"),
        "{p}"
    );
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - product: linkus
    "});
    assert!(p.contains("m.yaml:3:5: PBX entry 1 is missing `sn`"), "{p}");
}

#[test]
fn numbers_yaml_would_change_must_be_quoted_sns() {
    for (sn, why) in [
        (
            "0123",
            "YAML reads `0123` as the number 123, dropping the leading zero",
        ),
        (
            "1e5",
            "YAML reads `1e5` as a number with an exponent (1 × 10^5)",
        ),
        (
            "3631E0997265",
            "YAML reads `3631E0997265` as a number with an exponent (3631 × 10^997265)",
        ),
        (
            "12345678901234567890",
            "YAML reads `12345678901234567890` as a number, and more than 19 digits cannot be kept exactly",
        ),
        ("123456789012345678901234", "more than 19 digits"),
        ("0x1F", "YAML reads `0x1F` as the number 31"),
        ("12.50", "YAML reads `12.50` as the decimal number 12.5"),
        ("-12", "YAML reads `-12` as the number -12"),
    ] {
        let p = problem(&formatdoc! {"
            version: 1
            pbxs:
              - sn: {sn}
                product: linkus
        "});
        assert!(
            p.starts_with(&format!("error: m.yaml:3:9: SN `{sn}` must be quoted: ")),
            "{p}"
        );
        assert!(p.contains(why), "{p}");
        assert!(p.ends_with(&format!("help: write `sn: \"{sn}\"`")), "{p}");
        // Quoted, each is its text (or a pattern error for the ones that are not SNs).
        let quoted = load1(&formatdoc! {r#"
            version: 1
            pbxs:
              - sn: "{sn}"
                product: linkus
        "#});
        if sn.bytes().all(|b| b.is_ascii_alphanumeric()) {
            assert_eq!(quoted.unwrap().pbxs[0].sn, sn);
        }
    }
    for sn in ["369471667338", "0", "9999999999999999999"] {
        let l = load1(&formatdoc! {"
            version: 1
            pbxs:
              - sn: {sn}
                product: linkus
        "})
        .unwrap();
        assert_eq!(l.pbxs[0].sn, sn);
    }
}

#[test]
fn billing_contacts_are_emails_or_numeric_ids() {
    for ok in [
        "billing@example.com",
        "3197218168379846218",
        "'3197218168379846218'",
    ] {
        load1(&pbx(&format!(
            "    product: linkus\n    billingContact: {ok}\n"
        )))
        .unwrap();
    }
    for bad in ["bob", "bob@", "'12a'", "a b@c.de"] {
        let p = problem(&pbx(&format!(
            "    product: linkus\n    billingContact: {bad}\n"
        )));
        assert!(p.contains("m.yaml:5:21: billing contact"), "{p}");
        assert!(
            p.contains("is neither an e-mail address nor a numeric ID"),
            "{p}"
        );
    }
    let p = problem(&pbx("    product: linkus\n    billingContact: 0\n"));
    assert!(p.contains("`billingContact` must be at least 1"), "{p}");
}

#[test]
fn products_are_named_once_and_somewhere() {
    let p = problem(&pbx("    plan: Enterprise Plan\n"));
    assert!(
        p.starts_with("error: m.yaml:3:5: PBX `3651D3296882` names no product"),
        "{p}"
    );
    let p = problem(&pbx("    product: cloudpbx\n"));
    assert!(
        p.starts_with(
            "error: m.yaml:4:14: `product` `cloudpbx` is not known, did you mean `cloud-pbx`?"
        ),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    productId: 9\n"));
    assert!(p.starts_with("error: m.yaml:5:5: `product` and `productId` are two ways to say the same thing; give only one"), "{p}");
    let p = problem(&pbx("    product: linkus\n    plan: A\n    planId: 1\n"));
    assert!(
        p.starts_with("error: m.yaml:6:5: `plan` and `planId` are two ways"),
        "{p}"
    );
    // From defaults, overridable per PBX.
    let text = indoc! {"
        version: 1
        defaults:
          product: linkus
        pbxs:
          - sn: A1
          - sn: A1
            productId: 12
    "};
    let l = load1(text).unwrap();
    assert_eq!(l.pbxs[0].product.value, ProductId::LINKUS);
    assert_eq!(lc(&l.pbxs[0].product.at), at(3, 12));
    assert_eq!(l.pbxs[1].product.value, ProductId::SOFTWARE_EDITION);
    // A broken product hides nothing else, and does not also claim that none was given.
    let p = problems(&pbx("    product: cloudpbx\n    term: 9\n"));
    assert_eq!(p.len(), 2, "{p:#?}");
    let p = problem(indoc! {"
        version: 1
        defaults:
          product: cloudpbx
        pbxs:
          - sn: A1
    "});
    assert!(p.contains("`product` `cloudpbx` is not known"), "{p}");
    // Placed where the entry starts, which editors underline too.
    let p = problem(indoc! {"
        version: 1
        defaults:
          billingCycle: annually
        pbxs:
          - plan: Enterprise Plan
            sn: A1
    "});
    assert!(
        p.starts_with("error: m.yaml:5:5: PBX `A1` names no product [missing-field]\n"),
        "{p}"
    );
}

#[test]
fn services_are_names_or_one_of_name_and_id() {
    let p = problem(&pbx(
        "    product: linkus\n    services: [{name: a, id: 1}]\n",
    ));
    assert!(
        p.contains("m.yaml:5:16: item 1 of `services` gives both `name` and `id`; give only one"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    services: [{}]\n"));
    assert!(
        p.contains("item 1 of `services` is empty; give `name` or `id`"),
        "{p}"
    );
    let p = problem(&pbx(
        "    product: linkus\n    services: [{name: a, extra: 1}]\n",
    ));
    assert!(p.contains("m.yaml:5:26: unknown field `extra`"), "{p}");
    let p = problem(&pbx("    product: 12\n"));
    assert!(p.contains("m.yaml:4:14: `product` must be `linkus`, `appliance`, `software-edition` or `cloud-pbx`, found `12`"), "{p}");
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - 3651D3296882
    "});
    assert!(
        p.contains("m.yaml:3:5: PBX entry 1 must be a mapping, found text `3651D3296882`"),
        "{p}"
    );
    let p = problem(indoc! {"
        version: '1'
        pbxs: []
    "});
    assert!(
        p.contains("m.yaml:1:10: `version` must be the number 1, found text `1`"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    services: ['']\n"));
    assert!(p.contains("item 1 of `services` must not be empty"), "{p}");
    let p = problem(&pbx(
        "    product: linkus\n    services: Hotel PMS Integration\n",
    ));
    assert!(
        p.contains("`services` must be a list, found text `Hotel PMS Integration`"),
        "{p}"
    );
    let p = problem(&pbx(
        "    product: linkus\n    services: [HA, {name: ha}]\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:5:27: service `ha` is listed twice for this PBX (first at line 5, column 16) [duplicate-service]\n  help: list each service once"
    );
    let p = problem(&pbx(
        "    product: linkus\n    services: [{id: 7}, {id: '7'}]\n",
    ));
    assert!(p.contains("service `id 7` is listed twice"), "{p}");
    let p = problem(&pbx(
        "    product: software-edition\n    services: [Extension Expansion]\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:5:16: `Extension Expansion` is capacity, not a service to list [capacity-as-service]\n  help: set `extensions:` to the TOTAL wanted; entitle buys the difference"
    );
    let p = problem(&pbx(
        "    product: software-edition\n    services: [{name: ' concurrent call EXPANSION'}]\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:5:23: `concurrent call EXPANSION` is capacity, not a service to list [capacity-as-service]\n  help: set `concurrentCalls:` to the TOTAL wanted; entitle buys the difference"
    );
    // The same text twice: the schema says so too (uniqueItems, for editors), but the problem
    // is reported once, at the repeat.
    let p = problem(&pbx(
        "    product: linkus\n    services:\n      - HA\n      - HA\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:7:9: service `HA` is listed twice for this PBX (first at line 6, column 9) [duplicate-service]\n  help: list each service once"
    );
}

#[test]
fn renewal_windows_are_days_or_weeks_up_to_a_year() {
    let l = load1(&pbx("    product: linkus\n    renewBefore: 52w\n")).unwrap();
    assert_eq!(l.pbxs[0].renew_before_days.value, 364);
    let p = problem(&pbx("    product: linkus\n    renewBefore: 366d\n"));
    assert!(
        p.contains("m.yaml:5:18: `renewBefore` `366d` is 366 days, longer than a year"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    renewBefore: 30\n"));
    assert!(
        p.contains("`renewBefore` must be a duration such as `30d`, found `30`"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    renewBefore: '30'\n"));
    assert!(
        p.contains("help: add a unit: `30d` (days) or `30w` (weeks)"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    renewBefore: 1m\n"));
    assert!(p.contains("`renewBefore` `1m` is not a duration"), "{p}");
    let p = problem(indoc! {"
        version: 1
        defaults:
          renewBefore: 400d
        pbxs:
          - sn: A1
            product: linkus
    "});
    assert!(
        p.starts_with("error: m.yaml:3:16: `renewBefore` `400d`"),
        "{p}"
    );
}

#[test]
fn labels_are_text_under_simple_keys() {
    let p = problem(&pbx("    product: linkus\n    labels: {floor: 3}\n"));
    assert_eq!(
        p,
        "error: m.yaml:5:21: label `floor` must be text, found `3` [wrong-type]\n  help: quote it to keep it as text: `\"3\"`"
    );
    let p = problem(&pbx("    product: linkus\n    labels: {'my key': x}\n"));
    assert!(
        p.starts_with("error: m.yaml:5:14: label key `my key` may hold only letters"),
        "{p}"
    );
}

#[test]
fn yaml_level_problems_are_located() {
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - sn: A1
            product: linkus
            product: appliance
    "});
    assert!(
        p.starts_with(
            "error: m.yaml:5:5: duplicate key `product` (first written at line 4, column 5)"
        ),
        "{p}"
    );
    let p = problem(indoc! {"
        version: 1
        pbxs: [
    "});
    assert!(p.contains("invalid YAML"), "{p}");
    let p = problem("");
    assert!(
        p.starts_with("error: m.yaml:1:1: the file holds no manifest (it is empty)"),
        "{p}"
    );
    let p = problem(indoc! {"
        - a
        - b
    "});
    assert!(
        p.starts_with("error: m.yaml:1:1: a manifest must be a mapping, found a list"),
        "{p}"
    );
    let p = problem("pbxs: []\n");
    assert!(p.contains("the manifest is missing `version`"), "{p}");
    let p = problem(indoc! {"
        version: 2
        pbxs: []
    "});
    assert!(
        p.contains("m.yaml:1:10: unsupported manifest version `2`; this entitle reads version 1"),
        "{p}"
    );
    let p = problem(&pbx("    product: linkus\n    plan:\n"));
    assert!(p.contains("`plan` must be text, found nothing"), "{p}");
    let p = problem(&pbx("    product: linkus\n    autoRenew: yes\n"));
    assert!(
        p.contains("help: YAML 1.2 reads this as text; write `true` or `false`"),
        "{p}"
    );
    let p = problem(indoc! {"
        version: 1
        pbxs:
          sn: A1
    "});
    assert!(p.contains("`pbxs` must be a list, found a mapping"), "{p}");
}

#[test]
fn anchors_and_merge_keys_share_settings() {
    // `x-` keys hold anchors (and notes) at the top, in `defaults` and in a PBX entry; entitle
    // ignores them, and checks only what is merged into real fields.
    let text = indoc! {"
        version: 1
        x-common: &common {product: cloud-pbx, plan: Enterprise Plan}
        x-notes: {owner: ops, budget: 12.5, items: [1, 2.5]}
        defaults:
          x-why: the head office pays
          billingCycle: annually
        pbxs:
          - <<: *common
            sn: A1
            x-ticket: 4711
          - &a {sn: A2, product: linkus, x-note: trial}
          - <<: *a
            sn: A3
    "};
    let l = load1(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(l.pbxs.len(), 3);
    assert_eq!(l.pbxs[0].product.value, ProductId::CLOUD_PBX);
    assert_eq!(
        l.pbxs[0].plan.as_ref().unwrap().value,
        CatalogRef::Name("Enterprise Plan".into())
    );
    assert_eq!(
        l.pbxs[0].billing_cycle.as_ref().unwrap().value,
        Cycle::Annually
    );
    assert_eq!(l.pbxs[2].sn, "A3");
    assert_eq!(l.pbxs[2].product.value, ProductId::LINKUS);

    // What is merged from an `x-` key is a field like any other, checked where it is used.
    let p = problem(indoc! {"
        version: 1
        x-common: &common {product: cloud-pbx, extensions: 600}
        pbxs:
          - <<: *common
            sn: A1
    "});
    assert!(
        p.contains("a Cloud PBX has 5 to 500 extensions; `extensions: 600` is outside that"),
        "{p}"
    );
    // Other unknown keys are still errors, with the closest field; `x-` keys only where
    // anchors live, not inside a service.
    let p = problem(indoc! {"
        version: 1
        commons: &c {product: linkus}
        pbxs: []
    "});
    assert!(
        p.starts_with("error: m.yaml:2:1: unknown field `commons` [unknown-field]\n  help: top-level fields: version, defaults, pbxs; keys starting with `x-` are ignored"),
        "{p}"
    );
    let p = problem(&pbx(
        "    product: linkus\n    services: [{name: HA, x-note: 1}]\n",
    ));
    assert_eq!(
        p,
        "error: m.yaml:5:27: unknown field `x-note` [unknown-field]\n  help: fields of a service: name, id"
    );
}

#[test]
fn a_pair_declared_twice_names_both_places_across_files() {
    let a = indoc! {"
        version: 1
        pbxs:
          - sn: 3651D3296882
            product: software-edition
    "};
    let b = indoc! {"
        version: 1
        pbxs:
          - sn: 3651d3296882
            productId: 12
          - sn: 3651D3296882
            product: linkus
    "};
    let e = load_from_memory(&[("b.yaml", b.as_bytes()), ("a.yaml", a.as_bytes())]).unwrap_err();
    assert_eq!(e.len(), 1, "{e}");
    assert_eq!(
        e.to_string(),
        "error: b.yaml:3:5: PBX `3651d3296882` (software-edition) is declared twice: first at a.yaml:3:5 (as `3651D3296882`; SNs are compared ignoring case) [duplicate-pbx]\n  help: an (sn, product) pair may be declared once across all manifests; merge the two entries"
    );
    // The same SN under two products is two entries.
    let l = load_from_memory(&[("a.yaml", a.as_bytes())]).unwrap();
    assert_eq!(l.pbxs.len(), 1);
}

#[test]
fn a_pair_declared_twice_in_one_file_names_the_line() {
    let p = problem(indoc! {"
        version: 1
        pbxs:
          - {sn: A1, product: linkus}
          - {sn: A1, productId: 9}
    "});
    assert_eq!(
        p,
        "error: m.yaml:4:6: PBX `A1` (linkus) is declared twice: first at line 3, column 6 [duplicate-pbx]\n  help: an (sn, product) pair may be declared once across all manifests; merge the two entries"
    );
}

#[test]
fn problems_of_all_files_are_reported_together() {
    let a = pbx("    product: linkus\n    trem: 1\n");
    let b = indoc! {"
        version: 1
        pbxs: [
    "};
    let c = indoc! {"
        version: 1
        pbxs: []
    "};
    let e = load_from_memory(&[
        ("c.yaml", c.as_bytes()),
        ("a.yaml", a.as_bytes()),
        ("b.yaml", b.as_bytes()),
    ])
    .unwrap_err();
    assert_eq!(e.len(), 2, "{e}");
    assert_eq!(e.file_count(), 2);
    assert!(
        e.0[0]
            .to_string()
            .contains("a.yaml:5:5: unknown field `trem`, did you mean `term`?")
    );
    assert!(e.0[1].to_string().contains("b.yaml:"));
}

#[test]
fn the_hash_covers_names_and_bytes_in_path_order() {
    let a = indoc! {"
        version: 1
        pbxs: []
    "}
    .as_bytes();
    let h1 = load_from_memory(&[("a.yaml", a), ("b.yaml", a)])
        .unwrap()
        .hash;
    let h2 = load_from_memory(&[("b.yaml", a), ("a.yaml", a)])
        .unwrap()
        .hash;
    let h3 = load_from_memory(&[("a.yaml", a), ("c.yaml", a)])
        .unwrap()
        .hash;
    assert_eq!(h1, h2);
    assert_ne!(h1, h3);
    assert_eq!(h1.len(), 64);
    assert!(h1.bytes().all(|b| b.is_ascii_hexdigit()));
}

#[test]
fn hostile_input_ends_in_clean_errors() {
    let mut bomb = String::from(indoc! {"
        version: 1
        pbxs: []
        a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
    "});
    for i in 1..10 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let p = problem(&bomb);
    assert!(p.contains("refusing to read this file"), "{p}");
    let (open, close) = ("[".repeat(50_000), "]".repeat(50_000));
    let deep = formatdoc! {"
        version: 1
        pbxs: {open}{close}
    "};
    assert!(problem(&deep).contains("m.yaml:2:"));
    let e = load_from_memory(&[("m.yaml", b"\xff\xfe\x00garbage\x80\x81")]).unwrap_err();
    assert!(e.to_string().contains("UTF-16"), "{e}");
    let e = load_from_memory(&[("m.yaml", b"version: 1\npbxs: [\x80]\n")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("error: m.yaml:2:8: the file is not UTF-8 text"),
        "{e}"
    );
    let e = load_from_memory(&[("m.yaml", b"version: 1\x00\npbxs: []\n")]).unwrap_err();
    assert!(e.to_string().contains("m.yaml:1:11: invalid YAML"), "{e}");
    let big = vec![b'#'; MAX_FILE_BYTES + 1];
    let e = load_from_memory(&[("m.yaml", &big)]).unwrap_err();
    assert!(
        e.to_string().contains("a manifest may be at most 8 MiB"),
        "{e}"
    );
}

#[test]
fn written_manifests_read_back_the_same() {
    use v1::*;
    let manifest = Manifest {
        version: FormatVersion,
        defaults: Some(Defaults {
            billing_contact: Some(BillingContact::Email("billing@example.com".into())),
            renew_before: RenewBefore::parse("4w"),
            ..Defaults::default()
        }),
        pbxs: vec![
            PbxEntry {
                sn: Sn("0123".into()),
                product: Some(ProductAlias::Linkus),
                product_id: None,
                plan: Some("true".into()),
                plan_id: None,
                billing_cycle: Some(BillingCycle::Annually),
                term: Some(1),
                extensions: None,
                concurrent_calls: None,
                services: Some(vec![
                    ServiceRef::Name("Hotel PMS Integration".into()),
                    ServiceRef::Object(ServiceObject {
                        name: None,
                        id: Some(CatalogId(Id(3115983610256539648))),
                    }),
                ]),
                auto_renew: Some(true),
                renew: None,
                renew_before: None,
                billing_contact: Some(BillingContact::Id(Id(3197218168379846218))),
                labels: Some(Labels([("site".to_owned(), "3".to_owned())].into())),
            },
            PbxEntry {
                sn: Sn("369471667338".into()),
                product: None,
                product_id: Some(13),
                plan: None,
                plan_id: Some(CatalogId(Id(3048571730026938368))),
                billing_cycle: None,
                term: None,
                extensions: Some(100),
                concurrent_calls: Some(10),
                services: None,
                auto_renew: None,
                renew: Some(false),
                renew_before: None,
                billing_contact: None,
                labels: None,
            },
        ],
    };
    let text = to_yaml(&manifest, Some("../schema/manifest.schema.json")).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=../schema/manifest.schema.json\n"),
        "{text}"
    );
    let l = load1(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let (a, b) = (&l.pbxs[0], &l.pbxs[1]);
    assert_eq!(a.sn, "0123");
    assert_eq!(
        a.plan.as_ref().unwrap().value,
        CatalogRef::Name("true".into())
    );
    assert_eq!(
        a.services.as_ref().unwrap()[1].value,
        CatalogRef::Id(Id(3115983610256539648))
    );
    assert_eq!(
        a.billing_contact.as_ref().unwrap().value,
        ContactRef::Id(Id(3197218168379846218))
    );
    assert_eq!(a.labels["site"], "3");
    assert_eq!(a.renew_before_days.value, 28);
    assert_eq!(b.sn, "369471667338");
    assert_eq!(b.product.value, ProductId::CLOUD_PBX);
    assert_eq!(
        b.plan.as_ref().unwrap().value,
        CatalogRef::Id(Id(3048571730026938368))
    );
    assert!(!b.renew);
    assert_eq!(
        b.billing_contact.as_ref().unwrap().value,
        ContactRef::Email("billing@example.com".into())
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn check_clean(result: Result<LoadedManifests, Diagnostics>) {
        if let Err(d) = result {
            assert!(!d.is_empty());
            for p in &d.0 {
                assert!(!p.message.starts_with("internal error"), "{p}");
                let at = p.at.as_ref().expect("every problem of a file has a place");
                assert!(at.line >= 1 && at.column >= 1);
            }
        }
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("    product: linkus\n".to_owned()),
            Just("    product: cloud-pbx\n".to_owned()),
            Just("    productId: 12\n".to_owned()),
            Just("    plan: Enterprise Plan\n".to_owned()),
            Just("    planId: 3049040650094403584\n".to_owned()),
            (0u32..8).prop_map(|t| format!("    term: {t}\n")),
            prop_oneof![Just("monthly"), Just("annually"), Just("weekly")]
                .prop_map(|c| format!("    billingCycle: {c}\n")),
            (0u32..700).prop_map(|e| format!("    extensions: {e}\n")),
            "[a-zA-Z0-9 .:@-]{0,12}".prop_map(|v| format!("    billingContact: {v}\n")),
            "[0-9a-z.]{0,6}".prop_map(|v| format!("    renewBefore: {v}\n")),
            "[a-zA-Z0-9 {}\\[\\],:'\"-]{0,20}".prop_map(|v| format!("    services: {v}\n")),
            "[a-z]{1,8}".prop_map(|k| format!("    {k}: 1\n")),
            "[0-9eE.x+-]{1,12}".prop_map(|v| format!("    concurrentCalls: {v}\n")),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            check_clean(load_from_memory(&[("m.yaml", &bytes)]));
        }

        #[test]
        fn near_valid_manifests_load_or_explain(
            sn in "[A-Z0-9eE.x]{1,14}",
            quoted in any::<bool>(),
            fields in proptest::collection::vec(field(), 0..6),
        ) {
            let sn = if quoted { format!("'{sn}'") } else { sn };
            let fields = fields.concat();
            let text = formatdoc! {"
                version: 1
                pbxs:
                  - sn: {sn}
                {fields}"};
            check_clean(load1(&text));
        }
    }
}
