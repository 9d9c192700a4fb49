//! The sandbox's own words for billing cycles and service kinds, spelled from the contract
//! (vendor-api section 3) rather than borrowed from the client's `model`: a misspelling on one
//! side then fails a client-against-sandbox test instead of hiding on both.

use serde::{Deserialize, Serialize};

/// A billing cycle, as `billingCycle` spells it on the wire and in the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingCycle {
    #[serde(rename = "monthly")]
    Monthly,
    #[serde(rename = "annually")]
    Annually,
}

const CYCLES: [(BillingCycle, &str); 2] = [
    (BillingCycle::Monthly, "monthly"),
    (BillingCycle::Annually, "annually"),
];

impl BillingCycle {
    pub fn as_str(self) -> &'static str {
        CYCLES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, s)| s)
    }

    pub fn parse(s: &str) -> Option<BillingCycle> {
        CYCLES.iter().find(|(_, name)| *name == s).map(|(c, _)| *c)
    }
}

impl std::fmt::Display for BillingCycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a catalog service does when bought, as the catalog's `kind` spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceKind {
    #[serde(rename = "feature")]
    Feature,
    #[serde(rename = "extensions")]
    Extensions,
    #[serde(rename = "concurrent_calls")]
    ConcurrentCalls,
    #[serde(rename = "recording_minutes")]
    RecordingMinutes,
    #[serde(rename = "per_extension")]
    PerExtension,
}

impl ServiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Feature => "feature",
            ServiceKind::Extensions => "extensions",
            ServiceKind::ConcurrentCalls => "concurrent_calls",
            ServiceKind::RecordingMinutes => "recording_minutes",
            ServiceKind::PerExtension => "per_extension",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelled_as_the_contract_spells_them() {
        for (c, s) in CYCLES {
            assert_eq!(BillingCycle::parse(s), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), s);
        }
        assert_eq!(BillingCycle::parse("yearly"), None);
        assert_eq!(
            serde_json::to_value(ServiceKind::PerExtension).unwrap(),
            ServiceKind::PerExtension.as_str()
        );
    }
}
