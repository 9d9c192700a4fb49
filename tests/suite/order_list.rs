//! Finding the recent orders at a cost that grows with the window, not with the account's
//! history (vendor-api section 8: `sort` may be ignored, pages may hold 50, times may be in
//! seconds). A scripted vendor, written from the contract, lists a long history oldest first,
//! newest first or in no order; the tests assert the exact pages asked for and the exact orders
//! found, through the client and through the binary (what `-v` and a plain run say).

use std::process::Output;

use crate::support::scripted::{CLIENT_ID, Fixture, Recorded, Reply, SECRET, client};
use entitle::api::{ListOrder, WholeRead};
use serde_json::{Value, json};

const ORDERS: &str = "/order/openapi/order/v1/page";
const DETAIL: &str = "/product/openapi/instance_product/v1/detail";

/// 2026-11-22T09:00:00Z in epoch seconds: `--now` of the binary's runs.
const NOW_SECS: i64 = 1_795_338_000;

/// The server's page size, whatever `pageSize` asks (the sibling API caps at 50).
const CAP: usize = 50;

/// How the vendor lists its orders, whatever `sort` asks.
#[derive(Clone, Copy)]
enum Listed {
    OldestFirst,
    NewestFirst,
    /// A fixed shuffle: in no order of creation time.
    Shuffled,
}

/// Order `n`, created at `secs` (epoch seconds, as documented), with the 19-digit id as a
/// string and no `customReferenceNo`.
fn order(n: u64, secs: i64) -> Value {
    json!({"id": format!("{}", 3_206_271_046_934_000_000u64 + n), "orderNo": format!("UO{n}"),
           "orderStatus": "succeed", "createTime": secs, "currencyCode": "USD",
           "productId": "12", "productNo": "OTHER00001", "operationType": "purchase_service",
           "totalAmount": "10.00"})
}

/// The answer to `req` for a list of `(n, createTime)` orders listed as `listed`, in pages of
/// [`CAP`], with `pageSize`, `total` and `totalPage` as the server used them.
fn answer(orders: &[(u64, i64)], listed: Listed, req: &Recorded) -> Reply {
    let mut list = orders.to_vec();
    match listed {
        Listed::OldestFirst => list.sort_by_key(|(_, t)| *t),
        Listed::NewestFirst => list.sort_by_key(|(_, t)| std::cmp::Reverse(*t)),
        Listed::Shuffled => list.sort_by_key(|(n, _)| (n * 389) % 1009),
    }
    let n = req.page_no().unwrap() as usize;
    let results: Vec<Value> = list
        .iter()
        .skip((n - 1) * CAP)
        .take(CAP)
        .map(|(i, t)| order(*i, *t))
        .collect();
    Reply::ok(json!({"count": results.len(), "pageNo": n, "pageSize": CAP,
                     "results": results, "total": list.len(),
                     "totalPage": list.len().div_ceil(CAP)}))
}

/// When order `n` of a history of `count` was created (epoch seconds): one an hour, order
/// `n` `count - n` hours less half an hour old, so that no order sits on a window of whole
/// hours or days (the binary's clock runs on from `--now` while it works).
fn at(count: u64, n: u64) -> i64 {
    NOW_SECS - 3600 * (count - n) as i64 + 1800
}

/// `count` orders, one an hour, the newest half an hour before [`NOW_SECS`].
fn history(count: u64) -> Vec<(u64, i64)> {
    (0..count).map(|n| (n, at(count, n))).collect()
}

/// The moment just before order `n` of [`history`] (epoch ms): a window starting there holds
/// orders `n` and newer.
fn since(count: u64, n: u64) -> i64 {
    at(count, n) * 1000 - 1
}

async fn vendor(orders: Vec<(u64, i64)>, listed: Listed) -> Fixture {
    Fixture::builder()
        .on_fn(ORDERS, move |req, _| answer(&orders, listed, req))
        .start()
        .await
}

fn pages(fx: &Fixture) -> Vec<usize> {
    fx.requests_to(ORDERS)
        .iter()
        .map(|r| r.page_no().unwrap() as usize)
        .collect()
}

fn numbers(orders: &[entitle::model::Order]) -> Vec<String> {
    orders.iter().map(|o| o.order_no.clone()).collect()
}

/// `UO{n}` for `n` in `range`, newest (highest) first.
fn named(range: std::ops::Range<u64>) -> Vec<String> {
    range.rev().map(|n| format!("UO{n}")).collect()
}

#[tokio::test]
async fn twenty_pages_oldest_first_are_read_from_the_last_page_back() {
    // 1000 orders, 20 pages of 50, oldest first whatever `sort` asks; the window holds the
    // newest 30 (orders 970-999), all on page 20.
    let fx = vendor(history(1000), Listed::OldestFirst).await;
    let c = client(&fx.base_url);
    let (recent, read) = c.read_recent_orders(since(1000, 970)).await.unwrap();
    assert_eq!(numbers(&recent), named(970..1000));
    assert_eq!(recent[0].id.0, 3_206_271_046_934_000_999);
    // Page 20 is full: page 21 is read too, in case the count lags the pages.
    assert_eq!(pages(&fx), [1, 20, 21]);
    assert_eq!(
        (read.order, read.whole, read.total_pages),
        (ListOrder::OldestFirst, None, 20)
    );
    // Each page asked newest first, with the contract's page size: the server chose 50.
    for r in fx.requests_to(ORDERS) {
        let q = r.query_pairs();
        assert!(q.contains(&("sort".into(), "-createTime".into())), "{q:?}");
        assert!(q.contains(&("pageSize".into(), "100".into())), "{q:?}");
    }
    let cost = c.order_list_cost();
    assert_eq!(
        (
            cost.reads,
            cost.pages,
            cost.oldest_first_reads,
            cost.whole_reads
        ),
        (1, 3, 1, 0)
    );
    assert_eq!(cost.note(), None);
}

#[tokio::test]
async fn a_window_over_two_pages_reads_back_to_the_page_that_reaches_older_orders() {
    // The newest 80 (920-999): pages 20 and 19, and page 19 reaches order 919, older.
    let fx = vendor(history(1000), Listed::OldestFirst).await;
    let recent = client(&fx.base_url)
        .recent_orders(since(1000, 920))
        .await
        .unwrap();
    assert_eq!(numbers(&recent), named(920..1000));
    assert_eq!(pages(&fx), [1, 20, 21, 19]);
}

#[tokio::test]
async fn twenty_pages_newest_first_read_one_page() {
    let fx = vendor(history(1000), Listed::NewestFirst).await;
    let c = client(&fx.base_url);
    let (recent, read) = c.read_recent_orders(since(1000, 970)).await.unwrap();
    assert_eq!(numbers(&recent), named(970..1000));
    assert_eq!(pages(&fx), [1]);
    assert_eq!((read.order, read.whole), (ListOrder::NewestFirst, None));
    assert_eq!(c.order_list_cost().note(), None);
}

#[tokio::test]
async fn an_unsorted_list_is_read_whole_and_the_note_says_so() {
    let fx = vendor(history(1000), Listed::Shuffled).await;
    let c = client(&fx.base_url);
    let (recent, read) = c.read_recent_orders(since(1000, 970)).await.unwrap();
    assert_eq!(numbers(&recent), named(970..1000));
    assert_eq!(pages(&fx), (1..=21).collect::<Vec<_>>());
    assert_eq!(
        (read.order, read.whole),
        (ListOrder::Unsorted, Some(WholeRead::Unsorted))
    );
    assert_eq!(
        c.order_list_cost().note().unwrap(),
        "the order list is in no order of creation time, whatever `sort` asks, so finding the recent orders read all of it: pages 1-21"
    );
}

#[tokio::test]
async fn an_order_appended_while_paging_is_not_lost() {
    // 1000 orders fill page 20 exactly; once page 1 has been answered, order 1000 is placed:
    // it opens page 21, which page 1's count did not know of.
    let mut more = history(1000);
    more.push((1000, NOW_SECS - 60));
    let before = history(1000);
    let fx = Fixture::builder()
        .on_fn(ORDERS, move |req, index| {
            answer(
                if index == 0 { &before } else { &more },
                Listed::OldestFirst,
                req,
            )
        })
        .start()
        .await;
    let recent = client(&fx.base_url)
        .recent_orders(since(1000, 970))
        .await
        .unwrap();
    assert_eq!(numbers(&recent), named(970..1001));
    assert_eq!(pages(&fx), [1, 20, 21]);
}

#[tokio::test]
async fn an_order_committed_late_while_reading_backwards_is_not_lost() {
    // The window holds the newest 80 (920-999, pages 19 and 20). After page 20 is answered,
    // an order stamped inside the window (between 929 and 930) is stored: the list shifts, so
    // order 949, not read yet on page 19, moves onto page 20, already read, and order 999
    // onto a new page 21. The count grew during the backward pass, so pages 19 to the end are
    // read again, forward.
    let mut more = history(1000);
    more.push((1000, at(1000, 930) - 1800));
    let before = history(1000);
    let fx = Fixture::builder()
        .on_fn(ORDERS, move |req, index| {
            answer(
                if index < 2 { &before } else { &more },
                Listed::OldestFirst,
                req,
            )
        })
        .start()
        .await;
    let recent = client(&fx.base_url)
        .recent_orders(since(1000, 920))
        .await
        .unwrap();
    let mut want = named(920..1000);
    want.insert(70, "UO1000".to_owned());
    assert_eq!(numbers(&recent), want);
    assert_eq!(pages(&fx), [1, 20, 21, 19, 19, 20, 21]);
}

// The binary: what a user sees.

const MANIFEST: &str = "version: 1
pbxs:
  - sn: 3651D3296882
    product: software-edition
    plan: Enterprise Plan
";

/// A one-PBX account whose order list holds `count` orders listed as `listed`.
async fn account(count: u64, listed: Listed) -> Fixture {
    let orders = history(count);
    Fixture::builder()
        .on(
            DETAIL,
            vec![Reply::ok(json!({
                "productNo": "3651D3296882", "productId": 12,
                "productName": "P-Series Software Edition", "activationCode": "ABCD-EFGH",
                "activationStatus": "activated", "comment": "Acme HQ", "createTime": 1739250000000i64,
                "planId": 3049040650094403584u64, "planName": "Enterprise Plan",
                "billingCycle": "annually", "multiCycle": 1, "expireDate": "2027-05-01",
                "extensionCount": 100, "concurrentCallCount": 30, "recordingMinutes": 0,
                "currentPlan": "", "currentPlanExpireDate": "", "serviceList": []}))],
        )
        .on_fn(ORDERS, move |req, _| answer(&orders, listed, req))
        .start()
        .await
}

/// `entitle plan` of [`MANIFEST`] against `fx`, with `extra` arguments, in a workspace of its
/// own; the pending-orders window is 2 days (the newest 48 orders of [`history`]).
async fn plan(fx: &Fixture, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pbx.yaml"), MANIFEST).unwrap();
    let mut cmd = crate::support::command();
    cmd.current_dir(dir.path())
        .args(["plan", "pbx.yaml", "--no-price", "--pending-window", "2d"])
        .args(["--now", "2026-11-22T09:00:00Z", "--color", "never"])
        .args(["--base-url", &fx.base_url])
        .args(extra)
        .env("ENTITLE_CLIENT_ID", CLIENT_ID)
        .env("ENTITLE_CLIENT_SECRET", SECRET)
        .env("ENTITLE_LOCK_DIR", dir.path().join(".locks"));
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    drop(dir);
    out
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

fn notes(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("note:")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_over_an_unsorted_list_notes_the_whole_read_once() {
    let fx = account(150, Listed::Shuffled).await;
    let out = plan(&fx, &[]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(pages(&fx), [1, 2, 3, 4]);
    assert_eq!(
        notes(&err),
        [
            "note: the order list is in no order of creation time, whatever `sort` asks, so finding the recent orders read all of it: pages 1-4"
        ],
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_over_an_oldest_first_list_says_so_with_v_only() {
    let fx = account(150, Listed::OldestFirst).await;
    let out = plan(&fx, &[]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(notes(&err), Vec::<&str>::new(), "{err}");
    assert!(!err.contains("order list"), "{err}");
    // Page 3 holds orders 100-149; the window (the newest 48) starts inside it.
    assert_eq!(pages(&fx), [1, 3, 4]);

    let fx = account(150, Listed::OldestFirst).await;
    let out = plan(&fx, &["-v"]).await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(
            "the order list is oldest first (`sort` ignored): read from its last page back to the window, pages 1, 3-4 of 3, 48 recent orders"
        ),
        "{err}"
    );
    assert_eq!(notes(&err), Vec::<&str>::new(), "{err}");
}
