//! Exact decimal amounts (the vendor sends `"1180.00"`): summed in integer cents, never floats.

use std::fmt;
use std::ops::AddAssign;

use crate::model::Price;

/// An amount in hundredths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cents(pub i128);

impl Cents {
    /// Parses `"1180"`, `"1180.5"`, `"1180.00"`; `None` for anything else (more than two
    /// decimals included, rather than rounding money silently).
    pub fn parse(s: &str) -> Option<Cents> {
        let s = s.trim();
        let (neg, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        // `1180.0000` is cents written long; `1.234` is not a sum of cents, and is refused.
        let frac = match frac.get(2..) {
            Some(rest) if rest.bytes().all(|b| b == b'0') => &frac[..2],
            _ => frac,
        };
        if int.is_empty()
            || frac.len() > 2
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole: i128 = int.parse().ok()?;
        let mut f: i128 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        if frac.len() == 1 {
            f *= 10;
        }
        let v = whole.checked_mul(100)?.checked_add(f)?;
        Some(Cents(if neg { -v } else { v }))
    }
}

/// Sums prices per currency, in currency order (`USD` and `EUR` are never added together),
/// and counts the prices left out because their amount is not a number of cents.
pub fn sum<'a>(prices: impl IntoIterator<Item = &'a Price>) -> (Vec<Price>, usize) {
    let mut totals: std::collections::BTreeMap<&str, Cents> = Default::default();
    let mut left_out = 0;
    for p in prices {
        match Cents::parse(&p.total) {
            Some(c) => *totals.entry(&p.currency).or_default() += c,
            None => left_out += 1,
        }
    }
    let totals = totals
        .into_iter()
        .map(|(currency, c)| Price {
            currency: currency.to_owned(),
            total: c.to_string(),
        })
        .collect();
    (totals, left_out)
}

/// `USD 1,180.00`: grouped for reading (a plan's JSON keeps the vendor's string).
pub fn grouped(p: &Price) -> String {
    let Some(c) = Cents::parse(&p.total) else {
        return format!("{} {}", p.currency, p.total);
    };
    let s = c.to_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
    let mut out = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{} {sign}{out}.{frac}", p.currency)
}

impl AddAssign for Cents {
    fn add_assign(&mut self, rhs: Cents) {
        self.0 += rhs.0;
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_sums_exactly() {
        let mut t = Cents::default();
        for s in ["1180.00", "0.1", "99", "0.05"] {
            t += Cents::parse(s).unwrap();
        }
        assert_eq!(t.to_string(), "1279.15");
        let usd = |t: &str| Price {
            currency: "USD".into(),
            total: t.into(),
        };
        let (totals, left_out) = sum(&[usd("1.50"), usd("2.5000"), usd("n/a")]);
        assert_eq!(totals, vec![usd("4.00")]);
        assert_eq!(left_out, 1);
        assert_eq!(Cents::parse("-3.5").unwrap().to_string(), "-3.50");
        assert_eq!(Cents::parse("1180.0000").unwrap().to_string(), "1180.00");
        for bad in ["", "1.234", "1.2301", "1e3", "abc", ".5x", "1.2.3"] {
            assert!(Cents::parse(bad).is_none(), "{bad}");
        }
    }
}
