//! The demo account of vendor-api section 7 as the planner sees it: its catalogs, its PBXs,
//! a planning context on its day, and a planner run over them. Shared by the planner's tests
//! and the renderers' (which live in another crate).

use crate::date::Date;
use crate::manifest::{CatalogRef, ContactRef, DesiredPbx, Located};
use crate::model::*;
use crate::plan::*;
use crate::testing::{self, at, date, observed, subscribed_plan};

pub const BILLING: Id = Id(3197218168379846218);
pub const PSE_ENT: Id = Id(3049040650094403584);
pub const PSE_ULT: Id = Id(3049040650094409999);
pub const HOTEL: Id = Id(3115983610256539648);
pub const PSE_EXT: Id = Id(3049060579827040256);
pub const PSE_CALLS: Id = Id(3049060579827041111);
pub const DR: Id = Id(3049060579827042222);
pub const APP_STD: Id = Id(3048558946648207360);
pub const APP_ENT: Id = Id(3048560232537899008);
pub const APP_ULT: Id = Id(3048560606464323584);
pub const LINKUS: Id = Id(3048918321840570368);
pub const LINKUS_PRO: Id = Id(3048918719332507648);
pub const PCE_ENT: Id = Id(3048571730026938368);
pub const PCE_ULT: Id = Id(3048572026291630080);
pub const PCE_EXT: Id = Id(3048573516041273344);
pub const PCE_REC: Id = Id(3048573759449317376);
pub const PCE_HA: Id = Id(3048573935752720384);

pub fn today() -> Date {
    "2026-11-22".parse().unwrap()
}

pub fn plan_(id: Id, name: &str, tier: u32, cycles: &[Cycle]) -> OfferedPlan {
    OfferedPlan {
        id,
        name: name.into(),
        tier,
        cycles: cycles.to_vec(),
        pricing_id: Some(Id(id.0 + 1)),
        price_unit: None,
    }
}

pub fn svc(id: Id, name: &str, kind: ServiceKind, requires: &[Id]) -> OfferedService {
    OfferedService {
        id,
        name: name.into(),
        kind,
        requires_plan_ids: requires.to_vec(),
        requires_missing_plan: None,
        cycles: vec![Cycle::Annually],
        pricing_id: Some(Id(id.0 + 1)),
        price_unit: (kind == ServiceKind::PerExtension)
            .then_some(crate::model::PriceUnit::PerExtension),
    }
}

pub fn catalogs() -> Catalogs {
    use Cycle::*;
    let mut c = Catalogs::default();
    c.by_product.insert(
        ProductId(9),
        Catalog {
            product: ProductId(9),
            product_name: "Linkus Cloud Service".into(),
            plans: vec![
                plan_(LINKUS, "Linkus Cloud Service", 1, &[Annually]),
                plan_(LINKUS_PRO, "Linkus Cloud Service Pro", 2, &[Annually]),
            ],
            services: vec![],
        },
    );
    c.by_product.insert(
        ProductId(11),
        Catalog {
            product: ProductId(11),
            product_name: "P-Series Appliance Edition".into(),
            plans: vec![
                plan_(APP_STD, "Standard Plan", 1, &[Monthly, Annually]),
                plan_(APP_ENT, "Enterprise Plan", 2, &[Monthly, Annually]),
                plan_(APP_ULT, "Ultimate Plan", 3, &[Monthly, Annually]),
            ],
            services: vec![],
        },
    );
    c.by_product.insert(
        ProductId(12),
        Catalog {
            product: ProductId(12),
            product_name: "P-Series Software Edition".into(),
            plans: vec![
                plan_(PSE_ENT, "Enterprise Plan", 2, &[Annually]),
                plan_(PSE_ULT, "Ultimate Plan", 3, &[Annually]),
            ],
            services: vec![
                svc(HOTEL, "Hotel PMS Integration", ServiceKind::Feature, &[]),
                svc(PSE_EXT, "Extension Expansion", ServiceKind::Extensions, &[]),
                svc(
                    PSE_CALLS,
                    "Concurrent Call Expansion",
                    ServiceKind::ConcurrentCalls,
                    &[],
                ),
                svc(DR, "Disaster Recovery", ServiceKind::Feature, &[PSE_ULT]),
            ],
        },
    );
    c.by_product.insert(
        ProductId(13),
        Catalog {
            product: ProductId(13),
            product_name: "P-Series Cloud PBX".into(),
            plans: vec![
                plan_(PCE_ENT, "Enterprise Plan", 2, &[Monthly, Annually]),
                plan_(PCE_ULT, "Ultimate Plan", 3, &[Monthly, Annually]),
            ],
            services: vec![
                svc(PCE_EXT, "Extension Expansion", ServiceKind::Extensions, &[]),
                svc(
                    PCE_REC,
                    "Recording Minutes",
                    ServiceKind::RecordingMinutes,
                    &[],
                ),
                svc(PCE_HA, "High Availability", ServiceKind::PerExtension, &[]),
            ],
        },
    );
    c
}

pub fn pbx(
    sn: &str,
    product: u32,
    plan: Option<SubscribedPlan>,
    ext: u32,
    calls: u32,
) -> ObservedPbx {
    ObservedPbx {
        plan,
        extensions: ext,
        concurrent_calls: calls,
        ..observed(sn, product)
    }
}

/// The four PBXs of the demo seed.
pub fn demo(sn: &str) -> ObservedPbx {
    use Cycle::*;
    match sn {
        "3651D3296882" => pbx(
            sn,
            12,
            Some(subscribed_plan(
                PSE_ENT,
                "Enterprise Plan",
                Annually,
                1,
                "2027-05-01",
            )),
            100,
            30,
        ),
        "3631E0997265" => pbx(
            sn,
            11,
            Some(subscribed_plan(
                APP_ENT,
                "Enterprise Plan",
                Monthly,
                0,
                "2026-12-20",
            )),
            0,
            0,
        ),
        "369471667338" => pbx(sn, 9, None, 0, 0),
        "3658B431119665QJ" => {
            let mut p = pbx(
                sn,
                13,
                Some(subscribed_plan(
                    PCE_ENT,
                    "Enterprise Plan",
                    Annually,
                    1,
                    "2026-12-10",
                )),
                100,
                0,
            );
            p.services.push(ObservedService {
                id: PCE_HA,
                name: "High Availability".into(),
                quantity: 100,
                expires: Some(date("2026-12-10")),
            });
            p
        }
        _ => unreachable!(),
    }
}

pub fn desired(sn: &str, product: u32) -> DesiredPbx {
    DesiredPbx {
        billing_contact: Some(at(ContactRef::Email("billing@example.com".into()), 1)),
        ..testing::desired(sn, product)
    }
}

pub fn name(n: &str, line: usize) -> Option<Located<CatalogRef>> {
    Some(at(CatalogRef::Name(n.into()), line))
}

pub fn contacts() -> Vec<Contact> {
    vec![Contact {
        id: BILLING,
        email: "billing@example.com".into(),
        name: "Billing".into(),
    }]
}

pub fn ctx() -> PlanContext {
    PlanContext {
        account: "0123456789abcdef".into(),
        today: today(),
        manifest_hash: "hash".into(),
        selection: Selection::default(),
        policy: vec![],
        nonce: "test".into(),
    }
}

pub fn run_with(d: Vec<DesiredPbx>, observed: Vec<ObservedPbx>) -> Result<Plan, PlanErrors> {
    let obs = Observed {
        pbxs: observed
            .into_iter()
            .map(|o| ((o.product, o.sn.clone()), o))
            .collect(),
        contacts: Some(contacts()),
        ..Observed::default()
    };
    plan(&d, &obs, &catalogs(), &ctx())
}

pub fn run(d: DesiredPbx) -> Result<Plan, PlanErrors> {
    let o = demo(&d.sn);
    run_with(vec![d], vec![o])
}
