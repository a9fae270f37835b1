//! A small in-memory RDF graph and its two serializations, Turtle and JSON-LD.
//!
//! The exports build one [`Graph`] and write it twice, so the Turtle and the JSON-LD of a
//! document always carry the same triples.
//! Every IRI is made safe when it enters the graph ([`Node::iri`]), and every literal is escaped
//! when it is written, so no input string can break out of its term.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::vocab::ns;

/// A subject or an object that is not a literal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    /// An IRI, already made safe by [`sanitize_iri`].
    Iri(String),
    /// A blank node, numbered within its graph.
    Blank(u32),
}

impl Node {
    /// An IRI node; characters that may not appear in an IRI are percent-encoded.
    pub(crate) fn iri(raw: &str) -> Node {
        Node::Iri(sanitize_iri(raw))
    }
}

/// How a literal is qualified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Tag {
    /// A plain `xsd:string`.
    None,
    /// A language-tagged string (`rdf:langString`).
    Lang(&'static str),
    /// A typed literal; the datatype IRI.
    Datatype(&'static str),
}

/// A literal value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Literal {
    pub(crate) value: String,
    pub(crate) tag: Tag,
}

/// The object of a triple.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Term {
    Node(Node),
    Literal(Literal),
}

impl Term {
    pub(crate) fn iri(raw: &str) -> Term {
        Term::Node(Node::iri(raw))
    }

    pub(crate) fn plain(value: impl Into<String>) -> Term {
        Term::Literal(Literal {
            value: value.into(),
            tag: Tag::None,
        })
    }

    pub(crate) fn lang(value: impl Into<String>, lang: &'static str) -> Term {
        Term::Literal(Literal {
            value: value.into(),
            tag: Tag::Lang(lang),
        })
    }

    pub(crate) fn typed(value: impl Into<String>, datatype: &'static str) -> Term {
        Term::Literal(Literal {
            value: value.into(),
            tag: Tag::Datatype(datatype),
        })
    }
}

impl From<Node> for Term {
    fn from(node: Node) -> Term {
        Term::Node(node)
    }
}

/// The statements about one subject, in the order they were added.
struct Description {
    node: Node,
    props: Vec<(&'static str, Term)>,
    seen: HashSet<(&'static str, Term)>,
}

/// A set of triples grouped by subject, in insertion order so that output is stable.
#[derive(Default)]
pub(crate) struct Graph {
    subjects: Vec<Description>,
    index: HashMap<Node, usize>,
    blanks: u32,
}

impl Graph {
    pub(crate) fn new() -> Graph {
        Graph::default()
    }

    /// A fresh blank node.
    pub(crate) fn blank(&mut self) -> Node {
        self.blanks += 1;
        Node::Blank(self.blanks)
    }

    /// Adds a triple; adding one already present does nothing, as RDF graphs are sets.
    pub(crate) fn add(&mut self, subject: &Node, predicate: &'static str, object: impl Into<Term>) {
        let object = object.into();
        let i = match self.index.get(subject) {
            Some(&i) => i,
            None => {
                self.subjects.push(Description {
                    node: subject.clone(),
                    props: Vec::new(),
                    seen: HashSet::new(),
                });
                self.index.insert(subject.clone(), self.subjects.len() - 1);
                self.subjects.len() - 1
            }
        };
        let d = &mut self.subjects[i];
        if d.seen.insert((predicate, object.clone())) {
            d.props.push((predicate, object));
        }
    }

    /// Adds `subject rdf:type class`.
    pub(crate) fn add_type(&mut self, subject: &Node, class: &'static str) {
        self.add(subject, ns::RDF_TYPE, Term::iri(class));
    }

    /// Whether the graph holds this triple.
    #[cfg(test)]
    pub(crate) fn contains(&self, subject: &Node, predicate: &str, object: &Term) -> bool {
        self.index.get(subject).is_some_and(|&i| {
            self.subjects[i]
                .props
                .iter()
                .any(|(p, o)| *p == predicate && o == object)
        })
    }

    /// How often each blank node appears as an object. A blank node used exactly once is written
    /// nested inside the statement that uses it (`[ … ]` in Turtle, an embedded object in JSON-LD).
    fn blank_uses(&self) -> HashMap<u32, usize> {
        let mut uses = HashMap::new();
        for d in &self.subjects {
            for (_, o) in &d.props {
                if let Term::Node(Node::Blank(b)) = o {
                    *uses.entry(*b).or_insert(0) += 1;
                }
            }
        }
        uses
    }

    fn description(&self, node: &Node) -> Option<&Description> {
        self.index.get(node).map(|&i| &self.subjects[i])
    }

    fn is_nested(uses: &HashMap<u32, usize>, node: &Node) -> bool {
        matches!(node, Node::Blank(b) if uses.get(b) == Some(&1))
    }

    /// The graph in Turtle, with the prefixes of [`ns::PREFIXES`].
    pub(crate) fn to_turtle(&self) -> String {
        let uses = self.blank_uses();
        let mut out = String::new();
        for (prefix, namespace) in ns::PREFIXES {
            let _ = writeln!(out, "@prefix {prefix}: <{namespace}> .");
        }
        for d in &self.subjects {
            if Self::is_nested(&uses, &d.node) {
                continue;
            }
            out.push('\n');
            out.push_str(&turtle_node(&d.node));
            out.push('\n');
            self.turtle_props(&mut out, d, 1, &uses);
            out.push_str(" .\n");
        }
        out
    }

    fn turtle_props(
        &self,
        out: &mut String,
        d: &Description,
        depth: usize,
        uses: &HashMap<u32, usize>,
    ) {
        let indent = "    ".repeat(depth);
        for (i, (predicate, objects)) in group(&d.props).into_iter().enumerate() {
            if i > 0 {
                out.push_str(" ;\n");
            }
            out.push_str(&indent);
            if predicate == ns::RDF_TYPE {
                out.push('a');
            } else {
                out.push_str(&turtle_iri(predicate));
            }
            for (j, object) in objects.into_iter().enumerate() {
                out.push_str(if j == 0 { " " } else { ", " });
                match object {
                    Term::Node(node) if Self::is_nested(uses, node) => match self.description(node)
                    {
                        Some(inner) => {
                            out.push_str("[\n");
                            self.turtle_props(out, inner, depth + 1, uses);
                            out.push('\n');
                            out.push_str(&indent);
                            out.push(']');
                        }
                        None => out.push_str("[]"),
                    },
                    Term::Node(node) => out.push_str(&turtle_node(node)),
                    Term::Literal(literal) => out.push_str(&turtle_literal(literal)),
                }
            }
        }
    }

    /// The graph as a JSON-LD document: `{"@context": …, "@graph": [...]}`, keys as compact IRIs.
    pub(crate) fn to_jsonld(&self) -> Value {
        let uses = self.blank_uses();
        let graph: Vec<Value> = self
            .subjects
            .iter()
            .filter(|d| !Self::is_nested(&uses, &d.node))
            .map(|d| self.jsonld_node(d, &uses, true))
            .collect();
        let mut doc = Map::new();
        doc.insert("@context".into(), jsonld_context());
        doc.insert("@graph".into(), Value::Array(graph));
        Value::Object(doc)
    }

    fn jsonld_node(&self, d: &Description, uses: &HashMap<u32, usize>, with_id: bool) -> Value {
        let mut obj = Map::new();
        if with_id {
            obj.insert("@id".into(), Value::String(jsonld_id(&d.node)));
        }
        for (predicate, objects) in group(&d.props) {
            if predicate == ns::RDF_TYPE {
                let types: Vec<Value> = objects
                    .into_iter()
                    .map(|o| match o {
                        Term::Node(Node::Iri(iri)) => {
                            Value::String(compact(iri).unwrap_or_else(|| iri.clone()))
                        }
                        Term::Node(blank) => Value::String(jsonld_id(blank)),
                        // A literal type cannot be expressed with @type; it is never produced.
                        Term::Literal(l) => Value::String(l.value.clone()),
                    })
                    .collect();
                obj.insert("@type".into(), one_or_many(types));
                continue;
            }
            let values: Vec<Value> = objects
                .into_iter()
                .map(|o| match o {
                    Term::Node(node) if Self::is_nested(uses, node) => match self.description(node)
                    {
                        Some(inner) => self.jsonld_node(inner, uses, false),
                        None => Value::Object(Map::new()),
                    },
                    Term::Node(node) => {
                        let mut m = Map::new();
                        m.insert("@id".into(), Value::String(jsonld_id(node)));
                        Value::Object(m)
                    }
                    Term::Literal(l) => jsonld_literal(l),
                })
                .collect();
            let key = compact(predicate).unwrap_or_else(|| predicate.to_string());
            obj.insert(key, one_or_many(values));
        }
        Value::Object(obj)
    }
}

/// The JSON-LD `@context`: one prefix per vocabulary, the same prefixes as the Turtle.
pub(crate) fn jsonld_context() -> Value {
    let mut ctx = Map::new();
    for (prefix, namespace) in ns::PREFIXES {
        ctx.insert((*prefix).into(), Value::String((*namespace).into()));
    }
    Value::Object(ctx)
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.pop().unwrap_or(Value::Null)
    } else {
        Value::Array(values)
    }
}

fn jsonld_id(node: &Node) -> String {
    match node {
        Node::Iri(iri) => iri.clone(),
        Node::Blank(b) => format!("_:b{b}"),
    }
}

fn jsonld_literal(l: &Literal) -> Value {
    let mut m = Map::new();
    m.insert("@value".into(), Value::String(l.value.clone()));
    match l.tag {
        Tag::None => return Value::String(l.value.clone()),
        Tag::Lang(lang) => {
            m.insert("@language".into(), Value::String(lang.into()));
        }
        Tag::Datatype(dt) => {
            m.insert(
                "@type".into(),
                Value::String(compact(dt).unwrap_or_else(|| dt.to_string())),
            );
        }
    }
    Value::Object(m)
}

/// The statements of one subject grouped by predicate, predicates in first-use order,
/// `rdf:type` first.
fn group<'a>(props: &'a [(&'static str, Term)]) -> Vec<(&'static str, Vec<&'a Term>)> {
    let mut groups: Vec<(&'static str, Vec<&'a Term>)> = Vec::new();
    for (p, o) in props {
        match groups.iter_mut().find(|(q, _)| q == p) {
            Some((_, objects)) => objects.push(o),
            None => groups.push((p, vec![o])),
        }
    }
    groups.sort_by_key(|(p, _)| *p != ns::RDF_TYPE);
    groups
}

/// `prefix:local` for an IRI in one of the declared namespaces, when the local part is a name
/// that needs no escaping in either Turtle or JSON-LD.
fn compact(iri: &str) -> Option<String> {
    ns::PREFIXES.iter().find_map(|(prefix, namespace)| {
        let local = iri.strip_prefix(namespace)?;
        let mut chars = local.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        (first_ok && rest_ok).then(|| format!("{prefix}:{local}"))
    })
}

fn turtle_iri(iri: &str) -> String {
    compact(iri).unwrap_or_else(|| format!("<{iri}>"))
}

fn turtle_node(node: &Node) -> String {
    match node {
        Node::Iri(iri) => turtle_iri(iri),
        Node::Blank(b) => format!("_:b{b}"),
    }
}

fn turtle_literal(l: &Literal) -> String {
    let mut out = String::with_capacity(l.value.len() + 2);
    out.push('"');
    out.push_str(&escape_literal(&l.value));
    out.push('"');
    match l.tag {
        Tag::None => {}
        Tag::Lang(lang) => {
            out.push('@');
            out.push_str(lang);
        }
        Tag::Datatype(dt) => {
            out.push_str("^^");
            out.push_str(&turtle_iri(dt));
        }
    }
    out
}

/// Escapes a string for a Turtle `STRING_LITERAL_QUOTE` (`"…"`): quotes, backslashes and line
/// breaks get their escape sequences and other control characters `\uXXXX`; everything else,
/// Chinese included, is written as is, since Turtle is UTF-8.
pub(crate) fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Makes a string safe to use as an IRI in Turtle (`<…>`) and JSON-LD: surrounding whitespace is
/// trimmed, and every character an IRI may not contain (controls, space, `<>"{}|^` and backquote,
/// backslash) is percent-encoded, as is a `%` that does not start a percent-encoding.
/// Non-ASCII letters such as Chinese are allowed in IRIs and kept. The result is unchanged by a
/// second pass.
pub(crate) fn sanitize_iri(raw: &str) -> String {
    let raw = raw.trim();
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.char_indices() {
        let forbidden = c.is_control()
            || matches!(
                c,
                ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\'
            );
        let stray_percent = c == '%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit));
        if forbidden || stray_percent {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether a string is an absolute IRI: it starts with a scheme (`ALPHA *( ALPHA / DIGIT / "+" /
/// "-" / "." ) ":"`, RFC 3987) and has something after it.
pub(crate) fn is_absolute_iri(s: &str) -> bool {
    let s = s.trim();
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
}

/// Whether a string looks like an `http(s)` URL, which is how a field that holds either a URL or
/// a name (a license, a place) is told apart.
pub(crate) fn is_http_url(s: &str) -> bool {
    let s = s.trim();
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    (lower.starts_with("http://") && s.len() > 7) || (lower.starts_with("https://") && s.len() > 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_literal(input: &str, expected: &str) {
        assert_eq!(escape_literal(input), expected, "escaping {input:?}");
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_line_breaks() {
        check_literal("plain", "plain");
        check_literal("say \"hi\"", "say \\\"hi\\\"");
        check_literal("C:\\data\\x", "C:\\\\data\\\\x");
        check_literal("line1\nline2\r\n", "line1\\nline2\\r\\n");
        check_literal("a\tb", "a\\tb");
        check_literal("bell\u{7}", "bell\\u0007");
        check_literal("交通出行“数据”", "交通出行“数据”");
        check_literal("\\\"", "\\\\\\\"");
    }

    fn check_iri(input: &str, expected: &str) {
        let once = sanitize_iri(input);
        assert_eq!(once, expected, "sanitizing {input:?}");
        assert_eq!(
            sanitize_iri(&once),
            once,
            "sanitizing is idempotent for {input:?}"
        );
    }

    #[test]
    fn iris_percent_encode_what_may_not_appear() {
        check_iri("https://a.example/x", "https://a.example/x");
        check_iri("  https://a.example/x \n", "https://a.example/x");
        check_iri("https://a.example/a>b", "https://a.example/a%3Eb");
        check_iri("https://a.example/<x>", "https://a.example/%3Cx%3E");
        check_iri("https://a.example/a b", "https://a.example/a%20b");
        check_iri(
            "https://a.example/\"q\"{}|^`\\",
            "https://a.example/%22q%22%7B%7D%7C%5E%60%5C",
        );
        check_iri("https://a.example/50%", "https://a.example/50%25");
        check_iri("https://a.example/%E4%BA%A4", "https://a.example/%E4%BA%A4");
        check_iri("https://a.example/交通出行", "https://a.example/交通出行");
        check_iri("https://a.example/a\nb", "https://a.example/a%0Ab");
    }

    #[test]
    fn turtle_never_lets_an_iri_or_literal_escape_its_term() {
        let mut g = Graph::new();
        let s = Node::iri("https://a.example/d> <x> <y");
        g.add(
            &s,
            ns::DCT_TITLE,
            Term::lang("a \"quoted\" \\ title\n第二行", "zh"),
        );
        let ttl = g.to_turtle();
        assert!(
            ttl.contains("<https://a.example/d%3E%20%3Cx%3E%20%3Cy>"),
            "{ttl}"
        );
        assert!(
            ttl.contains(r#"dct:title "a \"quoted\" \\ title\n第二行"@zh"#),
            "{ttl}"
        );
    }

    #[test]
    fn absolute_iris_need_a_scheme() {
        assert!(is_absolute_iri("https://a.example/"));
        assert!(is_absolute_iri("mailto:a@b.example"));
        assert!(is_absolute_iri("urn:isbn:123"));
        assert!(!is_absolute_iri("/dataset/x"));
        assert!(!is_absolute_iri("dataset/x"));
        assert!(!is_absolute_iri(""));
        assert!(!is_absolute_iri("1http://x"));
        assert!(!is_absolute_iri("https:"));
        assert!(is_http_url("HTTPS://a.example"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url("CC-BY-4.0"));
        assert!(!is_http_url("杭州市"));
    }

    #[test]
    fn compact_names_only_when_safe() {
        assert_eq!(compact(ns::DCT_TITLE).as_deref(), Some("dct:title"));
        assert_eq!(compact("http://purl.org/dc/terms/a.b"), None);
        assert_eq!(compact("http://purl.org/dc/terms/"), None);
        assert_eq!(compact("https://data.example.gov.cn/x"), None);
    }

    #[test]
    fn duplicate_triples_are_kept_once_and_single_use_blanks_nest() {
        let mut g = Graph::new();
        let s = Node::iri("https://a.example/s");
        let b = g.blank();
        g.add(&s, ns::DCAT_CONTACT_POINT, b.clone());
        g.add(&s, ns::DCAT_CONTACT_POINT, b.clone());
        g.add_type(&b, ns::VCARD_KIND);
        g.add(&b, ns::VCARD_FN, Term::plain("x"));
        let ttl = g.to_turtle();
        assert_eq!(ttl.matches("dcat:contactPoint").count(), 1, "{ttl}");
        assert!(
            ttl.contains(
                "dcat:contactPoint [\n        a vcard:Kind ;\n        vcard:fn \"x\"\n    ] ."
            ),
            "{ttl}"
        );
        let json = g.to_jsonld();
        assert_eq!(json["@graph"][0]["dcat:contactPoint"]["vcard:fn"], "x");
        assert_eq!(
            json["@graph"][0]["dcat:contactPoint"]["@type"],
            "vcard:Kind"
        );
    }
}
