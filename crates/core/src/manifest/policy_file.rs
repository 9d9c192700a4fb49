//! The policy file, `entitle.policy.yaml` beside the manifests (or above them, inside their git
//! repository): spend limits a plan must stay within ([`crate::policy`]). Read with the manifests' YAML reader, so its
//! problems are located and worded as theirs are (`file:line:column`, what is wrong, what was
//! probably meant), and described for editors by its own JSON Schema
//! (`schema/policy.schema.json`, [`policy_schema_json`]), which a test holds in agreement with
//! this decoder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use super::desired::Loc;
use super::diagnostic::{Code, Diagnostic};
use super::node::{PositionMap, push_segment};
use super::suggest::suggest;
use super::{sources, yaml};
use crate::plan::ActionKind;
use crate::policy::{ANY_CUSTOMER, Budget, POLICY_FILE, Policy, Rule, UnknownPrice};

const TOP: &[&str] = &[
    "version",
    "budget",
    "operations",
    "maxIncrease",
    "unknownPrice",
];
const BUDGETS: &[&str] = &["perRun", "perCustomer", "perPbx"];
const CAPACITIES: &[&str] = &["extensions", "concurrentCalls"];
const UNKNOWN_PRICE: &[&str] = &["fail", "allow"];
/// A budget as the schema checks it: a currency and an amount, either way round.
/// A comma only groups thousands (`5,000`, never `50,00`).
const BUDGET_PATTERN: &str = r"^\s*([A-Za-z]{3}\s+([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]{1,2})?|([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]{1,2})?\s+[A-Za-z]{3})\s*$";

/// Where a policy file was found, which says what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Found {
    /// Beside a path given, or above it: every PBX of the run.
    Holding,
    /// In a directory above the paths (inside their git repository): every PBX of the run,
    /// though the run may read only some of the manifests it holds.
    Above,
    /// Below a directory given: the PBXs of the manifests under its own directory.
    Below,
}

/// The policy files that hold `paths`: in the directory of each path (a directory's own, a
/// file's directory); inside a git repository, in every directory above it up to the
/// repository's root — so planning one customer's file never skips the repository's budget;
/// and below a directory given, each holding the manifests under its own directory (its
/// `scope`). Each file once, in path order; none is fine. Every problem of every file is
/// returned.
///
/// `below` are the policy files the manifests' discovery met under the directories given.
pub(super) fn load(
    paths: &[PathBuf],
    below: &[PathBuf],
) -> Result<Vec<(Policy, Found)>, Vec<Diagnostic>> {
    let mut files: Vec<(PathBuf, Found)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut add = |file: PathBuf, found: Found, files: &mut Vec<(PathBuf, Found)>| {
        if file.is_file() && seen.insert(std::fs::canonicalize(&file).unwrap_or(file.clone())) {
            files.push((file, found));
        }
    };
    for p in paths {
        let dir = if p.is_dir() {
            p.as_path()
        } else {
            p.parent().unwrap_or(Path::new(""))
        };
        for (i, d) in holding(dir).into_iter().enumerate() {
            let found = if i == 0 { Found::Holding } else { Found::Above };
            add(d.join(POLICY_FILE), found, &mut files);
        }
    }
    for file in below {
        add(file.clone(), Found::Below, &mut files);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut policies = Vec::new();
    let mut problems = Vec::new();
    for (path, found) in files {
        let display: Arc<str> = Arc::from(path.display().to_string());
        let source = sources::Found {
            path: path.clone(),
            display: display.clone(),
        };
        let text = sources::read(&source).and_then(|b| sources::decode(&display, b));
        match text.map(|t| decode(&display, &t)) {
            Ok(Ok(mut policy)) => {
                if found == Found::Below {
                    policy.scope = path.parent().map(|d| d.display().to_string());
                }
                policies.push((policy, found));
            }
            Ok(Err(mut d)) => problems.append(&mut d),
            Err(d) => problems.push(d),
        }
    }
    if problems.is_empty() {
        Ok(policies)
    } else {
        Err(problems)
    }
}

/// `dir` and, when it is inside a git repository, the directories above it up to the
/// repository's root (the one holding `.git`), each as shown to the user: relative to the
/// working directory when inside it.
fn holding(dir: &Path) -> Vec<PathBuf> {
    let start = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut out = vec![start.to_path_buf()];
    let Ok(canonical) = std::fs::canonicalize(start) else {
        return out;
    };
    let Some(root) = canonical.ancestors().find(|a| a.join(".git").exists()) else {
        return out;
    };
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize).ok();
    for a in canonical.ancestors().skip(1) {
        if !a.starts_with(root) {
            break;
        }
        let shown = cwd
            .as_ref()
            .and_then(|c| a.strip_prefix(c).ok())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| a.to_path_buf());
        out.push(shown);
    }
    out
}

/// Budgets of `budget.perCustomer` whose customer no PBX has while one is close to it
/// (`ACME` for `acme`, `acne`): a budget that would never apply, for a typo. A customer no
/// manifest read has at all may be one of manifests not given, and is not an error.
pub(super) fn mistaken_customers(
    policies: &[(Policy, Found)],
    pbxs: &[super::DesiredPbx],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // A policy above the paths holds manifests this run may not read: a customer of those is
    // no typo (the run warns that its budget holds nothing here).
    for (p, _) in policies.iter().filter(|(_, found)| *found != Found::Above) {
        let (customers, unheld) = p.unheld_customers(pbxs);
        for (name, rule) in unheld {
            let Some(meant) = suggest(name, customers.iter().copied()) else {
                continue;
            };
            let mut d = Diagnostic::new(
                Code::UnknownValue,
                rule.at.parse().ok(),
                format!("no PBX has customer `{name}`, did you mean `{meant}`?"),
            )
            .with_help(
                "a budget of `budget.perCustomer` holds the PBXs whose `customer` label is exactly its key",
            );
            if d.at.is_none() {
                d = d.with_path(p.file.clone());
            }
            out.push(d);
        }
    }
    out
}

/// Reads one policy file's text.
pub(super) fn decode(file: &Arc<str>, text: &str) -> Result<Policy, Vec<Diagnostic>> {
    let loc = |line, column| Loc {
        file: file.clone(),
        line,
        column,
    };
    let to_diag = |p: yaml::YamlProblem| {
        let mut d = Diagnostic::new(p.code, Some(loc(p.at.line, p.at.column)), p.message);
        d.help = p.help;
        d
    };
    let parsed = yaml::parse(text).map_err(|p| vec![to_diag(p)])?;
    if !parsed.problems.is_empty() {
        return Err(parsed.problems.into_iter().map(to_diag).collect());
    }
    let Some(root) = parsed.root else {
        return Err(vec![
            Diagnostic::new(Code::EmptyFile, Some(loc(1, 1)), "the policy file is empty")
                .with_help("a policy starts with `version: 1`; see `entitle schema --policy`"),
        ]);
    };
    let doc = root.to_json();
    let mut r = Reader {
        file,
        map: PositionMap::new(root),
        problems: Vec::new(),
    };
    let policy = r.policy(&doc);
    if r.problems.is_empty() {
        Ok(policy)
    } else {
        Err(r.problems)
    }
}

struct Reader<'a> {
    file: &'a Arc<str>,
    map: PositionMap,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn at(&self, pointer: &str) -> Loc {
        let p = self.map.value_pos(pointer);
        Loc {
            file: self.file.clone(),
            line: p.line,
            column: p.column,
        }
    }

    fn key_at(&self, pointer: &str) -> Loc {
        let p = self.map.key_pos(pointer);
        Loc {
            file: self.file.clone(),
            line: p.line,
            column: p.column,
        }
    }

    fn problem(&mut self, code: Code, at: Loc, message: String, help: Option<String>) {
        let mut d = Diagnostic::new(code, Some(at), message);
        d.help = help;
        self.problems.push(d);
    }

    /// The mapping at `pointer`, its unknown keys reported (with the closest known one).
    fn mapping<'v>(
        &mut self,
        v: &'v Value,
        pointer: &str,
        what: &str,
        known: &[&str],
    ) -> Option<&'v serde_json::Map<String, Value>> {
        let Some(m) = v.as_object() else {
            let at = self.at(pointer);
            self.problem(
                Code::WrongType,
                at,
                format!("{what} must be a mapping, found {}", found(v)),
                None,
            );
            return None;
        };
        for key in m.keys().filter(|k| !known.contains(&k.as_str())) {
            let member = push_segment(pointer, key);
            let mut message = format!("unknown field `{key}` in {what}");
            if let Some(s) = suggest(key, known.iter().copied()) {
                message.push_str(&format!(", did you mean `{s}`?"));
            }
            let at = self.key_at(&member);
            self.problem(
                Code::UnknownField,
                at,
                message,
                Some(format!("the fields of {what}: {}", known.join(", "))),
            );
        }
        Some(m)
    }

    fn policy(&mut self, doc: &Value) -> Policy {
        let mut policy = Policy {
            file: self.file.to_string(),
            ..Policy::default()
        };
        let Some(top) = self.mapping(doc, "", "a policy file", TOP) else {
            return policy;
        };
        match top.get("version") {
            None => {
                let at = self.at("");
                self.problem(
                    Code::MissingField,
                    at,
                    "the policy file is missing `version`".into(),
                    Some("start the file with `version: 1`".into()),
                );
            }
            Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
            Some(v) => {
                let at = self.at("/version");
                let code = if v.is_number() {
                    Code::UnsupportedVersion
                } else {
                    Code::WrongType
                };
                self.problem(
                    code,
                    at,
                    format!("`version` must be 1, found {}", found(v)),
                    Some("this entitle reads policy files of version 1".into()),
                );
            }
        }
        if let Some(b) = top.get("budget") {
            self.budgets(b, &mut policy);
        }
        if let Some(ops) = top.get("operations") {
            policy.operations = self.operations(ops);
        }
        if let Some(m) = top.get("maxIncrease") {
            policy.max_increase = self.increases(m);
        }
        if let Some(u) = top.get("unknownPrice") {
            match u.as_str() {
                Some("fail") => policy.unknown_price = UnknownPrice::Fail,
                Some("allow") => policy.unknown_price = UnknownPrice::Allow,
                _ => {
                    let at = self.at("/unknownPrice");
                    let hint = u
                        .as_str()
                        .and_then(|s| suggest(s, UNKNOWN_PRICE.iter().copied()))
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    self.problem(
                        Code::UnknownValue,
                        at,
                        format!("`unknownPrice` must be `fail` or `allow`, found {}{hint}", found(u)),
                        Some("`fail` (the default) counts an order without a price as over every budget; `allow` counts it as nothing".into()),
                    );
                }
            }
        }
        policy
    }

    fn budget(&mut self, v: &Value, pointer: &str, name: &str) -> Option<Rule<Budget>> {
        let at = self.at(pointer);
        let parsed = match v {
            Value::String(s) => s.parse::<Budget>(),
            _ => Err(format!("found {}", found(v))),
        };
        match parsed {
            Ok(b) => Some(Rule {
                value: b,
                at: at.to_string(),
            }),
            Err(why) => {
                let code = if v.is_string() {
                    Code::InvalidFormat
                } else {
                    Code::WrongType
                };
                self.problem(
                    code,
                    at,
                    format!("{name} must be a currency and an amount: {why}"),
                    Some("write it as text, e.g. `USD 5000` or `USD 5,000.00`".into()),
                );
                None
            }
        }
    }

    fn budgets(&mut self, v: &Value, policy: &mut Policy) {
        let Some(m) = self.mapping(v, "/budget", "`budget`", BUDGETS) else {
            return;
        };
        if let Some(b) = m.get("perRun") {
            policy.per_run = self.budget(b, "/budget/perRun", "`budget.perRun`");
        }
        if let Some(b) = m.get("perPbx") {
            policy.per_pbx = self.budget(b, "/budget/perPbx", "`budget.perPbx`");
        }
        if let Some(c) = m.get("perCustomer") {
            let Some(customers) = c.as_object() else {
                let at = self.at("/budget/perCustomer");
                self.problem(
                    Code::WrongType,
                    at,
                    format!("`budget.perCustomer` must be a mapping, found {}", found(c)),
                    Some(format!(
                        "map each `customer` label to its budget, e.g. `acme: USD 2000`; `\"{ANY_CUSTOMER}\"` for every other customer"
                    )),
                );
                return;
            };
            let mut out = BTreeMap::new();
            for (name, b) in customers {
                let pointer = push_segment("/budget/perCustomer", name);
                if let Some(rule) =
                    self.budget(b, &pointer, &format!("the budget of customer `{name}`"))
                {
                    out.insert(name.clone(), rule);
                }
            }
            policy.per_customer = out;
        }
    }

    fn operations(&mut self, v: &Value) -> Option<Rule<Vec<ActionKind>>> {
        let at = self.at("/operations");
        let Some(items) = v.as_array() else {
            self.problem(
                Code::WrongType,
                at,
                format!("`operations` must be a list, found {}", found(v)),
                Some(format!(
                    "list the operations a plan may contain: {}",
                    names()
                )),
            );
            return None;
        };
        let mut ops = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/operations/{i}");
            match item.as_str().map(|s| (s, s.parse::<ActionKind>())) {
                Some((_, Ok(k))) => ops.push(k),
                Some((s, Err(_))) => {
                    let hint = suggest(s, ActionKind::ALL.iter().map(|k| k.as_str()))
                        .map(|s| format!(", did you mean `{s}`?"))
                        .unwrap_or_default();
                    let at = self.at(&pointer);
                    self.problem(
                        Code::UnknownValue,
                        at,
                        format!("unknown operation `{s}`{hint}"),
                        Some(format!("the operations: {}", names())),
                    );
                }
                None => {
                    let at = self.at(&pointer);
                    self.problem(
                        Code::WrongType,
                        at,
                        format!("an operation must be text, found {}", found(item)),
                        Some(format!("the operations: {}", names())),
                    );
                }
            }
        }
        Some(Rule {
            value: ops,
            at: at.to_string(),
        })
    }

    fn increases(&mut self, v: &Value) -> BTreeMap<String, Rule<u32>> {
        let mut out = BTreeMap::new();
        let Some(m) = self.mapping(v, "/maxIncrease", "`maxIncrease`", CAPACITIES) else {
            return out;
        };
        for (field, n) in m.iter().filter(|(k, _)| CAPACITIES.contains(&k.as_str())) {
            let pointer = format!("/maxIncrease/{field}");
            let at = self.at(&pointer);
            match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) => {
                    out.insert(
                        field.clone(),
                        Rule {
                            value: n,
                            at: at.to_string(),
                        },
                    );
                }
                None => {
                    let code = if n.is_number() {
                        Code::OutOfRange
                    } else {
                        Code::WrongType
                    };
                    self.problem(
                        code,
                        at,
                        format!(
                            "`maxIncrease.{field}` must be a whole number of 0 or more, found {}",
                            found(n)
                        ),
                        Some(format!(
                            "the most {field} one order may add, e.g. `{field}: 50`"
                        )),
                    );
                }
            }
        }
        out
    }
}

fn names() -> String {
    ActionKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("text `{s}`"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// Each `description` (written in Markdown) also as the `markdownDescription` editors show,
/// and as plain text for the tools that show `description` as is.
fn with_markdown(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(d)) = m.get("description").cloned() {
                m.insert("markdownDescription".into(), Value::String(d.clone()));
                m.insert(
                    "description".into(),
                    Value::String(super::schema::plain(&d)),
                );
            }
            m.values_mut().for_each(with_markdown);
        }
        Value::Array(items) => items.iter_mut().for_each(with_markdown),
        _ => {}
    }
}

/// The policy file's JSON Schema (draft-07), as committed in `schema/policy.schema.json`.
pub fn policy_schema_json() -> String {
    let budget = |what: &str| {
        json!({
            "type": "string",
            "pattern": BUDGET_PATTERN,
            "description": format!("{what}: a currency and an amount, e.g. `USD 5000` or `USD 5,000.00`. An order whose price is unknown counts as over it unless `unknownPrice: allow`."),
        })
    };
    let ops: Vec<&str> = ActionKind::ALL.iter().map(|k| k.as_str()).collect();
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": concat!("urn:entitle:policy-schema:", env!("CARGO_PKG_VERSION")),
        "title": "entitle spend policy (v1)",
        "description": "Limits every plan of these manifests must stay within before any of it is applied (entitle.policy.yaml beside the manifests, or in a directory above them inside their git repository). A plan over any of them exits 7 and apply sends nothing, unless `entitle apply PLAN --override-policy PLAN_ID` names it.",
        "type": "object",
        "additionalProperties": false,
        "required": ["version"],
        "properties": {
            "version": {"const": 1, "description": "Policy format version: always `1`."},
            "budget": {
                "type": "object",
                "additionalProperties": false,
                "description": "The most a plan may spend: in all, per customer, per PBX.",
                "properties": {
                    "perRun": budget("The most one plan may spend in all"),
                    "perPbx": budget("The most one plan may spend on any one PBX"),
                    "perCustomer": {
                        "type": "object",
                        "description": "The most one plan may spend on the PBXs of a customer (their `customer` label), by customer; `\"*\"` for every customer not named. PBXs without a `customer` label are held to `perRun` and `perPbx` only.",
                        "additionalProperties": budget("The most one plan may spend on this customer's PBXs"),
                    },
                },
            },
            "operations": {
                "type": "array",
                "description": "The operations a plan may contain; a plan with any other is over the policy. Left out: any.",
                "items": {"enum": ops},
            },
            "maxIncrease": {
                "type": "object",
                "additionalProperties": false,
                "description": "The largest increase of a capacity one order may make.",
                "properties": {
                    "extensions": {"type": "integer", "minimum": 0, "maximum": u32::MAX, "description": "The most extensions one order may add."},
                    "concurrentCalls": {"type": "integer", "minimum": 0, "maximum": u32::MAX, "description": "The most concurrent calls one order may add."},
                },
            },
            "unknownPrice": {
                "enum": UNKNOWN_PRICE,
                "description": "What an order without a price counts as: `fail` (default) over every budget, `allow` nothing.",
            },
        },
    });
    let mut schema = schema;
    with_markdown(&mut schema);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
