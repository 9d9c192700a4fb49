//! The plan pipeline that `plan` and `apply` share, as a list of named steps:
//!
//! 0. [`Workspace::lock`]: the workspace's lock, then its journal;
//! 1. [`resolve_leftovers`]: orders of earlier applies whose outcome is unknown are looked up,
//!    and this workspace's orders still awaiting payment are collected;
//! 2. [`make_plan`]: observe the PBXs in scope (given those awaiting orders), plan, and
//! 3. price every order through the vendor's calculator when asked; or, for a saved plan,
//!    [`check_saved`]: applied before? changed since?
//! 4. [`apply_plan`]: journal the plan's start and place its orders.
//!
//! The CLI calls these and prints what they return; nothing here prints.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::api::{ApiError, Client};
use crate::apply::{
    self, ApplyReport, Entry, EntryState, Interrupt, Journal, JournalError, LockError, Resolution,
    WorkspaceLock,
};
use crate::clock::Clock;
use crate::manifest::{DesiredPbx, Diagnostic, Diagnostics, LoadedManifests};
use crate::observe::{self, ObserveError, Progress, Settings};
use crate::plan::{self, Plan, PlanContext, PlanErrors, Selection};

/// A workspace held by this process: its lock, and its journal open for appending — in the
/// workspace directory, or on the shared backend.
#[derive(Debug)]
pub struct Workspace {
    _lock: Held,
    journal: Journal,
}

/// The lock a workspace holds (released when dropped).
#[derive(Debug)]
#[allow(dead_code)]
enum Held {
    File(WorkspaceLock),
    Db(crate::backend::PgLock),
}

/// Why a workspace could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
}

impl Workspace {
    /// Takes the lock beside `journal` (never waiting), then opens the journal as the vendor
    /// `account`'s; its entries are stamped by `clock`.
    pub fn lock(
        journal: &Path,
        account: &str,
        clock: Clock,
    ) -> Result<Workspace, WorkspaceError> {
        let lock = WorkspaceLock::try_acquire(journal)?;
        Ok(Workspace {
            _lock: Held::File(lock),
            journal: Journal::open(journal, clock)?.for_account(account),
        })
    }

    /// Takes the lock and opens the journal of `backend`: beside `journal` in the workspace, or
    /// the vendor `account`'s in the database. Waits up to `wait` for the lock (zero: not at
    /// all). Returns whether it had to wait.
    pub async fn open(
        backend: &crate::backend::Backend,
        journal: &Path,
        account: &str,
        legacy: Option<&str>,
        clock: Clock,
        wait: std::time::Duration,
    ) -> Result<(Workspace, bool), WorkspaceError> {
        use crate::backend::{Backend, DbJournal, PgLock};
        match backend {
            Backend::Files => {
                waiting(
                    wait,
                    || Workspace::lock(journal, account, clock),
                    |e| matches!(e, WorkspaceError::Lock(LockError::Busy { .. })),
                )
                .await
            }
            Backend::Postgres(url) => {
                let (lock, waited) = PgLock::acquire(url, account, wait).await?;
                let db = DbJournal::open(url, account, legacy, Some(&lock))?;
                Ok((
                    Workspace {
                        _lock: Held::Db(lock),
                        journal: Journal::on_backend(db, clock).for_account(account),
                    },
                    waited,
                ))
            }
        }
    }
}

/// Takes this machine's lock of the vendor account (`key`, see `Client::account_key`),
/// waiting up to `wait` for another apply of the account to finish. Returns whether it waited.
pub async fn account_lock(
    key: &str,
    base_url: &str,
    wait: std::time::Duration,
) -> Result<(apply::WorkspaceLock, bool), LockError> {
    waiting(
        wait,
        || apply::WorkspaceLock::try_acquire_account(key, base_url),
        |e| matches!(e, LockError::Busy { .. }),
    )
    .await
}

/// Runs `take` until it succeeds or fails otherwise than `busy`, for at most `wait`, every
/// 200 ms. Returns whether it had to wait.
async fn waiting<T, E>(
    wait: std::time::Duration,
    mut take: impl FnMut() -> Result<T, E>,
    busy: impl Fn(&E) -> bool,
) -> Result<(T, bool), E> {
    let started = tokio::time::Instant::now();
    let mut waited = false;
    loop {
        match take() {
            Err(e) if busy(&e) && started.elapsed() < wait => {
                waited = true;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other.map(|t| (t, waited)),
        }
    }
}

/// Step 1: resolves the journal's leftovers by evidence (see [`apply::resolve_leftovers`]).
pub async fn resolve_leftovers(
    client: &Client,
    workspace: &mut Workspace,
    settle_ms: i64,
) -> Result<Resolution, apply::ResolveError<ApiError>> {
    apply::resolve_leftovers(client, &mut workspace.journal, settle_ms).await
}

/// The journal's entries without taking its lock (another process is applying).
pub async fn entries_unlocked(
    backend: &crate::backend::Backend,
    journal: &Path,
    account: &str,
    legacy: Option<&str>,
) -> Result<Vec<Entry>, WorkspaceError> {
    match backend {
        crate::backend::Backend::Files => Ok(apply::journal::of_account(
            apply::journal::read(journal)?,
            account,
        )),
        crate::backend::Backend::Postgres(url) => {
            let db = crate::backend::DbJournal::open(url, account, legacy, None)?;
            let j = Journal::on_backend(db, Clock::system());
            Ok(j.entries()?)
        }
    }
}

/// While another process applies in this workspace its journal is not ours to resolve: every
/// order it has not settled yet counts as in doubt (see [`crate::ledger::in_progress`]), and
/// nothing is written.
pub fn leftovers_in_progress(entries: &[Entry], settle_ms: i64) -> Resolution {
    Resolution {
        in_doubt: crate::ledger::in_progress(entries, settle_ms),
        ..Resolution::default()
    }
}

/// What a plan is made from.
#[derive(Debug)]
pub struct PlanRequest<'a> {
    pub manifests: &'a LoadedManifests,
    /// The PBXs in scope.
    pub desired: &'a [DesiredPbx],
    /// How the scope was chosen, recorded in the plan.
    pub selection: Selection,
    pub clock: Clock,
    pub parallelism: usize,
    pub pending_window_days: u32,
    /// How long an order's effect may take to show (`--settle-period`).
    pub settle_ms: i64,
    /// What [`resolve_leftovers`] found: orders awaiting payment, orders in doubt, and this
    /// workspace's orders.
    pub leftovers: Resolution,
    /// Ask the vendor's calculator for each order's price.
    pub price: bool,
}

/// What planning came to.
#[derive(Debug)]
pub enum Planned {
    /// The plan, and warnings about it (prices the calculator could not give).
    Plan {
        plan: Box<Plan>,
        warnings: Vec<String>,
    },
    /// The manifests ask for what the account or the vendor's rules refuse: nothing planned.
    Refused(Diagnostics),
}

/// Step 2 and 3: observe, plan and (when asked) price.
pub async fn make_plan(
    client: &Client,
    req: PlanRequest<'_>,
    progress: &dyn Progress,
    pricing: &dyn Progress,
) -> Result<Planned, ObserveError<ApiError>> {
    let today = req.clock.today();
    let settings = Settings {
        today,
        parallelism: req.parallelism.max(1),
        pending_window_days: req.pending_window_days,
        now_ms: req.clock.now_ms(),
        awaiting: req.leftovers.pending,
        settle_ms: req.settle_ms,
        in_doubt: req.leftovers.in_doubt,
        own: req.leftovers.own,
        own_recent: req.leftovers.own_recent,
    };
    let obs = observe::observe(client, req.desired, &settings, progress).await?;
    let ctx = PlanContext {
        today,
        manifest_hash: req.manifests.hash.clone(),
        selection: req.selection,
        // Two plans of the same state differ: a plan applies once, and its ID is in the journal.
        nonce: format!("{}-{}", std::process::id(), req.clock.now_ms()),
        account: client.account_key().to_owned(),
    };
    let mut plan = match plan::plan(req.desired, &obs.observed, &obs.catalogs, &ctx) {
        Ok(p) => p,
        Err(errors) => return Ok(Planned::Refused(diagnostics(errors))),
    };
    let warnings = if req.price {
        price(client, &mut plan, pricing).await
    } else {
        Vec::new()
    };
    Ok(Planned::Plan {
        plan: Box::new(plan),
        warnings,
    })
}

/// Plan errors as located diagnostics, each naming the PBX and, where one applies, the rule.
fn diagnostics(errors: PlanErrors) -> Diagnostics {
    Diagnostics(
        errors
            .0
            .into_iter()
            .map(|e| {
                let rule = e
                    .rule
                    .map(|r| format!(" (vendor rule {r}: {})", r.explanation()))
                    .unwrap_or_default();
                let d = Diagnostic::new(
                    e.code,
                    Some(e.at),
                    format!("{}: {}{rule}", e.pbx, e.message),
                );
                match e.help {
                    Some(h) => d.with_help(h),
                    None => d,
                }
            })
            .collect(),
    )
}

/// Step 3: quotes every order through the vendor's calculator (L9), concurrently, with the
/// documented body (lines priced by the catalog's `pricingId`); identical bodies are asked
/// once. An order without a price keeps the reason on its action (`price_error`) and in the
/// returned warnings: the plan stands, and its total says what it leaves out.
pub async fn price(
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

/// Whether a saved plan may be applied.
#[derive(Debug)]
pub enum SavedCheck {
    /// Nothing moved and nothing shows it applied; with the order list as read for the check
    /// (handed to the executor, see `apply::Guard::orders`).
    Fresh(apply::ListRead),
    /// The order list shows it applied elsewhere (another checkout, another machine), or
    /// someone ordered for its PBXs since it was made: `(PBX, the order)`.
    Replayed(Vec<(String, String)>),
    /// Its ID is in the journal: plans apply once.
    AlreadyApplied { journal: PathBuf },
    /// These PBXs changed since it was made: `(PBX, what moved)`.
    Stale(Vec<(String, Vec<String>)>),
}

/// Why a saved plan could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Step 3 for a saved plan: refused if it was applied before (this journal says so, or the
/// vendor's order list shows its poNumbers or orders on its PBXs placed since it was made),
/// or if any PBX it touches moved. The order list is the one read apply's first checks use,
/// so the replay check costs no read of its own.
pub async fn check_saved(
    client: &Client,
    workspace: &Workspace,
    plan: &Plan,
    parallelism: usize,
    settle_ms: i64,
) -> Result<SavedCheck, CheckError> {
    let path = workspace.journal.path();
    let entries = workspace.journal.entries()?;
    if apply::journal::plan_seen(&entries, &plan.plan_id) {
        return Ok(SavedCheck::AlreadyApplied {
            journal: path.to_owned(),
        });
    }
    let stale = apply::stale_pbxs(client, plan, parallelism).await?;
    if !stale.is_empty() {
        return Ok(SavedCheck::Stale(stale));
    }
    let read_at = tokio::time::Instant::now();
    let orders = Arc::new(
        client
            .recent_orders(crate::ledger::book_since(plan, settle_ms))
            .await?,
    );
    let replayed = crate::ledger::replay_evidence(plan, &orders);
    Ok(if replayed.is_empty() {
        SavedCheck::Fresh(apply::ListRead { orders, read_at })
    } else {
        SavedCheck::Replayed(replayed)
    })
}

/// How an apply runs.
#[derive(Debug, Clone, Copy)]
pub struct ApplySettings {
    /// PBXs ordered for at once.
    pub parallelism: usize,
    /// See `--settle-period`.
    pub settle_ms: i64,
    /// When the plan's PBXs were last read (epoch ms).
    pub read_at_ms: i64,
}

/// Step 4: journals that the plan starts, then places its orders (see [`apply::execute`]).
/// `interrupt` is triggered from outside (Ctrl-C): no new order starts once it is.
///
/// `read_at_ms` is when the plan's PBXs were last read (the observation, or the saved plan's
/// check): read longer ago than [`apply::REREAD_AFTER_MS`], each is read again before its
/// first order.
pub async fn apply_plan(
    client: &Client,
    workspace: Workspace,
    plan: &Plan,
    how: ApplySettings,
    orders: Option<apply::ListRead>,
    interrupt: Arc<Interrupt>,
    progress: &dyn Progress,
) -> Result<ApplyReport, JournalError> {
    let ApplySettings {
        parallelism,
        settle_ms,
        read_at_ms,
    } = how;
    let Workspace { _lock, mut journal } = workspace;
    let entries = journal.entries()?;
    let sent = crate::ledger::sent_before(&entries, journal.now_ms(), settle_ms);
    let reread = journal.now_ms() - read_at_ms > apply::REREAD_AFTER_MS;
    let guard = apply::Guard {
        settle_ms,
        sent,
        reread,
        orders,
    };
    journal.append(&Entry {
        at_ms: journal.now_ms(),
        plan_id: plan.plan_id.clone(),
        po_number: String::new(),
        sn: String::new(),
        product: 0,
        operation: String::new(),
        state: EntryState::PlanStarted,
        order_no: None,
        detail: None,
        fingerprint: None,
        keys: crate::plan::KEYS_VERSION,
        account: None,
    })?;
    let journal = Arc::new(Mutex::new(journal));
    let mut report = apply::execute(
        client,
        plan,
        journal.clone(),
        parallelism,
        interrupt,
        guard,
        progress,
    )
    .await;
    // A lock lost after the last order still means another apply may have run meanwhile:
    // said, and never an exit 0.
    if report.stopped_by.is_none()
        && journal
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .lock_lost()
    {
        report.stopped_by = Some(apply::Stop::LockLost);
        report.interrupted = true;
    }
    report.lock_session_ended = report.stopped_by != Some(apply::Stop::LockLost)
        && matches!(&_lock, Held::Db(lock) if lock.session_ended());
    Ok(report)
}
