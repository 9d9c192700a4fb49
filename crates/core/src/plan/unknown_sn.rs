//! An SN the account does not have under the product (the vendor answered 404 `not_found` for
//! its detail): an error of that manifest entry alone, with the SN that was likely meant when
//! the account has one close to it — the same SN in other letter case (the vendor compares SNs
//! exactly), or one character away (one substitution, insertion, deletion or transposition).

use crate::manifest::{Code, DesiredPbx};

use super::error::PlanError;

/// At most this many SNs are named in one hint.
const MAX_NAMED: usize = 3;

/// What the account has close to an unknown SN.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Near<'a> {
    /// The same SN in other letter case.
    Case(Vec<&'a str>),
    /// SNs one character away (letter case aside), sorted.
    OneOff(Vec<&'a str>),
    Nothing,
}

/// The account's SNs close to `sn`: the same in other letter case first, else one edit away.
pub(super) fn near<'a>(sn: &str, listed: &'a [String]) -> Near<'a> {
    let wanted = sn.to_ascii_uppercase();
    let mut case = Vec::new();
    let mut one_off = Vec::new();
    for c in listed {
        // Listed as written, yet its detail was not found: nothing to suggest.
        if c == sn {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        if upper == wanted {
            case.push(c.as_str());
        } else if upper.len().abs_diff(wanted.len()) <= 1
            && strsim::osa_distance(&upper, &wanted) == 1
        {
            one_off.push(c.as_str());
        }
    }
    for v in [&mut case, &mut one_off] {
        v.sort_unstable();
        v.dedup();
    }
    if !case.is_empty() {
        Near::Case(case)
    } else if !one_off.is_empty() {
        Near::OneOff(one_off)
    } else {
        Near::Nothing
    }
}

/// `A`, `` `A` or `B` ``, `` `A`, `B` or `C` ``, `` `A`, `B`, `C` or 2 more ``.
fn named(sns: &[&str]) -> String {
    let shown: Vec<String> = sns
        .iter()
        .take(MAX_NAMED)
        .map(|s| format!("`{s}`"))
        .collect();
    let more = sns.len() - shown.len();
    if more > 0 {
        return format!("{} or {more} more", shown.join(", "));
    }
    match shown.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The error of entry `d`, whose SN the account does not have under its product. `listed`:
/// the SNs the account has under that product, when they could be read.
pub(super) fn error(d: &DesiredPbx, listed: Option<&[String]>) -> PlanError {
    let product = d.product.value;
    // As `--product` takes it: the alias, or the number of a product without one.
    let product = product
        .alias()
        .map_or_else(|| product.0.to_string(), str::to_owned);
    let help = match listed.map_or(Near::Nothing, |l| near(&d.sn, l)) {
        Near::Case(sns) => format!(
            "SNs are case-sensitive: the account has {} under this product; write the SN as the account does",
            named(&sns)
        ),
        Near::OneOff(sns) if sns.len() == 1 => format!(
            "did you mean {}? the account has it under this product, one character away",
            named(&sns)
        ),
        Near::OneOff(sns) => format!(
            "did you mean {}? the account has these under this product, each one character away",
            named(&sns)
        ),
        Near::Nothing => format!(
            "check the SN and `product`; `entitle export --product {product}` lists the PBXs the account has under this product"
        ),
    };
    PlanError::new(
        Code::UnknownSn,
        d,
        &d.at,
        None,
        "SN not found in the account under this product".into(),
        Some(help),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(sns: &[&str]) -> Vec<String> {
        sns.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn another_letter_case_is_found_before_a_one_character_miss() {
        let l = list(&["3651D3296882", "3651d3296883", "3651D3296881"]);
        assert_eq!(near("3651d3296882", &l), Near::Case(vec!["3651D3296882"]));
    }

    #[test]
    fn one_substitution_insertion_deletion_or_transposition_is_near() {
        let l = list(&["3651D3296882", "OTHER0000001"]);
        for typo in [
            "3651D3296883",  // substitution
            "3651D32968822", // insertion
            "3651D329682",   // deletion
            "3651D3296828",  // transposition
            "3651d3296883",  // and letter case aside
        ] {
            assert_eq!(near(typo, &l), Near::OneOff(vec!["3651D3296882"]), "{typo}");
        }
        for far in [
            "3651D3296", /* three deleted */
            "3651D3292688",
            "NOSUCH0000001",
        ] {
            assert_eq!(near(far, &l), Near::Nothing, "{far}");
        }
    }

    #[test]
    fn every_sn_one_character_away_is_named_sorted_and_once() {
        let l = list(&["AB12", "AB13", "AB10", "AB13", "ZZ99"]);
        assert_eq!(near("AB11", &l), Near::OneOff(vec!["AB10", "AB12", "AB13"]));
        assert_eq!(named(&["A"]), "`A`");
        assert_eq!(named(&["A", "B"]), "`A` or `B`");
        assert_eq!(named(&["A", "B", "C"]), "`A`, `B` or `C`");
        assert_eq!(named(&["A", "B", "C", "D", "E"]), "`A`, `B`, `C` or 2 more");
    }

    #[test]
    fn an_sn_listed_as_written_suggests_nothing() {
        assert_eq!(near("AB12", &list(&["AB12"])), Near::Nothing);
        assert_eq!(near("AB12", &[]), Near::Nothing);
    }
}
