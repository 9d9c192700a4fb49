//! The manifest format, version 1, as Rust types. serde reads (and `entitle export` writes)
//! them; schemars publishes them as `schema/manifest.schema.json`, the doc comments becoming
//! the descriptions editors show. Every constraint a JSON Schema can express is declared here,
//! once — the patterns, and the rules across fields as `if`/`then` (every PBX names a product,
//! monthly billing has no multi-year term, a Cloud PBX has 5 to 500 extensions, also when
//! `defaults` gives the product or the cycle) — so the editor and the loader, which enforces
//! the same schema, agree. What no schema can express (how a value was written, duplicates
//! compared ignoring case or across entries and files) lives in `resolve.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

use crate::model::{Cycle, Id, ProductId};
use crate::wire::span::Span;

/// Pattern of a serial number written as text.
pub const SN_PATTERN: &str = "^[A-Za-z0-9]{1,64}$";
/// Pattern of an identifier written as text: a positive number of at most 19 digits (every
/// such number fits u64).
pub const ID_PATTERN: &str = "^[1-9][0-9]{0,18}$";
/// Largest identifier written as a number (19 digits).
pub const ID_MAX: u64 = 9_999_999_999_999_999_999;
/// A billing contact's e-mail address: something, `@`, a domain with a dot; no spaces.
pub const EMAIL_PATTERN: &str = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";
/// A renewal window: up to 4 digits of days or weeks, at most a year (365 days, 52 weeks).
/// [`RenewBefore::parse`] reads the same form; a test checks they agree on every such text.
pub const DURATION_PATTERN: &str = "^((0{0,3}[0-9]|0{0,2}[1-9][0-9]|0?[12][0-9]{2}|0?3[0-5][0-9]|0?36[0-5])d|(0{0,3}[0-9]|0{0,2}[1-4][0-9]|0{0,2}5[0-2])w)$";
/// Longest renewal window, in days: renewing more than a year ahead is never what is meant.
pub const MAX_RENEW_BEFORE_DAYS: u32 = 365;
/// A label key: letters, digits, `.`, `_`, `-`, starting with a letter or digit.
pub const LABEL_KEY_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$";
/// A label value: any text without control characters.
pub const LABEL_VALUE_PATTERN: &str = "^[^\\x00-\\x1F\\x7F]*$";
/// How keys the manifest leaves to its authors start (at the top, in `defaults`, in a PBX
/// entry): YAML anchors to merge with `<<`, notes. The loader ignores them.
pub const FREE_KEY_PREFIX: &str = "x-";
/// Whether a key is one of the free `x-` keys.
pub fn is_free_key(key: &str) -> bool {
    key.starts_with(FREE_KEY_PREFIX)
}
/// Whether the mapping at `pointer` takes free `x-` keys: the top level, `defaults` and each
/// PBX entry.
pub fn takes_free_keys(pointer: &str) -> bool {
    pointer.is_empty()
        || pointer == "/defaults"
        || (pointer.starts_with("/pbxs/") && pointer.matches('/').count() == 2)
}

/// Longest term under monthly billing: a month has no multi-year term.
pub const MAX_MONTHLY_TERM: u32 = 1;
/// The capacity services, bought through a PBX entry's totals rather than listed, with the
/// field that buys each.
pub const CAPACITY_SERVICES: [(&str, &str); 2] = [
    ("Extension Expansion", "extensions"),
    ("Concurrent Call Expansion", "concurrentCalls"),
];

/// The field a capacity service is bought through, for a service name written in any letter
/// case with spaces around it; `None` for other services.
pub fn capacity_field(service_name: &str) -> Option<&'static str> {
    let name = service_name.trim();
    CAPACITY_SERVICES
        .iter()
        .find(|(service, _)| service.eq_ignore_ascii_case(name))
        .map(|(_, field)| *field)
}

/// A name as a pattern that ignores ASCII letter case (JSON Schema patterns have no
/// case-insensitive flag: `[Ee][Xx]...`).
fn any_case(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Any text but the capacity service `name` (in any letter case, with whitespace around it).
/// A negative lookahead rather than `not: {pattern: ...}`: an editor words a failed `not` only
/// as "Matches a schema that is not allowed", while a pattern's failure can carry the schema's
/// own message (`patternErrorMessage`).
pub fn not_capacity_pattern(name: &str) -> String {
    format!("^(?!\\s*{}\\s*$)", any_case(name))
}

/// An entitle manifest (format version 1): the subscriptions each PBX should have, keyed by
/// serial number. A field left out means "don't care": nothing is ordered for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "entitle manifest (v1)", transform = manifest_rules)]
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
#[schemars(title = "defaults for this file's PBXs", transform = defaults_rules)]
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
    #[schemars(range(min = 1, max = 999_999), extend("examples" = [12]))]
    pub product_id: Option<u32>,
    /// Billing cycle: `monthly` or `annually`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<BillingCycle>,
    /// Years per annual term (the vendor's multiCycle), 1 to 5. Monthly billing has no
    /// multi-year term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 5), extend("examples" = [1]))]
    pub term: Option<u32>,
    /// Desired state of the vendor's auto-renewal. `false` is never ordered (no API can switch
    /// it off): a PBX with auto-renewal on is reported for a manual change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// Whether entitle renews the PBXs (default `true`); `false` never renews them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew: Option<bool>,
    /// Labels of the PBXs, merged under each PBX's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Labels>,
}

/// One PBX under one product, and what it should have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "PBX entry", transform = pbx_entry_rules)]
pub struct PbxEntry {
    /// Serial number of the PBX: letters and digits. Quote it when YAML would read it as a
    /// number other than its digits (`"0123"`, `"3631E0997265"`).
    pub sn: Sn,
    /// Product: `linkus` (9), `appliance` (11), `software-edition` (12) or `cloud-pbx` (13).
    /// Required here or in `defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductAlias>,
    /// Product by vendor product ID (9, 11, 12, 13), instead of `product`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 999_999), extend("examples" = [12]))]
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
    #[schemars(range(min = 1, max = 5), extend("examples" = [1]))]
    pub term: Option<u32>,
    /// **Total** extensions wanted (100 today and 300 here buys 200 more). A Cloud PBX has 5
    /// to 500. Capacity never shrinks through an order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000), extend("examples" = [100]))]
    pub extensions: Option<u32>,
    /// **Total** concurrent calls wanted (10 today and 30 here buys 20 more).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1_000_000), extend("examples" = [30]))]
    pub concurrent_calls: Option<u32>,
    /// Add-on services wanted, exactly: by name (`Hotel PMS Integration`, case-insensitive),
    /// `{name: ...}` or `{id: ...}`, each once. Left out: services are not managed. Capacity
    /// (Extension Expansion, Concurrent Call Expansion) is bought through `extensions` and
    /// `concurrentCalls`, not listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("uniqueItems" = true))]
    pub services: Option<Vec<ServiceRef>>,
    /// Desired state of the vendor's auto-renewal. `false` is never ordered (no API can switch
    /// it off): a PBX with auto-renewal on is reported for a manual change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
    /// Whether entitle renews this PBX (default `true`); `false` never renews it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

// The rules' subschemas carry the field's example too: editors complete a field from the first
// subschema that applies, which is the rule's when it applies.
//
// `errorMessage` and `patternErrorMessage` are the messages editors show (yaml-language-server
// and VS Code's JSON language service; other tools ignore them), worded as `entitle validate`
// words the same problems. An editor takes them only from a subschema whose `type`, `enum`,
// `const`, `pattern`, `required` or `properties: {x: false}` fails, never for a failed
// `minimum`, `maximum` or `not`: so a rule on a number is written as "if the number is past
// the limit, then it must be the limit" (`const`), whose failure carries the message. The
// loader's own messages come from `schema.rs`, which recognises these rules.

/// `extensions` of a Cloud PBX: 5 to 500.
fn cloud_pbx_extensions() -> Value {
    let (lo, hi) = (
        *ProductId::CLOUD_PBX_EXTENSIONS.start(),
        *ProductId::CLOUD_PBX_EXTENSIONS.end(),
    );
    json!({
        "type": "integer",
        "examples": [100],
        "allOf": [
            {
                "if": {"type": "integer", "exclusiveMaximum": lo},
                "then": {
                    "const": lo,
                    "errorMessage": format!("too few extensions for a Cloud PBX: it has {lo} to {hi}"),
                },
            },
            {
                "if": {"type": "integer", "exclusiveMinimum": hi},
                "then": {
                    "const": hi,
                    "errorMessage": format!("too many extensions for a Cloud PBX: it has {lo} to {hi}"),
                },
            },
        ],
    })
}

/// What monthly billing's `term` rule says where the cycle and the term are written in the
/// same mapping.
pub const MONTHLY_TERM: &str =
    "monthly billing has no multi-year term: remove `term`, or set `billingCycle: annually`";

/// `term` under monthly billing: at most [`MAX_MONTHLY_TERM`], `message` saying why.
fn monthly_term(message: &str) -> Value {
    json!({
        "type": "integer",
        "examples": [1],
        "if": {"type": "integer", "exclusiveMinimum": MAX_MONTHLY_TERM},
        "then": {"const": MAX_MONTHLY_TERM, "errorMessage": message},
    })
}

/// A mapping that names the Cloud PBX, by alias or by product ID.
fn names_cloud_pbx() -> Value {
    json!({
        "type": "object",
        "anyOf": [
            {"properties": {"product": {"const": "cloud-pbx"}}, "required": ["product"]},
            {"properties": {"productId": {"const": ProductId::CLOUD_PBX.0}}, "required": ["productId"]},
        ],
    })
}

/// A mapping billed monthly by its own `billingCycle`.
fn billed_monthly() -> Value {
    json!({
        "type": "object",
        "properties": {"billingCycle": {"const": "monthly"}},
        "required": ["billingCycle"],
    })
}

/// What every mapping with free `x-` keys declares: the keys, and the rules of `extra`.
fn free_keys_and(schema: &mut Schema, rules: Value) {
    let free = json!({
        "description": "Yours: entitle ignores keys starting with `x-`. Keep YAML anchors here (`x-common: &common {...}`, then `<<: *common` in a PBX entry), or notes.",
    });
    schema.insert(
        "patternProperties".into(),
        Value::Object(
            [(format!("^{FREE_KEY_PREFIX}"), free)]
                .into_iter()
                .collect(),
        ),
    );
    schema.insert("allOf".into(), rules);
}

/// `second` where `first` is given: two ways to say the same thing.
fn one_of_two(first: &str, second: &str) -> Value {
    json!({
        "properties": {second: false},
        "errorMessage": format!("`{first}` and `{second}` are two ways to say the same thing; give only one"),
    })
}

/// A PBX entry's rules across its fields; the ones that need `defaults` are the manifest's.
fn pbx_entry_rules(schema: &mut Schema) {
    // `properties: {x: false}` rather than `not: {required: [..]}`: editors then point at the
    // second key ("Property productId is not allowed") instead of the whole entry.
    schema.insert(
        "dependencies".into(),
        json!({
            "product": one_of_two("product", "productId"),
            "plan": one_of_two("plan", "planId"),
        }),
    );
    free_keys_and(
        schema,
        json!([
            {"if": billed_monthly(), "then": {"properties": {"term": monthly_term(MONTHLY_TERM)}}},
            {"if": names_cloud_pbx(), "then": {"properties": {"extensions": cloud_pbx_extensions()}}},
        ]),
    );
    schema.insert(
        "defaultSnippets".into(),
        json!([{
            "label": "PBX entry",
            "markdownDescription": "A PBX under one product: its plan, billing and capacity.",
            "body": {
                "sn": "${1:3651D3296882}",
                "product": "${2|software-edition,appliance,cloud-pbx,linkus|}",
                "plan": "${3:Enterprise Plan}",
                "billingCycle": "${4|annually,monthly|}",
                "term": 1,
                "extensions": 100,
            },
        }]),
    );
}

fn defaults_rules(schema: &mut Schema) {
    schema.insert(
        "dependencies".into(),
        json!({"product": one_of_two("product", "productId")}),
    );
    free_keys_and(
        schema,
        json!([{"if": billed_monthly(), "then": {"properties": {"term": monthly_term(MONTHLY_TERM)}}}]),
    );
}

/// What an editor says of a PBX entry that names no product, here or in `defaults`.
/// What to write when a PBX names no product, in the loader's and the editor's words alike.
pub const ADD_PRODUCT: &str = "add `product: linkus | appliance | software-edition | cloud-pbx` (or `productId: N`), here or in `defaults`";

/// The rules between `defaults` and the PBX entries that inherit from them.
fn manifest_rules(schema: &mut Schema) {
    // A mapping without its own product (alias or ID) or cycle: an entry takes the one of
    // `defaults`.
    let inherits = |fields: &[&str]| -> Value {
        let absent: serde_json::Map<String, Value> = fields
            .iter()
            .map(|f| ((*f).to_owned(), Value::Bool(false)))
            .collect();
        json!({"type": "object", "properties": absent})
    };
    let each_entry = |condition: Value, field: &str, rule: Value| -> Value {
        json!({"properties": {"pbxs": {"type": "array", "items": {
            "if": condition,
            "then": {"type": "object", "properties": {field: rule}},
        }}}})
    };
    let no_product = format!("this PBX names no product: {ADD_PRODUCT}");
    free_keys_and(
        schema,
        json!([
            {
                // The cycle from `defaults`, the term the entry's own.
                "if": {"properties": {"defaults": billed_monthly()}, "required": ["defaults"]},
                "then": each_entry(
                    inherits(&["billingCycle"]),
                    "term",
                    monthly_term("`defaults` sets monthly billing, which has no multi-year term: remove `term`, or set `billingCycle: annually` on this PBX"),
                ),
            },
            {
                // The cycle the entry's own, the term from `defaults`.
                "if": {
                    "properties": {"pbxs": {"type": "array", "contains": {
                        "type": "object",
                        "properties": {"billingCycle": {"const": "monthly"}, "term": false},
                        "required": ["billingCycle"],
                    }}},
                    "required": ["pbxs"],
                },
                "then": {"properties": {"defaults": {
                    "type": "object",
                    "properties": {"term": monthly_term("a PBX billed monthly takes this term, and monthly billing has no multi-year term: remove `term`, or give that PBX its own `term: 1`")},
                }}},
            },
            {
                // Every entry names its product, unless `defaults` does (or says something
                // about it that is wrong in itself: that is its own problem).
                "if": {"anyOf": [
                    {"properties": {"defaults": false}},
                    {"properties": {"defaults": inherits(&["product", "productId"])}},
                ]},
                "then": {"properties": {"pbxs": {"type": "array", "items": {
                    "if": {"type": "object"},
                    "then": {"type": "object", "anyOf": [
                        {"properties": {"product": true}, "required": ["product"], "errorMessage": no_product},
                        {"properties": {"productId": true}, "required": ["productId"], "errorMessage": no_product},
                    ]},
                }}}},
            },
            {
                // The product from `defaults`.
                "if": {"properties": {"defaults": names_cloud_pbx()}, "required": ["defaults"]},
                "then": each_entry(
                    inherits(&["product", "productId"]),
                    "extensions",
                    cloud_pbx_extensions(),
                ),
            },
        ]),
    );
    schema.insert(
        "defaultSnippets".into(),
        json!([{
            "label": "entitle manifest",
            "markdownDescription": "A manifest with `defaults` and one PBX entry.",
            "body": {
                "version": 1,
                "defaults": {
                    "billingContact": "${1:billing@example.com}",
                    "renewBefore": "${2:30d}",
                },
                "pbxs": [{
                    "sn": "${3:3651D3296882}",
                    "product": "${4|software-edition,appliance,cloud-pbx,linkus|}",
                    "plan": "${5:Enterprise Plan}",
                    "billingCycle": "${6|annually,monthly|}",
                    "term": 1,
                }],
            },
        }]),
    );
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
    /// Linkus Cloud Service (product 9): a plan per SN, no capacity.
    Linkus,
    /// P-Series Appliance Edition (product 11).
    Appliance,
    /// P-Series Software Edition (product 12).
    SoftwareEdition,
    /// P-Series Cloud Edition (product 13): 5 to 500 extensions.
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
    /// Billed every month; no multi-year `term`.
    Monthly,
    /// Billed every year; `term` sets the years per order (1 to 5).
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
                {
                    "title": "serial number",
                    "type": "string",
                    "pattern": SN_PATTERN,
                    "patternErrorMessage": "an SN is letters and digits only (at most 64): write the serial number as the PBX shows it, e.g. `3651D3296882`",
                },
                {"title": "all-digit serial number", "type": "integer", "minimum": 0, "maximum": ID_MAX}
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
            {
                "title": "catalog ID, quoted",
                "type": "string",
                "pattern": ID_PATTERN,
                "patternErrorMessage": "not an ID: an ID is 1 to 19 digits, not starting with 0, e.g. `3049040650094403584`",
            },
            {"title": "catalog ID", "type": "integer", "minimum": 1, "maximum": ID_MAX}
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
    #[schemars(title = "service name")]
    Name(#[schemars(length(min = 1, max = 200), transform = not_capacity)] String),
    Object(ServiceObject),
}

/// A service name is not one of the capacity services, which are bought through a total: a
/// pattern per service, so that an editor's message names the field that buys it.
fn not_capacity(schema: &mut Schema) {
    let rules: Vec<Value> = CAPACITY_SERVICES
        .iter()
        .map(|(service, field)| {
            json!({
                "type": "string",
                "pattern": not_capacity_pattern(service),
                "patternErrorMessage": format!("`{service}` is capacity, not a service to list: set `{field}:` to the TOTAL wanted; entitle buys the difference"),
            })
        })
        .collect();
    schema.insert("allOf".into(), rules.into());
}

/// A service as `{name: ...}` or `{id: ...}` (exactly one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "service by name or ID",
    extend("minProperties" = 1),
    transform = name_or_id
)]
pub struct ServiceObject {
    /// Service name as the catalog spells it (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200), transform = not_capacity)]
    pub name: Option<String>,
    /// Service catalog ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CatalogId>,
}

/// Not both `name` and `id`: a dependency rather than `maxProperties: 1`, which an editor
/// words as "Object has more properties than limit of 1" (also beside an unknown key).
fn name_or_id(schema: &mut Schema) {
    schema.insert(
        "dependencies".into(),
        json!({"name": {
            "properties": {"id": false},
            "errorMessage": "this service gives both `name` and `id`; give only one: write it as its name, `{name: ...}` or `{id: ...}`",
        }}),
    );
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
        // The e-mail first: editors report the first alternative of a value that fits none,
        // and "not an e-mail address" is what `billingContact: bob` most likely is. Both text
        // forms say what the loader says: it is neither.
        const CONTACT: &str = "the billing contact is neither an e-mail address nor a numeric ID: write its e-mail (`billing@example.com`) or its ID (`3197218168379846218`)";
        json_schema!({
            "description": "A billing contact of the account: its e-mail address (`billing@example.com`) or its numeric ID (`3197218168379846218`).",
            "anyOf": [
                {
                    "title": "billing contact's e-mail address",
                    "type": "string",
                    "pattern": EMAIL_PATTERN,
                    "patternErrorMessage": CONTACT,
                },
                {
                    "title": "billing contact ID, quoted",
                    "type": "string",
                    "pattern": ID_PATTERN,
                    "patternErrorMessage": CONTACT,
                },
                {"title": "billing contact ID", "type": "integer", "minimum": 1, "maximum": ID_MAX}
            ]
        })
    }
}

/// A renewal window such as `30d` or `4w`: a [`Span`] in days or weeks, of at most 4 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewBefore(Span);

impl RenewBefore {
    pub fn days(self) -> u32 {
        self.0.days().unwrap_or(u32::MAX)
    }

    /// Parses `30d` / `4w`.
    pub fn parse(s: &str) -> Option<RenewBefore> {
        let span: Span = s.parse().ok()?;
        (span.days().is_some() && s.len() <= 5).then_some(RenewBefore(span))
    }
}

impl fmt::Display for RenewBefore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
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
            "description": "A number of days (`30d`) or weeks (`4w`), at most a year (`365d`, `52w`).",
            "type": "string",
            "pattern": DURATION_PATTERN,
            // Also for a value that is not text (`renewBefore: 30`).
            "errorMessage": "`renewBefore` must be days or weeks with a unit, such as `30d` or `4w`, at most a year (`365d` or `52w`)",
            "examples": ["30d", "4w"]
        })
    }
}

/// Free-form `key: value` labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, String>);

/// What a label key may hold, in the loader's and the editor's words alike.
pub const LABEL_KEY_RULE: &str =
    "may hold only letters, digits, `.`, `_` and `-` (at most 63, starting with a letter or digit)";

impl JsonSchema for Labels {
    fn schema_name() -> Cow<'static, str> {
        "Labels".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "title": "labels",
            "description": "Free-form labels (`customer: acme`), matched by `--selector key=value`. Keys: letters, digits, `.`, `_`, `-`; values: text.",
            "type": "object",
            "propertyNames": {
                "pattern": LABEL_KEY_PATTERN,
                "patternErrorMessage": format!("a label key {LABEL_KEY_RULE}"),
            },
            "additionalProperties": {
                "type": "string",
                "maxLength": 256,
                "pattern": LABEL_VALUE_PATTERN,
                "patternErrorMessage": "a label value may not hold control characters (tabs, line breaks)",
            }
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
    fn the_duration_pattern_accepts_what_parses_up_to_a_year() {
        let pattern = regex::Regex::new(DURATION_PATTERN).unwrap();
        let mut texts = vec![
            String::new(),
            "d".into(),
            "1".into(),
            "1y".into(),
            "-1d".into(),
        ];
        for digits in 1..=5 {
            for n in 0..10u32.pow(digits as u32).min(20_000) {
                for unit in ['d', 'w'] {
                    texts.push(format!("{n:0digits$}{unit}"));
                }
            }
        }
        for t in texts {
            let fits = RenewBefore::parse(&t).is_some_and(|r| r.days() <= MAX_RENEW_BEFORE_DAYS);
            assert_eq!(pattern.is_match(&t), fits, "{t}");
        }
        assert!(pattern.is_match("365d") && pattern.is_match("52w"));
        assert!(!pattern.is_match("366d") && !pattern.is_match("53w"));
    }

    #[test]
    fn capacity_services_are_found_in_any_letter_case() {
        // The schema's patterns, run by `jsonschema` as editors' validators run them (the
        // `regex` crate has no lookahead; the loader's predicates are checked against the same
        // engine in `check.rs`): each refuses its service, and only it.
        let refuses = |service: &str, name: &str| {
            let schema = json!({"pattern": not_capacity_pattern(service)});
            !jsonschema::validator_for(&schema)
                .unwrap()
                .is_valid(&json!(name))
        };
        for (name, field) in [
            (" extension expansion", Some("extensions")),
            ("Concurrent Call Expansion\t", Some("concurrentCalls")),
            ("EXTENSION EXPANSION", Some("extensions")),
            ("High Availability", None),
            ("Extension  Expansion", None),
            ("Extension Expansions", None),
            ("My Extension Expansion", None),
        ] {
            assert_eq!(capacity_field(name), field, "{name}");
            for (service, buys) in CAPACITY_SERVICES {
                assert_eq!(
                    refuses(service, name),
                    field == Some(buys),
                    "{service}: {name}"
                );
            }
        }
    }

    #[test]
    fn product_aliases_map_to_vendor_ids() {
        for (alias, id) in ProductId::ALIASES {
            let a: ProductAlias = serde_json::from_value(serde_json::json!(alias)).unwrap();
            assert_eq!(a.id(), id);
        }
    }
}
