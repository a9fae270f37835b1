//! DCAT-AP 3 documents for the catalog and for single datasets.
//!
//! Every resource the document points to is described in the document as well, with the class
//! DCAT-AP expects of it (a landing page is a `foaf:Document`, an access URL an `rdfs:Resource`,
//! a frequency a `dct:Frequency`), because a SHACL validator checks classes against the data
//! graph alone and does not fetch the EU vocabularies.

use std::collections::BTreeSet;

use crate::datetime::{temporal_datatype, xsd_date_time};
use crate::rdf::{is_absolute_iri, is_http_url, Graph, Node, Term};
use crate::types::{Agent, Catalog, Dataset, Distribution};
use crate::vocab::{self, ns};

/// The platform's own theme scheme lives at `{origin}/themes` of the dataset's IRI, so the catalog
/// and a single dataset name the same concepts.
const THEME_SCHEME_PATH: &str = "/themes";
/// Used for the theme scheme when a dataset IRI has no `scheme://host` origin.
const FALLBACK_ORIGIN: &str = "https://gongshu.example";

/// The catalog as DCAT-AP 3 Turtle.
pub fn catalog_turtle(catalog: &Catalog) -> String {
    catalog_graph(catalog).to_turtle()
}

/// The catalog as a DCAT-AP 3 JSON-LD document (`@context` and `@graph`).
pub fn catalog_jsonld(catalog: &Catalog) -> serde_json::Value {
    catalog_graph(catalog).to_jsonld()
}

/// One dataset as a DCAT-AP 3 Turtle document that validates on its own: it describes the
/// publisher, the contact point, the distributions and every concept it uses.
pub fn dataset_turtle(dataset: &Dataset) -> String {
    dataset_graph(dataset).to_turtle()
}

/// One dataset as a DCAT-AP 3 JSON-LD document, with the same content as [`dataset_turtle`].
pub fn dataset_jsonld(dataset: &Dataset) -> serde_json::Value {
    dataset_graph(dataset).to_jsonld()
}

fn dataset_graph(dataset: &Dataset) -> Graph {
    let mut g = Graph::new();
    add_dataset(&mut g, dataset);
    g
}

fn catalog_graph(c: &Catalog) -> Graph {
    let mut g = Graph::new();
    let cat = subject(&mut g, &c.iri);
    g.add_type(&cat, ns::DCAT_CATALOG);
    g.add(&cat, ns::DCT_TITLE, Term::lang(&c.title_zh, "zh"));
    if !c.title_en.trim().is_empty() {
        g.add(&cat, ns::DCT_TITLE, Term::lang(&c.title_en, "en"));
    }
    g.add(
        &cat,
        ns::DCT_DESCRIPTION,
        Term::lang(&c.description_zh, "zh"),
    );
    if !c.description_en.trim().is_empty() {
        g.add(
            &cat,
            ns::DCT_DESCRIPTION,
            Term::lang(&c.description_en, "en"),
        );
    }
    let publisher = add_agent(&mut g, &c.publisher);
    g.add(&cat, ns::DCT_PUBLISHER, publisher);
    if let Some(homepage) = link(&c.homepage) {
        add_document(&mut g, &homepage);
        g.add(&cat, ns::FOAF_HOMEPAGE, homepage);
    }
    // The catalog record has no publication date of its own; it has existed at least since its
    // first dataset was issued.
    if let Some(first) = c.datasets.iter().map(|d| d.issued).min() {
        g.add(&cat, ns::DCT_ISSUED, date_time(first));
    }
    g.add(&cat, ns::DCT_MODIFIED, date_time(c.modified));
    add_language(&mut g, &cat, "ZHO", "Chinese", "中文");
    if !c.title_en.trim().is_empty() || !c.description_en.trim().is_empty() {
        add_language(&mut g, &cat, "ENG", "English", "英语");
    }
    // The catalog covers the places its datasets cover.
    let places: BTreeSet<&str> = c
        .datasets
        .iter()
        .filter_map(|d| d.spatial.as_deref())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for place in places {
        let location = add_location(&mut g, place);
        g.add(&cat, ns::DCT_SPATIAL, location);
    }
    let eu_themes = eu_theme_scheme(&mut g);
    g.add(&cat, ns::DCAT_THEME_TAXONOMY, eu_themes);
    let mut platform_schemes = BTreeSet::new();
    for d in &c.datasets {
        if !d.themes.iter().all(|t| t.trim().is_empty()) {
            platform_schemes.insert(origin(&d.iri));
        }
    }
    for origin in platform_schemes {
        let scheme = platform_theme_scheme(&mut g, &origin);
        g.add(&cat, ns::DCAT_THEME_TAXONOMY, scheme);
    }
    for d in &c.datasets {
        let dataset = add_dataset(&mut g, d);
        g.add(&cat, ns::DCAT_DATASET, dataset);
    }
    g
}

/// The node for a resource's own IRI; a blank node when the IRI is not absolute, since a
/// relative IRI would be resolved against wherever the document happens to be stored.
fn subject(g: &mut Graph, iri: &str) -> Node {
    if is_absolute_iri(iri) {
        Node::iri(iri)
    } else {
        g.blank()
    }
}

/// The node for a link to another resource, or `None` when the link is missing or relative.
fn link(iri: &str) -> Option<Node> {
    is_absolute_iri(iri).then(|| Node::iri(iri))
}

fn date_time(unix_ms: i64) -> Term {
    Term::typed(xsd_date_time(unix_ms), ns::XSD_DATE_TIME)
}

/// Free text in the language it is written in: tagged `@zh` when it contains Chinese characters,
/// untagged otherwise, since an ASCII title may be English, pinyin or a code.
fn text(s: &str) -> Term {
    if s.chars().any(is_han) {
        Term::lang(s, "zh")
    } else {
        Term::plain(s)
    }
}

fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

fn add_document(g: &mut Graph, page: &Node) {
    g.add_type(page, ns::FOAF_DOCUMENT);
}

/// A concept of a controlled vocabulary, described just enough for SHACL: its classes and labels.
fn add_concept(
    g: &mut Graph,
    iri: &str,
    classes: &[&'static str],
    labels: &[(&str, &'static str)],
) -> Node {
    let node = Node::iri(iri);
    for class in classes {
        g.add_type(&node, class);
    }
    g.add_type(&node, ns::SKOS_CONCEPT);
    for (label, lang) in labels {
        if !label.is_empty() {
            g.add(&node, ns::SKOS_PREF_LABEL, Term::lang(*label, lang));
        }
    }
    node
}

fn add_language(g: &mut Graph, subject: &Node, code: &str, en: &str, zh: &str) {
    let iri = format!("{}{code}", vocab::LANGUAGE);
    let language = add_concept(
        g,
        &iri,
        &[ns::DCT_LINGUISTIC_SYSTEM],
        &[(en, "en"), (zh, "zh")],
    );
    g.add(subject, ns::DCT_LANGUAGE, language);
}

fn add_agent(g: &mut Graph, agent: &Agent) -> Node {
    let node = subject(g, &agent.iri);
    g.add_type(&node, ns::FOAF_AGENT);
    g.add_type(&node, ns::FOAF_ORGANIZATION);
    g.add(&node, ns::FOAF_NAME, text(&agent.name));
    let (code, label) = vocab::publisher_type(agent.kind);
    let kind = add_concept(
        g,
        &format!("{}{code}", vocab::PUBLISHER_TYPE),
        &[],
        &[(label, "en")],
    );
    g.add(&node, ns::DCT_TYPE, kind);
    g.add(
        &node,
        ns::GONGSHU_AGENT_KIND,
        Term::plain(agent.kind.code()),
    );
    if let Some(homepage) = agent.homepage.as_deref().and_then(link) {
        add_document(g, &homepage);
        g.add(&node, ns::FOAF_HOMEPAGE, homepage);
    }
    node
}

fn eu_theme_scheme(g: &mut Graph) -> Node {
    let scheme = Node::iri(vocab::DATA_THEME.trim_end_matches('/'));
    g.add_type(&scheme, ns::SKOS_CONCEPT_SCHEME);
    g.add(&scheme, ns::DCT_TITLE, Term::lang("Data Theme", "en"));
    scheme
}

/// `scheme://host[:port]` of an IRI.
fn origin(iri: &str) -> String {
    let iri = iri.trim();
    match iri.split_once("://") {
        Some((scheme, rest)) if is_absolute_iri(iri) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or("");
            if host.is_empty() {
                FALLBACK_ORIGIN.to_string()
            } else {
                format!("{scheme}://{host}")
            }
        }
        _ => FALLBACK_ORIGIN.to_string(),
    }
}

fn platform_theme_scheme(g: &mut Graph, origin: &str) -> Node {
    let scheme = Node::iri(&format!("{origin}{THEME_SCHEME_PATH}"));
    g.add_type(&scheme, ns::SKOS_CONCEPT_SCHEME);
    g.add(&scheme, ns::DCT_TITLE, Term::lang("主题分类", "zh"));
    g.add(&scheme, ns::DCT_TITLE, Term::lang("Themes", "en"));
    scheme
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for a theme name used as a
/// path segment.
fn path_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.trim().bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn add_dataset(g: &mut Graph, d: &Dataset) -> Node {
    let ds = subject(g, &d.iri);
    g.add_type(&ds, ns::DCAT_DATASET_CLASS);
    g.add(&ds, ns::DCT_IDENTIFIER, Term::plain(&d.identifier));
    g.add(&ds, ns::DCT_TITLE, text(&d.title));
    g.add(&ds, ns::DCT_DESCRIPTION, text(&d.description));
    for keyword in d
        .keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
    {
        g.add(&ds, ns::DCAT_KEYWORD, text(keyword));
    }
    add_themes(g, &ds, d);
    let publisher = add_agent(g, &d.publisher);
    g.add(&ds, ns::DCT_PUBLISHER, publisher);
    add_contact_point(g, &ds, d);
    g.add(&ds, ns::DCT_ISSUED, date_time(d.issued));
    g.add(&ds, ns::DCT_MODIFIED, date_time(d.modified));
    if let Some(frequency) = d.frequency.as_deref().filter(|f| !f.trim().is_empty()) {
        let code = vocab::frequency(frequency);
        let iri = format!("{}{code}", vocab::FREQUENCY);
        let label = vocab::frequency_label(code);
        let node = add_concept(g, &iri, &[ns::DCT_FREQUENCY], &[(label, "en")]);
        g.add(&ds, ns::DCT_ACCRUAL_PERIODICITY, node);
    }
    if let Some(page) = link(&d.landing_page) {
        add_document(g, &page);
        g.add(&ds, ns::DCAT_LANDING_PAGE, page);
    }
    let code = vocab::access_right(d.access);
    let (en, zh) = vocab::access_right_labels(code);
    let iri = format!("{}{code}", vocab::ACCESS_RIGHT);
    let rights = add_concept(
        g,
        &iri,
        &[ns::DCT_RIGHTS_STATEMENT],
        &[(en, "en"), (zh, "zh")],
    );
    g.add(&ds, ns::DCT_ACCESS_RIGHTS, rights);
    if let Some(place) = d
        .spatial
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let location = add_location(g, place);
        g.add(&ds, ns::DCT_SPATIAL, location);
    }
    if let Some(period) = add_period(g, d.temporal.as_ref()) {
        g.add(&ds, ns::DCT_TEMPORAL, period);
    }
    if let Some(score) = d.quality_score.filter(|s| s.is_finite()) {
        let metric = Node::iri(ns::GONGSHU_QUALITY_SCORE);
        g.add_type(&metric, ns::DQV_METRIC);
        g.add(
            &metric,
            ns::DQV_EXPECTED_DATA_TYPE,
            Node::iri(ns::XSD_DECIMAL),
        );
        g.add(
            &metric,
            ns::SKOS_PREF_LABEL,
            Term::lang("数据质量评分（0–100）", "zh"),
        );
        g.add(
            &metric,
            ns::SKOS_PREF_LABEL,
            Term::lang("Data quality score (0–100)", "en"),
        );
        let m = g.blank();
        g.add_type(&m, ns::DQV_QUALITY_MEASUREMENT);
        g.add(&m, ns::DQV_IS_MEASUREMENT_OF, metric);
        g.add(
            &m,
            ns::DQV_VALUE,
            Term::typed(format!("{score:.2}"), ns::XSD_DECIMAL),
        );
        g.add(&ds, ns::DQV_HAS_QUALITY_MEASUREMENT, m);
    }
    g.add(&ds, ns::GONGSHU_GRADE, Term::plain(&d.grade));
    g.add(&ds, ns::GONGSHU_DOMAIN, Term::plain(&d.domain));
    g.add(&ds, ns::GONGSHU_OPENING_TYPE, Term::plain(d.access.code()));
    for dist in &d.distributions {
        let node = add_distribution(g, d, dist);
        g.add(&ds, ns::DCAT_DISTRIBUTION, node);
    }
    ds
}

/// Each theme becomes a concept of the platform's theme scheme, labelled in Chinese, and, where
/// the theme clearly matches one, also the EU data theme.
fn add_themes(g: &mut Graph, ds: &Node, d: &Dataset) {
    let themes: Vec<&str> = d
        .themes
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .collect();
    if themes.is_empty() {
        return;
    }
    let origin = origin(&d.iri);
    let scheme = platform_theme_scheme(g, &origin);
    for theme in themes {
        let iri = format!("{origin}{THEME_SCHEME_PATH}/{}", path_segment(theme));
        let concept = add_concept(g, &iri, &[], &[(theme, "zh")]);
        g.add(&concept, ns::SKOS_IN_SCHEME, scheme.clone());
        g.add(ds, ns::DCAT_THEME, concept);
        if let Some(code) = vocab::data_theme(theme) {
            let iri = format!("{}{code}", vocab::DATA_THEME);
            let label = vocab::data_theme_label(code);
            let concept = add_concept(g, &iri, &[], &[(label, "en")]);
            let eu_scheme = eu_theme_scheme(g);
            g.add(&concept, ns::SKOS_IN_SCHEME, eu_scheme);
            g.add(ds, ns::DCAT_THEME, concept);
        }
    }
}

/// The contact point: the given name and e-mail; without a name, the publisher's name; without
/// an e-mail, the publisher's home page, so that there is always some way to reach someone.
fn add_contact_point(g: &mut Graph, ds: &Node, d: &Dataset) {
    let email = d
        .contact_email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let name = d
        .contact_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let homepage = d.publisher.homepage.as_deref().and_then(link);
    let contact = g.blank();
    g.add_type(&contact, ns::VCARD_KIND);
    g.add(
        &contact,
        ns::VCARD_FN,
        text(name.unwrap_or(&d.publisher.name)),
    );
    match email {
        Some(email) => {
            let mailto = if email.to_ascii_lowercase().starts_with("mailto:") {
                email.to_string()
            } else {
                format!("mailto:{email}")
            };
            g.add(&contact, ns::VCARD_HAS_EMAIL, Term::iri(&mailto));
        }
        None => {
            if let Some(homepage) = homepage {
                g.add(&contact, ns::VCARD_HAS_URL, homepage);
            }
        }
    }
    g.add(ds, ns::DCAT_CONTACT_POINT, contact);
}

/// A place: a URL is used as the location's IRI, a name becomes a location with that name.
fn add_location(g: &mut Graph, place: &str) -> Node {
    let node = if is_http_url(place) {
        Node::iri(place)
    } else {
        let node = g.blank();
        g.add(&node, ns::LOCN_GEOGRAPHIC_NAME, text(place));
        node
    };
    g.add_type(&node, ns::DCT_LOCATION);
    node
}

fn add_period(g: &mut Graph, temporal: Option<&(Option<String>, Option<String>)>) -> Option<Node> {
    let (start, end) = temporal?;
    let bound = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (start, end) = (bound(start), bound(end));
    if start.is_none() && end.is_none() {
        return None;
    }
    let period = g.blank();
    g.add_type(&period, ns::DCT_PERIOD_OF_TIME);
    for (predicate, value) in [(ns::DCAT_START_DATE, start), (ns::DCAT_END_DATE, end)] {
        if let Some(value) = value {
            let term = match temporal_datatype(&value) {
                Some((datatype, lexical)) => Term::typed(lexical, datatype),
                None => text(&value),
            };
            g.add(&period, predicate, term);
        }
    }
    Some(period)
}

/// The license: a URL names the license document itself, a known name (`CC-BY-4.0`) the EU
/// licence vocabulary's IRI, and any other name a license document with that label.
fn add_license(g: &mut Graph, license: &str) -> Node {
    let known = vocab::known_license(license);
    let node = if is_http_url(license) {
        Node::iri(license)
    } else if let Some(known) = known {
        Node::iri(&format!("{}{}", vocab::LICENCE, known.eu_code))
    } else {
        let node = g.blank();
        g.add(&node, ns::RDFS_LABEL, text(license));
        node
    };
    g.add_type(&node, ns::DCT_LICENSE_DOCUMENT);
    if let Some(known) = known {
        g.add(&node, ns::RDFS_LABEL, Term::lang(known.title, "en"));
        for code in known.types {
            let iri = format!("{}{code}", vocab::LICENCE_TYPE);
            let concept = add_concept(g, &iri, &[], &[(code, "en")]);
            g.add(&node, ns::DCT_TYPE, concept);
        }
    }
    node
}

fn add_distribution(g: &mut Graph, d: &Dataset, dist: &Distribution) -> Node {
    let node = subject(g, &dist.iri);
    g.add_type(&node, ns::DCAT_DISTRIBUTION_CLASS);
    if !dist.title.trim().is_empty() {
        g.add(&node, ns::DCT_TITLE, text(&dist.title));
    }
    let format = dist
        .format
        .as_deref()
        .and_then(vocab::file_type)
        .or_else(|| {
            dist.media_type
                .as_deref()
                .and_then(vocab::file_type_of_media_type)
        });
    let media_type = dist
        .media_type
        .as_deref()
        .and_then(vocab::media_type)
        .or_else(|| {
            format
                .and_then(vocab::file_type_media_type)
                .map(str::to_owned)
        });
    let format_name = format.map(vocab::file_type_label).or(dist
        .format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty()));
    let description = match format_name {
        Some(f) => format!("「{}」的数据文件：{}（{f} 格式）", d.title, dist.title),
        None => format!("「{}」的数据文件：{}", d.title, dist.title),
    };
    g.add(&node, ns::DCT_DESCRIPTION, Term::lang(description, "zh"));

    // DCAT-AP requires an access URL; a distribution whose access URL is unusable falls back to
    // its download URL, then to the dataset's landing page.
    let download = dist.download_url.as_deref().and_then(link);
    let access = link(&dist.access_url)
        .or_else(|| download.clone())
        .or_else(|| link(&d.landing_page));
    if let Some(access) = access {
        g.add_type(&access, ns::RDFS_RESOURCE);
        g.add(&node, ns::DCAT_ACCESS_URL, access);
    }
    if let Some(download) = download {
        g.add_type(&download, ns::RDFS_RESOURCE);
        g.add(&node, ns::DCAT_DOWNLOAD_URL, download);
    }
    if let Some(media_type) = media_type {
        let iri = format!("{}{media_type}", vocab::IANA_MEDIA_TYPES);
        let mt = Node::iri(&iri);
        g.add_type(&mt, ns::DCT_MEDIA_TYPE);
        g.add(&node, ns::DCAT_MEDIA_TYPE, mt);
    }
    if let Some(code) = format {
        let iri = format!("{}{code}", vocab::FILE_TYPE);
        let label = vocab::file_type_label(code);
        let ft = add_concept(g, &iri, &[ns::DCT_MEDIA_TYPE_OR_EXTENT], &[(label, "en")]);
        g.add(&node, ns::DCT_FORMAT, ft);
    }
    // DCAT 3 and the complete DCAT-AP 3.0.0 shapes type the size `xsd:nonNegativeInteger`; the
    // split `shapes.ttl` of the release's HTML edition still says `xsd:decimal`, a known
    // inconsistency (SEMICeu/DCAT-AP#399), and cannot be satisfied at the same time.
    if let Some(size) = dist.byte_size.filter(|s| *s >= 0) {
        g.add(
            &node,
            ns::DCAT_BYTE_SIZE,
            Term::typed(size.to_string(), ns::XSD_NON_NEGATIVE_INTEGER),
        );
    }
    if let Some(modified) = dist.modified {
        g.add(&node, ns::DCT_MODIFIED, date_time(modified));
    }
    if let Some(license) = d
        .license
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let license = add_license(g, license);
        g.add(&node, ns::DCT_LICENSE, license);
    }
    if let Some(sum) = dist.checksum_sha256.as_deref().and_then(sha256_hex) {
        let checksum = g.blank();
        g.add_type(&checksum, ns::SPDX_CHECKSUM_CLASS);
        let algorithm = Node::iri(ns::SPDX_SHA256);
        g.add_type(&algorithm, ns::SPDX_CHECKSUM_ALGORITHM);
        g.add(&checksum, ns::SPDX_ALGORITHM, algorithm);
        g.add(
            &checksum,
            ns::SPDX_CHECKSUM_VALUE,
            Term::typed(sum, ns::XSD_HEX_BINARY),
        );
        g.add(&node, ns::SPDX_CHECKSUM, checksum);
    }
    // Gongshu keeps every published version, so a distribution stays available.
    let iri = format!("{}AVAILABLE", vocab::PLANNED_AVAILABILITY);
    let available = add_concept(g, &iri, &[], &[("available", "en"), ("可用", "zh")]);
    g.add(&node, ns::DCATAP_AVAILABILITY, available);
    node
}

/// A SHA-256 in lower-case hex, as `spdx:checksumValue` wants it, or `None` if it is not one.
fn sha256_hex(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("sha256:").unwrap_or(s);
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Access, AgentKind};

    fn agent() -> Agent {
        Agent {
            iri: "https://data.example.gov.cn/org/jtj".into(),
            name: "交通运输局".into(),
            kind: AgentKind::Department,
            homepage: Some("https://jtj.example.gov.cn/".into()),
        }
    }

    fn dataset() -> Dataset {
        Dataset {
            iri: "https://data.example.gov.cn/dataset/bus".into(),
            identifier: "bus".into(),
            title: "公交客流".into(),
            description: "Bus ridership".into(),
            keywords: vec!["公交".into(), " ".into()],
            themes: vec!["交通出行".into(), "旅游休闲".into()],
            publisher: agent(),
            contact_email: None,
            contact_name: None,
            issued: 0,
            modified: 0,
            frequency: Some("每月".into()),
            landing_page: "https://data.example.gov.cn/datasets/bus".into(),
            access: Access::Conditional,
            grade: "L2".into(),
            domain: "government".into(),
            license: Some("CC-BY-4.0".into()),
            spatial: Some("杭州市".into()),
            temporal: Some((Some("2020-01".into()), None)),
            quality_score: Some(87.5),
            distributions: vec![Distribution {
                iri: "relative/dist".into(),
                title: "bus.csv".into(),
                access_url: "not a url".into(),
                download_url: Some("https://data.example.gov.cn/d/bus.csv".into()),
                media_type: None,
                format: Some("csv".into()),
                byte_size: Some(-5),
                modified: None,
                checksum_sha256: Some("ABCDEF".into()),
            }],
        }
    }

    fn iri(s: &str) -> Term {
        Term::iri(s)
    }

    #[test]
    fn dataset_maps_vocabularies() {
        let d = dataset();
        let g = dataset_graph(&d);
        let ds = Node::iri(&d.iri);
        let eu = "http://publications.europa.eu/resource/authority/";
        assert!(g.contains(
            &ds,
            ns::DCT_ACCESS_RIGHTS,
            &iri(&format!("{eu}access-right/RESTRICTED"))
        ));
        assert!(g.contains(
            &ds,
            ns::DCT_ACCRUAL_PERIODICITY,
            &iri(&format!("{eu}frequency/MONTHLY"))
        ));
        assert!(g.contains(&ds, ns::DCAT_THEME, &iri(&format!("{eu}data-theme/TRAN"))));
        let own = "https://data.example.gov.cn/themes/%E4%BA%A4%E9%80%9A%E5%87%BA%E8%A1%8C";
        assert!(g.contains(&ds, ns::DCAT_THEME, &iri(own)));
        assert!(g.contains(
            &Node::iri(own),
            ns::SKOS_PREF_LABEL,
            &Term::lang("交通出行", "zh")
        ));
        assert!(g.contains(&ds, ns::GONGSHU_GRADE, &Term::plain("L2")));
        assert!(g.contains(&ds, ns::GONGSHU_OPENING_TYPE, &Term::plain("conditional")));
        assert!(g.contains(&ds, ns::DCT_TITLE, &Term::lang("公交客流", "zh")));
        assert!(g.contains(&ds, ns::DCT_DESCRIPTION, &Term::plain("Bus ridership")));
        assert!(g.contains(
            &ds,
            ns::DCT_ISSUED,
            &Term::typed("1970-01-01T00:00:00Z", ns::XSD_DATE_TIME)
        ));
        let ttl = g.to_turtle();
        assert_eq!(
            ttl.matches("dcat:keyword").count(),
            1,
            "blank keywords are dropped:\n{ttl}"
        );
        assert!(
            ttl.contains(r#"dcat:startDate "2020-01"^^xsd:gYearMonth"#),
            "{ttl}"
        );
        // The quality score, as a DQV measurement of the platform's metric.
        assert!(ttl.contains("dqv:hasQualityMeasurement"), "{ttl}");
        assert!(ttl.contains(r#"dqv:value "87.50"^^xsd:decimal"#), "{ttl}");
        assert!(g.contains(
            &Node::iri(ns::GONGSHU_QUALITY_SCORE),
            ns::RDF_TYPE,
            &iri(ns::DQV_METRIC)
        ));
    }

    #[test]
    fn distribution_falls_back_and_drops_what_is_invalid() {
        let d = dataset();
        let ttl = dataset_turtle(&d);
        // Relative distribution IRI: a blank node, not a relative IRI.
        assert!(!ttl.contains("<relative/dist>"), "{ttl}");
        // Unusable access URL: the download URL is used instead.
        assert!(
            ttl.contains("dcat:accessURL <https://data.example.gov.cn/d/bus.csv>"),
            "{ttl}"
        );
        assert!(
            ttl.contains("dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv>"),
            "{ttl}"
        );
        assert!(
            ttl.contains(
                "dct:format <http://publications.europa.eu/resource/authority/file-type/CSV>"
            ),
            "{ttl}"
        );
        assert!(
            ttl.contains(
                "dct:license <http://publications.europa.eu/resource/authority/licence/CC_BY_4_0>"
            ),
            "{ttl}"
        );
        assert!(
            !ttl.contains("byteSize"),
            "negative sizes are dropped:\n{ttl}"
        );
        assert!(
            !ttl.contains("checksum"),
            "malformed checksums are dropped:\n{ttl}"
        );
        // No contact given: the publisher's name and home page.
        assert!(ttl.contains("vcard:fn \"交通运输局\"@zh"), "{ttl}");
        assert!(
            ttl.contains("vcard:hasURL <https://jtj.example.gov.cn/>"),
            "{ttl}"
        );
    }

    #[test]
    fn contact_email_becomes_a_mailto_iri() {
        let mut d = dataset();
        d.contact_email = Some(" open data@example.gov.cn ".into());
        d.contact_name = Some("数据科".into());
        let ttl = dataset_turtle(&d);
        assert!(
            ttl.contains("vcard:hasEmail <mailto:open%20data@example.gov.cn>"),
            "{ttl}"
        );
        assert!(ttl.contains("vcard:fn \"数据科\"@zh"), "{ttl}");
        d.contact_email = Some("MAILTO:a@b.example".into());
        assert!(dataset_turtle(&d).contains("<MAILTO:a@b.example>"));
    }

    #[test]
    fn unknown_licenses_keep_their_name() {
        let mut d = dataset();
        d.license = Some("杭州市公共数据开放许可协议".into());
        let ttl = dataset_turtle(&d);
        assert!(
            ttl.contains("rdfs:label \"杭州市公共数据开放许可协议\"@zh"),
            "{ttl}"
        );
        d.license = Some("https://creativecommons.org/licenses/by/4.0/".into());
        let ttl = dataset_turtle(&d);
        assert!(
            ttl.contains("dct:license <https://creativecommons.org/licenses/by/4.0/>"),
            "{ttl}"
        );
        assert!(
            ttl.contains("<http://purl.org/adms/licencetype/Attribution>"),
            "{ttl}"
        );
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin("https://data.example.gov.cn/dataset/x"),
            "https://data.example.gov.cn"
        );
        assert_eq!(origin("http://localhost:8080?x"), "http://localhost:8080");
        assert_eq!(origin("urn:x:y"), FALLBACK_ORIGIN);
        assert_eq!(origin("/dataset/x"), FALLBACK_ORIGIN);
        assert_eq!(
            path_segment("交通 出行/a"),
            "%E4%BA%A4%E9%80%9A%20%E5%87%BA%E8%A1%8C%2Fa"
        );
    }

    #[test]
    fn checksums_must_be_sha256_hex() {
        let hex = "AB".repeat(32);
        assert_eq!(sha256_hex(&hex), Some("ab".repeat(32)));
        assert_eq!(sha256_hex(&format!("sha256:{hex}")), Some("ab".repeat(32)));
        assert_eq!(sha256_hex("abc"), None);
        assert_eq!(sha256_hex(&"zz".repeat(32)), None);
    }
}
