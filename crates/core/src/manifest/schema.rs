//! The published JSON Schema: generated from the [`super::v1`] types, and enforced at run time
//! by the loader's own validator ([`super::check`]), which a test runs side by side with
//! `jsonschema` so the schema editors use and the loader cannot disagree. Its errors —
//! every one, not just the first — are turned into located diagnostics in the user's words
//! ("unknown field `extentions`, did you mean `extensions`?") through the position map.

use std::sync::{Arc, OnceLock};

use schemars::generate::SchemaSettings;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;

use super::check::{self, ErrorKind, JsonType, SchemaError};
use super::desired::Loc;
use super::diagnostic::{Code, Diagnostic};
use super::node::{Kind, Pos, PositionMap, push_segment, segments};
use super::suggest::suggest;
use super::v1;
use crate::model::ProductId;

/// The schema of this version of entitle: its `$id`, and what `entitle export` writes in the
/// modeline of the manifests it writes by default. A release build sets `ENTITLE_SCHEMA_URL`
/// (`.github/workflows/release.yml`) to where that release publishes it. Any other build does
/// not know where (or whether) it is published, and names no host it would have to guess: it
/// uses a URN naming the schema and the version (`urn:entitle:manifest-schema:0.1.0`), a valid
/// absolute URI that points at no one's repository. Editors cannot fetch it, so a manifest
/// exported by such a build names a committed copy instead (`--schema`, docs/manifests.md).
pub const SCHEMA_URL: &str = match option_env!("ENTITLE_SCHEMA_URL") {
    Some(url) => url,
    None => concat!("urn:entitle:manifest-schema:", env!("CARGO_PKG_VERSION")),
};

/// Draft-07: the newest draft yaml-language-server, Ajv's strict mode and SchemaStore all take
/// without exceptions (SchemaStore refuses 2019-09 and 2020-12 as "too high" for editors
/// unless a schema is listed as an exception).
/// Every subschema is inlined: no `$ref`, so no type name of ours reaches an editor, and no
/// keyword sits beside a `$ref` (which draft-07 ignores).
pub(super) fn schema_value() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut settings = SchemaSettings::draft07();
        settings.inline_subschemas = true;
        let schema = settings
            .into_generator()
            .into_root_schema_for::<v1::Manifest>();
        let mut value = serde_json::to_value(schema).unwrap_or(Value::Null);
        tidy(&mut value);
        if let Value::Object(root) = &mut value {
            root.insert("$id".into(), SCHEMA_URL.into());
        }
        value
    })
}

/// The manifest JSON Schema (draft-07) as committed in `schema/manifest.schema.json`:
/// pretty-printed with a trailing newline, keys sorted, except in the bodies of
/// `defaultSnippets`, which keep the manifest's field order: editors insert them in the order
/// they are written (`version` first, `sn` first).
pub fn schema_json() -> String {
    let mut s = String::new();
    write_pretty(schema_value(), 0, false, &mut s);
    s.push('\n');
    s
}

/// Writes `v` as `serde_json::to_string_pretty` does, keys in field order inside snippets.
fn write_pretty(v: &Value, depth: usize, in_snippet: bool, out: &mut String) {
    let indent = |d: usize| "  ".repeat(d);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut keys: Vec<&String> = m.keys().collect();
            if in_snippet {
                let order: Vec<&str> = fields_of::<v1::Manifest>()
                    .iter()
                    .chain(fields_of::<v1::PbxEntry>())
                    .copied()
                    .collect();
                keys.sort_by_key(|k| order.iter().position(|f| f == k).unwrap_or(usize::MAX));
            }
            out.push_str("{\n");
            for (i, k) in keys.iter().enumerate() {
                out.push_str(&indent(depth + 1));
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                write_pretty(&m[*k], depth + 1, in_snippet || *k == "body", out);
                out.push_str(if i + 1 < keys.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&indent(depth + 1));
                write_pretty(item, depth + 1, in_snippet, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&indent(depth));
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Readies schemars' output for editors and strict validators:
/// - takes `null` out: schemars allows it for every `Option` field, but a field left out is
///   how a manifest says "don't care", and `plan:` with nothing after it is a mistake;
/// - doc comments become `markdownDescription` (lines unwrapped into paragraphs) and a plain
///   `description` without the markdown, for tools that show text as it is;
/// - an enum documented per value (schemars writes `oneOf` of `const`s) becomes `enum` with
///   `enumDescriptions` and `markdownEnumDescriptions`, which editors show on hover and in
///   completion, and which keep the loader's "did you mean" for unknown values;
/// - drops `format` (`uint32`): no validator knows it, and Ajv's strict mode refuses it.
fn tidy(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::Array(types)) = m.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let t = types.remove(0);
                    m.insert("type".into(), t);
                }
            }
            let is_null = |s: &Value| s.get("type").and_then(Value::as_str) == Some("null");
            if let Some(Value::Array(branches)) = m.get_mut("anyOf")
                && branches.iter().any(is_null)
            {
                branches.retain(|b| !is_null(b));
                if branches.len() == 1
                    && let Some(Value::Object(only)) = branches.pop()
                {
                    m.remove("anyOf");
                    for (k, val) in only {
                        m.entry(k).or_insert(val);
                    }
                }
            }
            if let Some(Value::String(d)) = m.get("description") {
                let markdown = unwrap_lines(d);
                m.insert("description".into(), plain(&markdown).into());
                m.insert("markdownDescription".into(), markdown.into());
            }
            m.remove("format");
            if let Some(values) = m.get("oneOf").and_then(documented_values) {
                m.remove("oneOf");
                let (values, docs): (Vec<Value>, Vec<String>) = values.into_iter().unzip();
                let docs: Vec<String> = docs.iter().map(|d| unwrap_lines(d)).collect();
                m.insert("type".into(), "string".into());
                m.insert("enum".into(), values.into());
                m.insert(
                    "enumDescriptions".into(),
                    docs.iter().map(|d| plain(d)).collect::<Vec<_>>().into(),
                );
                m.insert("markdownEnumDescriptions".into(), docs.into());
            }
            for (_, child) in m.iter_mut() {
                tidy(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

/// Doc-comment lines joined into paragraphs.
fn unwrap_lines(doc: &str) -> String {
    doc.split("\n\n")
        .map(|para| para.replace('\n', " "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Markdown as plain text: code spans and emphasis unmarked.
pub(super) fn plain(markdown: &str) -> String {
    markdown.replace("**", "").replace('`', "")
}

/// The values and their docs of a `oneOf` that lists documented string constants only.
fn documented_values(one_of: &Value) -> Option<Vec<(Value, String)>> {
    one_of
        .as_array()?
        .iter()
        .map(|branch| {
            let value = branch.get("const").filter(|c| c.is_string())?;
            let doc = branch.get("description")?.as_str()?;
            Some((value.clone(), doc.to_owned()))
        })
        .collect()
}

/// A problem found by the schema, with the JSON pointer of the value it is about.
#[derive(Debug)]
pub(super) struct SchemaProblem {
    pub pointer: String,
    pub diagnostic: Diagnostic,
    rank: Rank,
}

/// Which of several errors about one value to keep: a value of the wrong type fails its
/// other constraints too (`product: 12` is not text and not one of the products), and only
/// the most telling message is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// Not one of the allowed values: names them, suggests the closest.
    Enum,
    /// The wrong type.
    Type,
    /// A rule across fields (a Cloud PBX's extensions, monthly billing's term): says more
    /// than the plain range the same value may also be outside.
    Rule,
    /// Anything else.
    Other,
}

/// Validates a document against the schema; every error, located and worded for people.
pub(super) fn validate(doc: &Value, map: &PositionMap, file: &Arc<str>) -> Vec<SchemaProblem> {
    let errors = check::errors(schema_value(), doc);
    if let Some(pattern) = errors.iter().find_map(unknown_pattern) {
        // Every pattern of the schema has a predicate, which a test checks; unreachable.
        return vec![SchemaProblem {
            pointer: String::new(),
            diagnostic: Diagnostic::new(
                Code::InternalError,
                None,
                format!("internal error: the manifest schema's pattern `{pattern}` has no check"),
            )
            .with_path(file.clone()),
            rank: Rank::Other,
        }];
    }
    let mut t = Translator {
        doc,
        map,
        file,
        code: Code::SchemaViolation,
        out: Vec::new(),
    };
    for e in &errors {
        t.error(e);
    }
    let best: std::collections::HashMap<String, Rank> =
        t.out.iter().fold(Default::default(), |mut m, p| {
            let r = m.entry(p.pointer.clone()).or_insert(p.rank);
            *r = (*r).min(p.rank);
            m
        });
    t.out.retain(|p| match best.get(&p.pointer) {
        Some(Rank::Other) | None => true,
        Some(r) => p.rank == *r,
    });
    t.out
}

/// A pattern of the schema the validator has no predicate for, wherever the error is.
fn unknown_pattern(e: &SchemaError<'_>) -> Option<&'static str> {
    match &e.kind {
        ErrorKind::UnknownPattern { pattern } => Some(pattern),
        ErrorKind::PropertyNames { error } => unknown_pattern(error),
        ErrorKind::AnyOf { context } => context.iter().flatten().find_map(unknown_pattern),
        _ => None,
    }
}

struct Translator<'a> {
    doc: &'a Value,
    map: &'a PositionMap,
    file: &'a Arc<str>,
    /// The code of the error being worded (set by [`Translator::error`]), so every problem
    /// worded from it carries the code of its kind.
    code: Code,
    out: Vec<SchemaProblem>,
}

/// The code of a schema error's kind.
fn code_of(e: &SchemaError<'_>) -> Code {
    match &e.kind {
        ErrorKind::AdditionalProperties { .. } => Code::UnknownField,
        ErrorKind::Required { .. } => Code::MissingField,
        ErrorKind::Type { .. } | ErrorKind::AnyOf { .. } => Code::WrongType,
        ErrorKind::Enum { .. } => Code::UnknownValue,
        // `version: "1"`: the right value written as text.
        ErrorKind::Constant { .. } if e.instance.is_string() => Code::WrongType,
        ErrorKind::Constant { .. } if e.instance_path == "/version" => Code::UnsupportedVersion,
        ErrorKind::Constant { .. } => Code::UnknownValue,
        ErrorKind::Minimum { .. }
        | ErrorKind::ExclusiveMinimum { .. }
        | ErrorKind::Maximum { .. }
        | ErrorKind::ExclusiveMaximum { .. } => Code::OutOfRange,
        ErrorKind::MinLength { .. } | ErrorKind::MaxLength { .. } => Code::InvalidLength,
        ErrorKind::Pattern { .. } => Code::InvalidFormat,
        ErrorKind::MinProperties { .. } => Code::InvalidService,
        ErrorKind::PropertyNames { .. } => Code::InvalidLabelKey,
        ErrorKind::UnknownPattern { .. } => Code::InternalError,
        ErrorKind::Not | ErrorKind::FalseSchema | ErrorKind::UniqueItems | ErrorKind::Contains => {
            Code::SchemaViolation
        }
    }
}

fn type_name(t: JsonType) -> &'static str {
    match t {
        JsonType::String => "text",
        JsonType::Integer => "a whole number",
        JsonType::Number => "a number",
        JsonType::Boolean => "`true` or `false`",
        JsonType::Array => "a list",
        JsonType::Object => "a mapping",
        JsonType::Null => "nothing",
    }
}

fn join_or(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The fields a struct declares, in declaration order, as serde names them.
fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Grab<'g>(&'g mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Grab<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("fields only"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields only"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Grab(&mut fields));
    fields
}

/// The mapping at `pointer`: what to call its fields, the fields, and whether it takes free
/// `x-` keys.
fn object_fields(pointer: &str) -> Option<(&'static str, &'static [&'static str], bool)> {
    let segs: Vec<String> = segments(pointer).collect();
    let index = |s: &String| s.parse::<usize>().is_ok();
    let (what, fields) = match segs.as_slice() {
        [] => ("top-level fields", fields_of::<v1::Manifest>()),
        [d] if d == "defaults" => ("fields of `defaults`", fields_of::<v1::Defaults>()),
        [p, i] if p == "pbxs" && index(i) => ("fields of a PBX entry", fields_of::<v1::PbxEntry>()),
        [p, i, s, j] if p == "pbxs" && index(i) && s == "services" && index(j) => {
            ("fields of a service", fields_of::<v1::ServiceObject>())
        }
        _ => return None,
    };
    Some((what, fields, v1::takes_free_keys(pointer)))
}

/// What a pointer names, for messages: `term`, label `site`, item 2 of `services`.
fn subject(pointer: &str) -> String {
    let segs: Vec<String> = segments(pointer).collect();
    match segs.as_slice() {
        [] => "the manifest".to_owned(),
        [.., parent, key] if parent == "labels" && segs.len() >= 2 => format!("label `{key}`"),
        [.., parent, idx] if idx.parse::<usize>().is_ok() => {
            let n = idx.parse::<usize>().unwrap_or(0) + 1;
            if parent == "pbxs" {
                format!("PBX entry {n}")
            } else {
                format!("item {n} of `{parent}`")
            }
        }
        [.., key] => format!("`{key}`"),
    }
}

fn field_name(pointer: &str) -> String {
    segments(pointer).last().unwrap_or_default()
}

/// How a service is written, for the problems of a service mapping.
const SERVICE_FORMS: &str = "write a service as its name, `{name: ...}` or `{id: ...}`";

/// A Cloud PBX's extensions.
const CLOUD_PBX: std::ops::RangeInclusive<u32> = ProductId::CLOUD_PBX_EXTENSIONS;

/// Whether a schema limit is `n`.
fn is(limit: &Value, n: u32) -> bool {
    limit.as_u64() == Some(u64::from(n))
}

/// A value as messages quote it.
fn found(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("text `{}`", short(s)),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s.to_owned()
    }
}

impl Translator<'_> {
    fn loc(&self, p: Pos) -> Option<Loc> {
        Some(Loc {
            file: self.file.clone(),
            line: p.line,
            column: p.column,
        })
    }

    fn push(&mut self, pointer: &str, at: Pos, message: String, help: Option<String>) {
        self.push_ranked(Rank::Other, pointer, at, message, help);
    }

    fn push_ranked(
        &mut self,
        rank: Rank,
        pointer: &str,
        at: Pos,
        message: String,
        help: Option<String>,
    ) {
        let mut d = Diagnostic::new(self.code, self.loc(at), message);
        d.help = help;
        self.out.push(SchemaProblem {
            pointer: pointer.to_owned(),
            diagnostic: d,
            rank,
        });
    }

    /// The scalar text written at `pointer`, if a scalar is there.
    fn raw(&self, pointer: &str) -> Option<String> {
        match self.map.find(pointer) {
            Some((n, _)) => match &n.kind {
                Kind::Scalar(s) => Some(s.text.clone()),
                _ => None,
            },
            None => None,
        }
    }

    /// Words one schema error.
    fn error(&mut self, e: &SchemaError<'_>) {
        let outer = std::mem::replace(&mut self.code, code_of(e));
        self.describe(e);
        self.code = outer;
    }

    fn describe(&mut self, e: &SchemaError<'_>) {
        let pointer = e.instance_path.clone();
        let schema_path = e.schema_path.as_str();
        let at = self.map.value_pos(&pointer);
        let instance: &Value = &e.instance;
        let subj = subject(&pointer);
        match &e.kind {
            ErrorKind::AdditionalProperties { unexpected } => {
                let (what, fields, free) =
                    object_fields(&pointer).unwrap_or(("fields", &[], false));
                for key in unexpected {
                    let member = push_segment(&pointer, key);
                    let key_at = self.map.key_pos(&member);
                    let mut message = format!("unknown field `{key}`");
                    if let Some(s) = suggest(key, fields.iter().copied()) {
                        message.push_str(&format!(", did you mean `{s}`?"));
                    }
                    let help = (!fields.is_empty()).then(|| {
                        let free = if free {
                            "; keys starting with `x-` are ignored (room for YAML anchors)"
                        } else {
                            ""
                        };
                        format!("{what}: {}{free}", fields.join(", "))
                    });
                    self.push(&member, key_at, message, help);
                }
            }
            ErrorKind::Required { property } if matches!(*property, "product" | "productId") => {
                // Neither form of the product, here or in `defaults`: one problem, whichever
                // form was tried.
                self.push(
                    &pointer,
                    at,
                    format!("{} names no product", self.pbx_name(&pointer)),
                    Some(v1::ADD_PRODUCT.to_owned()),
                );
            }
            ErrorKind::Required { property } => {
                let p = *property;
                let help = match (pointer.as_str(), p) {
                    ("", "version") => Some("start the file with `version: 1`".to_owned()),
                    ("", "pbxs") => Some(
                        "list the PBXs under `pbxs:`, each starting with `- sn: ...`".to_owned(),
                    ),
                    (_, "sn") => Some(
                        "every PBX entry starts with its serial number: `- sn: ...`".to_owned(),
                    ),
                    _ => None,
                };
                self.push(&pointer, at, format!("{subj} is missing `{p}`"), help);
            }
            ErrorKind::Type { want } => {
                self.type_error(&pointer, at, want, instance);
            }
            ErrorKind::Enum { options } => {
                let opts: Vec<&str> = options
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let quoted: Vec<String> = opts.iter().map(|o| format!("`{o}`")).collect();
                let mut message = format!(
                    "{subj} must be {}, found {}",
                    join_or(&quoted.iter().map(String::as_str).collect::<Vec<_>>()),
                    found(instance)
                );
                if let Some(s) = instance
                    .as_str()
                    .and_then(|v| suggest(v, opts.iter().copied()))
                {
                    message = format!(
                        "{subj} `{}` is not known, did you mean `{s}`?",
                        instance.as_str().unwrap_or_default()
                    );
                }
                let help = (field_name(&pointer) == "product")
                    .then(|| "products: `linkus` (9), `appliance` (11), `software-edition` (12), `cloud-pbx` (13); or write `productId: N`".to_owned());
                self.push_ranked(Rank::Enum, &pointer, at, message, help);
            }
            // The rules across fields on numbers, "past the limit, then the limit" (an editor
            // words a `const` with the schema's message, not a `maximum`), told by field and
            // limit.
            ErrorKind::Constant { expected }
                if field_name(&pointer) == "term" && is(expected, v1::MAX_MONTHLY_TERM) =>
            {
                self.monthly_term(&pointer, at, instance);
            }
            ErrorKind::Constant { expected }
                if field_name(&pointer) == "extensions"
                    && (is(expected, *CLOUD_PBX.start()) || is(expected, *CLOUD_PBX.end())) =>
            {
                let (lo, hi) = (CLOUD_PBX.start(), CLOUD_PBX.end());
                self.code = Code::OutOfRange;
                self.push_ranked(
                    Rank::Rule,
                    &pointer,
                    at,
                    format!(
                        "a Cloud PBX has {lo} to {hi} extensions; `extensions: {instance}` is outside that"
                    ),
                    None,
                );
            }
            ErrorKind::Constant { .. } => {
                if pointer == "/version" && instance.is_string() {
                    self.push(
                        &pointer,
                        at,
                        format!("`version` must be the number 1, found {}", found(instance)),
                        Some("write `version: 1`, without quotes".to_owned()),
                    );
                } else if pointer == "/version" {
                    self.push(
                        &pointer,
                        at,
                        format!(
                            "unsupported manifest version {}; this entitle reads version 1",
                            found(instance)
                        ),
                        Some(
                            "write `version: 1`, or upgrade entitle if the manifest is newer"
                                .to_owned(),
                        ),
                    );
                } else {
                    self.push(
                        &pointer,
                        at,
                        format!("{subj} has an unexpected value {}", found(instance)),
                        None,
                    );
                }
            }
            ErrorKind::Minimum { limit } | ErrorKind::ExclusiveMinimum { limit } => {
                let help = self.range_help(&pointer);
                self.push(
                    &pointer,
                    at,
                    format!("{subj} must be at least {limit}, found {}", found(instance)),
                    help,
                );
            }
            ErrorKind::Maximum { limit } | ErrorKind::ExclusiveMaximum { limit } => {
                let help = self.range_help(&pointer);
                self.push(
                    &pointer,
                    at,
                    format!("{subj} must be at most {limit}, found {}", found(instance)),
                    help,
                );
            }
            ErrorKind::MinLength { .. } => {
                self.push(&pointer, at, format!("{subj} must not be empty"), None);
            }
            ErrorKind::MaxLength { limit } => {
                self.push(
                    &pointer,
                    at,
                    format!("{subj} is too long (at most {limit} characters)"),
                    None,
                );
            }
            ErrorKind::Pattern { pattern }
                if v1::CAPACITY_SERVICES
                    .iter()
                    .any(|(service, _)| *pattern == v1::not_capacity_pattern(service)) =>
            {
                let name = instance.as_str().unwrap_or_default().trim();
                let field = v1::capacity_field(name);
                self.code = Code::CapacityAsService;
                self.push(
                    &pointer,
                    at,
                    format!("`{}` is capacity, not a service to list", short(name)),
                    Some(format!(
                        "set `{}:` to the TOTAL wanted; entitle buys the difference",
                        field.unwrap_or("extensions` or `concurrentCalls")
                    )),
                );
            }
            ErrorKind::Pattern { pattern } => self.pattern_error(&pointer, at, pattern, instance),
            ErrorKind::MinProperties { .. } => {
                // Only a service object has one: `{}`.
                self.push(
                    &pointer,
                    at,
                    format!("{subj} is empty; give `name` or `id`"),
                    Some(SERVICE_FORMS.to_owned()),
                );
            }
            ErrorKind::Not => {
                self.push(&pointer, at, format!("{subj} is not allowed here"), None);
            }
            ErrorKind::FalseSchema => {
                self.code = Code::ConflictingFields;
                // `dependencies: {a: {properties: {b: false}}}`: `b` where `a` already is.
                let pair = schema_path
                    .split_once("/dependencies/")
                    .and_then(|(_, rest)| rest.split_once("/properties/"));
                if let (Some(("name", "id")), Some(service)) = (pair, pointer.strip_suffix("/id")) {
                    // A service as `{name: ..., id: ...}`: said of the service, at its place.
                    self.code = Code::InvalidService;
                    self.push(
                        service,
                        self.map.value_pos(service),
                        format!(
                            "{} gives both `name` and `id`; give only one",
                            subject(service)
                        ),
                        Some(SERVICE_FORMS.to_owned()),
                    );
                    return;
                }
                let key_at = self.map.key_pos(&pointer);
                let message = match pair {
                    Some((a, b)) => {
                        format!("`{a}` and `{b}` are two ways to say the same thing; give only one")
                    }
                    None => format!("{subj} is not allowed here"),
                };
                self.push(&pointer, key_at, message, None);
            }
            ErrorKind::UniqueItems => {
                // Reported by `resolve` at each repeated item, naming the first, and also
                // when the two are written differently (`HA` and `{name: ha}`).
            }
            ErrorKind::PropertyNames { error } => {
                let key = error.instance.as_str().unwrap_or_default().to_owned();
                let member = push_segment(&pointer, &key);
                let key_at = self.map.key_pos(&member);
                self.push(
                    &member,
                    key_at,
                    format!("label key `{}` {}", short(&key), v1::LABEL_KEY_RULE),
                    None,
                );
            }
            ErrorKind::AnyOf { context } => {
                self.alternatives(&pointer, at, context, instance);
            }
            ErrorKind::Contains => {
                self.push(
                    &pointer,
                    at,
                    format!("{subj} has no item of the kind it needs"),
                    None,
                );
            }
            ErrorKind::UnknownPattern { pattern } => {
                self.push(
                    &pointer,
                    at,
                    format!("internal error: the schema's pattern `{pattern}` has no check"),
                    None,
                );
            }
        }
    }

    /// `anyOf`/`oneOf` failed: report the errors of the alternative the value's type fits
    /// (a mapping written for a service: the `{name}`/`{id}` form's errors), or say which
    /// types would do.
    fn alternatives(
        &mut self,
        pointer: &str,
        at: Pos,
        context: &[Vec<SchemaError<'_>>],
        instance: &Value,
    ) {
        let type_mismatch = |errs: &Vec<SchemaError<'_>>| {
            errs.iter()
                .any(|e| e.instance_path == pointer && matches!(e.kind, ErrorKind::Type { .. }))
        };
        let fitting: Vec<&Vec<SchemaError<'_>>> =
            context.iter().filter(|errs| !type_mismatch(errs)).collect();
        if let Some(best) = fitting.iter().min_by_key(|errs| errs.len()) {
            for e in best.iter() {
                self.error(e);
            }
            return;
        }
        let mut want: Vec<JsonType> = Vec::new();
        for errs in context {
            for e in errs {
                if let ErrorKind::Type { want: types } = &e.kind {
                    for t in types {
                        if !want.contains(t) {
                            want.push(*t);
                        }
                    }
                }
            }
        }
        self.type_error(pointer, at, &want, instance);
    }

    fn type_error(&mut self, pointer: &str, at: Pos, want: &[JsonType], instance: &Value) {
        let subj = subject(pointer);
        let names: Vec<&str> = want.iter().map(|t| type_name(*t)).collect();
        let field = field_name(pointer);
        let raw = self.raw(pointer);
        let wants_text = want.contains(&JsonType::String);
        let help = if pointer.is_empty() {
            Some("a manifest is a mapping: `version: 1`, then `pbxs:` listing the PBXs".to_owned())
        } else if instance.is_null() {
            Some(
                "a key with nothing after it is empty (null): give a value or remove the key"
                    .to_owned(),
            )
        } else if field == "renewBefore" && !instance.is_null() {
            Some("write days or weeks with a unit: `30d`, `4w`".to_owned())
        } else if field == "plan" && instance.is_number() {
            Some(format!(
                "to name a plan by its ID write `planId: {}`",
                raw.unwrap_or_default()
            ))
        } else if field == "pbxs" && instance.is_object() {
            Some("`pbxs` is a list: start each PBX with `- sn: ...`".to_owned())
        } else if pointer.starts_with("/pbxs/") && pointer.matches('/').count() == 2 {
            Some("each PBX is a mapping that starts with `- sn: ...`".to_owned())
        } else if want.contains(&JsonType::Boolean)
            && matches!(
                raw.as_deref().map(str::to_lowercase).as_deref(),
                Some("yes" | "no" | "on" | "off" | "y" | "n")
            )
        {
            Some("YAML 1.2 reads this as text; write `true` or `false`".to_owned())
        } else if wants_text && (instance.is_number() || instance.is_boolean()) {
            raw.map(|r| format!("quote it to keep it as text: `\"{r}\"`"))
        } else {
            None
        };
        let message = if pointer.is_empty() {
            format!("a manifest must be a mapping, found {}", found(instance))
        } else if field == "renewBefore" {
            format!(
                "{subj} must be a duration such as `30d`, found {}",
                found(instance)
            )
        } else {
            format!(
                "{subj} must be {}, found {}",
                join_or(&names),
                found(instance)
            )
        };
        self.push_ranked(Rank::Type, pointer, at, message, help);
    }

    /// `term` over one year under monthly billing, wherever the two were written: names the
    /// PBX and where its cycle is set.
    fn monthly_term(&mut self, pointer: &str, at: Pos, term: &Value) {
        self.code = Code::ConflictingFields;
        let years = format!("`term: {term}` asks for a {term}-year term");
        let monthly = |v: Option<&Value>| {
            v.and_then(|m| m.get("billingCycle"))
                .and_then(Value::as_str)
                == Some("monthly")
        };
        let entry = pointer
            .strip_suffix("/term")
            .filter(|e| e.starts_with("/pbxs/"));
        let message = if let Some(entry) = entry {
            let own = self.doc.pointer(entry).and_then(|e| e.get("billingCycle"));
            let cycle = match own {
                Some(_) => format!("{entry}/billingCycle"),
                None => "/defaults/billingCycle".to_owned(),
            };
            format!(
                "{years}, but {} is billed monthly ({})",
                self.pbx_name(entry),
                self.place(&cycle)
            )
        } else if monthly(self.doc.get("defaults")) {
            format!(
                "{years}, but `defaults` sets monthly billing ({})",
                self.place("/defaults/billingCycle")
            )
        } else {
            // The term of `defaults`, inherited by an entry billed monthly by its own cycle.
            let entries = self.doc.get("pbxs").and_then(Value::as_array);
            let first = entries.and_then(|e| {
                e.iter()
                    .position(|e| monthly(Some(e)) && e.get("term").is_none())
            });
            match first {
                Some(i) => format!(
                    "{years}, but {} is billed monthly ({}) and takes this term",
                    self.pbx_name(&format!("/pbxs/{i}")),
                    self.place(&format!("/pbxs/{i}/billingCycle"))
                ),
                None => format!("{years}, but monthly billing has no multi-year term"),
            }
        };
        self.push_ranked(
            Rank::Rule,
            pointer,
            at,
            message,
            Some(v1::MONTHLY_TERM.to_owned()),
        );
    }

    /// A PBX entry as messages name it: by its SN as written, else by its place in the list.
    fn pbx_name(&self, entry: &str) -> String {
        match self.raw(&format!("{entry}/sn")) {
            Some(sn) => format!("PBX `{}`", short(&sn)),
            None => subject(entry),
        }
    }

    /// Where the value at `pointer` is, for a message about another value of the same file.
    fn place(&self, pointer: &str) -> String {
        let p = self.map.value_pos(pointer);
        format!("line {}, column {}", p.line, p.column)
    }

    fn range_help(&self, pointer: &str) -> Option<String> {
        match field_name(pointer).as_str() {
            "term" => Some("`term` is the number of years per annual term, 1 to 5".to_owned()),
            "planId" | "id" | "billingContact" => {
                Some("IDs are positive numbers of up to 19 digits".to_owned())
            }
            _ => None,
        }
    }

    fn pattern_error(&mut self, pointer: &str, at: Pos, pattern: &str, instance: &Value) {
        let v = short(instance.as_str().unwrap_or_default());
        let subj = subject(pointer);
        // A contact fits neither of its text forms (e-mail, ID): say so, whichever was tried.
        let contact = field_name(pointer) == "billingContact";
        let (message, help) = match pattern {
            _ if contact => (
                format!("billing contact `{v}` is neither an e-mail address nor a numeric ID"),
                Some("write the contact's e-mail (`billing@example.com`) or its ID (`3197218168379846218`)".to_owned()),
            ),
            v1::SN_PATTERN => (
                format!("SN `{v}` must be letters and digits only (at most 64)"),
                Some("write the serial number as the PBX shows it, e.g. `3651D3296882`".to_owned()),
            ),
            v1::ID_PATTERN => (
                format!("{subj} `{v}` is not an ID; IDs are 1 to 19 digits, not starting with 0"),
                None,
            ),
            v1::DURATION_PATTERN => match v1::RenewBefore::parse(&v) {
                // A well-formed duration that is only too long: the pattern is how the schema
                // says "at most a year".
                Some(rb) => {
                    self.code = Code::OutOfRange;
                    (
                        format!("{subj} `{v}` is {} days, longer than a year", rb.days()),
                        Some(format!(
                            "renewal windows are at most {}d (52w)",
                            v1::MAX_RENEW_BEFORE_DAYS
                        )),
                    )
                }
                None => (
                    format!("{subj} `{v}` is not a duration"),
                    Some(if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() {
                        format!("add a unit: `{v}d` (days) or `{v}w` (weeks)")
                    } else {
                        "write days or weeks: `30d`, `4w`".to_owned()
                    }),
                ),
            },
            v1::LABEL_VALUE_PATTERN => (format!("{subj} holds a control character"), None),
            _ => (format!("{subj} `{v}` does not match `{pattern}`"), None),
        };
        self.push(pointer, at, message, help);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_compiles_and_names_every_field() {
        assert!(jsonschema::validator_for(schema_value()).is_ok());
        let s = schema_json();
        for f in fields_of::<v1::PbxEntry>() {
            assert!(s.contains(&format!("\"{f}\"")), "{f}");
        }
        assert!(s.ends_with("}\n"));
        assert_eq!(fields_of::<v1::Manifest>(), ["version", "defaults", "pbxs"]);
    }

    #[test]
    fn the_printed_schema_is_the_schema_with_snippets_in_field_order() {
        let s = schema_json();
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), *schema_value());
        let firsts: Vec<&str> = s
            .match_indices("\"body\": {")
            .map(|(i, m)| {
                s[i + m.len()..]
                    .trim_start()
                    .split('"')
                    .nth(1)
                    .unwrap_or("")
            })
            .collect();
        assert_eq!(firsts, ["version", "sn"]);
    }

    #[test]
    fn no_type_name_of_ours_reaches_an_editor() {
        use schemars::JsonSchema;
        let s = schema_json();
        assert!(!s.contains("$ref") && !s.contains("definitions"));
        for name in [
            v1::Manifest::schema_name(),
            v1::Defaults::schema_name(),
            v1::PbxEntry::schema_name(),
            v1::Sn::schema_name(),
            v1::ProductAlias::schema_name(),
            v1::BillingCycle::schema_name(),
            v1::CatalogId::schema_name(),
            v1::ServiceRef::schema_name(),
            v1::ServiceObject::schema_name(),
            v1::BillingContact::schema_name(),
            v1::RenewBefore::schema_name(),
            v1::Labels::schema_name(),
        ] {
            // As a title, or where a `$ref` would name it.
            assert!(!s.contains(&format!("\"{name}\"")), "{name}");
            assert!(!s.contains(&format!("/{name}\"")), "{name}");
        }
    }

    #[test]
    fn an_editor_has_the_schemas_message_for_every_pattern_and_meets_no_not() {
        // yaml-language-server words a failed `pattern` as the regex, a failed `not` as
        // "Matches a schema that is not allowed." and a failed `maxProperties` by its count:
        // every pattern it reports carries the schema's message, and neither of the others is
        // left where it reports (an `if` is a condition: its failures are never shown).
        fn walk(schema: &Value, path: &str, bad: &mut Vec<String>) {
            let Some(m) = schema.as_object() else { return };
            let worded = m.contains_key("patternErrorMessage") || m.contains_key("errorMessage");
            if m.contains_key("pattern") && !worded {
                bad.push(format!("{path}: a pattern without a message"));
            }
            for keyword in ["not", "maxProperties"] {
                if m.contains_key(keyword) {
                    bad.push(format!("{path}: `{keyword}`"));
                }
            }
            for (k, v) in m {
                let here = format!("{path}/{k}");
                match k.as_str() {
                    "properties" | "patternProperties" | "dependencies" | "definitions" => {
                        for (name, sub) in v.as_object().into_iter().flatten() {
                            walk(sub, &format!("{here}/{name}"), bad);
                        }
                    }
                    "allOf" | "anyOf" | "oneOf" | "items" if v.is_array() => {
                        for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                            walk(sub, &format!("{here}/{i}"), bad);
                        }
                    }
                    "additionalProperties"
                    | "propertyNames"
                    | "items"
                    | "contains"
                    | "then"
                    | "else" => walk(v, &here, bad),
                    _ => {}
                }
            }
        }
        let mut bad = Vec::new();
        walk(schema_value(), "#", &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
        // The walk reaches the worded rules (a capacity service's pattern, in a service).
        assert!(
            schema_json().contains("patternErrorMessage")
                && schema_json().contains("`Extension Expansion` is capacity")
        );
    }

    #[test]
    fn subjects_read_naturally() {
        assert_eq!(subject(""), "the manifest");
        assert_eq!(subject("/pbxs/0/term"), "`term`");
        assert_eq!(subject("/pbxs/2"), "PBX entry 3");
        assert_eq!(subject("/pbxs/0/services/1"), "item 2 of `services`");
        assert_eq!(subject("/pbxs/0/labels/site"), "label `site`");
        assert_eq!(subject("/defaults/labels/a~1b"), "label `a/b`");
    }
}
