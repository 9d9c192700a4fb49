//! `entitle unlock`: removes the lock files of the file backend that no process holds — the
//! workspace's (beside the journal) and this machine's account locks — and says what it
//! removed. A lock a running apply holds is never removed. (The OS releases a dead process's
//! lock by itself; what remains is the file.) PostgreSQL locks need no unlocking: they go with
//! their holder's connection.

use std::path::PathBuf;

use clap::Args;

use super::{Exit, GlobalArgs};
use crate::apply::WorkspaceLock;

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
    if let Ok(dir) = std::fs::read_dir(WorkspaceLock::account_dir()) {
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
    for f in files.iter().filter(|f| f.exists()) {
        if WorkspaceLock::remove_if_free(f)? {
            println!("removed {} (no process held it)", f.display());
            removed += 1;
        } else {
            let holder = std::fs::read_to_string(f).unwrap_or_default();
            println!(
                "kept {}: held by {}; that apply is running",
                f.display(),
                holder.trim()
            );
            held += 1;
        }
    }
    if removed == 0 && held == 0 {
        println!("no lock file to remove");
    }
    Ok(if held > 0 { Exit::Error } else { Exit::Success })
}
