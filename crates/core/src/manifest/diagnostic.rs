//! Located problems and their stable codes, as data, with their plain one-line-per-problem text
//! (`Display`: CI logs, editors and tests parse `file:line:column`); the binary's `render` shows
//! them as rustc-style snippets with colour on a terminal, and as JSON, GitHub annotations and
//! SARIF. The table of codes here is the one `docs/diagnostics.md` documents (a test keeps the
//! two equal) and the one SARIF's rules are made from.

use std::fmt;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::desired::Loc;

/// Defines [`Code`] from one table: variant, the code as printed, and its one-line meaning.
macro_rules! codes {
    ($($variant:ident = $id:literal: $summary:literal,)*) => {
        /// The kind of a problem, not the instance: a stable name that CI filters, SARIF rules
        /// and `docs/diagnostics.md` key on. Codes are kebab-case words rather than numbers
        /// (`E0101`) so a log line or an annotation says what is wrong without a lookup, as
        /// yamllint's and ESLint's rule names do. A code is never renamed or reused for another
        /// kind of problem; new kinds get new codes.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order `docs/diagnostics.md` lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `unknown-field`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $id,)*
                }
            }

            /// What the code means, in one line (SARIF's `shortDescription`, the doc's table).
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    // Finding and reading files.
    Unreadable = "unreadable": "a path cannot be read: it does not exist, or permission is denied",
    NoManifests = "no-manifests": "a directory holds no `*.yaml` or `*.yml` file",
    DirectoryTooDeep = "directory-too-deep": "a directory nested more than 32 levels deep is not searched",
    NotAFile = "not-a-file": "a path is neither a regular file nor a directory",
    FileTooLarge = "file-too-large": "a manifest is larger than 8 MiB",
    NotUtf8 = "not-utf8": "a manifest is not UTF-8 text",
    // YAML.
    YamlSyntax = "yaml-syntax": "the file is not valid YAML",
    YamlLimit = "yaml-limit": "the file exceeds a reading limit (nesting, nodes, anchors, aliases, expanded size)",
    MultipleDocuments = "multiple-documents": "the file holds more than one YAML document",
    DuplicateKey = "duplicate-key": "a key appears twice in one mapping",
    UnknownAlias = "unknown-alias": "an alias (`*name`) refers to no anchor (`&name`) before it",
    InvalidMerge = "invalid-merge": "a merge key (`<<`) merges something other than a mapping",
    UnsupportedTag = "unsupported-tag": "a YAML tag other than the core schema's (`!!str`, `!!int`, ...)",
    ComplexKey = "complex-key": "a mapping key is a list or a mapping",
    EmptyFile = "empty-file": "the file holds no manifest",
    // The manifest format (the JSON Schema and the rules it cannot express).
    UnknownField = "unknown-field": "a field the manifest format does not have",
    MissingField = "missing-field": "a field that is required here is missing",
    WrongType = "wrong-type": "a value of the wrong type (text where a number belongs, a list where a mapping belongs, ...)",
    UnknownValue = "unknown-value": "a value that is not one of the allowed ones",
    UnsupportedVersion = "unsupported-version": "`version` is not 1",
    OutOfRange = "out-of-range": "a number or duration outside its allowed range",
    InvalidLength = "invalid-length": "text that is empty or too long",
    InvalidFormat = "invalid-format": "text without the required form (SN, ID, e-mail, duration, label value)",
    InvalidLabelKey = "invalid-label-key": "a label key with characters other than letters, digits, `.`, `_` and `-`",
    InvalidService = "invalid-service": "a service written as a mapping with both or neither of `name` and `id`",
    ConflictingFields = "conflicting-fields": "fields that cannot be given together",
    UnquotedSn = "unquoted-sn": "an unquoted SN that YAML reads as a different value",
    NotWholeNumber = "not-whole-number": "a decimal number where a whole number or an ID belongs",
    CapacityAsService = "capacity-as-service": "extension or call capacity listed as a service",
    DuplicateService = "duplicate-service": "a service listed twice for one PBX",
    DuplicatePbx = "duplicate-pbx": "an (SN, product) pair declared more than once across the manifests",
    SchemaViolation = "schema-violation": "another violation of the manifest schema",
    // Planning against the account (`entitle plan`, `entitle apply`).
    UnknownSn = "unknown-sn": "an SN the account does not have under the product",
    UnknownPlan = "unknown-plan": "a plan that is not in the product's catalog",
    UnknownService = "unknown-service": "a service that is not in the product's catalog",
    UnknownBillingContact = "unknown-billing-contact": "a billing contact that is not one of the account's",
    CycleNotSold = "cycle-not-sold": "the plan is not sold on the billing cycle asked for",
    ServiceWithoutPlan = "service-without-plan": "services or capacity asked for a PBX that has no plan and declares none",
    ServiceNeedsOtherPlan = "service-needs-other-plan": "a service that the plan in force does not allow",
    TermKeptOnUpgrade = "term-kept-on-upgrade": "an upgrade asks for another term than the current one, which it keeps",
    CapacityShrinks = "capacity-shrinks": "less capacity than is in force; capacity never shrinks through an order",
    CapacityNotSold = "capacity-not-sold": "capacity asked for a product that sells no such expansion",
    CurrentPlanUnknown = "current-plan-unknown": "the plan in force is not in the catalog, so the change cannot be planned",
    // Neither the input's fault nor the account's.
    InternalError = "internal-error": "entitle failed on input it accepted: a bug to report",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Code {
    type Err = String;

    /// The code as printed (`unknown-field`); one this entitle does not know is an error.
    fn from_str(s: &str) -> Result<Code, String> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown problem code `{s}`"))
    }
}

/// As printed, `"unknown-field"`: how a saved plan records the code of an entry's error.
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One problem: its kind, where (when it has a place), what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub at: Option<Loc>,
    /// For a problem without a place: the file or directory it is about, as named (a path that
    /// cannot be read, a directory without manifests), where SARIF, whose results need a
    /// location, puts it.
    pub path: Option<Arc<str>>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, at: Option<Loc>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            at,
            path: None,
            message: message.into(),
            help: None,
        }
    }

    /// The file or directory a problem without a place is about.
    pub fn with_path(mut self, path: impl Into<Arc<str>>) -> Self {
        self.path = Some(path.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The message and the help on one line, for the formats that have one text per problem
    /// (GitHub annotations, SARIF results).
    pub fn message_with_help(&self) -> String {
        match &self.help {
            Some(h) => format!("{} (help: {h})", self.message),
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The code last, in brackets, as gcc, ShellCheck and mypy print theirs: the line still
        // starts `error: FILE:LINE:COLUMN: ` for the parsers that read it.
        match &self.at {
            Some(at) => write!(f, "error: {at}: {} [{}]", self.message, self.code)?,
            None => write!(f, "error: {} [{}]", self.message, self.code)?,
        }
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

/// The JSON form of a problem, as `validate --format json` prints it (`docs/diagnostics.md`):
/// `code`, `file`, `line`, `column`, `message`, `help` (the place and the help `null` when
/// there are none).
impl Serialize for Diagnostic {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Diagnostic", 6)?;
        st.serialize_field("code", self.code.as_str())?;
        st.serialize_field("file", &self.at.as_ref().map(|a| &*a.file))?;
        st.serialize_field("line", &self.at.as_ref().map(|a| a.line))?;
        st.serialize_field("column", &self.at.as_ref().map(|a| a.column))?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("help", &self.help)?;
        st.end()
    }
}

/// Every problem of a run (never empty when returned as an error), sorted by place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl Diagnostics {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many distinct files the problems are in.
    pub fn file_count(&self) -> usize {
        let mut files: Vec<&str> = self
            .0
            .iter()
            .filter_map(|d| d.at.as_ref().map(|a| &*a.file))
            .collect();
        files.sort_unstable();
        files.dedup();
        files.len()
    }

    /// Sorts by file, line and column (problems without a place first) and drops repeats.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.at.cmp(&b.at));
        self.0.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{place as loc, two_problems};

    #[test]
    fn plain_format_names_the_place_and_the_help() {
        let d = two_problems();
        assert_eq!(
            d.to_string(),
            "error: m/acme.yaml:4:5: unknown field `extentions`, did you mean `extensions`? [unknown-field]\n  help: fields of a PBX entry: sn, product\nerror: cannot read `x`: no such file or directory [unreadable]"
        );
    }

    #[test]
    fn json_form_names_the_code_and_the_place() {
        let d = Diagnostic::new(Code::DuplicateKey, Some(loc(3, 1)), "duplicate key `a`")
            .with_help("remove one");
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"code": "duplicate-key", "file": "m/acme.yaml", "line": 3,
                "column": 1, "message": "duplicate key `a`", "help": "remove one"})
        );
        let d = Diagnostic::new(Code::NoManifests, None, "no manifest files under `m`");
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({"code": "no-manifests", "file": null, "line": null,
                "column": null, "message": "no manifest files under `m`", "help": null})
        );
    }

    #[test]
    fn codes_read_back_as_printed_and_an_unknown_one_is_refused() {
        for c in Code::ALL {
            let json = serde_json::to_value(c).unwrap();
            assert_eq!(json, serde_json::json!(c.as_str()));
            assert_eq!(serde_json::from_value::<Code>(json).unwrap(), *c);
        }
        let err = serde_json::from_value::<Code>(serde_json::json!("no-such-code")).unwrap_err();
        assert_eq!(err.to_string(), "unknown problem code `no-such-code`");
    }

    #[test]
    fn codes_are_unique_kebab_case_and_summarised() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            let id = c.as_str();
            assert!(seen.insert(id), "{id} twice");
            assert!(
                !id.is_empty()
                    && id.split('-').all(|w| !w.is_empty()
                        && w.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
                "{id} is not kebab-case"
            );
            assert!(
                !c.summary().is_empty() && !c.summary().ends_with('.'),
                "{id}"
            );
        }
    }
}
