//! The workspace lock: a file beside the journal, held (OS advisory lock) for a whole apply,
//! so two applies in one workspace cannot interleave. The OS drops it when the process dies,
//! even on SIGKILL, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error(
        "another entitle apply is running {scope} (lock {path} is held{holder}); wait for it to finish"
    )]
    Busy {
        scope: String,
        path: PathBuf,
        holder: String,
    },
    #[error("cannot create the lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held until dropped.
#[derive(Debug)]
pub(crate) struct WorkspaceLock {
    _file: File,
}

/// The lock file of a journal: `journal.jsonl.lock`.
pub(crate) fn lock_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl WorkspaceLock {
    /// Takes the workspace's lock without waiting.
    pub(crate) fn try_acquire(journal: &Path) -> Result<WorkspaceLock, LockError> {
        Self::acquire(lock_path(journal), "in this workspace".to_owned())
    }

    /// Takes the lock of a vendor account on this machine without waiting: every workspace
    /// applying to the account (`key`, see `Client::account_key`) from this machine takes it,
    /// so two applies from two directories cannot order for the same PBXs at once. It lives
    /// in `ENTITLE_LOCK_DIR`, or the system's temporary directory. (Applies from several
    /// machines need a shared backend.)
    pub(crate) fn try_acquire_account(
        key: &str,
        base_url: &str,
    ) -> Result<WorkspaceLock, LockError> {
        let dir = Self::account_dir();
        Self::acquire(
            dir.join(format!("account-{key}.lock")),
            format!("against the account at {base_url} from this machine"),
        )
    }

    /// The directory of the account locks.
    pub(crate) fn account_dir() -> PathBuf {
        std::env::var_os("ENTITLE_LOCK_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("entitle-locks"))
    }

    /// Removes the lock file at `path` if no process holds it. `Ok(false)`: it is held (by the
    /// holder named in the error's message).
    pub(crate) fn remove_if_free(path: &Path) -> Result<bool, LockError> {
        match Self::acquire(path.to_owned(), "here".to_owned()) {
            Ok(lock) => {
                drop(lock);
                std::fs::remove_file(path).map_err(|source| LockError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                Ok(true)
            }
            Err(LockError::Busy { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn acquire(path: PathBuf, scope: String) -> Result<WorkspaceLock, LockError> {
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(" by {s}"))
                    .unwrap_or_default();
                return Err(LockError::Busy {
                    scope,
                    path,
                    holder,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Who holds it, for the message another apply prints.
        let _ = file.set_len(0);
        let _ = write!(
            file,
            "pid {} in {}",
            std::process::id(),
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        );
        let _ = file.flush();
        Ok(WorkspaceLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_in_the_same_workspace_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let first = WorkspaceLock::try_acquire(&journal).unwrap();
        let err = WorkspaceLock::try_acquire(&journal).unwrap_err();
        assert!(
            err.to_string().contains("another entitle apply is running"),
            "{err}"
        );
        drop(first);
        WorkspaceLock::try_acquire(&journal).unwrap();
    }
}
