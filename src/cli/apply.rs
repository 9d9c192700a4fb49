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
use entitle_engine::session::{self, Mode};

use crate::apply::{ApplyReport, Interrupt, Stop};
use crate::manifest::{DesiredPbx, LoadedManifests};
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
    /// Apply this saved plan although it breaks the spend limits: PLAN_ID is the ID of the
    /// one plan a person reviewed and approved (`plan-` and 20 hex digits, shown with the plan). Any other plan
    /// is still refused; the approval is recorded in the journal.
    #[arg(long, value_name = "PLAN_ID", value_parser = plan_id)]
    pub override_policy: Option<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
}

/// A plan ID as plans show it: `plan-` and 20 lowercase hex digits.
fn plan_id(s: &str) -> Result<String, String> {
    let hex = s.strip_prefix("plan-").unwrap_or_default();
    if hex.len() == 20
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "`{s}` is not a plan ID: a plan ID is `plan-` and 20 hex digits, as the plan shows it (`plan-3e1f…`)"
        ))
    }
}

/// What `apply` places: a plan saved by `entitle plan -o`, or a new plan of the manifests.
enum Source {
    Saved(PathBuf),
    Manifests {
        loaded: LoadedManifests,
        desired: Vec<DesiredPbx>,
    },
}

impl Source {
    /// ONE `.json` file is a saved plan; anything else, manifests (`None`: they are not valid,
    /// and their problems were printed).
    fn of(args: &ApplyArgs, color: bool) -> anyhow::Result<Option<Source>> {
        if let [p] = args.paths.as_slice()
            && p.is_file()
            && p.extension().is_some_and(|e| e == "json")
        {
            // What a saved plan orders was fixed when it was made: an option that chooses what
            // to plan would be silently ignored, and more bought than the user asked for.
            let scope = &args.scope;
            let chosen: Vec<&str> = [
                (!scope.only.is_empty(), "--only"),
                (!scope.sns.is_empty(), "--sn"),
                (!scope.selectors.is_empty(), "--selector"),
            ]
            .into_iter()
            .filter_map(|(given, name)| given.then_some(name))
            .collect();
            if !chosen.is_empty() {
                bail!(
                    "{} {} what to plan, and `{}` is a saved plan, whose orders were chosen when it was made; nothing was sent\n  help: give {} to `entitle plan` when making the plan (`-o plan.json`), then apply that plan",
                    chosen.join(", "),
                    if chosen.len() == 1 {
                        "chooses"
                    } else {
                        "choose"
                    },
                    p.display(),
                    if chosen.len() == 1 { "it" } else { "them" },
                );
            }
            return Ok(Some(Source::Saved(p.clone())));
        }
        let Some(mut loaded) = scope::load(&args.paths, color)? else {
            return Ok(None);
        };
        ScopeArgs::warn_idle_budgets(&loaded)?;
        args.scope.record_max_cost(&mut loaded);
        let desired = scope::select(&loaded, &args.scope)?;
        Ok(Some(Source::Manifests { loaded, desired }))
    }
}

/// The exit code when nothing of the plan is to be sent, having said why: no change, a
/// manifest entry in error (bad input buys nothing: a wrong entry stops every order, shown with
/// the plan of the rest), or an order the vendor's calculator refused. `Session::apply`
/// refuses the last two too.
fn nothing_to_send(
    plan: &Plan,
    source: &Source,
    text: bool,
    color: bool,
) -> anyhow::Result<Option<Exit>> {
    if plan.has_changes() && !plan.has_errors() && !plan.is_refused() {
        return Ok(None);
    }
    if !text {
        let _ = render::write_plan_json(plan, &mut Output::stdout());
    }
    if plan.has_errors() {
        let files = match source {
            Source::Manifests { loaded, .. } => loaded.files.as_slice(),
            Source::Saved(_) => &[],
        };
        render::write_plan_errors(plan, files, color, true, &mut std::io::stderr().lock())?;
    }
    Ok(Some(session::nothing_to_apply_exit(plan)))
}

/// The spend limits: a plan that breaks one sends nothing (exit 7) unless `--override-policy`
/// names this very plan, which is then journaled as approved over them.
fn policy_gate(
    plan: &Plan,
    args: &ApplyArgs,
    saved: Option<&std::path::Path>,
    session: &mut entitle_engine::session::Session,
) -> anyhow::Result<Option<Exit>> {
    // An approval names a plan that was reviewed: a saved one.
    let how = match saved {
        Some(path) => format!(
            "`entitle apply {} --override-policy {}`",
            path.display(),
            plan.plan_id
        ),
        None => "save the plan (`entitle plan -o plan.json`), have it reviewed, then `entitle apply plan.json --override-policy <its ID>`".to_owned(),
    };
    let mut limits = args.scope.limits(plan);
    let mut err = std::io::stderr().lock();
    if saved.is_some() && !policy_on_disk(plan, &mut limits, &mut err)? {
        return Ok(Some(Exit::Error));
    }
    let violations = crate::policy::check(plan, &limits);
    match &args.override_policy {
        _ if !plan.has_changes() => {}
        Some(id) if violations.is_empty() => writeln!(
            err,
            "note: --override-policy {id}: the plan is within its spend limits; nothing is overridden"
        )?,
        None if violations.is_empty() => {}
        Some(id) if *id == plan.plan_id => {
            let limits: Vec<String> = violations
                .iter()
                .map(|v| format!("{} {}", v.limit, render::violation_words(v)))
                .collect();
            for l in &limits {
                writeln!(
                    err,
                    "warning: over the spend limits, approved by --override-policy: {l}"
                )?;
            }
            session.approve_over_policy(format!(
                "applied over the spend limits by --override-policy {id}: {}",
                limits.join(" | ")
            ));
        }
        Some(id) => {
            render::write_violations(&violations, &mut err)?;
            writeln!(
                err,
                "error: --override-policy {id} approves another plan; this one is {}, and nothing of it is applied",
                plan.plan_id
            )?;
            writeln!(
                err,
                "  help: an approval names the one plan approved: {how}"
            )?;
            return Ok(Some(Exit::OverBudget));
        }
        None => {
            render::write_violations(&violations, &mut err)?;
            writeln!(
                err,
                "  help: to apply it anyway, a person approves this plan: {how}"
            )?;
            return Ok(Some(Exit::OverBudget));
        }
    }
    Ok(None)
}

/// Adds to `limits` the policy files where a saved plan's manifests are now, when they are
/// here: a limit added or tightened since the plan was made holds it too (a loosened one never
/// loosens what it recorded). `false`: a policy file there is invalid (said).
fn policy_on_disk(
    plan: &Plan,
    limits: &mut crate::policy::Limits,
    err: &mut impl Write,
) -> anyhow::Result<bool> {
    let paths: Vec<PathBuf> = plan.selection.paths.iter().map(PathBuf::from).collect();
    if !paths.is_empty() && !paths.iter().any(|p| p.exists()) {
        writeln!(
            err,
            "note: the plan's manifests ({}) are not here: it is held to the limits it recorded, not to any policy file as it is now",
            plan.selection.paths.join(", ")
        )?;
    }
    let now = match crate::manifest::load_policies(&paths) {
        Ok(p) => p,
        Err(problems) => {
            render::write_invalid(&problems, false, err)?;
            return Ok(false);
        }
    };
    for p in now.into_iter().filter(|p| !plan.policy.contains(p)) {
        let was = if plan.policy.iter().any(|r| r.file == p.file) {
            "is not as it was when the plan was made: the plan is held to both"
        } else {
            "is new since the plan was made: the plan is held to it too"
        };
        writeln!(err, "note: {} {was}", p.file)?;
        limits.policies.push(p);
    }
    Ok(true)
}

/// Shows the plan's summary again, with its total, and asks for `yes` on the terminal.
fn confirm(plan: &Plan, color: bool) -> anyhow::Result<bool> {
    let mut err = std::io::stderr().lock();
    render::write_confirmation(plan, color, &mut err)?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
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
    let settings = args.scope.settings(&args.network)?;
    let Some(source) = Source::of(&args, color_err)? else {
        return Ok(Exit::Error);
    };
    let mut note = scope::OrderListNote::default();
    config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, settings.clock).await?;
        note.watch(&conn.client);
        let mut session = scope::open(&conn, settings, Mode::Apply).await?;
        let plan = match &source {
            Source::Saved(path) => match session.load_saved(path).await? {
                Ok(plan) => plan,
                Err(refusal) => {
                    render::write_refusal(&refusal, &mut std::io::stderr().lock())?;
                    return Ok(refusal.exit());
                }
            },
            Source::Manifests { loaded, desired } => {
                let inputs = scope::PlanInputs {
                    manifests: loaded,
                    desired,
                    selection: args.scope.selection(&args.paths),
                    // The calculator is asked about every order before any is sent: a
                    // refusal stops the plan, and the total is shown before a confirmation.
                    price: args.scope.wants_price(true, &loaded.policies),
                    color: color_err,
                    quiet: global.quiet,
                };
                match scope::make_plan(&mut session, inputs).await? {
                    Ok(plan) => plan,
                    Err(_) => return Ok(Exit::Error),
                }
            }
        };
        // A closed stdout (`| head`) hides the plan but changes nothing about it.
        if text {
            let opts = TextOptions {
                color: color_out,
                show_bodies: false,
            };
            let _ = render::write_plan_text(&plan, opts, &mut Output::stdout());
        }
        render::write_blocked(&plan, &mut std::io::stderr().lock())?;
        if let Some(exit) = nothing_to_send(&plan, &source, text, color_err)? {
            return Ok(exit);
        }
        // A spend limit the plan breaks: nothing of it is sent, unless a person approved it.
        let saved = match &source {
            Source::Saved(path) => Some(path.as_path()),
            Source::Manifests { .. } => None,
        };
        if let Some(exit) = policy_gate(&plan, &args, saved, &mut session)? {
            return Ok(exit);
        }
        if !args.auto_approve && !confirm(&plan, color_err)? {
            eprintln!("Apply cancelled; nothing was sent.");
            return Ok(Exit::Success);
        }
        let interrupt = Arc::new(Interrupt::default());
        // Registered now, before the first order: from here on Ctrl-C, SIGTERM (a CI runner's
        // cancel) and SIGHUP stop new orders instead of killing the process mid-save.
        let watcher = watch_signals(interrupt.clone())?;
        let progress = super::progress::display(super::progress::ORDERING, global.quiet);
        let report = session.apply(&plan, interrupt, progress.as_ref()).await?;
        watcher.abort();
        // Decided before anything is written: a closed pipe cannot change what happened.
        let exit = session::apply_exit(&report, &plan);
        print_result(&report, text, color_out);
        Ok(exit)
    })
}

/// The result on stdout; a reader gone away is said on stderr, never in the exit code.
fn print_result(report: &ApplyReport, text: bool, color: bool) {
    let mut out = Output::stdout();
    if text {
        let _ = writeln!(out);
        let _ = render::write_apply_text(report, color, &mut out);
    } else {
        let _ = render::write_apply_json(report, &mut out);
    }
    if let Some(e) = out.failed() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: cannot write the result to stdout ({e}); the exit code says what happened"
        );
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
