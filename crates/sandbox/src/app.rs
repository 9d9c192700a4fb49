//! The running sandbox's shared state: the account, tokens, fault switches and the request log
//! behind one lock, plus the configuration they were built from.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::date::Date;
use crate::wire::OrderBody;

use super::auth::Tokens;
use super::catalog::ProductCatalog;
use super::envelope::ErrorReply;
use super::faults::Faults;
use super::rules::{self, Checked};
use super::variant::Variant;
use super::world::World;
use super::{SandboxConfig, persist};

/// One vendor request as the admin log shows it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct LogEntry {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The HTTP status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
}

/// Vendor requests received (admin endpoints are not counted).
#[derive(Debug, Default)]
pub(super) struct RequestLog {
    pub counts: BTreeMap<String, u64>,
    pub entries: Vec<LogEntry>,
}

impl RequestLog {
    pub(super) fn record(&mut self, entry: LogEntry) {
        *self
            .counts
            .entry(format!("{} {}", entry.method, entry.path))
            .or_default() += 1;
        self.entries.push(entry);
    }
}

/// Everything mutable.
#[derive(Debug)]
pub(super) struct Inner {
    pub world: World,
    pub tokens: Tokens,
    pub faults: Faults,
    pub log: RequestLog,
    /// How this vendor behaves where the real one's behaviour is unknown.
    pub variant: Variant,
    /// Effects of succeeded orders that do not show on their PBX yet (`effectLagMs`), with
    /// when they do. Kept in memory only: a restarted sandbox applies none of them.
    pub deferred: Vec<(i64, Checked)>,
    /// The `rateLimit` bucket: tokens left, and when it was last filled.
    pub bucket: (f64, tokio::time::Instant),
    ids: fastrand::Rng,
    id_key: u64,
}

#[derive(Debug)]
pub(super) struct App {
    pub config: SandboxConfig,
    pub catalog: ProductCatalog,
    inner: Mutex<Inner>,
    request_seq: AtomicU64,
    /// Added to the configured clock by `POST /_sandbox/advance`, so lags and settle periods
    /// pass without waiting.
    advanced_ms: AtomicI64,
    shutdown: watch::Receiver<bool>,
    /// Holds reached so far (see [`App::hold`]).
    holds: watch::Sender<usize>,
    /// Bumped by every release: each held request waits for the next bump.
    releases: watch::Sender<u64>,
    /// Vendor requests being answered right now.
    in_progress: watch::Sender<usize>,
}

/// Counts a vendor request as in progress while it lives (its handler may be dropped midway
/// when the client goes away).
pub(super) struct InProgress<'a>(&'a watch::Sender<usize>);

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl App {
    pub(super) fn new(
        config: SandboxConfig,
        catalog: ProductCatalog,
        world: World,
        shutdown: watch::Receiver<bool>,
    ) -> App {
        let faults = initial_faults(&config);
        let variant = config.variant;
        App {
            config,
            catalog,
            inner: Mutex::new(Inner {
                world,
                tokens: Tokens::new(),
                faults,
                log: RequestLog::default(),
                variant,
                deferred: Vec::new(),
                bucket: (f64::from(variant.rate_limit), tokio::time::Instant::now()),
                ids: fastrand::Rng::new(),
                id_key: fastrand::u64(..),
            }),
            request_seq: AtomicU64::new(0),
            advanced_ms: AtomicI64::new(0),
            shutdown,
            holds: watch::Sender::new(0),
            releases: watch::Sender::new(0),
            in_progress: watch::Sender::new(0),
        }
    }

    /// Marks a vendor request in progress until the guard drops.
    pub(super) fn request_started(&self) -> InProgress<'_> {
        self.in_progress.send_modify(|n| *n += 1);
        InProgress(&self.in_progress)
    }

    /// Vendor requests in progress.
    pub(super) fn in_progress(&self) -> watch::Receiver<usize> {
        self.in_progress.subscribe()
    }

    /// Checks an order against the account as `inner` holds it now, under this vendor's policy.
    pub(crate) fn check(
        &self,
        inner: &Inner,
        order: &OrderBody,
        today: Date,
    ) -> Result<Checked, ErrorReply> {
        rules::check(
            &inner.world,
            &self.catalog,
            order,
            today,
            inner.faults.policy,
        )
    }

    /// Waits, mid-request, until the next release (or shutdown).
    pub(super) async fn hold(&self) {
        let mut released = self.releases.subscribe();
        released.mark_unchanged();
        self.holds.send_modify(|n| *n += 1);
        let mut stop = self.shutdown.clone();
        tokio::select! {
            _ = released.changed() => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }

    /// Lets every held request go on.
    pub(super) fn release(&self) {
        self.releases.send_modify(|g| *g += 1);
    }

    /// Holds reached so far.
    pub(super) fn holds(&self) -> watch::Receiver<usize> {
        self.holds.subscribe()
    }

    /// The lock; a panic elsewhere never makes the sandbox unusable.
    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sandbox's time (epoch ms): its clock, plus what the admin advanced it by.
    pub(super) fn now_ms(&self) -> i64 {
        self.config
            .clock
            .now_ms()
            .saturating_add(self.advanced_ms.load(Ordering::SeqCst))
    }

    /// Moves the sandbox's time forward by `ms`; returns the new time.
    pub(super) fn advance(&self, ms: i64) -> i64 {
        self.advanced_ms.fetch_add(ms, Ordering::SeqCst);
        self.now_ms()
    }

    /// "Today" for effects and expiry.
    pub(super) fn today(&self) -> Date {
        Date::from_epoch_ms(self.now_ms())
    }

    /// Takes one request from the `rateLimit` bucket (one second's worth, refilled
    /// continuously); `false` when the vendor would answer 429.
    pub(super) fn admit(&self) -> bool {
        let mut inner = self.lock();
        let rate = f64::from(inner.variant.rate_limit);
        if rate <= 0.0 {
            return true;
        }
        let now = tokio::time::Instant::now();
        let (tokens, last) = inner.bucket;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(rate);
        if tokens >= 1.0 {
            inner.bucket = (tokens - 1.0, now);
            true
        } else {
            inner.bucket = (tokens, now);
            *inner.faults.served.entry("rate_limit").or_default() += 1;
            false
        }
    }

    /// Applies the deferred effects whose time has come. Returns whether any did.
    pub(super) fn apply_due_effects(&self, inner: &mut Inner) -> bool {
        let now = self.now_ms();
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.deferred)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        inner.deferred = later;
        for (_, checked) in &due {
            super::effects::apply(&mut inner.world, &self.catalog, checked);
        }
        !due.is_empty()
    }

    /// 32 lowercase hex characters, unique per request: random high half; the low half is the
    /// request sequence through a bijection (odd multiplier, xor key), so it never repeats.
    pub(super) fn request_id(&self) -> String {
        let seq = self.request_seq.fetch_add(1, Ordering::Relaxed);
        let (random, key) = {
            let mut inner = self.lock();
            (inner.ids.u64(..), inner.id_key)
        };
        let low = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ key;
        format!("{random:016x}{low:016x}")
    }

    /// Sleeps, cut short when the sandbox shuts down.
    pub(super) async fn sleep(&self, d: Duration) {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            _ = rx.wait_for(|stop| *stop) => {}
        }
    }

    /// Writes the account to the state file, if there is one.
    pub(super) fn persist(&self, world: &World) -> Result<(), String> {
        match &self.config.state_file {
            Some(path) => persist::save(path, world)
                .map_err(|e| format!("cannot write sandbox state {}: {e}", path.display())),
            None => Ok(()),
        }
    }

    /// Back to the seed: account, log and fault switches (tokens stay valid).
    pub(super) fn reset(&self) -> Result<(), String> {
        let world = super::seeded(&self.config, &self.catalog, self.today());
        let mut inner = self.lock();
        inner.world = world;
        inner.log = RequestLog::default();
        inner.faults = initial_faults(&self.config);
        inner.variant = self.config.variant;
        inner.deferred.clear();
        self.persist(&inner.world)
    }
}

fn initial_faults(config: &SandboxConfig) -> Faults {
    let mut faults = Faults::new(
        config.fail_rate,
        config.order_status,
        Duration::from_millis(config.latency_ms),
        config.rng_seed,
    );
    faults.policy.renewal_requires_all_services = config.renewal_requires_all_services;
    faults
}
