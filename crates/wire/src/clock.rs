//! "Now", as an input. Every reading of the wall clock — the sandbox's business date and order
//! timestamps, the pending-orders window, the journal's times, a plan's date — comes from one
//! [`Clock`] handed down from the command line (`--now`, `--today`) or from a test, never from
//! the system clock directly. So a test, a demo or a reproducible plan can say what time it is,
//! and the in-process sandbox and the client read the same time.
//!
//! Durations (timeouts, backoff, token lifetimes, rate limits) are not wall-clock readings: they
//! use tokio's clock, which tests pause and advance.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::date::Date;

const DAY_MS: i64 = 86_400_000;

/// A wall clock: the system's, shifted, or stopped. Cheap to copy; every copy reads the same
/// time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock(Kind);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The system clock plus a fixed offset (zero for the real time). It runs at real speed, so
    /// two processes given the same start agree on the order of events.
    Shifted { offset_ms: i64 },
    /// Always the same instant (unit tests).
    Stopped { at_ms: i64 },
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Clock {
    /// The real time.
    pub fn system() -> Clock {
        Clock(Kind::Shifted { offset_ms: 0 })
    }

    /// A clock that reads `at_ms` (epoch milliseconds) now and runs forward at real speed.
    pub fn starting_at(at_ms: i64) -> Clock {
        Clock(Kind::Shifted {
            offset_ms: at_ms - system_ms(),
        })
    }

    /// A clock on `date` at the real time of day, running forward: the system clock moved by a
    /// whole number of days. Two processes started with the same date agree on the order of
    /// events (unless one of them starts after midnight UTC and the other before).
    pub fn on(date: Date) -> Clock {
        let real = Date::from_epoch_ms(system_ms());
        Clock(Kind::Shifted {
            offset_ms: real.days_until(date) * DAY_MS,
        })
    }

    /// A clock that always reads `at_ms`.
    pub fn stopped(at_ms: i64) -> Clock {
        Clock(Kind::Stopped { at_ms })
    }

    /// Epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        match self.0 {
            Kind::Shifted { offset_ms } => system_ms().saturating_add(offset_ms),
            Kind::Stopped { at_ms } => at_ms,
        }
    }

    /// Today's date, UTC.
    pub fn today(&self) -> Date {
        Date::from_epoch_ms(self.now_ms())
    }

    /// The system clock moved by `offset_ms`: the vendor's clock, once its offset from this
    /// machine's is measured (see `Client::vendor_clock`).
    pub fn shifted(offset_ms: i64) -> Clock {
        Clock(Kind::Shifted { offset_ms })
    }

    /// Whether this is the real time (not moved by `--now` or a test).
    pub fn is_system(&self) -> bool {
        matches!(self.0, Kind::Shifted { offset_ms: 0 })
    }
}

/// Why a `--now` or `--today` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is neither a date nor a UTC time; write 2026-11-22 or 2026-11-22T09:00:00Z (or with milliseconds, .250Z)"
)]
pub struct NowError(pub String);

/// A point in time given on the command line: a date (that day, at the real time of day) or an
/// RFC 3339 UTC time (`2026-11-22T09:00:00Z`, `.250Z`). The clock it makes runs forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Now {
    Date(Date),
    Instant(i64),
}

impl Now {
    pub fn clock(self) -> Clock {
        match self {
            Now::Date(d) => Clock::on(d),
            Now::Instant(ms) => Clock::starting_at(ms),
        }
    }
}

impl FromStr for Now {
    type Err = NowError;
    fn from_str(s: &str) -> Result<Now, NowError> {
        let err = || NowError(s.to_owned());
        if s.len() == 10 {
            return s.parse().map(Now::Date).map_err(|_| err());
        }
        parse_instant(s).map(Now::Instant).ok_or_else(err)
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` → epoch milliseconds.
fn parse_instant(s: &str) -> Option<i64> {
    let (date, time) = s.split_once(['T', 't'])?;
    let date: Date = date.parse().ok()?;
    let time = time.strip_suffix(['Z', 'z'])?;
    let (hms, frac) = match time.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (time, None),
    };
    let b = hms.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let part = |r: std::ops::Range<usize>| -> Option<i64> {
        let p = &hms[r];
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())
            .flatten()
    };
    let (h, m, sec) = (part(0..2)?, part(3..5)?, part(6..8)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let ms = match frac {
        None => 0,
        Some(f) if (1..=3).contains(&f.len()) && f.bytes().all(|c| c.is_ascii_digit()) => {
            format!("{f:0<3}").parse::<i64>().ok()?
        }
        Some(_) => return None,
    };
    Some(date.to_days() * DAY_MS + ((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// The system clock now, epoch milliseconds: only to measure another clock's offset from it.
pub fn system_now_ms() -> i64 {
    system_ms()
}

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Epoch milliseconds as an HTTP date (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`),
/// the `Date` header a server sends.
pub fn http_date(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    let d = Date::from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        d.day(),
        MONTHS[usize::from(d.month().saturating_sub(1)).min(11)],
        d.year(),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// An HTTP `Date` header (IMF-fixdate) as epoch milliseconds; `None` for any other form.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let (_, rest) = s.split_once(", ")?;
    let parts: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? as u8 + 1;
    // A vendor's header is an input: a year no clock shows is not a time.
    let year: i32 = year.parse().ok().filter(|y| (1970..=9999).contains(y))?;
    let date = Date::new(year, month, day.parse().ok()?)?;
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    if *h > 23 || *m > 59 || *sec > 60 {
        return None;
    }
    Some(date.to_days() * DAY_MS + ((h * 60 + m) * 60 + sec) * 1000)
}

/// Epoch milliseconds as `YYYY-MM-DDTHH:MM:SS.fffZ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub i64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.0.div_euclid(DAY_MS);
        let ms = self.0.rem_euclid(DAY_MS);
        let (h, m, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(
            f,
            "{}T{h:02}:{m:02}:{s:02}.{milli:03}Z",
            Date::from_days(day)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        // RFC 9110's own example.
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000)
        );
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        let t = 1_795_338_000_000;
        assert_eq!(http_date(t), "Sun, 22 Nov 2026 09:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(t + 999)), Some(t));
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 25:00:00 GMT",
            "Sun, 06 Nov 2147483647 08:49:37 GMT",
            "Sun, 06 Nov -2000 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_date_moves_the_day_and_keeps_running() {
        let c = Clock::on(date("2026-11-22"));
        assert_eq!(c.today(), date("2026-11-22"));
        assert_eq!(Clock::on(date("2031-02-28")).today(), date("2031-02-28"));
        let (a, b) = (c.now_ms(), c.now_ms());
        assert!(a <= b);
        // Whole days: the time of day is the real one.
        let Clock(Kind::Shifted { offset_ms }) = c else {
            panic!("a date makes a running clock")
        };
        assert_eq!(offset_ms.rem_euclid(DAY_MS), 0);
    }

    #[test]
    fn a_start_instant_is_read_back() {
        let at = 1_795_338_000_000; // 2026-11-22T09:00:00Z
        let c = Clock::starting_at(at);
        assert!((c.now_ms() - at).abs() < 60_000);
        assert_eq!(c.today(), date("2026-11-22"));
        assert_eq!(Clock::stopped(at).now_ms(), at);
        assert!(Clock::system().is_system());
        assert!(!c.is_system());
    }

    #[test]
    fn now_arguments() {
        assert_eq!(
            "2026-11-22".parse::<Now>().unwrap(),
            Now::Date(date("2026-11-22"))
        );
        assert_eq!(
            "2026-11-22T09:00:00Z".parse::<Now>().unwrap(),
            Now::Instant(1_795_338_000_000)
        );
        assert_eq!(
            "2026-11-22T09:00:00.25Z".parse::<Now>().unwrap(),
            Now::Instant(1_795_338_000_250)
        );
        for bad in [
            "2026-11-22T09:00:00",
            "2026-11-22T24:00:00Z",
            "2026-11-22T09:00Z",
            "2026-11-22T09:00:00.1234Z",
            "2026-02-30",
            "tomorrow",
            "",
        ] {
            assert!(bad.parse::<Now>().is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_print_as_rfc3339_and_parse_back() {
        for ms in [0, 1_795_338_000_250, 1_739_250_000_000, 4_102_444_799_999] {
            let s = Timestamp(ms).to_string();
            assert_eq!(s.parse::<Now>().unwrap(), Now::Instant(ms), "{s}");
        }
        assert_eq!(
            Timestamp(1_795_338_000_250).to_string(),
            "2026-11-22T09:00:00.250Z"
        );
    }
}
