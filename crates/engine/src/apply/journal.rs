//! The journal (`.entitle/journal.jsonl`): an append-only record of every order's life. The
//! intent (`sending`, with its `poNumber`) is appended and fsynced BEFORE the order is sent, so
//! after a crash, a timeout or a 5xx the order can be looked up in the vendor's order list by
//! that reference instead of being sent again. A plan's ID is recorded when it starts applying,
//! so a saved plan applies once. Never holds credentials or tokens.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use crate::clock::Clock;
pub use entitle_core::journal::{Entry, EntryState, last_applies, latest, of_account, plan_seen};

/// Why the journal could not be used. Without it nothing is sent.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the journal {path}: {source}; no order was sent without its record")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the journal {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The shared backend's lock was taken by another apply: this run writes (and sends)
    /// nothing more.
    #[error("{0}")]
    LockLost(String),
    #[error(
        "{path}:{line}: journal entry is not valid ({reason}); fix or move the file, it records orders already sent"
    )]
    Corrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// An open journal: a file appended to with an fsync per intent, or a table of the shared
/// backend (see [`crate::backend`]) appended to with a committed `INSERT` per entry.
#[derive(Debug)]
pub struct Journal {
    /// The file, or the backend's URL (without password) in messages.
    path: PathBuf,
    sink: Sink,
    /// Where entries' times come from.
    clock: Clock,
    /// The entries, once read, with every entry written since: a journal is opened under its
    /// lock, so what it writes is all that changes it, and it is read once per run.
    known: std::sync::OnceLock<Vec<Entry>>,
    /// A failed write that could not be taken back: the file may end in part of a line, so
    /// nothing more is written in this run (no order without its record); the next run's
    /// open cuts the torn tail off.
    poisoned: bool,
    /// The vendor account this run applies to: stamped on every entry written, and entries
    /// of another account are left out of [`Journal::entries`].
    account: Option<String>,
}

#[derive(Debug)]
enum Sink {
    File(File),
    Db(crate::backend::DbJournal),
}

impl Journal {
    /// Opens (creating) the journal for appending; its entries are stamped by `clock`.
    pub fn open(path: &Path, clock: Clock) -> Result<Journal, JournalError> {
        let err = |source| JournalError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        heal_torn_tail(path, &mut file).map_err(err)?;
        Ok(Journal {
            path: path.to_owned(),
            sink: Sink::File(file),
            clock,
            known: std::sync::OnceLock::new(),
            poisoned: false,
            account: None,
        })
    }

    /// A journal on a full disk: every write fails with ENOSPC, as the kernel reports it
    /// (`/dev/full`), and cannot be cut back (a device has no length).
    #[cfg(all(test, target_os = "linux"))]
    pub fn on_full_disk(clock: Clock) -> Journal {
        let file = OpenOptions::new().append(true).open("/dev/full").unwrap();
        Journal {
            path: PathBuf::from("/dev/full"),
            sink: Sink::File(file),
            clock,
            known: std::sync::OnceLock::from(Vec::new()),
            poisoned: false,
            account: None,
        }
    }

    /// The journal of the shared backend; its entries are stamped by `clock`.
    pub fn on_backend(db: crate::backend::DbJournal, clock: Clock) -> Journal {
        Journal {
            path: PathBuf::from(db.shown()),
            sink: Sink::Db(db),
            clock,
            known: std::sync::OnceLock::new(),
            poisoned: false,
            account: None,
        }
    }

    /// This journal as the one of the vendor `account` (`Client::account_key`): what it
    /// writes is stamped with it, and what it reads is that account's (and what was written
    /// before accounts were recorded). A workspace pointed at another account does not take
    /// the first account's orders for its own.
    pub fn for_account(mut self, account: &str) -> Journal {
        self.account = Some(account.to_owned());
        self
    }

    /// Entries of this workspace's file journal stamped with another account than this run's
    /// (see [`crate::ledger::other_accounts`]); none on the shared backend, which keeps each
    /// account's apart.
    pub fn other_accounts_entries(&self) -> Result<Vec<Entry>, JournalError> {
        let (Sink::File(_), Some(mine)) = (&self.sink, &self.account) else {
            return Ok(Vec::new());
        };
        Ok(read(&self.path)?
            .into_iter()
            .filter(|e| e.account.as_ref().is_some_and(|a| a != mine))
            .collect())
    }

    /// The file, or the backend (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry so far.
    pub fn entries(&self) -> Result<Vec<Entry>, JournalError> {
        if let Some(known) = self.known.get() {
            return Ok(known.clone());
        }
        let entries = match &self.sink {
            Sink::File(_) => read(&self.path)?,
            Sink::Db(db) => {
                let lines = db.lines().map_err(|e| JournalError::Read {
                    path: self.path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                parse_lines(&self.path, &lines, false)?
            }
        };
        let entries = match &self.account {
            Some(mine) => of_account(entries, mine),
            None => entries,
        };
        Ok(self.known.get_or_init(|| entries).clone())
    }

    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The time to stamp a new entry with (epoch milliseconds).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Appends one entry and waits until it is on disk.
    pub fn append(&mut self, entry: &Entry) -> Result<(), JournalError> {
        self.write(entry, true)?;
        match &self.sink {
            Sink::File(file) => file.sync_data().map_err(|source| JournalError::Write {
                path: self.path.clone(),
                source,
            }),
            Sink::Db(_) => Ok(()),
        }
    }

    /// Appends one entry without waiting for the disk: for an order's outcome, whose loss in a
    /// crash only leaves its intent, resolved by evidence like any unknown outcome. The next
    /// synced append (the next intent) puts it on disk too.
    pub fn append_unsynced(&mut self, entry: &Entry) -> Result<(), JournalError> {
        self.write(entry, false)
    }

    /// Whether this run still holds the shared backend's lock (another apply took it since,
    /// when not); always true for a file journal, whose lock the OS holds until the process
    /// ends. A backend that cannot be asked is taken as lost: that is what is known.
    pub fn lock_lost(&self) -> bool {
        match &self.sink {
            Sink::File(_) => false,
            Sink::Db(db) => !db.fence_holds().unwrap_or(false),
        }
    }

    /// Writes one entry; on the shared backend, `fenced` writes prove the lock is still held
    /// (an intent), the others (an outcome already decided by the vendor) do not.
    fn write(&mut self, entry: &Entry, fenced: bool) -> Result<(), JournalError> {
        let stamped;
        let entry = match (&self.account, &entry.account) {
            (Some(mine), None) => {
                stamped = Entry {
                    account: Some(mine.clone()),
                    ..entry.clone()
                };
                &stamped
            }
            _ => entry,
        };
        let mut line = serde_json::to_vec(entry).map_err(|e| JournalError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e),
        })?;
        let err = |source| JournalError::Write {
            path: self.path.clone(),
            source,
        };
        if self.poisoned {
            return Err(err(std::io::Error::other(
                "an earlier write failed part-way and could not be taken back",
            )));
        }
        match &mut self.sink {
            Sink::File(file) => {
                line.push(b'\n');
                // A full disk may take part of the line: cut the file back to where it was,
                // so the next entry starts on a clean line rather than on a torn one.
                let before = file.metadata().map_err(err)?.len();
                if let Err(e) = file.write_all(&line) {
                    if file.set_len(before).is_err() {
                        self.poisoned = true;
                    }
                    return Err(err(e));
                }
            }
            // A committed INSERT: durable when it returns.
            Sink::Db(db) => {
                let text = String::from_utf8_lossy(&line).into_owned();
                db.append(text, fenced).map_err(|e| match e {
                    crate::backend::BackendError::LockLost { .. } => {
                        JournalError::LockLost(e.to_string())
                    }
                    e => err(std::io::Error::other(e.to_string())),
                })?;
            }
        }
        if let Some(known) = self.known.get_mut() {
            known.push(entry.clone());
        }
        Ok(())
    }
}

/// Makes the journal end on a whole line, so the next entry starts on a clean one. A last line
/// cut short (a crash or a full disk mid-write) never had its fsync return, so the order it
/// announced was never sent (an intent) or is resolved from the vendor (an outcome): it is cut
/// off. A last entry that is whole but lacks its newline gets one.
fn heal_torn_tail(path: &Path, file: &mut File) -> std::io::Result<()> {
    let bytes = std::fs::read(path)?;
    let start = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[start..];
    if tail.is_empty() {
        return Ok(());
    }
    if serde_json::from_slice::<Entry>(tail).is_ok() {
        file.write_all(b"\n")?;
    } else {
        tracing::warn!(
            path = %path.display(),
            bytes = tail.len(),
            "the journal's last line was cut short; it is removed"
        );
        file.set_len(start as u64)?;
    }
    file.sync_data()
}

/// Reads every entry; a missing journal is empty. A torn last line (a crash mid-write, before
/// its fsync returned, so its order was never sent) is ignored; any other bad line is an error.
pub fn read(path: &Path) -> Result<Vec<Entry>, JournalError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(JournalError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| JournalError::Read {
            path: path.to_owned(),
            source,
        })?;
    parse_lines(path, &lines, true)
}

/// Parses journal lines; with `torn_tail`, a bad last line is a write cut short, ignored.
fn parse_lines(path: &Path, lines: &[String], torn_tail: bool) -> Result<Vec<Entry>, JournalError> {
    let mut out = Vec::with_capacity(lines.len());
    let last = if torn_tail {
        lines.len().saturating_sub(1)
    } else {
        usize::MAX
    };
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => out.push(e),
            Err(_) if i == last => {}
            Err(e) => {
                return Err(JournalError::Corrupt {
                    path: path.to_owned(),
                    line: i + 1,
                    reason: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(po: &str, state: EntryState) -> Entry {
        Entry {
            sn: "SN".into(),
            ..entitle_core::testing::journal_entry(po, state, 1)
        }
    }

    #[test]
    fn appends_reads_and_keeps_the_last_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/journal.jsonl");
        let mut j = Journal::open(&path, Clock::stopped(1_795_338_000_000)).unwrap();
        j.append(&entry("ent-a", EntryState::Sending)).unwrap();
        j.append(&entry("ent-b", EntryState::Sending)).unwrap();
        j.append(&entry("ent-a", EntryState::Done)).unwrap();
        let all = read(&path).unwrap();
        let last = latest(&all);
        assert_eq!(last["ent-a"].state, EntryState::Done);
        assert!(last["ent-b"].state.is_unresolved());
        assert!(plan_seen(&all, "plan-1"));
        assert!(!plan_seen(&all, "plan-2"));
    }

    #[test]
    fn a_torn_last_line_is_ignored_but_corruption_elsewhere_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let good = serde_json::to_string(&entry("ent-a", EntryState::Sending)).unwrap();
        std::fs::write(&path, format!("{good}\n{{\"at_ms\":1,\"pla")).unwrap();
        assert_eq!(read(&path).unwrap().len(), 1);
        std::fs::write(&path, format!("garbage\n{good}\n")).unwrap();
        assert!(matches!(
            read(&path),
            Err(JournalError::Corrupt { line: 1, .. })
        ));
        assert!(read(&dir.path().join("none.jsonl")).unwrap().is_empty());
    }

    #[test]
    fn opening_heals_a_torn_tail_so_later_runs_never_wedge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let clock = Clock::stopped(1_795_338_000_000);
        let good = serde_json::to_string(&entry("ent-a", EntryState::Sending)).unwrap();
        // Cut short mid-entry: removed, and the next entry starts on a clean line.
        std::fs::write(&path, format!("{good}\n{{\"at_ms\":1,\"pla")).unwrap();
        let mut j = Journal::open(&path, clock).unwrap();
        j.append(&entry("ent-b", EntryState::Done)).unwrap();
        drop(j);
        let all = read(&path).unwrap();
        assert_eq!(
            all.iter().map(|e| e.po_number.as_str()).collect::<Vec<_>>(),
            ["ent-a", "ent-b"]
        );
        // Every later open and append keeps it readable.
        Journal::open(&path, clock)
            .unwrap()
            .append(&entry("ent-c", EntryState::Done))
            .unwrap();
        assert_eq!(read(&path).unwrap().len(), 3);
        // Whole but without its newline: kept, and sealed.
        std::fs::write(&path, &good).unwrap();
        Journal::open(&path, clock)
            .unwrap()
            .append(&entry("ent-b", EntryState::Done))
            .unwrap();
        assert_eq!(read(&path).unwrap().len(), 2);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_fails_the_write_and_every_later_one_of_the_run() {
        let mut j = Journal::on_full_disk(Clock::stopped(1_795_338_000_000));
        let first = j.append(&entry("ent-a", EntryState::Sending)).unwrap_err();
        assert!(
            first.to_string().contains("No space left on device"),
            "{first}"
        );
        // The failed line could not be cut back: nothing more is written this run, even if
        // space comes back, so no entry lands on a torn line.
        let later = j
            .append_unsynced(&entry("ent-a", EntryState::Done))
            .unwrap_err();
        assert!(
            later.to_string().contains("could not be taken back"),
            "{later}"
        );
        assert!(j.entries().unwrap().is_empty());
    }

    /// A workspace used under two account keys: each run reads its own account's entries (and
    /// those written before accounts were recorded), and sees the other's apart.
    #[test]
    fn entries_of_another_account_are_kept_apart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let clock = Clock::stopped(1_795_338_000_000);
        Journal::open(&path, clock)
            .unwrap()
            .append(&entry("ent-legacy", EntryState::Sending))
            .unwrap();
        Journal::open(&path, clock)
            .unwrap()
            .for_account("aaaa")
            .append(&entry("ent-a", EntryState::Sending))
            .unwrap();
        let b = Journal::open(&path, clock).unwrap().for_account("bbbb");
        let pos = |v: Vec<Entry>| v.into_iter().map(|e| e.po_number).collect::<Vec<_>>();
        assert_eq!(pos(b.entries().unwrap()), ["ent-legacy"]);
        assert_eq!(pos(b.other_accounts_entries().unwrap()), ["ent-a"]);
        let a = Journal::open(&path, clock).unwrap().for_account("aaaa");
        assert_eq!(pos(a.entries().unwrap()), ["ent-legacy", "ent-a"]);
        assert!(a.other_accounts_entries().unwrap().is_empty());
        assert_eq!(
            read(&path).unwrap()[1].account.as_deref(),
            Some("aaaa"),
            "stamped"
        );
    }

    #[test]
    fn entries_are_read_once_and_kept_with_what_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let clock = Clock::stopped(1_795_338_000_000);
        let good = serde_json::to_string(&entry("ent-a", EntryState::Sending)).unwrap();
        std::fs::write(&path, format!("{good}\n")).unwrap();
        let mut j = Journal::open(&path, clock).unwrap();
        assert_eq!(j.entries().unwrap().len(), 1);
        j.append(&entry("ent-a", EntryState::Done)).unwrap();
        j.append_unsynced(&entry("ent-b", EntryState::Sending))
            .unwrap();
        let kept = j.entries().unwrap();
        assert_eq!(
            kept,
            read(&path).unwrap(),
            "the same as reading the file again"
        );
        assert_eq!(
            kept.iter()
                .map(|e| (e.po_number.as_str(), e.state))
                .collect::<Vec<_>>(),
            [
                ("ent-a", EntryState::Sending),
                ("ent-a", EntryState::Done),
                ("ent-b", EntryState::Sending)
            ]
        );
        // Read once: the holder of the lock is the journal's only writer.
        std::fs::write(&path, "").unwrap();
        assert_eq!(j.entries().unwrap(), kept);
    }
}
