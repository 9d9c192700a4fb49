//! A run of `plan` or `apply` against one vendor account, as named steps:
//!
//! 1. [`Session::open`]: the run's clock (the vendor's, from its `Date` headers, unless one was
//!    given), the locks, the journal, and the resolution of earlier orders of unknown outcome.
//!    An apply takes this machine's lock of the account and then the workspace's (or the shared
//!    backend's), waiting as long as allowed; a plan holds the workspace's only while resolving,
//!    and when another apply holds it, counts that apply's unsettled orders as in doubt.
//! 2. [`Session::plan`]: observe the PBXs in scope, plan, price; or [`Session::load_saved`]: a
//!    plan saved by `plan -o`, or the typed [`Refusal`] that says why it may not be applied now.
//! 3. [`Session::apply`]: journal the plan's start and place its orders.
//!
//! Nothing here prints. What the command line shows comes back as values — [`Notice`]s, a
//! [`Refusal`], an [`ApplyReport`] — and each outcome knows its [`Exit`] code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::api::{ApiError, Client};
use crate::apply::{
    self, ApplyReport, Entry, EntryState, Interrupt, JournalError, ListRead, LockError, Outcome,
    Resolution, ResolveError, Stop,
};
use crate::backend::{Backend, BackendError};
use crate::clock::Clock;
use crate::date::Date;
use crate::exit::Exit;
use crate::ledger;
use crate::manifest::{DesiredPbx, Diagnostics, LoadedManifests};
use crate::observe::{self, ObserveError, Progress};
use crate::plan::{self, Plan, PlanContext, PlanError, PlanErrors, Selection};
use crate::workspace::{self, Held, Workspace, WorkspaceError};
use entitle_core::forecast::EventKind;

/// How a session runs: the command line's settings, validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the journal and the locks live.
    pub backend: Backend,
    /// The workspace journal (`.entitle/journal.jsonl`); its directory holds the lock.
    pub journal: PathBuf,
    /// How long an apply waits for another apply of the account (`--lock-timeout`).
    pub lock_wait: Duration,
    /// How long an order's effect may take to show (`--settle-period`).
    pub settle_ms: i64,
    /// How far back the order list is read for orders awaiting payment (`--pending-window`).
    pub pending_window_days: u32,
    /// PBXs read or ordered for at once.
    pub parallelism: usize,
    /// This machine's clock, or the one given with `--now`.
    pub clock: Clock,
    /// The clock was given (`--now`): used as is, never replaced by the vendor's.
    pub clock_given: bool,
    /// The API is on this machine (the sandbox, or plain http to loopback): `--now` may be
    /// used to apply.
    pub api_is_local: bool,
}

/// What the session is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read and plan: the workspace is locked only while leftovers are resolved.
    Plan,
    /// Place orders: the account's and the workspace's locks are held until the end.
    Apply,
}

/// Something the run did that the user should hear about, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    /// This machine's clock is `skew_ms` ahead of the vendor's (behind when negative), by more
    /// than a minute: the vendor's is used.
    ClockSkew { skew_ms: i64 },
    /// Another apply of this account held the locks for this long first.
    WaitedForLock { waited: Duration },
    /// Another apply holds the workspace (`reason`): its unsettled orders are in doubt here.
    WorkspaceBusy { reason: String },
    /// What resolving earlier orders of unknown outcome found.
    Resolved(Resolution),
}

/// Why the session could not go on. Nothing was sent when it stops with one of these before
/// [`Session::apply`]; an error inside apply is part of its report instead.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(
        "--now is refused when applying to {base_url}: orders are placed at the vendor's real time, so the checks for orders in flight must count from it; --now is for plans, the sandbox and tests"
    )]
    NowRefused { base_url: String },
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Resolve(#[from] ResolveError<ApiError>),
    #[error(transparent)]
    Observe(#[from] ObserveError<ApiError>),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "refusing to apply plan {plan_id}: {} of its manifests {} wrong; nothing was sent: fix the manifests and plan again",
        crate::words::plural(*errors, "entry", "entries"),
        if *errors == 1 { "is" } else { "are" }
    )]
    PlanHasErrors { plan_id: String, errors: usize },
}

impl SessionError {
    pub fn exit(&self) -> Exit {
        Exit::Error
    }
}

/// Why a plan file could not be read as a plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read the plan file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a plan file (not JSON): {source}", path.display())]
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(
        "{} is a plan of format {found}; this entitle reads format {}: re-run `entitle plan -o`",
        path.display(), plan::FORMAT_VERSION
    )]
    Format { path: PathBuf, found: String },
    #[error("{} is not a plan file (no format_version)", path.display())]
    NoFormat { path: PathBuf },
    #[error("{} is not a valid plan file: {source}", path.display())]
    Invalid {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Reads a plan saved by `entitle plan -o`.
pub fn read_plan(path: &Path) -> Result<Plan, PlanFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| PlanFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| PlanFileError::NotJson {
            path: path.to_owned(),
            source,
        })?;
    match value.get("format_version").and_then(|v| v.as_str()) {
        Some(plan::FORMAT_VERSION) => {}
        Some(found) => {
            return Err(PlanFileError::Format {
                path: path.to_owned(),
                found: found.to_owned(),
            });
        }
        None => {
            return Err(PlanFileError::NoFormat {
                path: path.to_owned(),
            });
        }
    }
    serde_json::from_value(value).map_err(|source| PlanFileError::Invalid {
        path: path.to_owned(),
        source,
    })
}

/// Why a saved plan is not applied. Nothing was sent.
#[derive(Debug)]
pub enum Refusal {
    /// The file is not a plan this entitle reads.
    Corrupt(PlanFileError),
    /// It was made for another vendor account (`plan_account` empty: it does not record one).
    OtherAccount {
        plan_id: String,
        plan_account: String,
        base_url: String,
    },
    /// It says the account was read later than the vendor's time now.
    FromTheFuture {
        plan_id: String,
        observed_at_ms: i64,
        now_ms: i64,
    },
    /// Its orders are not what entitle plans from the state it records.
    Edited { path: PathBuf, edits: Vec<String> },
    /// Its ID is in the journal: plans apply once.
    AlreadyApplied { plan_id: String, journal: PathBuf },
    /// Entries of its manifests are wrong (an SN the account does not have): no order of it is
    /// placed until they are fixed and planned again.
    HasErrors {
        plan_id: String,
        errors: Diagnostics,
    },
    /// These PBXs changed since it was made.
    Stale(Vec<apply::MovedPbx>),
    /// The order list shows it applied elsewhere, or orders on its PBXs since it was made.
    Replayed {
        plan_id: String,
        evidence: Vec<ledger::Evidence>,
    },
    /// It orders for PBXs an order of this workspace still holds.
    NotSettled {
        plan_id: String,
        holds: Vec<ledger::PbxHold>,
    },
}

impl Refusal {
    pub fn exit(&self) -> Exit {
        match self {
            Refusal::HasErrors { .. } => Exit::Error,
            Refusal::NotSettled { .. } => Exit::InDoubt,
            _ => Exit::Stale,
        }
    }
}

/// A forecast: what each PBX's terms come to over the horizon, priced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Forecast {
    pub today: Date,
    pub days: u32,
    pub rows: Vec<ForecastRow>,
    /// PBXs whose plan or term the manifest changes first (a plan bought or switched): their
    /// renewals follow the term that order leaves, which is not known before it is placed.
    pub changed_first: Vec<ChangedFirst>,
}

/// A PBX left out of a forecast because the manifest changes its plan or term first.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChangedFirst {
    pub sn: String,
    pub product: crate::model::ProductId,
    pub customer: Option<String>,
    /// The order that changes it (`switch_plan`, `purchase_plan`).
    pub operation: plan::ActionKind,
    /// The plan's words for it.
    pub reason: String,
}

/// One event of the forecast and what it costs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ForecastRow {
    #[serde(flatten)]
    pub event: entitle_core::forecast::Event,
    /// The calculator's price of the renewal (none for a lapse, or when it could not be had).
    pub price: Option<crate::model::Price>,
    /// The figure is not the calculator's answer for that very day's order: a later
    /// recurrence, the vendor's own renewal, or a renewal after a purchase of the same plan.
    pub estimate: bool,
    /// Why a renewal has no price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why_unknown: Option<String>,
}

/// What forecasting came to.
#[derive(Debug)]
pub enum Forecasted {
    Forecast(Forecast),
    /// The manifests ask for what the vendor's rules refuse.
    Refused(Diagnostics),
}

/// What planning came to.
#[derive(Debug)]
pub enum Planned {
    /// The plan; an order the calculator could not price says why on its action.
    Plan(Box<Plan>),
    /// The manifests ask for what the account or the vendor's rules refuse: nothing planned.
    Refused(Diagnostics),
}

/// How a plan's exit code reads: a plan with a wrong manifest entry, or that cannot be carried
/// out (a blocked PBX, an order the vendor's calculator refused), is an error (before anything
/// else: `--detailed-exitcode`'s "changes" too), one that waits for an earlier order is in
/// doubt, and `--detailed-exitcode` tells changes (made here or held back by `--only`) from
/// none.
pub fn plan_exit(plan: &Plan, detailed: bool) -> Exit {
    if plan.has_errors() || plan.is_blocked() || plan.is_refused() {
        Exit::Error
    } else if plan.doubt_until_ms().is_some() {
        Exit::InDoubt
    } else if detailed && (plan.has_changes() || !plan.held_back.is_empty()) {
        // Changes `--only` held back are changes still to make.
        Exit::Changes
    } else {
        Exit::Success
    }
}

/// The exit code of an apply with nothing to order: that of an apply that placed nothing
/// (a wrong manifest entry is an error, blocked PBXs make it partial, a PBX in doubt says so).
pub fn nothing_to_apply_exit(plan: &Plan) -> Exit {
    if plan.has_errors() {
        return Exit::Error;
    }
    apply_exit(&ApplyReport::default(), plan)
}

/// The exit code of an apply that ran: the worst of what happened to its orders.
pub fn apply_exit(report: &ApplyReport, plan: &Plan) -> Exit {
    let placed = report.count(Outcome::Done) + report.count(Outcome::Pending) > 0;
    if report.count(Outcome::Unknown) > 0 {
        Exit::Unknown
    } else if plan.is_refused() && !placed {
        // The vendor refused an order before it was sent: nothing of the plan is.
        Exit::Error
    } else if report.count(Outcome::Failed) > 0 || plan.is_blocked() {
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
    } else if plan.doubt_until_ms().is_some() {
        Exit::InDoubt
    } else if report.count(Outcome::Skipped) > 0 {
        Exit::Partial
    } else {
        Exit::Success
    }
}

/// How the plan's PBXs were last read, for the executor's freshness checks.
#[derive(Debug, Default)]
struct LastRead {
    /// When (epoch ms): the observation, or the saved plan's check.
    at_ms: i64,
    /// The order list as the saved plan's check read it.
    orders: Option<ListRead>,
}

/// An open run against one vendor account.
#[derive(Debug)]
pub struct Session {
    client: Client,
    settings: Settings,
    mode: Mode,
    clock: Clock,
    /// Held for an apply; a plan's is released once leftovers are resolved.
    workspace: Option<Workspace>,
    /// This machine's lock of the account (apply, on the workspace backend).
    _account: Option<apply::WorkspaceLock>,
    leftovers: Resolution,
    notices: Vec<Notice>,
    last_read: LastRead,
    /// Why the plan applies over its spend limits, when a person approved it
    /// (`--override-policy`): journaled with the plan's start.
    override_note: Option<String>,
}

/// No more than a minute between this machine's clock and the vendor's goes unsaid.
const SKEW_SAID_MS: i64 = 60_000;

impl Session {
    /// Step 1: the clock, the locks, the journal, and the leftovers of earlier applies.
    pub async fn open(
        client: Client,
        settings: Settings,
        mode: Mode,
    ) -> Result<Self, SessionError> {
        let mut notices = Vec::new();
        if mode == Mode::Apply && settings.clock_given && !settings.api_is_local {
            return Err(SessionError::NowRefused {
                base_url: client.base_url().to_owned(),
            });
        }
        let clock = run_clock(&client, &settings, &mut notices).await?;
        let account = client.account_key().to_owned();
        let legacy = client.legacy_account_key().map(str::to_owned);
        let (workspace, account_lock, leftovers) = match mode {
            Mode::Apply => {
                // Before anything is read, so two applies can never interleave: this machine's
                // lock of the account and the workspace's; or the account's lock in the shared
                // backend, wherever the other apply runs.
                let started = std::time::Instant::now();
                let (account_lock, waited_account) = match settings.backend {
                    Backend::Files => {
                        let (lock, waited) = workspace::account_lock(
                            &account,
                            client.base_url(),
                            settings.lock_wait,
                        )
                        .await?;
                        (Some(lock), waited)
                    }
                    Backend::Postgres(_) => (None, false),
                };
                let (mut ws, waited) = Workspace::open(
                    &settings.backend,
                    &settings.journal,
                    &account,
                    legacy.as_deref(),
                    clock,
                    // What is left of the wait after this machine's account lock.
                    settings.lock_wait.saturating_sub(started.elapsed()),
                )
                .await?;
                if waited || waited_account {
                    notices.push(Notice::WaitedForLock {
                        waited: started.elapsed(),
                    });
                }
                let leftovers =
                    apply::resolve_leftovers(&client, &mut ws.journal, settings.settle_ms).await?;
                notices.push(Notice::Resolved(leftovers.clone()));
                (Some(ws), account_lock, leftovers)
            }
            Mode::Plan => {
                // Orders of unknown outcome from earlier applies are resolved first — unless an
                // apply is running right now, whose journal entries are not leftovers.
                let opened = Workspace::open(
                    &settings.backend,
                    &settings.journal,
                    &account,
                    legacy.as_deref(),
                    clock,
                    Duration::ZERO,
                )
                .await;
                let leftovers = match opened {
                    Ok((mut ws, _)) => {
                        let found =
                            apply::resolve_leftovers(&client, &mut ws.journal, settings.settle_ms)
                                .await?;
                        notices.push(Notice::Resolved(found.clone()));
                        found
                    }
                    Err(
                        e @ (WorkspaceError::Lock(_)
                        | WorkspaceError::Backend(BackendError::Busy { .. })),
                    ) => {
                        notices.push(Notice::WorkspaceBusy {
                            reason: e.to_string(),
                        });
                        let entries = workspace::entries_unlocked(
                            &settings.backend,
                            &settings.journal,
                            &account,
                            legacy.as_deref(),
                        )
                        .await?;
                        workspace::leftovers_in_progress(&entries, settings.settle_ms)
                    }
                    Err(e) => return Err(e.into()),
                };
                (None, None, leftovers)
            }
        };
        Ok(Session {
            client,
            settings,
            mode,
            clock,
            workspace,
            _account: account_lock,
            leftovers,
            notices,
            last_read: LastRead::default(),
            override_note: None,
        })
    }

    /// The plan about to be applied goes over its spend limits and a person approved it:
    /// `note` (who approved what, over which limits) is journaled as the plan starts, before
    /// any order is sent.
    pub fn approve_over_policy(&mut self, note: String) {
        self.override_note = Some(note);
    }

    /// The notices since the last call, in order.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    /// Step 2: observe the PBXs in scope, plan, and price every order when `price`.
    pub async fn plan(
        &mut self,
        manifests: &LoadedManifests,
        desired: &[DesiredPbx],
        selection: Selection,
        price: bool,
        reading: &dyn Progress,
        pricing: &dyn Progress,
    ) -> Result<Planned, SessionError> {
        let today = self.clock.today();
        let settings = self.observe_settings(0);
        let obs = observe::observe(&self.client, desired, &settings, reading).await?;
        let ctx = self.plan_context(today, manifests, selection);
        let mut plan = match plan::plan_only(desired, &obs.observed, &obs.catalogs, &ctx) {
            Ok(p) => p,
            Err(errors) => return Ok(Planned::Refused(diagnostics(errors))),
        };
        if price {
            // An apply quotes what it may send; the renewals `renew: false` holds back are
            // priced for people reading a plan, not for an apply.
            let upcoming = self.mode == Mode::Plan;
            crate::price::price(&self.client, &mut plan, upcoming, pricing).await;
        }
        self.last_read = LastRead {
            at_ms: plan.observed_at_ms,
            orders: None,
        };
        Ok(Planned::Plan(Box::new(plan)))
    }

    /// How observe runs for this session (the leftovers are handed over once); a forecast of
    /// `horizon_days` reads what planning any of its days needs, and who auto-renews.
    fn observe_settings(&mut self, horizon_days: u32) -> observe::Settings {
        let leftovers = std::mem::take(&mut self.leftovers);
        observe::Settings {
            today: self.clock.today(),
            parallelism: self.settings.parallelism.max(1),
            pending_window_days: self.settings.pending_window_days,
            now_ms: self.clock.now_ms(),
            awaiting: leftovers.pending,
            settle_ms: self.settings.settle_ms,
            in_doubt: leftovers.in_doubt,
            own: leftovers.own,
            own_recent: leftovers.own_recent,
            auto_renew_unless_renewed: horizon_days > 0,
            horizon_days,
            // A forecast does not say why a PBX differs.
            applied: (horizon_days == 0).then_some(leftovers.applied),
        }
    }

    fn plan_context(
        &self,
        today: Date,
        manifests: &LoadedManifests,
        selection: Selection,
    ) -> PlanContext {
        PlanContext {
            today,
            manifest_hash: manifests.hash.clone(),
            selection,
            // Two plans of the same state differ: a plan applies once, and its ID is in the
            // journal.
            nonce: format!("{}-{}", std::process::id(), self.clock.now_ms()),
            account: self.client.account_key().to_owned(),
            policy: manifests.policies.clone(),
        }
    }

    /// The forecast of `desired` over the next `days`: each renewal entitle will order (on its
    /// due day), each term the vendor will auto-renew, each that will lapse. A renewal or an
    /// auto-renewal is priced as the plan of its day prices its renewal, one quote per
    /// distinct body; read-only, like a plan.
    pub async fn forecast(
        &mut self,
        manifests: &LoadedManifests,
        desired: &[DesiredPbx],
        days: u32,
        reading: &dyn Progress,
        pricing: &dyn Progress,
    ) -> Result<Forecasted, SessionError> {
        let today = self.clock.today();
        let settings = self.observe_settings(days);
        let obs = observe::observe(&self.client, desired, &settings, reading).await?;
        let pairs: Vec<(&DesiredPbx, &crate::model::ObservedPbx)> = desired
            .iter()
            .filter_map(|d| {
                obs.observed
                    .pbxs
                    .get(&(d.product.value, d.sn.clone()))
                    .map(|o| (d, o))
            })
            .collect();
        let events = entitle_core::forecast::forecast(pairs.iter().copied(), today, days);
        // The manifest changes the plan or the term first (bought, switched): the terms it
        // leaves are not known before that order is placed, so none of its events is
        // forecast. Today's plan of every PBX says which, whatever events (or none: no plan
        // yet) its current term has.
        let ctx = self.plan_context(today, manifests, Selection::default());
        let today_plan = match plan::plan(desired, &obs.observed, &obs.catalogs, &ctx) {
            Ok(p) => p,
            Err(errors) => return Ok(Forecasted::Refused(diagnostics(errors))),
        };
        let changed_first: Vec<ChangedFirst> = today_plan
            .pbxs
            .iter()
            .filter_map(|x| {
                let a = x.actions.iter().find(|a| {
                    matches!(
                        a.kind,
                        plan::ActionKind::PurchasePlan | plan::ActionKind::SwitchPlan
                    )
                })?;
                Some(ChangedFirst {
                    sn: x.sn.clone(),
                    product: x.product,
                    customer: x.labels.get(entitle_core::policy::CUSTOMER_LABEL).cloned(),
                    operation: a.kind,
                    reason: a.reason.clone(),
                })
            })
            .collect();
        let is_changed_first = |e: &entitle_core::forecast::Event| {
            changed_first
                .iter()
                .any(|c| c.product == e.product && c.sn == e.sn)
        };
        let events: Vec<_> = events
            .into_iter()
            .filter(|e| !is_changed_first(e))
            .collect();
        // Each PBX's renewal as the plan of its first event's day builds it: one plan per
        // distinct day, priced together.
        let mut first: BTreeMap<plan::PbxKey, Date> = BTreeMap::new();
        for e in events.iter().filter(|e| e.kind != EventKind::Lapse) {
            first.entry((e.product, e.sn.clone())).or_insert(e.date);
        }
        let mut by_day: BTreeMap<Date, Vec<DesiredPbx>> = BTreeMap::new();
        for d in desired {
            if let Some(day) = first.get(&(d.product.value, d.sn.clone())) {
                by_day.entry(*day).or_default().push(d.clone());
            }
        }
        let mut priced: Option<Plan> = None;
        // Today's is already made: each PBX is planned alone, so its part of the whole is it.
        let mut today_plan = Some(today_plan);
        for (day, ds) in &by_day {
            let p = match today_plan.take().filter(|_| *day == today) {
                Some(mut p) => {
                    let keys: std::collections::BTreeSet<plan::PbxKey> =
                        ds.iter().map(|d| (d.product.value, d.sn.clone())).collect();
                    p.pbxs.retain(|x| keys.contains(&(x.product, x.sn.clone())));
                    p
                }
                None => {
                    let ctx = self.plan_context(*day, manifests, Selection::default());
                    match plan::plan(ds, &obs.observed, &obs.catalogs, &ctx) {
                        Ok(p) => p,
                        Err(errors) => return Ok(Forecasted::Refused(diagnostics(errors))),
                    }
                }
            };
            match &mut priced {
                Some(all) => all.pbxs.extend(p.pbxs),
                None => priced = Some(p),
            }
        }
        if let Some(all) = &mut priced {
            crate::price::price(&self.client, all, true, pricing).await;
        }
        let day_plan = |key: &plan::PbxKey| {
            priced
                .as_ref()
                .and_then(|p| p.pbxs.iter().find(|x| (x.product, x.sn.clone()) == *key))
        };
        let renewal_of = |key: &plan::PbxKey| {
            day_plan(key).and_then(|x| {
                x.actions
                    .iter()
                    .chain(&x.upcoming)
                    .find(|a| a.kind == plan::ActionKind::RenewPlan)
                    .cloned()
            })
        };
        // No renewal on its day otherwise: it is held, or the plan says why.
        let no_renewal = |key: &plan::PbxKey| {
            let x = day_plan(key)?;
            let first = x.actions.iter().find(|a| a.order.is_some());
            Some(match first {
                Some(a) => format!(
                    "the manifest changes this PBX first ({}): its renewals follow the term that leaves",
                    a.kind
                ),
                None => x
                    .notes
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "no renewal is planned for it on that day".to_owned()),
            })
        };
        let mut seen = std::collections::BTreeSet::new();
        let rows = events
            .into_iter()
            .map(|event| {
                let key = (event.product, event.sn.clone());
                let renewal = (event.kind != EventKind::Lapse)
                    .then(|| renewal_of(&key))
                    .flatten();
                // The first renewal of a PBX is the calculator's figure (or the plan's, said
                // how); a later one, or the vendor's own renewal, is that figure again.
                let again = !seen.insert(key.clone());
                let estimate = renewal.is_some()
                    && (again
                        || event.kind == EventKind::AutoRenew
                        || renewal.as_ref().is_some_and(|a| a.price_basis.is_some()));
                ForecastRow {
                    price: renewal.as_ref().and_then(|a| a.price.clone()),
                    why_unknown: match &renewal {
                        Some(a) => a
                            .price_error
                            .clone()
                            .or_else(|| a.refused.as_ref().map(|r| r.message.clone())),
                        None if event.kind != EventKind::Lapse => no_renewal(&key),
                        None => None,
                    },
                    estimate,
                    event,
                }
            })
            .collect();
        Ok(Forecasted::Forecast(Forecast {
            today,
            days,
            rows,
            changed_first,
        }))
    }

    /// Step 2 for a saved plan: the plan, or why it may not be applied now. Refused when it
    /// is not a plan, was made for another account or with a clock ahead, was edited, was
    /// applied before (this journal says so, or the vendor's order list shows its orders),
    /// when a PBX it touches moved, or while an order of this workspace still holds one.
    pub async fn load_saved(&mut self, path: &Path) -> Result<Result<Plan, Refusal>, SessionError> {
        let plan = match read_plan(path) {
            Ok(plan) => plan,
            Err(e) => return Ok(Err(Refusal::Corrupt(e))),
        };
        // First of all: whatever else holds, a plan of wrong manifests buys nothing.
        if plan.has_errors() {
            return Ok(Err(Refusal::HasErrors {
                errors: plan.diagnostics(),
                plan_id: plan.plan_id,
            }));
        }
        // First: a plan saved by an older entitle (keys v1, no account) would otherwise read
        // as edited.
        if plan.account != self.client.account_key() {
            return Ok(Err(Refusal::OtherAccount {
                plan_id: plan.plan_id,
                plan_account: plan.account,
                base_url: self.client.base_url().to_owned(),
            }));
        }
        // Its observation time bounds every "placed since the plan" check: one later than the
        // vendor's now (a plan made with --now ahead) would blind them.
        let now_ms = self.clock.now_ms();
        if plan.observed_at_ms > now_ms + ledger::CLOCK_SKEW_MS {
            return Ok(Err(Refusal::FromTheFuture {
                plan_id: plan.plan_id,
                observed_at_ms: plan.observed_at_ms,
                now_ms,
            }));
        }
        let edits = plan::verify(&plan);
        if !edits.is_empty() {
            return Ok(Err(Refusal::Edited {
                path: path.to_owned(),
                edits,
            }));
        }
        let journal = &self
            .workspace
            .as_ref()
            .expect("a saved plan is loaded by an apply session")
            .journal;
        let entries = journal.entries()?;
        if apply::journal::plan_seen(&entries, &plan.plan_id) {
            return Ok(Err(Refusal::AlreadyApplied {
                plan_id: plan.plan_id,
                journal: journal.path().to_owned(),
            }));
        }
        let stale = apply::stale_pbxs(&self.client, &plan, self.settings.parallelism).await?;
        if !stale.is_empty() {
            return Ok(Err(Refusal::Stale(stale)));
        }
        // The order list as apply's first checks use it, so the replay check costs no read of
        // its own.
        let read_at = tokio::time::Instant::now();
        let orders = Arc::new(
            self.client
                .recent_orders(ledger::book_since(&plan, self.settings.settle_ms))
                .await?,
        );
        let evidence = ledger::replay_evidence(&plan, &orders);
        if !evidence.is_empty() {
            return Ok(Err(Refusal::Replayed {
                plan_id: plan.plan_id,
                evidence,
            }));
        }
        let holds = ledger::saved_plan_holds(&plan, &self.leftovers);
        if !holds.is_empty() {
            return Ok(Err(Refusal::NotSettled {
                plan_id: plan.plan_id,
                holds,
            }));
        }
        self.last_read = LastRead {
            at_ms: self.clock.now_ms(),
            orders: Some(ListRead { orders, read_at }),
        };
        Ok(Ok(plan))
    }

    /// Step 3: journals that the plan starts, then places its orders (see [`apply::execute`]).
    /// `interrupt` is triggered from outside (a signal): no new order starts once it is.
    /// PBXs read longer ago than [`apply::REREAD_AFTER_MS`] are read again before their first
    /// order.
    pub async fn apply(
        mut self,
        plan: &Plan,
        interrupt: Arc<Interrupt>,
        progress: &dyn Progress,
    ) -> Result<ApplyReport, SessionError> {
        // Bad input buys nothing: not one order of a plan with a wrong manifest entry, whoever
        // calls. Refused before the journal hears of the plan.
        if plan.has_errors() {
            return Err(SessionError::PlanHasErrors {
                plan_id: plan.plan_id.clone(),
                errors: plan.errors.len(),
            });
        }
        // The vendor said no to an order of this plan before it was sent: none is sent.
        if plan.is_refused() {
            return Ok(ApplyReport::default());
        }
        let Workspace { lock, mut journal } = self
            .workspace
            .take()
            .expect("orders are placed by an apply session");
        let settle_ms = self.settings.settle_ms;
        let entries = journal.entries()?;
        let guard = apply::Guard {
            settle_ms,
            sent: ledger::sent_before(&entries, journal.now_ms(), settle_ms),
            reread: journal.now_ms() - self.last_read.at_ms > apply::REREAD_AFTER_MS,
            orders: self.last_read.orders.take(),
        };
        journal.append(&Entry {
            at_ms: journal.now_ms(),
            plan_id: plan.plan_id.clone(),
            po_number: plan::PoNumber::default(),
            sn: String::new(),
            product: 0,
            operation: String::new(),
            state: EntryState::PlanStarted,
            order_no: None,
            detail: self.override_note.take(),
            fingerprint: None,
            keys: plan::KEYS_VERSION,
            account: None,
            desired: None,
            unmet: Vec::new(),
        })?;
        let journal = Arc::new(Mutex::new(journal));
        let mut report = apply::execute(
            &self.client,
            plan,
            journal.clone(),
            self.settings.parallelism,
            interrupt,
            guard,
            progress,
        )
        .await;
        // A lock lost after the last order still means another apply may have run meanwhile:
        // said, and never an exit 0.
        if report.stopped_by.is_none()
            && journal
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .lock_lost()
        {
            report.stopped_by = Some(Stop::LockLost);
            report.interrupted = true;
        }
        report.lock_session_ended = report.stopped_by != Some(Stop::LockLost)
            && matches!(&lock, Held::Db(l) if l.session_ended());
        // What the vendor charged, from its order list, read once after the last order: the
        // report then says what was spent, not what was quoted. Without it, it says quotes.
        if report.orders.iter().any(|r| r.order_no.is_some()) {
            let since = crate::ledger::book_since(plan, settle_ms);
            match self.client.recent_orders(since).await {
                Ok(listed) => report.record_charges(&listed),
                Err(e) => tracing::warn!(error = %e, "cannot read what the orders cost"),
            }
        }
        Ok(report)
    }
}

/// The run's clock: the one given, else the vendor's (from the `Date` of its answers), else
/// this machine's. A skew beyond a minute is said.
async fn run_clock(
    client: &Client,
    settings: &Settings,
    notices: &mut Vec<Notice>,
) -> Result<Clock, ApiError> {
    let local = settings.clock;
    if settings.clock_given {
        return Ok(local);
    }
    let Some(vendor) = client.vendor_clock().await? else {
        tracing::info!(
            "the vendor's answers carry no Date header: windows are counted on this machine's clock"
        );
        return Ok(local);
    };
    let skew_ms = local.now_ms() - vendor.now_ms();
    if skew_ms.abs() > SKEW_SAID_MS {
        notices.push(Notice::ClockSkew { skew_ms });
    }
    Ok(vendor)
}

/// Plan errors as located diagnostics, each naming the PBX and, where one applies, the rule.
fn diagnostics(errors: PlanErrors) -> Diagnostics {
    Diagnostics(errors.0.iter().map(PlanError::diagnostic).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::OrderReport;
    use crate::testing;

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
                    charged: None,
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
        let plan = testing::plan(vec![]);
        let exit = |o: &[Outcome], s| apply_exit(&report(o, s), &plan);
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

    /// A wrong manifest entry makes the plan an error, whatever else it has: changes under
    /// `--detailed-exitcode` too.
    #[test]
    fn a_plan_with_an_entry_in_error_exits_1_before_its_changes() {
        let pbx = testing::pbx_plan(
            testing::observed("SN1", 12),
            vec![testing::action(
                crate::plan::ActionKind::PurchaseService,
                Some(testing::order_body(
                    crate::plan::ActionKind::PurchaseService,
                    12,
                    "SN1",
                    "ent-1",
                )),
            )],
        );
        let mut plan = testing::plan(vec![pbx]);
        assert_eq!(plan_exit(&plan, true), Exit::Changes);
        plan.errors.push(crate::plan::EntryError {
            code: crate::manifest::Code::UnknownSn,
            sn: "NOSUCH".into(),
            product: crate::model::ProductId(12),
            at: testing::loc(3),
            message: "NOSUCH (software-edition): SN not found in the account under this product"
                .into(),
            help: None,
            desired: None,
        });
        assert_eq!(plan_exit(&plan, true), Exit::Error);
        assert_eq!(plan_exit(&plan, false), Exit::Error);
        assert_eq!(nothing_to_apply_exit(&plan), Exit::Error);
        let r = Refusal::HasErrors {
            plan_id: "p".into(),
            errors: plan.diagnostics(),
        };
        assert_eq!(r.exit(), Exit::Error);
    }

    #[test]
    fn refusals_exit_stale_except_an_unsettled_order_which_is_in_doubt() {
        let r = Refusal::Stale(vec![]);
        assert_eq!(r.exit(), Exit::Stale);
        let r = Refusal::NotSettled {
            plan_id: "p".into(),
            holds: vec![],
        };
        assert_eq!(r.exit(), Exit::InDoubt);
    }
}
