//! The client-side rate limit shared by every task of one client: a token bucket of one
//! second's worth of requests (reservation style, so waiting tasks are served in arrival order
//! at the configured rate), and a pause that every task honours after a 429's `Retry-After`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    /// Time between two requests at the steady rate; `None` = unlimited.
    interval: Option<Duration>,
    /// How far ahead of the steady schedule a burst may run.
    burst_allowance: Duration,
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
}

impl RateLimiter {
    /// `rate_per_sec` of 0 or infinity disables the limit.
    pub(crate) fn new(rate_per_sec: f64) -> RateLimiter {
        let interval = (rate_per_sec > 0.0 && rate_per_sec.is_finite())
            .then(|| Duration::from_secs_f64(1.0 / rate_per_sec));
        let burst = rate_per_sec.clamp(1.0, 1000.0).floor() as u32;
        let burst_allowance = interval.map_or(Duration::ZERO, |i| i * (burst - 1));
        RateLimiter {
            interval,
            burst_allowance,
            state: Mutex::new(State {
                next: Instant::now(),
                paused_until: None,
            }),
        }
    }

    /// Waits until this task may send one request.
    pub(crate) async fn acquire(&self) {
        loop {
            let now = Instant::now();
            let wait = {
                let mut st = self.lock();
                match st.paused_until {
                    Some(until) if until > now => Wait::Paused(until - now),
                    _ => {
                        st.paused_until = None;
                        let Some(interval) = self.interval else {
                            return;
                        };
                        let base = st.next.max(now);
                        st.next = base + interval;
                        // The slot this request takes on the steady schedule, minus the burst.
                        let slot = base
                            .checked_sub(self.burst_allowance)
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

    /// Holds every task back for `d` (the server's `Retry-After`).
    pub(crate) fn pause(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut st = self.lock();
        if st.paused_until.is_none_or(|u| u < until) {
            st.paused_until = Some(until);
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
        rl.pause(Duration::from_millis(300));
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
        rl.pause(Duration::from_secs(2)); // until 2.5 s
        let done = waiter.await.unwrap();
        assert_eq!(done - t0, Duration::from_millis(2500));
    }
}
