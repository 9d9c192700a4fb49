//! How numbers and terms are put into words, the same everywhere output says them.

use crate::model::Cycle;

/// `A`, `A and B`, `A, B and C`.
pub fn and_list<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// `1 order`, `2 orders`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A billing term: `monthly`, or `annually, 1 year` (a multi-year term in years).
/// A span of milliseconds in words: `11m 0s`, `1d 0h 0m`, `45s`.
pub fn span(ms: u64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h {m}m")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
}

pub fn term(cycle: Cycle, years: u32) -> String {
    match cycle {
        Cycle::Monthly => "monthly".into(),
        Cycle::Annually => format!(
            "annually, {}",
            plural(years.max(1) as usize, "year", "years")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans() {
        assert_eq!(span(660_000), "11m 0s");
        assert_eq!(span(86_400_000), "1d 0h 0m");
        assert_eq!(span(45_999), "45s");
        assert_eq!(span(3_700_000), "1h 1m");
    }

    #[test]
    fn numbers_and_terms() {
        assert_eq!(plural(1, "PBX", "PBXs"), "1 PBX");
        assert_eq!(plural(0, "PBX", "PBXs"), "0 PBXs");
        assert_eq!(term(Cycle::Annually, 1), "annually, 1 year");
        assert_eq!(term(Cycle::Annually, 3), "annually, 3 years");
        assert_eq!(term(Cycle::Monthly, 0), "monthly");
    }
}
