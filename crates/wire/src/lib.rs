//! Serde types of the vendor's Partner Portal API, exactly as they travel on the wire.
//!
//! Shared by the client (`api`) and the simulator (`sandbox`) so both speak one contract
//! (`docs/vendor-api.md`), but no behaviour lives here: the client maps these types to the
//! domain model in `api::mapping`, and the sandbox applies its own rules to them. Readers are
//! tolerant (unknown fields ignored, optional fields defaulted, IDs as numbers or numeric
//! strings); writers emit the shapes the seeds show.

pub mod atomic;
pub mod clock;
pub mod date;
mod id;
pub mod paths;
pub mod span;

pub use id::{Id, id_as_string};

use serde::{Deserialize, Serialize};

/// Every response body: `{"code", "detailMessage", "requestId", "result", "status"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub code: String,
    #[serde(default)]
    pub detail_message: String,
    #[serde(default)]
    pub request_id: String,
    #[serde(default = "Option::default")]
    pub result: Option<T>,
    #[serde(default)]
    pub status: u16,
}

/// The `code` of a successful envelope.
pub const CODE_SUCCESS: &str = "success";
/// Error codes of the contract's section 1.
pub mod codes {
    pub const PARAMETER_VALIDATION_FAILED: &str = "parameter_validation_failed";
    pub const BUSINESS_RULE_VIOLATION: &str = "business_rule_violation";
    pub const TOKEN_INVALID: &str = "token_invalid";
    pub const TOKEN_EXPIRED: &str = "token_expired";
    pub const INVALID_CLIENT: &str = "invalid_client";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const TOO_MANY_REQUESTS: &str = "too_many_requests";
    pub const INTERNAL_ERROR: &str = "internal_error";
}

/// Token and refresh response (`expiresIn` is a string on the wire; a number is tolerated).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    pub token: String,
    #[serde(default)]
    pub token_head: String,
    #[serde(deserialize_with = "id::lenient_u64_string")]
    pub expires_in: String,
    #[serde(default)]
    pub refresh_token: String,
}

/// L1 item.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    #[serde(deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    #[serde(default)]
    pub name: String,
}

/// A page of a paged endpoint (L2, L6).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub page_no: u64,
    #[serde(default)]
    pub page_size: u64,
    #[serde(default = "Vec::new")]
    pub results: Vec<T>,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub total_page: u64,
}

/// An empty page (no items, nothing counted), whatever `T` is.
impl<T> Default for Page<T> {
    fn default() -> Page<T> {
        Page {
            count: 0,
            page_no: 0,
            page_size: 0,
            results: Vec::new(),
            total: 0,
            total_page: 0,
        }
    }
}

/// L2 item: one PBX (SN) known to the account under a product.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    pub product_no: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub activation_code: String,
    #[serde(default)]
    pub activation_status: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub create_time: i64,
}

/// L3 result: the subscription state of one (SN, product).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceDetail {
    #[serde(default)]
    pub product_no: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub activation_code: String,
    #[serde(default)]
    pub activation_status: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub create_time: i64,
    /// `null` when the product has no active plan.
    /// Absent (`None`) is "not said"; null (`Some(None)`) is "no active plan".
    #[serde(
        default,
        deserialize_with = "id::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub plan_id: Option<Option<Id>>,
    #[serde(default)]
    pub plan_name: String,
    /// `monthly` / `annually`, empty without a plan.
    #[serde(default)]
    pub billing_cycle: String,
    #[serde(default)]
    pub multi_cycle: Option<u32>,
    /// `YYYY-MM-DD`, empty without a plan.
    #[serde(default)]
    pub expire_date: String,
    #[serde(default)]
    pub extension_count: Option<u32>,
    #[serde(default)]
    pub concurrent_call_count: Option<u32>,
    #[serde(default)]
    pub recording_minutes: Option<u32>,
    /// Non-empty only while a switch is pending: the plan still in force. [ASSUMED] the plan ID
    /// as a decimal string (a plan name is tolerated by the client).
    #[serde(default)]
    pub current_plan: String,
    #[serde(default)]
    pub current_plan_expire_date: String,
    /// Absent (`None`) is "not said"; an empty list is "no services".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_list: Option<Vec<SubscribedService>>,
}

/// One subscribed service inside [`InstanceDetail`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribedService {
    pub service_id: Id,
    #[serde(default)]
    pub service_name: String,
    #[serde(default)]
    pub quantity: u32,
    #[serde(default)]
    pub expire_date: String,
}

/// L4 result: what can be bought for a product (the vendor's "offering").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Offering {
    #[serde(default, deserialize_with = "id::lenient_u64_string")]
    pub offering_id: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    #[serde(default)]
    pub product_name: String,
    #[serde(default)]
    pub plan_list: Vec<CatalogPlan>,
    #[serde(default)]
    pub service_list: Vec<CatalogService>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogPlan {
    pub plan_id: Id,
    /// Not among the confirmed fields (vendor-api section 8): absent is "not said".
    #[serde(default)]
    pub plan_name: String,
    #[serde(default)]
    pub pricing_id: Option<Id>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tier: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billing_cycles: Vec<String>,
    #[serde(default)]
    pub purchase_type: String,
    /// `flat`, `per_unit`, `per_extension`: what the price is counted in (vendor-api section
    /// 3, assumed); absent is "not said".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub price_unit: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogService {
    pub service_id: Id,
    /// Not among the confirmed fields (vendor-api section 8): absent is "not said".
    #[serde(default)]
    pub service_name: String,
    #[serde(default)]
    pub pricing_id: Option<Id>,
    /// `feature`, `extensions`, `concurrent_calls`, `recording_minutes`, `per_extension`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Absent is "not said"; an empty list is "any plan".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_plan_ids: Option<Vec<Id>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub billing_cycles: Vec<String>,
    #[serde(default)]
    pub purchase_type: String,
    /// As on [`CatalogPlan::price_unit`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub price_unit: String,
}

/// L5 item. The ID arrives as a string here and is sent as a number in orders.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    #[serde(serialize_with = "id_as_string")]
    pub billing_contact_id: Id,
    #[serde(default)]
    pub email_address: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub phone_number: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub state_province: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub street: String,
    #[serde(default)]
    pub zip_code: String,
    #[serde(default)]
    pub tax_num: String,
    #[serde(default)]
    pub remark: String,
}

/// L6 item and the `orderInformation` of L7.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderInfo {
    #[serde(serialize_with = "id_as_string")]
    pub id: Id,
    #[serde(default)]
    pub order_no: String,
    #[serde(default)]
    pub order_status: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub create_time: i64,
    #[serde(default)]
    pub currency_code: String,
    #[serde(default)]
    pub custom_reference_no: String,
    #[serde(default)]
    pub invoice_no: String,
    #[serde(default, deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    #[serde(default)]
    pub product_no: String,
    #[serde(default)]
    pub operation_type: String,
    #[serde(default)]
    pub total_amount: String,
}

/// L7 result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    #[serde(default)]
    pub basic_information: serde_json::Value,
    pub order_information: OrderInfo,
}

/// L8 result.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoRenewStatus {
    pub auto_renew: bool,
}

/// L9 result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    #[serde(default)]
    pub currency_code: String,
    #[serde(default)]
    pub total_amount: String,
    #[serde(default)]
    pub items: Vec<QuoteItem>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuoteItem {
    #[serde(default)]
    pub service_id: Id,
    #[serde(default)]
    pub amount: String,
}

/// The body of `order/v1/save` and of the L9 price calculation. Optional fields are left out
/// when `None`, so the body is exactly what the seed tutorials send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBody {
    pub operation_type: String,
    pub product_id: u32,
    pub product_no: String,
    pub billing_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_number: Option<String>,
    pub service_list: Vec<OrderLine>,
}

/// One line of an order: a plan or a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_plan_id: Option<Id>,
    pub service_type: String,
    pub service_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
    pub purchase_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_cycle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_cycle: Option<u32>,
}

/// `order/v1/save` result.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    #[serde(default, deserialize_with = "id::lenient_u64_string")]
    pub instance_id: String,
    #[serde(default)]
    pub order_no: String,
    #[serde(default)]
    pub order_status: String,
    #[serde(default)]
    pub product_no: String,
    #[serde(default)]
    pub transaction_no: String,
}

/// Body of the enable-auto-renewal call (`productId` is a string here, per the vendor).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnableAutoRenew {
    pub product_no: String,
    #[serde(deserialize_with = "id::lenient_u64_string")]
    pub product_id: String,
    pub plan_or_service_id: Id,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The body of the vendor's calculator (L9) as documented (vendor-api section 8): lines priced
/// by `pricingId`, with no `serviceId` and no `billingId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceRequest {
    #[serde(deserialize_with = "id::lenient_number")]
    pub product_id: u32,
    pub product_no: String,
    pub operation_type: String,
    pub service_list: Vec<PriceLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_view: Option<bool>,
}

/// One line of a [`PriceRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceLine {
    pub service_type: String,
    pub pricing_id: Id,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub billing_cycle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u32>,
}
