//! What the account offers and holds, read for the commands that show it rather than plan
//! from it: the catalog listing (`entitle catalog`) and the state of PBXs to write a manifest
//! from (`entitle export`).

use std::collections::BTreeMap;

use tokio::task::JoinSet;

use crate::api::{ApiError, Client};
use crate::model::{Catalog, Contact, ObservedPbx, ProductId};

/// Everything `entitle catalog` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogReport {
    /// In product ID order.
    pub products: Vec<ProductEntry>,
    pub contacts: Vec<Contact>,
}

/// One product of the account and its catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductEntry {
    pub product: ProductId,
    pub name: String,
    /// For products whose catalog is per PBX (9, 11): the SN it was read for.
    pub sn: Option<String>,
    /// `None` when the catalog needs a PBX and the account has none of this product.
    pub catalog: Option<Catalog>,
}

/// Why the account could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{product} is not offered to this account (it has: {offered})")]
    NotOffered { product: String, offered: String },
    #[error("cannot {what}: {source}")]
    Api {
        what: String,
        #[source]
        source: ApiError,
    },
    #[error("a read task stopped: {0}")]
    Task(String),
}

fn api(what: impl Into<String>) -> impl FnOnce(ApiError) -> AccountError {
    let what = what.into();
    move |source| AccountError::Api { what, source }
}

/// `software-edition (12)`, or `product 14` for one without an alias.
pub fn label(p: ProductId) -> String {
    match p.alias() {
        Some(a) => format!("{a} ({})", p.0),
        None => format!("product {}", p.0),
    }
}

/// Reads the products (L1), each product's catalog (L4; for 9 and 11 through the first PBX of
/// the product, L2) and the billing contacts (L5), concurrently; `only` one product if given.
pub async fn catalog_report(
    client: &Client,
    only: Option<ProductId>,
) -> Result<CatalogReport, AccountError> {
    let contacts = {
        let c = client.clone();
        tokio::spawn(async move { c.billing_contacts().await })
    };
    let mut products = client
        .products()
        .await
        .map_err(api("list the account's products"))?;
    if let Some(p) = only {
        if !products.iter().any(|(id, _)| *id == p) {
            let offered: Vec<String> = products.iter().map(|(id, _)| label(*id)).collect();
            return Err(AccountError::NotOffered {
                product: label(p),
                offered: if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                },
            });
        }
        products.retain(|(id, _)| *id == p);
    }
    let mut set = JoinSet::new();
    for (product, name) in products {
        let c = client.clone();
        set.spawn(async move {
            product_entry(&c, product, name)
                .await
                .map_err(api(format!("read the catalog of {}", label(product))))
        });
    }
    let mut entries = Vec::new();
    while let Some(joined) = set.join_next().await {
        entries.push(joined.map_err(|e| AccountError::Task(e.to_string()))??);
    }
    entries.sort_by_key(|e| e.product);
    let contacts = contacts
        .await
        .map_err(|e| AccountError::Task(e.to_string()))?
        .map_err(api("list the billing contacts"))?;
    Ok(CatalogReport {
        products: entries,
        contacts,
    })
}

async fn product_entry(
    client: &Client,
    product: ProductId,
    name: String,
) -> Result<ProductEntry, ApiError> {
    let sn = if product.catalog_needs_sn() {
        let page = client.instances_page(product, 1, 1).await?;
        match page.results.into_iter().next() {
            Some(i) => Some(i.product_no),
            None => {
                return Ok(ProductEntry {
                    product,
                    name,
                    sn: None,
                    catalog: None,
                });
            }
        }
    } else {
        None
    };
    let catalog = client.catalog(product, sn.as_deref()).await?;
    Ok(ProductEntry {
        product,
        name,
        sn,
        catalog: Some(catalog),
    })
}

/// The PBXs of `products` (only those in `sns`, compared ignoring case, when it is not empty),
/// each read in full (L3), with its auto-renewal flag (L8) when `auto_renew`; in the order the
/// account lists them.
pub async fn pbx_states(
    client: &Client,
    products: &[ProductId],
    sns: &[String],
    auto_renew: bool,
) -> Result<Vec<ObservedPbx>, AccountError> {
    let mut wanted = Vec::new();
    for p in products {
        let listed = client
            .instances(*p)
            .await
            .map_err(api(format!("list the PBXs of {}", label(*p))))?;
        for inst in listed {
            if sns.is_empty() || sns.iter().any(|s| s.eq_ignore_ascii_case(&inst.product_no)) {
                wanted.push((*p, inst.product_no));
            }
        }
    }
    let mut tasks = JoinSet::new();
    for (i, (p, sn)) in wanted.into_iter().enumerate() {
        let client = client.clone();
        tasks.spawn(async move {
            let read = format!("read {sn} ({})", label(p));
            let mut o = client.instance(p, &sn).await.map_err(api(read.clone()))?;
            if auto_renew {
                o.auto_renew = Some(client.auto_renew(p, &sn).await.map_err(api(read))?);
            }
            Ok::<_, AccountError>((i, o))
        });
    }
    let mut found = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, o) = joined.map_err(|e| AccountError::Task(e.to_string()))??;
        found.insert(i, o);
    }
    Ok(found.into_values().collect())
}
