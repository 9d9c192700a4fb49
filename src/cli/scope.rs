//! What `plan` and `apply` share: which PBXs are in scope (paths, `--sn`, `--selector`), the
//! clock, and the printing around the library's plan pipeline ([`crate::pipeline`]).

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use entitle_engine::session::{Mode, Planned, Session, Settings};

use super::NetworkArgs;
use super::config::Connection;
use crate::clock::{Clock, Now};
use crate::manifest::{self, DesiredPbx, Diagnostics, LoadedManifests};
use crate::plan::{Plan, Selection};
use crate::render;
use crate::wire::span::Span;

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
    /// Only changes of these operations (purchase_plan, switch_plan, purchase_service,
    /// renew_plan, enable_auto_renew; repeatable or comma-separated): a PBX with a change of
    /// any other is held back whole, listed and not ordered, e.g. `--only renew_plan` for a
    /// scheduled job that carries out due renewals and leaves the rest to a review.
    #[arg(
        long = "only",
        value_name = "OPERATION",
        value_delimiter = ',',
        help_heading = "Selection"
    )]
    pub only: Vec<crate::plan::ActionKind>,
    /// Run as of this date (or UTC time, e.g. 2026-11-22T09:00:00Z) instead of now: the
    /// plan's today, the pending-orders window and the journal's times all count from it.
    #[arg(long, value_name = "DATE|TIME")]
    pub now: Option<Now>,
    /// How far back recent orders are checked for ones still pending (e.g. 30d, 4w).
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub pending_window: Span,
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
    pub settle_period: Span,
    #[command(flatten)]
    pub journal: super::JournalArgs,
    /// How long to wait for the lock held by another apply (e.g. 5m); default: do not wait.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: Span,
    /// Ask the vendor's calculator for each order's price (default for text and markdown, and
    /// for `apply`: an order the calculator refuses stops the whole plan before anything is sent).
    #[arg(long, overrides_with = "no_price")]
    pub price: bool,
    /// Do not ask for prices (nor learn the calculator's refusals before orders are sent).
    #[arg(long, overrides_with = "price")]
    pub no_price: bool,
    /// The most the plan may cost, e.g. 'USD 5000': over it (or with an order whose price is
    /// unknown), apply sends nothing and exits 7, as does plan --detailed-exitcode.
    #[arg(long, value_name = "AMOUNT")]
    pub max_cost: Option<crate::policy::Budget>,
}

impl ScopeArgs {
    pub fn clock(&self) -> Clock {
        self.now.map_or_else(Clock::system, Now::clock)
    }

    /// `--max-cost` joins the manifests' policy files, so that the plan records it and a saved
    /// plan is applied under the budget it was made with.
    pub fn record_max_cost(&self, manifests: &mut LoadedManifests) {
        if let Some(b) = &self.max_cost {
            manifests
                .policies
                .push(crate::policy::Policy::max_cost(b.clone()));
        }
    }

    /// The spend limits `plan` is held to: the policy files and `--max-cost` it was made
    /// under (recorded in it, so a saved plan keeps them), and this run's `--max-cost`.
    pub fn limits(&self, plan: &Plan) -> crate::policy::Limits {
        let recorded = |b: &crate::policy::Budget| {
            plan.policy
                .iter()
                .any(|p| *p == crate::policy::Policy::max_cost(b.clone()))
        };
        crate::policy::Limits {
            per_run: self.max_cost.clone().filter(|b| !recorded(b)),
            policies: plan.policy.clone(),
        }
    }

    /// Says, on stderr, each customer budget no PBX of the manifests falls under: a budget
    /// for a customer of other manifests, or one that holds nothing.
    pub fn warn_idle_budgets(manifests: &LoadedManifests) -> std::io::Result<()> {
        use std::io::Write as _;
        let mut err = std::io::stderr().lock();
        for (at, name) in crate::policy::idle_customer_budgets(&manifests.policies, &manifests.pbxs)
        {
            writeln!(
                err,
                "warning: {at}: budget.perCustomer.{name}: no PBX of these manifests has customer `{name}`; this budget holds nothing here"
            )?;
        }
        Ok(())
    }

    /// Whether to ask for prices; `policies` are those of the manifests.
    pub fn wants_price(&self, for_people: bool, policies: &[crate::policy::Policy]) -> bool {
        if self.no_price {
            false
        } else {
            // A budget needs the prices: without them every order is over it.
            let budgets = policies
                .iter()
                .any(|p| p.per_run.is_some() || p.per_pbx.is_some() || !p.per_customer.is_empty());
            self.price || for_people || self.max_cost.is_some() || budgets
        }
    }

    /// The session's settings; whether the API is local is known once it is connected.
    pub fn settings(&self, net: &NetworkArgs) -> anyhow::Result<Settings> {
        let Some(pending_window_days) = self.pending_window.days() else {
            bail!(
                "--pending-window {}: expected a number of days or weeks, e.g. 30d or 4w",
                self.pending_window
            );
        };
        Ok(Settings {
            backend: self.journal.backend()?,
            journal: self.journal.path.clone(),
            lock_wait: self.lock_timeout.duration(),
            settle_ms: self.settle_period.ms(),
            pending_window_days,
            parallelism: net.parallelism,
            clock: self.clock(),
            clock_given: self.now.is_some(),
            api_is_local: false,
        })
    }

    /// How the plan's scope was chosen, as the plan records it.
    pub fn selection(&self, paths: &[PathBuf]) -> Selection {
        Selection {
            paths: paths.iter().map(|p| p.display().to_string()).collect(),
            sns: self.sns.clone(),
            selectors: self.selectors.clone(),
            operations: {
                let mut ops = self.only.clone();
                ops.sort();
                ops.dedup();
                ops
            },
        }
    }
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
            render::write_diagnostics(&diags, &[], color, &mut err)?;
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

/// Opens the session (step 1 of the engine's run) on `conn`, and says what it found.
pub(super) async fn open(
    conn: &Connection,
    mut settings: Settings,
    mode: Mode,
) -> anyhow::Result<Session> {
    settings.api_is_local = conn.is_local();
    let mut session = Session::open(conn.client.clone(), settings, mode).await?;
    render::write_notices(&session.take_notices(), &mut std::io::stderr().lock())?;
    Ok(session)
}

/// What a plan is made of, besides the session.
pub(super) struct PlanInputs<'a> {
    pub manifests: &'a LoadedManifests,
    pub desired: &'a [DesiredPbx],
    pub selection: Selection,
    pub price: bool,
    pub color: bool,
    pub quiet: bool,
}

/// Step 2: the plan, or the manifests' problems (printed here).
pub(super) async fn make_plan(
    session: &mut Session,
    inputs: PlanInputs<'_>,
) -> anyhow::Result<Result<Plan, Diagnostics>> {
    let reading = super::progress::display(super::progress::READING, inputs.quiet);
    let pricing = super::progress::display(super::progress::PRICING, inputs.quiet);
    let planned = session
        .plan(
            inputs.manifests,
            inputs.desired,
            inputs.selection,
            inputs.price,
            reading.as_ref(),
            pricing.as_ref(),
        )
        .await?;
    let mut err = std::io::stderr().lock();
    render::write_notices(&session.take_notices(), &mut err)?;
    match planned {
        Planned::Plan(plan) => Ok(Ok(*plan)),
        Planned::Refused(diags) => {
            render::write_plan_refused(&diags, &inputs.manifests.files, inputs.color, &mut err)?;
            Ok(Err(diags))
        }
    }
}
