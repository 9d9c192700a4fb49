//! `entitle apply`: plan (or load a saved plan), confirm, and place the orders — each at most
//! once, with its intent journaled first (see `crate::apply`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use clap::Args;

use super::output::Output;
use super::scope::{self, ScopeArgs};
use super::{Exit, Format, GlobalArgs, NetworkArgs, config};
use crate::apply::{Interrupt, Outcome, Stop};
use crate::manifest::{DesiredPbx, LoadedManifests};
use crate::pipeline::{self, SavedCheck, Workspace};
use crate::plan::Plan;
use crate::render::{self, TextOptions};
use crate::words::plural;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifest files or directories (default: manifests/), or ONE plan file saved with
    /// `entitle plan -o`.
    #[arg(value_name = "PATH | PLANFILE", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
    /// Place the orders without asking (required when not on a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Output format of the plan and the result (`markdown` is shown as text).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// What `apply` places: a plan saved by `entitle plan -o`, or a new plan of the manifests.
enum Source {
    Saved(PathBuf),
    Manifests {
        loaded: LoadedManifests,
        desired: Vec<DesiredPbx>,
    },
}

fn saved_plan(paths: &[PathBuf]) -> Option<&PathBuf> {
    match paths {
        [p] if p.is_file() && p.extension().is_some_and(|e| e == "json") => Some(p),
        _ => None,
    }
}

/// Shows the plan's summary again, with its total, and asks for `yes` on the terminal.
fn confirm(plan: &Plan, color: bool) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    writeln!(err)?;
    render::write_summary(plan, color, &mut err)?;
    write!(err, "Place them? They cost money. Only `yes` is accepted: ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// Whether a saved plan may be applied now, given the leftovers of this workspace (the
/// ledger's holds, see `crate::ledger::saved_plan_holds`). Says why and when to re-run when
/// not.
fn may_apply_now(plan: &Plan, leftovers: &crate::apply::Resolution) -> bool {
    let holds = crate::ledger::saved_plan_holds(plan, leftovers);
    if holds.is_empty() {
        return true;
    }
    for (pbx, hold) in &holds {
        eprintln!("in doubt: {pbx}: {}", hold.reason());
    }
    let pbxs: std::collections::BTreeSet<&String> = holds.iter().map(|h| &h.0).collect();
    eprintln!(
        "error: refusing to apply plan {} now: it orders for {} with an order of this workspace not settled yet; nothing was sent",
        plan.plan_id,
        plural(pbxs.len(), "PBX", "PBXs")
    );
    // An order awaiting payment holds the plan until it settles, whatever the others' times.
    if holds.iter().any(|h| h.1.until_ms().is_none()) {
        eprintln!("re-run once the order awaiting payment is paid or cancelled");
    } else if let Some(until) = holds.iter().filter_map(|h| h.1.until_ms()).max() {
        eprintln!(
            "re-run after {}: the plan applies then if nothing moved, or is refused as stale if the order showed",
            crate::clock::Timestamp(until)
        );
    }
    false
}

pub fn run(global: &GlobalArgs, args: ApplyArgs) -> anyhow::Result<Exit> {
    let color_err = config::use_color(global, std::io::stderr().is_terminal());
    let color_out = config::use_color(global, std::io::stdout().is_terminal());
    config::init_logging(global.verbose, color_err);
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.auto_approve && !interactive {
        bail!("refusing to place orders without a terminal to confirm on; pass --auto-approve");
    }
    let text = args.format != Format::Json;
    // Prices cost a request per distinct order: asked for, or shown with the total before a
    // confirmation; an unattended apply does not need them.
    let price = args.scope.price || (!args.auto_approve && args.scope.wants_price(text));

    let clock = args.scope.clock();
    let backend = args.scope.journal.backend()?;
    let lock_wait = args.scope.lock_wait()?;

    let source = match saved_plan(&args.paths) {
        Some(path) => Source::Saved(path.clone()),
        None => {
            let Some(loaded) = scope::load(&args.paths, color_err)? else {
                return Ok(Exit::Error);
            };
            let desired = scope::select(&loaded, &args.scope)?;
            Source::Manifests { loaded, desired }
        }
    };

    let mut note = scope::OrderListNote::default();
    let rt = config::runtime()?;
    rt.block_on(async {
        let conn = config::connect(&args.network, clock).await?;
        note.watch(&conn.client);
        if args.scope.now.is_some() && !conn.is_local() {
            bail!(
                "--now is refused when applying to {}: orders are placed at the vendor's real time, so the checks for orders in flight must count from it; --now is for plans, the sandbox and tests",
                conn.client.base_url()
            );
        }
        let clock = scope::run_clock(&conn, &args.scope, clock).await?;
        // Before anything is read, so two applies can never interleave: the workspace's lock
        // and, on this machine, the vendor account's; or the account's lock in the shared
        // backend, wherever the other apply runs.
        let started = std::time::Instant::now();
        let (_account, waited_account) = match backend {
            crate::backend::Backend::Files => {
                let (lock, waited) =
                    pipeline::account_lock(conn.client.account_key(), conn.client.base_url(), lock_wait)
                        .await?;
                (Some(lock), waited)
            }
            crate::backend::Backend::Postgres(_) => (None, false),
        };
        let (mut workspace, waited) = Workspace::open(
            &backend,
            &args.scope.journal.path,
            conn.client.account_key(),
            conn.client.legacy_account_key(),
            clock,
            // What is left of the wait after this machine's account lock.
            lock_wait.saturating_sub(started.elapsed()),
        )
        .await?;
        if waited || waited_account {
            eprintln!(
                "waited {:.1}s for another apply of this account to finish",
                started.elapsed().as_secs_f64()
            );
        }
        let settle_ms = args.scope.settle_ms()?;
        let leftovers = scope::resolve_leftovers(&conn, &mut workspace, settle_ms).await?;

        // When the plan's PBXs were last read: its observation, or the saved plan's check.
        let read_at_ms;
        let mut read_orders: Option<crate::apply::ListRead> = None;
        let plan: Plan = match &source {
            Source::Saved(path) => {
                let plan = match super::show::read_plan(path) {
                    Ok(plan) => plan,
                    Err(e) => {
                        eprintln!(
                            "error: refusing a corrupt plan: {}; nothing was sent",
                            super::error_report(&e)
                        );
                        eprintln!("run `entitle plan -o` again and review the new plan");
                        return Ok(Exit::Stale);
                    }
                };
                // First: a plan saved by an older entitle (keys v1, no account) would otherwise
                // read as edited.
                if plan.account != conn.client.account_key() {
                    eprintln!(
                        "error: refusing plan {}: it was made for {}, not for the account this run applies to ({} with this client ID); nothing was sent",
                        plan.plan_id,
                        if plan.account.is_empty() {
                            "an account it does not record (it was saved by an older entitle)".to_owned()
                        } else {
                            format!("another vendor account (key {})", plan.account)
                        },
                        conn.client.base_url(),
                    );
                    eprintln!("run `entitle plan -o` against this account and review the new plan");
                    return Ok(Exit::Stale);
                }
                // Its observation time bounds every "placed since the plan" check: one later
                // than the vendor's now (a plan made with --now ahead) would blind them.
                if plan.observed_at_ms > clock.now_ms() + crate::ledger::CLOCK_SKEW_MS {
                    eprintln!(
                        "error: refusing plan {}: it says the account was read at {}, later than the vendor's time now ({}); was it made with --now ahead? nothing was sent",
                        plan.plan_id,
                        crate::clock::Timestamp(plan.observed_at_ms),
                        crate::clock::Timestamp(clock.now_ms())
                    );
                    eprintln!("run `entitle plan -o` without --now and review the new plan");
                    return Ok(Exit::Stale);
                }
                let edits = crate::plan::verify(&plan);
                if !edits.is_empty() {
                    eprintln!(
                        "error: refusing an edited plan: {} is not what entitle planned from the state it records; nothing was sent",
                        path.display()
                    );
                    for e in &edits {
                        eprintln!("  ~ {e}");
                    }
                    eprintln!("run `entitle plan -o` again and review the new plan");
                    return Ok(Exit::Stale);
                }
                match pipeline::check_saved(
                    &conn.client,
                    &workspace,
                    &plan,
                    args.network.parallelism,
                    settle_ms,
                )
                .await?
                {
                    SavedCheck::Fresh(read) => {
                        if !may_apply_now(&plan, &leftovers) {
                            return Ok(Exit::InDoubt);
                        }
                        read_at_ms = clock.now_ms();
                        read_orders = Some(read);
                        plan
                    }
                    SavedCheck::Replayed(evidence) => {
                        eprintln!(
                            "error: refusing plan {}: the vendor's order list shows it applied, or its PBXs ordered for, since it was made (from another checkout or machine?); nothing was sent",
                            plan.plan_id
                        );
                        for (pbx, what) in &evidence {
                            eprintln!("  ~ {pbx}: {what}");
                        }
                        eprintln!("run `entitle plan -o` again and review the new plan");
                        return Ok(Exit::Stale);
                    }
                    SavedCheck::AlreadyApplied { journal } => {
                        eprintln!(
                            "error: refusing to replay plan {}: it was applied before (it is in {}); plans apply once: run `entitle plan -o` again",
                            plan.plan_id,
                            journal.display()
                        );
                        return Ok(Exit::Stale);
                    }
                    SavedCheck::Stale(stale) => {
                        eprintln!(
                            "error: the saved plan is stale: {} changed since it was made; nothing was sent",
                            stale.len()
                        );
                        for (pbx, what) in &stale {
                            eprintln!("  ~ {pbx}: {}", what.join("; "));
                        }
                        eprintln!("run `entitle plan -o` again and review the new plan");
                        return Ok(Exit::Stale);
                    }
                }
            }
            Source::Manifests { loaded, desired } => {
                let planned = scope::make_plan(
                    &conn,
                    &args.scope,
                    clock,
                    args.network.parallelism,
                    scope::PlanInputs {
                        manifests: loaded,
                        desired,
                        paths: &args.paths,
                        leftovers,
                        price,
                        color: color_err,
                        quiet: global.quiet,
                    },
                )
                .await?;
                let Ok(plan) = planned else {
                    return Ok(Exit::Error);
                };
                read_at_ms = plan.observed_at_ms;
                plan
            }
        };

        if text {
            // A closed stdout (`| head`) hides the plan but changes nothing about it.
            let _ = render::write_plan_text(
                &plan,
                TextOptions {
                    color: color_out,
                    show_bodies: false,
                },
                &mut Output::stdout(),
            );
        }
        let in_doubt = plan.doubt_until_ms().is_some();
        let blocked: Vec<&String> = plan.pbxs.iter().flat_map(|p| &p.blocked).collect();
        for b in &blocked {
            eprintln!("error: {b}");
        }
        let blocked = !blocked.is_empty();
        if !plan.has_changes() {
            if !text {
                let _ = render::write_plan_json(&plan, &mut Output::stdout());
            }
            return Ok(if blocked {
                Exit::Partial
            } else if in_doubt {
                Exit::InDoubt
            } else {
                Exit::Success
            });
        }
        if !args.auto_approve && !confirm(&plan, color_err)? {
            eprintln!("Apply cancelled; nothing was sent.");
            return Ok(Exit::Success);
        }

        let interrupt = Arc::new(Interrupt::default());
        // Registered now, before the first order: from here on Ctrl-C, SIGTERM (a CI runner's
        // cancel) and SIGHUP stop new orders instead of killing the process mid-save.
        let watcher = watch_signals(interrupt.clone())?;
        let report = pipeline::apply_plan(
            &conn.client,
            workspace,
            &plan,
            pipeline::ApplySettings {
                parallelism: args.network.parallelism,
                settle_ms,
                read_at_ms,
            },
            read_orders,
            interrupt,
            super::progress::display(super::progress::ORDERING, global.quiet).as_ref(),
        )
        .await?;
        watcher.abort();

        // Decided before anything is written: a closed pipe cannot change what happened.
        let exit = apply_exit(&report, blocked, in_doubt);
        let mut out = Output::stdout();
        if text {
            let _ = writeln!(out);
            let _ = render::write_apply_text(&report, color_out, &mut out);
        } else {
            let _ = serde_json::to_writer_pretty(&mut out, &report);
            let _ = writeln!(out);
        }
        if let Some(e) = out.failed() {
            let _ = writeln!(
                std::io::stderr(),
                "warning: cannot write the result to stdout ({e}); the exit code says what happened"
            );
        }
        Ok(exit)
    })
}

/// The exit code of an apply that ran: the worst of what happened to its orders.
fn apply_exit(report: &crate::apply::ApplyReport, blocked: bool, in_doubt: bool) -> Exit {
    let placed = report.count(Outcome::Done) + report.count(Outcome::Pending) > 0;
    if report.count(Outcome::Unknown) > 0 {
        Exit::Unknown
    } else if report.count(Outcome::Failed) > 0 || blocked {
        Exit::Partial
    } else if let Some(stop) = report.stopped_by {
        match stop {
            Stop::Sigint => Exit::Interrupted,
            Stop::Sigterm => Exit::Terminated,
            Stop::Sighup => Exit::HungUp,
            // The run's own records failed: an error, never an interrupt; partial when some
            // orders went through before it.
            Stop::Journal | Stop::LockLost if placed => Exit::Partial,
            Stop::Journal | Stop::LockLost => Exit::Error,
        }
    } else if in_doubt {
        Exit::InDoubt
    } else if report.count(Outcome::Skipped) > 0 {
        Exit::Partial
    } else {
        Exit::Success
    }
}

/// Watches for SIGINT, SIGTERM and SIGHUP: each stops new orders; the orders already sent
/// finish and are journaled.
fn watch_signals(interrupt: Arc<Interrupt>) -> std::io::Result<tokio::task::JoinHandle<()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt())?;
        let mut term = signal(SignalKind::terminate())?;
        let mut hup = signal(SignalKind::hangup())?;
        Ok(tokio::spawn(async move {
            loop {
                let (stop, name) = tokio::select! {
                    Some(()) = int.recv() => (Stop::Sigint, "interrupt"),
                    Some(()) = term.recv() => (Stop::Sigterm, "SIGTERM"),
                    Some(()) = hup.recv() => (Stop::Sighup, "SIGHUP"),
                    else => return,
                };
                // Never `eprintln!`: after SIGHUP the terminal may be gone, and a panic here
                // must not be what the run ends on.
                let _ = match interrupt.stop(stop) {
                    0 => writeln!(std::io::stderr(), "\n{name}: no new order starts"),
                    n => writeln!(
                        std::io::stderr(),
                        "\n{name}: no new order starts; waiting for the {} already sent",
                        plural(n, "order", "orders")
                    ),
                };
            }
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupt.stop(Stop::Sigint);
                eprintln!("\ninterrupt: no new order starts");
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{ApplyReport, OrderReport};

    fn report(outcomes: &[Outcome], stopped_by: Option<Stop>) -> ApplyReport {
        ApplyReport {
            format_version: String::new(),
            plan_id: String::new(),
            orders: outcomes
                .iter()
                .map(|&outcome| OrderReport {
                    sn: "SN1".into(),
                    product: crate::model::ProductId(12),
                    kind: crate::plan::ActionKind::PurchaseService,
                    po_number: None,
                    outcome,
                    order_no: None,
                    status: None,
                    price: None,
                    message: None,
                })
                .collect(),
            interrupted: stopped_by.is_some(),
            lock_session_ended: false,
            stopped_by,
        }
    }

    /// The exit code says the worst of what happened, and a failure of the run's own records
    /// (the journal, the shared lock) is an error, never an interrupt.
    #[test]
    fn exits_say_what_happened() {
        use Outcome::*;
        let exit = |o: &[Outcome], s| apply_exit(&report(o, s), false, false);
        assert_eq!(exit(&[Done, Unknown], Some(Stop::Sigterm)), Exit::Unknown);
        assert_eq!(
            exit(&[Done, Skipped], Some(Stop::Sigint)),
            Exit::Interrupted
        );
        assert_eq!(
            exit(&[Done, Skipped], Some(Stop::Sigterm)),
            Exit::Terminated
        );
        assert_eq!(exit(&[Done, Skipped], Some(Stop::Sighup)), Exit::HungUp);
        assert_eq!(exit(&[Skipped, Skipped], Some(Stop::Journal)), Exit::Error);
        assert_eq!(exit(&[Done, Skipped], Some(Stop::Journal)), Exit::Partial);
        assert_eq!(
            exit(&[Pending, Skipped], Some(Stop::LockLost)),
            Exit::Partial
        );
        assert_eq!(exit(&[Done, Failed], None), Exit::Partial);
        assert_eq!(exit(&[Done], None), Exit::Success);
        assert_eq!(Exit::Terminated.code(), 143);
        assert_eq!(Exit::HungUp.code(), 129);
    }
}
