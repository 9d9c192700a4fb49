//! A length of time as people write it, on the command line (`--settle-period 10m`) and in a
//! manifest (`renewBefore: 30d`): a whole number and a unit. The one parser of durations;
//! `FromStr` makes it a clap value too.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The unit of a [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl Unit {
    fn letter(self) -> char {
        match self {
            Unit::Seconds => 's',
            Unit::Minutes => 'm',
            Unit::Hours => 'h',
            Unit::Days => 'd',
            Unit::Weeks => 'w',
        }
    }

    fn ms(self) -> u64 {
        match self {
            Unit::Seconds => 1_000,
            Unit::Minutes => 60_000,
            Unit::Hours => 3_600_000,
            Unit::Days => 86_400_000,
            Unit::Weeks => 7 * 86_400_000,
        }
    }
}

/// `90s`, `10m`, `1h`, `30d`, `4w`: digits, then one unit letter; nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub count: u32,
    pub unit: Unit,
}

/// Why a text is not a [`Span`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a duration: expected a whole number and a unit, s, m, h, d or w (e.g. 90s, 10m, 30d, 4w)"
)]
pub struct SpanError {
    pub text: String,
}

impl Span {
    /// Milliseconds.
    pub fn ms(self) -> i64 {
        i64::try_from(u64::from(self.count) * self.unit.ms()).unwrap_or(i64::MAX)
    }

    pub fn duration(self) -> Duration {
        Duration::from_millis(u64::from(self.count) * self.unit.ms())
    }

    /// Whole days, for a span written in days or weeks.
    pub fn days(self) -> Option<u32> {
        match self.unit {
            Unit::Days => Some(self.count),
            Unit::Weeks => self.count.checked_mul(7),
            _ => None,
        }
    }
}

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(s: &str) -> Result<Span, SpanError> {
        let bad = || SpanError { text: s.to_owned() };
        let unit = match s.as_bytes().last() {
            Some(b's') => Unit::Seconds,
            Some(b'm') => Unit::Minutes,
            Some(b'h') => Unit::Hours,
            Some(b'd') => Unit::Days,
            Some(b'w') => Unit::Weeks,
            _ => return Err(bad()),
        };
        let digits = &s[..s.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let count = digits.parse().map_err(|_| bad())?;
        Ok(Span { count, unit })
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.letter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_written_and_nothing_else() {
        let ms = |s: &str| s.parse::<Span>().map(Span::ms);
        assert_eq!(ms("90s"), Ok(90_000));
        assert_eq!(ms("10m"), Ok(600_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("0s"), Ok(0));
        assert_eq!("30d".parse::<Span>().unwrap().days(), Some(30));
        assert_eq!("4w".parse::<Span>().unwrap().days(), Some(28));
        assert_eq!("10m".parse::<Span>().unwrap().days(), None);
        for bad in [
            "10",
            "m",
            "-1m",
            "1.5h",
            "10 m",
            " 10m",
            "10M",
            "",
            "99999999999s",
        ] {
            assert!(bad.parse::<Span>().is_err(), "{bad}");
        }
        assert_eq!("4w".parse::<Span>().unwrap().to_string(), "4w");
        assert!(
            "x".parse::<Span>()
                .unwrap_err()
                .to_string()
                .contains("e.g. 90s, 10m, 30d, 4w")
        );
    }
}
