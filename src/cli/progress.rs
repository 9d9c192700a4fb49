//! Progress of the long phases — reading the account, pricing, ordering — on stderr. On a
//! terminal: a bar with counts and an ETA. Off one (CI logs, a pipe): a plain line every
//! [`LINE_EVERY`] with counts and rate, once the phase has run that long, and a last line when
//! it ends. `--quiet` silences both. The library only reports counts ([`Progress`]).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::observe::{Progress, Silent};

/// How often a plain progress line is written off a terminal.
pub(super) const LINE_EVERY: Duration = Duration::from_secs(10);

/// Bars only for phases of at least this many steps.
const BAR_FROM: u64 = 20;

/// What a phase is called: `reading` PBXs, `pricing` orders, `ordering` for PBXs.
#[derive(Debug, Clone, Copy)]
pub(super) struct Phase {
    pub verb: &'static str,
    pub unit: &'static str,
}

pub(super) const READING: Phase = Phase {
    verb: "reading",
    unit: "PBXs",
};
pub(super) const PRICING: Phase = Phase {
    verb: "pricing",
    unit: "orders",
};
pub(super) const ORDERING: Phase = Phase {
    verb: "ordering",
    unit: "PBXs",
};

/// The display of one phase.
pub(super) fn display(phase: Phase, quiet: bool) -> Box<dyn Progress> {
    if quiet {
        return Box::new(Silent);
    }
    if std::io::stderr().is_terminal() {
        Box::new(Bar {
            phase,
            bar: Mutex::new(None),
        })
    } else {
        Box::new(Lines::new(phase, |line| eprintln!("{line}")))
    }
}

/// A bar on a terminal.
struct Bar {
    phase: Phase,
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if total < BAR_FROM {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        let template = format!(
            "{} {{pos}}/{{len}} {} {{wide_bar}} {{per_sec}} {{eta}}",
            self.phase.verb, self.phase.unit
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(&template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        *self.bar.lock().unwrap_or_else(|p| p.into_inner()) = Some(bar);
    }
    fn advance(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            b.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
            b.finish_and_clear();
        }
    }
}

/// Plain lines off a terminal, written by `out`.
pub(super) struct Lines<F> {
    phase: Phase,
    out: F,
    state: Mutex<LineState>,
}

struct LineState {
    started: Instant,
    last: Instant,
    total: u64,
    done: u64,
    wrote: bool,
}

impl<F: Fn(String) + Send + Sync> Lines<F> {
    pub(super) fn new(phase: Phase, out: F) -> Lines<F> {
        let now = Instant::now();
        Lines {
            phase,
            out,
            state: Mutex::new(LineState {
                started: now,
                last: now,
                total: 0,
                done: 0,
                wrote: false,
            }),
        }
    }

    fn line(&self, st: &LineState, now: Instant) -> String {
        let secs = now.duration_since(st.started).as_secs_f64();
        let rate = if secs > 0.0 {
            st.done as f64 / secs
        } else {
            0.0
        };
        format!(
            "{}: {}/{} {} in {:.0}s ({:.1}/s)",
            self.phase.verb, st.done, st.total, self.phase.unit, secs, rate
        )
    }
}

impl<F: Fn(String) + Send + Sync> Progress for Lines<F> {
    fn start(&self, total: u64) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *st = LineState {
            started: now,
            last: now,
            total,
            done: 0,
            wrote: false,
        };
    }
    fn advance(&self) {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.done += 1;
        if now.duration_since(st.last) >= LINE_EVERY {
            st.last = now;
            st.wrote = true;
            (self.out)(self.line(&st, now));
        }
    }
    fn finish(&self) {
        let now = Instant::now();
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.wrote {
            (self.out)(self.line(&st, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn off_a_terminal_a_line_every_ten_seconds_with_counts_and_rate_then_a_last_one() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        let p = Lines::new(READING, move |l| sink.lock().unwrap().push(l));
        p.start(2000);
        p.advance();
        assert!(lines.lock().unwrap().is_empty(), "nothing before 10 s");
        // Ten seconds pass.
        {
            let mut st = p.state.lock().unwrap();
            st.started -= Duration::from_secs(10);
            st.last -= Duration::from_secs(10);
        }
        for _ in 0..999 {
            p.advance();
        }
        p.finish();
        let lines = lines.lock().unwrap();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("reading: 2/2000 PBXs in 10s ("),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("reading: 1000/2000 PBXs in 10s (100.0/s)"),
            "{lines:?}"
        );
    }

    #[test]
    fn a_short_phase_writes_nothing() {
        let lines = Arc::new(Mutex::new(Vec::<String>::new()));
        let sink = lines.clone();
        let p = Lines::new(PRICING, move |l| sink.lock().unwrap().push(l));
        p.start(5);
        for _ in 0..5 {
            p.advance();
        }
        p.finish();
        assert!(lines.lock().unwrap().is_empty());
    }
}
