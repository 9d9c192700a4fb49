//! The apply locks: a file beside the journal, held (OS advisory lock) for a whole apply, so two
//! applies in one workspace cannot interleave; and a file per vendor account in a private
//! per-user directory, so applies of one account from two directories of this machine run one
//! after the other. The OS drops a lock when its process dies, even on SIGKILL, so a crash never
//! leaves a stale lock behind; what remains is the file, which `entitle unlock` removes.
//!
//! A lock is only as good as the file it is on. Lock files are opened without following
//! symbolic links (a link planted at the path would otherwise have entitle write to another
//! file); the account locks' directory must be the user's own and writable by no one else; and a
//! lock counts only if, once taken, the path still names the file locked. `unlock` removes a
//! file only while it holds its lock, and an apply that locked a file removed meanwhile takes
//! the new one instead, so no running apply holds a lock on a file that is no longer there.

use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// How many times a lock file found removed or replaced right after it was locked is opened
/// again before giving up. One retry is what a concurrent `unlock` costs; more means something
/// keeps deleting the file.
const MAX_ATTEMPTS: usize = 8;

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another entitle apply is running {scope} (lock {path} is held{by}); wait for it to finish",
        by = holder_suffix(holder.as_deref())
    )]
    Busy {
        scope: String,
        path: PathBuf,
        /// What the holder wrote in the file: `pid N in DIR`.
        holder: Option<String>,
    },
    #[error("cannot create the lock file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the lock file {path} is a symbolic link, and entitle never follows one there; remove it (`rm {path}`) if nothing of yours made it, then run again"
    )]
    Symlink { path: PathBuf },
    #[error("the lock file {path} is not a regular file; remove it, then run again")]
    NotAFile { path: PathBuf },
    #[error(
        "the lock file {path} was removed or replaced {attempts} times while entitle took it; is another program deleting it? run again"
    )]
    Unstable { path: PathBuf, attempts: usize },
    #[error(
        "cannot use the lock directory {path}: {source}; set ENTITLE_LOCK_DIR to a directory of yours"
    )]
    DirIo {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("refusing the lock directory {path}: it {problem}; {remedy}")]
    UnsafeDir {
        path: PathBuf,
        problem: String,
        remedy: String,
    },
}

fn holder_suffix(holder: Option<&str>) -> String {
    holder.map(|h| format!(" by {h}")).unwrap_or_default()
}

/// Held until dropped.
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

/// What [`WorkspaceLock::remove_if_free`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// No process held the lock; the file is gone.
    Removed,
    /// A running process holds it; the file is kept. Its holder, as it wrote itself in the file.
    Held { holder: Option<String> },
}

/// The lock file of a journal: `journal.jsonl.lock`.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut s = journal.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

impl WorkspaceLock {
    /// Takes the workspace's lock without waiting.
    pub fn try_acquire(journal: &Path) -> Result<WorkspaceLock, LockError> {
        Self::acquire(&lock_path(journal), "in this workspace")
    }

    /// Takes the lock of a vendor account on this machine without waiting: every workspace
    /// applying to the account (`key`, see `Client::account_key`) from this machine takes it,
    /// so two applies from two directories cannot order for the same PBXs at once. It lives in
    /// the user's private lock directory ([`WorkspaceLock::account_dir`]), so it serializes
    /// one user's applies; applies by several users or machines need a shared backend.
    pub fn try_acquire_account(key: &str, base_url: &str) -> Result<WorkspaceLock, LockError> {
        let dir = Self::account_dir()?;
        Self::acquire_account_in(&dir, current_owner(&dir)?, key, base_url)
    }

    fn acquire_account_in(
        dir: &Path,
        owner: Owner,
        key: &str,
        base_url: &str,
    ) -> Result<WorkspaceLock, LockError> {
        make_private(dir, owner)?;
        Self::acquire(
            &dir.join(format!("account-{key}.lock")),
            &format!("against the account at {base_url} from this machine"),
        )
    }

    /// The directory of the account locks (not created): `ENTITLE_LOCK_DIR`, else
    /// `$XDG_RUNTIME_DIR/entitle-locks` (a per-user directory the session manager keeps
    /// private), else `entitle-locks-UID` in the system's temporary directory.
    pub fn account_dir() -> Result<PathBuf, LockError> {
        if let Some(dir) = std::env::var_os("ENTITLE_LOCK_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        let temp = std::env::temp_dir();
        let uid = effective_uid().map_err(|source| LockError::DirIo {
            path: temp.clone(),
            source,
        })?;
        Ok(default_account_dir(
            std::env::var_os("XDG_RUNTIME_DIR"),
            &temp,
            uid,
        ))
    }

    /// The directory of the account locks if it exists, checked to be private as an apply
    /// checks it: `unlock` removes nothing from a directory others control.
    pub fn existing_account_dir() -> Result<Option<PathBuf>, LockError> {
        let dir = Self::account_dir()?;
        if std::fs::symlink_metadata(&dir).is_err() {
            return Ok(None);
        }
        check_private(&dir, current_owner(&dir)?)?;
        Ok(Some(dir))
    }

    /// Removes the lock file at `path` if no process holds it.
    pub fn remove_if_free(path: &Path) -> Result<Removal, LockError> {
        Self::remove_if_free_with(path, |_| {})
    }

    /// [`WorkspaceLock::remove_if_free`], calling `before_unlink` just before the file is
    /// removed (tests look at the lock there).
    fn remove_if_free_with(
        path: &Path,
        before_unlink: impl FnOnce(&Path),
    ) -> Result<Removal, LockError> {
        match Self::acquire(path, "here") {
            Ok(lock) => {
                // Removed while held: released first, an apply could lock the file in between
                // and then lose it. An apply that opened it before now finds, once it has the
                // lock, that the path no longer names its file, and takes the new one.
                before_unlink(path);
                std::fs::remove_file(path).map_err(|source| LockError::Io {
                    path: path.to_owned(),
                    source,
                })?;
                drop(lock);
                Ok(Removal::Removed)
            }
            Err(LockError::Busy { holder, .. }) => Ok(Removal::Held { holder }),
            Err(e) => Err(e),
        }
    }

    fn acquire(path: &Path, scope: &str) -> Result<WorkspaceLock, LockError> {
        Self::acquire_with(path, scope, |_| {})
    }

    /// [`WorkspaceLock::acquire`], calling `between` after each open of the file and before
    /// its lock is taken (tests remove or replace the file there).
    fn acquire_with(
        path: &Path,
        scope: &str,
        mut between: impl FnMut(&Path),
    ) -> Result<WorkspaceLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        for _ in 0..MAX_ATTEMPTS {
            let mut file = open_lock_file(path)?;
            between(path);
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    // The holder may be an `unlock` removing this very file: then the path
                    // already names another, which may well be free.
                    if !still_at(path, &file)? {
                        continue;
                    }
                    return Err(LockError::Busy {
                        scope: scope.to_owned(),
                        path: path.to_owned(),
                        holder: read_holder(&mut file),
                    });
                }
                Err(TryLockError::Error(e)) => return Err(io(e)),
            }
            // The file may have been removed (by `unlock`) or replaced between the open and the
            // lock. A lock on a file no longer at the path excludes no one: the next apply
            // creates and locks a new one. So the one at the path is taken instead.
            if !still_at(path, &file)? {
                continue;
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
            return Ok(WorkspaceLock { _file: file });
        }
        Err(LockError::Unstable {
            path: path.to_owned(),
            attempts: MAX_ATTEMPTS,
        })
    }
}

/// Opens (creating) the lock file at `path`, refusing a symbolic link there rather than
/// following it: entitle writes its holder line into the file, and a link planted at the path
/// must not make it truncate the link's target.
fn open_lock_file(path: &Path) -> Result<File, LockError> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let file = match options.open(path) {
        Ok(f) => f,
        Err(source) => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(if is_link {
                LockError::Symlink {
                    path: path.to_owned(),
                }
            } else {
                LockError::Io {
                    path: path.to_owned(),
                    source,
                }
            });
        }
    };
    let meta = file.metadata().map_err(|source| LockError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !meta.is_file() {
        return Err(LockError::NotAFile {
            path: path.to_owned(),
        });
    }
    Ok(file)
}

/// Whether `path` names `file` now (not a link to it, not another file put there since).
fn still_at(path: &Path, file: &File) -> Result<bool, LockError> {
    let io = |source| LockError::Io {
        path: path.to_owned(),
        source,
    };
    let held = file.metadata().map_err(io)?;
    match std::fs::symlink_metadata(path) {
        Ok(now) => Ok(same_file(&held, &now)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_a: &Metadata, b: &Metadata) -> bool {
    // std gives no stable file identity here; a regular file at the path is taken as the one.
    b.is_file()
}

/// The holder line another process wrote in the lock file, read through the handle already
/// open (the path may name something else by now).
fn read_holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    Some(text.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Where the account locks live by default: `$XDG_RUNTIME_DIR/entitle-locks` when that is set
/// to an absolute path (the XDG spec says to ignore a relative one), else
/// `TEMP/entitle-locks-UID`, one per user, so no user shares a lock directory with another.
fn default_account_dir(xdg_runtime_dir: Option<OsString>, temp: &Path, uid: u32) -> PathBuf {
    match xdg_runtime_dir
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        Some(runtime) => runtime.join("entitle-locks"),
        None => temp.join(format!("entitle-locks-{uid}")),
    }
}

/// Who the lock directory must belong to: the effective user (a uid), where there are uids.
#[cfg(unix)]
type Owner = u32;
#[cfg(not(unix))]
type Owner = ();

fn current_owner(dir: &Path) -> Result<Owner, LockError> {
    #[cfg(unix)]
    {
        effective_uid().map_err(|source| LockError::DirIo {
            path: dir.to_owned(),
            source,
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The process's effective user ID. std has no `geteuid`, and `libc::geteuid` needs `unsafe`,
/// which this crate forbids; but a new pipe belongs to the effective user (Linux, macOS and the
/// BSDs stamp it so), and `fstat` says whose it is.
#[cfg(unix)]
fn effective_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    let (reader, _writer) = std::io::pipe()?;
    Ok(File::from(std::os::fd::OwnedFd::from(reader))
        .metadata()?
        .uid())
}

#[cfg(not(unix))]
fn effective_uid() -> std::io::Result<u32> {
    // Only names the default directory; the system's temporary directory is per-user here.
    Ok(0)
}

/// Creates the lock directory owner-only (`0700`) if it is missing, then checks it is private.
/// One that exists is checked and never `chmod`ed: its mode is its owner's choice.
fn make_private(dir: &Path, owner: Owner) -> Result<(), LockError> {
    if std::fs::symlink_metadata(dir).is_err() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir).map_err(|source| LockError::DirIo {
            path: dir.to_owned(),
            source,
        })?;
    }
    check_private(dir, owner)
}

/// Refuses a lock directory another user could tamper with: whoever can write in it can remove
/// a held lock's file (and so let a second apply run) or plant links at the lock paths.
#[cfg(unix)]
fn check_private(dir: &Path, uid: Owner) -> Result<(), LockError> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::symlink_metadata(dir).map_err(|source| LockError::DirIo {
        path: dir.to_owned(),
        source,
    })?;
    let refuse = |problem: String, remedy: String| {
        Err(LockError::UnsafeDir {
            path: dir.to_owned(),
            problem,
            remedy,
        })
    };
    let elsewhere = || "set ENTITLE_LOCK_DIR to a private directory of yours".to_owned();
    if meta.file_type().is_symlink() {
        return refuse("is a symbolic link".to_owned(), elsewhere());
    }
    if !meta.is_dir() {
        return refuse("is not a directory".to_owned(), elsewhere());
    }
    if meta.uid() != uid {
        return refuse(
            format!("belongs to another user (uid {}, not {uid})", meta.uid()),
            elsewhere(),
        );
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return refuse(
            format!("is writable by group or others (mode {mode:04o})"),
            format!(
                "run `chmod 700 {}`, or set ENTITLE_LOCK_DIR to a private directory",
                dir.display()
            ),
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(dir: &Path, _owner: Owner) -> Result<(), LockError> {
    // Windows ACLs are not mode bits; only the kind of entry is checked there.
    let meta = std::fs::symlink_metadata(dir).map_err(|source| LockError::DirIo {
        path: dir.to_owned(),
        source,
    })?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(LockError::UnsafeDir {
            path: dir.to_owned(),
            problem: "is not a directory".to_owned(),
            remedy: "set ENTITLE_LOCK_DIR to a private directory of yours".to_owned(),
        });
    }
    Ok(())
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
            err.to_string().contains("another entitle apply is running")
                && err.to_string().contains("is held by pid "),
            "{err}"
        );
        drop(first);
        WorkspaceLock::try_acquire(&journal).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_lock_path_is_refused_and_its_target_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep me\n").unwrap();
        std::os::unix::fs::symlink(&target, lock_path(&journal)).unwrap();
        let err = WorkspaceLock::try_acquire(&journal).unwrap_err();
        assert!(matches!(err, LockError::Symlink { .. }), "{err:?}");
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
        // A dangling link does not make entitle create its target either.
        let other = dir.path().join("other.jsonl");
        let nowhere = dir.path().join("created-through-the-link");
        std::os::unix::fs::symlink(&nowhere, lock_path(&other)).unwrap();
        assert!(matches!(
            WorkspaceLock::try_acquire(&other),
            Err(LockError::Symlink { .. })
        ));
        assert!(!nowhere.exists());
    }

    #[test]
    fn a_lock_on_a_file_unlinked_under_its_holder_excludes_no_one() {
        // Why a holder must check that the path still names its file: once the file is gone,
        // the next apply creates a new one and locks it, while the first still holds its own.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let first = WorkspaceLock::acquire(&path, "here").unwrap();
        std::fs::remove_file(&path).unwrap();
        let second = WorkspaceLock::acquire(&path, "here").unwrap();
        drop((first, second));
    }

    #[test]
    fn a_file_replaced_between_open_and_lock_is_not_the_lock_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let mut opens = 0;
        let held = WorkspaceLock::acquire_with(&path, "here", |p| {
            opens += 1;
            if opens == 1 {
                // What an `unlock` (or anyone) does to the file this apply has just opened.
                std::fs::remove_file(p).unwrap();
                std::fs::write(p, "").unwrap();
            }
        })
        .unwrap();
        assert_eq!(opens, 2, "the file at the path is opened again");
        // The lock held is on the file at the path: another apply is refused.
        assert!(matches!(
            WorkspaceLock::acquire(&path, "here"),
            Err(LockError::Busy { .. })
        ));
        drop(held);
    }

    #[test]
    fn an_unlock_between_an_applys_open_and_lock_leaves_the_apply_a_lock_that_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::write(&path, "pid 1 in /gone").unwrap();
        let mut removals = Vec::new();
        let held = WorkspaceLock::acquire_with(&path, "here", |p| {
            if removals.is_empty() {
                removals.push(WorkspaceLock::remove_if_free(p).unwrap());
            }
        })
        .unwrap();
        assert_eq!(removals, [Removal::Removed]);
        assert!(path.exists());
        assert_eq!(
            WorkspaceLock::remove_if_free(&path).unwrap(),
            Removal::Held {
                holder: Some(format!(
                    "pid {} in {}",
                    std::process::id(),
                    std::env::current_dir().unwrap().display()
                ))
            }
        );
        drop(held);
    }

    #[test]
    fn unlock_removes_the_file_while_it_still_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        std::fs::write(&path, "").unwrap();
        let mut apply_meanwhile = None;
        let removal = WorkspaceLock::remove_if_free_with(&path, |p| {
            apply_meanwhile = Some(WorkspaceLock::acquire(p, "here"));
        })
        .unwrap();
        assert_eq!(removal, Removal::Removed);
        assert!(
            matches!(apply_meanwhile, Some(Err(LockError::Busy { .. }))),
            "an apply can take the lock just before the unlink: {apply_meanwhile:?}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn the_default_lock_directory_is_per_user() {
        let temp = Path::new("/tmp");
        assert_eq!(
            default_account_dir(None, temp, 1000),
            Path::new("/tmp/entitle-locks-1000")
        );
        assert_eq!(
            default_account_dir(Some("/run/user/1000".into()), temp, 1000),
            Path::new("/run/user/1000/entitle-locks")
        );
        for ignored in ["", "run/user/1000"] {
            assert_eq!(
                default_account_dir(Some(ignored.into()), temp, 7),
                Path::new("/tmp/entitle-locks-7"),
                "{ignored:?}"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_effective_uid_is_the_owner_of_what_this_process_creates() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("mine");
        std::fs::write(&f, "").unwrap();
        assert_eq!(
            effective_uid().unwrap(),
            std::fs::metadata(&f).unwrap().uid()
        );
    }

    #[cfg(unix)]
    mod directory {
        use super::*;
        use std::os::unix::fs::PermissionsExt;

        fn me() -> Owner {
            effective_uid().unwrap()
        }

        fn mode(p: &Path) -> u32 {
            std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
        }

        fn refusal(dir: &Path, owner: Owner) -> String {
            match make_private(dir, owner) {
                Err(e @ LockError::UnsafeDir { .. }) => e.to_string(),
                other => panic!("{other:?}"),
            }
        }

        #[test]
        fn a_missing_lock_directory_is_created_owner_only() {
            let base = tempfile::tempdir().unwrap();
            let dir = base.path().join("a/locks");
            make_private(&dir, me()).unwrap();
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&base.path().join("a")), 0o700);
            // Readable by the group is no threat to the locks; writable is.
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
            make_private(&dir, me()).unwrap();
        }

        #[test]
        fn a_lock_directory_others_can_write_is_refused_with_what_to_do() {
            let base = tempfile::tempdir().unwrap();
            let dir = base.path().join("locks");
            std::fs::create_dir(&dir).unwrap();
            for m in [0o777, 0o1777, 0o720, 0o702] {
                std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(m)).unwrap();
                assert_eq!(
                    refusal(&dir, me()),
                    format!(
                        "refusing the lock directory {d}: it is writable by group or others (mode {m:04o}); run `chmod 700 {d}`, or set ENTITLE_LOCK_DIR to a private directory",
                        d = dir.display()
                    )
                );
            }
            assert_eq!(mode(&dir), 0o702, "never chmod'ed by entitle");
        }

        #[test]
        fn a_lock_directory_that_is_a_link_a_file_or_another_users_is_refused() {
            let base = tempfile::tempdir().unwrap();
            let real = base.path().join("real");
            make_private(&real, me()).unwrap();
            let link = base.path().join("link");
            std::os::unix::fs::symlink(&real, &link).unwrap();
            assert!(
                refusal(&link, me()).contains("it is a symbolic link; set ENTITLE_LOCK_DIR"),
                "{}",
                refusal(&link, me())
            );
            let file = base.path().join("file");
            std::fs::write(&file, "").unwrap();
            assert!(refusal(&file, me()).contains("it is not a directory"));
            // Owned by someone else, as the lock directory looks to any other user.
            let other = me().wrapping_add(1);
            assert!(
                refusal(&real, other).contains(&format!(
                    "it belongs to another user (uid {}, not {other})",
                    me()
                )),
                "{}",
                refusal(&real, other)
            );
        }

        #[test]
        fn an_account_lock_is_not_taken_in_a_directory_others_can_write() {
            let base = tempfile::tempdir().unwrap();
            let dir = base.path().join("locks");
            std::fs::create_dir(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
            let err = WorkspaceLock::acquire_account_in(&dir, me(), "k", "http://127.0.0.1:1")
                .unwrap_err();
            assert!(matches!(err, LockError::UnsafeDir { .. }), "{err:?}");
            assert!(!dir.join("account-k.lock").exists());
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
            WorkspaceLock::acquire_account_in(&dir, me(), "k", "http://127.0.0.1:1").unwrap();
        }
    }
}
