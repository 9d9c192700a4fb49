//! Resolution of the raw global flags and the environment into validated settings: the API
//! client's configuration (base URL, credentials, tuning), the `--sandbox` wiring, the colour
//! decision and the log subscriber. Commands call these instead of reading env vars themselves.
//!
//! Environment read here besides clap's own:
//! - `ENTITLE_CLIENT_ID` / `ENTITLE_CLIENT_SECRET` / `ENTITLE_CREDENTIALS_FILE` (credentials);
//! - `ENTITLE_RATE_LIMIT`: a hard ceiling of requests per second (default none: the client
//!   paces itself only when the vendor answers 429 or 503);
//! - `ENTITLE_TIMEOUT`: whole-request timeout in seconds (default 30);
//! - `FORCE_COLOR`, `NO_COLOR`, `CLICOLOR_FORCE`, `TERM=dumb` (colour, see [`use_color`]);
//! - `RUST_LOG` (overrides `-v`).

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};

use super::{ColorChoice, GlobalArgs, NetworkArgs};
use crate::api::{
    Client, ClientConfig, Credentials, DEFAULT_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET,
};
use crate::clock::Clock;
use crate::sandbox::{self, OrderStatusMode, RunningSandbox, SandboxConfig, Seed};

pub const ENV_RATE_LIMIT: &str = "ENTITLE_RATE_LIMIT";
pub const ENV_TIMEOUT: &str = "ENTITLE_TIMEOUT";

/// The credential a sandbox accepts: ENTITLE_CLIENT_ID / ENTITLE_CLIENT_SECRET when both are
/// set, else the sandbox's default pair (see [`sandbox::accepted_credentials`]).
pub fn sandbox_credentials() -> (String, String, bool) {
    let var = |k| {
        std::env::var(k)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    sandbox::accepted_credentials(var(ENV_CLIENT_ID), var(ENV_CLIENT_SECRET))
}

/// A client ready to use, and the embedded sandbox it talks to under `--sandbox` (kept alive
/// as long as the connection: dropping it stops the sandbox).
#[derive(Debug)]
pub struct Connection {
    pub client: Client,
    pub sandbox: Option<RunningSandbox>,
}

impl Connection {
    /// Whether the API is on this machine (the embedded sandbox, or `http://` to loopback, the
    /// only plain-http base URL accepted): a simulator, never the vendor.
    pub fn is_local(&self) -> bool {
        self.sandbox.is_some() || self.client.base_url().starts_with("http://")
    }
}

/// The client configuration for the real API: base URL from `--base-url`/`ENTITLE_BASE_URL`
/// (default production), credentials from the environment, `parallelism` requests in flight.
pub fn client_config(net: &NetworkArgs) -> anyhow::Result<ClientConfig> {
    let parallelism = net.parallelism;
    let base_url = net
        .base_url
        .clone()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
    let credentials = Credentials::from_env()?;
    let mut cfg = ClientConfig::new(base_url, credentials);
    apply_tuning(&mut cfg, parallelism, |k| std::env::var(k).ok())?;
    Ok(cfg)
}

fn apply_tuning(
    cfg: &mut ClientConfig,
    parallelism: usize,
    get: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<()> {
    if parallelism == 0 {
        bail!("--parallelism must be at least 1");
    }
    cfg.concurrency = parallelism;
    if let Some(v) = get(ENV_RATE_LIMIT).filter(|v| !v.trim().is_empty()) {
        cfg.rate_per_sec = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r >= 0.0)
            .with_context(|| {
                format!(
                    "{ENV_RATE_LIMIT}=`{v}` is not a number of requests per second (0 = no limit)"
                )
            })?;
    }
    if let Some(v) = get(ENV_TIMEOUT).filter(|v| !v.trim().is_empty()) {
        let secs = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
            .with_context(|| {
                format!("{ENV_TIMEOUT}=`{v}` is not a number of seconds between 0 and 3600")
            })?;
        cfg.timeout = Duration::from_secs_f64(secs);
    }
    Ok(())
}

/// A client for the command: against the real API, or with `--sandbox` against an embedded
/// simulator seeded with the demo account and persisted in `--sandbox-state`. The embedded
/// sandbox runs on the command's `clock`, so both sides agree on today.
pub async fn connect(net: &NetworkArgs, clock: Clock) -> anyhow::Result<Connection> {
    let parallelism = net.parallelism;
    if !net.sandbox {
        let cfg = client_config(net)?;
        let client = Client::new(cfg)?;
        return Ok(Connection {
            client,
            sandbox: None,
        });
    }
    // `--base-url` with `--sandbox` is refused when parsing; the variable alone is ignored.
    if let Some(url) = net.base_url.as_deref().filter(|u| !u.trim().is_empty())
        && net.base_url_from_env
    {
        let warning = crate::render::EnvWarning::SandboxOverBaseUrl {
            value: url.to_owned(),
        };
        let _ = crate::render::write_env_warnings(
            &[warning],
            &super::environment::READ,
            &mut std::io::stderr().lock(),
        );
    }
    let (client_id, client_secret, _) = sandbox_credentials();
    let state = net.sandbox_state.clone();
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "cannot create the sandbox state directory {}",
                dir.display()
            )
        })?;
    }
    let running = sandbox::start(SandboxConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        state_file: Some(state),
        seed: Seed::Demo,
        clock,
        latency_ms: 0,
        fail_rate: 0.0,
        order_status: OrderStatusMode::Succeed,
        renewal_requires_all_services: true,
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
        rng_seed: 0,
        variant: sandbox::Variant::default(),
        past_orders: 0,
    })
    .await
    .context("cannot start the embedded sandbox")?;
    let mut cfg = ClientConfig::new(
        format!("http://{}", running.addr),
        Credentials::new(client_id, client_secret),
    );
    apply_tuning(&mut cfg, parallelism, |k| std::env::var(k).ok())?;
    // One account per state file, whatever port the sandbox got: a plan saved under
    // `--sandbox` applies under `--sandbox`, and two runs on one state serialize.
    let state = &net.sandbox_state;
    let state = std::path::absolute(state).unwrap_or_else(|_| state.clone());
    cfg.account = Some(format!("sandbox:{}", state.display()));
    let client = Client::new(cfg)?;
    Ok(Connection {
        client,
        sandbox: Some(running),
    })
}

/// Whether to colour a stream. `--color always` and `--color never` decide alone. Under
/// `auto`, the first that applies:
/// 1. `FORCE_COLOR` set (and not empty, `0` or `false`): colour, even over `NO_COLOR` — the
///    force-color.org convention, which overrides NO_COLOR; tools in CI set it to keep colour
///    in logs that are not terminals;
/// 2. `NO_COLOR` set and not empty: no colour (no-color.org);
/// 3. `CLICOLOR_FORCE` set (and not empty or `0`): colour — bixense.com/clicolors, where
///    NO_COLOR wins over it;
/// 4. colour on a terminal, unless `TERM=dumb`.
pub fn use_color(global: &GlobalArgs, stream_is_terminal: bool) -> bool {
    color_decision(global.color, stream_is_terminal, |k| std::env::var_os(k))
}

fn color_decision(
    choice: ColorChoice,
    terminal: bool,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> bool {
    // Set, and none of the values that mean "off".
    let on = |k: &str, off: &[&str]| {
        var(k).is_some_and(|v| !v.is_empty() && !off.contains(&&*v.to_string_lossy()))
    };
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if on("FORCE_COLOR", &["0", "false"]) => true,
        ColorChoice::Auto if on("NO_COLOR", &[]) => false,
        ColorChoice::Auto if on("CLICOLOR_FORCE", &["0"]) => true,
        ColorChoice::Auto => terminal && var("TERM").is_none_or(|t| t != "dumb"),
    }
}

/// The default log filter for a `-v` count: warnings only, `-v` the client's requests and the
/// tool's decisions (debug), `-vv` everything of entitle (trace). Dependencies stay at `warn`
/// so their internals never print headers.
fn default_directives(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "warn,entitle=debug",
        _ => "warn,entitle=trace",
    }
}

/// Installs the stderr log subscriber (once; later calls do nothing). `RUST_LOG` replaces the
/// `-v` default when set: a level, and `target=level` pairs (`warn,entitle_engine::api=trace`).
pub fn init_logging(verbose: u8, color: bool) {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let default = || {
        default_directives(verbose)
            .parse::<Targets>()
            .unwrap_or_default()
    };
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => v.parse::<Targets>().unwrap_or_else(|e| {
            eprintln!("warning: ignoring RUST_LOG=`{v}`: {e}");
            default()
        }),
        _ => default(),
    };
    // Everything reaches `filter`: the builder's own default would stop at `info`.
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(verbose >= 2);
    // Timestamps only help when reading request timings (-v); warnings alone read better bare.
    let _ = if verbose == 0 {
        builder.without_time().finish().with(filter).try_init()
    } else {
        builder
            .with_timer(tracing_subscriber::fmt::time::Uptime::default())
            .finish()
            .with(filter)
            .try_init()
    };
}

/// A multi-threaded tokio runtime for a command's network work.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    /// The decision for `choice` on a terminal or not, in an environment of `vars`.
    fn decide(choice: ColorChoice, terminal: bool, vars: &[(&str, &str)]) -> bool {
        color_decision(choice, terminal, |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn colour_follows_flag_then_no_color_then_terminal() {
        use ColorChoice::*;
        assert!(decide(Always, false, &[("NO_COLOR", "1")]));
        assert!(!decide(Never, true, &[]));
        assert!(decide(Auto, true, &[]));
        assert!(!decide(Auto, false, &[]));
        assert!(!decide(Auto, true, &[("NO_COLOR", "1")]));
        assert!(decide(Auto, true, &[("NO_COLOR", "")]));
        assert!(!decide(Auto, true, &[("TERM", "dumb")]));
    }

    #[test]
    fn colour_can_be_forced_where_auto_would_not_colour() {
        use ColorChoice::*;
        for force in [
            ("FORCE_COLOR", "1"),
            ("FORCE_COLOR", "3"),
            ("CLICOLOR_FORCE", "1"),
        ] {
            assert!(decide(Auto, false, &[force]), "{force:?}");
            assert!(decide(Auto, true, &[force, ("TERM", "dumb")]), "{force:?}");
            // An explicit `--color never` always wins.
            assert!(!decide(Never, true, &[force]), "{force:?}");
        }
        // Empty or "off" values force nothing.
        for unforced in [
            ("FORCE_COLOR", ""),
            ("FORCE_COLOR", "0"),
            ("FORCE_COLOR", "false"),
            ("CLICOLOR_FORCE", ""),
            ("CLICOLOR_FORCE", "0"),
        ] {
            assert!(!decide(Auto, false, &[unforced]), "{unforced:?}");
            assert!(decide(Auto, true, &[unforced]), "{unforced:?}");
        }
        // FORCE_COLOR wins over NO_COLOR (force-color.org); NO_COLOR over CLICOLOR_FORCE
        // (bixense.com/clicolors).
        assert!(decide(
            Auto,
            false,
            &[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]
        ));
        assert!(!decide(
            Auto,
            true,
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
        ));
        assert!(!decide(
            Auto,
            true,
            &[("NO_COLOR", "1"), ("FORCE_COLOR", "0")]
        ));
    }

    #[test]
    fn tuning_from_environment() {
        let creds = Credentials::new("id", "secret");
        let mut cfg = ClientConfig::new(DEFAULT_BASE_URL, creds);
        apply_tuning(&mut cfg, 3, |k| match k {
            ENV_RATE_LIMIT => Some("5.5".into()),
            ENV_TIMEOUT => Some("2".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.concurrency, 3);
        assert_eq!(cfg.rate_per_sec, 5.5);
        assert_eq!(cfg.timeout, Duration::from_secs(2));
        let e = apply_tuning(&mut cfg, 3, |k| {
            (k == ENV_RATE_LIMIT).then(|| "fast".into())
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "ENTITLE_RATE_LIMIT=`fast` is not a number of requests per second (0 = no limit)"
        );
        assert!(apply_tuning(&mut cfg, 0, |_| None).is_err());
    }

    #[test]
    fn verbosity_maps_to_filters() {
        for v in 0..3 {
            let parsed = default_directives(v).parse::<tracing_subscriber::filter::Targets>();
            assert!(parsed.is_ok(), "{v}");
        }
        assert_eq!(default_directives(0), "warn");
        assert_eq!(default_directives(1), "warn,entitle=debug");
        assert_eq!(default_directives(5), "warn,entitle=trace");
    }
}
