//! The client as the source of observed state ([`crate::observe::Source`]) and as the vendor
//! apply places orders with ([`crate::apply::Vendor`]).

use super::{ApiError, Client, SaveOutcome};
use crate::apply::{SendOutcome, Vendor};
use crate::model::{Catalog, Contact, Id, ObservedPbx, Order, ProductId};
use crate::observe::Source;
use crate::wire::OrderBody;

impl Source for Client {
    type Error = ApiError;

    fn is_not_found(err: &ApiError) -> bool {
        err.is_not_found()
    }
    fn is_unreadable(err: &ApiError) -> bool {
        err.is_unreadable_answer()
    }
    async fn instance(&self, product: ProductId, sn: &str) -> Result<ObservedPbx, ApiError> {
        Client::instance(self, product, sn).await
    }
    async fn auto_renew(&self, product: ProductId, sn: &str) -> Result<bool, ApiError> {
        Client::auto_renew(self, product, sn).await
    }
    async fn catalog(&self, product: ProductId, sn: Option<&str>) -> Result<Catalog, ApiError> {
        Client::catalog(self, product, sn).await
    }
    async fn billing_contacts(&self) -> Result<Vec<Contact>, ApiError> {
        Client::billing_contacts(self).await
    }
    async fn recent_orders(&self, since_ms: i64) -> Result<Vec<Order>, ApiError> {
        Client::recent_orders(self, since_ms).await
    }
    async fn sns(&self, product: ProductId) -> Result<Vec<String>, ApiError> {
        let listed = Client::instances(self, product).await?;
        Ok(listed.into_iter().map(|i| i.product_no).collect())
    }
}

impl Vendor for Client {
    async fn save_order(&self, body: &OrderBody) -> SendOutcome<ApiError> {
        match Client::save_order(self, body).await {
            SaveOutcome::Placed {
                order_no, status, ..
            } => SendOutcome::Placed { order_no, status },
            SaveOutcome::NotSent(e) => SendOutcome::NotSent(e),
            SaveOutcome::Refused(e) => SendOutcome::Refused(e),
            SaveOutcome::Unknown(e) => SendOutcome::Unknown(e),
        }
    }
    async fn order(&self, id_or_no: &str) -> Result<Order, ApiError> {
        Client::order(self, id_or_no).await
    }
    async fn enable_auto_renew(
        &self,
        product: ProductId,
        sn: &str,
        plan_or_service: Id,
    ) -> Result<(), ApiError> {
        Client::enable_auto_renew(self, product, sn, plan_or_service).await
    }
}
