//! What `plan` and `apply` share: which PBXs are in scope (paths, `--sn`, `--selector`), the
//! clock, and the printing around the library's plan pipeline ([`crate::pipeline`]).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;

use super::config::Connection;
use crate::apply::Resolution;
use crate::clock::Timestamp;
use crate::clock::{Clock, Now};
use crate::manifest::{self, DesiredPbx, Diagnostics, LoadedManifests};
use crate::pipeline::{self, PlanRequest, Planned, Workspace};
use crate::plan::{Plan, Selection};

/// Scope and behaviour options of `plan` and `apply`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Planning")]
pub struct ScopeArgs {
    /// Only this PBX (repeatable).
    #[arg(long = "sn", value_name = "SN", help_heading = "Selection")]
    pub sns: Vec<String>,
    /// Only PBXs whose labels match KEY=VALUE; `a=b,c=d` or a repeated option: all must match.
    #[arg(
        long = "selector",
        value_name = "KEY=VALUE",
        help_heading = "Selection"
    )]
    pub selectors: Vec<String>,
    /// Run as of this date (or UTC time, e.g. 2026-11-22T09:00:00Z) instead of now: the
    /// plan's today, the pending-orders window and the journal's times all count from it.
    #[arg(long, value_name = "DATE|TIME")]
    pub now: Option<Now>,
    /// How far back recent orders are checked for ones still pending (e.g. 30d, 4w).
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub pending_window: String,
    /// How long an order may take to show in the vendor's order list and on its PBX. An order
    /// of unknown outcome with no trace is concluded never placed only after this; until then
    /// its PBX is in doubt and nothing more is ordered for it (e.g. 10m, 90s, 1h).
    // Ten minutes by default: the vendor documents no bound; an order it stores seconds after
    // the client gave up (a 30 s timeout) and lists a little later is well inside it, and a
    // re-run in the same CI job is not held up for long.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10m",
        env = "ENTITLE_SETTLE_PERIOD"
    )]
    pub settle_period: String,
    #[command(flatten)]
    pub journal: super::JournalArgs,
    /// How long to wait for the lock held by another apply (e.g. 5m); default: do not wait.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
    /// Ask the vendor's calculator for each order's price (default for text and markdown).
    #[arg(long, overrides_with = "no_price")]
    pub price: bool,
    /// Do not ask for prices.
    #[arg(long, overrides_with = "price")]
    pub no_price: bool,
}

impl ScopeArgs {
    /// The clock of this run: `--now`, or the system clock.
    pub fn clock(&self) -> Clock {
        self.now.map_or_else(Clock::system, Now::clock)
    }

    pub fn pending_window_days(&self) -> anyhow::Result<u32> {
        parse_days(&self.pending_window).with_context(|| {
            format!(
                "--pending-window {}: expected e.g. 30d or 4w",
                self.pending_window
            )
        })
    }

    /// `--lock-timeout`.
    pub fn lock_wait(&self) -> anyhow::Result<std::time::Duration> {
        let ms = parse_span_ms(&self.lock_timeout).with_context(|| {
            format!(
                "--lock-timeout {}: expected e.g. 0s, 30s or 5m",
                self.lock_timeout
            )
        })?;
        Ok(std::time::Duration::from_millis(ms.unsigned_abs()))
    }

    /// `--settle-period` in milliseconds.
    pub fn settle_ms(&self) -> anyhow::Result<i64> {
        parse_span_ms(&self.settle_period).with_context(|| {
            format!(
                "--settle-period {}: expected e.g. 10m, 90s or 1h",
                self.settle_period
            )
        })
    }

    /// Whether to price: `--price`/`--no-price`, else `for_people` (text and Markdown
    /// output price by default; JSON and unattended runs do not).
    pub fn wants_price(&self, for_people: bool) -> bool {
        if self.no_price {
            false
        } else {
            self.price || for_people
        }
    }
}

/// `30d`, `4w` → days.
pub(super) fn parse_days(s: &str) -> anyhow::Result<u32> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 'd')) => (&s[..i], 1),
        Some((i, 'w')) => (&s[..i], 7),
        _ => bail!("a duration is a number followed by d (days) or w (weeks)"),
    };
    let n: u32 = num.parse().context("not a whole number")?;
    n.checked_mul(mult).context("too long")
}

/// `90s`, `10m`, `1h` → milliseconds.
pub(super) fn parse_span_ms(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, 's')) => (&s[..i], 1_000),
        Some((i, 'm')) => (&s[..i], 60_000),
        Some((i, 'h')) => (&s[..i], 3_600_000),
        _ => bail!("a duration is a number followed by s, m or h"),
    };
    let n: u32 = num.parse().context("not a whole number")?;
    i64::from(n).checked_mul(mult).context("too long")
}

/// Loads manifests, printing every diagnostic on failure.
pub(super) fn load(paths: &[PathBuf], color: bool) -> anyhow::Result<Option<LoadedManifests>> {
    Ok(load_or_problems(paths, color)?.ok())
}

/// Loads manifests; on failure prints every diagnostic and returns them.
pub(super) fn load_or_problems(
    paths: &[PathBuf],
    color: bool,
) -> anyhow::Result<Result<LoadedManifests, Diagnostics>> {
    match manifest::load(paths) {
        Ok(m) => Ok(Ok(m)),
        Err(diags) => {
            let mut err = std::io::stderr().lock();
            diags.render(&[], &mut err, color)?;
            Ok(Err(diags))
        }
    }
}

/// The PBXs of the manifests that `--sn` picks (all of them without `--sn`); an SN that names
/// no PBX is an error naming the closest SN.
pub(super) fn by_sn<'m>(
    m: &'m LoadedManifests,
    sns: &'m [String],
) -> anyhow::Result<impl Iterator<Item = &'m DesiredPbx>> {
    for sn in sns {
        if !m.pbxs.iter().any(|p| p.sn.eq_ignore_ascii_case(sn)) {
            let hint = manifest::suggest(sn, m.pbxs.iter().map(|p| p.sn.as_str()))
                .map(|s| format!("; did you mean {s}?"))
                .unwrap_or_default();
            bail!("--sn {sn}: no PBX with this SN in the manifests{hint}");
        }
    }
    Ok(m.pbxs
        .iter()
        .filter(move |p| sns.is_empty() || sns.iter().any(|s| s.eq_ignore_ascii_case(&p.sn))))
}

/// The PBXs selected by `--sn` and `--selector`; a selector that matches nothing is an error.
pub(super) fn select(m: &LoadedManifests, scope: &ScopeArgs) -> anyhow::Result<Vec<DesiredPbx>> {
    // `a=b,c=d` means a=b AND c=d, as kubectl reads it; so do repeated --selector options.
    let mut selectors = Vec::new();
    for s in scope.selectors.iter().flat_map(|s| s.split(',')) {
        let Some((k, v)) = s.split_once('=') else {
            bail!("--selector {s}: expected KEY=VALUE, e.g. --selector customer=acme,site=hq");
        };
        selectors.push((k.trim(), v.trim()));
    }
    let chosen: Vec<DesiredPbx> = by_sn(m, &scope.sns)?
        .filter(|p| {
            selectors
                .iter()
                .all(|(k, v)| p.labels.get(*k).is_some_and(|x| x == v))
        })
        .cloned()
        .collect();
    if chosen.is_empty() && !selectors.is_empty() {
        bail!("no PBX matches {}", scope.selectors.join(" and "));
    }
    Ok(chosen)
}

/// Resolves leftovers of earlier applies (orders of unknown outcome) and says what it found.
pub(super) async fn resolve_leftovers(
    conn: &Connection,
    workspace: &mut Workspace,
    settle_ms: i64,
) -> anyhow::Result<Resolution> {
    let res = pipeline::resolve_leftovers(&conn.client, workspace, settle_ms).await?;
    for (po, order_no, status) in &res.found {
        eprintln!("resolved: order {po} of an earlier apply exists as {order_no} ({status})");
    }
    for (po, sn) in &res.took_effect {
        eprintln!(
            "resolved: order {po} of an earlier apply is not listed, but {sn} changed since it was sent; taken as placed"
        );
    }
    for po in &res.absent {
        eprintln!(
            "resolved: order {po} of an earlier apply left no trace within the settle period: never placed; planning it again"
        );
    }
    for (_, sn, d) in &res.in_doubt {
        eprintln!(
            "in doubt: order {} for {sn} sent at {}: {}; nothing more is ordered for {sn} until it shows or {} passes",
            d.po_number.as_deref().unwrap_or("?"),
            Timestamp(d.since_ms),
            d.reason,
            Timestamp(d.until_ms)
        );
    }
    Ok(res)
}

/// Says once, as a command ends, what finding the recent orders cost when the order list had
/// to be read whole: a cost that grows with the account's history, not with the window, so the
/// user should know (a list read backwards, at the window's cost, shows only with `-v`). A
/// guard, so that every way out of the command says it, errors included; a command keeps it
/// until its output is written, so the note comes last.
#[derive(Default)]
pub(super) struct OrderListNote(Option<crate::api::Client>);

impl OrderListNote {
    /// The client whose reads are told of (its clones share the tally).
    pub(super) fn watch(&mut self, client: &crate::api::Client) {
        self.0 = Some(client.clone());
    }
}

impl Drop for OrderListNote {
    fn drop(&mut self) {
        if let Some(note) = self.0.as_ref().and_then(|c| c.order_list_cost().note()) {
            eprintln!("note: {note}");
        }
    }
}

/// A clock this far from the vendor's is named in the output.
const SKEW_SAID_MS: i64 = 60_000;

/// The clock of a run that reads the account: `--now` when given (plans, the sandbox, tests);
/// otherwise the vendor's, as its `Date` headers tell it, so a clock that is off on this
/// machine neither moves "today" nor shortens a settle or in-doubt window. A skew beyond a
/// minute is named. Without a `Date` from the vendor, this machine's clock, said with `-v`.
pub(super) async fn run_clock(
    conn: &Connection,
    scope: &ScopeArgs,
    local: Clock,
) -> anyhow::Result<Clock> {
    if scope.now.is_some() {
        return Ok(local);
    }
    let Some(vendor) = conn.client.vendor_clock().await? else {
        tracing::info!(
            "the vendor's answers carry no Date header: windows are counted on this machine's clock"
        );
        return Ok(local);
    };
    let skew = local.now_ms() - vendor.now_ms();
    if skew.abs() > SKEW_SAID_MS {
        eprintln!(
            "warning: this machine's clock is {} {} the vendor's (its Date header); today's date and every settle and in-doubt window are taken from the vendor's clock",
            crate::words::span(skew.unsigned_abs()),
            if skew > 0 { "ahead of" } else { "behind" }
        );
    }
    Ok(vendor)
}

/// What a plan is made from, besides the connection and the scope options.
pub(super) struct PlanInputs<'a> {
    pub manifests: &'a LoadedManifests,
    pub desired: &'a [DesiredPbx],
    /// The paths as given, recorded in the plan's selection.
    pub paths: &'a [PathBuf],
    /// What the resolution of leftovers found.
    pub leftovers: Resolution,
    pub price: bool,
    pub color: bool,
    /// No progress display.
    pub quiet: bool,
}

/// Runs the plan pipeline for the selected PBXs; prints plan errors (with their places) and
/// price warnings. `Err`: the plan was refused for these problems, which are printed.
pub(super) async fn make_plan(
    conn: &Connection,
    scope: &ScopeArgs,
    clock: Clock,
    parallelism: usize,
    inputs: PlanInputs<'_>,
) -> anyhow::Result<Result<Plan, Diagnostics>> {
    let reading = super::progress::display(super::progress::READING, inputs.quiet);
    let pricing = super::progress::display(super::progress::PRICING, inputs.quiet);
    let planned = pipeline::make_plan(
        &conn.client,
        PlanRequest {
            manifests: inputs.manifests,
            desired: inputs.desired,
            selection: Selection {
                paths: inputs
                    .paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
                sns: scope.sns.clone(),
                selectors: scope.selectors.clone(),
            },
            clock,
            parallelism,
            pending_window_days: scope.pending_window_days()?,
            settle_ms: scope.settle_ms()?,
            leftovers: inputs.leftovers,
            price: inputs.price,
        },
        reading.as_ref(),
        pricing.as_ref(),
    )
    .await?;
    match planned {
        Planned::Plan { plan, warnings } => {
            for w in warnings {
                eprintln!("warning: {w}");
            }
            Ok(Ok(*plan))
        }
        Planned::Refused(diags) => {
            let count = diags.0.len();
            diags.render(
                &inputs.manifests.files,
                &mut std::io::stderr().lock(),
                inputs.color,
            )?;
            eprintln!(
                "{}; nothing was planned and nothing was sent",
                crate::words::plural(count, "plan error", "plan errors")
            );
            Ok(Err(diags))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_days, parse_span_ms};

    #[test]
    fn durations() {
        assert_eq!(parse_span_ms("10m").unwrap(), 600_000);
        assert_eq!(parse_span_ms("90s").unwrap(), 90_000);
        assert_eq!(parse_span_ms("1h").unwrap(), 3_600_000);
        assert!(parse_span_ms("10").is_err());
        assert!(parse_span_ms("-1m").is_err());
        assert_eq!(parse_days("30d").unwrap(), 30);
        assert_eq!(parse_days("4w").unwrap(), 28);
        assert!(parse_days("30").is_err());
        assert!(parse_days("d").is_err());
        assert!(parse_days("-1d").is_err());
    }
}
