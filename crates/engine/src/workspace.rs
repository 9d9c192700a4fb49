//! The workspace a run holds: its lock (a file beside the journal, or the vendor account's row
//! in the shared backend) and its journal open for appending; and this machine's lock of the
//! vendor account, which applies of other workspaces on the same machine also take.

use std::path::Path;

use crate::apply::{self, Entry, Journal, JournalError, LockError, Resolution, WorkspaceLock};
use crate::clock::Clock;

/// A workspace held by this process: its lock, and its journal open for appending — in the
/// workspace directory, or on the shared backend.
#[derive(Debug)]
pub struct Workspace {
    pub(crate) lock: Held,
    pub(crate) journal: Journal,
}

/// The lock a workspace holds (released when dropped).
#[derive(Debug)]
#[allow(dead_code)]
pub(crate) enum Held {
    File(WorkspaceLock),
    Db(crate::backend::PgLock),
}

/// Why a workspace could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
}

impl Workspace {
    /// Takes the lock beside `journal` (never waiting), then opens the journal as the vendor
    /// `account`'s; its entries are stamped by `clock`.
    pub fn lock(journal: &Path, account: &str, clock: Clock) -> Result<Workspace, WorkspaceError> {
        let lock = WorkspaceLock::try_acquire(journal)?;
        Ok(Workspace {
            lock: Held::File(lock),
            journal: Journal::open(journal, clock)?.for_account(account),
        })
    }

    /// Takes the lock and opens the journal of `backend`: beside `journal` in the workspace, or
    /// the vendor `account`'s in the database. Waits up to `wait` for the lock (zero: not at
    /// all). Returns whether it had to wait.
    pub async fn open(
        backend: &crate::backend::Backend,
        journal: &Path,
        account: &str,
        legacy: Option<&str>,
        clock: Clock,
        wait: std::time::Duration,
    ) -> Result<(Workspace, bool), WorkspaceError> {
        use crate::backend::{Backend, DbJournal, PgLock};
        match backend {
            Backend::Files => {
                waiting(
                    wait,
                    || Workspace::lock(journal, account, clock),
                    |e| matches!(e, WorkspaceError::Lock(LockError::Busy { .. })),
                )
                .await
            }
            Backend::Postgres(url) => {
                let (lock, waited) = PgLock::acquire(url, account, wait).await?;
                let db = DbJournal::open(url, account, legacy, Some(&lock))?;
                Ok((
                    Workspace {
                        lock: Held::Db(lock),
                        journal: Journal::on_backend(db, clock).for_account(account),
                    },
                    waited,
                ))
            }
        }
    }
}

/// Takes this machine's lock of the vendor account (`key`, see `Client::account_key`),
/// waiting up to `wait` for another apply of the account to finish. Returns whether it waited.
pub(crate) async fn account_lock(
    key: &str,
    base_url: &str,
    wait: std::time::Duration,
) -> Result<(apply::WorkspaceLock, bool), LockError> {
    waiting(
        wait,
        || apply::WorkspaceLock::try_acquire_account(key, base_url),
        |e| matches!(e, LockError::Busy { .. }),
    )
    .await
}

/// Runs `take` until it succeeds or fails otherwise than `busy`, for at most `wait`, every
/// 200 ms. Returns whether it had to wait.
async fn waiting<T, E>(
    wait: std::time::Duration,
    mut take: impl FnMut() -> Result<T, E>,
    busy: impl Fn(&E) -> bool,
) -> Result<(T, bool), E> {
    let started = tokio::time::Instant::now();
    let mut waited = false;
    loop {
        match take() {
            Err(e) if busy(&e) && started.elapsed() < wait => {
                waited = true;
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other.map(|t| (t, waited)),
        }
    }
}

/// The journal's entries without taking its lock (another process is applying).
pub async fn entries_unlocked(
    backend: &crate::backend::Backend,
    journal: &Path,
    account: &str,
    legacy: Option<&str>,
) -> Result<Vec<Entry>, WorkspaceError> {
    match backend {
        crate::backend::Backend::Files => Ok(apply::journal::of_account(
            apply::journal::read(journal)?,
            account,
        )),
        crate::backend::Backend::Postgres(url) => {
            let db = crate::backend::DbJournal::open(url, account, legacy, None)?;
            let j = Journal::on_backend(db, Clock::system());
            Ok(j.entries()?)
        }
    }
}

/// While another process applies in this workspace its journal is not ours to resolve: every
/// order it has not settled yet counts as in doubt (see [`crate::ledger::in_progress`]), and
/// nothing is written.
pub(crate) fn leftovers_in_progress(entries: &[Entry], settle_ms: i64) -> Resolution {
    Resolution {
        in_doubt: crate::ledger::in_progress(entries, settle_ms),
        applied: apply::journal::last_applies(entries),
        ..Resolution::default()
    }
}
