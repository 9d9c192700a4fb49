//! From a schema-checked document to [`DesiredPbx`] values: the checks on how values were
//! written (an SN YAML would turn into a different number, a decimal where a whole number
//! belongs), decoding into the [`v1`] types, applying `defaults`, and the rules no schema can
//! express (a service listed twice in two spellings, a pair declared twice). Every problem is collected, none stops the others; every
//! value keeps its place. The rules across fields a schema can express are the schema's (see
//! [`v1`]): they reach this module only as problems already worded.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::desired::{CatalogRef, ContactRef, DEFAULT_RENEW_BEFORE_DAYS, DesiredPbx, Loc, Located};
use super::diagnostic::{Code, Diagnostic};
use super::node::{IntValue, Kind, Node, Pos, PositionMap, Resolved, Style, push_segment};
use super::schema::SchemaProblem;
use super::v1::{self, BillingContact, PbxEntry, ServiceRef, is_free_key};
use crate::model::{Cycle, ProductId};

/// The outcome of one file: the PBXs that resolved, and every problem found.
pub(super) struct FileOutcome {
    pub pbxs: Vec<DesiredPbx>,
    pub problems: Vec<Diagnostic>,
}

struct Ctx<'a> {
    file: &'a Arc<str>,
    map: &'a PositionMap,
    problems: Vec<Diagnostic>,
}

impl Ctx<'_> {
    fn loc(&self, p: Pos) -> Loc {
        Loc {
            file: self.file.clone(),
            line: p.line,
            column: p.column,
        }
    }
    fn value_loc(&self, pointer: &str) -> Loc {
        self.loc(self.map.value_pos(pointer))
    }
    fn key_loc(&self, pointer: &str) -> Loc {
        self.loc(self.map.key_pos(pointer))
    }
    fn error(&mut self, code: Code, at: Loc, message: impl Into<String>, help: Option<String>) {
        let mut d = Diagnostic::new(code, Some(at), message);
        d.help = help;
        self.problems.push(d);
    }
}

fn covers(prefix: &str, pointer: &str) -> bool {
    pointer == prefix
        || (pointer.len() > prefix.len()
            && pointer.starts_with(prefix)
            && pointer.as_bytes()[prefix.len()] == b'/')
}

/// Checks a file whose tree and schema problems are known; returns its PBXs and problems.
pub(super) fn resolve_file(
    file: &Arc<str>,
    map: &PositionMap,
    doc: &Value,
    schema_problems: Vec<SchemaProblem>,
) -> FileOutcome {
    let mut cx = Ctx {
        file,
        map,
        problems: Vec::new(),
    };

    // How values were written: these checks see what the schema cannot (the SN `0123` is the
    // number 123 to YAML and to the schema alike).
    let mut literal: Vec<(String, Diagnostic)> = Vec::new();
    literal_checks(map.root(), "", file, &mut literal);
    let sn_pointers: HashSet<&str> = literal
        .iter()
        .filter(|(p, _)| is_sn_pointer(p))
        .map(|(p, _)| p.as_str())
        .collect();
    let schema_pointers: HashSet<String> =
        schema_problems.iter().map(|s| s.pointer.clone()).collect();
    let mut bad: Vec<String> = Vec::new();
    for sp in schema_problems {
        // The SN's own message (quote it) says more than "must be text or a whole number".
        if !sn_pointers.contains(sp.pointer.as_str()) {
            bad.push(sp.pointer);
            cx.problems.push(sp.diagnostic);
        }
    }
    for (pointer, d) in literal {
        if is_sn_pointer(&pointer) || !schema_pointers.contains(&pointer) {
            bad.push(pointer);
            cx.problems.push(d);
        }
    }
    // A member with a problem is left out and the rest of its mapping checked on, so one
    // typo does not hide the other problems of an entry.
    let defaults_json = doc
        .get("defaults")
        .and_then(|d| usable(d, "/defaults", &bad));
    let defaults: v1::Defaults = match &defaults_json {
        Some((d, _)) => match serde_json::from_value(d.clone()) {
            Ok(d) => d,
            Err(e) => {
                internal(&mut cx, "/defaults", &e);
                v1::Defaults::default()
            }
        },
        None => v1::Defaults::default(),
    };

    let mut pbxs = Vec::new();
    if let Some(entries) = doc.get("pbxs").and_then(Value::as_array) {
        for (i, raw) in entries.iter().enumerate() {
            let pointer = format!("/pbxs/{i}");
            let Some((mut entry, dropped)) = usable(raw, &pointer, &bad) else {
                continue;
            };
            if dropped.contains("sn") {
                continue;
            }
            let services = if dropped.contains("services") {
                None
            } else {
                services_of(&entry, &pointer, &bad)
            };
            if let Some(o) = entry.as_object_mut() {
                o.remove("services");
            }
            match serde_json::from_value::<PbxEntry>(entry) {
                Ok(entry) => {
                    if let Some(p) = resolve_entry(&mut cx, &pointer, entry, services, &defaults) {
                        pbxs.push(p);
                    }
                }
                Err(e) => internal(&mut cx, &pointer, &e),
            }
        }
    }
    FileOutcome {
        pbxs,
        problems: cx.problems,
    }
}

/// A mapping without its members that have problems, and their names; `None` when the
/// mapping itself has a problem (not a mapping, a required member missing). Free `x-` keys
/// are left out too: they are the author's, not entitle's.
fn usable(value: &Value, pointer: &str, bad: &[String]) -> Option<(Value, HashSet<String>)> {
    let mut obj = value.clone();
    obj.as_object_mut()?.retain(|k, _| !is_free_key(k));
    let mut dropped = HashSet::new();
    for b in bad {
        if b == pointer {
            return None;
        }
        if covers(pointer, b) {
            let segs: Vec<String> = super::node::segments(&b[pointer.len()..]).collect();
            // A bad item of `services` is skipped when the list is read item by item.
            if segs.len() > 1 && segs[0] == "services" {
                continue;
            }
            prune(&mut obj, &segs);
            dropped.insert(segs[0].clone());
        }
    }
    Some((obj, dropped))
}

/// Removes the member a bad pointer leads to, descending through mappings only (inside a
/// list the whole list goes, so the places of the other items stay right).
fn prune(v: &mut Value, segs: &[String]) {
    let Some(obj) = v.as_object_mut() else { return };
    match segs {
        [] => {}
        [last] => {
            obj.remove(last);
        }
        [first, rest @ ..] => match obj.get_mut(first) {
            Some(child) if child.is_object() => prune(child, rest),
            _ => {
                obj.remove(first);
            }
        },
    }
}

/// The readable items of an entry's `services`, with their indices (their places).
fn services_of(raw: &Value, pointer: &str, bad: &[String]) -> Option<Vec<(usize, ServiceRef)>> {
    let list = raw.get("services")?.as_array()?;
    let mut out = Vec::new();
    for (j, item) in list.iter().enumerate() {
        let p = format!("{pointer}/services/{j}");
        if bad.iter().any(|b| covers(&p, b)) {
            continue;
        }
        if let Ok(s) = serde_json::from_value::<ServiceRef>(item.clone()) {
            out.push((j, s));
        }
    }
    Some(out)
}

fn internal(cx: &mut Ctx<'_>, pointer: &str, e: &serde_json::Error) {
    let at = cx.value_loc(pointer);
    cx.error(
        Code::InternalError,
        at,
        format!("internal error: this entry passed the schema but could not be read ({e})"),
        Some("please report this with the manifest; meanwhile rewrite the entry".to_owned()),
    );
}

/// `/pbxs/N/sn`: where the SN rules apply.
fn is_sn_pointer(pointer: &str) -> bool {
    pointer.starts_with("/pbxs/") && pointer.ends_with("/sn") && pointer.matches('/').count() == 3
}

fn is_id_field(pointer: &str) -> bool {
    pointer.ends_with("/planId")
        || pointer.ends_with("/id")
        || pointer.ends_with("/billingContact")
        || pointer.ends_with("/productId")
}

/// Checks how scalars were written, over the whole tree: the SN rule at `/pbxs/N/sn`, and
/// decimals or over-long numbers anywhere (a manifest holds none).
fn literal_checks(
    node: &Node,
    pointer: &str,
    file: &Arc<str>,
    out: &mut Vec<(String, Diagnostic)>,
) {
    let loc = |p: Pos| Loc {
        file: file.clone(),
        line: p.line,
        column: p.column,
    };
    match &node.kind {
        Kind::Map(entries) => {
            // What a free `x-` key holds is the author's; only what is merged from it into a
            // field is checked, there.
            let free_keys_here = v1::takes_free_keys(pointer);
            for e in entries {
                if free_keys_here && is_free_key(&e.key) {
                    continue;
                }
                literal_checks(&e.value, &push_segment(pointer, &e.key), file, out);
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                literal_checks(item, &format!("{pointer}/{i}"), file, out);
            }
        }
        Kind::Scalar(s) => {
            let plain = s.style == Style::Plain && s.tag.is_none();
            let is_sn = is_sn_pointer(pointer);
            let t = &s.text;
            if is_sn && plain {
                let why = sn_reading(t, s.resolve());
                if let Some(why) = why {
                    out.push((
                        pointer.to_owned(),
                        Diagnostic::new(
                            Code::UnquotedSn,
                            Some(loc(node.at)),
                            format!("SN `{t}` must be quoted: {why}"),
                        )
                        .with_help(format!("write `sn: \"{t}\"`")),
                    ));
                }
                return;
            }
            if !plain {
                return;
            }
            let field = pointer.rsplit('/').next().unwrap_or("");
            let message = match s.resolve() {
                Resolved::Float(_)
                    if t.trim_start_matches(['-', '+'])
                        .bytes()
                        .all(|b| b.is_ascii_digit()) =>
                {
                    Some((
                        Code::OutOfRange,
                        format!("`{field}` `{t}` is too large"),
                        None,
                    ))
                }
                Resolved::Float(_) if is_id_field(pointer) => Some((
                    Code::NotWholeNumber,
                    format!(
                        "`{field}` `{t}` is written as a decimal number, which cannot hold an ID exactly"
                    ),
                    Some("write every digit of the ID, e.g. `3049040650094403584`".to_owned()),
                )),
                Resolved::Float(f) => {
                    let help = (f.fract() == 0.0 && f.abs() < 1e15)
                        .then(|| format!("write `{}`", f as i64));
                    Some((
                        Code::NotWholeNumber,
                        format!("`{field}` `{t}` is a decimal number; a whole number is needed"),
                        help,
                    ))
                }
                _ => None,
            };
            if let Some((code, message, help)) = message {
                let mut d = Diagnostic::new(code, Some(loc(node.at)), message);
                d.help = help;
                out.push((pointer.to_owned(), d));
            }
        }
    }
}

/// How YAML reads an unquoted SN, when that is not the SN's own text.
fn sn_reading(t: &str, r: Resolved) -> Option<String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match r {
        _ if digits(t) && t.len() > 19 => Some(format!(
            "YAML reads `{t}` as a number, and more than 19 digits cannot be kept exactly"
        )),
        Resolved::Int(IntValue::Pos(v)) if t == v.to_string() => None,
        Resolved::Int(IntValue::Pos(v)) if t.len() > 1 && t.starts_with('0') && digits(t) => Some(
            format!("YAML reads `{t}` as the number {v}, dropping the leading zero"),
        ),
        Resolved::Int(IntValue::Pos(v)) => Some(format!("YAML reads `{t}` as the number {v}")),
        Resolved::Int(IntValue::Neg(v)) => Some(format!("YAML reads `{t}` as the number {v}")),
        Resolved::Float(_) | Resolved::Unrepresentable if t.contains(['e', 'E']) => {
            let (m, e) = t.split_once(['e', 'E']).unwrap_or((t, ""));
            let (sign, e) = match e.strip_prefix('-') {
                Some(rest) => ("-", rest),
                None => ("", e.trim_start_matches('+')),
            };
            let e = match e.trim_start_matches('0') {
                "" => "0",
                e => e,
            };
            Some(format!(
                "YAML reads `{t}` as a number with an exponent ({m} \u{d7} 10^{sign}{e})"
            ))
        }
        Resolved::Float(f) => Some(format!("YAML reads `{t}` as the decimal number {f}")),
        Resolved::Unrepresentable => Some(format!("YAML reads `{t}` as a special number")),
        Resolved::Null | Resolved::Bool(_) | Resolved::Str => None,
    }
}

/// A value from the entry, else from `defaults`, located where it was written.
fn pick<T>(
    cx: &Ctx<'_>,
    pointer: &str,
    field: &str,
    own: Option<T>,
    default: Option<T>,
) -> Option<Located<T>> {
    match (own, default) {
        (Some(v), _) => Some(Located::new(v, cx.value_loc(&format!("{pointer}/{field}")))),
        (None, Some(v)) => Some(Located::new(v, cx.value_loc(&format!("/defaults/{field}")))),
        (None, None) => None,
    }
}

fn contact(c: BillingContact) -> ContactRef {
    match c {
        BillingContact::Email(e) => ContactRef::Email(e),
        BillingContact::Id(id) => ContactRef::Id(id),
    }
}

fn resolve_entry(
    cx: &mut Ctx<'_>,
    pointer: &str,
    e: PbxEntry,
    services: Option<Vec<(usize, ServiceRef)>>,
    d: &v1::Defaults,
) -> Option<DesiredPbx> {
    let at = cx.key_loc(&format!("{pointer}/sn"));
    // The SN exactly as written (an unquoted all-digit SN is its digits).
    let sn = match cx.map.find(&format!("{pointer}/sn")) {
        Some((n, _)) => n.as_scalar().map_or(e.sn.0.clone(), |s| s.text.clone()),
        None => e.sn.0.clone(),
    };

    let own_product = e.product.map(|a| a.id()).or(e.product_id.map(ProductId));
    let default_product = d.product.map(|a| a.id()).or(d.product_id.map(ProductId));
    let product_field = if e.product.is_some() || (e.product_id.is_none() && d.product.is_some()) {
        "product"
    } else {
        "productId"
    };
    let product = pick(cx, pointer, product_field, own_product, default_product);

    let billing_cycle = pick(
        cx,
        pointer,
        "billingCycle",
        e.billing_cycle.map(Cycle::from),
        d.billing_cycle.map(Cycle::from),
    );
    let term = pick(cx, pointer, "term", e.term, d.term);
    let auto_renew = pick(cx, pointer, "autoRenew", e.auto_renew, d.auto_renew);
    let billing_contact = pick(
        cx,
        pointer,
        "billingContact",
        e.billing_contact.map(contact),
        d.billing_contact.clone().map(contact),
    );
    let renew_before = pick(
        cx,
        pointer,
        "renewBefore",
        e.renew_before.map(|r| r.days()),
        d.renew_before.map(|r| r.days()),
    )
    .unwrap_or_else(|| Located::new(DEFAULT_RENEW_BEFORE_DAYS, at.clone()));

    let plan = match (e.plan, e.plan_id) {
        (Some(name), _) => Some(Located::new(
            CatalogRef::Name(name),
            cx.value_loc(&format!("{pointer}/plan")),
        )),
        (None, Some(id)) => Some(Located::new(
            CatalogRef::Id(id.0),
            cx.value_loc(&format!("{pointer}/planId")),
        )),
        (None, None) => None,
    };
    let extensions = e
        .extensions
        .map(|v| Located::new(v, cx.value_loc(&format!("{pointer}/extensions"))));
    let concurrent_calls = e
        .concurrent_calls
        .map(|v| Located::new(v, cx.value_loc(&format!("{pointer}/concurrentCalls"))));

    let services = services.map(|list| {
        let mut out: Vec<Located<CatalogRef>> = Vec::new();
        for (j, s) in list {
            let item = format!("{pointer}/services/{j}");
            let (r, loc) = match s {
                ServiceRef::Name(n) => (CatalogRef::Name(n), cx.value_loc(&item)),
                ServiceRef::Object(o) => match (o.name, o.id) {
                    (Some(n), _) => (CatalogRef::Name(n), cx.value_loc(&format!("{item}/name"))),
                    (None, Some(id)) => (CatalogRef::Id(id.0), cx.value_loc(&format!("{item}/id"))),
                    // The schema requires exactly one of them.
                    (None, None) => continue,
                },
            };
            let same = |a: &CatalogRef, b: &CatalogRef| match (a, b) {
                (CatalogRef::Name(x), CatalogRef::Name(y)) => {
                    x.trim().eq_ignore_ascii_case(y.trim())
                }
                (CatalogRef::Id(x), CatalogRef::Id(y)) => x == y,
                _ => false,
            };
            if let Some(first) = out.iter().find(|f| same(&f.value, &r)) {
                let first_at = first.at.clone();
                cx.error(
                    Code::DuplicateService,
                    loc.clone(),
                    format!(
                        "service `{r}` is listed twice for this PBX (first at line {}, column {})",
                        first_at.line, first_at.column
                    ),
                    Some("list each service once".to_owned()),
                );
                continue;
            }
            out.push(Located::new(r, loc));
        }
        out
    });

    let mut labels: BTreeMap<String, String> = d.labels.clone().map(|l| l.0).unwrap_or_default();
    labels.extend(e.labels.map(|l| l.0).unwrap_or_default());

    // The schema requires a product here or in `defaults`: without one, it was written and
    // could not be read, which is reported.
    let product = product?;
    Some(DesiredPbx {
        at,
        sn,
        product,
        plan,
        billing_cycle,
        term,
        extensions,
        concurrent_calls,
        services,
        auto_renew,
        renew: e.renew.or(d.renew).unwrap_or(true),
        renew_before_days: renew_before,
        billing_contact,
        labels,
    })
}

/// Where `at` is, as seen from `from`: `line 3, column 5` in the same file, else `file:3:5`.
fn place(at: &Loc, from: &Loc) -> String {
    if at.file == from.file {
        format!("line {}, column {}", at.line, at.column)
    } else {
        at.to_string()
    }
}

/// `(sn, product)` declared more than once across all files: one problem per repeat, naming
/// the first place. SNs are compared ignoring letter case (the same PBX either way).
pub(super) fn duplicates(pbxs: &[DesiredPbx]) -> Vec<Diagnostic> {
    let mut first: std::collections::HashMap<(String, ProductId), &DesiredPbx> =
        std::collections::HashMap::new();
    let mut out = Vec::new();
    for p in pbxs {
        let key = (p.sn.to_ascii_uppercase(), p.product.value);
        match first.get(&key) {
            None => {
                first.insert(key, p);
            }
            Some(f) => {
                let case = if f.sn != p.sn {
                    format!(" (as `{}`; SNs are compared ignoring case)", f.sn)
                } else {
                    String::new()
                };
                out.push(
                    Diagnostic::new(
                        Code::DuplicatePbx,
                        Some(p.at.clone()),
                        format!(
                            "PBX `{}` ({}) is declared twice: first at {}{case}",
                            p.sn,
                            p.product.value,
                            place(&f.at, &p.at)
                        ),
                    )
                    .with_help("an (sn, product) pair may be declared once across all manifests; merge the two entries"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_prefixes_cover_only_whole_segments() {
        assert!(covers("/pbxs/1", "/pbxs/1"));
        assert!(covers("/pbxs/1", "/pbxs/1/term"));
        assert!(!covers("/pbxs/1", "/pbxs/10"));
        assert!(covers("", "/pbxs"));
    }
}
