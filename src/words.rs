//! How numbers and terms are put into words, the same everywhere output says them.

use crate::model::Cycle;

/// `1 order`, `2 orders`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A billing term: `monthly`, or `annually, 1 year` (a multi-year term in years).
pub(crate) fn term(cycle: Cycle, years: u32) -> String {
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
    fn numbers_and_terms() {
        assert_eq!(plural(1, "PBX", "PBXs"), "1 PBX");
        assert_eq!(plural(0, "PBX", "PBXs"), "0 PBXs");
        assert_eq!(term(Cycle::Annually, 1), "annually, 1 year");
        assert_eq!(term(Cycle::Annually, 3), "annually, 3 years");
        assert_eq!(term(Cycle::Monthly, 0), "monthly");
    }
}
