//! Process exit codes (DESIGN section 2).

/// What the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success / no changes / everything done.
    Success = 0,
    /// 1: an error; for apply, before any order was sent.
    Error = 1,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes = 2,
    /// 3: saved plan stale or already applied; nothing sent.
    Stale = 3,
    /// 4: some orders failed or were skipped (their PBX changed since the plan), the rest done.
    Partial = 4,
    /// 5: an order's outcome is unknown.
    Unknown = 5,
    /// 6: a PBX is in doubt: an earlier order's outcome or effect is not known yet, so nothing
    /// was ordered for it; re-run after the time shown.
    InDoubt = 6,
    /// 129 (128 + SIGHUP): as [`Exit::Interrupted`], for the terminal going away.
    HungUp = 129,
    /// 130 (128 + SIGINT, as shells report it): apply was interrupted; the orders already sent
    /// finished and are journaled, the rest were not started, none failed.
    Interrupted = 130,
    /// 143 (128 + SIGTERM): as [`Exit::Interrupted`], for a CI runner's or a service manager's
    /// cancel.
    Terminated = 143,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}
