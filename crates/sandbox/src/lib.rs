//! The sandbox: a stateful, rule-enforcing simulator of the Partner API (`docs/vendor-api.md`)
//! served by axum. It imports the vendor's serde types from [`crate::wire`] and nothing of
//! `api`, `plan` or `apply`, so it cannot share (and hide) a bug of the client.
//!
//! ```no_run
//! # async fn demo() -> Result<(), entitle_sandbox::SandboxError> {
//! use entitle_sandbox::{self as sandbox, SandboxConfig, Seed};
//! let sb = sandbox::start(SandboxConfig {
//!     clock: entitle_wire::clock::Clock::on("2026-11-22".parse().unwrap()),
//!     ..SandboxConfig::default()
//! })
//! .await?;
//! // Vendor API at sb.base_url(); admin endpoints at sb.base_url() + "/_sandbox/...".
//! sb.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Modules: [`catalog`] (products, plans, services, prices), `seed` (demo / fleet / empty),
//! `world` (the persisted account), `order_body` + `rules` (validation, vendor-api section 5),
//! `effects` (what a succeeded order changes), `auth` (tokens), `faults` (injected failures),
//! `vendor` (the contract's endpoints), `admin` (`/_sandbox/`), `persist` (the state file).

// The vendor's types and time, under the names the modules use.
use entitle_wire as wire;
use entitle_wire::{atomic, clock, date};

mod admin;
mod app;
mod auth;
pub mod catalog;
mod effects;
mod envelope;
mod faults;
mod order_body;
mod persist;
mod rules;
mod seed;
mod variant;
mod vendor;
mod views;
mod vocab;
mod world;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;

pub use seed::{BILLING_CONTACT, BILLING_EMAIL};
pub use variant::Variant;

/// The initial state of a new sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seed {
    /// Exactly the table of vendor-api section 7.
    Demo,
    /// N PBXs spread over the four products and states, deterministic.
    Fleet(usize),
    /// Only the catalog and the billing contact.
    Empty,
}

/// Why a `--seed` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a seed; use demo, empty or fleet:N (for example fleet:1000)")]
pub struct SeedError(pub String);

impl FromStr for Seed {
    type Err = SeedError;
    fn from_str(s: &str) -> Result<Seed, SeedError> {
        match s {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            _ => s
                .strip_prefix("fleet:")
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|n| n.parse().ok())
                .map(Seed::Fleet)
                .ok_or_else(|| SeedError(s.to_owned())),
        }
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seed::Demo => f.write_str("demo"),
            Seed::Fleet(n) => write!(f, "fleet:{n}"),
            Seed::Empty => f.write_str("empty"),
        }
    }
}

/// What a new order's status is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatusMode {
    Succeed,
    Pending,
}

/// The client ID and secret a sandbox accepts unless given others.
pub const DEFAULT_CREDENTIAL: &str = "sandbox";

/// The credential a sandbox accepts: the caller's pair when both halves are given (so scripts
/// written for the real API run unchanged), else `sandbox` / `sandbox`. Returns whether the
/// caller's pair is used.
pub fn accepted_credentials(id: Option<String>, secret: Option<String>) -> (String, String, bool) {
    match (id, secret) {
        (Some(id), Some(secret)) => (id, secret, true),
        _ => (
            DEFAULT_CREDENTIAL.to_owned(),
            DEFAULT_CREDENTIAL.to_owned(),
            false,
        ),
    }
}

/// How a sandbox is started.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Port 0 picks a free port; the bound address is in [`RunningSandbox::addr`].
    pub listen: SocketAddr,
    /// Persisted atomically after every change; loaded when it exists (the seed is then unused).
    pub state_file: Option<PathBuf>,
    pub seed: Seed,
    /// The sandbox's time: "today" for expiry dates and effects, `createTime` of orders, and
    /// the demo account's dates (offsets from its today).
    pub clock: Clock,
    /// Added to every vendor-API response.
    pub latency_ms: u64,
    /// Probability of an injected fault per request (reads and order saves).
    pub fail_rate: f64,
    pub order_status: OrderStatusMode,
    /// `renew_plan` must renew every subscribed service (rule 5 as documented; the default).
    /// Off: a renewal may leave services out, and they lapse at the old term end.
    pub renewal_requires_all_services: bool,
    /// Accepted credentials.
    pub client_id: String,
    pub client_secret: String,
    /// Seed of the fault dice, so a run can be replayed.
    pub rng_seed: u64,
    /// How the vendor behaves where the real one's behaviour is unknown.
    pub variant: Variant,
    /// Orders the seeded account placed before today: renewals of its PBXs on a plan, in the
    /// portal (no `poNumber`), an hour apart from 400 days back, so the order list has a
    /// history older than anything a client orders (0: none). Unused when a state file loads.
    pub past_orders: usize,
}

impl Default for SandboxConfig {
    /// A demo sandbox on a free loopback port, accepting `sandbox`/`sandbox`, without faults.
    fn default() -> SandboxConfig {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            state_file: None,
            seed: Seed::Demo,
            clock: Clock::system(),
            latency_ms: 0,
            fail_rate: 0.0,
            order_status: OrderStatusMode::Succeed,
            renewal_requires_all_services: true,
            client_id: DEFAULT_CREDENTIAL.to_owned(),
            client_secret: DEFAULT_CREDENTIAL.to_owned(),
            rng_seed: 0,
            variant: Variant::default(),
            past_orders: 0,
        }
    }
}

impl fmt::Debug for SandboxConfig {
    /// The client secret is never shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("listen", &self.listen)
            .field("state_file", &self.state_file)
            .field("seed", &self.seed)
            .field("clock", &self.clock)
            .field("latency_ms", &self.latency_ms)
            .field("fail_rate", &self.fail_rate)
            .field("order_status", &self.order_status)
            .field(
                "renewal_requires_all_services",
                &self.renewal_requires_all_services,
            )
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("rng_seed", &self.rng_seed)
            .field("variant", &self.variant)
            .field("past_orders", &self.past_orders)
            .finish()
    }
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read sandbox state {path}: {reason}; delete it to start from the seed")]
    State { path: PathBuf, reason: String },
}

/// A sandbox serving on a tokio runtime; stops when [`RunningSandbox::shutdown`] is called or
/// when dropped.
#[derive(Debug)]
pub struct RunningSandbox {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    app: Arc<app::App>,
}

impl RunningSandbox {
    /// `http://ADDR`, the base URL of the vendor API and of `/_sandbox/`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox's clock (not counting [`RunningSandbox::advance`]).
    pub fn clock(&self) -> Clock {
        self.app.config.clock
    }

    /// Moves the sandbox's time forward by `ms` (as `POST /_sandbox/advance`), so a lag or a
    /// settle period passes without waiting. Returns the sandbox's time after the move.
    pub fn advance(&self, ms: i64) -> i64 {
        self.app.advance(ms)
    }

    /// The sandbox's time (epoch ms), advances included.
    pub fn now_ms(&self) -> i64 {
        self.app.now_ms()
    }

    /// Returns once `n` holds (`holdOrderSave`) have been reached since the start: the held
    /// request is then waiting at its phase for [`RunningSandbox::release`].
    pub async fn wait_held(&self, n: usize) {
        let mut holds = self.app.holds();
        let _ = holds.wait_for(|reached| *reached >= n).await;
    }

    /// The latest access and refresh tokens this sandbox issued (up to 256), spent or not, for
    /// tests that prove no token reached an output. In process only: no admin endpoint shows
    /// them.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.app.lock().tokens.issued()
    }

    /// Lets every held request go on (as `POST /_sandbox/release`).
    pub fn release(&self) {
        self.app.release();
    }

    /// Returns once no vendor request is being answered: every request received so far has
    /// been answered, or dropped with its connection.
    pub async fn wait_idle(&self) {
        let mut busy = self.app.in_progress();
        let _ = busy.wait_for(|n| *n == 0).await;
    }

    /// Stops accepting, lets requests in flight finish (stalls are cut short) and waits up to
    /// two seconds for the server to wind down. The state file is already up to date.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The account a new sandbox starts from: the seed, and the history asked for.
fn seeded(
    config: &SandboxConfig,
    catalog: &catalog::ProductCatalog,
    today: crate::date::Date,
) -> world::World {
    let mut world = seed::build(&config.seed, catalog, today);
    seed::history(&mut world, catalog, config.past_orders, today);
    world
}

/// Starts a sandbox on the current tokio runtime.
pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
    let catalog = catalog::standard();
    let today = config.clock.today();
    let world = match &config.state_file {
        None => seeded(&config, &catalog, today),
        Some(path) => {
            let state_err = |reason: String| SandboxError::State {
                path: path.clone(),
                reason,
            };
            match persist::load(path).map_err(state_err)? {
                Some(world) => world,
                None => {
                    let world = seeded(&config, &catalog, today);
                    persist::save(path, &world)
                        .map_err(|e| state_err(format!("cannot write it: {e}")))?;
                    world
                }
            }
        }
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| SandboxError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SandboxError::Listen {
            addr: config.listen,
            source,
        })?;
    let (stop, stopped) = watch::channel(false);
    let app = Arc::new(app::App::new(config, catalog, world, stopped.clone()));
    let router = admin::routes()
        .fallback(vendor::handle)
        .with_state(app.clone());
    let mut stopped = stopped;
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok(RunningSandbox {
        addr,
        stop,
        task: Some(task),
        app,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_and_print() {
        assert_eq!("demo".parse::<Seed>().unwrap(), Seed::Demo);
        assert_eq!("empty".parse::<Seed>().unwrap(), Seed::Empty);
        assert_eq!("fleet:1000".parse::<Seed>().unwrap(), Seed::Fleet(1000));
        for bad in ["fleet:", "fleet:-1", "fleet:1e3", "Demo", ""] {
            assert!(bad.parse::<Seed>().is_err(), "{bad}");
        }
        assert_eq!(Seed::Fleet(5).to_string(), "fleet:5");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let c = SandboxConfig {
            client_secret: "hunter2".to_owned(),
            ..SandboxConfig::default()
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
