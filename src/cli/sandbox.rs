//! `entitle sandbox`: runs the built-in Partner API simulator in the foreground until Ctrl-C
//! (or SIGTERM). The first stdout line is the bound address, so scripts can start it on port 0.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::clock::{Clock, Now};
use crate::sandbox::{self, OrderStatusMode, SandboxConfig, Seed, Variant};

use super::{Exit, GlobalArgs, config};

const SANDBOX_HELP: &str = "\
Credentials accepted: ENTITLE_CLIENT_ID / ENTITLE_CLIENT_SECRET when both are set, otherwise
sandbox / sandbox.

Admin endpoints (no auth, not part of the vendor API):
  GET  /_sandbox/requests            request counts per method+path, and the request log
  GET  /_sandbox/orders              every order with its body as received
  GET  /_sandbox/state               the whole account as JSON
  GET  /_sandbox/faults              the fault switches, and the faults served so far
  POST /_sandbox/faults              set switches: failRate, retryAfterSecs, nextOrderSaves,
                                     holdOrderSave, readFaultEvery, orderStatus,
                                     renewalRequiresAllServices, stallSecs, latencyMs,
                                     tokenLifetimeSecs; and how the vendor behaves:
                                     commitDelayMs, listLagMs, effectLagMs, echoReference,
                                     timesInSeconds, ignoreSort, pageCap, minimalCatalog,
                                     documentedOnly (all of the documented-only vendor),
                                     rateLimit (requests per second; beyond, 429)
  POST /_sandbox/release             every held order save goes on
  POST /_sandbox/advance             {\"ms\": N}: the sandbox's time moves N ms forward
  POST /_sandbox/orders/{orderNo}/pay  a pending order succeeds and takes effect
  POST /_sandbox/reset               back to the seed; logs cleared
  POST /_sandbox/expire-tokens       every access token expires

Exit codes:
  0  stopped cleanly
  1  could not start";

#[derive(Debug, Args)]
#[command(after_help = SANDBOX_HELP, after_long_help = SANDBOX_HELP)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Keep the account in this JSON file: loaded when it exists, rewritten after every change.
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub state: Option<PathBuf>,
    /// Initial account when there is no state file: demo, empty or fleet:N.
    #[arg(long, value_name = "SEED", default_value = "demo")]
    pub seed: Seed,
    /// The sandbox's clock starts here: a date (that day at the real time of day) or a UTC time
    /// such as 2026-11-22T09:00:00Z; it runs forward from there. Expiries, order effects,
    /// order timestamps and the demo account's dates follow it. Default: the system clock.
    #[arg(long, value_name = "DATE|TIME")]
    pub today: Option<Now>,
    /// Delay added to every vendor-API answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency: u64,
    /// Probability (0..1) of an injected fault per request: 429/500/stall on reads; on order
    /// saves, a failure before or after the order is stored.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    pub fail_rate: f64,
    /// Status of new orders; `pending` orders take effect when paid via /_sandbox/.
    #[arg(long, value_enum, value_name = "STATUS", default_value_t = OrderStatusArg::Succeed)]
    pub order_status: OrderStatusArg,
    /// Seed of the fault dice, to replay a run.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rng_seed: u64,
    /// Accept a renewal that leaves subscribed services out (they lapse at the term end).
    /// By default the sandbox refuses one, as rule 5 of the contract says the vendor does.
    #[arg(long)]
    pub partial_renewals: bool,
    /// Store each order this long after it arrives, whether or not the client still waits.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        help_heading = "Vendor behaviour"
    )]
    pub commit_delay: u64,
    /// Show a stored order in the order list only this long after its createTime.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        help_heading = "Vendor behaviour"
    )]
    pub list_lag: u64,
    /// Show a succeeded order's effect on its PBX only this long after its createTime.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        help_heading = "Vendor behaviour"
    )]
    pub effect_lag: u64,
    /// Do not echo poNumber as customReferenceNo.
    #[arg(long, help_heading = "Vendor behaviour")]
    pub no_reference_echo: bool,
    /// Write createTime in epoch seconds instead of milliseconds.
    #[arg(long, help_heading = "Vendor behaviour")]
    pub times_in_seconds: bool,
    /// Ignore the order list's `sort`: oldest first, always.
    #[arg(long, help_heading = "Vendor behaviour")]
    pub ignore_sort: bool,
    /// Pages hold at most N items, whatever pageSize asks (0: no cap below 100).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        help_heading = "Vendor behaviour"
    )]
    pub page_cap: u64,
    /// The catalog has only the confirmed fields: no kind, tier, requiresPlanIds, billingCycles.
    #[arg(long, help_heading = "Vendor behaviour")]
    pub minimal_catalog: bool,
    /// Answer at most R requests per second; beyond, 429 with Retry-After (0: no limit).
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0,
        help_heading = "Vendor behaviour"
    )]
    pub rate_limit: u32,
    /// The vendor as documented and no more: --minimal-catalog, --page-cap 50, --ignore-sort,
    /// --no-reference-echo and --times-in-seconds together.
    #[arg(long, help_heading = "Vendor behaviour")]
    pub documented_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrderStatusArg {
    Succeed,
    Pending,
}

/// The vendor behaviour the options ask for: `--documented-only` as the base, each other
/// option on top.
fn variant(args: &SandboxArgs) -> Variant {
    let base = if args.documented_only {
        Variant::documented_only()
    } else {
        Variant::default()
    };
    Variant {
        commit_delay: std::time::Duration::from_millis(args.commit_delay),
        list_lag_ms: i64::try_from(args.list_lag).unwrap_or(i64::MAX),
        effect_lag_ms: i64::try_from(args.effect_lag).unwrap_or(i64::MAX),
        echo_reference: base.echo_reference && !args.no_reference_echo,
        times_in_seconds: base.times_in_seconds || args.times_in_seconds,
        ignore_sort: base.ignore_sort || args.ignore_sort,
        page_cap: if args.page_cap > 0 {
            args.page_cap
        } else {
            base.page_cap
        },
        minimal_catalog: base.minimal_catalog || args.minimal_catalog,
        rate_limit: args.rate_limit,
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{s}` is not a probability between 0 and 1")),
    }
}

pub fn run(_global: &GlobalArgs, args: SandboxArgs) -> anyhow::Result<Exit> {
    let (client_id, client_secret, from_env) = config::sandbox_credentials();
    let config = SandboxConfig {
        listen: args.listen,
        state_file: args.state.clone(),
        seed: args.seed.clone(),
        clock: args.today.map_or_else(Clock::system, Now::clock),
        latency_ms: args.latency,
        fail_rate: args.fail_rate,
        order_status: match args.order_status {
            OrderStatusArg::Succeed => OrderStatusMode::Succeed,
            OrderStatusArg::Pending => OrderStatusMode::Pending,
        },
        renewal_requires_all_services: !args.partial_renewals,
        client_id,
        client_secret,
        rng_seed: args.rng_seed,
        variant: variant(&args),
        past_orders: 0,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let client_id = config.client_id.clone();
        let clock = config.clock;
        let stop = StopSignal::install()?;
        let sb = sandbox::start(config).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "entitle sandbox listening on {}", sb.base_url())?;
            out.flush()?;
        }
        let state = args
            .state
            .as_ref()
            .map_or_else(|| "in memory".to_owned(), |p| p.display().to_string());
        let today = match args.today {
            None => format!("{} (system clock)", clock.today()),
            Some(_) => clock.today().to_string(),
        };
        eprintln!("seed {}, today {today}, state {state}", args.seed);
        if from_env {
            eprintln!(
                "accepting client id `{client_id}` and the secret from ENTITLE_CLIENT_ID / ENTITLE_CLIENT_SECRET"
            );
        } else {
            eprintln!("accepting client id `sandbox`, client secret `sandbox`");
        }
        eprintln!("admin endpoints under {}/_sandbox/; Ctrl-C stops", sb.base_url());
        stop.wait().await;
        sb.shutdown().await;
        Ok(Exit::Success)
    })
}

/// Ctrl-C, or SIGTERM on Unix (containers and CI stop services that way). Installed before the
/// address is printed, so a signal sent as soon as the address is known is never missed.
struct StopSignal {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl StopSignal {
    fn install() -> anyhow::Result<StopSignal> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt()).context("cannot watch for Ctrl-C")?;
            let terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
            Ok(StopSignal {
                signals: (interrupt, terminate),
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignal {})
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = self.signals;
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
