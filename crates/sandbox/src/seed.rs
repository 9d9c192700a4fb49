//! Initial accounts: `demo` (exactly vendor-api section 7), `fleet:N` (N generated PBXs,
//! deterministic) and `empty` (the billing contact only); and, on request, a history of orders
//! placed long before today ([`history`]).
//!
//! Every date and time of a seed is an offset from the sandbox's today, so the demo shows the
//! same scenarios whatever day it runs: section 7's table is the demo on its today, 2026-11-22.

use super::vocab::BillingCycle;
use crate::date::Date;
use crate::wire::Id;

use super::Seed;
use super::catalog::ProductCatalog;
use super::world::{ContactRecord, OrderRecord, ServiceSub, Subscription, Term, World};

/// The account's only billing contact.
pub const BILLING_CONTACT: u64 = 3_197_218_168_379_846_218;
pub const BILLING_EMAIL: &str = "billing@example.com";

/// The seeded PBXs were created this many days before today (649: 2025-02-11 for 2026-11-22)...
const SEEDED_DAYS_AGO: i64 = 649;
/// ...at 05:00 UTC.
const SEEDED_AT_MS_OF_DAY: i64 = 5 * 3_600_000;

/// `createTime` of the seeded PBXs, in epoch milliseconds.
fn seeded_at(today: Date) -> i64 {
    today.add_days(-SEEDED_DAYS_AGO).to_days() * 86_400_000 + SEEDED_AT_MS_OF_DAY
}

pub(super) fn build(seed: &Seed, catalog: &ProductCatalog, today: Date) -> World {
    let contacts = vec![ContactRecord {
        id: Id(BILLING_CONTACT),
        email: BILLING_EMAIL.to_owned(),
        first_name: "Bill".to_owned(),
        last_name: "Payer".to_owned(),
        company: "Example Partner Ltd".to_owned(),
        country: "US".to_owned(),
        phone: "+1 555 0100".to_owned(),
        street: "1 Example Way".to_owned(),
        city: "Springfield".to_owned(),
        zip_code: "97477".to_owned(),
    }];
    let pbxs = match seed {
        Seed::Demo => demo(today),
        Seed::Fleet(n) => fleet(*n, catalog, today),
        Seed::Empty => Vec::new(),
    };
    World::new(contacts, pbxs)
}

/// The history begins this many days before today, an order an hour...
const HISTORY_DAYS_AGO: i64 = 400;
const HISTORY_STEP_MS: i64 = 3_600_000;

/// Adds `n` orders placed before today, as a partner's history: renewals of the seeded PBXs
/// that have a plan, in turn, placed in the portal (no `poNumber`), all succeeded, with no
/// effect left to apply (the seeded state already holds them). Without a PBX on a plan or a
/// billing contact there is nothing to renew, and none is added.
pub(super) fn history(world: &mut World, catalog: &ProductCatalog, n: usize, today: Date) {
    let renewable: Vec<(u32, String, Term)> = world
        .pbxs
        .iter()
        .filter_map(|s| Some((s.product_id, s.sn.clone(), s.plan.clone()?)))
        .collect();
    let Some(billing_id) = world.contacts.first().map(|c| c.id) else {
        return;
    };
    let start = today.add_days(-HISTORY_DAYS_AGO).to_days() * 86_400_000;
    for (i, (product_id, sn, term)) in renewable.iter().cycle().take(n).enumerate() {
        let (id, order_no, transaction_no) = world.take_order_numbers();
        let create_time = start + i as i64 * HISTORY_STEP_MS;
        let cents = catalog
            .product(*product_id)
            .and_then(|p| p.plan(term.plan_id))
            .map_or(0, |p| p.price.period(term.cycle));
        world.last_create_time = world.last_create_time.max(create_time);
        world.orders.push(OrderRecord {
            id,
            order_no,
            transaction_no,
            status: "succeed".to_owned(),
            po_number: None,
            product_id: *product_id,
            product_no: sn.clone(),
            operation_type: "renew_plan".to_owned(),
            create_time,
            currency_code: "USD".to_owned(),
            total_amount: super::catalog::format_cents(cents),
            billing_id,
            body: serde_json::json!({
                "operationType": "renew_plan", "productId": product_id, "productNo": sn,
                "billingId": billing_id,
                "serviceList": [{"serviceType": "plan", "serviceId": term.plan_id,
                                 "purchaseType": "renew", "billingModel": "recurring",
                                 "billingCycle": term.cycle.as_str(), "multiCycle": 0}]
            }),
        });
    }
}

fn bare(sn: &str, product_id: u32, comment: &str, create_time: i64) -> Subscription {
    Subscription {
        sn: sn.to_owned(),
        product_id,
        instance_id: instance_id(sn, product_id),
        activation_code: activation_code(sn, product_id),
        activation_status: "activated".to_owned(),
        comment: comment.to_owned(),
        create_time,
        plan: None,
        pending: None,
        extensions: 0,
        concurrent_calls: 0,
        recording_minutes: 0,
        services: Vec::new(),
        auto_renew: false,
    }
}

/// The table of vendor-api section 7, nothing more, with its dates as offsets from its today
/// (2026-11-22): the Software Edition term ends in 160 days, the Appliance's month in 28, and
/// the Cloud PBX term in 18, inside the default 30-day renewal window.
fn demo(today: Date) -> Vec<Subscription> {
    let seeded = seeded_at(today);
    let mut pse = bare("3651D3296882", 12, "Acme HQ", seeded);
    pse.plan = Some(Term {
        plan_id: Id(3_049_040_650_094_403_584),
        cycle: BillingCycle::Annually,
        multi_cycle: 1,
        expire: today.add_days(160),
    });
    pse.extensions = 100;
    pse.concurrent_calls = 30;

    let mut appliance = bare("3631E0997265", 11, "Globex branch office", seeded + 60_000);
    appliance.plan = Some(Term {
        plan_id: Id(3_048_560_232_537_899_008),
        cycle: BillingCycle::Monthly,
        multi_cycle: 0,
        expire: today.add_days(28),
    });

    let linkus = bare("369471667338", 9, "Initech", seeded + 120_000);

    let mut pce = bare("3658B431119665QJ", 13, "Umbrella cloud", seeded + 180_000);
    let pce_expiry = today.add_days(18);
    pce.plan = Some(Term {
        plan_id: Id(3_048_571_730_026_938_368),
        cycle: BillingCycle::Annually,
        multi_cycle: 1,
        expire: pce_expiry,
    });
    pce.extensions = 100;
    pce.services.push(ServiceSub {
        service_id: Id(3_048_573_935_752_720_384),
        quantity: 100,
        expire: pce_expiry,
    });

    vec![pse, appliance, linkus, pce]
}

/// One letter per product in generated SNs.
fn product_marker(product_id: u32) -> char {
    match product_id {
        9 => 'L',
        11 => 'A',
        12 => 'S',
        _ => 'C',
    }
}

/// `n` PBXs cycling over products 12, 13, 11, 9; each draws its state from an RNG seeded by its
/// index, so PBX `i` is the same whatever `n` is.
fn fleet(n: usize, catalog: &ProductCatalog, today: Date) -> Vec<Subscription> {
    const PRODUCTS: [u32; 4] = [12, 13, 11, 9];
    (0..n)
        .filter_map(|i| {
            let product_id = PRODUCTS[i % 4];
            let product = catalog.product(product_id)?;
            let mut rng = fastrand::Rng::with_seed(0x00F1_EE70_0000_0000 ^ i as u64);
            let sn = format!("FL{i:06}{}", product_marker(product_id));
            let mut s = bare(
                &sn,
                product_id,
                &format!("fleet site {i}"),
                seeded_at(today) + i as i64 * 1_000,
            );
            // One in eight has no plan yet.
            if rng.u8(0..8) == 0 {
                return Some(s);
            }
            let plan = &product.plans[rng.usize(0..product.plans.len())];
            let cycle = if plan.cycles.contains(&BillingCycle::Monthly) && rng.u8(0..3) == 0 {
                BillingCycle::Monthly
            } else {
                BillingCycle::Annually
            };
            let multi_cycle = match cycle {
                BillingCycle::Monthly => 0,
                BillingCycle::Annually => [1, 1, 1, 2, 3][rng.usize(0..5)],
            };
            // A quarter expire within 30 days (renewal candidates), the rest later.
            let days = match (cycle, rng.u8(0..4)) {
                (BillingCycle::Monthly, _) => rng.i64(1..=30),
                (BillingCycle::Annually, 0) => rng.i64(1..=30),
                (BillingCycle::Annually, _) => rng.i64(31..=365 * i64::from(multi_cycle)),
            };
            let expire = today.add_days(days);
            s.plan = Some(Term {
                plan_id: plan.id,
                cycle,
                multi_cycle,
                expire,
            });
            s.auto_renew = rng.u8(0..3) == 0;
            match product_id {
                12 => {
                    s.extensions = [10, 25, 50, 100, 200, 300][rng.usize(0..6)];
                    s.concurrent_calls = [5, 10, 30, 60][rng.usize(0..4)];
                    for svc in &product.services {
                        let allowed = svc.requires_plan_ids.is_empty()
                            || svc.requires_plan_ids.contains(&plan.id);
                        if svc.kind == super::vocab::ServiceKind::Feature
                            && allowed
                            && rng.u8(0..4) == 0
                        {
                            s.services.push(ServiceSub {
                                service_id: svc.id,
                                quantity: 0,
                                expire,
                            });
                        }
                    }
                }
                13 => {
                    s.extensions = [5, 20, 50, 100, 250, 500][rng.usize(0..6)];
                    s.recording_minutes = [0, 0, 1_000, 5_000][rng.usize(0..4)];
                    if rng.bool() {
                        s.services.push(ServiceSub {
                            service_id: Id(3_048_573_935_752_720_384),
                            quantity: s.extensions,
                            expire,
                        });
                    }
                }
                _ => {}
            }
            Some(s)
        })
        .collect()
}

/// A stable 7-digit instance number per (SN, product), like the vendor's `instanceId`.
fn instance_id(sn: &str, product_id: u32) -> u64 {
    1_000_000 + fnv(sn, product_id) % 9_000_000
}

/// A stable `ABCD-EFGH` style activation code.
fn activation_code(sn: &str, product_id: u32) -> String {
    let mut h = fnv(sn, product_id.wrapping_add(77));
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(char::from(b'A' + (h % 26) as u8));
        h /= 26;
    }
    code
}

fn fnv(sn: &str, product_id: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sn.bytes().chain(product_id.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat() -> ProductCatalog {
        crate::catalog::standard()
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn demo_is_exactly_the_four_pbxs_of_the_contract() {
        let w = build(&Seed::Demo, &cat(), date("2026-11-22"));
        let keys: Vec<_> = w
            .pbxs
            .iter()
            .map(|s| (s.product_id, s.sn.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (12, "3651D3296882"),
                (11, "3631E0997265"),
                (9, "369471667338"),
                (13, "3658B431119665QJ")
            ]
        );
        let expiries: Vec<_> = w
            .pbxs
            .iter()
            .map(|s| s.plan.as_ref().map(|t| t.expire.to_string()))
            .collect();
        let at = |s: &str| Some(s.to_owned());
        assert_eq!(
            expiries,
            [at("2027-05-01"), at("2026-12-20"), None, at("2026-12-10")]
        );
        assert_eq!(w.pbxs[3].services[0].expire, date("2026-12-10"));
        assert_eq!(w.pbxs[0].create_time, 1_739_250_000_000); // 2025-02-11T05:00:00Z
        assert_eq!(w.pbxs[3].services[0].quantity, 100);
        assert!(w.pbxs[2].plan.is_none());
    }

    #[test]
    fn the_demo_moves_with_its_today() {
        for today in ["2027-01-09", "2029-12-31", "2030-02-28"] {
            let today = date(today);
            let w = build(&Seed::Demo, &cat(), today);
            let days: Vec<_> = w
                .pbxs
                .iter()
                .map(|s| s.plan.as_ref().map(|t| today.days_until(t.expire)))
                .collect();
            assert_eq!(days, [Some(160), Some(28), None, Some(18)], "{today}");
            assert_eq!(
                w.pbxs[0].create_time,
                seeded_at(today),
                "created {SEEDED_DAYS_AGO} days ago"
            );
            assert!(w.pbxs[0].create_time < today.to_days() * 86_400_000);
        }
    }

    #[test]
    fn a_history_renews_the_pbxs_on_a_plan_an_hour_apart_from_400_days_ago() {
        let today = date("2026-11-22");
        let mut w = build(&Seed::Demo, &cat(), today);
        history(&mut w, &cat(), 5, today);
        let sns: Vec<&str> = w.orders.iter().map(|o| o.product_no.as_str()).collect();
        // The Linkus PBX has no plan: nothing to renew.
        assert_eq!(
            sns,
            [
                "3651D3296882",
                "3631E0997265",
                "3658B431119665QJ",
                "3651D3296882",
                "3631E0997265"
            ]
        );
        let start = today.add_days(-400).to_days() * 86_400_000;
        let times: Vec<i64> = w.orders.iter().map(|o| o.create_time - start).collect();
        assert_eq!(times, [0, 3_600_000, 7_200_000, 10_800_000, 14_400_000]);
        assert_eq!(w.last_create_time, start + 14_400_000);
        assert!(w.orders.iter().all(|o| o.status == "succeed"
            && o.po_number.is_none()
            && o.operation_type == "renew_plan"));
        assert_eq!(w.next_order_seq, 6);
        let mut none = build(&Seed::Empty, &cat(), today);
        history(&mut none, &cat(), 5, today);
        assert!(none.orders.is_empty());
    }

    #[test]
    fn fleet_is_deterministic_and_valid() {
        let today = date("2026-11-22");
        let a = build(&Seed::Fleet(200), &cat(), today);
        let b = build(&Seed::Fleet(200), &cat(), today);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        assert!(a.duplicate_key().is_none());
        assert!(a.pbxs.iter().any(|s| s.plan.is_none()));
        assert!(a.pbxs.iter().any(|s| {
            s.plan
                .as_ref()
                .is_some_and(|t| today.days_until(t.expire) <= 30)
        }));
        for s in &a.pbxs {
            assert!(s.sn.bytes().all(|b| b.is_ascii_alphanumeric()));
            if s.product_id == 13 && s.plan.is_some() {
                assert!((5..=500).contains(&s.extensions));
            }
        }
        // PBX i does not depend on N.
        let small = build(&Seed::Fleet(10), &cat(), today);
        assert_eq!(
            serde_json::to_string(&small.pbxs[7]).unwrap(),
            serde_json::to_string(&a.pbxs[7]).unwrap()
        );
    }
}
