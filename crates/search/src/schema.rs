//! The index schema and the mapping from [`CatalogDoc`] to a tantivy document.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STORED, STRING,
};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::TantivyDocument;

use crate::analysis::{self, CATALOG_TOKENIZER};
use crate::{CatalogDoc, Facet};

/// Written as the payload of every commit. Bump it whenever the schema or the analysis changes
/// (stop words, tokenizer behaviour): an index with another payload is reported as damaged so
/// that the caller rebuilds it from the metadata store.
pub(crate) const INDEX_FORMAT: &str = "gongshu-search/3";

/// Handles on the fields of the schema.
#[derive(Clone, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    pub name: Field,
    pub title: Field,
    pub title_pinyin: Field,
    pub title_sort: Field,
    pub notes: Field,
    pub keywords: Field,
    pub all: Field,
    pub organization: Field,
    pub theme: Field,
    pub opening_type: Field,
    pub grade: Field,
    pub format: Field,
    pub tag: Field,
    pub domain: Field,
    pub modified: Field,
    pub created: Field,
    pub payload: Field,
}

/// Name of the fast field that the title sort reads.
pub(crate) const TITLE_SORT: &str = "title_sort";
/// Name of the fast field that the name sort reads.
pub(crate) const NAME: &str = "name";
/// Name of the fast field that the modified-time sort reads.
pub(crate) const MODIFIED: &str = "modified";

impl Facet {
    /// The raw (untokenized, fast) field holding this facet's values, named after its code.
    pub(crate) fn field_name(self) -> &'static str {
        self.code()
    }
}

impl Fields {
    pub(crate) fn facet(&self, facet: Facet) -> Field {
        match facet {
            Facet::Organization => self.organization,
            Facet::Theme => self.theme,
            Facet::OpeningType => self.opening_type,
            Facet::Grade => self.grade,
            Facet::Format => self.format,
            Facet::Tag => self.tag,
            Facet::Domain => self.domain,
        }
    }
}

/// Builds the schema and returns it with its field handles.
pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Positions are not indexed: the query builder makes no phrase queries and snippets only need
    // offsets, which the analyzer recomputes.
    let text = |stored: bool| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(CATALOG_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs);
        let opts = TextOptions::default().set_indexing_options(indexing);
        if stored {
            opts.set_stored()
        } else {
            opts
        }
    };
    let pinyin = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        name: b.add_text_field(NAME, STRING | STORED | FAST),
        title: b.add_text_field("title", text(true)),
        title_pinyin: b.add_text_field("title_pinyin", pinyin),
        title_sort: b.add_text_field(TITLE_SORT, FAST),
        notes: b.add_text_field("notes", text(true)),
        keywords: b.add_text_field("keywords", text(false)),
        all: b.add_text_field("all", text(false)),
        organization: b.add_text_field(Facet::Organization.field_name(), STRING | FAST),
        theme: b.add_text_field(Facet::Theme.field_name(), STRING | FAST),
        opening_type: b.add_text_field(Facet::OpeningType.field_name(), STRING | FAST),
        grade: b.add_text_field(Facet::Grade.field_name(), STRING | FAST),
        format: b.add_text_field(Facet::Format.field_name(), STRING | FAST),
        tag: b.add_text_field(Facet::Tag.field_name(), STRING | FAST),
        domain: b.add_text_field(Facet::Domain.field_name(), STRING | FAST),
        modified: b.add_i64_field(MODIFIED, FAST),
        created: b.add_i64_field("created", FAST),
        payload: b.add_text_field("payload", STORED),
    };
    (b.build(), fields)
}

/// The key titles sort by: Han characters spelled in pinyin, everything lower-cased, so that
/// Chinese titles sort the way a reader of a printed catalog expects (拼音序) and mix sensibly
/// with Latin ones.
fn title_sort_key(title: &str) -> String {
    let mut key = String::with_capacity(title.len() * 2);
    for c in title.trim().chars() {
        if analysis::is_han(c) {
            if let Some((full, _)) = analysis::pinyin_of(c.encode_utf8(&mut [0; 4])) {
                key.push_str(&full);
                continue;
            }
        }
        key.extend(c.to_lowercase());
    }
    key
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Converts a catalog document to the document indexed.
pub(crate) fn to_document(
    fields: &Fields,
    analyzer: &mut TextAnalyzer,
    doc: &CatalogDoc,
) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(fields.id, &doc.id);
    d.add_text(fields.name, &doc.name);
    d.add_text(fields.title, &doc.title);
    d.add_text(
        fields.title_pinyin,
        analysis::title_pinyin(analyzer, &doc.title),
    );
    d.add_text(fields.title_sort, title_sort_key(&doc.title));
    d.add_text(fields.notes, &doc.notes);
    for k in doc.tags.iter().chain(&doc.themes) {
        d.add_text(fields.keywords, k);
    }
    // Every word a query may match, in one field: a query word is one posting list to walk
    // rather than a union over the fields it may be in. Title and keywords are also indexed on
    // their own, for the extra weight of a match there.
    for text in [&doc.title, &doc.notes, &doc.organization_title, &doc.name]
        .into_iter()
        .chain(doc.tags.iter().chain(&doc.themes))
    {
        d.add_text(fields.all, text);
    }
    // Facet values are trimmed and deduplicated per document: a tag listed twice counts once.
    let mut raw = |field: Field, values: &[&str]| {
        let mut seen: Vec<&str> = Vec::with_capacity(values.len());
        for value in values {
            let value = value.trim();
            if !value.is_empty() && !seen.contains(&value) {
                seen.push(value);
                d.add_text(field, value);
            }
        }
    };
    raw(fields.organization, &[&doc.organization]);
    raw(fields.theme, &strs(&doc.themes));
    raw(fields.opening_type, &[&doc.opening_type]);
    raw(fields.grade, &[&doc.grade]);
    raw(fields.format, &strs(&doc.formats));
    raw(fields.tag, &strs(&doc.tags));
    raw(fields.domain, &[&doc.domain]);
    d.add_i64(fields.modified, doc.modified);
    d.add_i64(fields.created, doc.created);
    if !doc.payload.is_empty() {
        d.add_text(fields.payload, &doc.payload);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::title_sort_key;

    #[test]
    fn chinese_titles_sort_by_pinyin() {
        let mut titles = vec!["公交站点", "Air quality", "安全生产", "bus"];
        titles.sort_by_key(|t| title_sort_key(t));
        assert_eq!(titles, vec!["Air quality", "安全生产", "bus", "公交站点"]);
    }
}
