//! The executor: PBXs concurrently (bounded, in a random order), each PBX's actions in order.
//! Before a PBX's first order it is skipped if one of its orders was sent before (the journal),
//! if someone else placed an order on it since the plan (the order list, see [`super::book`]),
//! or if a re-read shows it moved since the plan; each order's intent is
//! journaled and fsynced before it is sent, exactly once; a PBX's later actions are skipped
//! when an earlier one did not complete; an interrupt stops new orders from starting.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::book::{ListRead, OrderBook};
use super::journal::{Entry, EntryState, Journal, JournalError};
use super::{SendOutcome, Vendor};
use crate::clock::Clock;
use crate::ledger::book_since;
use crate::model::{OrderStatus, Price, ProductId};
use crate::plan::{ActionKind, PbxPlan, Plan};

/// What happened to one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    /// Placed, awaiting payment.
    Pending,
    /// Not sent: the PBX moved, an earlier order failed, or apply was interrupted.
    Skipped,
    /// Refused or failed; nothing bought.
    Failed,
    /// Sent, outcome unknown; resolved on the next run.
    Unknown,
}

/// One action's result, for the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderReport {
    pub sn: String,
    pub product: ProductId,
    pub kind: ActionKind,
    pub po_number: Option<crate::plan::PoNumber>,
    pub outcome: Outcome,
    pub order_no: Option<String>,
    pub status: Option<String>,
    /// The plan's figure for it (the calculator's quote).
    pub price: Option<Price>,
    /// What the vendor's order list says it cost, read once after the last order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charged: Option<Price>,
    pub message: Option<String>,
}

/// Outcome of a whole apply.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub format_version: String,
    pub plan_id: String,
    pub orders: Vec<OrderReport>,
    /// Stopped before every order started, by a signal or by the journal.
    pub interrupted: bool,
    /// What stopped it, when something did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_by: Option<Stop>,
    /// The shared backend's lock session ended during the run, and no other apply took the
    /// lock (else it is [`Stop::LockLost`]): nothing was at risk, but it is said.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub lock_session_ended: bool,
}

/// What stops new orders from starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// Ctrl-C.
    Sigint,
    /// What a CI runner or a service manager sends to cancel.
    Sigterm,
    /// The terminal went away.
    Sighup,
    /// The journal (a file, or the shared backend) could not be written: no order without its
    /// record.
    Journal,
    /// The shared backend's lock was lost: another apply may hold it now.
    LockLost,
}

impl Stop {
    fn code(self) -> u8 {
        match self {
            Stop::Sigint => 1,
            Stop::Sigterm => 2,
            Stop::Sighup => 3,
            Stop::Journal => 4,
            Stop::LockLost => 5,
        }
    }

    fn from_code(c: u8) -> Option<Stop> {
        Some(match c {
            1 => Stop::Sigint,
            2 => Stop::Sigterm,
            3 => Stop::Sighup,
            4 => Stop::Journal,
            5 => Stop::LockLost,
            _ => return None,
        })
    }
}

impl ApplyReport {
    pub fn count(&self, o: Outcome) -> usize {
        self.orders.iter().filter(|r| r.outcome == o).count()
    }

    /// What each placed order cost, from the vendor's order list (by order number).
    pub fn record_charges(&mut self, listed: &[crate::model::Order]) {
        for r in &mut self.orders {
            let Some(no) = &r.order_no else { continue };
            if let Some(o) = listed.iter().find(|o| &o.order_no == no) {
                r.charged = Some(Price {
                    currency: o.currency.clone(),
                    total: o.total_amount.clone(),
                });
            }
        }
    }

    /// What the orders cost in all, per currency, as the vendor's order list says.
    pub fn charged(&self) -> Vec<Price> {
        crate::plan::money::sum(self.orders.iter().filter_map(|r| r.charged.as_ref())).0
    }
}

/// A PBX of a saved plan that changed since the plan was made (its key, `SN (product)`), and
/// what moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedPbx {
    pub pbx: String,
    pub changes: Vec<String>,
}

/// For a saved plan: re-reads every PBX with actions and lists those whose fingerprint moved,
/// with what moved. Reads only; nothing is sent.
pub async fn stale_pbxs<V: Vendor>(
    vendor: &V,
    plan: &Plan,
    parallelism: usize,
) -> Result<Vec<MovedPbx>, V::Error> {
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    for (i, p) in plan
        .pbxs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.has_changes())
    {
        let vendor = vendor.clone();
        let permits = permits.clone();
        let p = p.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let now = vendor.instance(p.product, &p.sn).await;
            (i, p, now)
        });
    }
    let mut stale = BTreeMap::new();
    let mut unchecked = 0;
    while let Some(joined) = tasks.join_next().await {
        // A read task that stopped checked nothing: the plan is not taken as fresh for it.
        let Ok((i, p, now)) = joined else {
            unchecked += 1;
            continue;
        };
        if let Some(crate::ledger::Hold::Moved(what)) = crate::ledger::changed_since_plan(&p, &now?)
        {
            stale.insert(
                i,
                MovedPbx {
                    pbx: p.key(),
                    changes: what,
                },
            );
        }
    }
    let mut stale: Vec<_> = stale.into_values().collect();
    if unchecked > 0 {
        stale.push(MovedPbx {
            pbx: crate::words::plural(unchecked, "PBX", "PBXs"),
            changes: vec!["could not be read again (a read task stopped)".to_owned()],
        });
    }
    Ok(stale)
}

fn report(
    p: &PbxPlan,
    a: &crate::plan::Action,
    outcome: Outcome,
    message: Option<String>,
) -> OrderReport {
    OrderReport {
        sn: p.sn.clone(),
        product: p.product,
        kind: a.kind,
        po_number: a.po_number().map(Into::into),
        outcome,
        order_no: None,
        status: None,
        price: a.price.clone(),
        charged: None,
        message,
    }
}

fn skip_all(p: &PbxPlan, message: &str) -> Vec<OrderReport> {
    p.actions
        .iter()
        .map(|a| report(p, a, Outcome::Skipped, Some(message.to_owned())))
        .collect()
}

/// Ctrl-C, shared by the signal watcher and the executor: once triggered no new order starts;
/// the orders already sent finish and are journaled.
#[derive(Debug, Default)]
pub struct Interrupt {
    /// The first [`Stop`] (its code), 0 until then: set once, it stops every new order.
    cause: AtomicU8,
    /// Orders between their start check and their journaled outcome.
    sending: AtomicUsize,
}

impl Interrupt {
    /// Stops new orders for `why`; the first cause is kept. Returns how many orders are being
    /// sent right now.
    pub fn stop(&self, why: Stop) -> usize {
        let _ = self
            .cause
            .compare_exchange(0, why.code(), Ordering::SeqCst, Ordering::SeqCst);
        self.sending.load(Ordering::SeqCst)
    }

    /// What stopped new orders, if anything did.
    pub fn cause(&self) -> Option<Stop> {
        Stop::from_code(self.cause.load(Ordering::SeqCst))
    }

    pub fn is_triggered(&self) -> bool {
        self.cause.load(Ordering::SeqCst) != 0
    }

    /// Marks an order as being sent, unless the interrupt came first. Counted before the check,
    /// so a [`Interrupt::trigger`] that returns 0 saw every order that will still go out.
    fn start_sending(&self) -> bool {
        self.sending.fetch_add(1, Ordering::SeqCst);
        if self.is_triggered() {
            self.sending.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        true
    }

    fn done_sending(&self) {
        self.sending.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What guards a run against buying what was bought already.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// How long after an order its effect may take to show (epoch ms): orders placed on a PBX
    /// since `plan.observed_at_ms` less this, and not seen by the plan, mean someone acted.
    pub settle_ms: i64,
    /// poNumbers the journal holds as sent (placed, pending, or of unknown outcome), with what
    /// became of them: such an order is never sent again.
    pub sent: BTreeMap<String, String>,
    /// Whether a PBX is read again just before its first order: when its state was read
    /// longer ago than [`REREAD_AFTER_MS`] (a confirmation prompt, an old saved plan).
    pub reread: bool,
    /// The order list since `ledger::book_since`, when the caller has just read it (a saved plan's
    /// replay check): the first checks use it instead of reading it again.
    pub orders: Option<ListRead>,
}

/// A PBX read longer ago than this is read again just before its first order: 30 seconds.
/// Within it, the order list (checked before each PBX's first order) already shows whoever
/// acted since, so a second read of every PBX would only double the requests.
pub const REREAD_AFTER_MS: i64 = 30_000;

/// Places the plan's orders. `interrupt` is triggered from outside (Ctrl-C): no new order starts
/// once it is; the ones in flight finish and are journaled.
pub async fn execute<V: Vendor>(
    vendor: &V,
    plan: &Plan,
    journal: Arc<Mutex<Journal>>,
    parallelism: usize,
    interrupt: Arc<Interrupt>,
    guard: Guard,
    progress: &dyn crate::observe::Progress,
) -> ApplyReport {
    let clock = journal.lock().unwrap_or_else(|p| p.into_inner()).clock();
    let since = book_since(plan, guard.settle_ms);
    let book = Arc::new(match &guard.orders {
        Some(read) => OrderBook::seeded(vendor.clone(), since, read.clone()),
        None => OrderBook::new(vendor.clone(), since),
    });
    let guard = Arc::new(guard);
    let permits = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut tasks = JoinSet::new();
    let mut task_pbx = BTreeMap::new();
    let mut by_pbx = BTreeMap::new();
    // Two applies started together must not walk the fleet in lockstep, each reaching a PBX
    // just as the other orders for it: each run takes the PBXs in its own random order.
    let mut order: Vec<usize> = plan
        .pbxs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.has_changes())
        .map(|(i, _)| i)
        .collect();
    fastrand::shuffle(&mut order);
    progress.start(order.len() as u64);
    for i in order {
        let p = plan.pbxs[i].clone();
        let vendor = vendor.clone();
        let permits = permits.clone();
        let journal = journal.clone();
        let interrupt = interrupt.clone();
        let book = book.clone();
        let guard = guard.clone();
        let plan_id = plan.plan_id.clone();
        let handle = tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.ok();
            let ctx = PbxRun {
                plan_id: &plan_id,
                journal: &journal,
                clock,
                interrupt: &interrupt,
                book: &book,
                guard: &guard,
            };
            (i, run_pbx(&vendor, &p, ctx).await)
        });
        task_pbx.insert(handle.id(), i);
    }
    while let Some(joined) = tasks.join_next_with_id().await {
        progress.advance();
        match joined {
            Ok((_, (i, reports))) => {
                by_pbx.insert(i, reports);
            }
            // A task that panicked (or was cancelled) may have sent an order: what its PBX's
            // journal says decides, and an order left `sending` is an unknown outcome, never
            // a silent gap in the summary.
            Err(e) => {
                let Some(&i) = task_pbx.get(&e.id()) else {
                    continue;
                };
                let why = if e.is_panic() {
                    "the task ordering for this PBX stopped (a panic)"
                } else {
                    "the task ordering for this PBX was cancelled"
                };
                by_pbx.insert(i, stopped_pbx(&plan.pbxs[i], &journal, why));
            }
        }
    }
    progress.finish();
    ApplyReport {
        format_version: crate::plan::FORMAT_VERSION.to_owned(),
        plan_id: plan.plan_id.clone(),
        orders: by_pbx.into_values().flatten().collect(),
        interrupted: interrupt.is_triggered(),
        stopped_by: interrupt.cause(),
        lock_session_ended: false,
    }
}

/// The reports of a PBX whose task stopped before it reported, from its journal: an order
/// whose last entry is its intent was (or may have been) sent, so it is unknown and journaled
/// as such; one never started is skipped; one with an outcome keeps it.
fn stopped_pbx(p: &PbxPlan, journal: &Mutex<Journal>, why: &str) -> Vec<OrderReport> {
    let mut journal = journal
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let entries = journal.entries().unwrap_or_default();
    let latest = super::journal::latest(&entries);
    let mut out = Vec::with_capacity(p.actions.len());
    for a in &p.actions {
        let last = a.po_number().and_then(|po| latest.get(po)).copied();
        let r = match last {
            Some(e) if e.state == EntryState::Sending => {
                let detail = format!("{why}: its outcome is unknown");
                let at_ms = journal.now_ms();
                let _ = journal.append(&Entry {
                    at_ms,
                    state: EntryState::Unknown,
                    detail: Some(detail.clone()),
                    ..e.clone()
                });
                report(p, a, Outcome::Unknown, Some(detail))
            }
            Some(e) => match e.state {
                EntryState::Done => report(p, a, Outcome::Done, None),
                EntryState::Pending => report(p, a, Outcome::Pending, None),
                EntryState::Failed | EntryState::Refused => {
                    report(p, a, Outcome::Failed, Some(why.to_owned()))
                }
                _ => report(p, a, Outcome::Unknown, Some(why.to_owned())),
            },
            None => report(
                p,
                a,
                Outcome::Skipped,
                Some(format!("{why} before this order started")),
            ),
        };
        out.push(r);
    }
    out
}

/// What every PBX's run shares.
struct PbxRun<'a, V> {
    plan_id: &'a str,
    journal: &'a Mutex<Journal>,
    clock: Clock,
    interrupt: &'a Interrupt,
    book: &'a OrderBook<V>,
    guard: &'a Guard,
}

/// Why a PBX's orders must not be sent, if they must not (the ledger decides, see
/// [`crate::ledger::acted_on`]): one of them was sent before, or an order the plan did not see
/// was placed on it since. Reads the order list (the book's cached read).
async fn acted_on<V: Vendor>(p: &PbxPlan, book: &OrderBook<V>, guard: &Guard) -> Option<String> {
    let orders = match book.orders().await {
        Ok(o) => o,
        Err(e) => {
            // Unless the journal already holds it: that says more.
            if let Some(hold) = crate::ledger::acted_on(p, &[], &guard.sent) {
                return Some(hold.describe());
            }
            return Some(format!(
                "could not check the order list for orders placed since the plan: {e}"
            ));
        }
    };
    let hold = crate::ledger::acted_on(p, &orders, &guard.sent)?;
    if matches!(hold, crate::ledger::Hold::OtherApply(_)) {
        book.contended();
    }
    Some(hold.describe())
}

async fn run_pbx<V: Vendor>(vendor: &V, p: &PbxPlan, ctx: PbxRun<'_, V>) -> Vec<OrderReport> {
    let PbxRun {
        plan_id,
        journal,
        clock,
        interrupt,
        book,
        guard,
    } = ctx;
    if interrupt.is_triggered() {
        return skip_all(p, "interrupted before this PBX started");
    }
    if let Some(why) = acted_on(p, book, guard).await {
        return skip_all(p, &why);
    }
    // Someone else (another workspace, the portal) may have changed it since it was read.
    if guard.reread {
        match vendor.instance(p.product, &p.sn).await {
            Ok(now) => {
                if let Some(hold) = crate::ledger::changed_since_plan(p, &now) {
                    return skip_all(p, &hold.describe());
                }
            }
            Err(e) => {
                return skip_all(p, &format!("could not re-read it before ordering: {e}"));
            }
        }
    }

    let mut out = Vec::with_capacity(p.actions.len());
    let mut blocked: Option<String> = None;
    // What the PBX should have once its orders are done, for later plans to tell whether the
    // manifest or the account changed since.
    let desired = p.desired.as_ref().map(crate::plan::drift::desired_digest);
    let unmet = crate::plan::drift::unmet(p);
    for a in &p.actions {
        if let Some(why) = &blocked {
            out.push(report(p, a, Outcome::Skipped, Some(why.clone())));
            continue;
        }
        if !interrupt.start_sending() {
            out.push(report(p, a, Outcome::Skipped, Some("interrupted".into())));
            blocked = Some("interrupted".into());
            continue;
        }
        let r = match &a.order {
            Some(body) => {
                let po = body.po_number.clone().unwrap_or_default();
                let entry = |state, order_no: Option<String>, detail: Option<String>| Entry {
                    at_ms: clock.now_ms(),
                    plan_id: plan_id.to_owned(),
                    po_number: po.clone().into(),
                    sn: p.sn.clone(),
                    product: p.product.0,
                    operation: a.kind.as_str().to_owned(),
                    state,
                    order_no,
                    detail,
                    fingerprint: Some(p.fingerprint.clone()),
                    keys: crate::plan::KEYS_VERSION,
                    account: None,
                    desired: desired.clone(),
                    unmet: unmet.clone(),
                };
                // The intent is on disk before the order leaves; if this fails, nothing is sent.
                let intent = journal
                    .lock()
                    .map_err(|_| (Stop::Journal, "journal lock poisoned".to_owned()))
                    .and_then(|mut j| {
                        j.append(&entry(EntryState::Sending, None, None))
                            .map_err(|e| match e {
                                JournalError::LockLost(_) => (Stop::LockLost, e.to_string()),
                                e => (Stop::Journal, e.to_string()),
                            })
                    });
                if let Err((stop, e)) = intent {
                    // A journal that cannot be written stops every PBX: no order without its
                    // record; a lock another apply took, likewise.
                    interrupt.stop(stop);
                    interrupt.done_sending();
                    out.push(report(p, a, Outcome::Skipped, Some(e)));
                    blocked = Some("the journal could not be written".into());
                    continue;
                }
                let sent = vendor.save_order(body).await;
                book.placed();
                let mut refused = false;
                let (outcome, order_no, status, message) = match sent {
                    SendOutcome::Placed { order_no, status } => {
                        let outcome = match &status {
                            OrderStatus::Succeed => Outcome::Done,
                            s if s.is_in_flight() => Outcome::Pending,
                            _ => Outcome::Failed,
                        };
                        (outcome, Some(order_no), Some(status.to_string()), None)
                    }
                    SendOutcome::NotSent(e) => {
                        (Outcome::Failed, None, None, Some(format!("not sent: {e}")))
                    }
                    SendOutcome::Refused(e) => {
                        refused = true;
                        // A renewal that leaves a service out may be refused for it: say how
                        // to keep the service or end it.
                        let help = crate::plan::renewal_refusal_help(&p.observed, a)
                            .map(|h| format!("; {h}"))
                            .unwrap_or_default();
                        (Outcome::Failed, None, None, Some(format!("{e}{help}")))
                    }
                    SendOutcome::Unknown(e) => (Outcome::Unknown, None, None, Some(e.to_string())),
                };
                let state = match outcome {
                    Outcome::Done => EntryState::Done,
                    Outcome::Pending => EntryState::Pending,
                    // Refused after it was sent: the next run looks for it before ordering
                    // for this PBX again.
                    Outcome::Failed if refused => EntryState::Refused,
                    Outcome::Failed | Outcome::Skipped => EntryState::Failed,
                    Outcome::Unknown => EntryState::Unknown,
                };
                // A failed (or, after a crash, lost) write here leaves `sending`, which the next
                // run resolves by evidence: the outcome is not worth an fsync per order.
                if let Ok(mut j) = journal.lock() {
                    let _ = j.append_unsynced(&entry(state, order_no.clone(), message.clone()));
                }
                OrderReport {
                    order_no,
                    status,
                    ..report(p, a, outcome, message)
                }
            }
            None => {
                let target = a.auto_renew_target.unwrap_or_default();
                match vendor.enable_auto_renew(p.product, &p.sn, target).await {
                    Ok(()) => report(p, a, Outcome::Done, None),
                    Err(e) => report(p, a, Outcome::Failed, Some(e.to_string())),
                }
            }
        };
        interrupt.done_sending();
        blocked = match r.outcome {
            Outcome::Done => None,
            Outcome::Pending => Some(format!(
                "waits for order {} to be paid",
                r.order_no.as_deref().unwrap_or("?")
            )),
            _ => Some(format!("an earlier {} did not complete", a.kind)),
        };
        out.push(r);
    }
    out
}
