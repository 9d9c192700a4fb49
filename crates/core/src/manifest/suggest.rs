//! "Did you mean ...?": the closest candidate to a misspelt key, product, plan or service name.

/// Normalises for comparison: lowercase, and `-`, `_`, spaces and dots dropped, so that
/// `billing_contact` meets `billingContact` and `cloudpbx` meets `cloud-pbx`.
fn norm(s: &str) -> Vec<char> {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn distance(a: &[char], b: &[char]) -> usize {
    let (a, b): (String, String) = (a.iter().collect(), b.iter().collect());
    strsim::osa_distance(&a, &b)
}

/// The candidate closest to `wanted`, or `None` when nothing is close enough to be a likely
/// meaning. Comparison ignores case and `-`/`_`/space/dot; ranked, best first: the same word
/// written differently, a small edit distance (at most a third of the word, at least 1, so
/// `extentions` finds `extensions`), a prefix (`Ultimate` finds `Ultimate Plan`), then a part
/// (`PMS` finds `Hotel PMS Integration`). Ties go to the earlier candidate.
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = norm(wanted);
    if w.is_empty() {
        return None;
    }
    let limit = (w.len() / 3).max(1);
    let mut best: Option<((u8, usize), &'a str)> = None;
    for c in candidates {
        let cn = norm(c);
        if cn.is_empty() {
            continue;
        }
        let rank = if cn == w {
            Some((0, 0))
        } else {
            let d = distance(&w, &cn);
            let shorter = w.len().min(cn.len());
            if d <= limit && d < shorter {
                Some((1, d))
            } else if w.len() >= 3 && cn.starts_with(&w) {
                Some((2, cn.len() - w.len()))
            } else if w.len() >= 3 && contains(&cn, &w) {
                Some((3, cn.len() - w.len()))
            } else if cn.len() >= 4 && contains(&w, &cn) {
                // `Enterprise Plan Monthly` finds `Enterprise Plan`.
                Some((3, w.len() - cn.len()))
            } else {
                None
            }
        };
        if let Some(r) = rank
            && best.is_none_or(|(b, _)| r < b)
        {
            best = Some((r, c));
        }
    }
    best.map(|(_, c)| c)
}

fn contains(hay: &[char], needle: &[char]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [&str; 12] = [
        "sn",
        "product",
        "productId",
        "plan",
        "planId",
        "billingCycle",
        "term",
        "extensions",
        "concurrentCalls",
        "services",
        "autoRenew",
        "renew",
    ];

    #[test]
    fn misspelt_keys_find_their_field() {
        assert_eq!(suggest("extentions", KEYS), Some("extensions"));
        assert_eq!(suggest("extension", KEYS), Some("extensions"));
        assert_eq!(suggest("billing_cycle", KEYS), Some("billingCycle"));
        assert_eq!(suggest("BillingCycle", KEYS), Some("billingCycle"));
        assert_eq!(suggest("concurentCalls", KEYS), Some("concurrentCalls"));
        assert_eq!(suggest("trem", KEYS), Some("term"));
        assert_eq!(suggest("servcies", KEYS), Some("services"));
        assert_eq!(suggest("auto_renew", KEYS), Some("autoRenew"));
        assert_eq!(suggest("plan_id", KEYS), Some("planId"));
        assert_eq!(suggest("prodcut", KEYS), Some("product"));
    }

    #[test]
    fn unrelated_words_get_no_suggestion() {
        assert_eq!(suggest("colour", KEYS), None);
        assert_eq!(suggest("x", KEYS), None);
        assert_eq!(suggest("", KEYS), None);
        assert_eq!(suggest("zzzzzzzzzz", KEYS), None);
        assert_eq!(suggest("ab", ["sn"]), None);
    }

    #[test]
    fn catalog_names_match_by_prefix_part_and_typo() {
        let services = [
            "Hotel PMS Integration",
            "Extension Expansion",
            "High Availability",
            "Disaster Recovery",
        ];
        assert_eq!(
            suggest("hotel pms integraton", services),
            Some("Hotel PMS Integration")
        );
        assert_eq!(
            suggest("Hotel PMS", services),
            Some("Hotel PMS Integration")
        );
        assert_eq!(suggest("PMS", services), Some("Hotel PMS Integration"));
        assert_eq!(
            suggest("high-availability", services),
            Some("High Availability")
        );
        assert_eq!(suggest("Call Recording", services), None);
        let plans = ["Standard Plan", "Enterprise Plan", "Ultimate Plan"];
        assert_eq!(suggest("Ultimate", plans), Some("Ultimate Plan"));
        assert_eq!(suggest("Enterprize Plan", plans), Some("Enterprise Plan"));
        assert_eq!(
            suggest("Enterprise Plan Annual", plans),
            Some("Enterprise Plan")
        );
        assert_eq!(suggest("Premium Plan", plans), None);
    }

    #[test]
    fn product_aliases_match_without_dashes() {
        let products = ["linkus", "appliance", "software-edition", "cloud-pbx"];
        assert_eq!(suggest("cloudpbx", products), Some("cloud-pbx"));
        assert_eq!(suggest("Cloud PBX", products), Some("cloud-pbx"));
        assert_eq!(suggest("software", products), Some("software-edition"));
        assert_eq!(suggest("applaince", products), Some("appliance"));
        assert_eq!(suggest("pbx", products), Some("cloud-pbx"));
    }

    #[test]
    fn the_closest_of_several_wins() {
        assert_eq!(suggest("plan", ["planId", "plan"]), Some("plan"));
        assert_eq!(suggest("planid", ["plan", "planId"]), Some("planId"));
        assert_eq!(distance(&norm("ab"), &norm("ba")), 1);
        assert_eq!(distance(&norm("kitten"), &norm("sitting")), 3);
    }
}
