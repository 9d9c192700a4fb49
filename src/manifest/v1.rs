//! The manifest format, version 1, as Rust types. serde reads (and `entitle export` writes)
//! them; schemars publishes them as `schema/manifest.schema.json`, the doc comments becoming
//! the descriptions editors show. Every constraint a schema can express is declared here, once,
//! so the schema, the editor and the loader agree; the rules it cannot express (defaults, the
//! cloud-pbx capacity range, duplicates) live in `resolve.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::model::{Cycle, Id, ProductId};

/// Pattern of a serial number written as text.
pub(crate) const SN_PATTERN: &str = "^[A-Za-z0-9]{1,64}$";
/// Pattern of an identifier written as text: digits, at most 19 (every such number fits u64).
pub(crate) const ID_PATTERN: &str = "^[0-9]{1,19}$";
/// Largest identifier written as a number (19 digits).
pub(crate) const ID_MAX: u64 = 9_999_999_999_999_999_999;
/// A billing contact written as text: an e-mail address or an identifier.
pub(crate) const CONTACT_PATTERN: &str = "^([0-9]{1,19}|[^@\\s]+@[^@\\s]+\\.[^@\\s]+)$";
/// A renewal window: a number of days or weeks.
pub(crate) const DURATION_PATTERN: &str = "^[0-9]{1,4}[dw]$";
/// A label key: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub(crate) const LABEL_KEY_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";
/// A label value: any text without control characters.
pub(crate) const LABEL_VALUE_PATTERN: &str = "^[^\\x00-\\x1F\\x7F]*$";

/// An entitle manifest (format version 1): the subscriptions each PBX should have, keyed by
/// serial number. A field left out means "don't care": nothing is ordered for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "entitle manifest (v1)")]
pub struct Manifest {
    /// Manifest format version: always `1`.
    pub version: FormatVersion,
    /// Values every PBX of this file inherits unless the PBX sets its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<Defaults>,
    /// The PBXs of this file, one entry per (sn, product). A pair may be declared once across
    /// all the files loaded together.
    pub pbxs: Vec<PbxEntry>,
}

/// Values the PBXs of this file inherit unless they set their own (labels are merged, the
/// PBX's value winning per key).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("not" = {"type": "object", "required": ["product", "productId"]}))]
pub struct Defaults {
    /// Billing contact of the orders: its e-mail address or its numeric ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_contact: Option<BillingContact>,
    /// Renew when the term ends within this window: days (`30d`) or weeks (`4w`), at most a
    /// year. Default `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<RenewBefore>,
    /// Product of the PBXs: `linkus`, `appliance`, `software-edition` or `cloud-pbx`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductAlias>,
    /// Product of the PBXs by vendor product ID (9, 11, 12, 13), instead of `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999_999))]
    pub product_id: Option<u32>,
    /// Billing cycle: `monthly` or `annually`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// Years per annual term (the vendor's multiCycle), 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub term: Option<u32>,
    /// Desired state of the vendor's auto-renewal. `false` is never ordered (no API can switch
    /// it off): a PBX with auto-renewal on is reported for a manual change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// Whether entitle renews the PBXs (default `true`); `false` never renews them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub renew: Option<bool>,
    /// Labels of the PBXs, merged under each PBX's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// One PBX under one product, and what it should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(extend("allOf" = [
    {"not": {"type": "object", "required": ["product", "productId"]}},
    {"not": {"type": "object", "required": ["plan", "planId"]}},
]))]
pub struct PbxEntry {
    /// Serial number of the PBX: letters and digits. Quote it when YAML would read it as a
    /// number other than its digits (`"0123"`, `"3631E0997265"`).
    pub sn: Sn,
    /// Product: `linkus` (9), `appliance` (11), `software-edition` (12) or `cloud-pbx` (13).
    /// Required here or in `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductAlias>,
    /// Product by vendor product ID, instead of `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999_999))]
    pub product_id: Option<u32>,
    /// Plan by name, as the product's catalog spells it (matched case-insensitively), e.g.
    /// `Enterprise Plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub plan: Option<String>,
    /// Plan by its 19-digit catalog ID, instead of `plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<CatalogId>,
    /// Billing cycle: `monthly` or `annually`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// Years per annual term (the vendor's multiCycle), 1 to 5. Monthly billing has no
    /// multi-year term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5))]
    pub term: Option<u32>,
    /// TOTAL extensions wanted (100 today and 300 here buys 200 more). Cloud PBX: 5 to 500.
    /// Capacity never shrinks through an order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub extensions: Option<u32>,
    /// TOTAL concurrent calls wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub concurrent_calls: Option<u32>,
    /// Add-on services wanted, exactly: by name (`Hotel PMS Integration`, case-insensitive),
    /// `{name: ...}` or `{id: ...}`. Left out: services are not managed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ServiceRef>>,
    /// Desired state of the vendor's auto-renewal. `false` is never ordered (no API can switch
    /// it off): a PBX with auto-renewal on is reported for a manual change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// Whether entitle renews this PBX (default `true`); `false` never renews it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("default" = true))]
    pub renew: Option<bool>,
    /// Renew when the term ends within this window: days (`30d`) or weeks (`4w`), at most a
    /// year. Default `30d`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<RenewBefore>,
    /// Billing contact of this PBX's orders: its e-mail address or its numeric ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_contact: Option<BillingContact>,
    /// Free-form labels, used by `--selector key=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// The format version; only `1` exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormatVersion;

impl Serialize for FormatVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(1)
    }
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u64::deserialize(d)? {
            1 => Ok(FormatVersion),
            v => Err(de::Error::custom(format!(
                "unsupported manifest version {v}"
            ))),
        }
    }
}

impl JsonSchema for FormatVersion {
    fn schema_name() -> Cow<'static, str> {
        "FormatVersion".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"const": 1})
    }
}

/// The manifest spelling of the four products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProductAlias {
    Linkus,
    Appliance,
    SoftwareEdition,
    CloudPbx,
}

impl ProductAlias {
    pub fn id(self) -> ProductId {
        match self {
            ProductAlias::Linkus => ProductId::LINKUS,
            ProductAlias::Appliance => ProductId::APPLIANCE,
            ProductAlias::SoftwareEdition => ProductId::SOFTWARE_EDITION,
            ProductAlias::CloudPbx => ProductId::CLOUD_PBX,
        }
    }
}

/// A billing cycle as manifests spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillingCycle {
    Monthly,
    Annually,
}

impl From<BillingCycle> for Cycle {
    fn from(c: BillingCycle) -> Cycle {
        match c {
            BillingCycle::Monthly => Cycle::Monthly,
            BillingCycle::Annually => Cycle::Annually,
        }
    }
}

impl From<Cycle> for BillingCycle {
    fn from(c: Cycle) -> BillingCycle {
        match c {
            Cycle::Monthly => BillingCycle::Monthly,
            Cycle::Annually => BillingCycle::Annually,
        }
    }
}

/// A serial number. Text as written; an unquoted all-digit SN arrives as a number and is kept
/// as its digits (the loader refuses the numbers YAML would have changed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Sn(pub String);

impl<'de> Deserialize<'de> for Sn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Sn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a serial number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Sn, E> {
                Ok(Sn(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Sn, E> {
                Ok(Sn(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Sn, E> {
                Ok(Sn(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Sn, E> {
                Ok(Sn(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Sn {
    fn schema_name() -> Cow<'static, str> {
        "SerialNumber".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A PBX serial number: letters and digits, e.g. `3651D3296882`. An all-digit SN may be written unquoted unless YAML would read it as another number (a leading zero as in `0123`, an exponent as in `3631E0997265`, more than 19 digits): quote those.",
            "anyOf": [
                {"type": "string", "pattern": SN_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": ID_MAX}
            ]
        })
    }
}

/// A catalog identifier (plan, service), exact: a number or a string of digits, never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CatalogId(pub Id);

impl Serialize for CatalogId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for CatalogId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Id::deserialize(d).map(CatalogId)
    }
}

fn id_schema(description: &str) -> Schema {
    json_schema!({
        "description": description,
        "anyOf": [
            {"type": "integer", "minimum": 1, "maximum": ID_MAX},
            {"type": "string", "pattern": ID_PATTERN}
        ]
    })
}

impl JsonSchema for CatalogId {
    fn schema_name() -> Cow<'static, str> {
        "CatalogId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        id_schema("A catalog ID (up to 19 digits), e.g. `3049040650094403584`.")
    }
}

/// An add-on service: by name or by ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ServiceRef {
    Name(#[schemars(length(min = 1, max = 200))] String),
    Object(ServiceObject),
}

/// A service as `{name: ...}` or `{id: ...}` (exactly one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("minProperties" = 1, "maxProperties" = 1))]
pub struct ServiceObject {
    /// Service name as the catalog spells it (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Service catalog ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CatalogId>,
}

/// A billing contact: e-mail address or numeric ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingContact {
    Email(String),
    Id(Id),
}

impl Serialize for BillingContact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            BillingContact::Email(e) => s.serialize_str(e),
            BillingContact::Id(id) => id.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for BillingContact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = BillingContact;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an e-mail address or a numeric billing contact ID")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(BillingContact::Id(Id(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v.contains('@') {
                    Ok(BillingContact::Email(v.to_owned()))
                } else {
                    v.parse::<Id>().map(BillingContact::Id).map_err(|_| {
                        E::custom(format!(
                            "billing contact `{v}` is neither an e-mail address nor a numeric ID"
                        ))
                    })
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for BillingContact {
    fn schema_name() -> Cow<'static, str> {
        "BillingContact".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A billing contact of the account: its e-mail address (`billing@example.com`) or its numeric ID (`3197218168379846218`).",
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": ID_MAX},
                {"type": "string", "pattern": CONTACT_PATTERN}
            ]
        })
    }
}

/// A unit of a renewal window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Days,
    Weeks,
}

/// A renewal window such as `30d` or `4w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewBefore {
    pub count: u32,
    pub unit: DurationUnit,
}

impl RenewBefore {
    pub fn days(self) -> u32 {
        match self.unit {
            DurationUnit::Days => self.count,
            DurationUnit::Weeks => self.count.saturating_mul(7),
        }
    }

    /// Parses `30d` / `4w`.
    pub fn parse(s: &str) -> Option<RenewBefore> {
        let unit = match s.as_bytes().last()? {
            b'd' => DurationUnit::Days,
            b'w' => DurationUnit::Weeks,
            _ => return None,
        };
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(RenewBefore {
            count: digits.parse().ok()?,
            unit,
        })
    }
}

impl fmt::Display for RenewBefore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let u = match self.unit {
            DurationUnit::Days => 'd',
            DurationUnit::Weeks => 'w',
        };
        write!(f, "{}{u}", self.count)
    }
}

impl Serialize for RenewBefore {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RenewBefore {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RenewBefore::parse(&s).ok_or_else(|| {
            de::Error::custom(format!("`{s}` is not a duration such as `30d` or `4w`"))
        })
    }
}

impl JsonSchema for RenewBefore {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number of days (`30d`) or weeks (`4w`).",
            "type": "string",
            "pattern": DURATION_PATTERN,
            "examples": ["30d", "4w"]
        })
    }
}

/// Free-form `key: value` labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, String>);

impl JsonSchema for Labels {
    fn schema_name() -> Cow<'static, str> {
        "Labels".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Free-form labels (`customer: acme`), matched by `--selector key=value`. Keys: letters, digits, `.`, `_`, `-`; values: text.",
            "type": "object",
            "propertyNames": {"pattern": LABEL_KEY_PATTERN},
            "additionalProperties": {"type": "string", "maxLength": 256, "pattern": LABEL_VALUE_PATTERN}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_days_and_weeks() {
        assert_eq!(RenewBefore::parse("30d").unwrap().days(), 30);
        assert_eq!(RenewBefore::parse("4w").unwrap().days(), 28);
        assert_eq!(RenewBefore::parse("0d").unwrap().days(), 0);
        for bad in ["30", "d", "3m", "-1d", "30 d", "12345d", "1.5w", ""] {
            assert!(RenewBefore::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(RenewBefore::parse("4w").unwrap().to_string(), "4w");
    }

    #[test]
    fn billing_contacts_are_emails_or_exact_ids() {
        let c: BillingContact = serde_json::from_str("3197218168379846218").unwrap();
        assert_eq!(c, BillingContact::Id(Id(3197218168379846218)));
        let c: BillingContact = serde_json::from_str("\"3197218168379846218\"").unwrap();
        assert_eq!(c, BillingContact::Id(Id(3197218168379846218)));
        let c: BillingContact = serde_json::from_str("\"billing@example.com\"").unwrap();
        assert_eq!(c, BillingContact::Email("billing@example.com".into()));
        assert!(serde_json::from_str::<BillingContact>("\"bob\"").is_err());
        assert!(serde_json::from_str::<BillingContact>("3.1e18").is_err());
    }

    #[test]
    fn product_aliases_map_to_vendor_ids() {
        for (alias, id) in ProductId::ALIASES {
            let a: ProductAlias = serde_json::from_value(serde_json::json!(alias)).unwrap();
            assert_eq!(a.id(), id);
        }
    }
}
