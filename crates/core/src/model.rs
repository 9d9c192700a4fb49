//! The domain model: products, catalog, observed subscription state, contacts and orders as
//! the planner and renderers see them — free of wire quirks (`api::mapping` converts) and of
//! manifest syntax (`manifest` resolves to [`crate::manifest::DesiredPbx`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::date::Date;
pub use crate::wire::Id;

/// A vendor product (`productId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub u32);

impl ProductId {
    pub const LINKUS: ProductId = ProductId(9);
    pub const APPLIANCE: ProductId = ProductId(11);
    pub const SOFTWARE_EDITION: ProductId = ProductId(12);
    pub const CLOUD_PBX: ProductId = ProductId(13);
    /// Total extensions a Cloud PBX may have (vendor-api section 5, rule 6).
    pub const CLOUD_PBX_EXTENSIONS: std::ops::RangeInclusive<u32> = 5..=500;

    /// The manifest aliases, in the order documentation lists them.
    pub const ALIASES: [(&'static str, ProductId); 4] = [
        ("linkus", ProductId::LINKUS),
        ("appliance", ProductId::APPLIANCE),
        ("software-edition", ProductId::SOFTWARE_EDITION),
        ("cloud-pbx", ProductId::CLOUD_PBX),
    ];

    /// Whether the product has extension and call capacity, which the vendor's detail then
    /// counts: the P-Series Software Edition and Cloud PBX.
    pub fn has_capacity(self) -> bool {
        matches!(self, ProductId::SOFTWARE_EDITION | ProductId::CLOUD_PBX)
    }

    /// The manifest alias of a known product.
    pub fn alias(self) -> Option<&'static str> {
        Self::ALIASES
            .iter()
            .find(|(_, p)| *p == self)
            .map(|(a, _)| *a)
    }

    pub fn from_alias(alias: &str) -> Option<ProductId> {
        Self::ALIASES
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, p)| *p)
    }

    /// The catalog (L4) of products 9 and 11 is per SN: the vendor requires `productNo`.
    pub fn catalog_needs_sn(self) -> bool {
        matches!(self, ProductId::LINKUS | ProductId::APPLIANCE)
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alias() {
            Some(a) => f.write_str(a),
            None => write!(f, "product {}", self.0),
        }
    }
}

/// A billing cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cycle {
    Monthly,
    Annually,
}

impl Cycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Annually => "annually",
        }
    }
    pub fn parse(s: &str) -> Option<Cycle> {
        match s {
            "monthly" => Some(Cycle::Monthly),
            "annually" => Some(Cycle::Annually),
            _ => None,
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a catalog service adds when bought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// On/off, no quantity.
    Feature,
    /// Quantity adds extensions.
    Extensions,
    /// Quantity adds concurrent calls.
    ConcurrentCalls,
    /// Quantity adds recording minutes.
    RecordingMinutes,
    /// On/off, priced per extension (quantity = current extension count), e.g. High Availability.
    PerExtension,
    /// Neither the vendor nor entitle's table of vendor facts says: an action that needs to
    /// know is refused.
    Unknown,
}

impl ServiceKind {
    pub fn parse(s: &str) -> Option<ServiceKind> {
        Some(match s {
            "feature" => ServiceKind::Feature,
            "extensions" => ServiceKind::Extensions,
            "concurrent_calls" => ServiceKind::ConcurrentCalls,
            "recording_minutes" => ServiceKind::RecordingMinutes,
            "per_extension" => ServiceKind::PerExtension,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Feature => "feature",
            ServiceKind::Extensions => "extensions",
            ServiceKind::ConcurrentCalls => "concurrent_calls",
            ServiceKind::RecordingMinutes => "recording_minutes",
            ServiceKind::PerExtension => "per_extension",
            ServiceKind::Unknown => "unknown",
        }
    }
    /// Capacity kinds are bought by quantity and never "subscribed" by name in a manifest.
    pub fn is_capacity(self) -> bool {
        matches!(
            self,
            ServiceKind::Extensions | ServiceKind::ConcurrentCalls | ServiceKind::RecordingMinutes
        )
    }
}

/// A plan of a product's catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedPlan {
    pub id: Id,
    pub name: String,
    /// Orders plans of one product: higher is better; decides upgrade vs downgrade. 0: neither
    /// the vendor nor entitle's table of vendor facts says.
    pub tier: u32,
    /// Empty: the vendor does not say (any cycle may be asked; the vendor decides).
    pub cycles: Vec<Cycle>,
    /// What the vendor's calculator (L9) prices this plan by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_id: Option<Id>,
    /// What its price is counted in; `None`: the vendor does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_unit: Option<PriceUnit>,
}

/// What a plan's or service's price is counted in (a catalog hint, vendor-api section 3):
/// pricing an order that an earlier order of the same plan changes needs to know whether the
/// extensions it adds change the price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceUnit {
    /// One price, whatever the count.
    Flat,
    /// Per unit of the line's quantity (capacity: extensions, calls, minutes).
    PerUnit,
    /// Per extension in force.
    PerExtension,
}

impl PriceUnit {
    pub fn parse(s: &str) -> Option<PriceUnit> {
        Some(match s {
            "flat" => PriceUnit::Flat,
            "per_unit" => PriceUnit::PerUnit,
            "per_extension" => PriceUnit::PerExtension,
            _ => return None,
        })
    }
}

/// A service of a product's catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferedService {
    pub id: Id,
    pub name: String,
    pub kind: ServiceKind,
    /// Plans under which it may be bought; empty = any plan.
    pub requires_plan_ids: Vec<Id>,
    /// A plan (a word of its name) the table of vendor facts says it needs, which this
    /// catalog does not list: it cannot be bought here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_missing_plan: Option<String>,
    pub cycles: Vec<Cycle>,
    /// What the vendor's calculator (L9) prices this service by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing_id: Option<Id>,
    /// What its price is counted in; `None`: neither the vendor nor its kind says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_unit: Option<PriceUnit>,
}

/// What can be bought for one product (L4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub product: ProductId,
    pub product_name: String,
    pub plans: Vec<OfferedPlan>,
    pub services: Vec<OfferedService>,
}

impl Catalog {
    pub fn plan(&self, id: Id) -> Option<&OfferedPlan> {
        self.plans.iter().find(|p| p.id == id)
    }
    pub fn service(&self, id: Id) -> Option<&OfferedService> {
        self.services.iter().find(|s| s.id == id)
    }
    /// The capacity service of a kind (Extension Expansion, Concurrent Call Expansion...).
    pub fn capacity_service(&self, kind: ServiceKind) -> Option<&OfferedService> {
        self.services.iter().find(|s| s.kind == kind)
    }
}

/// The plan a PBX holds under a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribedPlan {
    pub id: Id,
    pub name: String,
    pub cycle: Cycle,
    /// Years per annual term; 0 for monthly.
    pub multi_cycle: u32,
    pub expires: Date,
}

/// A switch accepted but not yet in force (a downgrade waits for expiry): the observed plan is
/// the one switched TO; this is the one still in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingSwitch {
    /// The plan in force until `until`: its ID when the vendor gave one.
    pub in_force_id: Option<Id>,
    /// As the vendor gave it (an ID in decimal, or a name).
    pub in_force: String,
    pub until: Option<Date>,
}

/// A subscribed add-on service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedService {
    pub id: Id,
    pub name: String,
    pub quantity: u32,
    pub expires: Option<Date>,
}

/// The subscription state of one (SN, product), as read from L3 (and L8 when asked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedPbx {
    pub sn: String,
    pub product: ProductId,
    pub product_name: String,
    pub activation_status: String,
    pub comment: String,
    /// `None` when the product has no active plan.
    pub plan: Option<SubscribedPlan>,
    pub pending_switch: Option<PendingSwitch>,
    pub extensions: u32,
    pub concurrent_calls: u32,
    pub recording_minutes: u32,
    pub services: Vec<ObservedService>,
    /// `None` when not read (the manifest does not declare `autoRenew`).
    pub auto_renew: Option<bool>,
    /// Fields of the vendor's detail (L3) that the answer did not carry (`planId`,
    /// `extensionCount`, ...): their values above are placeholders that must not be planned on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreported: Vec<String>,
}

impl ObservedPbx {
    /// A PBX of which nothing was read: no plan, no capacity, no services, nothing reported.
    pub fn unread(sn: &str, product: ProductId) -> ObservedPbx {
        ObservedPbx {
            sn: sn.to_owned(),
            product,
            product_name: String::new(),
            activation_status: String::new(),
            comment: String::new(),
            plan: None,
            pending_switch: None,
            extensions: 0,
            concurrent_calls: 0,
            recording_minutes: 0,
            services: Vec::new(),
            auto_renew: None,
            unreported: Vec::new(),
        }
    }
}

/// A billing contact of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Id,
    pub email: String,
    pub name: String,
}

/// The vendor's order status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Succeed,
    Pending,
    Confirming,
    Failed,
    Invalid,
    Cancelled,
    Refunded,
    Other(String),
}

impl OrderStatus {
    pub fn parse(s: &str) -> OrderStatus {
        match s {
            "succeed" => OrderStatus::Succeed,
            "pending" => OrderStatus::Pending,
            "confirming" => OrderStatus::Confirming,
            "failed" => OrderStatus::Failed,
            "invalid" => OrderStatus::Invalid,
            "cancelled" => OrderStatus::Cancelled,
            "refunded" => OrderStatus::Refunded,
            other => OrderStatus::Other(other.to_owned()),
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            OrderStatus::Succeed => "succeed",
            OrderStatus::Pending => "pending",
            OrderStatus::Confirming => "confirming",
            OrderStatus::Failed => "failed",
            OrderStatus::Invalid => "invalid",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Refunded => "refunded",
            OrderStatus::Other(s) => s,
        }
    }
    /// Placed but not settled: the PBX is "in flight" and nothing more is ordered for it. A
    /// status this client does not know counts as in flight, never as settled or absent
    /// (vendor-api section 8: the vendor's list of statuses is cut short).
    pub fn is_in_flight(&self) -> bool {
        matches!(
            self,
            OrderStatus::Pending | OrderStatus::Confirming | OrderStatus::Other(_)
        )
    }
}

impl OrderStatus {
    /// Did (or may) the order buy something: succeeded, or still in flight. Failed, cancelled,
    /// invalid and refunded orders bought nothing that lasts.
    pub fn may_have_effect(&self) -> bool {
        *self == OrderStatus::Succeed || self.is_in_flight()
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order of the account (L6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: Id,
    pub order_no: String,
    pub status: OrderStatus,
    /// Epoch milliseconds.
    pub created_ms: i64,
    pub product: ProductId,
    pub sn: String,
    pub operation_type: String,
    /// The `poNumber` it was placed with (`customReferenceNo`), if any.
    pub reference: Option<String>,
    pub total_amount: String,
    pub currency: String,
}

/// A price from the vendor's calculator (L9). Amounts stay decimal strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub currency: String,
    pub total: String,
}

/// The calculator's answer: the total, and each line's amount when it itemises them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub price: Price,
    /// By plan or service ID (vendor-api section 3, assumed); empty when not itemised.
    pub items: Vec<(Id, String)>,
}

/// An order of a PBX whose outcome, or whose effect, is not known yet. Until it is found, its
/// effect shows, or the settle period after it ends, the PBX is **in doubt**: nothing more is
/// ordered for it (vendor-api section 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Doubt {
    /// Our `poNumber`, for an order of this workspace's journal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_number: Option<crate::plan::PoNumber>,
    /// The vendor's order number, when the order is known to exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    pub operation_type: String,
    /// When it was sent or created (epoch ms).
    pub since_ms: i64,
    /// When the settle period after it ends (epoch ms): then, with no evidence, it is absent.
    pub until_ms: i64,
    /// Why the outcome is not known, for people.
    pub reason: String,
}

/// An order in doubt, and the PBX it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PbxDoubt {
    pub product: ProductId,
    pub sn: String,
    pub doubt: Doubt,
}

/// An order of this workspace placed within the settle period, and the fingerprint of the PBX
/// it was planned from: while the PBX still has it, the order's effect may not show yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentOrder {
    pub product: ProductId,
    pub sn: String,
    pub doubt: Doubt,
    pub fingerprint: crate::plan::Fingerprint,
}
