//! The recent part of the order list (L6): which pages to read to find every order created
//! since a moment, whichever way the vendor orders the list, and what that cost.
//!
//! The vendor may ignore `sort` (vendor-api section 8: only `sort=id` is documented), cap its
//! pages below the size asked for, and stamp times in seconds. What the first page shows
//! decides how the rest is read:
//!
//! - newest first (`sort` honoured): forward from page 1 until a page reaches an order older
//!   than the window;
//! - oldest first (`sort` ignored, ascending `createTime`): straight to the last page
//!   (`totalPage`, counted in the pages the server used), then backwards until an order older
//!   than the window — a cost that grows with the window, not with the account's history;
//! - neither, or no way to tell: every page, and the cost is said ([`OrderListCost::note`]).
//!
//! This lookup is what proves an order was NOT placed, so no shortcut may drop an order: see
//! [`Reader::oldest_first`] for orders committed while the pages are read.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::error::ApiError;
use super::transport::Request;
use crate::model::{Id, Order};
use crate::wire::paths;

/// Items asked for per page: the contract's maximum. The server may use fewer.
pub(super) const PAGE_SIZE: u32 = paths::MAX_PAGE_SIZE;
/// More pages than this (a million orders) means the answer is wrong, not the account.
pub(super) const MAX_PAGES: u64 = 10_000;

/// One page of the order list, as the reader needs it.
#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub orders: Vec<Order>,
    /// `total`, the orders in the list; 0 when not reported.
    pub total: u64,
    /// `totalPage`; 0 when not reported.
    pub total_page: u64,
    /// `pageSize`, the page size the server used; 0 when not reported.
    pub page_size: u64,
}

/// Where pages come from: the client, or a list in memory in the unit tests.
pub(super) trait PageSource: Sync {
    /// Page `page_no` (from 1) of the list, asked newest first with [`PAGE_SIZE`] items.
    fn page(&self, page_no: u32) -> impl Future<Output = Result<ListPage, ApiError>> + Send;
}

/// The order the list came in, as far as the pages read show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest first: `sort=-createTime` was honoured.
    NewestFirst,
    /// Oldest first: `sort` was ignored and the list ascends by `createTime`.
    OldestFirst,
    /// In no order of creation time.
    Unsorted,
    /// Not told by what was read: fewer than two orders, or one creation time for all.
    Unknown,
}

impl fmt::Display for ListOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListOrder::NewestFirst => "newest first",
            ListOrder::OldestFirst => "oldest first (`sort` ignored)",
            ListOrder::Unsorted => "in no order of creation time",
            ListOrder::Unknown => "of unknown order",
        })
    }
}

/// Why every page of the list had to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WholeRead {
    /// The list is in no order of creation time, whatever `sort` asks.
    Unsorted,
    /// The first page's orders share one creation time, so it shows no order to follow.
    Undecided,
    /// The list comes oldest first but reports neither `totalPage` nor `total`, so its last
    /// page can only be found by reading up to it.
    NoPageCount,
    /// The list shrank while it was read (an order left it): pages may have shifted past
    /// each other, so it was read again, whole, forward.
    Shrank,
}

impl WholeRead {
    fn because(self) -> &'static str {
        match self {
            WholeRead::Unsorted => "is in no order of creation time, whatever `sort` asks",
            WholeRead::Undecided => {
                "shows no order on its first page (its orders share one creation time)"
            }
            WholeRead::NoPageCount => "comes oldest first without a page count",
            WholeRead::Shrank => "shrank while it was read (an order left it)",
        }
    }
}

/// What one read of the recent orders did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListRead {
    pub order: ListOrder,
    /// The page numbers requested, in the order they were requested.
    pub pages: Vec<u32>,
    /// The list's last page as last reported (or counted from `total`); 0 when never said.
    pub total_pages: u64,
    /// Set when every page was read because the list's order could not be used.
    pub whole: Option<WholeRead>,
}

impl OrderListRead {
    /// `1, 18-20`: the distinct pages read, as ranges.
    pub fn page_ranges(&self) -> String {
        let distinct: BTreeSet<u32> = self.pages.iter().copied().collect();
        let mut out: Vec<String> = Vec::new();
        let mut run: Option<(u32, u32)> = None;
        for p in distinct {
            run = match run {
                Some((a, b)) if b + 1 == p => Some((a, p)),
                Some(r) => {
                    out.push(range(r));
                    Some((p, p))
                }
                None => Some((p, p)),
            };
        }
        out.extend(run.map(range));
        out.join(", ")
    }
}

fn range((a, b): (u32, u32)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// What reading the recent orders has cost a client so far: every read of a run together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderListCost {
    pub reads: u64,
    /// Pages requested, every read together.
    pub pages: u64,
    /// Reads of a list that came oldest first (`sort` ignored), from its last page backwards.
    pub oldest_first_reads: u64,
    /// Reads of every page because the list's order could not be used...
    pub whole_reads: u64,
    /// ...the pages they requested...
    pub whole_pages: u64,
    /// ...and the latest of them.
    pub last_whole: Option<OrderListRead>,
}

impl OrderListCost {
    pub fn record(&mut self, read: &OrderListRead) {
        self.reads += 1;
        self.pages += read.pages.len() as u64;
        if read.order == ListOrder::OldestFirst && read.whole.is_none() {
            self.oldest_first_reads += 1;
        }
        if read.whole.is_some() {
            self.whole_reads += 1;
            self.whole_pages += read.pages.len() as u64;
            self.last_whole = Some(read.clone());
        }
    }

    /// One line for the user when the list had to be read whole (none otherwise): which pages,
    /// and why. The cost of such a read grows with the account's whole history.
    pub fn note(&self) -> Option<String> {
        let last = self.last_whole.as_ref()?;
        let why = last.whole?.because();
        let mut s = format!(
            "the order list {why}, so finding the recent orders read all of it: pages {}",
            last.page_ranges()
        );
        if self.whole_reads > 1 {
            s.push_str(&format!(
                " ({} reads, {} pages in all)",
                self.whole_reads, self.whole_pages
            ));
        }
        Some(s)
    }
}

/// How the times of a page run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Never older than the one before, and not all equal.
    Descending,
    /// Never newer than the one before, and not all equal.
    Ascending,
    /// Fewer than two orders, or all of one time.
    Flat,
    Mixed,
}

pub fn shape(orders: &[Order]) -> Shape {
    let down = orders
        .windows(2)
        .all(|w| w[0].created_ms >= w[1].created_ms);
    let up = orders
        .windows(2)
        .all(|w| w[0].created_ms <= w[1].created_ms);
    match (down, up) {
        (true, true) => Shape::Flat,
        (true, false) => Shape::Descending,
        (false, true) => Shape::Ascending,
        (false, false) => Shape::Mixed,
    }
}

/// The orders created at or after `since_ms` (epoch ms, inclusive), newest first, each once,
/// and what reading them did.
pub(super) async fn read_recent<S: PageSource>(
    source: &S,
    since_ms: i64,
) -> Result<(Vec<Order>, OrderListRead), ApiError> {
    let mut r = Reader {
        source,
        since_ms,
        size: u64::from(PAGE_SIZE),
        pages: Vec::new(),
        found: HashMap::new(),
        total_pages: 0,
        first_total: 0,
        shrank: false,
    };
    let first = r.read(1).await?;
    r.size = server_page_size(&first);
    let (order, whole) = if r.ends(1, &first) {
        let order = match shape(&first.orders) {
            Shape::Descending => ListOrder::NewestFirst,
            Shape::Ascending => ListOrder::OldestFirst,
            Shape::Flat => ListOrder::Unknown,
            Shape::Mixed => ListOrder::Unsorted,
        };
        (order, None)
    } else {
        match shape(&first.orders) {
            Shape::Descending => match r.newest_first(first).await? {
                true => (ListOrder::NewestFirst, None),
                false => (ListOrder::Unsorted, Some(WholeRead::Unsorted)),
            },
            Shape::Ascending => match r.oldest_first(first).await? {
                None => (ListOrder::OldestFirst, None),
                Some(WholeRead::Unsorted) => (ListOrder::Unsorted, Some(WholeRead::Unsorted)),
                Some(why) => (ListOrder::OldestFirst, Some(why)),
            },
            Shape::Flat => {
                r.forward(2).await?;
                (ListOrder::Unknown, Some(WholeRead::Undecided))
            }
            Shape::Mixed => {
                r.forward(2).await?;
                (ListOrder::Unsorted, Some(WholeRead::Unsorted))
            }
        }
    };
    // Reading forward misses nothing an insertion moves, but a removal moves the orders after
    // it back one place: read again, whole and forward; a list that shrinks again is refused
    // rather than trusted (this read is what proves an order was never placed).
    let (order, whole) = if r.shrank {
        tracing::debug!("the order list shrank while it was read; reading it again, whole");
        r.shrank = false;
        r.forward(1).await?;
        if r.shrank {
            return Err(beyond(
                "the order list shrank while it was read, twice; re-run later".to_owned(),
            ));
        }
        (order, Some(WholeRead::Shrank))
    } else {
        (order, whole)
    };
    let mut orders: Vec<Order> = r.found.into_values().collect();
    orders.sort_by(|a, b| {
        b.created_ms
            .cmp(&a.created_ms)
            .then_with(|| b.id.cmp(&a.id))
    });
    let read = OrderListRead {
        order,
        pages: r.pages,
        total_pages: r.total_pages,
        whole,
    };
    Ok((orders, read))
}

/// Items in a full page, as the server pages. When more pages follow page 1, page 1 is full,
/// so what it held is the server's page size whatever `pageSize` says (a server may echo the
/// size asked for and use a smaller one); otherwise the size it says it used, never more than
/// asked for, or what was asked.
fn server_page_size(first: &ListPage) -> u64 {
    let said = full_page(first.page_size);
    let held = first.orders.len() as u64;
    if held > 0 && (first.total_page > 1 || first.total > held) {
        held.min(said)
    } else {
        said
    }
}

struct Reader<'s, S> {
    source: &'s S,
    since_ms: i64,
    /// Items in a full page, as the server pages.
    size: u64,
    /// Pages requested, in order.
    pages: Vec<u32>,
    /// The orders in the window, by id; a page read later replaces what an earlier one said
    /// (a status may have moved on).
    found: HashMap<Id, Order>,
    /// The list's last page as last reported.
    total_pages: u64,
    /// `total` as page 1 reported it (0: not reported).
    first_total: u64,
    /// A later page reported fewer orders than page 1: an order left the list while it was
    /// read, and the orders after it moved one place towards page 1 — maybe off a page not
    /// read yet onto one already read.
    shrank: bool,
}

impl<S: PageSource> Reader<'_, S> {
    async fn read(&mut self, page_no: u32) -> Result<ListPage, ApiError> {
        if u64::from(page_no) > MAX_PAGES {
            return Err(beyond(format!(
                "the order list goes on past page {MAX_PAGES}"
            )));
        }
        let page = self.source.page(page_no).await?;
        self.pages.push(page_no);
        if page_no == 1 {
            self.first_total = page.total;
        } else if self.first_total > 0 && page.total > 0 && page.total < self.first_total {
            self.shrank = true;
        }
        if page_no == 1 {
            check_pages(&order_page(), None, page.total_page)?;
        }
        if let Some(last) = self.last_page(&page) {
            self.total_pages = last;
        }
        for o in &page.orders {
            if o.created_ms >= self.since_ms {
                self.found.insert(o.id, o.clone());
            }
        }
        Ok(page)
    }

    /// The list's last page by `page`'s account of it: `totalPage`, or `total` counted in the
    /// server's pages.
    fn last_page(&self, page: &ListPage) -> Option<u64> {
        match (page.total_page, page.total) {
            (0, 0) => None,
            (0, total) => Some(total.div_ceil(self.size.max(1))),
            (n, _) => Some(n),
        }
    }

    /// Does page `n` end the list? An empty page does; so does the last page counted unless it
    /// is full (then the next is read: a count that lags the pages must not hide the newest
    /// orders, even when `total` agrees with it); without a count, a page not full does.
    fn ends(&self, n: u32, page: &ListPage) -> bool {
        let n = u64::from(n);
        if page.orders.is_empty() {
            return true;
        }
        let full = page.orders.len() as u64 >= self.size;
        match self.last_page(page) {
            Some(last) if n >= last => !full,
            Some(_) => false,
            None => !full,
        }
    }

    /// Reads pages `from`, `from + 1`, ... to the end of the list. Reading forward cannot miss
    /// an order listed throughout: an order committed meanwhile only pushes later ones further
    /// on, onto pages still to be read (an order read twice is kept once).
    async fn forward(&mut self, from: u32) -> Result<(), ApiError> {
        let mut n = from;
        loop {
            let page = self.read(n).await?;
            if self.ends(n, &page) {
                return Ok(());
            }
            n += 1;
        }
    }

    /// A list whose page 1 came newest first: forward until a page reaches an order older than
    /// the window. False when a later page is not newest first: the rest of the list was then
    /// read too, as a list in no order must be.
    async fn newest_first(&mut self, first: ListPage) -> Result<bool, ApiError> {
        let mut page = first;
        let mut n = 1;
        loop {
            if page.orders.iter().any(|o| o.created_ms < self.since_ms) || self.ends(n, &page) {
                return Ok(true);
            }
            n += 1;
            page = self.read(n).await?;
            if matches!(shape(&page.orders), Shape::Ascending | Shape::Mixed) {
                if !self.ends(n, &page) {
                    self.forward(n + 1).await?;
                }
                return Ok(false);
            }
        }
    }

    /// A list whose page 1 came oldest first. The newest orders are on its last page: read it,
    /// then the pages before it, backwards, until one holds an order older than the window.
    /// `None`: done so; otherwise why every page was read instead.
    ///
    /// Orders committed while reading. An oldest-first list changes by insertion only: a new
    /// order lands at the end (maybe on a page after the last one counted), a late commit
    /// (stamped when it arrived, stored later) lands among the newest. Either way orders only
    /// ever move towards later pages. Read backwards, an order can therefore move from a page
    /// not read yet onto one already read, and be missed. So:
    /// - after the last page, the pages after it are read while the fresh count says there are
    ///   some or the last page is full (reading forward only ever reads an order twice);
    /// - when the backward pass read more than the last page, the list must not have grown
    ///   between the last page and the end of the pass: `total` (and `totalPage`) of the two
    ///   answers are compared — without `total`, the last page is read again and compared.
    ///   If it grew, the window's pages are read again forward, from the page where the pass
    ///   stopped to the end, which nothing can escape.
    async fn oldest_first(&mut self, first: ListPage) -> Result<Option<WholeRead>, ApiError> {
        // Page 1 ends inside the window: every page is in it, so forward costs the same and
        // is safe without checks.
        if first
            .orders
            .last()
            .is_some_and(|o| o.created_ms >= self.since_ms)
        {
            self.forward(2).await?;
            return Ok(None);
        }
        let Some(last) = self.last_page(&first) else {
            self.forward(2).await?;
            return Ok(Some(WholeRead::NoPageCount));
        };
        if last < 2 {
            // Page 1 is the last counted but full: only the next pages can add anything.
            self.forward(2).await?;
            return Ok(None);
        }
        let last = u32::try_from(last).map_err(|_| beyond(format!("totalPage {last}")))?;
        let top = self.read(last).await?;
        if matches!(shape(&top.orders), Shape::Descending | Shape::Mixed) {
            return self.not_oldest_first().await;
        }
        if !self.ends(last, &top) {
            self.forward(last + 1).await?;
        }
        let older = |page: &ListPage, since: i64| page.orders.iter().any(|o| o.created_ms < since);
        let (mut lowest, mut page) = (last, top.clone());
        while !older(&page, self.since_ms) && lowest > 2 {
            lowest -= 1;
            let before = self.read(lowest).await?;
            let continues = match (before.orders.last(), page.orders.first()) {
                (Some(a), Some(b)) => a.created_ms <= b.created_ms,
                _ => true,
            };
            if matches!(shape(&before.orders), Shape::Descending | Shape::Mixed) || !continues {
                return self.not_oldest_first().await;
            }
            page = before;
        }
        if lowest == last {
            return Ok(None);
        }
        let stopped = if older(&page, self.since_ms) {
            lowest
        } else {
            1
        };
        let grew = if top.total > 0 && page.total > 0 {
            (top.total, top.total_page) != (page.total, page.total_page)
        } else {
            let again = self.read(last).await?;
            let ids = |p: &ListPage| p.orders.iter().map(|o| o.id).collect::<Vec<_>>();
            ids(&again) != ids(&top) || again.total_page != top.total_page
        };
        if grew {
            tracing::debug!(
                from = stopped,
                "the order list grew while read backwards; reading the window's pages again forward"
            );
            self.forward(stopped).await?;
        }
        Ok(None)
    }

    /// A later page contradicts the oldest-first order page 1 showed: the list is in no order,
    /// and is read whole, forward from page 2 (pages read backwards do not count: forward is
    /// what nothing can escape).
    async fn not_oldest_first(&mut self) -> Result<Option<WholeRead>, ApiError> {
        self.forward(2).await?;
        Ok(Some(WholeRead::Unsorted))
    }
}

fn order_page() -> Request {
    Request::get(paths::ORDER_PAGE, Vec::new())
}

fn beyond(reason: String) -> ApiError {
    ApiError::Unexpected {
        request: order_page().endpoint(),
        status: Some(200),
        request_id: None,
        reason,
    }
}

/// `totalPage` of a paged list, refused beyond [`MAX_PAGES`]: then the answer is wrong, not
/// the account.
pub(super) fn check_pages(
    req: &Request,
    request_id: Option<&str>,
    total_page: u64,
) -> Result<u64, ApiError> {
    if total_page > MAX_PAGES {
        return Err(ApiError::Unexpected {
            request: req.endpoint(),
            status: Some(200),
            request_id: request_id.map(str::to_owned),
            reason: format!("totalPage {total_page} is beyond the {MAX_PAGES} pages expected"),
        });
    }
    Ok(total_page)
}

/// How many results make a page full: the page size the server says it used, never more
/// than asked for ([`PAGE_SIZE`]), or what was asked when it says none.
pub(super) fn full_page(server_page_size: u64) -> u64 {
    match server_page_size {
        0 => u64::from(PAGE_SIZE),
        n => n.min(u64::from(PAGE_SIZE)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::model::{OrderStatus, ProductId};

    /// An order list in memory, oldest first or newest first, that can take orders while it
    /// is read: `insert_after[k]` goes in once page request k (from 0) has been answered.
    struct Memory {
        /// Creation times (ms) of the orders, in commit order; an order's id is its index.
        times: Mutex<Vec<i64>>,
        newest_first: bool,
        size: usize,
        report_total: bool,
        /// `totalPage` is left out.
        hide_total_page: bool,
        /// The `pageSize` said, whatever was used.
        says_size: Option<u64>,
        insert_after: Mutex<Vec<(usize, i64)>>,
        /// After the k-th page served, the order with this id leaves the list.
        remove_after: Vec<(usize, u64)>,
        removed: Mutex<Vec<u64>>,
        /// The counts (`total`, `totalPage`) leave out this many of the newest orders.
        count_lag: usize,
        served: Mutex<usize>,
    }

    fn order(id: u64, created_ms: i64) -> Order {
        Order {
            id: Id(id),
            order_no: format!("UO{id}"),
            status: OrderStatus::Succeed,
            created_ms,
            product: ProductId(12),
            sn: "3651D3296882".into(),
            operation_type: "purchase_service".into(),
            reference: None,
            total_amount: "1.00".into(),
            currency: "USD".into(),
        }
    }

    impl Memory {
        fn new(times: Vec<i64>, newest_first: bool, size: usize) -> Memory {
            Memory {
                times: Mutex::new(times),
                newest_first,
                size,
                report_total: true,
                hide_total_page: false,
                says_size: None,
                insert_after: Mutex::new(Vec::new()),
                remove_after: Vec::new(),
                removed: Mutex::new(Vec::new()),
                count_lag: 0,
                served: Mutex::new(0),
            }
        }
    }

    impl PageSource for Memory {
        async fn page(&self, page_no: u32) -> Result<ListPage, ApiError> {
            let mut list: Vec<Order> = {
                let times = self.times.lock().unwrap();
                let removed = self.removed.lock().unwrap();
                times
                    .iter()
                    .enumerate()
                    .map(|(i, t)| order(i as u64, *t))
                    .filter(|o| !removed.contains(&o.id.0))
                    .collect()
            };
            // Stable: equal times keep commit order.
            list.sort_by_key(|o| o.created_ms);
            if self.newest_first {
                list.reverse();
            }
            let counted = list.len() - self.count_lag;
            let start = (page_no as usize - 1) * self.size;
            let orders: Vec<Order> = list.into_iter().skip(start).take(self.size).collect();
            let mut served = self.served.lock().unwrap();
            for (_, t) in self
                .insert_after
                .lock()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k == *served)
            {
                self.times.lock().unwrap().push(*t);
            }
            for (_, id) in self.remove_after.iter().filter(|(k, _)| *k == *served) {
                self.removed.lock().unwrap().push(*id);
            }
            *served += 1;
            Ok(ListPage {
                orders,
                total: if self.report_total { counted as u64 } else { 0 },
                total_page: if self.hide_total_page {
                    0
                } else {
                    counted.div_ceil(self.size) as u64
                },
                page_size: self.says_size.unwrap_or(self.size as u64),
            })
        }
    }

    fn ids(orders: &[Order]) -> Vec<u64> {
        let mut v: Vec<u64> = orders.iter().map(|o| o.id.0).collect();
        v.sort_unstable();
        v
    }

    /// Orders one second apart from t = 1000 s, `n` of them.
    fn history(n: usize) -> Vec<i64> {
        (0..n as i64).map(|i| (1_000 + i) * 1000).collect()
    }

    #[tokio::test]
    async fn a_window_over_three_pages_is_read_backwards_from_the_last() {
        // 1000 orders in pages of 50; the window holds the newest 120 (ids 880-999).
        let list = Memory::new(history(1000), false, 50);
        let since = (1_000 + 880) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (880..1000).collect::<Vec<_>>());
        // Page 20 is full: page 21 is read too, in case the count lags the pages.
        assert_eq!(read.pages, [1, 20, 21, 19, 18]);
        assert_eq!(
            (read.order, read.whole, read.total_pages),
            (ListOrder::OldestFirst, None, 20)
        );
        assert_eq!(read.page_ranges(), "1, 18-21");
    }

    #[tokio::test]
    async fn a_late_commit_while_reading_backwards_loses_no_order() {
        // After page 20 is read, an order stamped inside the window is stored: it lands among
        // the newest and pushes order 949 (last of page 19) onto page 20, already read. The
        // count grew, so the window's pages are read again forward.
        let list = Memory::new(history(1000), false, 50);
        list.insert_after
            .lock()
            .unwrap()
            .push((1, (1_000 + 890) * 1000 + 500));
        let since = (1_000 + 880) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        let mut want: Vec<u64> = (880..1000).collect();
        want.push(1000);
        assert_eq!(ids(&found), want);
        assert_eq!(read.pages, [1, 20, 21, 19, 18, 18, 19, 20, 21]);
    }

    #[tokio::test]
    async fn without_a_total_the_last_page_is_read_again_to_see_the_list_grow() {
        let mut list = Memory::new(history(1000), false, 50);
        list.report_total = false;
        let since = (1_000 + 930) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (930..1000).collect::<Vec<_>>());
        // Page 20 is full and no `total` says it is the last: page 21 is looked at. Nothing
        // came in: the second look at page 20 matches the first.
        assert_eq!(read.pages, [1, 20, 21, 19, 20]);

        let mut list = Memory::new(history(1000), false, 50);
        list.report_total = false;
        list.insert_after
            .lock()
            .unwrap()
            .push((2, (1_000 + 940) * 1000 + 500));
        let (found, read) = read_recent(&list, since).await.unwrap();
        let mut want: Vec<u64> = (930..1000).collect();
        want.push(1000);
        assert_eq!(ids(&found), want);
        assert_eq!(read.pages, [1, 20, 21, 19, 20, 19, 20, 21]);
    }

    #[tokio::test]
    async fn a_count_that_lags_the_pages_does_not_hide_the_newest_orders() {
        // 1010 orders oldest first, but the counts say 1000 (20 full pages): the newest ten
        // are on page 21, which the counts do not mention.
        let mut list = Memory::new(history(1010), false, 50);
        list.count_lag = 10;
        let since = (1_000 + 980) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (980..1010).collect::<Vec<_>>());
        assert_eq!(read.pages, [1, 20, 21]);
    }

    #[tokio::test]
    async fn an_order_leaving_the_list_while_read_forward_hides_no_other() {
        // 200 orders newest first; the window holds the newest 120 (ids 80-199). Once page 1
        // (199-150) is read, order 195 leaves the list: 149 moves onto page 1, already read,
        // and page 2 starts at 148. The count shrank, so the list is read again, whole.
        let mut list = Memory::new(history(200), true, 50);
        list.remove_after = vec![(0, 195)];
        let since = (1_000 + 80) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (80..200).collect::<Vec<_>>());
        assert_eq!(read.whole, Some(WholeRead::Shrank));
        assert_eq!(read.pages, [1, 2, 3, 1, 2, 3, 4]);

        // Shrinking again while read again: refused, never trusted.
        let mut list = Memory::new(history(200), true, 50);
        list.remove_after = vec![(0, 195), (4, 190)];
        let err = read_recent(&list, since).await.unwrap_err();
        assert!(
            err.to_string().contains("shrank while it was read, twice"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn the_last_page_is_counted_in_the_pages_the_server_used() {
        // Pages of 50 while `pageSize` echoes the 100 asked for, and no `totalPage`: the last
        // page is `total` counted in fifties, page 20, not page 10.
        let mut list = Memory::new(history(1000), false, 50);
        list.hide_total_page = true;
        list.says_size = Some(100);
        let since = (1_000 + 970) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (970..1000).collect::<Vec<_>>());
        // Page 20 is full: page 21 (empty) is read in case the count lags the pages.
        assert_eq!(read.pages, [1, 20, 21]);
        assert_eq!(read.total_pages, 20);
    }

    #[tokio::test]
    async fn without_any_count_an_oldest_first_list_is_read_whole_and_said_so() {
        let mut list = Memory::new(history(120), false, 50);
        list.hide_total_page = true;
        list.report_total = false;
        let (found, read) = read_recent(&list, (1_000 + 110) * 1000).await.unwrap();
        assert_eq!(ids(&found), (110..120).collect::<Vec<_>>());
        assert_eq!(read.pages, [1, 2, 3]);
        assert_eq!(
            (read.order, read.whole),
            (ListOrder::OldestFirst, Some(WholeRead::NoPageCount))
        );
    }

    #[tokio::test]
    async fn an_order_on_a_page_after_the_counted_last_is_read() {
        // 1000 orders fill page 20 exactly; one more arrives after page 1 was read.
        let list = Memory::new(history(1000), false, 50);
        list.insert_after
            .lock()
            .unwrap()
            .push((0, (1_000 + 1000) * 1000));
        let since = (1_000 + 990) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (990..1001).collect::<Vec<_>>());
        assert_eq!(read.pages, [1, 20, 21]);
    }

    #[tokio::test]
    async fn newest_first_stops_at_the_first_page_reaching_an_older_order() {
        let list = Memory::new(history(1000), true, 50);
        let since = (1_000 + 880) * 1000;
        let (found, read) = read_recent(&list, since).await.unwrap();
        assert_eq!(ids(&found), (880..1000).collect::<Vec<_>>());
        assert_eq!(read.pages, [1, 2, 3]);
        assert_eq!(read.order, ListOrder::NewestFirst);
        // Newest first, each once.
        assert!(found.windows(2).all(|w| w[0].created_ms > w[1].created_ms));
    }

    #[tokio::test]
    async fn a_window_reaching_page_one_reads_forward() {
        let list = Memory::new(history(120), false, 50);
        let (found, read) = read_recent(&list, (1_000 + 10) * 1000).await.unwrap();
        assert_eq!(ids(&found), (10..120).collect::<Vec<_>>());
        assert_eq!(read.pages, [1, 2, 3]);
        assert_eq!((read.order, read.whole), (ListOrder::OldestFirst, None));
    }

    #[tokio::test]
    async fn the_window_includes_an_order_stamped_at_its_start() {
        let list = Memory::new(history(100), false, 50);
        let (found, _) = read_recent(&list, (1_000 + 99) * 1000).await.unwrap();
        assert_eq!(ids(&found), [99]);
    }

    #[test]
    fn the_note_names_the_pages_and_why() {
        let mut cost = OrderListCost::default();
        let sorted = OrderListRead {
            order: ListOrder::OldestFirst,
            pages: vec![1, 20],
            total_pages: 20,
            whole: None,
        };
        cost.record(&sorted);
        assert_eq!(cost.note(), None);
        let whole = OrderListRead {
            order: ListOrder::Unsorted,
            pages: (1..=20).collect(),
            total_pages: 20,
            whole: Some(WholeRead::Unsorted),
        };
        cost.record(&whole);
        assert_eq!(
            cost.note().unwrap(),
            "the order list is in no order of creation time, whatever `sort` asks, so finding the recent orders read all of it: pages 1-20"
        );
        cost.record(&whole);
        assert_eq!(
            cost.note().unwrap(),
            "the order list is in no order of creation time, whatever `sort` asks, so finding the recent orders read all of it: pages 1-20 (2 reads, 40 pages in all)"
        );
        assert_eq!(
            (cost.reads, cost.pages, cost.oldest_first_reads),
            (3, 42, 1)
        );
    }
}
