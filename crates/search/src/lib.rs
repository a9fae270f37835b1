//! The catalog's full-text index (数据目录检索): tantivy with jieba Chinese word segmentation,
//! English stemming, pinyin matching of titles, exact filters, facet counts and highlighting.
//!
//! One [`SearchIndex`] holds the searchable copy of the catalog's metadata. The metadata store
//! stays the source of truth: the index can be thrown away and rebuilt from it at any time
//! ([`SearchIndex::rebuild`]), which is what a caller does when [`SearchIndex::open`] reports
//! [`SearchError::Damaged`].
//!
//! ```
//! use search::{CatalogDoc, SearchIndex, SearchQuery};
//!
//! let index = SearchIndex::in_memory()?;
//! index.upsert(CatalogDoc {
//!     id: "1".into(),
//!     name: "bus-stops".into(),
//!     title: "公交站点".into(),
//!     ..CatalogDoc::default()
//! })?;
//! let result = index.search(&SearchQuery { q: "公交".into(), ..SearchQuery::default() })?;
//! assert_eq!(result.total, 1);
//! assert_eq!(result.hits[0].title_html, "<mark>公交</mark>站点");
//! # Ok::<(), search::SearchError>(())
//! ```
//!
//! The crate knows nothing about HTTP or the metadata database; it does file I/O only in the
//! index directory it is given.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod analysis;
mod facets;
mod highlight;
mod index;
mod schema;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use index::SearchIndex;

/// The most hits one search may return; ask for the next page with `start` instead.
pub const MAX_ROWS: usize = 1000;

/// The metadata of one dataset as the index sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDoc {
    /// Stable identifier; [`SearchIndex::upsert`] replaces the document with the same id.
    pub id: String,
    /// URL slug of the dataset (CKAN `name`).
    pub name: String,
    /// Title (标题).
    pub title: String,
    /// Description (描述), plain text or Markdown.
    pub notes: String,
    /// Slug of the owning organization (department or enterprise).
    pub organization: String,
    /// Display title of the owning organization, searched as text.
    pub organization_title: String,
    /// Free tags (标签).
    pub tags: Vec<String>,
    /// Themes (主题), e.g. 交通出行, 医疗卫生.
    pub themes: Vec<String>,
    /// Formats of the dataset's resources, e.g. `CSV`, `XLSX`.
    pub formats: Vec<String>,
    /// Opening type (开放属性): `unconditional`, `conditional` or `not_open`.
    pub opening_type: String,
    /// Grade (分级): `L1` to `L4`.
    pub grade: String,
    /// Domain (数据域): `government`, `enterprise` or `personal`.
    pub domain: String,
    /// Last modification, Unix milliseconds.
    pub modified: i64,
    /// Creation, Unix milliseconds.
    pub created: i64,
    /// Stored with the document and handed back with each hit, never searched: the caller's
    /// ready-made rendering of the dataset (e.g. its CKAN package dict), so a search page needs
    /// no further reads.
    pub payload: String,
}

/// A field that results can be filtered and faceted by. Values are matched exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// Organization slug.
    Organization,
    /// Theme (主题).
    Theme,
    /// Opening type (开放属性).
    OpeningType,
    /// Grade (分级).
    Grade,
    /// Resource format.
    Format,
    /// Tag (标签).
    Tag,
    /// Domain (数据域).
    Domain,
}

impl Facet {
    /// Every facet, in a stable order.
    pub const ALL: [Facet; 7] = [
        Facet::Organization,
        Facet::Theme,
        Facet::OpeningType,
        Facet::Grade,
        Facet::Format,
        Facet::Tag,
        Facet::Domain,
    ];

    /// The facet's stable code, as used in URLs and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Facet::Organization => "organization",
            Facet::Theme => "theme",
            Facet::OpeningType => "opening_type",
            Facet::Grade => "grade",
            Facet::Format => "format",
            Facet::Tag => "tag",
            Facet::Domain => "domain",
        }
    }
}

impl fmt::Display for Facet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Facet {
    type Err = SearchError;

    /// Parses a facet code, also accepting CKAN's names `res_format`, `tags` and `groups`.
    fn from_str(s: &str) -> Result<Facet, SearchError> {
        Ok(match s {
            "organization" => Facet::Organization,
            "theme" | "groups" => Facet::Theme,
            "opening_type" => Facet::OpeningType,
            "grade" => Facet::Grade,
            "format" | "res_format" => Facet::Format,
            "tag" | "tags" => Facet::Tag,
            "domain" => Facet::Domain,
            other => {
                return Err(SearchError::BadQuery(format!(
                    "Unknown facet field \"{other}\"; use one of organization, theme, \
                     opening_type, grade, format, tag, domain."
                )))
            }
        })
    }
}

/// The order of hits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first. With an empty query, most recently modified first.
    #[default]
    Relevance,
    /// Most recently modified first.
    ModifiedDesc,
    /// By title, Chinese characters ordered by their pinyin.
    TitleAsc,
    /// By name (slug).
    NameAsc,
}

impl Sort {
    /// The sort's stable code.
    pub fn code(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::ModifiedDesc => "modified_desc",
            Sort::TitleAsc => "title_asc",
            Sort::NameAsc => "name_asc",
        }
    }
}

impl FromStr for Sort {
    type Err = SearchError;

    /// Parses a sort code, also accepting CKAN's `sort` values (`score desc, metadata_modified
    /// desc`, `metadata_modified desc`, `title_string asc`, `name asc`).
    fn from_str(s: &str) -> Result<Sort, SearchError> {
        let normalized: String = s
            .split(',')
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Ok(match normalized.as_str() {
            "relevance" | "score desc" | "" => Sort::Relevance,
            "modified_desc" | "metadata_modified desc" => Sort::ModifiedDesc,
            "title_asc" | "title_string asc" | "title asc" => Sort::TitleAsc,
            "name_asc" | "name asc" => Sort::NameAsc,
            _ => {
                return Err(SearchError::BadQuery(format!(
                    "Unknown sort \"{s}\"; use relevance, modified_desc, title_asc or name_asc."
                )))
            }
        })
    }
}

/// A search over the catalog, shaped after CKAN's `package_search`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// The user's text. Empty matches every dataset. Punctuation, quotes, `field:value` and
    /// `AND`/`OR`/`NOT` are not syntax: they are read as words or ignored, so no text fails.
    /// Every word must match (title, notes, tags, themes, organization title, name, or the
    /// title's pinyin); if no dataset matches all words, datasets matching any word are returned.
    pub q: String,
    /// Exact filters: a dataset must match every facet named, and any one of the values given
    /// for the same facet.
    pub filters: Vec<(Facet, String)>,
    /// The order of hits.
    pub sort: Sort,
    /// Hits to return, at most [`MAX_ROWS`]; 0 returns only the total and the facets.
    pub rows: usize,
    /// Hits to skip.
    pub start: usize,
    /// Facets to count over all matching datasets.
    pub facets: Vec<Facet>,
    /// Values to return per facet, most frequent first; 0 returns all.
    pub facet_limit: usize,
    /// Whether hits carry highlighted titles and snippets. Without it, [`Hit::title_html`] is
    /// the escaped title and [`Hit::snippet_html`] the escaped first characters of the notes,
    /// and no text is analysed per hit: callers that only read the payload (the CKAN API) save
    /// most of the cost of a page of hits.
    pub highlight: bool,
}

impl Default for SearchQuery {
    /// Everything, by relevance, ten rows, no facets, up to 50 values per facet, highlighted.
    fn default() -> SearchQuery {
        SearchQuery {
            q: String::new(),
            filters: Vec::new(),
            sort: Sort::Relevance,
            rows: 10,
            start: 0,
            facets: Vec::new(),
            facet_limit: 50,
            highlight: true,
        }
    }
}

/// The answer to a [`SearchQuery`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    /// Number of matching datasets.
    pub total: u64,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// For each requested facet, in the order asked, `(value, count)` over all matching datasets,
    /// by count descending then value.
    pub facets: Vec<(Facet, Vec<(String, u64)>)>,
}

/// One matching dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// The dataset's id.
    pub id: String,
    /// The dataset's name (slug).
    pub name: String,
    /// Relevance score; 0 when the hits are sorted by something else than relevance.
    pub score: f32,
    /// The whole title, HTML-escaped, with matched words wrapped in `<mark>…</mark>`.
    pub title_html: String,
    /// A passage of the notes, HTML-escaped, with matched words wrapped in `<mark>…</mark>`; the
    /// first characters of the notes when they do not contain the query. `…` marks a cut.
    pub snippet_html: String,
    /// The document's payload, as given to [`SearchIndex::upsert`].
    pub payload: String,
}

/// What can go wrong with the index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The request cannot be searched; the message says why, for the user.
    #[error("{0}")]
    BadQuery(String),
    /// A document cannot be indexed (for example, it has no id).
    #[error("{0}")]
    InvalidDocument(String),
    /// The index directory holds a damaged index or one written by another version of this
    /// crate. Rebuild it from the metadata store (remove the directory, open, rebuild).
    #[error("The search index is damaged or out of date ({0}); rebuild it from the catalog.")]
    Damaged(String),
    /// A file system error around the index directory.
    #[error("Search index I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// An error inside the search engine.
    #[error("Search index error: {0}")]
    Index(#[from] tantivy::TantivyError),
}
