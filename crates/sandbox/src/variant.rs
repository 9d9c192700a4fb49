//! How the simulated vendor behaves where the real one's behaviour is unknown (vendor-api
//! sections 8 and 9): how long it takes to store an order, how long before the order shows in
//! the order list and its effect on the PBX, whether it echoes `poNumber`, the unit of its
//! times, and whether it honours `sort`. A client must never buy twice whichever way these
//! fall, so the tests play every combination.

use std::time::Duration;

use serde_json::{Map, Value, json};

/// One way the vendor may behave. The default is the obliging vendor: immediate, echoing,
/// milliseconds, sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// An order is stored this long after it arrives, whether or not the client still waits
    /// for the answer.
    pub commit_delay: Duration,
    /// A stored order shows in the order list (L6) and order detail (L7) only this long after
    /// its `createTime`.
    pub list_lag_ms: i64,
    /// A succeeded order's effect shows on the PBX only this long after its `createTime`.
    pub effect_lag_ms: i64,
    /// `poNumber` comes back as `customReferenceNo`.
    pub echo_reference: bool,
    /// `createTime` is in epoch seconds, not milliseconds.
    pub times_in_seconds: bool,
    /// The order list comes oldest first, whatever `sort` says.
    pub ignore_sort: bool,
    /// Pages hold at most this many items, whatever `pageSize` asks (0: the contract's 100).
    pub page_cap: u64,
    /// The catalog (L4) has only the confirmed fields: no `kind`, `tier`, `requiresPlanIds` or
    /// `billingCycles`.
    pub minimal_catalog: bool,
    /// Requests per second answered; beyond, 429 with `Retry-After` (0: no limit).
    pub rate_limit: u32,
}

impl Default for Variant {
    fn default() -> Variant {
        Variant {
            commit_delay: Duration::ZERO,
            list_lag_ms: 0,
            effect_lag_ms: 0,
            echo_reference: true,
            times_in_seconds: false,
            ignore_sort: false,
            page_cap: 0,
            minimal_catalog: false,
            rate_limit: 0,
        }
    }
}

/// The admin switches' names, for messages.
pub(super) const SWITCHES: &str = "commitDelayMs, listLagMs, effectLagMs, echoReference, timesInSeconds, ignoreSort, pageCap, minimalCatalog, documentedOnly, rateLimit";

impl Variant {
    /// The vendor as documented and no more (vendor-api section 8): a catalog of confirmed
    /// fields only, 50-item pages, `sort` ignored, no `poNumber` echo, times in seconds.
    pub fn documented_only() -> Variant {
        Variant {
            echo_reference: false,
            times_in_seconds: true,
            ignore_sort: true,
            page_cap: 50,
            minimal_catalog: true,
            ..Variant::default()
        }
    }

    /// A time as this vendor writes it.
    pub(super) fn wire_time(&self, ms: i64) -> i64 {
        if self.times_in_seconds {
            ms.div_euclid(1000)
        } else {
            ms
        }
    }

    /// Is an order created at `created_ms` listed at `now_ms`? Without a lag, always (order
    /// times are kept a second apart, so one may be a little ahead of the clock).
    pub(super) fn listed(&self, created_ms: i64, now_ms: i64) -> bool {
        self.list_lag_ms == 0 || created_ms.saturating_add(self.list_lag_ms) <= now_ms
    }

    pub(super) fn to_json(self) -> Value {
        json!({
            "commitDelayMs": self.commit_delay.as_millis() as u64,
            "listLagMs": self.list_lag_ms,
            "effectLagMs": self.effect_lag_ms,
            "echoReference": self.echo_reference,
            "timesInSeconds": self.times_in_seconds,
            "ignoreSort": self.ignore_sort,
            "pageCap": self.page_cap,
            "minimalCatalog": self.minimal_catalog,
            "rateLimit": self.rate_limit,
        })
    }

    /// Applies the variant keys of an admin patch, removing them from it; other keys are left
    /// for the fault switches. Nothing changes unless every variant key is valid.
    pub(super) fn patch(&self, patch: &mut Map<String, Value>) -> Result<Variant, String> {
        let mut v = *self;
        if let Some(value) = patch.remove("documentedOnly") {
            match value.as_bool() {
                Some(true) => v = Variant::documented_only(),
                Some(false) => v = Variant::default(),
                None => return Err("documentedOnly must be true or false".to_owned()),
            }
        }
        for key in [
            "commitDelayMs",
            "listLagMs",
            "effectLagMs",
            "echoReference",
            "timesInSeconds",
            "ignoreSort",
            "pageCap",
            "minimalCatalog",
            "rateLimit",
        ] {
            let Some(value) = patch.remove(key) else {
                continue;
            };
            let ms = || {
                value
                    .as_u64()
                    .and_then(|n| i64::try_from(n).ok())
                    .ok_or_else(|| format!("{key} must be a whole number of milliseconds"))
            };
            let flag = || {
                value
                    .as_bool()
                    .ok_or_else(|| format!("{key} must be true or false"))
            };
            match key {
                "commitDelayMs" => v.commit_delay = Duration::from_millis(ms()?.unsigned_abs()),
                "listLagMs" => v.list_lag_ms = ms()?,
                "effectLagMs" => v.effect_lag_ms = ms()?,
                "echoReference" => v.echo_reference = flag()?,
                "timesInSeconds" => v.times_in_seconds = flag()?,
                "ignoreSort" => v.ignore_sort = flag()?,
                "pageCap" => v.page_cap = ms()?.unsigned_abs(),
                "rateLimit" => v.rate_limit = u32::try_from(ms()?).unwrap_or(u32::MAX),
                _ => v.minimal_catalog = flag()?,
            }
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_only_its_own_keys_and_refuses_bad_values() {
        let mut patch: Map<String, Value> =
            serde_json::from_str(r#"{"listLagMs": 5000, "echoReference": false, "failRate": 0.5}"#)
                .unwrap();
        let v = Variant::default().patch(&mut patch).unwrap();
        assert_eq!(v.list_lag_ms, 5000);
        assert!(!v.echo_reference);
        assert_eq!(patch.keys().collect::<Vec<_>>(), ["failRate"]);
        let mut bad: Map<String, Value> = serde_json::from_str(r#"{"listLagMs": -1}"#).unwrap();
        assert!(Variant::default().patch(&mut bad).is_err());
        assert!(Variant::default().listed(10_000, 0));
        assert!(!v.listed(10_000, 14_999));
        assert!(v.listed(10_000, 15_000));
        let s = Variant {
            times_in_seconds: true,
            ..Variant::default()
        };
        assert_eq!(s.wire_time(1_795_338_000_999), 1_795_338_000);
    }
}
