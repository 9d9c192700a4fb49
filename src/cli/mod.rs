//! The command line: clap arguments, their resolution into validated settings, and one file per
//! command. Only this module, `render` and `main.rs` print; nothing below it knows about clap.
// With `render`, the one place allowed to print (Cargo.toml denies it elsewhere).
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

pub mod apply;
pub mod backend;
pub mod catalog;
pub mod completions;
pub mod config;
pub mod doctor;
pub mod environment;
pub mod export;
pub mod forecast;
pub mod man;
mod output;
pub mod plan;
mod progress;
pub mod sandbox;
pub mod schema;
mod scope;
pub mod show;
pub mod unlock;
pub mod validate;

use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use entitle_engine::exit::Exit;

/// `--help`'s epilogue: the exit-code table.
fn exit_codes_help() -> String {
    format!("Exit codes:\n{}", Exit::table().trim_end())
}

/// Declarative PBX subscription manifests for Yeastar partners.
///
/// Keep what every PBX should have (plan, term, services, capacity, renewals) as YAML in git;
/// `entitle plan` shows the orders that would close the gap, `entitle apply` places them, never
/// buying twice. Credentials come only from ENTITLE_CLIENT_ID / ENTITLE_CLIENT_SECRET or the file
/// named by ENTITLE_CREDENTIALS_FILE. Try everything without an account with `--sandbox`.
#[derive(Debug, Parser)]
#[command(name = "entitle", version, after_long_help = exit_codes_help(), after_help = exit_codes_help())]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args)]
#[command(next_help_heading = "Display")]
pub struct GlobalArgs {
    /// When to use colour. `auto`: on a terminal, unless NO_COLOR is set or TERM=dumb;
    /// FORCE_COLOR or CLICOLOR_FORCE force it on (FORCE_COLOR even over NO_COLOR).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Log requests and decisions to stderr (-vv for more); secrets are always redacted.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No progress display (bars on a terminal, a line every 10 s otherwise).
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// Where the Partner API is, and how hard to use it: only the commands that use the network
/// take these.
#[derive(Debug, Args)]
#[command(next_help_heading = "Network")]
pub struct NetworkArgs {
    /// Partner API base URL (plain http:// only to loopback addresses).
    #[arg(long, env = "ENTITLE_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Run against the built-in simulator (state in .entitle/sandbox.json, seeded with `demo`).
    #[arg(long)]
    pub sandbox: bool,
    /// Where `--sandbox` keeps its state.
    #[arg(
        long,
        value_name = "PATH",
        default_value = ".entitle/sandbox.json",
        value_hint = clap::ValueHint::FilePath
    )]
    pub sandbox_state: PathBuf,
    /// Requests in flight at most.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub parallelism: usize,
    /// Whether `base_url` is ENTITLE_BASE_URL's (not `--base-url`'s): under `--sandbox` it is
    /// then ignored with a warning. Set by [`parse_from`].
    #[arg(skip)]
    pub base_url_from_env: bool,
}

/// Where apply keeps its journal and its lock: the commands that read or take them take these.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// The apply journal (order intents and outcomes); its lock file sits beside it.
    #[arg(
        long = "journal",
        value_name = "PATH",
        default_value = ".entitle/journal.jsonl",
        value_hint = clap::ValueHint::FilePath
    )]
    pub path: PathBuf,
    /// Where the journal and the lock live: unset, the workspace (`--journal`); or a shared
    /// `postgres://` database, whose lock serializes every apply of the vendor account. The
    /// password is never shown.
    #[arg(
        long,
        value_name = "URL",
        env = "ENTITLE_BACKEND",
        hide_env_values = true
    )]
    pub backend: Option<String>,
}

impl JournalArgs {
    /// `--backend`, checked.
    pub(crate) fn backend(&self) -> anyhow::Result<crate::backend::Backend> {
        Ok(crate::backend::Backend::parse(self.backend.as_deref())?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests offline: syntax, schema and rules; no network.
    #[command(
        long_about = validate::LONG_ABOUT,
        after_help = "Exit codes:\n  0  all manifests are valid\n  1  a manifest is invalid (every problem is listed with file:line:column)"
    )]
    Validate(validate::ValidateArgs),
    /// Read what the account has, diff it against the manifests and print the plan.
    #[command(
        after_help = "Exit codes:\n  0  success (with --detailed-exitcode: no changes)\n  1  error\n  2  with --detailed-exitcode: changes present\n  6  a PBX is in doubt (an earlier order does not show yet); re-run after the time shown\n  7  with --detailed-exitcode: the plan breaks a spend limit (--max-cost, entitle.policy.yaml)"
    )]
    Plan(plan::PlanArgs),
    /// Plan (or load a saved plan), confirm, and place the orders.
    #[command(
        after_help = "Exit codes:\n  0  everything done, or nothing to do\n  1  error before any order was sent\n  3  saved plan is stale, edited, corrupt or already applied; nothing sent\n  4  partial: some orders failed or were skipped (their PBX changed), the rest done\n  5  an order's outcome is unknown; the next run resolves it by evidence\n  6  a PBX is in doubt (an earlier order does not show yet); nothing ordered for it\n  7  the plan breaks a spend limit (--max-cost, entitle.policy.yaml); nothing sent\n129  as 130, on SIGHUP\n130  interrupted (Ctrl-C): orders already sent finished, the rest were not started; none failed\n143  as 130, on SIGTERM (a CI runner's cancel)"
    )]
    Apply(apply::ApplyArgs),
    /// Render a saved plan file.
    #[command(after_help = "Exit codes:\n  0  shown\n  1  the file is not a readable plan")]
    Show(show::ShowArgs),
    /// Write a manifest from what the account has today.
    #[command(after_help = "Exit codes:\n  0  written\n  1  error")]
    Export(export::ExportArgs),
    /// What the next days hold: renewals entitle will order, auto-renewals, lapses, with prices
    // Options of `plan` a forecast refuses are not offered in its help either.
    #[command(
        after_help = "Exit codes:\n  0  shown\n  1  error",
        mut_arg("only", |a| a.hide(true)),
        mut_arg("max_cost", |a| a.hide(true)),
        mut_arg("price", |a| a.hide(true)),
        mut_arg("no_price", |a| a.hide(true))
    )]
    Forecast(forecast::ForecastArgs),
    /// Remove the file backend's lock files that no process holds.
    #[command(
        after_help = "Exit codes:\n  0  nothing held (what was removed is listed)\n  1  a lock is held by a running apply (kept)"
    )]
    Unlock(unlock::UnlockArgs),
    /// Manage the shared backend (PostgreSQL) of the journal and the lock.
    #[command(
        after_help = "Exit codes:\n  0  done\n  1  refused (a side is locked, or the backend already holds entries)"
    )]
    Backend(backend::BackendArgs),
    /// Check a real account against entitle's assumptions about the API (read-only).
    #[command(
        long_about = doctor::LONG_ABOUT,
        after_help = "Exit codes:\n  0  entitle can work with this account as it is\n  1  something blocks it (named in the report)"
    )]
    Doctor(doctor::DoctorArgs),
    /// List the account's products, plans, services and billing contacts.
    #[command(after_help = "Exit codes:\n  0  listed\n  1  error")]
    Catalog(catalog::CatalogArgs),
    /// Print the manifest JSON Schema.
    #[command(long_about = schema::LONG_ABOUT, after_help = "Exit codes:\n  0  printed")]
    Schema(schema::SchemaArgs),
    /// Run the built-in Partner API simulator.
    #[command(after_help = "Exit codes:\n  0  stopped cleanly\n  1  could not start")]
    Sandbox(sandbox::SandboxArgs),
    /// Print shell completions.
    #[command(
        long_about = completions::LONG_ABOUT,
        after_help = "Exit codes:\n  0  printed\n  1  unknown shell"
    )]
    Completions(completions::CompletionsArgs),
    /// Print the manual page, or write a page per command into a directory.
    #[command(
        long_about = man::LONG_ABOUT,
        after_help = "Exit codes:\n  0  printed or written\n  1  the directory cannot be written"
    )]
    Man(man::ManArgs),
}

impl Command {
    /// The network options of a command that has them.
    fn network_mut(&mut self) -> Option<&mut NetworkArgs> {
        match self {
            Command::Plan(a) => Some(&mut a.network),
            Command::Apply(a) => Some(&mut a.network),
            Command::Export(a) => Some(&mut a.network),
            Command::Forecast(a) => Some(&mut a.network),
            Command::Catalog(a) => Some(&mut a.network),
            Command::Doctor(a) => Some(&mut a.network),
            Command::Backend(a) => match &mut a.command {
                backend::BackendCommand::Migrate(m) => Some(&mut m.network),
            },
            Command::Validate(_)
            | Command::Show(_)
            | Command::Unlock(_)
            | Command::Schema(_)
            | Command::Sandbox(_)
            | Command::Completions(_)
            | Command::Man(_) => None,
        }
    }

    /// Whether the command reads `ENTITLE_` variables (credentials, the base URL, the backend,
    /// the lock directory), so that one it does not know is worth a warning. `validate`,
    /// `show`, `schema`, `completions` and `man` read none: a misspelt variable changes
    /// nothing there.
    fn reads_environment(&self) -> bool {
        match self {
            Command::Plan(_)
            | Command::Apply(_)
            | Command::Export(_)
            | Command::Forecast(_)
            | Command::Catalog(_)
            | Command::Doctor(_)
            | Command::Backend(_)
            | Command::Unlock(_)
            | Command::Sandbox(_) => true,
            Command::Validate(_)
            | Command::Show(_)
            | Command::Schema(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
        }
    }
}

/// Parses the process's command line (see [`parse_from`]).
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(std::env::args_os())
}

/// Parses a command line. Besides what the derived parser keeps, it notes whether the base URL
/// came from ENTITLE_BASE_URL rather than `--base-url`, and refuses `--base-url` with
/// `--sandbox` (which runs against the built-in simulator, so the URL could only be a mistake;
/// the variable alone is ignored with a warning, as a shell may export it for other runs).
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let mut cmd = Cli::command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    let Some(net) = cli.command.network_mut() else {
        return Ok(cli);
    };
    // The innermost subcommand holds the network options, and its command the usage to show.
    let mut path: Vec<&str> = Vec::new();
    let mut m: &ArgMatches = &matches;
    while let Some((name, sub)) = m.subcommand() {
        path.push(name);
        m = sub;
    }
    let source = m.value_source("base_url");
    if net.sandbox && source == Some(ValueSource::CommandLine) {
        let mut sub = &mut cmd;
        for name in path {
            sub = sub
                .find_subcommand_mut(name)
                .expect("a subcommand clap matched");
        }
        return Err(sub.error(
            clap::error::ErrorKind::ArgumentConflict,
            "--base-url and --sandbox cannot be used together: --sandbox runs against the built-in simulator; drop one of them",
        ));
    }
    net.base_url_from_env = source == Some(ValueSource::EnvVariable);
    Ok(cli)
}

/// An error and its causes on one line, each cause once: a cause whose text the line already
/// holds (an error that shows its source in its own message) is not repeated.
pub fn error_report(err: &anyhow::Error) -> String {
    crate::render::error_chain(err.as_ref())
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let Cli { global, command } = cli;
    if command.reads_environment() {
        environment::warn_about_unknown_variables();
    }
    match command {
        Command::Validate(a) => validate::run(&global, a),
        Command::Plan(a) => plan::run(&global, a),
        Command::Apply(a) => apply::run(&global, a),
        Command::Show(a) => show::run(&global, a),
        Command::Export(a) => export::run(&global, a),
        Command::Forecast(a) => forecast::run(&global, a),
        Command::Catalog(a) => catalog::run(&global, a),
        Command::Doctor(a) => doctor::run(&global, a),
        Command::Unlock(a) => unlock::run(&global, a),
        Command::Backend(a) => backend::run(&global, a),
        Command::Schema(a) => schema::run(&global, a),
        Command::Sandbox(a) => sandbox::run(&global, a),
        Command::Completions(a) => completions::run(&global, a),
        Command::Man(a) => man::run(&global, a),
    }
}

#[cfg(test)]
mod tests {
    use super::error_report;

    #[derive(Debug, thiserror::Error)]
    #[error("POST /x: cannot connect; check --base-url")]
    struct Leaf;

    /// Shows its source in its own message, as most of this crate's errors do.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    struct Shows(#[source] Leaf);

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the plan")]
    struct Hides(#[source] Leaf);

    #[test]
    fn each_cause_is_printed_once() {
        let err = anyhow::Error::new(Shows(Leaf)).context("cannot observe");
        assert_eq!(
            error_report(&err),
            "cannot observe: POST /x: cannot connect; check --base-url"
        );
        let err = anyhow::Error::new(Hides(Leaf));
        assert_eq!(
            error_report(&err),
            "cannot read the plan: POST /x: cannot connect; check --base-url"
        );
    }
}
