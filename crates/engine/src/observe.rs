//! Observe: read what the plan of the PBXs in scope needs, and nothing more — one detail read
//! per `(sn, product)`, auto-renew status only where declared, recent orders once (newest first
//! back to a window), then catalogs and billing contacts only when [`plan::requirements`] says
//! a name must be resolved or an order built. Reads run concurrently with a bound; results are
//! keyed, so they do not depend on completion order.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::date::Date;
use crate::ledger;
use crate::manifest::DesiredPbx;
use crate::model::{Catalog, Contact, Doubt, ObservedPbx, Order, PbxDoubt, ProductId, RecentOrder};
use crate::plan::{self, Catalogs, Observed, PbxKey};

/// Where observed state comes from: the Partner API client, or a fake in tests.
pub trait Source: Clone + Send + Sync + 'static {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Is this error "the SN is not in the account under that product"?
    fn is_not_found(err: &Self::Error) -> bool;
    /// Is this error "the answer about this one PBX cannot be read"? Then that PBX is set
    /// aside (no order for it) and the rest of the plan goes ahead.
    fn is_unreadable(_err: &Self::Error) -> bool {
        false
    }
    fn instance(
        &self,
        product: ProductId,
        sn: &str,
    ) -> impl Future<Output = Result<ObservedPbx, Self::Error>> + Send;
    fn auto_renew(
        &self,
        product: ProductId,
        sn: &str,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    fn catalog(
        &self,
        product: ProductId,
        sn: Option<&str>,
    ) -> impl Future<Output = Result<Catalog, Self::Error>> + Send;
    fn billing_contacts(&self) -> impl Future<Output = Result<Vec<Contact>, Self::Error>> + Send;
    /// The SNs the account has under `product` (every page of the list).
    fn sns(
        &self,
        product: ProductId,
    ) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;
    /// Orders newest first, back to `since_ms` (epoch milliseconds).
    fn recent_orders(
        &self,
        since_ms: i64,
    ) -> impl Future<Output = Result<Vec<Order>, Self::Error>> + Send;
}

/// Told about progress, so the CLI can draw a bar; the library never draws.
pub trait Progress: Send + Sync {
    fn start(&self, _total: u64) {}
    fn advance(&self) {}
    fn finish(&self) {}
}

/// No progress reporting.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;
impl Progress for Silent {}

/// How observe runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub today: Date,
    /// Concurrent reads at most.
    pub parallelism: usize,
    /// How far back recent orders are read for `pending`/`confirming` ones.
    pub pending_window_days: u32,
    /// The wall clock (epoch ms) the window counts back from: order timestamps are the
    /// vendor's clock, not the plan's `today`.
    pub now_ms: i64,
    /// Orders this workspace's journal holds as awaiting payment, however old: their PBXs are
    /// in flight even when the orders are older than the window.
    pub awaiting: Vec<Order>,
    /// How long after an order its effect may take to show (and an order of unknown outcome
    /// to appear), in milliseconds.
    pub settle_ms: i64,
    /// This workspace's orders of unknown outcome still without evidence.
    pub in_doubt: Vec<PbxDoubt>,
    /// This workspace's orders (order number → fingerprint of the PBX they were planned from).
    pub own: BTreeMap<String, crate::plan::Fingerprint>,
    /// This workspace's orders placed within the settle period: `(product, SN, what, the
    /// fingerprint of the PBX it was planned from)`.
    pub own_recent: Vec<RecentOrder>,
    /// Also read the auto-renewal flag of each PBX entitle does not renew (`renew: false`):
    /// a forecast needs to know who renews it.
    pub auto_renew_unless_renewed: bool,
    /// Read what planning needs on any of this many days after `today` too (a forecast).
    pub horizon_days: u32,
    /// Entitle's last apply of each PBX, by the journal; `None`: the plan is not to say why
    /// PBXs differ (a forecast).
    pub applied: Option<BTreeMap<PbxKey, plan::drift::LastApply>>,
}

/// Why observing failed.
#[derive(Debug, thiserror::Error)]
pub enum ObserveError<E: std::error::Error + 'static> {
    #[error("{0}")]
    Api(#[source] E),
    #[error("a read task failed: {0}")]
    Task(String),
}

/// Everything observed, ready for [`plan::plan`].
#[derive(Debug, Clone, Default)]
pub struct Observation {
    pub observed: Observed,
    pub catalogs: Catalogs,
}

/// Reads the state of the PBXs in `desired`.
pub async fn observe<S: Source>(
    source: &S,
    desired: &[DesiredPbx],
    settings: &Settings,
    progress: &dyn Progress,
) -> Result<Observation, ObserveError<S::Error>> {
    let permits = Arc::new(Semaphore::new(settings.parallelism.max(1)));
    progress.start(desired.len() as u64);

    // Recent orders, alongside the details.
    let since_ms = settings.now_ms - i64::from(settings.pending_window_days) * 86_400_000;
    let orders_task = {
        let source = source.clone();
        tokio::spawn(async move { source.recent_orders(since_ms).await })
    };

    let mut tasks = JoinSet::new();
    for (i, d) in desired.iter().enumerate() {
        let source = source.clone();
        let permits = permits.clone();
        let product = d.product.value;
        let sn = d.sn.clone();
        let want_auto_renew =
            d.auto_renew.is_some() || (settings.auto_renew_unless_renewed && !d.renew);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let mut o = match source.instance(product, &sn).await {
                Ok(o) => o,
                Err(e) => return (i, Err(e)),
            };
            if want_auto_renew {
                match source.auto_renew(product, &sn).await {
                    Ok(v) => o.auto_renew = Some(v),
                    Err(e) => return (i, Err(e)),
                }
            }
            (i, Ok(o))
        });
    }
    let mut results: BTreeMap<usize, Result<ObservedPbx, S::Error>> = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (i, r) = joined.map_err(|e| ObserveError::Task(e.to_string()))?;
        progress.advance();
        results.insert(i, r);
    }
    progress.finish();

    let mut pbxs = BTreeMap::new();
    let mut unreadable = BTreeMap::new();
    let mut not_found = BTreeSet::new();
    for (i, r) in results {
        let d = &desired[i];
        let key = (d.product.value, d.sn.clone());
        match r {
            Ok(o) => {
                pbxs.insert(key, o);
            }
            // An error of this entry alone: the planner says so, and the rest is planned.
            Err(e) if S::is_not_found(&e) => {
                not_found.insert(key);
            }
            Err(e) if S::is_unreadable(&e) => {
                unreadable.insert(key, e.to_string());
            }
            Err(e) => return Err(ObserveError::Api(e)),
        }
    }
    let listed = listed_sns(source, &not_found, &permits).await;

    let orders = orders_task
        .await
        .map_err(|e| ObserveError::Task(e.to_string()))?
        .map_err(ObserveError::Api)?;
    // What the order list shows is the ledger's to judge; observe only reads.
    let in_flight = ledger::in_flight(orders.iter().chain(&settings.awaiting), &pbxs);
    let (unsettled, recent) = ledger::unsettled(
        &orders,
        &pbxs,
        ledger::Own {
            orders: &settings.own,
            recent: &settings.own_recent,
        },
        settings.now_ms,
        settings.settle_ms,
    );
    let history = settings
        .applied
        .as_ref()
        .map(|applied| history(&orders, &pbxs, applied, settings));
    let mut in_doubt: BTreeMap<PbxKey, Vec<Doubt>> = BTreeMap::new();
    for PbxDoubt { product, sn, doubt } in &settings.in_doubt {
        let key = (*product, sn.clone());
        if pbxs.contains_key(&key) {
            in_doubt.entry(key).or_default().push(doubt.clone());
        }
    }

    let planned = || {
        desired.iter().filter_map(|d| {
            let key = (d.product.value, d.sn.clone());
            if in_flight.contains_key(&key) {
                return None;
            }
            pbxs.get(&key).map(|o| (d, o))
        })
    };
    // What planning on any day of the horizon needs (a forecast plans each renewal's day).
    let mut reqs = plan::requirements(planned(), settings.today);
    for n in 1..=i64::from(settings.horizon_days) {
        let r = plan::requirements(planned(), settings.today.add_days(n));
        reqs.catalogs.extend(r.catalogs);
        reqs.contacts |= r.contacts;
    }

    let mut catalog_tasks = JoinSet::new();
    for (product, sn) in reqs.catalogs {
        let source = source.clone();
        let permits = permits.clone();
        catalog_tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let r = source.catalog(product, sn.as_deref()).await;
            (product, sn, r)
        });
    }
    let contacts = if reqs.contacts {
        Some(source.billing_contacts().await.map_err(ObserveError::Api)?)
    } else {
        None
    };
    let mut catalogs = Catalogs::default();
    while let Some(joined) = catalog_tasks.join_next().await {
        let (product, sn, r) = joined.map_err(|e| ObserveError::Task(e.to_string()))?;
        let c = r.map_err(ObserveError::Api)?;
        match sn {
            Some(sn) => {
                catalogs.by_sn.insert((product, sn), c);
            }
            None => {
                catalogs.by_product.insert(product, c);
            }
        }
    }

    Ok(Observation {
        observed: Observed {
            pbxs,
            contacts,
            in_flight,
            in_doubt,
            unsettled,
            recent,
            unreadable,
            not_found,
            listed,
            observed_at_ms: settings.now_ms,
            history,
        },
        catalogs,
    })
}

/// The evidence of why the PBXs read differ from their entries: entitle's last apply of each
/// (the journal's) and the orders of each in the list read, with who placed them. An order is
/// this workspace's when its journal holds it; the vendor is seen to echo poNumbers when some
/// order of the list carries one of entitle's.
fn history(
    orders: &[Order],
    pbxs: &BTreeMap<PbxKey, ObservedPbx>,
    applied: &BTreeMap<PbxKey, plan::drift::LastApply>,
    settings: &Settings,
) -> plan::drift::History {
    let echoes = orders
        .iter()
        .any(|o| o.reference.as_deref().is_some_and(plan::is_po_number));
    let ours = |o: &Order| {
        settings.own.contains_key(&o.order_no)
            || settings
                .own_recent
                .iter()
                .any(|r| r.doubt.order_no.as_ref() == Some(&o.order_no))
    };
    let mut by_pbx: BTreeMap<PbxKey, Vec<(Order, plan::drift::Origin)>> = BTreeMap::new();
    for o in orders {
        let key = (o.product, o.sn.clone());
        if pbxs.contains_key(&key) {
            let origin = plan::drift::origin(o, ours(o), echoes);
            by_pbx.entry(key).or_default().push((o.clone(), origin));
        }
    }
    plan::drift::History {
        window_days: settings.pending_window_days,
        last_apply: applied
            .iter()
            .filter(|(k, _)| pbxs.contains_key(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        orders: by_pbx,
    }
}

/// The SNs the account has under each product of an SN it does not have, for the planner's
/// "did you mean": read only when an SN is unknown, so a plan whose SNs are all found makes
/// no request for them. A list that cannot be read leaves its product out: the error stands
/// without the hint.
async fn listed_sns<S: Source>(
    source: &S,
    not_found: &BTreeSet<PbxKey>,
    permits: &Arc<Semaphore>,
) -> BTreeMap<ProductId, Vec<String>> {
    let products: BTreeSet<ProductId> = not_found.iter().map(|(p, _)| *p).collect();
    let mut tasks = JoinSet::new();
    for product in products {
        let source = source.clone();
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            (product, source.sns(product).await)
        });
    }
    let mut listed = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((product, Ok(sns))) => {
                listed.insert(product, sns);
            }
            Ok((product, Err(e))) => {
                tracing::info!(%product, "the account's SNs could not be listed, so an unknown SN gets no suggestion: {e}");
            }
            Err(e) => tracing::info!("listing the account's SNs stopped: {e}"),
        }
    }
    listed
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::manifest::CatalogRef;
    use crate::model::{Id, OrderStatus};
    use crate::testing;

    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct FakeError(&'static str);

    #[derive(Clone, Default)]
    struct Fake {
        log: Arc<Mutex<Vec<String>>>,
        orders: Vec<Order>,
        /// The account's SNs under every product; `None`: the list cannot be read.
        sns: Option<Vec<String>>,
    }

    impl Fake {
        fn log(&self, s: String) {
            self.log.lock().unwrap().push(s);
        }
        fn reads(&self) -> Vec<String> {
            let mut v = self.log.lock().unwrap().clone();
            v.sort();
            v
        }
    }

    fn observed(product: ProductId, sn: &str) -> ObservedPbx {
        ObservedPbx {
            plan: Some(testing::subscribed_plan(
                Id(1),
                "Enterprise Plan",
                crate::model::Cycle::Annually,
                1,
                "2027-05-01",
            )),
            extensions: 100,
            concurrent_calls: 30,
            ..testing::observed(sn, product.0)
        }
    }

    impl Source for Fake {
        type Error = FakeError;
        fn is_not_found(e: &FakeError) -> bool {
            e.0 == "not found"
        }
        async fn instance(&self, product: ProductId, sn: &str) -> Result<ObservedPbx, FakeError> {
            self.log(format!("detail {sn}"));
            if sn.starts_with("MISSING") {
                return Err(FakeError("not found"));
            }
            Ok(observed(product, sn))
        }
        async fn auto_renew(&self, _: ProductId, sn: &str) -> Result<bool, FakeError> {
            self.log(format!("auto-renew {sn}"));
            Ok(false)
        }
        async fn catalog(
            &self,
            product: ProductId,
            sn: Option<&str>,
        ) -> Result<Catalog, FakeError> {
            self.log(format!("catalog {} {sn:?}", product.0));
            Ok(Catalog {
                product,
                product_name: "P".into(),
                plans: vec![],
                services: vec![],
            })
        }
        async fn billing_contacts(&self) -> Result<Vec<Contact>, FakeError> {
            self.log("contacts".into());
            Ok(vec![])
        }
        async fn recent_orders(&self, _since: i64) -> Result<Vec<Order>, FakeError> {
            self.log("orders".into());
            Ok(self.orders.clone())
        }
        async fn sns(&self, product: ProductId) -> Result<Vec<String>, FakeError> {
            self.log(format!("list {}", product.0));
            self.sns.clone().ok_or(FakeError("the list is down"))
        }
    }

    fn desired(sn: &str, product: ProductId) -> DesiredPbx {
        DesiredPbx {
            plan: Some(testing::at(CatalogRef::Name("enterprise plan".into()), 5)),
            extensions: Some(testing::at(100, 6)),
            ..testing::desired(sn, product.0)
        }
    }

    fn settings() -> Settings {
        Settings {
            today: "2026-11-22".parse().unwrap(),
            parallelism: 3,
            pending_window_days: 30,
            now_ms: 1_795_000_000_000,
            awaiting: vec![],
            settle_ms: 600_000,
            in_doubt: vec![],
            own: BTreeMap::new(),
            own_recent: vec![],
            auto_renew_unless_renewed: false,
            horizon_days: 0,
            applied: None,
        }
    }

    #[tokio::test]
    async fn nothing_to_do_reads_one_detail_per_pbx_and_no_catalog() {
        let fake = Fake::default();
        let desired: Vec<_> = (0..20)
            .map(|i| desired(&format!("SN{i:03}"), ProductId::SOFTWARE_EDITION))
            .collect();
        let obs = observe(&fake, &desired, &settings(), &Silent)
            .await
            .unwrap();
        assert_eq!(obs.observed.pbxs.len(), 20);
        let reads = fake.reads();
        assert_eq!(reads.iter().filter(|r| r.starts_with("detail")).count(), 20);
        assert_eq!(reads.iter().filter(|r| *r == "orders").count(), 1);
        assert_eq!(reads.len(), 21, "{reads:?}");
        assert!(obs.observed.contacts.is_none());
    }

    #[tokio::test]
    async fn changes_read_the_catalog_once_per_product_and_contacts_once() {
        let fake = Fake::default();
        let mut a = desired("SNA", ProductId::SOFTWARE_EDITION);
        a.extensions = Some(testing::at(200, 4));
        let mut b = desired("SNB", ProductId::SOFTWARE_EDITION);
        b.extensions = Some(testing::at(300, 4));
        b.auto_renew = Some(testing::at(true, 6));
        let mut c = desired("SNC", ProductId::LINKUS);
        c.plan = Some(testing::at(
            CatalogRef::Name("Linkus Cloud Service".into()),
            3,
        ));
        c.extensions = None;
        let obs = observe(&fake, &[a, b, c], &settings(), &Silent)
            .await
            .unwrap();
        assert_eq!(
            fake.reads(),
            vec![
                "auto-renew SNB",
                "catalog 12 None",
                "catalog 9 Some(\"SNC\")",
                "contacts",
                "detail SNA",
                "detail SNB",
                "detail SNC",
                "orders"
            ]
        );
        assert_eq!(
            obs.observed.pbxs[&(ProductId(12), "SNB".into())].auto_renew,
            Some(false)
        );
    }

    /// Unknown SNs are observed as such, beside the PBXs found; the account's SNs are listed
    /// once per product of an unknown SN, and only then.
    #[tokio::test]
    async fn unknown_sns_are_kept_apart_and_only_they_list_the_account() {
        let fake = Fake {
            sns: Some(vec!["MISSINg1".into(), "SNA".into()]),
            ..Fake::default()
        };
        let obs = observe(
            &fake,
            &[
                desired("SNA", ProductId::SOFTWARE_EDITION),
                desired("MISSING1", ProductId::CLOUD_PBX),
                desired("MISSING2", ProductId::LINKUS),
                desired("MISSING3", ProductId::LINKUS),
            ],
            &settings(),
            &Silent,
        )
        .await
        .unwrap();
        assert_eq!(
            obs.observed.not_found,
            [
                (ProductId::LINKUS, "MISSING2".to_owned()),
                (ProductId::LINKUS, "MISSING3".to_owned()),
                (ProductId::CLOUD_PBX, "MISSING1".to_owned()),
            ]
            .into()
        );
        assert_eq!(
            obs.observed.pbxs.keys().collect::<Vec<_>>(),
            [&(ProductId::SOFTWARE_EDITION, "SNA".to_owned())]
        );
        assert_eq!(
            obs.observed.listed.keys().collect::<Vec<_>>(),
            [&ProductId::LINKUS, &ProductId::CLOUD_PBX]
        );
        let lists: Vec<String> = fake
            .reads()
            .into_iter()
            .filter(|r| r.starts_with("list"))
            .collect();
        assert_eq!(lists, ["list 13", "list 9"]);

        // A list that cannot be read: the SN is still unknown, without the account's SNs.
        let down = Fake::default();
        let obs = observe(
            &down,
            &[desired("MISSING1", ProductId::CLOUD_PBX)],
            &settings(),
            &Silent,
        )
        .await
        .unwrap();
        assert_eq!(obs.observed.not_found.len(), 1);
        assert!(obs.observed.listed.is_empty());
    }

    #[tokio::test]
    async fn pending_orders_mark_pbxs_in_flight_and_skip_their_reads() {
        let mut fake = Fake::default();
        let order = |sn: &str, status| Order {
            id: Id(9),
            order_no: "UO9".into(),
            status,
            created_ms: 0,
            product: ProductId::SOFTWARE_EDITION,
            sn: sn.into(),
            operation_type: "purchase_service".into(),
            reference: None,
            total_amount: "1.00".into(),
            currency: "USD".into(),
        };
        fake.orders = vec![
            order("SNA", OrderStatus::Pending),
            order("SNB", OrderStatus::Succeed),
            order("ELSEWHERE", OrderStatus::Pending),
        ];
        let mut a = desired("SNA", ProductId::SOFTWARE_EDITION);
        a.extensions = Some(testing::at(200, 4));
        let obs = observe(&fake, &[a.clone()], &settings(), &Silent)
            .await
            .unwrap();
        assert_eq!(obs.observed.in_flight.len(), 1);
        assert!(!fake.reads().iter().any(|r| r.starts_with("catalog")));

        // An order the journal awaits, older than the window (not in the order list): its PBX
        // is in flight all the same, and an order in both lists counts once.
        let fake = Fake {
            orders: vec![order("SNA", OrderStatus::Pending)],
            ..Fake::default()
        };
        let mut b = desired("SNB", ProductId::SOFTWARE_EDITION);
        b.extensions = Some(testing::at(200, 4));
        let journaled = Settings {
            awaiting: vec![
                order("SNA", OrderStatus::Pending),
                Order {
                    order_no: "UO10".into(),
                    ..order("SNB", OrderStatus::Pending)
                },
            ],
            ..settings()
        };
        let obs = observe(&fake, &[a, b], &journaled, &Silent).await.unwrap();
        let flying: Vec<_> = obs
            .observed
            .in_flight
            .iter()
            .map(|((_, sn), orders)| (sn.as_str(), orders.len()))
            .collect();
        assert_eq!(flying, [("SNA", 1), ("SNB", 1)]);
        assert!(!fake.reads().iter().any(|r| r.starts_with("catalog")));
    }
}
