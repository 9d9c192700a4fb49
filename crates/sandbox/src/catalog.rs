//! The account's catalog: the four products of vendor-api section 7 with their plans, services,
//! tiers, kinds and billing cycles, plus the sandbox's deterministic USD price list (used by both
//! the order log's `totalAmount` and the L9 calculator).

use super::vocab::{BillingCycle, ServiceKind};
use crate::wire::Id;

/// Ultimate Plan of the Software Edition: the sandbox's own ID (the vendor's is unpublished).
pub const PSE_ULTIMATE: u64 = 3_049_040_650_094_409_999;
/// Concurrent Call Expansion of the Software Edition: the sandbox's own ID.
pub const PSE_CONCURRENT_CALLS: u64 = 3_049_060_579_827_041_111;
/// Hot Standby of the Software Edition: the sandbox's own ID.
pub const PSE_HOT_STANDBY: u64 = 3_049_060_579_827_042_222;
/// Disaster Recovery of the Software Edition (Ultimate Plan only): the sandbox's own ID.
pub const PSE_DISASTER_RECOVERY: u64 = 3_049_060_579_827_043_333;
/// Outbound Call Center of the Software Edition: the sandbox's own ID.
pub const PSE_OUTBOUND_CALL_CENTER: u64 = 3_049_060_579_827_044_444;

const ANNUAL: &[BillingCycle] = &[BillingCycle::Annually];
const BOTH: &[BillingCycle] = &[BillingCycle::Monthly, BillingCycle::Annually];

/// How a price scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// One price whatever the quantity.
    Flat,
    /// Times the line's quantity (extensions, calls, minutes).
    PerUnit,
    /// Times the PBX's extension count.
    PerExtension,
}

impl Unit {
    /// As the catalog (L4) names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Flat => "flat",
            Unit::PerUnit => "per_unit",
            Unit::PerExtension => "per_extension",
        }
    }
}

/// Prices in US cents for one month and one year.
#[derive(Debug, Clone, Copy)]
pub struct Price {
    pub monthly_cents: u64,
    pub annual_cents: u64,
    pub unit: Unit,
}

impl Price {
    const fn flat(monthly_cents: u64, annual_cents: u64) -> Price {
        Price {
            monthly_cents,
            annual_cents,
            unit: Unit::Flat,
        }
    }
    const fn per(unit: Unit, monthly_cents: u64, annual_cents: u64) -> Price {
        Price {
            monthly_cents,
            annual_cents,
            unit,
        }
    }
    /// The price of one period of `cycle`.
    pub fn period(self, cycle: BillingCycle) -> u64 {
        match cycle {
            BillingCycle::Monthly => self.monthly_cents,
            BillingCycle::Annually => self.annual_cents,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub id: Id,
    pub name: &'static str,
    pub tier: u32,
    pub cycles: &'static [BillingCycle],
    pub price: Price,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub id: Id,
    pub name: &'static str,
    pub kind: ServiceKind,
    pub requires_plan_ids: Vec<Id>,
    pub cycles: &'static [BillingCycle],
    pub price: Price,
}

/// Fresh capacity given with a first plan, for products that count extensions.
#[derive(Debug, Clone, Copy)]
pub struct Capacity {
    pub extensions: u32,
    pub concurrent_calls: u32,
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: u32,
    pub name: &'static str,
    pub offering_id: u64,
    pub plans: Vec<Plan>,
    pub services: Vec<Service>,
    /// `None` for products without extension counts (Linkus, Appliance).
    pub fresh_capacity: Option<Capacity>,
    /// Total extensions allowed (rule 6 for the Cloud PBX).
    pub extension_bounds: Option<(u32, u32)>,
    /// L4 needs `productNo` for this product.
    pub catalog_needs_sn: bool,
}

impl Product {
    pub fn plan(&self, id: Id) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }
    pub fn service(&self, id: Id) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }
    pub fn counts_extensions(&self) -> bool {
        self.fresh_capacity.is_some()
    }
}

/// The whole catalog of the account.
#[derive(Debug, Clone)]
pub struct ProductCatalog {
    pub products: Vec<Product>,
}

impl ProductCatalog {
    pub fn product(&self, id: u32) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
}

fn plan(
    id: u64,
    name: &'static str,
    tier: u32,
    cycles: &'static [BillingCycle],
    price: Price,
) -> Plan {
    Plan {
        id: Id(id),
        name,
        tier,
        cycles,
        price,
    }
}

fn service(
    id: u64,
    name: &'static str,
    kind: ServiceKind,
    requires: &[u64],
    cycles: &'static [BillingCycle],
    price: Price,
) -> Service {
    Service {
        id: Id(id),
        name,
        kind,
        requires_plan_ids: requires.iter().map(|&i| Id(i)).collect(),
        cycles,
        price,
    }
}

/// The catalog of vendor-api section 7.
pub fn standard() -> ProductCatalog {
    use ServiceKind as K;
    use Unit::{PerExtension, PerUnit};
    let linkus = Product {
        id: 9,
        name: "Linkus Cloud Service",
        offering_id: 3_048_900_000_000_000_009,
        plans: vec![
            plan(
                3_048_918_321_840_570_368,
                "Linkus Cloud Service",
                1,
                ANNUAL,
                Price::flat(0, 12_000),
            ),
            plan(
                3_048_918_719_332_507_648,
                "Linkus Cloud Service Pro",
                2,
                ANNUAL,
                Price::flat(0, 24_000),
            ),
        ],
        services: vec![],
        fresh_capacity: None,
        extension_bounds: None,
        catalog_needs_sn: true,
    };
    let appliance = Product {
        id: 11,
        name: "P-Series Appliance Edition",
        offering_id: 3_048_500_000_000_000_011,
        plans: vec![
            plan(
                3_048_558_946_648_207_360,
                "Standard Plan",
                1,
                BOTH,
                Price::flat(2_000, 20_000),
            ),
            plan(
                3_048_560_232_537_899_008,
                "Enterprise Plan",
                2,
                BOTH,
                Price::flat(4_000, 40_000),
            ),
            plan(
                3_048_560_606_464_323_584,
                "Ultimate Plan",
                3,
                BOTH,
                Price::flat(6_000, 60_000),
            ),
        ],
        services: vec![],
        fresh_capacity: None,
        extension_bounds: None,
        catalog_needs_sn: true,
    };
    let software = Product {
        id: 12,
        name: "P-Series Software Edition",
        offering_id: 3_049_000_000_000_000_001,
        plans: vec![
            plan(
                3_049_040_650_094_403_584,
                "Enterprise Plan",
                2,
                ANNUAL,
                Price::flat(0, 90_000),
            ),
            plan(
                PSE_ULTIMATE,
                "Ultimate Plan",
                3,
                ANNUAL,
                Price::flat(0, 150_000),
            ),
        ],
        services: vec![
            service(
                3_115_983_610_256_539_648,
                "Hotel PMS Integration",
                K::Feature,
                &[],
                ANNUAL,
                Price::flat(0, 118_000),
            ),
            service(
                3_049_060_579_827_040_256,
                "Extension Expansion",
                K::Extensions,
                &[],
                ANNUAL,
                Price::per(PerUnit, 0, 500),
            ),
            service(
                PSE_CONCURRENT_CALLS,
                "Concurrent Call Expansion",
                K::ConcurrentCalls,
                &[],
                ANNUAL,
                Price::per(PerUnit, 0, 2_000),
            ),
            service(
                PSE_HOT_STANDBY,
                "Hot Standby",
                K::Feature,
                &[],
                ANNUAL,
                Price::flat(0, 60_000),
            ),
            service(
                PSE_DISASTER_RECOVERY,
                "Disaster Recovery",
                K::Feature,
                &[PSE_ULTIMATE],
                ANNUAL,
                Price::flat(0, 80_000),
            ),
            service(
                PSE_OUTBOUND_CALL_CENTER,
                "Outbound Call Center",
                K::Feature,
                &[],
                ANNUAL,
                Price::flat(0, 70_000),
            ),
        ],
        fresh_capacity: Some(Capacity {
            extensions: 10,
            concurrent_calls: 5,
        }),
        extension_bounds: None,
        catalog_needs_sn: false,
    };
    let cloud = Product {
        id: 13,
        name: "P-Series Cloud PBX (PCE Instance)",
        offering_id: 3_048_570_000_000_000_013,
        plans: vec![
            plan(
                3_048_571_730_026_938_368,
                "Enterprise Plan",
                2,
                BOTH,
                Price::per(PerExtension, 400, 4_000),
            ),
            plan(
                3_048_572_026_291_630_080,
                "Ultimate Plan",
                3,
                BOTH,
                Price::per(PerExtension, 600, 6_000),
            ),
        ],
        services: vec![
            service(
                3_048_573_516_041_273_344,
                "Extension Expansion",
                K::Extensions,
                &[],
                BOTH,
                Price::per(PerUnit, 400, 4_000),
            ),
            service(
                3_048_573_759_449_317_376,
                "Recording Minutes",
                K::RecordingMinutes,
                &[],
                BOTH,
                Price::per(PerUnit, 1, 10),
            ),
            service(
                3_048_573_935_752_720_384,
                "High Availability",
                K::PerExtension,
                &[],
                BOTH,
                Price::per(PerExtension, 100, 1_000),
            ),
        ],
        fresh_capacity: Some(Capacity {
            extensions: 10,
            concurrent_calls: 0,
        }),
        extension_bounds: Some((5, 500)),
        catalog_needs_sn: false,
    };
    ProductCatalog {
        products: vec![linkus, appliance, software, cloud],
    }
}

/// `1180.00` from 118000 cents.
pub fn format_cents(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_nineteen_digits_and_unique() {
        let c = standard();
        let mut ids = Vec::new();
        for p in &c.products {
            ids.extend(p.plans.iter().map(|x| x.id.0));
            ids.extend(p.services.iter().map(|x| x.id.0));
            ids.push(p.offering_id);
        }
        for id in &ids {
            assert_eq!(id.to_string().len(), 19, "{id}");
        }
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }

    #[test]
    fn cents_format_as_decimal_strings() {
        assert_eq!(format_cents(118_000), "1180.00");
        assert_eq!(format_cents(5), "0.05");
    }
}
