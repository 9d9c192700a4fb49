//! The client-side pacing shared by every task of one client. By default there is no limit:
//! concurrency alone bounds the client. When the vendor answers 429 (or 503), every task
//! honours its `Retry-After`, and the client paces itself adaptively (AIMD, as the "adaptive"
//! retry mode of the AWS SDKs): the rate drops to 90% of the answers that succeeded in the last
//! second, then rises again by [`INCREASE_PER_SEC`] requests per second for every second of
//! clean answers. An optional hard ceiling (`ENTITLE_RATE_LIMIT`) caps it whatever happens.
//! Pacing is a token bucket of one second's worth of requests (reservation style, so waiting
//! tasks are served in arrival order).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How much the adaptive rate rises per second of answers without a throttle.
pub(super) const INCREASE_PER_SEC: f64 = 2.0;
/// The share of the last second's successful answers the rate drops to on a throttle.
const DECREASE_TO: f64 = 0.9;

#[derive(Debug)]
pub(super) struct RateLimiter {
    /// The hard ceiling (`ENTITLE_RATE_LIMIT`), requests per second; `None` = none.
    ceiling: Option<f64>,
    state: Mutex<State>,
}

enum Wait {
    Paused(Duration),
    Slot(Duration),
}

#[derive(Debug)]
struct State {
    /// When the next request is due on the steady schedule (GCRA's theoretical arrival time).
    next: Instant,
    /// No request leaves before this (set by a 429).
    paused_until: Option<Instant>,
    /// The adaptive rate, requests per second, once the vendor has throttled; `None` = none.
    adaptive: Option<f64>,
    /// When the adaptive rate last rose (or fell).
    adjusted: Instant,
    /// When recent answers succeeded (the last second's).
    successes: VecDeque<Instant>,
}

impl State {
    /// The rate in force: the lower of the ceiling and the adaptive rate.
    fn rate(&self, ceiling: Option<f64>) -> Option<f64> {
        match (ceiling, self.adaptive) {
            (Some(c), Some(a)) => Some(c.min(a)),
            (c, a) => c.or(a),
        }
    }
}

impl RateLimiter {
    /// `ceiling` of 0 or infinity: no hard ceiling (the adaptive pacing still applies).
    pub(super) fn new(ceiling: f64) -> RateLimiter {
        let now = Instant::now();
        RateLimiter {
            ceiling: (ceiling > 0.0 && ceiling.is_finite()).then_some(ceiling),
            state: Mutex::new(State {
                next: now,
                paused_until: None,
                adaptive: None,
                adjusted: now,
                successes: VecDeque::new(),
            }),
        }
    }

    /// The adaptive rate, if the vendor throttled.
    #[cfg(test)]
    fn adaptive_rate(&self) -> Option<f64> {
        self.lock().adaptive
    }

    /// An answer that was not a throttle: counted, and the adaptive rate rises by
    /// [`INCREASE_PER_SEC`] for each whole second since it last moved.
    pub(super) fn on_success(&self) {
        let now = Instant::now();
        let mut st = self.lock();
        st.successes.push_back(now);
        while st
            .successes
            .front()
            .is_some_and(|t| now.duration_since(*t) > Duration::from_secs(1))
        {
            st.successes.pop_front();
        }
        if let Some(rate) = st.adaptive {
            let secs = now.duration_since(st.adjusted).as_secs();
            if secs > 0 {
                st.adaptive = Some(rate + INCREASE_PER_SEC * secs as f64);
                st.adjusted += Duration::from_secs(secs);
            }
        }
    }

    /// A 429 (or 503): every task waits `retry_after`, and the rate drops to 90% of the last
    /// second's successful answers (half the current rate when none succeeded).
    pub(super) fn on_throttle(&self, retry_after: Duration) {
        let now = Instant::now();
        let until = now + retry_after;
        let mut st = self.lock();
        if st.paused_until.is_none_or(|u| u < until) {
            st.paused_until = Some(until);
        }
        // Several answers of one burst come back throttled together: drop once per burst.
        if st.adaptive.is_some() && now.duration_since(st.adjusted) < Duration::from_millis(500) {
            return;
        }
        let served = st
            .successes
            .iter()
            .filter(|t| now.duration_since(**t) <= Duration::from_secs(1))
            .count() as f64;
        let rate = if served >= 1.0 {
            served * DECREASE_TO
        } else {
            st.adaptive.map_or(1.0, |r| r / 2.0)
        };
        st.adaptive = Some(rate.max(1.0));
        st.adjusted = until;
        tracing::debug!(
            rate = rate.max(1.0),
            "throttled by the vendor; pacing requests"
        );
    }

    /// Waits until this task may send one request.
    pub(super) async fn acquire(&self) {
        loop {
            let now = Instant::now();
            let wait = {
                let mut st = self.lock();
                match st.paused_until {
                    Some(until) if until > now => Wait::Paused(until - now),
                    _ => {
                        st.paused_until = None;
                        let Some(rate) = st.rate(self.ceiling) else {
                            return;
                        };
                        let interval = Duration::from_secs_f64(1.0 / rate);
                        let burst = rate.clamp(1.0, 1000.0).floor() as u32;
                        let burst_allowance = interval * (burst - 1);
                        let base = st.next.max(now);
                        st.next = base + interval;
                        // The slot this request takes on the steady schedule, minus the burst.
                        let slot = base
                            .checked_sub(burst_allowance)
                            .map_or(now, |s| s.max(now));
                        if slot <= now {
                            return;
                        }
                        Wait::Slot(slot - now)
                    }
                }
            };
            match wait {
                Wait::Paused(d) => tokio::time::sleep(d).await,
                Wait::Slot(d) => {
                    tokio::time::sleep(d).await;
                    // A 429 may have paused everyone while this task slept on its slot.
                    if self.lock().paused_until.is_none_or(|u| u <= Instant::now()) {
                        return;
                    }
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: it is two instants.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn unlimited_until_throttled_then_additive_increase_after_a_multiplicative_drop() {
        let rl = RateLimiter::new(0.0);
        let t0 = Instant::now();
        for _ in 0..500 {
            rl.acquire().await;
            rl.on_success();
        }
        assert_eq!(t0.elapsed(), Duration::ZERO, "no limit by default");
        // 100 answers succeeded in the last second, then a 429 with Retry-After: 1.
        tokio::time::advance(Duration::from_secs(2)).await;
        for _ in 0..100 {
            rl.on_success();
        }
        rl.on_throttle(Duration::from_secs(1));
        rl.on_throttle(Duration::from_secs(1)); // the same burst: one drop
        assert_eq!(rl.adaptive_rate(), Some(90.0));
        let t1 = Instant::now();
        rl.acquire().await;
        assert_eq!(
            t1.elapsed(),
            Duration::from_secs(1),
            "every task honours Retry-After"
        );
        // Three clean seconds later the rate has risen by 3 × INCREASE_PER_SEC.
        tokio::time::advance(Duration::from_secs(3)).await;
        rl.on_success();
        assert_eq!(rl.adaptive_rate(), Some(90.0 + 3.0 * INCREASE_PER_SEC));
        // The ceiling still caps it.
        let capped = RateLimiter::new(5.0);
        for _ in 0..100 {
            capped.on_success();
        }
        capped.on_throttle(Duration::ZERO);
        let t2 = Instant::now();
        for _ in 0..15 {
            capped.acquire().await;
        }
        assert_eq!(
            t2.elapsed(),
            Duration::from_secs(2),
            "5 at once, then 10 at 5/s"
        );
    }

    // tokio's paused clock: time moves only when every task waits, so the figures are exact.
    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let rl = RateLimiter::new(50.0);
        let t0 = Instant::now();
        for _ in 0..50 {
            rl.acquire().await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO, "a burst of 50 does not wait");
        for _ in 0..10 {
            rl.acquire().await;
        }
        assert_eq!(
            t0.elapsed(),
            Duration::from_millis(200),
            "10 more at 50/s take 0.2 s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn pause_holds_everyone_and_zero_disables() {
        let rl = RateLimiter::new(0.0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            rl.acquire().await;
        }
        assert_eq!(t0.elapsed(), Duration::ZERO);
        rl.on_throttle(Duration::from_millis(300));
        rl.acquire().await;
        assert_eq!(t0.elapsed(), Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_during_a_slot_wait_holds_the_waiter_too() {
        let rl = std::sync::Arc::new(RateLimiter::new(1.0));
        let t0 = Instant::now();
        rl.acquire().await; // the burst of one
        let waiter = tokio::spawn({
            let rl = rl.clone();
            async move {
                rl.acquire().await; // due at 1 s
                Instant::now()
            }
        });
        tokio::time::advance(Duration::from_millis(500)).await;
        rl.on_throttle(Duration::from_secs(2)); // until 2.5 s
        let done = waiter.await.unwrap();
        assert_eq!(done - t0, Duration::from_millis(2500));
    }
}
