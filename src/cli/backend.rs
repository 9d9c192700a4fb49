//! `entitle backend migrate --to postgres://…`: copies the workspace's journal into the shared
//! backend, for the vendor account of the current credentials. Refuses while either side is
//! locked, or when the backend already holds entries for the account; the workspace journal is
//! kept.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::{Exit, GlobalArgs, NetworkArgs, config};
use crate::apply::{WorkspaceLock, journal};
use crate::backend::{Backend, PgJournal, PgLock};
use crate::clock::Clock;

#[derive(Debug, Args)]
pub struct BackendArgs {
    #[command(subcommand)]
    pub command: BackendCommand,
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Copy the workspace journal into a postgres:// backend.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The backend to copy into (the password is never shown).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The workspace journal to copy.
    #[arg(
        long,
        value_name = "PATH",
        default_value = ".entitle/journal.jsonl",
        value_hint = clap::ValueHint::FilePath
    )]
    pub journal: PathBuf,
    #[command(flatten)]
    pub network: NetworkArgs,
}

pub fn run(_global: &GlobalArgs, args: BackendArgs) -> anyhow::Result<Exit> {
    let BackendCommand::Migrate(args) = args.command;
    let Backend::Postgres(url) = Backend::parse(Some(&args.to))? else {
        bail!("--to needs a postgres:// URL");
    };
    // The workspace side: locked by a running apply, nothing is copied.
    let _workspace = WorkspaceLock::try_acquire(&args.journal)?;
    let entries = journal::read(&args.journal)?;
    let lines: Vec<String> = entries
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    config::runtime()?.block_on(async {
        let conn = config::connect(&args.network, Clock::system()).await?;
        let account = conn.client.account_key().to_owned();
        // A journal holds the orders of the account it was written for: filed under another,
        // its orders in flight would be unknown to every later apply of its own account.
        let foreign: std::collections::BTreeSet<&str> = entries
            .iter()
            .filter_map(|e| e.account.as_deref())
            .filter(|a| *a != account)
            .collect();
        if !foreign.is_empty() {
            bail!(
                "{} holds entries of another vendor account ({}), not of the one at {} with this client ID (key {account}); nothing was copied: run `entitle backend migrate` with that account's ENTITLE_BASE_URL and ENTITLE_CLIENT_ID",
                args.journal.display(),
                foreign.into_iter().map(|a| format!("key {a}")).collect::<Vec<_>>().join(", "),
                conn.client.base_url()
            );
        }
        let (_lock, _) = PgLock::acquire(&url, &account, std::time::Duration::ZERO).await?;
        let mut db = PgJournal::open(&url, &account).await?;
        let there = db.lines().await?.len();
        if there > 0 {
            bail!(
                "{} already holds {there} journal entries for this account; nothing was copied (was it migrated before?)",
                url.shown
            );
        }
        db.append_all(&lines)
            .await
            .with_context(|| format!("copying into {}", url.shown))?;
        println!(
            "copied {} from {} to {}; the workspace journal is kept: move it away once you have checked, and set ENTITLE_BACKEND",
            crate::words::plural(lines.len(), "journal entry", "journal entries"),
            args.journal.display(),
            url.shown
        );
        anyhow::Ok(Exit::Success)
    })
}
