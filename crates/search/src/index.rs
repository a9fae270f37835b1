//! [`SearchIndex`]: opening, writing and searching the index.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::indexer::{DefaultMergePolicy, NoMergePolicy};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery, TermSetQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, TantivyError, Term,
};

use crate::analysis::{self, QueryWord, CATALOG_TOKENIZER};
use crate::facets::{self, FacetCollector, FacetCounts};
use crate::highlight::{self, TitleMarker};
use crate::schema::{self, Fields, INDEX_FORMAT, MODIFIED, NAME, TITLE_SORT};
use crate::{CatalogDoc, Facet, Hit, SearchError, SearchQuery, SearchResult, Sort, MAX_ROWS};

/// Memory the writer may use for documents not yet flushed to a segment.
const WRITER_HEAP_BYTES: usize = 50_000_000;

/// Boost of a match on the title's pinyin.
const PINYIN_BOOST: f32 = 1.5;

/// Extra weight of a word found in the title, on top of its weight in all the text.
const TITLE_BOOST: f32 = 2.0;

/// Extra weight of a word that is a tag or theme.
const KEYWORDS_BOOST: f32 = 1.0;

/// The catalog's full-text index.
///
/// It is `Send + Sync`: share one behind an `Arc`. Searches never wait for writes; writes
/// ([`upsert`](SearchIndex::upsert), [`delete`](SearchIndex::delete),
/// [`rebuild`](SearchIndex::rebuild)) are serialized on one internal writer, each is one commit,
/// and its effect is visible to searches when it returns.
pub struct SearchIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analyzer: TextAnalyzer,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("docs", &self.len())
            .finish_non_exhaustive()
    }
}

/// Errors met while opening an existing index mean the index is unusable, except those of the
/// file system around it and a writer lock held by another process, which a rebuild would not
/// cure.
fn open_error(e: TantivyError) -> SearchError {
    match e {
        TantivyError::LockFailure(..)
        | TantivyError::IoError(_)
        | TantivyError::OpenDirectoryError(_) => SearchError::Index(e),
        other => SearchError::Damaged(other.to_string()),
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if there is none.
    ///
    /// Returns [`SearchError::Damaged`] when `dir` holds an index that cannot be read or that
    /// was written with another schema or analysis: remove the directory, open again and
    /// [`rebuild`](SearchIndex::rebuild). Only one process may have an index directory open.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir)?;
        let directory = MmapDirectory::open(dir).map_err(TantivyError::from)?;
        let (schema, fields) = schema::build();
        let exists = Index::exists(&directory).map_err(TantivyError::from)?;
        if !exists {
            let index = Index::create(directory, schema, IndexSettings::default())?;
            return SearchIndex::start(index, fields, true);
        }
        let index = Index::open(directory).map_err(open_error)?;
        if index.schema() != schema {
            return Err(SearchError::Damaged(
                "the index was written with another schema".into(),
            ));
        }
        let payload = index.load_metas().map_err(open_error)?.payload;
        if payload.as_deref() != Some(INDEX_FORMAT) {
            return Err(SearchError::Damaged(format!(
                "the index format is {}, this program writes {INDEX_FORMAT}",
                payload.as_deref().unwrap_or("unknown")
            )));
        }
        SearchIndex::start(index, fields, false)
    }

    /// Creates an empty index held in memory, for tests and tools.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        SearchIndex::start(index, fields, true)
    }

    fn start(index: Index, fields: Fields, fresh: bool) -> Result<SearchIndex, SearchError> {
        let analyzer = analysis::catalog_analyzer();
        index
            .tokenizers()
            .register(CATALOG_TOKENIZER, analyzer.clone());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(open_error)?;
        // Two indexing threads are enough for a full rebuild on the small machines this runs on;
        // single upserts use one.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 2));
        let writer = index
            .writer_with_num_threads(threads, WRITER_HEAP_BYTES)
            .map_err(open_error)?;
        let this = SearchIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            analyzer,
        };
        if fresh {
            // An empty commit records the format, so that reopening an index that never got a
            // document does not look like an index of unknown format.
            let mut writer = this.lock_writer();
            this.commit(&mut writer)?;
        }
        Ok(this)
    }

    /// Replaces the whole content of the index with `docs`, in one commit: searches see the old
    /// content until it returns. A later document with the same id as an earlier one wins. On
    /// error, nothing changes.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = CatalogDoc>) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        let mut analyzer = self.analyzer.clone();
        // No merges of their own choosing while the rebuild writes: one running on some of the
        // new segments would make the final merge into one segment fail.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let result = (|| {
            let docs = last_of_each_id(docs)?;
            // One delete of everything, stamped before the new documents, rather than
            // `delete_all_documents`: that rewinds tantivy's operation stamps to where this
            // writer started, so the stamps of this batch's operations fall below those of
            // earlier deletes still queued for the indexing threads, and a delete can then be
            // skipped for a whole segment (a rebuild was seen keeping both copies of a document).
            writer.delete_query(Box::new(AllQuery))?;
            for doc in docs {
                writer.add_document(schema::to_document(&self.fields, &mut analyzer, &doc))?;
            }
            Ok::<(), SearchError>(())
        })();
        let outcome = match result {
            Err(e) => {
                let _ = writer.rollback();
                Err(e)
            }
            Ok(()) => self
                .commit(&mut writer)
                .map(|()| self.merge_all(&mut writer)),
        };
        writer.set_merge_policy(Box::new(DefaultMergePolicy::default()));
        outcome
    }

    /// Merges every segment into one. A rebuild writes several segments (one per indexing thread
    /// and flush); each costs a dictionary lookup per query term and a pass per facet on every
    /// search, so a catalog-sized index is fastest as one. The merged segment replaces the
    /// others in the index's metadata when the merge ends, keeping the commit's payload. A failed
    /// merge changes nothing that searches see, so it is not an error of the rebuild.
    fn merge_all(&self, writer: &mut IndexWriter) {
        let ids: Vec<_> = self
            .reader
            .searcher()
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        if ids.len() > 1 {
            let _ = writer.merge(&ids).wait();
            let _ = self.reader.reload();
            // The merged segments' files are no longer referenced: remove them now rather than
            // at some later commit (a rebuilt catalog index was seen keeping them).
            let _ = writer.garbage_collect_files().wait();
        }
    }

    /// Adds `doc`, replacing the document with the same id if there is one. The change is
    /// committed and visible to searches when this returns.
    pub fn upsert(&self, doc: CatalogDoc) -> Result<(), SearchError> {
        validate(&doc)?;
        let document = schema::to_document(&self.fields, &mut self.analyzer.clone(), &doc);
        let mut writer = self.lock_writer();
        writer.delete_term(Term::from_field_text(self.fields.id, &doc.id));
        if let Err(e) = writer.add_document(document) {
            let _ = writer.rollback();
            return Err(e.into());
        }
        self.commit(&mut writer)
    }

    /// Removes the document with this id, if any. Committed and visible when this returns.
    pub fn delete(&self, id: &str) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        writer.delete_term(Term::from_field_text(self.fields.id, id));
        self.commit(&mut writer)
    }

    /// Number of documents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of segments searches read; a rebuild leaves one, upserts add more until tantivy's
    /// merge policy joins them. For diagnostics.
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Whether the index holds no document.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Searches the index. Never fails on the text of the query; fails with
    /// [`SearchError::BadQuery`] only when `rows` exceeds [`MAX_ROWS`].
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult, SearchError> {
        if q.rows > MAX_ROWS {
            return Err(SearchError::BadQuery(format!(
                "rows must be at most {MAX_ROWS}; ask for the following hits with start."
            )));
        }
        let mut analyzer = self.analyzer.clone();
        let words = analysis::query_words(&mut analyzer, &q.q);
        let mut facets: Vec<Facet> = Vec::with_capacity(q.facets.len());
        for &f in &q.facets {
            if !facets.contains(&f) {
                facets.push(f);
            }
        }
        // Without words every score is equal, so relevance falls back to recency, as CKAN does.
        let sort = match q.sort {
            Sort::Relevance if words.is_empty() => Sort::ModifiedDesc,
            other => other,
        };
        let searcher = self.reader.searcher();

        let mut text = self.text_query(&words, Occur::Must);
        let mut found = self.collect(&searcher, self.full_query(&text, q), sort, q, &facets)?;
        if found.total == 0 && words.len() > 1 {
            // No dataset has every word: rather than nothing, show those with any of them.
            text = self.text_query(&words, Occur::Should);
            found = self.collect(&searcher, self.full_query(&text, q), sort, q, &facets)?;
        }

        // Without highlighting the marker has no terms, so titles are only escaped, and there is
        // no snippet generator, so notes are not analysed.
        let marker = TitleMarker::new(if q.highlight { &words } else { &[] });
        let snippets = match &text {
            Some(_) if q.highlight => {
                let mut generator = SnippetGenerator::create(
                    &searcher,
                    &*self.notes_terms(&words),
                    self.fields.notes,
                )?;
                generator.set_max_num_chars(highlight::SNIPPET_BYTES);
                Some(generator)
            }
            _ => None,
        };
        let mut hits = Vec::with_capacity(found.top.len());
        for (score, address) in found.top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let get = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            };
            hits.push(Hit {
                id: get(self.fields.id).to_string(),
                name: get(self.fields.name).to_string(),
                score,
                title_html: marker.mark(&mut analyzer, get(self.fields.title)),
                snippet_html: highlight::notes_snippet(snippets.as_ref(), get(self.fields.notes)),
                payload: get(self.fields.payload).to_string(),
            });
        }
        Ok(SearchResult {
            total: found.total,
            hits,
            facets: found
                .facets
                .into_iter()
                .map(|(facet, counts)| (facet, facets::top_values(counts, q.facet_limit)))
                .collect(),
        })
    }

    fn lock_writer(&self) -> MutexGuard<'_, IndexWriter> {
        // A panic while holding the lock leaves tantivy's writer usable: uncommitted work is
        // either committed or rolled back by the next operation.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits with the format payload and makes the commit visible to searches.
    fn commit(&self, writer: &mut IndexWriter) -> Result<(), SearchError> {
        let result = (|| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(INDEX_FORMAT);
            prepared.commit()
        })();
        if let Err(e) = result {
            let _ = writer.rollback();
            return Err(e.into());
        }
        self.reader.reload()?;
        Ok(())
    }

    /// A term of the `all` field, scored.
    fn all_term(&self, term: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(self.fields.all, term),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// A query word: what a document must contain, and what only adds to its score.
    ///
    /// Required: the word's parts when it has some (公交站点 is found in text saying 公交 … 站点;
    /// a document containing the whole word contains its parts too, since both sides cut words
    /// the same way), otherwise the whole word; either in any text field, or, for a word that
    /// may be pinyin, in the title's pinyin. Optional, for the score: the whole word, and the
    /// whole word in the title or the keywords. Each required piece is one posting list, so
    /// intersecting the words of a query walks posting lists rather than unions of them.
    fn word_query(&self, word: &QueryWord) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let whole_required = word.parts.is_empty();
        let mut required: Box<dyn Query> = if whole_required {
            self.all_term(&word.whole)
        } else {
            let parts = word
                .parts
                .iter()
                .map(|p| (Occur::Must, self.all_term(p)))
                .collect();
            Box::new(BooleanQuery::new(parts))
        };
        if let Some(pinyin) = &word.pinyin {
            let by_pinyin = TermQuery::new(
                Term::from_field_text(self.fields.title_pinyin, pinyin),
                IndexRecordOption::WithFreqs,
            );
            required = Box::new(BooleanQuery::new(vec![
                (Occur::Should, required),
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(by_pinyin), PINYIN_BOOST)),
                ),
            ]));
        }
        clauses.push((Occur::Must, required));
        if !whole_required {
            clauses.push((Occur::Should, self.all_term(&word.whole)));
        }
        for (field, boost) in [
            (self.fields.title, TITLE_BOOST),
            (self.fields.keywords, KEYWORDS_BOOST),
        ] {
            let q = TermQuery::new(
                Term::from_field_text(field, &word.whole),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The query the notes snippet is chosen and marked with: every term of the words, in the
    /// notes.
    fn notes_terms(&self, words: &[QueryWord]) -> Box<dyn Query> {
        let terms = words
            .iter()
            .flat_map(|w| std::iter::once(&w.whole).chain(&w.parts))
            .map(|t| {
                let q = TermQuery::new(
                    Term::from_field_text(self.fields.notes, t),
                    IndexRecordOption::WithFreqs,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        Box::new(BooleanQuery::new(terms))
    }

    /// The words combined, all required (`Must`) or any (`Should`); `None` without words.
    fn text_query(&self, words: &[QueryWord], occur: Occur) -> Option<Box<dyn Query>> {
        if words.is_empty() {
            return None;
        }
        let clauses = words.iter().map(|w| (occur, self.word_query(w))).collect();
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// The text query restricted by the filters, which do not change scores.
    fn full_query(&self, text: &Option<Box<dyn Query>>, q: &SearchQuery) -> Box<dyn Query> {
        let mut groups: Vec<(Facet, Vec<Term>)> = Vec::new();
        for (facet, value) in &q.filters {
            let term = Term::from_field_text(self.fields.facet(*facet), value.trim());
            match groups.iter_mut().find(|(f, _)| f == facet) {
                Some((_, terms)) => terms.push(term),
                None => groups.push((*facet, vec![term])),
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(groups.len() + 1);
        if let Some(text) = text {
            clauses.push((Occur::Must, text.box_clone()));
        }
        for (_, mut terms) in groups {
            // One value, the usual case, is a plain term lookup; a term set builds an automaton.
            let any_value: Box<dyn Query> = match terms.len() {
                1 => Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic)),
                _ => Box::new(TermSetQuery::new(terms)),
            };
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(any_value, 0.0))));
        }
        match clauses.len() {
            0 => Box::new(AllQuery),
            1 => clauses
                .pop()
                .map(|(_, q)| q)
                .unwrap_or_else(|| Box::new(AllQuery)),
            _ => Box::new(BooleanQuery::new(clauses)),
        }
    }

    /// Runs `query` once, counting all matches, counting facets and keeping the page asked for.
    fn collect(
        &self,
        searcher: &Searcher,
        query: Box<dyn Query>,
        sort: Sort,
        q: &SearchQuery,
        facets: &[Facet],
    ) -> Result<Found, SearchError> {
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        // The collector keeps start + rows entries, so start is capped by the number of
        // documents: a page beyond the end is empty without costing memory.
        let page = (q.rows > 0 && q.start < num_docs)
            .then(|| TopDocs::with_limit(q.rows).and_offset(q.start));
        let facet_collector = FacetCollector {
            facets: facets.to_vec(),
        };
        let (total, top, facets) = match sort {
            Sort::Relevance => {
                let (n, top, f) = searcher.search(
                    &*query,
                    &(Count, page.map(|p| p.order_by_score()), facet_collector),
                )?;
                (n, top.unwrap_or_default(), f)
            }
            Sort::ModifiedDesc => {
                let (n, top, f) = searcher.search(
                    &*query,
                    &(
                        Count,
                        page.map(|p| p.order_by_fast_field::<i64>(MODIFIED, Order::Desc)),
                        facet_collector,
                    ),
                )?;
                (n, unscored(top), f)
            }
            Sort::TitleAsc => {
                let (n, top, f) = searcher.search(
                    &*query,
                    &(
                        Count,
                        page.map(|p| p.order_by_string_fast_field(TITLE_SORT, Order::Asc)),
                        facet_collector,
                    ),
                )?;
                (n, unscored(top), f)
            }
            Sort::NameAsc => {
                let (n, top, f) = searcher.search(
                    &*query,
                    &(
                        Count,
                        page.map(|p| p.order_by_string_fast_field(NAME, Order::Asc)),
                        facet_collector,
                    ),
                )?;
                (n, unscored(top), f)
            }
        };
        Ok(Found {
            total: total as u64,
            top,
            facets,
        })
    }
}

/// What one pass over the matching documents gathered.
struct Found {
    total: u64,
    top: Vec<(f32, DocAddress)>,
    facets: FacetCounts,
}

fn unscored<K>(top: Option<Vec<(K, DocAddress)>>) -> Vec<(f32, DocAddress)> {
    top.unwrap_or_default()
        .into_iter()
        .map(|(_, address)| (0.0, address))
        .collect()
}

fn validate(doc: &CatalogDoc) -> Result<(), SearchError> {
    if doc.id.trim().is_empty() {
        return Err(SearchError::InvalidDocument(format!(
            "The dataset \"{}\" has no id; every indexed dataset needs one.",
            doc.name
        )));
    }
    Ok(())
}

/// The documents of a rebuild, each id once: the last document with an id wins, in the place of
/// its first appearance. Deduplicating before anything is written means a rebuild needs no
/// delete by id, so no ordering of deletes and additions across the indexing threads matters.
fn last_of_each_id(
    docs: impl IntoIterator<Item = CatalogDoc>,
) -> Result<Vec<CatalogDoc>, SearchError> {
    let mut out: Vec<CatalogDoc> = Vec::new();
    let mut position: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for doc in docs {
        validate(&doc)?;
        match position.get(&doc.id) {
            Some(&i) => out[i] = doc,
            None => {
                position.insert(doc.id.clone(), out.len());
                out.push(doc);
            }
        }
    }
    Ok(out)
}
