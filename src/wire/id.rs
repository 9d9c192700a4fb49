//! Exact 64-bit identifiers. The vendor's 19-digit IDs exceed 2^53, so they are read from a
//! JSON number or a numeric string into a `u64` and never through a float.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserializer, Serialize, Serializer};

/// A vendor identifier (plan, service, billing contact, order). Serialized as a JSON number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for Id {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with('+') {
            // u64::from_str accepts a leading '+'; an identifier never has one.
            return "+".parse::<u64>().map(Id);
        }
        s.parse().map(Id)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// Serializes an [`Id`] as a decimal string, as the vendor does in some responses.
pub fn id_as_string<S: Serializer>(id: &Id, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&id.0.to_string())
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an identifier as an integer or a string of digits")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
        Ok(Id(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
        u64::try_from(v)
            .map(Id)
            .map_err(|_| E::custom(format!("identifier {v} is negative")))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Id, E> {
        u64::try_from(v)
            .map(Id)
            .map_err(|_| E::custom(format!("identifier {v} is too large")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
        Err(E::custom(format!(
            "identifier {v} is a float; identifiers must be exact integers"
        )))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(E::custom(format!(
                "identifier `{v}` is not a string of digits"
            )));
        }
        v.parse::<u64>()
            .map(Id)
            .map_err(|_| E::custom(format!("identifier `{v}` is too large")))
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IdVisitor)
    }
}

/// Reads a field the vendor sends as a string but might send as a number (`expiresIn`,
/// `instanceId`, `offeringId`), keeping it as text.
pub(crate) fn lenient_u64_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an integer")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
        fn visit_unit<E: de::Error>(self) -> Result<String, E> {
            Ok(String::new())
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nineteen_digit_ids_stay_exact_from_number_and_string() {
        let n: Id = serde_json::from_str("3197218168379846218").unwrap();
        let s: Id = serde_json::from_str("\"3197218168379846218\"").unwrap();
        assert_eq!(n, Id(3197218168379846218));
        assert_eq!(s, n);
        assert_eq!(serde_json::to_string(&n).unwrap(), "3197218168379846218");
    }

    #[test]
    fn floats_negative_and_non_digits_are_refused() {
        assert!(serde_json::from_str::<Id>("3.1e18").is_err());
        assert!(serde_json::from_str::<Id>("-1").is_err());
        assert!(serde_json::from_str::<Id>("\"12a\"").is_err());
        assert!(serde_json::from_str::<Id>("\"\"").is_err());
        assert!(serde_json::from_str::<Id>("\"99999999999999999999\"").is_err());
        assert!("+12".parse::<Id>().is_err());
    }
}
