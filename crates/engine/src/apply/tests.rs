//! Executor and resolution tests against a fake vendor that records what it was sent and what
//! the journal held at that moment.

use std::sync::{Arc, Mutex};

use super::*;
use crate::model::*;
use crate::plan::{Action, ActionKind, PbxPlan, Plan, PoNumber};
use crate::testing;
use crate::wire::OrderBody;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct FakeError(String);

/// A body sent, and the journal's last state for its poNumber at that moment.
type Sent = (OrderBody, Option<EntryState>);

#[derive(Clone)]
struct Fake {
    journal_path: std::path::PathBuf,
    state: ObservedPbx,
    /// Outcomes of successive saves.
    outcomes: Arc<Mutex<Vec<SendOutcome<FakeError>>>>,
    /// For each save: the body and the journal's last state for its poNumber at that moment.
    sent: Arc<Mutex<Vec<Sent>>>,
    orders: Vec<Order>,
    /// Reads of the order list so far.
    list_reads: Arc<std::sync::atomic::AtomicUsize>,
}

impl crate::observe::Source for Fake {
    type Error = FakeError;
    fn is_not_found(e: &FakeError) -> bool {
        e.0.starts_with("no order")
    }
    async fn instance(&self, _: ProductId, _: &str) -> Result<ObservedPbx, FakeError> {
        Ok(self.state.clone())
    }
    async fn auto_renew(&self, _: ProductId, _: &str) -> Result<bool, FakeError> {
        Ok(false)
    }
    async fn catalog(&self, _: ProductId, _: Option<&str>) -> Result<Catalog, FakeError> {
        Err(FakeError("no catalog".into()))
    }
    async fn billing_contacts(&self) -> Result<Vec<Contact>, FakeError> {
        Ok(vec![])
    }
    async fn recent_orders(&self, _: i64) -> Result<Vec<Order>, FakeError> {
        self.list_reads
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.orders.clone())
    }
    async fn sns(&self, _: ProductId) -> Result<Vec<String>, FakeError> {
        Ok(vec![self.state.sn.clone()])
    }
}

impl Vendor for Fake {
    async fn save_order(&self, body: &OrderBody) -> SendOutcome<FakeError> {
        let entries = journal::read(&self.journal_path).unwrap();
        let po = body.po_number.clone().unwrap();
        let state = journal::latest(&entries).get(po.as_str()).map(|e| e.state);
        self.sent.lock().unwrap().push((body.clone(), state));
        self.outcomes.lock().unwrap().remove(0)
    }
    async fn order(&self, id_or_no: &str) -> Result<Order, FakeError> {
        self.orders
            .iter()
            .find(|o| o.order_no == id_or_no)
            .cloned()
            .ok_or_else(|| FakeError(format!("no order {id_or_no}")))
    }
    async fn enable_auto_renew(&self, _: ProductId, _: &str, _: Id) -> Result<(), FakeError> {
        Ok(())
    }
}

/// PBX SN1 on the Software Edition: 100 extensions, 30 calls.
fn observed() -> ObservedPbx {
    ObservedPbx {
        extensions: 100,
        concurrent_calls: 30,
        ..testing::observed("SN1", 12)
    }
}

fn action(kind: ActionKind, po: &str) -> Action {
    testing::action(kind, Some(testing::order_body(kind, 12, "SN1", po)))
}

fn plan(actions: Vec<Action>) -> Plan {
    Plan {
        format_version: "1.0".into(),
        plan_id: "plan-x".into(),
        manifest_hash: "h".into(),
        ..testing::plan(vec![testing::pbx_plan(observed(), actions)])
    }
}

/// The report's only order was skipped, for the reason given.
fn assert_skipped(r: &ApplyReport, why: &str) {
    assert_eq!(r.orders[0].outcome, Outcome::Skipped);
    let message = r.orders[0].message.as_deref().unwrap_or_default();
    assert!(message.contains(why), "{message}");
}

/// An order of PBX SN1 as the vendor's order list shows it.
fn order_of_sn1(order_no: &str, status: OrderStatus, reference: &str) -> Order {
    Order {
        id: Id(5),
        order_no: order_no.into(),
        status,
        created_ms: 1_795_000_000_000,
        product: ProductId(12),
        sn: "SN1".into(),
        operation_type: "switch_plan".into(),
        reference: Some(reference.into()),
        total_amount: "1.00".into(),
        currency: "USD".into(),
    }
}

/// 2026-11-22T09:00:00Z.
const NOW: i64 = 1_795_338_000_000;

/// The settle period of these tests: ten minutes.
const SETTLE: i64 = 600_000;

/// The tests' clock: [`NOW`], stopped.
fn clock() -> crate::clock::Clock {
    crate::clock::Clock::stopped(NOW)
}

/// A journal entry of PBX SN1, sent at `at_ms`, planned from the fingerprint of [`observed`].
fn entry(po: &str, state: EntryState, at_ms: i64) -> Entry {
    Entry {
        at_ms,
        plan_id: "plan-x".into(),
        po_number: po.into(),
        sn: "SN1".into(),
        product: 12,
        operation: "switch_plan".into(),
        state,
        order_no: None,
        detail: None,
        fingerprint: Some(crate::plan::fingerprint(&observed())),
        keys: crate::plan::KEYS_VERSION,
        account: None,
        desired: None,
        unmet: Vec::new(),
    }
}

/// An order of SN1 created at `created_ms`, echoing `reference` (empty: no echo).
fn listed(order_no: &str, reference: &str, created_ms: i64) -> Order {
    Order {
        created_ms,
        reference: Some(reference.to_owned()).filter(|r| !r.is_empty()),
        ..order_of_sn1(order_no, OrderStatus::Succeed, "")
    }
}

/// Resolves `f`'s journal as of `now`.
async fn resolve_at(f: &Fake, now: i64) -> Resolution {
    let mut j = Journal::open(&f.journal_path, crate::clock::Clock::stopped(now)).unwrap();
    resolve_leftovers(f, &mut j, SETTLE).await.unwrap()
}

fn journal_with(f: &Fake, entries: &[Entry]) {
    let mut j = Journal::open(&f.journal_path, clock()).unwrap();
    for e in entries {
        j.append(e).unwrap();
    }
}

fn fake(dir: &std::path::Path, outcomes: Vec<SendOutcome<FakeError>>) -> Fake {
    Fake {
        journal_path: dir.join("journal.jsonl"),
        state: observed(),
        outcomes: Arc::new(Mutex::new(outcomes)),
        sent: Arc::default(),
        orders: vec![],
        list_reads: Arc::default(),
    }
}

/// A PBX of product 12 buying a service, under `po`.
fn buying(sn: &str, po: &str) -> PbxPlan {
    testing::pbx_plan(
        testing::observed(sn, 12),
        vec![testing::action(
            ActionKind::PurchaseService,
            Some(testing::order_body(ActionKind::PurchaseService, 12, sn, po)),
        )],
    )
}

/// Executes `p` with `journal`, `parallelism` PBXs at a time, each PBX read again before its
/// first order when `reread`.
async fn execute_with(
    f: &Fake,
    p: &Plan,
    journal: Journal,
    parallelism: usize,
    reread: bool,
) -> ApplyReport {
    execute(
        f,
        p,
        Arc::new(Mutex::new(journal)),
        parallelism,
        Arc::new(Interrupt::default()),
        Guard {
            settle_ms: SETTLE,
            reread,
            ..Guard::default()
        },
        &crate::observe::Silent,
    )
    .await
}

/// Executes `p` on `f`'s journal, 4 PBXs at a time, each read again before its first order.
async fn run(f: &Fake, p: &Plan) -> ApplyReport {
    let journal = Journal::open(&f.journal_path, clock()).unwrap();
    execute_with(f, p, journal, 4, true).await
}

fn placed(status: &str) -> SendOutcome<FakeError> {
    SendOutcome::Placed {
        order_no: "UO1".into(),
        status: OrderStatus::parse(status),
    }
}

#[tokio::test]
async fn the_intent_is_journaled_before_each_send_and_the_outcome_after() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(dir.path(), vec![placed("succeed"), placed("succeed")]);
    let p = plan(vec![
        action(ActionKind::SwitchPlan, "ent-1"),
        action(ActionKind::PurchaseService, "ent-2"),
    ]);
    let r = run(&f, &p).await;
    assert_eq!(r.count(Outcome::Done), 2);
    let sent = f.sent.lock().unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, s)| *s == Some(EntryState::Sending)));
    let entries = journal::read(&f.journal_path).unwrap();
    let states: Vec<_> = entries
        .iter()
        .map(|e| (e.po_number.as_str(), e.state))
        .collect();
    assert_eq!(
        states,
        vec![
            ("ent-1", EntryState::Sending),
            ("ent-1", EntryState::Done),
            ("ent-2", EntryState::Sending),
            ("ent-2", EntryState::Done)
        ]
    );
}

#[tokio::test]
async fn an_unknown_outcome_stops_the_pbx_and_is_never_resent() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(
        dir.path(),
        vec![SendOutcome::Unknown(FakeError("500 internal_error".into()))],
    );
    let p = plan(vec![
        action(ActionKind::SwitchPlan, "ent-1"),
        action(ActionKind::PurchaseService, "ent-2"),
    ]);
    let r = run(&f, &p).await;
    assert_eq!(
        r.orders.iter().map(|o| o.outcome).collect::<Vec<_>>(),
        vec![Outcome::Unknown, Outcome::Skipped]
    );
    assert_eq!(f.sent.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_pbx_that_moved_since_the_plan_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    f.state.extensions = 150;
    let r = run(
        &f,
        &plan(vec![action(ActionKind::PurchaseService, "ent-1")]),
    )
    .await;
    assert_skipped(&r, "extensions: 100 → 150");
    assert!(f.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn leftovers_are_found_by_reference_and_absent_only_after_the_settle_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    journal_with(
        &f,
        &[
            entry("ent-found", EntryState::Sending, NOW),
            entry("ent-missing", EntryState::Unknown, NOW),
        ],
    );
    f.orders = vec![listed("UO5", "ent-found", NOW + 3_000)];
    let res = resolve_at(&f, NOW + 60_000).await;
    assert_eq!(
        res.found,
        vec![crate::ledger::Found {
            po_number: "ent-found".into(),
            order_no: "UO5".into(),
            status: "succeed".into()
        }]
    );
    // No evidence yet, and the vendor may still show it: in doubt, nothing journaled.
    assert!(res.absent.is_empty());
    assert_eq!(res.in_doubt.len(), 1);
    let crate::model::PbxDoubt { sn, doubt, .. } = &res.in_doubt[0];
    assert_eq!((sn.as_str(), doubt.until_ms), ("SN1", NOW + SETTLE));
    let last = |po: &str| {
        let entries = journal::read(&f.journal_path).unwrap();
        journal::latest(&entries)[po].state
    };
    assert_eq!(last("ent-found"), EntryState::Done);
    assert_eq!(last("ent-missing"), EntryState::Unknown);
    // A plan a moment before the period ends changes nothing either.
    assert_eq!(resolve_at(&f, NOW + SETTLE - 1).await.in_doubt.len(), 1);
    assert_eq!(last("ent-missing"), EntryState::Unknown);
    // Once it has passed with no trace: absent, and resolved for good.
    let res = resolve_at(&f, NOW + SETTLE).await;
    assert_eq!(res.absent, vec![PoNumber::from("ent-missing")]);
    assert_eq!(last("ent-missing"), EntryState::Absent);
    let again = resolve_at(&f, NOW + 2 * SETTLE).await;
    assert!(again.found.is_empty() && again.absent.is_empty() && again.in_doubt.is_empty());
}

#[tokio::test]
async fn without_reference_echo_an_order_is_found_by_pbx_operation_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    journal_with(
        &f,
        &[
            entry("ent-a", EntryState::Unknown, NOW),
            entry("ent-b", EntryState::Unknown, NOW + 1_000),
        ],
    );
    // Older than the intent beyond the skew: someone's earlier order, not ours. One order
    // created since: it is ent-a's (the earliest intent), and no one else's.
    f.orders = vec![
        listed("UO1", "", NOW - crate::ledger::CLOCK_SKEW_MS - 1),
        listed("UO2", "", NOW + 2_000),
    ];
    let res = resolve_at(&f, NOW + 60_000).await;
    assert_eq!(
        res.found,
        vec![crate::ledger::Found {
            po_number: "ent-a".into(),
            order_no: "UO2".into(),
            status: "succeed".into()
        }]
    );
    assert_eq!(
        res.in_doubt
            .iter()
            .map(|d| d.doubt.po_number.clone())
            .collect::<Vec<_>>(),
        [Some("ent-b".into())]
    );
    // An order echoing another reference is another's, never ours.
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    journal_with(&f, &[entry("ent-a", EntryState::Unknown, NOW)]);
    f.orders = vec![listed("UO3", "ent-someone-else", NOW + 2_000)];
    assert_eq!(resolve_at(&f, NOW + 60_000).await.in_doubt.len(), 1);
    // An order another journal entry stands for is not claimed twice.
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    let mut done = entry("ent-old", EntryState::Done, NOW);
    done.order_no = Some("UO4".into());
    journal_with(&f, &[done, entry("ent-a", EntryState::Unknown, NOW)]);
    f.orders = vec![listed("UO4", "", NOW + 2_000)];
    assert_eq!(resolve_at(&f, NOW + 60_000).await.in_doubt.len(), 1);
}

#[tokio::test]
async fn an_unlisted_order_whose_pbx_changed_is_taken_as_placed() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    journal_with(&f, &[entry("ent-a", EntryState::Sending, NOW)]);
    f.state.extensions = 300;
    let res = resolve_at(&f, NOW + 1_000).await;
    assert_eq!(
        res.took_effect,
        vec![crate::ledger::TookEffect {
            po_number: "ent-a".into(),
            sn: "SN1".into()
        }]
    );
    assert!(res.in_doubt.is_empty() && res.absent.is_empty());
    let entries = journal::read(&f.journal_path).unwrap();
    assert_eq!(journal::latest(&entries)["ent-a"].state, EntryState::Done);
}

#[tokio::test]
async fn a_pending_order_the_vendor_no_longer_knows_is_resolved_by_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(dir.path(), vec![]);
    let mut pending = entry("ent-p", EntryState::Pending, NOW);
    pending.order_no = Some("UO9".into());
    journal_with(&f, &[pending]);
    // 404 and no trace: in doubt first, never a wedge ...
    let res = resolve_at(&f, NOW + 1_000).await;
    assert_eq!(res.in_doubt.len(), 1);
    assert!(
        res.in_doubt[0]
            .doubt
            .reason
            .contains("no longer knows order UO9")
    );
    // ... and absent once the settle period has passed.
    let res = resolve_at(&f, NOW + SETTLE).await;
    assert_eq!(res.absent, vec![PoNumber::from("ent-p")]);
    let again = resolve_at(&f, NOW + 2 * SETTLE).await;
    assert!(again.absent.is_empty() && again.in_doubt.is_empty());
}

#[tokio::test]
async fn an_order_placed_elsewhere_since_the_plan_blocks_the_pbx() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![placed("succeed")]);
    f.orders = vec![order_of_sn1(
        "UO7",
        OrderStatus::Pending,
        "ent-other-workspace",
    )];
    let r = run(
        &f,
        &plan(vec![action(ActionKind::PurchaseService, "ent-1")]),
    )
    .await;
    assert_skipped(&r, "someone else acted: order UO7");
    assert!(f.sent.lock().unwrap().is_empty());
}

#[tokio::test]
async fn journaled_pending_orders_are_followed_until_they_settle() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    let mut pending = entry("ent-p", EntryState::Pending, 1);
    pending.order_no = Some("UO9".into());
    journal_with(&f, &[pending]);
    let order = |status| order_of_sn1("UO9", status, "ent-p");

    f.orders = vec![order(OrderStatus::Pending)];
    let res = resolve_at(&f, NOW).await;
    assert_eq!(res.pending, vec![order(OrderStatus::Pending)]);

    f.orders = vec![order(OrderStatus::Succeed)];
    let res = resolve_at(&f, NOW).await;
    assert!(res.pending.is_empty() && res.in_doubt.is_empty());
    let entries = journal::read(&f.journal_path).unwrap();
    assert_eq!(journal::latest(&entries)["ent-p"].state, EntryState::Done);
}

/// A full disk before the send: the intent cannot be written, so the order is not sent, and
/// no other PBX's order starts.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_full_disk_before_the_send_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(dir.path(), vec![placed("succeed"), placed("succeed")]);
    let mut p = plan(vec![
        action(ActionKind::SwitchPlan, "ent-1"),
        action(ActionKind::PurchaseService, "ent-2"),
    ]);
    // A second PBX: its order must not start either.
    p.pbxs.push(buying("SN2", "ent-3"));
    let r = execute_with(&f, &p, Journal::on_full_disk(clock()), 4, false).await;
    assert!(
        f.sent.lock().unwrap().is_empty(),
        "an order without its intent"
    );
    // A failure of the run's own records, never taken for an interrupt.
    assert_eq!(r.stopped_by, Some(Stop::Journal));
    assert_eq!(r.orders.len(), 3, "{:?}", r.orders);
    assert!(
        r.orders.iter().all(|o| o.outcome == Outcome::Skipped),
        "{:?}",
        r.orders
    );
    assert!(
        r.orders.iter().any(|o| o
            .message
            .as_deref()
            .is_some_and(|m| m.contains("No space left on device"))),
        "{:?}",
        r.orders
    );
}

/// One read of the order list serves the checks of many PBXs, until another apply is seen
/// acting on this run's PBXs: from then on each check reads the list afresh.
#[tokio::test(start_paused = true)]
async fn once_another_apply_is_seen_every_check_reads_the_list_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(dir.path(), vec![]);
    let reads = || f.list_reads.load(std::sync::atomic::Ordering::SeqCst);
    let book = super::book::OrderBook::new(f.clone(), 0);
    for _ in 0..3 {
        book.orders().await.unwrap();
    }
    assert_eq!(reads(), 1, "one read serves checks within its age");
    book.contended();
    for _ in 0..3 {
        book.orders().await.unwrap();
    }
    assert_eq!(reads(), 4, "each check reads afresh once contended");
}

/// The executor marks the book contended when it finds someone else's order on a PBX: every
/// later check reads the list afresh (here every PBX has one, so each check after the first
/// reads again, whatever order the PBXs are taken in).
#[tokio::test(start_paused = true)]
async fn an_order_placed_elsewhere_makes_later_checks_read_afresh() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = fake(dir.path(), vec![]);
    let mut p = plan(vec![action(ActionKind::SwitchPlan, "ent-1")]);
    f.orders = vec![order_of_sn1("UO9", OrderStatus::Succeed, "")];
    for (i, sn) in ["SN2", "SN3"].into_iter().enumerate() {
        p.pbxs.push(buying(sn, &format!("ent-{sn}")));
        f.orders.push(Order {
            order_no: format!("UO1{i}"),
            sn: sn.into(),
            ..order_of_sn1("UO0", OrderStatus::Succeed, "")
        });
    }
    // One PBX at a time, so each check follows the one before.
    let journal = Journal::open(&f.journal_path, clock()).unwrap();
    let r = execute_with(&f, &p, journal, 1, false).await;
    assert!(
        r.orders.iter().all(|o| o.outcome == Outcome::Skipped),
        "{:?}",
        r.orders
    );
    assert!(f.sent.lock().unwrap().is_empty());
    // The clock is paused: without contention one read would have served all three checks.
    assert_eq!(f.list_reads.load(std::sync::atomic::Ordering::SeqCst), 3);
}

/// A task that panics mid-save (here the fake vendor has no outcome left to give) is not a
/// silent gap in the summary: the order it had journaled is reported unknown and journaled as
/// such, so the apply exits 5 and the next run resolves it; the order after it never started.
#[tokio::test]
async fn a_panicked_order_task_is_an_unknown_outcome_journaled_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(dir.path(), vec![]);
    let p = plan(vec![
        action(ActionKind::SwitchPlan, "ent-1"),
        action(ActionKind::PurchaseService, "ent-2"),
    ]);
    let r = run(&f, &p).await;
    assert_eq!(f.sent.lock().unwrap().len(), 1, "the first save was sent");
    let outcomes: Vec<Outcome> = r.orders.iter().map(|o| o.outcome).collect();
    assert_eq!(outcomes, [Outcome::Unknown, Outcome::Skipped]);
    assert!(
        r.orders[0]
            .message
            .as_deref()
            .is_some_and(|m| m.contains("a panic")),
        "{:?}",
        r.orders[0].message
    );
    let entries = journal::read(&f.journal_path).unwrap();
    let last = journal::latest(&entries);
    assert_eq!(last["ent-1"].state, EntryState::Unknown);
    assert!(!last.contains_key("ent-2"), "never started");
}
