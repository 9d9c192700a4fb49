//! The contract's paths, in one place for the client and the simulator.

pub const TOKEN: &str = "/auth/openapi/v1/oauth/token";
pub const PRODUCT_LIST: &str = "/pricing/openapi/purchase/v1/product_list";
pub const INSTANCE_LIST: &str = "/product/openapi/instance_product/v1/client/instance_product_list";
pub const INSTANCE_DETAIL: &str = "/product/openapi/instance_product/v1/detail";
pub const CATALOG: &str = "/pricing/openapi/purchase/v1/purchase_product_info";
pub const BILLING_CONTACTS: &str = "/user/openapi/user/v1/client/billing_contact_list";
pub const ORDER_PAGE: &str = "/order/openapi/order/v1/page";
/// Followed by `/{idOrOrderNo}`.
pub const ORDER_GET: &str = "/order/openapi/order/v1/get";
pub const AUTO_RENEW_STATUS: &str = "/order/openapi/order/v1/check/existed_auto_renew";
pub const PRICE: &str = "/pricing/openapi/purchase/v1/pricing/calculate";
pub const ORDER_SAVE: &str = "/order/openapi/order/v1/save";
pub const ENABLE_AUTO_RENEW: &str = "/product/openapi/instance_subscription/v1/active";

/// Largest `pageSize` the API accepts.
pub const MAX_PAGE_SIZE: u32 = 100;
