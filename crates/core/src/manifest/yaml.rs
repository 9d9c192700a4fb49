//! The one place that knows the YAML library (serde-saphyr and its event parser, granit-parser):
//! source text in, positioned [`Node`] tree out, under limits sized for a manifest so that a
//! hostile file (alias bomb, deep nesting, huge scalars) ends in a clean error, quickly and in
//! bounded memory. Everything else in the crate goes through this module.
//!
//! Two passes over the text: serde-saphyr's streaming budget check first (events, depth,
//! anchors, aliases, scalar bytes; no allocation of a tree), then the tree is built from the
//! parser's events, expanding aliases and `<<` merge keys under a node budget of its own.

use std::collections::HashMap;

use serde_saphyr::budget::{BudgetBreach, EnforcingPolicy, check_yaml_budget};
use serde_saphyr::granit_parser::{self, Event, Marker, Parser, ScalarStyle, Span, Tag};

use super::diagnostic::Code;
use super::node::{CoreTag, Entry, Kind, Node, Pos, Scalar, Style};

/// Deepest nesting of collections a manifest may use (a real one needs 5).
pub(super) const MAX_DEPTH: usize = 16;
/// Most nodes one file may hold, aliases expanded (about 10,000 PBX entries).
pub(super) const MAX_NODES: usize = 250_000;
/// Most bytes of scalar text one file may expand to (aliases copy their anchor's text).
pub(super) const MAX_EXPANDED_BYTES: usize = 4 * super::sources::MAX_FILE_BYTES;
/// Most anchors and aliases one file may define or use.
const MAX_ANCHORS: usize = 1_000;
const MAX_ALIASES: usize = 5_000;

/// A problem found while reading YAML, with the place it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct YamlProblem {
    pub code: Code,
    pub at: Pos,
    pub message: String,
    pub help: Option<String>,
}

impl YamlProblem {
    fn new(code: Code, at: Pos, message: impl Into<String>) -> Self {
        YamlProblem {
            code,
            at,
            message: message.into(),
            help: None,
        }
    }
    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The outcome of parsing one file: its tree (`None` for an empty document) and the problems
/// that did not stop the parse (duplicate keys). A problem that stops it is an `Err`.
#[derive(Debug)]
pub(super) struct Parsed {
    pub root: Option<Node>,
    pub problems: Vec<YamlProblem>,
}

fn budget() -> serde_saphyr::Budget {
    let mut b = serde_saphyr::Budget::default();
    b.max_depth = MAX_DEPTH;
    b.flow_nesting_limit = MAX_DEPTH;
    b.max_nodes = MAX_NODES;
    b.max_events = 2 * MAX_NODES + 16;
    b.max_anchors = MAX_ANCHORS;
    b.max_aliases = MAX_ALIASES;
    b.max_documents = 4;
    b.max_total_scalar_bytes = super::sources::MAX_FILE_BYTES;
    b.max_merge_keys = MAX_ANCHORS;
    b
}

fn parser_options() -> granit_parser::Options {
    let mut o = granit_parser::Options::default();
    o.set_emit_comments(false);
    o.flow_nesting_limit = MAX_DEPTH;
    o.block_nesting_limit = MAX_DEPTH + 1;
    o
}

fn pos(m: &Marker, text: &str) -> Pos {
    Pos {
        line: m.line(),
        column: m.col() + 1,
        byte: m
            .byte_offset()
            .unwrap_or_else(|| char_to_byte(text, m.index())),
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(b, _)| b)
}

fn breach_message(b: &BudgetBreach) -> String {
    match b {
        BudgetBreach::Depth { .. } => {
            format!("nesting is deeper than {MAX_DEPTH} levels; a manifest needs 5")
        }
        BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => {
            format!("the file holds more than {MAX_NODES} YAML nodes")
        }
        BudgetBreach::Anchors { .. } => format!("more than {MAX_ANCHORS} anchors (`&name`)"),
        BudgetBreach::Aliases { .. } | BudgetBreach::AliasAnchorRatio { .. } => {
            format!("more than {MAX_ALIASES} aliases (`*name`), or far more aliases than anchors")
        }
        BudgetBreach::ScalarBytes { .. } => "the scalars of the file are too large".to_owned(),
        BudgetBreach::Documents { .. } => "too many YAML documents in one file".to_owned(),
        BudgetBreach::MergeKeys { .. } => format!("more than {MAX_ANCHORS} merge keys (`<<`)"),
        other => format!("the file exceeds a parsing limit ({other:?})"),
    }
}

/// Writes a value as YAML (for `entitle export`). Strings that YAML would read as another
/// type (`"0123"`, `"true"`) are quoted, so the output reads back as written.
pub(super) fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_saphyr::to_string(value).map_err(|e| e.to_string())
}

/// Parses one manifest file. `text` is the whole file, already checked for size and UTF-8.
pub(super) fn parse(text: &str) -> Result<Parsed, YamlProblem> {
    let start = Pos {
        line: 1,
        column: 1,
        byte: 0,
    };
    match check_yaml_budget(text, budget(), EnforcingPolicy::AllContent) {
        Err(e) => return Err(scan_problem(&e, text)),
        Ok(report) => {
            if let Some(b) = report.breached {
                return Err(YamlProblem::new(
                    Code::YamlLimit,
                    start,
                    format!("refusing to read this file: {}", breach_message(&b)),
                )
                .help(
                    "a manifest is a small, plain YAML mapping; split large fleets across files",
                ));
            }
        }
    }
    Builder::new(text).run()
}

fn scan_problem(e: &granit_parser::ScanError, text: &str) -> YamlProblem {
    let mut info = e.info();
    if let Some(i) = info.find('\n') {
        info.truncate(i);
    }
    let at = pos(e.marker(), text);
    match e.kind() {
        // Nesting past the scanner's own limit is a limit reached, not broken syntax.
        granit_parser::ErrorKind::RecursionLimitExceeded => {
            YamlProblem::new(Code::YamlLimit, at, format!("invalid YAML: {info}"))
        }
        granit_parser::ErrorKind::UnknownAnchor => YamlProblem::new(
            Code::UnknownAlias,
            at,
            "alias refers to an anchor that is not defined before it",
        ),
        _ => YamlProblem::new(Code::YamlSyntax, at, format!("invalid YAML: {info}")),
    }
}

/// A collection being built.
enum Frame {
    Seq {
        at: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        at: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        /// Sources of `<<` merge keys, applied when the mapping ends.
        merges: Vec<(Pos, Node)>,
        pending_key: Option<(String, Pos, bool)>,
    },
}

struct Builder<'t> {
    text: &'t str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    nodes: usize,
    bytes: usize,
    problems: Vec<YamlProblem>,
}

/// What a subtree costs: nodes (a mapping entry counts its key) and bytes of text.
#[derive(Clone, Copy)]
struct Cost {
    nodes: usize,
    bytes: usize,
}

impl Cost {
    fn add(self, o: Cost) -> Cost {
        Cost {
            nodes: self.nodes.saturating_add(o.nodes),
            bytes: self.bytes.saturating_add(o.bytes),
        }
    }
}

fn cost(n: &Node) -> Cost {
    let one = |bytes: usize| Cost { nodes: 1, bytes };
    match &n.kind {
        Kind::Scalar(s) => one(s.text.len()),
        Kind::Seq(items) => items.iter().map(cost).fold(one(0), Cost::add),
        Kind::Map(es) => es
            .iter()
            .map(|e| cost(&e.value).add(one(e.key.len())))
            .fold(one(0), Cost::add),
    }
}

impl<'t> Builder<'t> {
    fn new(text: &'t str) -> Self {
        Builder {
            text,
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            documents: 0,
            nodes: 0,
            bytes: 0,
            problems: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Parsed, YamlProblem> {
        let text = self.text;
        let parser = Parser::new_from_str_with_options(text, parser_options());
        for item in parser {
            let (event, span) = item.map_err(|e| scan_problem(&e, text))?;
            self.event(event, &span)?;
        }
        Ok(Parsed {
            root: self.root,
            problems: self.problems,
        })
    }

    fn at(&self, span: &Span) -> Pos {
        pos(&span.start, self.text)
    }

    fn count(&mut self, c: Cost, at: Pos) -> Result<(), YamlProblem> {
        self.nodes = self.nodes.saturating_add(c.nodes);
        self.bytes = self.bytes.saturating_add(c.bytes);
        if self.bytes > MAX_EXPANDED_BYTES {
            return Err(YamlProblem::new(
                Code::YamlLimit,
                at,
                format!(
                    "refusing to read this file: its text expands to more than {} MiB",
                    MAX_EXPANDED_BYTES / (1024 * 1024)
                ),
            )
            .help(
                "aliases (`*name`) copy what their anchor holds; this looks like an alias bomb",
            ));
        }
        if self.nodes > MAX_NODES {
            return Err(YamlProblem::new(
                    Code::YamlLimit,
                at,
                format!(
                    "refusing to read this file: it expands to more than {MAX_NODES} YAML nodes"
                ),
            )
            .help("aliases (`*name`) copy what their anchor holds; this looks like an alias bomb or a fleet too large for one file"));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, span: &Span) -> Result<(), YamlProblem> {
        let at = self.at(span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(YamlProblem::new(
                        Code::MultipleDocuments,
                        at,
                        "a second YAML document (`---`) in one file",
                    )
                    .help("put one manifest per file; split the documents into separate files"));
                }
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(
                    Cost {
                        nodes: 1,
                        bytes: text.len(),
                    },
                    at,
                )?;
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let tag = match tag.as_deref() {
                    None => None,
                    Some(t) => Some(scalar_tag(t, at)?),
                };
                let node = Node {
                    at,
                    kind: Kind::Scalar(Scalar {
                        text: text.into_owned(),
                        style,
                        tag,
                    }),
                };
                self.finish(node, anchor, false)
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.count(Cost { nodes: 1, bytes: 0 }, at)?;
                collection_tag(tag.as_deref(), CoreTag::Seq, at)?;
                self.open(
                    Frame::Seq {
                        at,
                        anchor,
                        items: Vec::new(),
                    },
                    at,
                )
            }
            Event::MappingStart(_, anchor, tag) => {
                self.count(Cost { nodes: 1, bytes: 0 }, at)?;
                collection_tag(tag.as_deref(), CoreTag::Map, at)?;
                self.open(
                    Frame::Map {
                        at,
                        anchor,
                        entries: Vec::new(),
                        merges: Vec::new(),
                        pending_key: None,
                    },
                    at,
                )
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq { at, anchor, items }) => self.finish(
                    Node {
                        at,
                        kind: Kind::Seq(items),
                    },
                    anchor,
                    false,
                ),
                _ => Err(YamlProblem::new(
                    Code::YamlSyntax,
                    at,
                    "invalid YAML: unbalanced sequence",
                )),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    at,
                    anchor,
                    entries,
                    merges,
                    ..
                }) => {
                    let entries = self.merge(entries, merges)?;
                    self.finish(
                        Node {
                            at,
                            kind: Kind::Map(entries),
                        },
                        anchor,
                        false,
                    )
                }
                _ => Err(YamlProblem::new(
                    Code::YamlSyntax,
                    at,
                    "invalid YAML: unbalanced mapping",
                )),
            },
            Event::Alias(id) => {
                let Some(c) = self.anchors.get(&id).map(cost) else {
                    return Err(YamlProblem::new(
                        Code::UnknownAlias,
                        at,
                        "alias refers to an anchor that is not defined before it",
                    ));
                };
                // Counted before copying: an alias bomb stops here, not in the allocator.
                self.count(c, at)?;
                let Some(mut node) = self.anchors.get(&id).cloned() else {
                    return Ok(());
                };
                // Errors about an alias are best shown where it is used.
                node.at = at;
                self.finish(node, 0, true)
            }
            Event::UnresolvedAlias(name) => Err(YamlProblem::new(
                Code::UnknownAlias,
                at,
                format!("alias `*{name}` refers to no anchor `&{name}`"),
            )),
            // Anchor metadata and comments are not requested; ignore them if they come.
            _ => Ok(()),
        }
    }

    fn open(&mut self, frame: Frame, at: Pos) -> Result<(), YamlProblem> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlProblem::new(
                Code::YamlLimit,
                at,
                format!("refusing to read this file: nesting is deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Records an anchor and attaches a finished node to its parent.
    fn finish(&mut self, node: Node, anchor: usize, from_alias: bool) -> Result<(), YamlProblem> {
        if anchor != 0 {
            // The anchor table holds a copy: count it, so anchors cannot multiply memory.
            self.count(cost(&node), node.at)?;
            self.anchors.insert(anchor, node.clone());
        }
        let Some(top) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match top {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                merges,
                pending_key,
                ..
            } => match pending_key.take() {
                None => {
                    let (key, plain) = match &node.kind {
                        Kind::Scalar(s) => (s.text.clone(), s.style == Style::Plain && !from_alias),
                        _ => {
                            return Err(YamlProblem::new(
                                Code::ComplexKey,
                                node.at,
                                "a mapping key must be plain text, not a list or mapping",
                            ));
                        }
                    };
                    *pending_key = Some((key, node.at, plain));
                }
                Some((key, key_at, plain)) => {
                    if plain && key == "<<" {
                        merges.push((key_at, node));
                    } else if let Some(first) = entries.iter().find(|e| e.key == key) {
                        let first_at = first.key_at;
                        self.problems.push(
                            YamlProblem::new(
                                Code::DuplicateKey,
                                key_at,
                                format!(
                                    "duplicate key `{key}` (first written at line {}, column {})",
                                    first_at.line, first_at.column
                                ),
                            )
                            .help("each key may appear once in a mapping; remove one of them"),
                        );
                    } else {
                        entries.push(Entry {
                            key,
                            key_at,
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(())
    }

    /// Applies `<<` merge keys: members of the merged mappings that the mapping does not set
    /// itself, the first merged mapping winning over later ones.
    fn merge(
        &mut self,
        mut entries: Vec<Entry>,
        merges: Vec<(Pos, Node)>,
    ) -> Result<Vec<Entry>, YamlProblem> {
        for (at, source) in merges {
            let maps: Vec<Node> = match source.kind {
                Kind::Map(_) => vec![source],
                Kind::Seq(items) if items.iter().all(|i| matches!(i.kind, Kind::Map(_))) => items,
                _ => {
                    return Err(YamlProblem::new(
                        Code::InvalidMerge,
                        at,
                        "`<<` merges a mapping (or a list of mappings) into this one",
                    )
                    .help("write `<<: *anchor` where `&anchor` names a mapping"));
                }
            };
            for m in maps {
                let Kind::Map(merged) = m.kind else { continue };
                for e in merged {
                    if !entries.iter().any(|x| x.key == e.key) {
                        entries.push(e);
                    }
                }
            }
        }
        Ok(entries)
    }
}

/// Only the core schema's tags (and the non-specific `!`) have a meaning in a manifest.
fn core_tag(t: &Tag) -> Option<CoreTag> {
    if t.original() == "!" {
        return Some(CoreTag::Str);
    }
    Some(match t.core_suffix()? {
        "str" => CoreTag::Str,
        "int" => CoreTag::Int,
        "float" => CoreTag::Float,
        "bool" => CoreTag::Bool,
        "null" => CoreTag::Null,
        "map" => CoreTag::Map,
        "seq" => CoreTag::Seq,
        _ => return None,
    })
}

fn unsupported_tag(t: &Tag, at: Pos) -> YamlProblem {
    YamlProblem::new(
        Code::UnsupportedTag,
        at,
        format!("unsupported YAML tag `{}`", t.original()),
    )
    .help("manifests use plain YAML; remove the tag (quote a value to keep it as text)")
}

fn scalar_tag(t: &Tag, at: Pos) -> Result<CoreTag, YamlProblem> {
    match core_tag(t) {
        Some(c) if c != CoreTag::Map && c != CoreTag::Seq => Ok(c),
        _ => Err(unsupported_tag(t, at)),
    }
}

fn collection_tag(t: Option<&Tag>, expected: CoreTag, at: Pos) -> Result<(), YamlProblem> {
    match t {
        None => Ok(()),
        Some(t) if core_tag(t) == Some(expected) => Ok(()),
        Some(t) => Err(unsupported_tag(t, at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    fn root(text: &str) -> Node {
        let p = parse(text).unwrap();
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        p.root.unwrap()
    }

    fn p(line: usize, column: usize) -> (usize, usize) {
        (line, column)
    }

    fn lc(pos: Pos) -> (usize, usize) {
        (pos.line, pos.column)
    }

    #[test]
    fn positions_of_keys_and_values_are_one_based() {
        let text = indoc! {"
            version: 1
            pbxs:
              - sn: 3651D3296882
                services:
                  - Hotel PMS
                  - {id: 12}
        "};
        let map = super::super::node::PositionMap::new(root(text));
        let (_, l) = map.find("/pbxs/0/sn").unwrap();
        assert_eq!(lc(l.key.unwrap()), p(3, 5));
        assert_eq!(lc(l.value), p(3, 9));
        assert_eq!(&text[l.value.byte..l.value.byte + 12], "3651D3296882");
        let (_, l) = map.find("/pbxs/0/services/1/id").unwrap();
        assert_eq!(lc(l.value), p(6, 14));
        let (_, l) = map.find("/pbxs/0").unwrap();
        assert_eq!(lc(l.value), p(3, 5));
        assert!(map.find("/pbxs/1").is_none());
        assert_eq!(lc(map.key_pos("/pbxs/0/plan")), p(3, 5));
    }

    #[test]
    fn columns_count_characters_and_bytes_stay_exact() {
        let text = "labels: {ünï: \"ça\", b: x}\n";
        let map = super::super::node::PositionMap::new(root(text));
        let (_, l) = map.find("/labels/b").unwrap();
        assert_eq!(lc(l.value), p(1, 24));
        assert_eq!(&text[l.value.byte..l.value.byte + 1], "x");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_places() {
        let parsed = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(parsed.problems.len(), 1);
        let pr = &parsed.problems[0];
        assert_eq!(lc(pr.at), p(3, 1));
        assert!(pr.message.contains("duplicate key `a`"), "{}", pr.message);
        assert!(pr.message.contains("line 1, column 1"), "{}", pr.message);
    }

    #[test]
    fn anchors_aliases_and_merge_keys_expand() {
        let n = root("base: &b {term: 1, renew: true}\nx:\n  <<: *b\n  term: 2\ny: *b\n");
        let j = n.to_json();
        assert_eq!(j["x"]["term"], 2);
        assert_eq!(j["x"]["renew"], true);
        assert_eq!(j["y"]["term"], 1);
        // The alias node is located where it is used.
        let map = super::super::node::PositionMap::new(n);
        assert_eq!(lc(map.value_pos("/y")), p(5, 4));
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_text() {
        let j = root("a: '0123'\nb: !!str 0123\nc: 0123\nd: ! 12\n").to_json();
        assert_eq!(j["a"], "0123");
        assert_eq!(j["b"], "0123");
        assert_eq!(j["c"], 123);
        assert_eq!(j["d"], "12");
    }

    #[test]
    fn custom_tags_and_complex_keys_are_refused() {
        let e = parse("a: !secret x\n").unwrap_err();
        assert!(
            e.message.contains("unsupported YAML tag `!secret`"),
            "{}",
            e.message
        );
        let e = parse("? [a, b]\n: c\n").unwrap_err();
        assert!(
            e.message.contains("mapping key must be plain text"),
            "{}",
            e.message
        );
    }

    #[test]
    fn syntax_errors_carry_their_place() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
        assert!(e.at.line >= 1);
        let e = parse("a: 1\n  b: 2\n").unwrap_err();
        assert_eq!(e.at.line, 2, "{e:?}");
    }

    #[test]
    fn empty_documents_have_no_root() {
        assert!(parse("").unwrap().root.is_none());
        assert!(parse("# only a comment\n").unwrap().root.is_none());
    }

    #[test]
    fn second_document_is_refused() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("second YAML document"), "{}", e.message);
        assert_eq!(e.at.line, 2);
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut y = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            let list = [prev.as_str(); 10].join(", ");
            y.push_str(&format!("a{i}: &a{i} [{list}]\n"));
        }
        let e = parse(&y).unwrap_err();
        assert!(
            e.message.contains("refusing to read this file"),
            "{}",
            e.message
        );
    }

    #[test]
    fn aliases_of_long_text_are_refused_before_copying() {
        let mut y = format!("a: &a \"{}\"\nb: [", "x".repeat(1024 * 1024));
        y.push_str(&vec!["*a"; 40].join(", "));
        y.push_str("]\n");
        let e = parse(&y).unwrap_err();
        assert!(
            e.message.contains("expands to more than 32 MiB"),
            "{}",
            e.message
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep_flow = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep_flow).is_err());
        let mut deep_block = String::new();
        for i in 0..200 {
            deep_block.push_str(&" ".repeat(i));
            deep_block.push_str("a:\n");
        }
        let e = parse(&deep_block).unwrap_err();
        assert!(
            e.message.contains("refusing") || e.message.contains("invalid YAML"),
            "{}",
            e.message
        );
    }
}
