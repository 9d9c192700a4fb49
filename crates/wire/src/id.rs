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

/// Reads a small number (a product ID, a time) sent as a JSON number or a string of digits;
/// null or absent reads as 0 ("not said"). Floats are refused.
pub(crate) fn lenient_number<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64> + TryFrom<i64> + Default,
{
    struct V<T>(std::marker::PhantomData<T>);
    impl<T: TryFrom<u64> + TryFrom<i64> + Default> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, or a string of digits")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::custom(format!("{v} is out of range")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            Err(E::custom(format!("{v} is not an integer")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(T::default());
            }
            let n: i64 = t
                .parse()
                .map_err(|_| E::custom(format!("`{v}` is not an integer")))?;
            self.visit_i64(n)
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }
    d.deserialize_any(V(std::marker::PhantomData))
}

/// A field that may be absent, null, or a value: `None` absent, `Some(None)` null.
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Lenient {
        #[serde(default, deserialize_with = "lenient_number")]
        n: u32,
        #[serde(default, deserialize_with = "present")]
        p: Option<Option<Id>>,
    }

    #[test]
    fn numbers_come_as_numbers_or_strings_and_absence_is_told_from_null() {
        for (json, n) in [
            (r#"{"n": 12}"#, 12),
            (r#"{"n": "12"}"#, 12),
            (r#"{}"#, 0),
            (r#"{"n": null}"#, 0),
        ] {
            assert_eq!(
                serde_json::from_str::<Lenient>(json).unwrap().n,
                n,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Lenient>(r#"{"n": 1.5}"#).is_err());
        assert_eq!(serde_json::from_str::<Lenient>(r#"{}"#).unwrap().p, None);
        assert_eq!(
            serde_json::from_str::<Lenient>(r#"{"p": null}"#).unwrap().p,
            Some(None)
        );
        assert_eq!(
            serde_json::from_str::<Lenient>(r#"{"p": "7"}"#).unwrap().p,
            Some(Some(Id(7)))
        );
    }

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
