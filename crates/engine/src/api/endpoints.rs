//! The typed endpoints L1–L9 and the two writes besides the order save, with pagination (the
//! order list's paging is `order_list`'s).

use std::collections::{BTreeMap, HashSet};

use tokio::task::JoinSet;

use super::client::{Client, Reply};
use super::error::{ApiError, MappingError};
use super::mapping;
use super::order_list::{
    self, ListOrder, ListPage, MAX_PAGES, OrderListRead, PAGE_SIZE, PageSource, check_pages,
    full_page,
};
use super::transport::Request;
use crate::model::{Catalog, Contact, Id, ObservedPbx, Order, ProductId, Quote};
use crate::wire::{self, paths};

fn mapped<T>(req: &Request, request_id: &str, r: Result<T, MappingError>) -> Result<T, ApiError> {
    r.map_err(|source| ApiError::Mapping {
        request: req.endpoint(),
        request_id: Some(request_id.to_owned()),
        source: Box::new(source),
    })
}

/// Path segments are escaped, so an order number cannot reach another path.
fn escape_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// L7's path for an order id or number, escaped.
pub fn order_path(id_or_no: &str) -> String {
    format!("{}/{}", paths::ORDER_GET, escape_segment(id_or_no))
}

impl Client {
    /// L1: the products the account can buy.
    pub async fn products(&self) -> Result<Vec<(ProductId, String)>, ApiError> {
        let r: Reply<Vec<wire::Product>> = self
            .call(&Request::get(paths::PRODUCT_LIST, Vec::new()))
            .await?;
        Ok(r.result.into_iter().map(mapping::product).collect())
    }

    /// L2, one page.
    pub async fn instances_page(
        &self,
        product: ProductId,
        page_no: u32,
        page_size: u32,
    ) -> Result<wire::Page<wire::Instance>, ApiError> {
        let req = Request::get(
            paths::INSTANCE_LIST,
            vec![
                ("productId", product.0.to_string()),
                ("pageNo", page_no.to_string()),
                ("pageSize", page_size.to_string()),
            ],
        );
        let r: Reply<wire::Page<wire::Instance>> = self.call(&req).await?;
        Ok(r.result)
    }

    /// L2, every page: the PBXs known to the account under `product`. The first page gives the
    /// page count; the rest are fetched concurrently (within the client's bound), kept in page
    /// order. The count is not trusted blindly: while the last page is full the next one is
    /// read too (a missing or stale `totalPage` must not hide PBXs), and an SN listed twice (the
    /// list moved while paging) is kept once.
    pub async fn instances(&self, product: ProductId) -> Result<Vec<wire::Instance>, ApiError> {
        let probe = Request::get(
            paths::INSTANCE_LIST,
            vec![("productId", product.0.to_string())],
        );
        let first = self.instances_page(product, 1, PAGE_SIZE).await?;
        let total_page = check_pages(&probe, Some(""), first.total_page)?;
        let full = full_page(first.page_size) as usize;
        let mut pages: BTreeMap<u64, Vec<wire::Instance>> = BTreeMap::new();
        let first_empty = first.results.is_empty();
        pages.insert(1, first.results);
        let mut last = 1;
        if total_page > 1 && !first_empty {
            let mut set = JoinSet::new();
            for page in 2..=total_page {
                let client = self.clone();
                set.spawn(async move {
                    let r = client.instances_page(product, page as u32, PAGE_SIZE).await;
                    (page, r)
                });
            }
            while let Some(joined) = set.join_next().await {
                let (page, r) = joined.map_err(|e| ApiError::Unexpected {
                    request: probe.endpoint(),
                    status: None,
                    request_id: None,
                    reason: format!("a page request stopped: {e}"),
                })?;
                // Dropping the set on error aborts the pages still in flight.
                pages.insert(page, r?.results);
            }
            last = total_page;
        }
        while pages.get(&last).map_or(0, Vec::len) >= full && last < MAX_PAGES {
            last += 1;
            tracing::debug!(%product, page = last, "last page was full; reading the next one");
            let next = self.instances_page(product, last as u32, PAGE_SIZE).await?;
            pages.insert(last, next.results);
        }
        let mut seen = HashSet::new();
        Ok(pages
            .into_values()
            .flatten()
            .filter(|i| seen.insert(i.product_no.clone()))
            .collect())
    }

    /// L3: the subscription state of `sn` under `product` (`auto_renew` left `None`).
    pub async fn instance(&self, product: ProductId, sn: &str) -> Result<ObservedPbx, ApiError> {
        let req = Request::get(
            paths::INSTANCE_DETAIL,
            vec![
                ("productId", product.0.to_string()),
                ("productNo", sn.to_owned()),
            ],
        );
        let r: Reply<wire::InstanceDetail> = self.call(&req).await?;
        mapped(
            &req,
            &r.request_id,
            mapping::observed_pbx(r.result, product, sn),
        )
    }

    /// L4: the catalog of `product`; products 9 and 11 need the SN of one of their PBXs.
    pub async fn catalog(&self, product: ProductId, sn: Option<&str>) -> Result<Catalog, ApiError> {
        let mut query = vec![("productId", product.0.to_string())];
        if let Some(sn) = sn {
            query.push(("productNo", sn.to_owned()));
        }
        let req = Request::get(paths::CATALOG, query);
        let r: Reply<wire::Offering> = self.call(&req).await?;
        mapped(&req, &r.request_id, mapping::catalog(r.result, product))
    }

    /// L5.
    pub async fn billing_contacts(&self) -> Result<Vec<Contact>, ApiError> {
        let r: Reply<Vec<wire::Contact>> = self
            .call(&Request::get(paths::BILLING_CONTACTS, Vec::new()))
            .await?;
        Ok(r.result.into_iter().map(mapping::contact).collect())
    }

    /// L6, one page, asked newest first (the vendor may not oblige: see `order_list`).
    pub async fn orders_page(&self, page_no: u32) -> Result<ListPage, ApiError> {
        let req = Request::get(
            paths::ORDER_PAGE,
            vec![
                ("pageNo", page_no.to_string()),
                ("pageSize", PAGE_SIZE.to_string()),
                ("sort", "-createTime".to_owned()),
            ],
        );
        let r: Reply<wire::Page<wire::OrderInfo>> = self.call(&req).await?;
        Ok(ListPage {
            orders: r.result.results.into_iter().map(mapping::order).collect(),
            total: r.result.total,
            total_page: r.result.total_page,
            page_size: r.result.page_size,
        })
    }

    /// L6: the orders created at or after `since_ms` (epoch ms, inclusive), newest first, each
    /// order once. How many pages that takes depends on the order the vendor lists them in
    /// (see the `order_list` module); the cost is added to [`Client::order_list_cost`].
    pub async fn recent_orders(&self, since_ms: i64) -> Result<Vec<Order>, ApiError> {
        Ok(self.read_recent_orders(since_ms).await?.0)
    }

    /// [`Client::recent_orders`], with what the read did.
    pub async fn read_recent_orders(
        &self,
        since_ms: i64,
    ) -> Result<(Vec<Order>, OrderListRead), ApiError> {
        let (orders, read) = order_list::read_recent(self, since_ms).await?;
        let pages = read.page_ranges();
        match read.whole {
            Some(_) => tracing::debug!(
                "the order list is {}: read all of it, pages {pages}, to find {} recent orders",
                read.order,
                orders.len()
            ),
            None if read.order == ListOrder::OldestFirst => tracing::debug!(
                "the order list is oldest first (`sort` ignored): read from its last page back to the window, pages {pages} of {}, {} recent orders",
                read.total_pages,
                orders.len()
            ),
            None => tracing::debug!(
                "the order list is {}: read pages {pages} of {}, {} recent orders",
                read.order,
                read.total_pages,
                orders.len()
            ),
        }
        self.record_order_list_read(&read);
        Ok((orders, read))
    }

    /// L7: one order by id or order number.
    pub async fn order(&self, id_or_no: &str) -> Result<Order, ApiError> {
        let id = id_or_no.trim();
        if id.is_empty() {
            return Err(ApiError::InvalidConfig(
                "an order lookup needs an order id or number".to_owned(),
            ));
        }
        let req = Request::get(order_path(id), Vec::new());
        let r: Reply<wire::OrderDetail> = self.call(&req).await?;
        Ok(mapping::order(r.result.order_information))
    }

    /// L8: whether auto-renewal is on for `sn` under `product`.
    pub async fn auto_renew(&self, product: ProductId, sn: &str) -> Result<bool, ApiError> {
        let req = Request::get(
            paths::AUTO_RENEW_STATUS,
            vec![
                ("productNo", sn.to_owned()),
                ("productId", product.0.to_string()),
            ],
        );
        let r: Reply<wire::AutoRenewStatus> = self.call(&req).await?;
        Ok(r.result.auto_renew)
    }

    /// L9: the price of an order, asked with the documented calculator body (see
    /// [`mapping::price_request`]). A calculation changes nothing, so it is retried like a read.
    pub async fn price(&self, body: &wire::PriceRequest) -> Result<Quote, ApiError> {
        let req = Request::post_json(paths::PRICE, json_body(body)?);
        let r: Reply<wire::Quote> = self.call(&req).await?;
        mapped(&req, &r.request_id, mapping::price(r.result))
    }

    /// Turns on auto-renewal of a plan or service. Enabling twice is harmless, so it is
    /// retried like a read.
    pub async fn enable_auto_renew(
        &self,
        product: ProductId,
        sn: &str,
        plan_or_service: Id,
    ) -> Result<(), ApiError> {
        let body = mapping::enable_auto_renew_body(product, sn, plan_or_service);
        let req = Request::post_json(paths::ENABLE_AUTO_RENEW, json_body(&body)?);
        let answer = self.call_raw(&req).await?;
        mapping::auto_renew_enabled(&answer.result).map_err(|reason| ApiError::Unexpected {
            request: req.endpoint(),
            status: Some(answer.status),
            request_id: Some(answer.request_id),
            reason,
        })
    }
}

impl PageSource for Client {
    async fn page(&self, page_no: u32) -> Result<ListPage, ApiError> {
        self.orders_page(page_no).await
    }
}

fn json_body<T: serde::Serialize>(body: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(body)
        .map_err(|e| ApiError::InvalidConfig(format!("cannot encode the request body: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_escaped() {
        assert_eq!(
            escape_segment("UO3206271046934061056"),
            "UO3206271046934061056"
        );
        assert_eq!(escape_segment("../x?y"), "%2E%2E%2Fx%3Fy");
    }
}
