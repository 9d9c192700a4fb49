//! Progress of the long phases — reading the account, pricing, ordering — on stderr. On a
//! terminal: a bar with counts and an ETA. Off one (CI logs, a pipe): a plain line every
//! [`LINE_EVERY`] with counts and rate, once the phase has run that long, and a last line when
//! it ends. `--quiet` silences both. The library only reports counts ([`Progress`]).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex};
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
        // A closed stderr (`2>&1 | head`, a terminal gone after SIGHUP) must not panic: the
        // line is lost, the outcome is not.
        Box::new(Lines::new(phase, |line| {
            let _ = writeln!(std::io::stderr(), "{line}");
        }))
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

/// Plain lines off a terminal, written by `out` from a ticker thread: a line every
/// [`LINE_EVERY`] whether or not a step completed in between, so a run waiting out a throttle or
/// a slow answer still shows it is alive.
pub(super) struct Lines<F> {
    shared: Arc<Shared<F>>,
    ticker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Shared<F> {
    phase: Phase,
    out: F,
    every: Duration,
    state: Mutex<LineState>,
    /// Wakes the ticker when the phase ends.
    ended: Condvar,
}

struct LineState {
    started: Instant,
    total: u64,
    done: u64,
    wrote: bool,
    running: bool,
}

impl<F: Fn(String) + Send + Sync + 'static> Lines<F> {
    pub(super) fn new(phase: Phase, out: F) -> Lines<F> {
        Lines::every(phase, LINE_EVERY, out)
    }

    /// Lines every `every` (tests use a short one and wait for the lines, never for time).
    fn every(phase: Phase, every: Duration, out: F) -> Lines<F> {
        Lines {
            shared: Arc::new(Shared {
                phase,
                out,
                every,
                state: Mutex::new(LineState {
                    started: Instant::now(),
                    total: 0,
                    done: 0,
                    wrote: false,
                    running: false,
                }),
                ended: Condvar::new(),
            }),
            ticker: Mutex::new(None),
        }
    }

    fn stop_ticker(&self) {
        self.shared.end();
        if let Some(t) = self.ticker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = t.join();
        }
    }
}

impl<F> Shared<F> {
    fn lock(&self) -> std::sync::MutexGuard<'_, LineState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Ends the phase: the ticker wakes and returns.
    fn end(&self) {
        self.lock().running = false;
        self.ended.notify_all();
    }
}

impl<F: Fn(String)> Shared<F> {
    fn line(&self, st: &LineState) -> String {
        let secs = st.started.elapsed().as_secs_f64();
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

    /// Writes a line every `every` until the phase ends.
    fn tick(&self) {
        let mut st = self.lock();
        loop {
            let (next, timeout) = self
                .ended
                .wait_timeout_while(st, self.every, |st| st.running)
                .unwrap_or_else(|p| p.into_inner());
            st = next;
            if !timeout.timed_out() || !st.running {
                return;
            }
            st.wrote = true;
            (self.out)(self.line(&st));
        }
    }
}

impl<F: Fn(String) + Send + Sync + 'static> Progress for Lines<F> {
    fn start(&self, total: u64) {
        self.stop_ticker();
        *self.shared.lock() = LineState {
            started: Instant::now(),
            total,
            done: 0,
            wrote: false,
            running: true,
        };
        let shared = Arc::clone(&self.shared);
        // Without a thread there is no line until the phase ends: better than no run at all.
        if let Ok(t) = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || shared.tick())
        {
            *self.ticker.lock().unwrap_or_else(|p| p.into_inner()) = Some(t);
        }
    }
    fn advance(&self) {
        self.shared.lock().done += 1;
    }
    fn finish(&self) {
        self.stop_ticker();
        let st = self.shared.lock();
        if st.wrote {
            (self.shared.out)(self.shared.line(&st));
        }
    }
}

impl<F> Drop for Lines<F> {
    fn drop(&mut self) {
        self.shared.end();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    #[test]
    fn off_a_terminal_a_line_every_period_while_nothing_completes_then_a_last_one() {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let p = Lines::every(READING, Duration::from_millis(5), move |l| {
            tx.lock().unwrap().send(l).unwrap();
        });
        p.start(2000);
        for _ in 0..3 {
            p.advance();
        }
        // No step completes from here on; the lines still come, two in a row at 3 (a line
        // may come before the third step on a busy machine). The deadline is only for a
        // broken ticker, which would otherwise hang the test.
        let next = || rx.recv_timeout(Duration::from_secs(60)).expect("no line");
        let mut quiet = 0;
        while quiet < 2 {
            let line = next();
            assert!(
                line.starts_with("reading: ") && line.ends_with("/s)"),
                "{line}"
            );
            if line.starts_with("reading: 3/2000 PBXs in ") {
                quiet += 1;
            }
        }
        for _ in 0..997 {
            p.advance();
        }
        p.finish();
        let rest: Vec<String> = rx.try_iter().collect();
        let last = rest.last().expect("a last line");
        assert!(last.starts_with("reading: 1000/2000 PBXs in "), "{rest:?}");
        // The ticker has stopped: nothing more is written.
        drop(p);
        assert!(rx.recv().is_err(), "a line after the phase ended");
    }

    #[test]
    fn a_phase_shorter_than_the_period_writes_nothing() {
        let (tx, rx) = mpsc::channel::<String>();
        let tx = Mutex::new(tx);
        let p = Lines::every(PRICING, Duration::from_secs(3600), move |l| {
            tx.lock().unwrap().send(l).unwrap();
        });
        p.start(5);
        for _ in 0..5 {
            p.advance();
        }
        p.finish();
        drop(p);
        assert!(rx.recv().is_err(), "a line from a short phase");
    }
}
