//! Process exit codes: the one table. Every outcome the engine returns (a plan, a refused
//! saved plan, an apply's report, an error) says which of these it is; `--help`, the man page
//! and the README's table are this table (the README's is checked against it by a test).

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
    /// 7: the plan breaks a spend limit (`--max-cost`); apply sent nothing.
    OverBudget = 7,
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
    /// Every exit code, in numeric order.
    pub const ALL: [Exit; 11] = [
        Exit::Success,
        Exit::Error,
        Exit::Changes,
        Exit::Stale,
        Exit::Partial,
        Exit::Unknown,
        Exit::InDoubt,
        Exit::OverBudget,
        Exit::HungUp,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    /// What the code means to a user, as `--help` and the README say it (lines wrapped at 95
    /// columns, continuation lines indented).
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Success => {
                "success; plan --detailed-exitcode: no changes; apply: everything done or nothing to do"
            }
            Exit::Error => "error (invalid manifest, API failure, ...); apply: nothing was sent",
            Exit::Changes => "plan --detailed-exitcode: changes present",
            Exit::Stale => {
                "apply: the saved plan is stale, edited, corrupt or already applied; nothing sent"
            }
            Exit::Partial => {
                "apply: partial, some orders failed or were skipped (their PBX changed since the plan);\n\
                 the rest are done"
            }
            Exit::Unknown => {
                "apply: an order's outcome is unknown; the next run resolves it by evidence"
            }
            Exit::InDoubt => {
                "plan, apply: a PBX is in doubt (an earlier order's outcome or effect does not show yet);\n\
                 nothing was ordered for it; re-run after the time shown"
            }
            Exit::OverBudget => {
                "plan --detailed-exitcode, apply: the plan breaks a spend limit (--max-cost, or\n\
                 entitle.policy.yaml); apply sent nothing (apply --override-policy PLAN_ID approves\n\
                 one plan)"
            }
            Exit::HungUp => "apply: as 130, on SIGHUP (the terminal went away)",
            Exit::Interrupted => {
                "apply: interrupted (Ctrl-C); the orders already sent finished and are journaled, the rest\n\
                 were not started, none failed; re-run apply to go on"
            }
            Exit::Terminated => {
                "apply: as 130, on SIGTERM (what a CI runner sends when a job is cancelled)"
            }
        }
    }

    /// The table of every code and its meaning, one code per line, the code right-aligned in
    /// three columns and continuation lines indented under the meaning.
    pub fn table() -> String {
        let mut out = String::new();
        for exit in Exit::ALL {
            for (i, line) in exit.meaning().lines().enumerate() {
                if i == 0 {
                    out.push_str(&format!("{:>3}  {line}\n", exit.code()));
                } else {
                    out.push_str(&format!("     {line}\n"));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn the_table_lists_every_code_once_in_order() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(codes, sorted);
        let table = Exit::table();
        assert!(table.starts_with("  0  success;"), "{table}");
        assert!(
            table.contains("\n143  apply: as 130, on SIGTERM"),
            "{table}"
        );
        assert!(table.lines().all(|l| l.len() <= 95), "{table}");
    }
}
