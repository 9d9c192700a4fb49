//! `requirements` against the planner: for generated desired/observed pairs, planning with only
//! the catalogs and contacts `requirements` asks for gives exactly the plan (or the errors)
//! that planning with everything gives. A step that starts reading something new without
//! `requirements` learning of it fails here, before observe skips a read a plan needs.

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use super::*;

/// An observed PBX of `product`: any plan of its catalog on any term, ending anywhere from
/// 40 days ago to 400 days ahead, maybe a switch pending, any capacity, any services.
pub(super) fn arb_observed(product: u32) -> impl Strategy<Value = ObservedPbx> {
    let cat = catalogs().by_product[&ProductId(product)].clone();
    let plans = cat.plans.clone();
    let services = cat.services.clone();
    let n = services.len();
    let ends = prop_oneof![-40i64..60, 60i64..400];
    let plan = (select(plans.clone()), any::<bool>(), 1u32..=3, ends);
    let in_force = prop_oneof![
        4 => select(plans.clone()).prop_map(|p| (Some(p.id), p.id.to_string())),
        4 => select(plans).prop_map(|p| (None, p.name.to_uppercase())),
        1 => Just((None, "Mystery Plan".to_owned())),
    ];
    (
        proptest::option::weighted(0.85, plan),
        proptest::option::weighted(0.15, in_force),
        if product == 13 {
            5u32..=450
        } else {
            0u32..=600
        },
        0u32..=60,
        subsequence(services, 0..=n),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(move |(plan, pending, ext, calls, svcs, auto_renew)| {
            let plan = plan.map(|(p, monthly, years, days)| SubscribedPlan {
                id: p.id,
                name: p.name,
                cycle: if monthly {
                    Cycle::Monthly
                } else {
                    Cycle::Annually
                },
                multi_cycle: if monthly { 0 } else { years },
                expires: today().add_days(days),
            });
            let pending_switch =
                pending
                    .filter(|_| plan.is_some())
                    .map(|(in_force_id, in_force)| PendingSwitch {
                        in_force_id,
                        in_force,
                        until: plan.as_ref().map(|p| p.expires),
                    });
            let services = svcs
                .into_iter()
                .map(|s| ObservedService {
                    id: s.id,
                    name: s.name,
                    quantity: ext,
                    expires: plan.as_ref().map(|p| p.expires),
                })
                .collect();
            ObservedPbx {
                plan,
                pending_switch,
                extensions: ext,
                concurrent_calls: calls,
                services,
                auto_renew,
                ..observed(&format!("SN{product}"), product)
            }
        })
}

/// A manifest entry for `o`, with values around what `o` has: the same plan or another (by
/// name or ID, or one that does not exist), capacity equal, more or less, services kept,
/// added, dropped or misspelt.
pub(super) fn arb_desired(o: &ObservedPbx) -> impl Strategy<Value = DesiredPbx> + use<> {
    let cat = catalogs().by_product[&o.product].clone();
    let plan_refs: Vec<CatalogRef> = cat
        .plans
        .iter()
        .flat_map(|p| {
            [
                CatalogRef::Name(p.name.to_lowercase()),
                CatalogRef::Id(p.id),
            ]
        })
        .collect();
    let plan_ref = prop_oneof![
        9 => select(plan_refs),
        1 => Just(CatalogRef::Name("Gold Plan".into())),
    ];
    // Mostly services that can be subscribed; now and then one that is an error to list.
    let (subscribable, odd): (Vec<_>, Vec<_>) =
        cat.services.iter().partition(|s| !s.kind.is_capacity());
    let service_refs: Vec<CatalogRef> = subscribable
        .iter()
        .flat_map(|s| [CatalogRef::Name(s.name.clone()), CatalogRef::Id(s.id)])
        .collect();
    let mut odd_refs: Vec<CatalogRef> = odd
        .iter()
        .map(|s| CatalogRef::Name(s.name.clone()))
        .collect();
    odd_refs.push(CatalogRef::Name("Hotel PMS Integraton".into()));
    let n = service_refs.len();
    let services = (
        subsequence(service_refs, 0..=n),
        proptest::option::weighted(0.1, select(odd_refs)),
    )
        .prop_map(|(mut refs, odd)| {
            refs.extend(odd);
            refs
        });
    let around = |have: u32| {
        prop_oneof![
            8 => Just(have),
            2 => (1u32..50).prop_map(move |k| have + k),
            1 => (1u32..50).prop_map(move |k| have.saturating_sub(k)),
        ]
    };
    let cycle = prop_oneof![Just(Cycle::Monthly), Just(Cycle::Annually)];
    let (sn, product) = (o.sn.clone(), o.product.0);
    (
        proptest::option::of(plan_ref),
        proptest::option::weighted(0.3, cycle),
        proptest::option::weighted(0.3, 1u32..=3),
        proptest::option::of(around(o.extensions)),
        proptest::option::of(around(o.concurrent_calls)),
        proptest::option::of(services),
        proptest::option::of(any::<bool>()),
        proptest::bool::weighted(0.8),
        0u32..=60,
        any::<bool>(),
    )
        .prop_map(move |t| {
            let (plan, cycle, term, ext, calls, services, auto_renew, renew, window, contact) = t;
            DesiredPbx {
                plan: plan.map(|p| at(p, 6)),
                billing_cycle: cycle.map(|c| at(c, 7)),
                term: term.map(|t| at(t, 8)),
                extensions: ext.map(|e| at(e, 9)),
                concurrent_calls: calls.map(|c| at(c, 10)),
                services: services.map(|s| s.into_iter().map(|r| at(r, 11)).collect()),
                auto_renew: auto_renew.map(|a| at(a, 12)),
                renew,
                renew_before_days: at(window, 2),
                billing_contact: contact
                    .then(|| at(ContactRef::Email("billing@example.com".into()), 1)),
                ..testing::desired(&sn, product)
            }
        })
}

pub(super) fn arb_pair() -> impl Strategy<Value = (DesiredPbx, ObservedPbx)> {
    prop_oneof![Just(9u32), Just(11), Just(12), Just(13)]
        .prop_flat_map(arb_observed)
        .prop_flat_map(|o| (arb_desired(&o), Just(o)))
}

/// The plan of one PBX from these reads.
pub(super) fn plan_one(
    d: &DesiredPbx,
    o: &ObservedPbx,
    catalogs: &Catalogs,
    contacts: Option<Vec<Contact>>,
) -> Result<Plan, PlanErrors> {
    let observed = Observed {
        pbxs: [((o.product, o.sn.clone()), o.clone())].into(),
        contacts,
        ..Observed::default()
    };
    plan(std::slice::from_ref(d), &observed, catalogs, &ctx())
}

/// Only the catalogs `r` asks for, stored the way observe stores them.
fn catalogs_asked(r: &Requirements) -> Catalogs {
    let all = catalogs();
    let mut c = Catalogs::default();
    for (product, sn) in &r.catalogs {
        let cat = all.by_product[product].clone();
        match sn {
            Some(sn) => c.by_sn.insert((*product, sn.clone()), cat),
            None => c.by_product.insert(*product, cat),
        };
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_planner_needs_nothing_requirements_did_not_ask_for((d, o) in arb_pair()) {
        let r = requirements([(&d, &o)], today());
        // The plans are the same but for what they record having read (and so their IDs).
        let decisions = |p: Result<Plan, PlanErrors>| p.map(|p| (p.pbxs, p.today));
        let everything = decisions(plan_one(&d, &o, &catalogs(), Some(contacts())));
        let asked = decisions(plan_one(&d, &o, &catalogs_asked(&r), r.contacts.then(contacts)));
        prop_assert_eq!(everything, asked, "requirements: {:?}", r);
    }
}
