//! The loader's own validator for the published schema: it walks the schema [`Value`] that
//! `schema.rs` generates from the [`super::v1`] types, for the keywords that schema uses, and
//! yields every error, in the order `jsonschema` (a dev-dependency, which a test runs side by
//! side with this one) yields them. No regex engine runs here: each `pattern` of the schema
//! comes from a constant of [`super::v1`] and is matched by a Rust predicate named after it
//! ([`Matcher::for_pattern`]); a test walks the schema and checks every pattern has one.
//!
//! The order of the keywords of one schema object is `jsonschema`'s: cheap assertions first
//! (`type`, `const`, `enum`, the bounds, `required`, `pattern`, `uniqueItems`), then the
//! applicators (`properties`…`additionalProperties`, `propertyNames`, `items`, `contains`,
//! `dependencies`, `allOf`, `anyOf`, `not`, `if`). Members and properties come in key order
//! (serde_json's map is sorted).

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::node::push_segment;
use super::v1;

/// A JSON type, in `jsonschema`'s order (that of a type set's iteration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    fn named(name: &str) -> Option<JsonType> {
        Some(match name {
            "null" => JsonType::Null,
            "boolean" => JsonType::Boolean,
            "integer" => JsonType::Integer,
            "number" => JsonType::Number,
            "string" => JsonType::String,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            _ => return None,
        })
    }

    fn fits(self, v: &Value) -> bool {
        match (self, v) {
            (JsonType::Null, Value::Null)
            | (JsonType::Boolean, Value::Bool(_))
            | (JsonType::Number, Value::Number(_))
            | (JsonType::String, Value::String(_))
            | (JsonType::Array, Value::Array(_))
            | (JsonType::Object, Value::Object(_)) => true,
            (JsonType::Integer, Value::Number(n)) => is_integer(n),
            _ => false,
        }
    }
}

/// What failed, with what the wording of a problem needs.
#[derive(Debug, Clone)]
pub(super) enum ErrorKind<'i> {
    /// `additionalProperties: false`: every member of the object no other keyword takes.
    AdditionalProperties {
        unexpected: Vec<String>,
    },
    Required {
        property: &'static str,
    },
    Type {
        want: Vec<JsonType>,
    },
    Enum {
        options: &'static Value,
    },
    Constant {
        expected: &'static Value,
    },
    Minimum {
        limit: &'static Value,
    },
    ExclusiveMinimum {
        limit: &'static Value,
    },
    Maximum {
        limit: &'static Value,
    },
    ExclusiveMaximum {
        limit: &'static Value,
    },
    MinLength {
        limit: u64,
    },
    MaxLength {
        limit: u64,
    },
    /// A `pattern` the text does not match (one of the [`super::v1`] constants).
    Pattern {
        pattern: &'static str,
    },
    /// A `pattern` with no predicate: the schema and this validator disagree (a test keeps
    /// this from happening).
    UnknownPattern {
        pattern: &'static str,
    },
    MinProperties {
        limit: u64,
    },
    Not,
    /// The `false` schema: a member `dependencies` rules out, for one.
    FalseSchema,
    UniqueItems,
    Contains,
    /// A member name that fails `propertyNames`: its error, whose instance is the name.
    PropertyNames {
        error: Box<SchemaError<'i>>,
    },
    /// No alternative fits: each one's errors, in order.
    AnyOf {
        context: Vec<Vec<SchemaError<'i>>>,
    },
}

/// One schema error: where in the document (a JSON pointer), where in the schema, the value.
#[derive(Debug, Clone)]
pub(super) struct SchemaError<'i> {
    pub instance_path: String,
    pub schema_path: String,
    pub instance: Cow<'i, Value>,
    pub kind: ErrorKind<'i>,
}

impl SchemaError<'_> {
    /// The error, holding its own copy of the value (a member name checked as a value).
    fn detach(self) -> SchemaError<'static> {
        let kind = match self.kind {
            ErrorKind::AdditionalProperties { unexpected } => {
                ErrorKind::AdditionalProperties { unexpected }
            }
            ErrorKind::Required { property } => ErrorKind::Required { property },
            ErrorKind::Type { want } => ErrorKind::Type { want },
            ErrorKind::Enum { options } => ErrorKind::Enum { options },
            ErrorKind::Constant { expected } => ErrorKind::Constant { expected },
            ErrorKind::Minimum { limit } => ErrorKind::Minimum { limit },
            ErrorKind::ExclusiveMinimum { limit } => ErrorKind::ExclusiveMinimum { limit },
            ErrorKind::Maximum { limit } => ErrorKind::Maximum { limit },
            ErrorKind::ExclusiveMaximum { limit } => ErrorKind::ExclusiveMaximum { limit },
            ErrorKind::MinLength { limit } => ErrorKind::MinLength { limit },
            ErrorKind::MaxLength { limit } => ErrorKind::MaxLength { limit },
            ErrorKind::Pattern { pattern } => ErrorKind::Pattern { pattern },
            ErrorKind::UnknownPattern { pattern } => ErrorKind::UnknownPattern { pattern },
            ErrorKind::MinProperties { limit } => ErrorKind::MinProperties { limit },
            ErrorKind::Not => ErrorKind::Not,
            ErrorKind::FalseSchema => ErrorKind::FalseSchema,
            ErrorKind::UniqueItems => ErrorKind::UniqueItems,
            ErrorKind::Contains => ErrorKind::Contains,
            ErrorKind::PropertyNames { error } => ErrorKind::PropertyNames {
                error: Box::new(error.detach()),
            },
            ErrorKind::AnyOf { context } => ErrorKind::AnyOf {
                context: context
                    .into_iter()
                    .map(|errs| errs.into_iter().map(SchemaError::detach).collect())
                    .collect(),
            },
        };
        SchemaError {
            instance_path: self.instance_path,
            schema_path: self.schema_path,
            instance: Cow::Owned(self.instance.into_owned()),
            kind,
        }
    }
}

/// Every error of `instance` against `schema`, in `jsonschema`'s order.
pub(super) fn errors<'i>(schema: &'static Value, instance: &'i Value) -> Vec<SchemaError<'i>> {
    let mut out = Vec::new();
    node(schema, instance, "", "", &mut out);
    out
}

/// Whether `instance` is valid against `schema`.
fn is_valid(schema: &'static Value, instance: &Value) -> bool {
    let mut out = Vec::new();
    node(schema, instance, "", "", &mut out);
    out.is_empty()
}

/// The keywords this validator checks, in the order it checks them; any other keyword of the
/// schema is an annotation (a test checks the schema has no other).
#[cfg(test)]
pub(super) const KEYWORDS: &[&str] = &[
    "type",
    "const",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minProperties",
    "required",
    "pattern",
    "uniqueItems",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "items",
    "contains",
    "dependencies",
    "allOf",
    "anyOf",
    "not",
    "if",
    "then",
    "else",
];

fn node<'i>(
    schema: &'static Value,
    inst: &'i Value,
    ipath: &str,
    spath: &str,
    out: &mut Vec<SchemaError<'i>>,
) {
    let m = match schema {
        Value::Bool(true) => return,
        Value::Bool(false) => {
            out.push(error(inst, ipath, spath.to_owned(), ErrorKind::FalseSchema));
            return;
        }
        Value::Object(m) => m,
        _ => return,
    };
    let at = |k: &str| format!("{spath}/{k}");

    if let Some(t) = m.get("type") {
        let mut want: Vec<JsonType> = match t {
            Value::String(s) => JsonType::named(s).into_iter().collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|t| t.as_str().and_then(JsonType::named))
                .collect(),
            _ => Vec::new(),
        };
        if !want.iter().any(|t| t.fits(inst)) {
            want.sort();
            want.dedup();
            out.push(error(inst, ipath, at("type"), ErrorKind::Type { want }));
        }
    }
    if let Some(expected) = m.get("const")
        && !equal(inst, expected)
    {
        out.push(error(
            inst,
            ipath,
            at("const"),
            ErrorKind::Constant { expected },
        ));
    }
    if let Some(options @ Value::Array(a)) = m.get("enum")
        && !a.iter().any(|o| equal(inst, o))
    {
        out.push(error(inst, ipath, at("enum"), ErrorKind::Enum { options }));
    }
    if let Value::Number(n) = inst {
        let bound = |k: &str, fails: fn(Ordering) -> bool| {
            m.get(k).filter(|limit| match limit {
                Value::Number(l) => cmp_numbers(n, l).is_some_and(fails),
                _ => false,
            })
        };
        if let Some(limit) = bound("minimum", Ordering::is_lt) {
            out.push(error(
                inst,
                ipath,
                at("minimum"),
                ErrorKind::Minimum { limit },
            ));
        }
        if let Some(limit) = bound("maximum", Ordering::is_gt) {
            out.push(error(
                inst,
                ipath,
                at("maximum"),
                ErrorKind::Maximum { limit },
            ));
        }
        if let Some(limit) = bound("exclusiveMinimum", Ordering::is_le) {
            let kind = ErrorKind::ExclusiveMinimum { limit };
            out.push(error(inst, ipath, at("exclusiveMinimum"), kind));
        }
        if let Some(limit) = bound("exclusiveMaximum", Ordering::is_ge) {
            let kind = ErrorKind::ExclusiveMaximum { limit };
            out.push(error(inst, ipath, at("exclusiveMaximum"), kind));
        }
    }
    if let Value::String(s) = inst {
        let chars = s.chars().count() as u64;
        if let Some(limit) = m.get("minLength").and_then(Value::as_u64)
            && chars < limit
        {
            out.push(error(
                inst,
                ipath,
                at("minLength"),
                ErrorKind::MinLength { limit },
            ));
        }
        if let Some(limit) = m.get("maxLength").and_then(Value::as_u64)
            && chars > limit
        {
            out.push(error(
                inst,
                ipath,
                at("maxLength"),
                ErrorKind::MaxLength { limit },
            ));
        }
    }
    if let (Some(limit), Value::Object(o)) = (m.get("minProperties").and_then(Value::as_u64), inst)
        && (o.len() as u64) < limit
    {
        let kind = ErrorKind::MinProperties { limit };
        out.push(error(inst, ipath, at("minProperties"), kind));
    }
    if let (Some(Value::Array(names)), Value::Object(o)) = (m.get("required"), inst) {
        for property in names.iter().filter_map(Value::as_str) {
            if !o.contains_key(property) {
                let kind = ErrorKind::Required { property };
                out.push(error(inst, ipath, at("required"), kind));
            }
        }
    }
    if let (Some(Value::String(pattern)), Value::String(s)) = (m.get("pattern"), inst) {
        match Matcher::for_pattern(pattern) {
            Some(matcher) if matcher.matches(s) => {}
            Some(_) => {
                let kind = ErrorKind::Pattern { pattern };
                out.push(error(inst, ipath, at("pattern"), kind));
            }
            None => {
                let kind = ErrorKind::UnknownPattern { pattern };
                out.push(error(inst, ipath, at("pattern"), kind));
            }
        }
    }
    if let (Some(Value::Bool(true)), Value::Array(items)) = (m.get("uniqueItems"), inst)
        && !unique(items)
    {
        out.push(error(
            inst,
            ipath,
            at("uniqueItems"),
            ErrorKind::UniqueItems,
        ));
    }
    if let Value::Object(o) = inst {
        members(m, inst, o, ipath, spath, out);
        if let Some(names) = m.get("propertyNames") {
            let spath = at("propertyNames");
            for key in o.keys() {
                let name = Value::String(key.clone());
                let mut inner = Vec::new();
                node(names, &name, ipath, &spath, &mut inner);
                for e in inner {
                    let e = e.detach();
                    let schema_path = e.schema_path.clone();
                    out.push(error(
                        inst,
                        ipath,
                        schema_path,
                        ErrorKind::PropertyNames { error: Box::new(e) },
                    ));
                }
            }
        }
    }
    if let Value::Array(elements) = inst {
        match m.get("items") {
            Some(Value::Array(tuple)) => {
                let spath = at("items");
                for (i, (s, el)) in tuple.iter().zip(elements).enumerate() {
                    let ip = push_segment(ipath, &i.to_string());
                    node(s, el, &ip, &format!("{spath}/{i}"), out);
                }
            }
            Some(items) => {
                let spath = at("items");
                for (i, el) in elements.iter().enumerate() {
                    node(items, el, &push_segment(ipath, &i.to_string()), &spath, out);
                }
            }
            None => {}
        }
        if let Some(contains) = m.get("contains")
            && !elements.iter().any(|el| is_valid(contains, el))
        {
            out.push(error(inst, ipath, at("contains"), ErrorKind::Contains));
        }
    }
    if let (Some(Value::Object(deps)), Value::Object(o)) = (m.get("dependencies"), inst) {
        for (key, dep) in deps {
            if !o.contains_key(key) {
                continue;
            }
            let spath = push_segment(&at("dependencies"), key);
            match dep {
                Value::Array(names) => {
                    for property in names.iter().filter_map(Value::as_str) {
                        if !o.contains_key(property) {
                            let kind = ErrorKind::Required { property };
                            out.push(error(inst, ipath, at("dependencies"), kind));
                        }
                    }
                }
                _ => node(dep, inst, ipath, &spath, out),
            }
        }
    }
    if let Some(Value::Array(branches)) = m.get("allOf") {
        for (i, b) in branches.iter().enumerate() {
            node(b, inst, ipath, &format!("{spath}/allOf/{i}"), out);
        }
    }
    if let Some(Value::Array(branches)) = m.get("anyOf") {
        let mut context = Vec::with_capacity(branches.len());
        for (i, b) in branches.iter().enumerate() {
            let mut errs = Vec::new();
            node(b, inst, ipath, &format!("{spath}/anyOf/{i}"), &mut errs);
            if errs.is_empty() {
                context.clear();
                break;
            }
            context.push(errs);
        }
        if !context.is_empty() {
            out.push(error(
                inst,
                ipath,
                at("anyOf"),
                ErrorKind::AnyOf { context },
            ));
        }
    }
    if let Some(not) = m.get("not")
        && is_valid(not, inst)
    {
        out.push(error(inst, ipath, at("not"), ErrorKind::Not));
    }
    if let Some(condition) = m.get("if") {
        let (branch, k) = if is_valid(condition, inst) {
            (m.get("then"), "then")
        } else {
            (m.get("else"), "else")
        };
        if let Some(branch) = branch {
            node(branch, inst, ipath, &at(k), out);
        }
    }
}

/// `properties`, `patternProperties` and `additionalProperties` over an object's members.
fn members<'i>(
    m: &'static Map<String, Value>,
    inst: &'i Value,
    o: &'i Map<String, Value>,
    ipath: &str,
    spath: &str,
    out: &mut Vec<SchemaError<'i>>,
) {
    let props = m.get("properties").and_then(Value::as_object);
    let patterns: Vec<(&'static String, &'static Value, Option<Matcher>)> = m
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(p, s)| (p, s, Matcher::for_pattern(p)))
        .collect();
    let prop = |k: &str| push_segment(&format!("{spath}/properties"), k);
    let pattern_at = |p: &str| push_segment(&format!("{spath}/patternProperties"), p);
    match m.get("additionalProperties") {
        Some(additional @ (Value::Bool(false) | Value::Object(_))) => {
            if props.is_none() && patterns.is_empty() && additional == &Value::Bool(false) {
                // Any member at all: the first one's value is the error's.
                if let Some((_, value)) = o.iter().next() {
                    let at = format!("{spath}/additionalProperties");
                    out.push(error(value, ipath, at, ErrorKind::FalseSchema));
                }
                return;
            }
            let mut unexpected = Vec::new();
            for (k, v) in o {
                let ip = push_segment(ipath, k);
                let mut taken = false;
                if let Some(s) = props.and_then(|p| p.get(k)) {
                    node(s, v, &ip, &prop(k), out);
                    taken = true;
                }
                for (p, s, matcher) in &patterns {
                    if pattern_fits(matcher.as_ref(), p, k, inst, ipath, spath, out) {
                        node(s, v, &ip, &pattern_at(p), out);
                        taken = true;
                    }
                }
                if !taken {
                    match additional {
                        Value::Bool(false) => unexpected.push(k.clone()),
                        _ => node(
                            additional,
                            v,
                            &ip,
                            &format!("{spath}/additionalProperties"),
                            out,
                        ),
                    }
                }
            }
            if !unexpected.is_empty() {
                let at = format!("{spath}/additionalProperties");
                out.push(error(
                    inst,
                    ipath,
                    at,
                    ErrorKind::AdditionalProperties { unexpected },
                ));
            }
        }
        _ => {
            if let Some(props) = props {
                for (k, v) in o {
                    if let Some(s) = props.get(k) {
                        node(s, v, &push_segment(ipath, k), &prop(k), out);
                    }
                }
            }
            for (k, v) in o {
                for (p, s, matcher) in &patterns {
                    if pattern_fits(matcher.as_ref(), p, k, inst, ipath, spath, out) {
                        node(s, v, &push_segment(ipath, k), &pattern_at(p), out);
                    }
                }
            }
        }
    }
}

/// Whether member name `k` matches a `patternProperties` pattern; a pattern without a
/// predicate is an error of its own (and matches nothing).
fn pattern_fits<'i>(
    matcher: Option<&Matcher>,
    pattern: &'static str,
    k: &str,
    inst: &'i Value,
    ipath: &str,
    spath: &str,
    out: &mut Vec<SchemaError<'i>>,
) -> bool {
    match matcher {
        Some(m) => m.matches(k),
        None => {
            let at = format!("{spath}/patternProperties");
            out.push(error(
                inst,
                ipath,
                at,
                ErrorKind::UnknownPattern { pattern },
            ));
            false
        }
    }
}

fn error<'i>(
    inst: &'i Value,
    ipath: &str,
    schema_path: String,
    kind: ErrorKind<'i>,
) -> SchemaError<'i> {
    SchemaError {
        instance_path: ipath.to_owned(),
        schema_path,
        instance: Cow::Borrowed(inst),
        kind,
    }
}

/// A predicate standing for one `pattern` of the schema; each is named by the [`super::v1`]
/// constant (or function) that writes the pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Matcher {
    /// [`v1::SN_PATTERN`]: 1 to 64 ASCII letters and digits.
    Sn,
    /// [`v1::ID_PATTERN`]: 1 to 19 digits, not starting with 0.
    Id,
    /// [`v1::EMAIL_PATTERN`]: `a@b.c`, no `@` or whitespace in any part.
    Email,
    /// [`v1::DURATION_PATTERN`]: 1 to 4 digits of days (at most a year) or weeks (at most 52).
    Duration,
    /// [`v1::LABEL_KEY_PATTERN`]: a letter or digit, then up to 62 of those, `.`, `_`, `-`.
    LabelKey,
    /// [`v1::LABEL_VALUE_PATTERN`]: no control character.
    LabelValue,
    /// [`v1::not_capacity_pattern`] of a capacity service: any text but the service's name, in
    /// any ASCII letter case, with whitespace around it.
    NotCapacity(&'static str),
    /// `^x-` ([`v1::FREE_KEY_PREFIX`]): a free key.
    FreeKey,
}

impl Matcher {
    /// The predicate of a pattern the schema uses, or `None` for any other pattern.
    pub(super) fn for_pattern(pattern: &str) -> Option<Matcher> {
        Some(match pattern {
            v1::SN_PATTERN => Matcher::Sn,
            v1::ID_PATTERN => Matcher::Id,
            v1::EMAIL_PATTERN => Matcher::Email,
            v1::DURATION_PATTERN => Matcher::Duration,
            v1::LABEL_KEY_PATTERN => Matcher::LabelKey,
            v1::LABEL_VALUE_PATTERN => Matcher::LabelValue,
            p if p.strip_prefix('^') == Some(v1::FREE_KEY_PREFIX) => Matcher::FreeKey,
            p => {
                let (service, _) = v1::CAPACITY_SERVICES
                    .iter()
                    .find(|(service, _)| p == v1::not_capacity_pattern(service))?;
                Matcher::NotCapacity(service)
            }
        })
    }

    pub(super) fn matches(self, s: &str) -> bool {
        let alnum = |c: char| c.is_ascii_alphanumeric();
        match self {
            Matcher::Sn => (1..=64).contains(&s.len()) && s.chars().all(alnum),
            Matcher::Id => {
                (1..=19).contains(&s.len())
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && !s.starts_with('0')
            }
            Matcher::Email => {
                // ECMA-262 `\s`: `jsonschema` translates the class for the `regex` crate.
                let bad = |c: char| c == '@' || is_ecma_whitespace(c);
                let Some((local, domain)) = s.split_once('@') else {
                    return false;
                };
                // Some `.` with text before and after it, in the domain.
                !local.is_empty()
                    && !local.chars().any(bad)
                    && !domain.chars().any(bad)
                    && domain
                        .char_indices()
                        .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len())
            }
            Matcher::Duration => {
                let (digits, max) = match s.as_bytes().last() {
                    Some(b'd') => (&s[..s.len() - 1], v1::MAX_RENEW_BEFORE_DAYS),
                    Some(b'w') => (&s[..s.len() - 1], v1::MAX_RENEW_BEFORE_DAYS / 7),
                    _ => return false,
                };
                (1..=4).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && digits.parse::<u32>().is_ok_and(|n| n <= max)
            }
            Matcher::LabelKey => {
                let mut chars = s.chars();
                chars.next().is_some_and(alnum)
                    && s.len() <= 63
                    && chars.all(|c| alnum(c) || matches!(c, '.' | '_' | '-'))
            }
            Matcher::LabelValue => !s.chars().any(|c| c <= '\u{1f}' || c == '\u{7f}'),
            Matcher::NotCapacity(service) => {
                // A lookahead runs on `fancy-regex`, untranslated: Unicode `\s`.
                !s.trim_matches(char::is_whitespace)
                    .eq_ignore_ascii_case(service)
            }
            Matcher::FreeKey => v1::is_free_key(s),
        }
    }
}

/// ECMA-262 `\s`: `WhiteSpace` (TAB, VT, FF, SP, NBSP, every `Zs`, BOM) and `LineTerminator`.
fn is_ecma_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | ' '
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
            | '\u{feff}'
    )
}

/// Drafts 6 and later: a number with no fractional part is an integer, `1.0` too.
fn is_integer(n: &Number) -> bool {
    n.is_u64() || n.is_i64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// Two numbers compared exactly, whatever each is held as.
fn cmp_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    enum N {
        Int(i128),
        Float(f64),
    }
    fn of(n: &Number) -> Option<N> {
        if let Some(u) = n.as_u64() {
            Some(N::Int(i128::from(u)))
        } else if let Some(i) = n.as_i64() {
            Some(N::Int(i128::from(i)))
        } else {
            n.as_f64().map(N::Float)
        }
    }
    fn float_int(f: f64, i: i128) -> Ordering {
        let floor = f.floor();
        if floor < -1e38 {
            Ordering::Less
        } else if floor > 1e38 {
            Ordering::Greater
        } else {
            #[allow(clippy::cast_possible_truncation)]
            match (floor as i128).cmp(&i) {
                Ordering::Equal if f > floor => Ordering::Greater,
                o => o,
            }
        }
    }
    Some(match (of(a)?, of(b)?) {
        (N::Int(x), N::Int(y)) => x.cmp(&y),
        (N::Float(x), N::Float(y)) => x.partial_cmp(&y)?,
        (N::Float(x), N::Int(y)) => float_int(x, y),
        (N::Int(x), N::Float(y)) => float_int(y, x).reverse(),
    })
}

/// Equality as JSON Schema has it: numbers by value (`1` is `1.0`).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn unique(items: &[Value]) -> bool {
    items
        .iter()
        .enumerate()
        .all(|(i, a)| items[i + 1..].iter().all(|b| !equal(a, b)))
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use jsonschema::error::{TypeKind, ValidationErrorKind};
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;
    use crate::manifest::schema::schema_value;
    use crate::manifest::yaml;

    /// The keywords of the schema that assert nothing: editors' texts and snippets.
    const ANNOTATIONS: &[&str] = &[
        "$id",
        "$schema",
        "title",
        "description",
        "markdownDescription",
        "examples",
        "default",
        "defaultSnippets",
        "enumDescriptions",
        "markdownEnumDescriptions",
        "errorMessage",
        "patternErrorMessage",
    ];

    /// Every schema object of `schema`, with its place, as a validator reaches them.
    fn subschemas(schema: &'static Value, path: String, out: &mut Vec<(String, &'static Value)>) {
        let Some(m) = schema.as_object() else { return };
        out.push((path.clone(), schema));
        for (k, v) in m {
            let here = format!("{path}/{k}");
            match k.as_str() {
                "properties" | "patternProperties" | "dependencies" => {
                    for (name, sub) in v.as_object().into_iter().flatten() {
                        subschemas(sub, format!("{here}/{name}"), out);
                    }
                }
                "allOf" | "anyOf" | "oneOf" | "items" if v.is_array() => {
                    for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                        subschemas(sub, format!("{here}/{i}"), out);
                    }
                }
                "additionalProperties"
                | "propertyNames"
                | "items"
                | "contains"
                | "not"
                | "if"
                | "then"
                | "else" => subschemas(v, here, out),
                _ => {}
            }
        }
    }

    fn all_subschemas() -> Vec<(String, &'static Value)> {
        let mut out = Vec::new();
        subschemas(schema_value(), "#".into(), &mut out);
        out
    }

    /// Every pattern of the schema: of `pattern` and the keys of `patternProperties`.
    fn all_patterns() -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for (path, s) in all_subschemas() {
            if let Some(Value::String(p)) = s.get("pattern") {
                out.push((path.clone(), p.as_str()));
            }
            for p in s
                .get("patternProperties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                out.push((path.clone(), p.0.as_str()));
            }
        }
        out
    }

    #[test]
    fn every_pattern_of_the_schema_has_a_predicate() {
        let patterns = all_patterns();
        // SN, ID (3 places), e-mail, duration, label key and value, both capacity services
        // (twice each), `^x-`: the walk reaches them all.
        assert!(patterns.len() >= 15, "{patterns:#?}");
        let missing: Vec<_> = patterns
            .iter()
            .filter(|(_, p)| Matcher::for_pattern(p).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "patterns without a predicate: {missing:#?}"
        );
        // And a pattern no constant writes has none.
        assert_eq!(Matcher::for_pattern("^[a-z]+$"), None);
    }

    #[test]
    fn an_unknown_pattern_is_an_error_of_its_own() {
        let schema: &'static Value = Box::leak(Box::new(
            json!({"properties": {"a": {"pattern": "^[a-z]+$"}}}),
        ));
        let doc = json!({"a": "abc"});
        let errs = errors(schema, &doc);
        assert!(
            matches!(errs.as_slice(), [e] if matches!(e.kind, ErrorKind::UnknownPattern { .. })),
            "{errs:#?}"
        );
    }

    #[test]
    fn every_keyword_of_the_schema_is_checked_or_an_annotation() {
        let mut unknown = Vec::new();
        for (path, s) in all_subschemas() {
            for k in s.as_object().into_iter().flatten().map(|(k, _)| k) {
                if !KEYWORDS.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                    unknown.push(format!("{path}: {k}"));
                }
            }
        }
        assert!(unknown.is_empty(), "{unknown:#?}");
    }

    /// Texts near each pattern's edges, and the whitespace on which ECMA-262 and Unicode differ.
    fn tricky_texts() -> Vec<String> {
        let mut t: Vec<String> = [
            "",
            " ",
            "a",
            "A",
            "0",
            "1",
            "01",
            "9",
            "x-",
            "x-a",
            "X-a",
            "xa",
            "-x-",
            "3651D3296882",
            "3651D329688-",
            "3049040650094403584",
            "9999999999999999999",
            "10000000000000000000",
            "0123",
            "12a",
            "a@b.c",
            "a@b",
            "@b.c",
            "a@.c",
            "a@b.",
            "a@@b.c",
            "a b@c.d",
            "a@b.c.d",
            "a@b..c",
            "a@.b.c",
            "a\u{a0}@b.c",
            "a\u{85}@b.c",
            "a\u{feff}@b.c",
            "a\u{2028}@b.c",
            "a@b.c\n",
            "0d",
            "30d",
            "0030d",
            "00030d",
            "365d",
            "0365d",
            "366d",
            "52w",
            "052w",
            "53w",
            "4w",
            "30",
            "d",
            "w",
            "30 d",
            "1.5w",
            "-1d",
            "30D",
            "a.b_c-d",
            ".a",
            "_a",
            "-a",
            "a/b",
            "a~b",
            "é",
            "aé",
            "tab\there",
            "line\nbreak",
            "del\u{7f}",
            "nul\u{0}",
            "\u{1f}",
            "\u{80}x",
            "Extension Expansion",
            "extension expansion",
            " EXTENSION EXPANSION\t",
            "Extension  Expansion",
            "Extension Expansions",
            "My Extension Expansion",
            "Extension Expansion\u{85}",
            "\u{85}Extension Expansion",
            "Extension Expansion\u{feff}",
            "\u{a0}Extension Expansion\u{3000}",
            "Concurrent Call Expansion",
            "concurrent call expansion\n",
            "Concurrent Call Expansion\u{85}",
            "Concurrent Call Expansion\u{feff}",
            "Concurrent\u{a0}Call Expansion",
            "Extension Expansion\u{212a}",
            "High Availability",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        t.push("a".repeat(63));
        t.push("a".repeat(64));
        t.push("a".repeat(65));
        t.push(format!("a{}", "-".repeat(62)));
        t.push(format!("a{}", "-".repeat(63)));
        t
    }

    fn engine_matches(pattern: &str, text: &str) -> bool {
        jsonschema::validator_for(&json!({"pattern": pattern}))
            .unwrap()
            .is_valid(&json!(text))
    }

    #[test]
    fn each_predicate_matches_what_the_regex_engine_matches() {
        let mut patterns: Vec<&str> = all_patterns().into_iter().map(|(_, p)| p).collect();
        patterns.sort_unstable();
        patterns.dedup();
        for p in patterns {
            let m = Matcher::for_pattern(p).unwrap();
            for t in tricky_texts() {
                assert_eq!(m.matches(&t), engine_matches(p, &t), "{p} on {t:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn predicates_match_random_texts_as_the_regex_engine_does(
            text in "[a-zA-Z0-9 @._~/x-]{0,8}|[0-9]{1,6}[dw]?|\\PC{0,6}|[ \t\u{85}\u{a0}\u{feff}\u{2028}]{0,2}(Extension|Concurrent Call|EXTENSION) (Expansion|expansion)[ \t\u{85}\u{a0}\u{feff}]{0,2}",
        ) {
            for (_, p) in all_patterns() {
                let m = Matcher::for_pattern(p).unwrap();
                prop_assert_eq!(m.matches(&text), engine_matches(p, &text), "{} on {:?}", p, &text);
            }
        }
    }

    /// One of `jsonschema`'s errors, as a line to compare: where, what, and, for the kinds
    /// that carry them, the errors inside.
    fn theirs(e: &jsonschema::ValidationError<'_>, out: &mut Vec<String>, depth: usize) {
        let at = format!("{}{}", "  ".repeat(depth), e.instance_path().as_str());
        let line = match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                format!("additionalProperties {unexpected:?}")
            }
            ValidationErrorKind::Required { property } => format!("required {property}"),
            ValidationErrorKind::Type { kind } => {
                let want: Vec<String> = match kind {
                    TypeKind::Single(t) => vec![t.to_string()],
                    TypeKind::Multiple(s) => s.iter().map(|t| t.to_string()).collect(),
                };
                format!("type {want:?}")
            }
            ValidationErrorKind::Enum { options } => format!("enum {options}"),
            ValidationErrorKind::Constant { expected_value } => format!("const {expected_value}"),
            ValidationErrorKind::Minimum { limit } => format!("minimum {limit}"),
            ValidationErrorKind::Maximum { limit } => format!("maximum {limit}"),
            ValidationErrorKind::ExclusiveMinimum { limit } => format!("exclusiveMinimum {limit}"),
            ValidationErrorKind::ExclusiveMaximum { limit } => format!("exclusiveMaximum {limit}"),
            ValidationErrorKind::MinLength { limit } => format!("minLength {limit}"),
            ValidationErrorKind::MaxLength { limit } => format!("maxLength {limit}"),
            ValidationErrorKind::Pattern { pattern } => format!("pattern {pattern}"),
            ValidationErrorKind::MinProperties { limit } => format!("minProperties {limit}"),
            ValidationErrorKind::Not { .. } => "not".to_owned(),
            ValidationErrorKind::FalseSchema => format!("false {}", e.schema_path().as_str()),
            ValidationErrorKind::UniqueItems => "uniqueItems".to_owned(),
            ValidationErrorKind::Contains => "contains".to_owned(),
            ValidationErrorKind::PropertyNames { error } => {
                out.push(format!("{at} propertyNames {}", error.instance()));
                theirs(error, out, depth + 1);
                return;
            }
            ValidationErrorKind::AnyOf { context } => {
                out.push(format!("{at} anyOf {}", context.len()));
                for (i, branch) in context.iter().enumerate() {
                    out.push(format!("{}  branch {i}", "  ".repeat(depth)));
                    for e in branch {
                        theirs(e, out, depth + 2);
                    }
                }
                return;
            }
            other => format!("unexpected kind {other:?}"),
        };
        out.push(format!("{at} {line} = {}", e.instance()));
    }

    fn ours(e: &SchemaError<'_>, out: &mut Vec<String>, depth: usize) {
        let at = format!("{}{}", "  ".repeat(depth), e.instance_path);
        let line = match &e.kind {
            ErrorKind::AdditionalProperties { unexpected } => {
                format!("additionalProperties {unexpected:?}")
            }
            ErrorKind::Required { property } => format!("required {}", json!(property)),
            ErrorKind::Type { want } => {
                let want: Vec<String> = want
                    .iter()
                    .map(|t| format!("{t:?}").to_lowercase())
                    .collect();
                format!("type {want:?}")
            }
            ErrorKind::Enum { options } => format!("enum {options}"),
            ErrorKind::Constant { expected } => format!("const {expected}"),
            ErrorKind::Minimum { limit } => format!("minimum {limit}"),
            ErrorKind::Maximum { limit } => format!("maximum {limit}"),
            ErrorKind::ExclusiveMinimum { limit } => format!("exclusiveMinimum {limit}"),
            ErrorKind::ExclusiveMaximum { limit } => format!("exclusiveMaximum {limit}"),
            ErrorKind::MinLength { limit } => format!("minLength {limit}"),
            ErrorKind::MaxLength { limit } => format!("maxLength {limit}"),
            ErrorKind::Pattern { pattern } => format!("pattern {pattern}"),
            ErrorKind::UnknownPattern { pattern } => format!("unknown pattern {pattern}"),
            ErrorKind::MinProperties { limit } => format!("minProperties {limit}"),
            ErrorKind::Not => "not".to_owned(),
            ErrorKind::FalseSchema => format!("false {}", e.schema_path),
            ErrorKind::UniqueItems => "uniqueItems".to_owned(),
            ErrorKind::Contains => "contains".to_owned(),
            ErrorKind::PropertyNames { error } => {
                out.push(format!("{at} propertyNames {}", error.instance));
                ours(error, out, depth + 1);
                return;
            }
            ErrorKind::AnyOf { context } => {
                out.push(format!("{at} anyOf {}", context.len()));
                for (i, branch) in context.iter().enumerate() {
                    out.push(format!("{}  branch {i}", "  ".repeat(depth)));
                    for e in branch {
                        ours(e, out, depth + 2);
                    }
                }
                return;
            }
        };
        out.push(format!("{at} {line} = {}", e.instance));
    }

    /// The two validators on one document: the same errors, in the same order, down to the
    /// errors inside `anyOf` and `propertyNames` (and so the same verdict and the same set of
    /// instance pointers).
    fn agree(doc: &Value) -> Result<(), String> {
        let engine = jsonschema::validator_for(schema_value()).unwrap();
        let mut expected = Vec::new();
        for e in engine.iter_errors(doc) {
            theirs(&e, &mut expected, 0);
        }
        let mut got = Vec::new();
        for e in errors(schema_value(), doc) {
            ours(&e, &mut got, 0);
        }
        if engine.is_valid(doc) != got.is_empty() {
            return Err(format!("verdicts differ on {doc}"));
        }
        if expected == got {
            Ok(())
        } else {
            Err(format!(
                "on {doc}\njsonschema:\n{}\ncheck:\n{}",
                expected.join("\n"),
                got.join("\n")
            ))
        }
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_loader_and_the_published_schema_agree_on_every_fixture() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut files = Vec::new();
        for dir in ["manifests", "editor"] {
            yaml_files(&fixtures.join(dir), &mut files);
        }
        assert!(files.len() >= 40, "{}", files.len());
        let (mut checked, mut invalid) = (0, 0);
        for f in &files {
            // A fixture that is not UTF-8 never reaches the schema.
            let Ok(text) = String::from_utf8(std::fs::read(f).unwrap()) else {
                continue;
            };
            let Some(root) = yaml::parse(&text).ok().and_then(|p| p.root) else {
                continue;
            };
            let doc = root.to_json();
            checked += 1;
            invalid += usize::from(!errors(schema_value(), &doc).is_empty());
            if let Err(e) = agree(&doc) {
                panic!("{}: {e}", f.display());
            }
        }
        // The editor's invalid fixtures are invalid to both.
        assert!(
            checked >= 40 && invalid >= 25,
            "{checked} checked, {invalid} invalid"
        );
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            prop_oneof![
                Just(0i64),
                Just(1),
                Just(-1),
                Just(2),
                Just(4),
                Just(5),
                Just(6),
                Just(12),
                Just(13),
                Just(499),
                Just(500),
                Just(501),
                Just(999_999),
                Just(1_000_000),
                Just(1_000_001),
                Just(i64::MIN),
                Just(i64::MAX),
            ]
            .prop_map(Value::from),
            Just(json!(9_999_999_999_999_999_999u64)),
            Just(json!(u64::MAX)),
            prop_oneof![
                Just(1.0f64),
                Just(1.5),
                Just(5.0),
                Just(0.5),
                Just(13.0),
                Just(1e19)
            ]
            .prop_map(Value::from),
            prop_oneof![
                Just("monthly"),
                Just("annually"),
                Just("weekly"),
                Just("linkus"),
                Just("cloud-pbx"),
                Just("Cloud-PBX"),
                Just("1"),
                Just(""),
                Just("30d"),
                Just("366d"),
                Just("52w"),
                Just("30"),
                Just("a@b.c"),
                Just("bob"),
                Just("3049040650094403584"),
                Just("0123"),
                Just("3651D3296882"),
                Just("36-51"),
                Just(" extension expansion "),
                Just("Concurrent Call Expansion"),
                Just("High Availability"),
                Just("tab\there"),
            ]
            .prop_map(Value::from),
            "[a-zA-Z0-9 @.x-]{0,10}".prop_map(Value::from),
            Just(Value::from("s".repeat(201))),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                proptest::collection::btree_map(key(), inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("name".to_owned()),
            Just("id".to_owned()),
            Just("x-note".to_owned()),
            Just("site".to_owned()),
            Just("a/b".to_owned()),
            Just("-a".to_owned()),
            Just(String::new()),
            Just("k".repeat(64)),
            "[a-zA-Z0-9._~-]{1,6}",
        ]
    }

    const FIELDS: &[&str] = &[
        "sn",
        "product",
        "productId",
        "plan",
        "planId",
        "term",
        "billingCycle",
        "extensions",
        "concurrentCalls",
        "services",
        "billingContact",
        "renew",
        "autoRenew",
        "renewBefore",
        "labels",
        "x-anchor",
        "extentions",
    ];

    fn field_value(field: &'static str) -> BoxedStrategy<Value> {
        match field {
            "services" => proptest::collection::vec(
                prop_oneof![
                    scalar(),
                    proptest::collection::btree_map(
                        prop_oneof![Just("name".to_owned()), Just("id".to_owned()), key()],
                        scalar(),
                        0..3
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ],
                0..4,
            )
            .prop_map(Value::from)
            .boxed(),
            "labels" => prop_oneof![
                proptest::collection::btree_map(key(), scalar(), 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                scalar(),
            ]
            .boxed(),
            _ => prop_oneof![4 => scalar(), 1 => value()].boxed(),
        }
    }

    fn fields() -> impl Strategy<Value = Value> {
        proptest::collection::vec(
            proptest::sample::select(FIELDS).prop_flat_map(|f| (Just(f), field_value(f))),
            0..7,
        )
        .prop_map(|fs| Value::Object(fs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    }

    fn document() -> impl Strategy<Value = Value> {
        (
            prop_oneof![
                Just(json!(1)),
                Just(json!(1.0)),
                Just(json!("1")),
                Just(json!(2)),
                Just(Value::Null)
            ],
            proptest::option::of(fields()),
            proptest::collection::vec(prop_oneof![8 => fields(), 1 => scalar()], 0..4),
            proptest::collection::vec(
                (
                    prop_oneof![Just("x-top"), Just("pbx"), Just("version"), Just("pbxs")],
                    value(),
                ),
                0..2,
            ),
            0u8..8,
        )
            .prop_map(|(version, defaults, pbxs, extra, drop)| {
                let mut m = Map::new();
                if drop != 1 {
                    m.insert("version".into(), version);
                }
                if let Some(d) = defaults {
                    m.insert("defaults".into(), d);
                }
                if drop != 2 {
                    m.insert("pbxs".into(), Value::from(pbxs));
                }
                for (k, v) in extra {
                    m.insert(k.into(), v);
                }
                if drop == 3 {
                    Value::from(vec![Value::Object(m)])
                } else {
                    Value::Object(m)
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn the_loader_and_the_published_schema_agree_on_random_documents(doc in document()) {
            if let Err(e) = agree(&doc) {
                prop_assert!(false, "{}", e);
            }
        }
    }
}
