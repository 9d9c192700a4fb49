//! Prices: every order of a plan quoted through the vendor's calculator, each distinct request
//! once. The plan records the catalogs it was made from; a plan that needed none (a renewal)
//! has the missing ones read here, only for their pricing IDs.

use crate::api::Client;
use crate::observe::Progress;
use crate::plan::Plan;

/// Quotes every order through the vendor's calculator (L9), concurrently, with the
/// documented body (lines priced by the catalog's `pricingId`); identical bodies are asked
/// once. An order without a price keeps the reason on its action (`price_error`) and in the
/// returned warnings: the plan stands, and its total says what it leaves out.
pub(crate) async fn price(
    client: &Client,
    plan: &mut Plan,
    progress: &dyn Progress,
) -> Vec<String> {
    let mut catalogs = crate::plan::Catalogs::from_recorded(&plan.catalogs);
    // A plan that needed no catalog (a renewal) still needs one for its pricing IDs: read,
    // once per product and SN, only for pricing (the plan's own inputs are unchanged).
    let mut missing = std::collections::BTreeSet::new();
    for p in plan
        .pbxs
        .iter()
        .filter(|p| p.actions.iter().any(|a| a.order.is_some()))
    {
        if catalogs.get(p.product, &p.sn).is_none() {
            missing.insert((p.product, p.sn.clone()));
        }
    }
    let mut reads = tokio::task::JoinSet::new();
    for (product, sn) in missing {
        let client = client.clone();
        reads.spawn(async move {
            let c = client.catalog(product, Some(&sn)).await;
            (product, sn, c)
        });
    }
    while let Some(Ok((product, sn, c))) = reads.join_next().await {
        match c {
            Ok(c) => {
                catalogs.by_sn.insert((product, sn), c);
            }
            Err(e) => {
                tracing::warn!(%product, %sn, error = %e, "cannot read the catalog for pricing")
            }
        }
    }
    // Each distinct request once; the actions it prices.
    let mut requests: Vec<(crate::wire::PriceRequest, Vec<(usize, usize)>)> = Vec::new();
    let mut failed: Vec<(usize, usize, String)> = Vec::new();
    for (i, p) in plan.pbxs.iter().enumerate() {
        for (j, a) in p.actions.iter().enumerate() {
            let Some(body) = &a.order else { continue };
            let request = catalogs
                .get(p.product, &p.sn)
                .ok_or_else(|| "the product's catalog could not be read".to_owned())
                .and_then(|cat| crate::api::mapping::price_request(body, cat));
            match request {
                Ok(r) => match requests.iter_mut().find(|(known, _)| *known == r) {
                    Some((_, at)) => at.push((i, j)),
                    None => requests.push((r, vec![(i, j)])),
                },
                Err(e) => failed.push((i, j, e)),
            }
        }
    }
    progress.start(requests.len() as u64);
    let mut tasks = tokio::task::JoinSet::new();
    for (n, (request, _)) in requests.iter().enumerate() {
        let client = client.clone();
        let request = request.clone();
        tasks.spawn(async move { (n, client.price(&request).await) });
    }
    while let Some(joined) = tasks.join_next().await {
        progress.advance();
        let Ok((n, answer)) = joined else { continue };
        for &(i, j) in &requests[n].1 {
            match &answer {
                Ok(price) => plan.pbxs[i].actions[j].price = Some(price.clone()),
                Err(e) => failed.push((i, j, e.to_string())),
            }
        }
    }
    progress.finish();
    failed.sort();
    failed
        .into_iter()
        .map(|(i, j, why)| {
            let what = format!("{} {}", plan.pbxs[i].key(), plan.pbxs[i].actions[j].kind);
            plan.pbxs[i].actions[j].price_error = Some(why.clone());
            format!("price unknown for {what}: {why}")
        })
        .collect()
}
