//! The positioned document tree: every node of a manifest with the place it was written, built
//! once per file by [`super::yaml`]. It is the position map of the file (a JSON pointer such as
//! `/pbxs/3/services/1` resolves to the node and its key), and it turns into the JSON value
//! that the schema validates and serde decodes, resolving plain scalars as YAML 1.2's core
//! schema does (the same rules editors apply with the published schema).

use serde_json::{Map, Number, Value};

/// A place in the source text: 1-based line, 1-based column in characters, byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// How a scalar was written. Only plain scalars are subject to type resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    Quoted,
    Block,
}

/// A core-schema tag written on a node (`!!str 0123`); other tags are refused at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CoreTag {
    Str,
    Int,
    Float,
    Bool,
    Null,
    Map,
    Seq,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scalar {
    /// The text after YAML escape processing (for a plain scalar, exactly as written).
    pub text: String,
    pub style: Style,
    pub tag: Option<CoreTag>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Entry {
    /// The key as text (keys are scalars; `1: x` has the key `"1"`).
    pub key: String,
    pub key_at: Pos,
    pub value: Node,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub at: Pos,
    pub kind: Kind,
}

/// What a scalar means once its style and tag are taken into account.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    /// An integer that fits in `i64` or `u64`.
    Int(IntValue),
    /// A float, or an integer too large for 64 bits (approximated).
    Float(f64),
    /// `.inf`, `.nan` and integers beyond every float: no JSON number can hold them.
    Unrepresentable,
    Str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IntValue {
    Neg(i64),
    Pos(u64),
}

impl Scalar {
    /// YAML 1.2 core schema resolution of plain scalars; quoted and block scalars are text,
    /// unless a core tag says otherwise.
    pub(super) fn resolve(&self) -> Resolved {
        match (self.tag, self.style) {
            (Some(CoreTag::Str), _) => Resolved::Str,
            (None, Style::Quoted | Style::Block) => Resolved::Str,
            (Some(CoreTag::Null), _) => Resolved::Null,
            (Some(CoreTag::Bool), _) => resolve_bool(&self.text).unwrap_or(Resolved::Str),
            (Some(CoreTag::Int), _) => resolve_int(&self.text).unwrap_or(Resolved::Str),
            (Some(CoreTag::Float), _) => resolve_int(&self.text)
                .or_else(|| resolve_float(&self.text))
                .unwrap_or(Resolved::Str),
            (Some(CoreTag::Map | CoreTag::Seq), _) => Resolved::Str,
            (None, Style::Plain) => resolve_plain(&self.text),
        }
    }
}

fn resolve_plain(t: &str) -> Resolved {
    if matches!(t, "" | "~" | "null" | "Null" | "NULL") {
        return Resolved::Null;
    }
    resolve_bool(t)
        .or_else(|| resolve_int(t))
        .or_else(|| resolve_float(t))
        .unwrap_or(Resolved::Str)
}

fn resolve_bool(t: &str) -> Option<Resolved> {
    match t {
        "true" | "True" | "TRUE" => Some(Resolved::Bool(true)),
        "false" | "False" | "FALSE" => Some(Resolved::Bool(false)),
        _ => None,
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+` (YAML 1.2 core).
fn resolve_int(t: &str) -> Option<Resolved> {
    let radix_int = |digits: &str, radix: u32| -> Option<Resolved> {
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        Some(match u64::from_str_radix(digits, radix) {
            Ok(v) => Resolved::Int(IntValue::Pos(v)),
            Err(_) => Resolved::Unrepresentable,
        })
    };
    if let Some(h) = t.strip_prefix("0x") {
        return radix_int(h, 16);
    }
    if let Some(o) = t.strip_prefix("0o") {
        return radix_int(o, 8);
    }
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parsed = if neg {
        t.parse::<i64>().ok().map(|v| {
            if v >= 0 {
                IntValue::Pos(v as u64)
            } else {
                IntValue::Neg(v)
            }
        })
    } else {
        digits.parse::<u64>().ok().map(IntValue::Pos)
    };
    Some(match parsed {
        Some(v) => Resolved::Int(v),
        // Beyond 64 bits: a float approximates it; the loader refuses it as inexact.
        None => match t.parse::<f64>() {
            Ok(f) if f.is_finite() => Resolved::Float(f),
            _ => Resolved::Unrepresentable,
        },
    })
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` and the special values.
fn resolve_float(t: &str) -> Option<Resolved> {
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return Some(Resolved::Unrepresentable),
        _ => {}
    }
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let e = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == e {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    Some(match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Resolved::Float(f),
        _ => Resolved::Unrepresentable,
    })
}

impl Node {
    pub(super) fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The JSON value the schema validates and serde decodes. Scalars no JSON number can hold
    /// exactly (`.inf`, integers beyond 64 bits written in hex) become their text, so the
    /// schema reports them as the wrong type instead of them silently changing.
    pub(super) fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Scalar(s) => match s.resolve() {
                Resolved::Null => Value::Null,
                Resolved::Bool(b) => Value::Bool(b),
                Resolved::Int(IntValue::Pos(v)) => Value::Number(Number::from(v)),
                Resolved::Int(IntValue::Neg(v)) => Value::Number(Number::from(v)),
                Resolved::Float(f) => Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(s.text.clone())),
                Resolved::Unrepresentable | Resolved::Str => Value::String(s.text.clone()),
            },
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                let mut m = Map::new();
                for e in entries {
                    m.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(m)
            }
        }
    }
}

/// Where a pointer leads: the value's position and, for a mapping member, its key's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    pub value: Pos,
    pub key: Option<Pos>,
}

/// Resolves JSON pointers (RFC 6901) to source positions. Built once per file (it is the
/// parsed tree itself); a lookup walks the pointer's segments, indexing sequences directly.
#[derive(Debug, Clone)]
pub(super) struct PositionMap {
    root: Node,
}

impl PositionMap {
    pub(super) fn new(root: Node) -> Self {
        PositionMap { root }
    }

    pub(super) fn root(&self) -> &Node {
        &self.root
    }

    /// The node at `pointer` and where it (and its key) was written.
    pub(super) fn find(&self, pointer: &str) -> Option<(&Node, Place)> {
        let mut node = &self.root;
        let mut key = None;
        for seg in segments(pointer) {
            match &node.kind {
                Kind::Map(entries) => {
                    let e = entries.iter().find(|e| e.key == seg)?;
                    key = Some(e.key_at);
                    node = &e.value;
                }
                Kind::Seq(items) => {
                    node = items.get(seg.parse::<usize>().ok()?)?;
                    key = None;
                }
                Kind::Scalar(_) => return None,
            }
        }
        Some((
            node,
            Place {
                value: node.at,
                key,
            },
        ))
    }

    /// Where the value at `pointer` starts; for a pointer that leads nowhere (a missing
    /// member), the deepest node on its way.
    pub(super) fn value_pos(&self, pointer: &str) -> Pos {
        self.nearest(pointer).value
    }

    /// Where the key of the member at `pointer` starts (its value for sequence items).
    pub(super) fn key_pos(&self, pointer: &str) -> Pos {
        let l = self.nearest(pointer);
        l.key.unwrap_or(l.value)
    }

    fn nearest(&self, pointer: &str) -> Place {
        let mut p = pointer.to_owned();
        loop {
            if let Some((_, l)) = self.find(&p) {
                return l;
            }
            match p.rfind('/') {
                Some(i) => p.truncate(i),
                None => {
                    return Place {
                        value: self.root.at,
                        key: None,
                    };
                }
            }
        }
    }
}

/// The unescaped segments of a JSON pointer (`~1` is `/`, `~0` is `~`).
pub(super) fn segments(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
}

/// Appends one segment to a JSON pointer, escaping it.
pub(super) fn push_segment(pointer: &str, seg: &str) -> String {
    format!("{pointer}/{}", seg.replace('~', "~0").replace('/', "~1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(t: &str) -> Resolved {
        Scalar {
            text: t.into(),
            style: Style::Plain,
            tag: None,
        }
        .resolve()
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_1_2_core() {
        assert_eq!(plain(""), Resolved::Null);
        assert_eq!(plain("~"), Resolved::Null);
        assert_eq!(plain("True"), Resolved::Bool(true));
        // YAML 1.1 booleans are text in 1.2: `NO` stays the country code.
        assert_eq!(plain("yes"), Resolved::Str);
        assert_eq!(plain("NO"), Resolved::Str);
        assert_eq!(
            plain("369471667338"),
            Resolved::Int(IntValue::Pos(369471667338))
        );
        assert_eq!(plain("0123"), Resolved::Int(IntValue::Pos(123)));
        assert_eq!(plain("-5"), Resolved::Int(IntValue::Neg(-5)));
        assert_eq!(plain("0x1F"), Resolved::Int(IntValue::Pos(31)));
        assert_eq!(plain("0o17"), Resolved::Int(IntValue::Pos(15)));
        assert_eq!(plain("1e5"), Resolved::Float(100000.0));
        assert_eq!(plain("1.0"), Resolved::Float(1.0));
        assert_eq!(plain(".5"), Resolved::Float(0.5));
        assert_eq!(plain(".inf"), Resolved::Unrepresentable);
        assert_eq!(plain("1_000"), Resolved::Str);
        assert_eq!(plain("3651D3296882"), Resolved::Str);
        assert_eq!(plain("1e"), Resolved::Str);
        assert_eq!(plain("."), Resolved::Str);
        assert_eq!(plain("0x"), Resolved::Str);
        assert_eq!(plain("0xFFFFFFFFFFFFFFFFFF"), Resolved::Unrepresentable);
    }

    #[test]
    fn nineteen_digit_ids_stay_exact_and_longer_ones_are_floats() {
        assert_eq!(
            plain("3049040650094403584"),
            Resolved::Int(IntValue::Pos(3049040650094403584))
        );
        assert!(matches!(plain("123456789012345678901"), Resolved::Float(_)));
    }

    #[test]
    fn tags_and_quotes_override_resolution() {
        let s = |text: &str, style, tag| {
            Scalar {
                text: text.into(),
                style,
                tag,
            }
            .resolve()
        };
        assert_eq!(s("0123", Style::Quoted, None), Resolved::Str);
        assert_eq!(s("0123", Style::Plain, Some(CoreTag::Str)), Resolved::Str);
        assert_eq!(
            s("12", Style::Quoted, Some(CoreTag::Int)),
            Resolved::Int(IntValue::Pos(12))
        );
    }

    #[test]
    fn pointer_segments_unescape() {
        let v: Vec<String> = segments("/labels/a~1b/c~0d").collect();
        assert_eq!(v, ["labels", "a/b", "c~d"]);
        assert_eq!(push_segment("/labels", "a/b~"), "/labels/a~1b~0");
        assert_eq!(segments("").count(), 0);
    }
}
