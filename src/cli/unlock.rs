//! `entitle unlock`: removes the lock files of the file backend that no process holds — the
//! workspace's (beside the journal) and this user's account locks — and says what it removed
//! and what it kept. A lock a running apply holds is never removed. (The OS releases a dead
//! process's lock by itself; what remains is the file.) Each file is removed while `unlock`
//! holds its lock, so an apply starting meanwhile either finds it held, or finds it gone once
//! locked and takes a new one: no apply is left holding a lock on a removed file. PostgreSQL
//! locks need no unlocking: they go with their holder's connection.

use std::path::PathBuf;

use clap::Args;

use super::{Exit, GlobalArgs};
use crate::apply::WorkspaceLock;
use crate::apply::lock::Removal;

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The apply journal whose lock file to remove.
    #[arg(
        long,
        value_name = "PATH",
        default_value = ".entitle/journal.jsonl",
        value_hint = clap::ValueHint::FilePath
    )]
    pub journal: PathBuf,
}

pub fn run(_global: &GlobalArgs, args: UnlockArgs) -> anyhow::Result<Exit> {
    let mut files = vec![crate::apply::lock::lock_path(&args.journal)];
    // A lock directory others could write in is refused here as an apply refuses it.
    if let Some(dir) = WorkspaceLock::existing_account_dir()?
        && let Ok(dir) = std::fs::read_dir(dir)
    {
        let mut accounts: Vec<PathBuf> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("account-") && n.ends_with(".lock"))
            })
            .collect();
        accounts.sort();
        files.extend(accounts);
    }
    let mut held = 0;
    let mut removed = 0;
    // Not `exists()`, which follows links: a link at a lock path is reported, not skipped.
    for f in files
        .iter()
        .filter(|f| std::fs::symlink_metadata(f).is_ok())
    {
        match WorkspaceLock::remove_if_free(f)? {
            Removal::Removed => {
                println!("removed {} (no process held it)", f.display());
                removed += 1;
            }
            Removal::Held { holder } => {
                println!(
                    "kept {}: held by {}; that apply is running",
                    f.display(),
                    holder.as_deref().unwrap_or("another process")
                );
                held += 1;
            }
        }
    }
    if removed == 0 && held == 0 {
        println!("no lock file to remove");
    }
    Ok(if held > 0 { Exit::Error } else { Exit::Success })
}
