//! Integration tests of the catalog index through its public API.

use std::path::Path;
use std::sync::Arc;

use search::{
    CatalogDoc, Facet, SearchError, SearchIndex, SearchQuery, SearchResult, Sort, MAX_ROWS,
};

#[allow(clippy::too_many_arguments)]
fn doc(
    id: &str,
    title: &str,
    notes: &str,
    organization: &str,
    themes: &[&str],
    tags: &[&str],
    formats: &[&str],
    opening_type: &str,
    grade: &str,
    modified: i64,
) -> CatalogDoc {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    CatalogDoc {
        id: id.into(),
        name: id.into(),
        title: title.into(),
        notes: notes.into(),
        organization: organization.into(),
        organization_title: String::new(),
        tags: strings(tags),
        themes: strings(themes),
        formats: strings(formats),
        opening_type: opening_type.into(),
        grade: grade.into(),
        domain: "government".into(),
        modified,
        created: modified - 100,
        payload: format!("{{\"name\":\"{id}\"}}"),
    }
}

/// Seven datasets whose counts per facet are known.
fn fixture_docs() -> Vec<CatalogDoc> {
    vec![
        doc(
            "bus-stops",
            "公交站点",
            "杭州市公交站点位置与线路信息",
            "jtj",
            &["交通出行"],
            &["公交", "站点"],
            &["CSV", "XLSX"],
            "unconditional",
            "L1",
            5000,
        ),
        doc(
            "road-index",
            "道路运行指数",
            "城市交通拥堵情况统计，按小时发布",
            "jtj",
            &["城市建设"],
            &["道路"],
            &["CSV"],
            "conditional",
            "L2",
            4000,
        ),
        doc(
            "accidents",
            "交通事故统计",
            "年度事故数据",
            "gaj",
            &["公共安全"],
            &["事故"],
            &["XLSX"],
            "conditional",
            "L3",
            3000,
        ),
        doc(
            "en-bus",
            "Bus stops of Hangzhou",
            "Locations of all bus stops in the city, updated weekly.",
            "jtj",
            &["交通出行"],
            &["bus", "transport"],
            &["JSON"],
            "unconditional",
            "L1",
            2000,
        ),
        doc(
            "air-quality",
            "空气质量监测 Air Quality",
            "全市PM2.5 and PM10 hourly readings, 空气质量指数",
            "sthjj",
            &["生态环境"],
            &["空气质量", "环境 监测"],
            &["CSV", "API"],
            "unconditional",
            "L1",
            6000,
        ),
        doc(
            "clinic",
            "医院门诊量 <script>alert(1)</script>",
            "各医院门诊 & 急诊人次 <b>统计</b>",
            "wjw",
            &["医疗卫生"],
            &["门诊"],
            &["CSV"],
            "not_open",
            "L4",
            1000,
        ),
        doc(
            "enterprise-reg",
            "企业登记信息",
            "市场主体登记注册数据",
            "scjgj",
            &["经济建设"],
            &["企业", "登记"],
            &["CSV"],
            "unconditional",
            "L2",
            7000,
        ),
    ]
}

fn fixture() -> SearchIndex {
    let index = SearchIndex::in_memory().expect("in-memory index");
    index.rebuild(fixture_docs()).expect("rebuild");
    index
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        q: text.into(),
        rows: 100,
        ..SearchQuery::default()
    }
}

fn run(index: &SearchIndex, query: &SearchQuery) -> SearchResult {
    index
        .search(query)
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

fn ids(result: &SearchResult) -> Vec<&str> {
    result.hits.iter().map(|h| h.id.as_str()).collect()
}

fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

/// Checks which datasets a query text finds, in any order.
fn check(index: &SearchIndex, text: &str, expected: &[&str]) {
    let result = run(index, &q(text));
    assert_eq!(
        sorted(ids(&result)),
        sorted(expected.to_vec()),
        "query {text:?}"
    );
    assert_eq!(result.total, expected.len() as u64, "total of {text:?}");
}

#[test]
fn chinese_words_are_found_inside_longer_words_and_fields() {
    let index = fixture();
    // 交通 is in a title, in notes, and in the theme 交通出行.
    check(
        &index,
        "交通",
        &["accidents", "road-index", "bus-stops", "en-bus"],
    );
    check(&index, "公交", &["bus-stops"]);
    check(&index, "站点", &["bus-stops"]);
    check(&index, "公交站点", &["bus-stops"]);
    check(&index, "门诊", &["clinic"]);
    check(&index, "登记", &["enterprise-reg"]);
    check(&index, "医疗卫生", &["clinic"]);
    check(&index, "不存在的词", &[]);
}

#[test]
fn a_title_match_ranks_above_a_notes_only_match() {
    let index = fixture();
    let result = run(&index, &q("交通"));
    let rank = |id: &str| ids(&result).iter().position(|h| *h == id).unwrap();
    assert_eq!(ids(&result)[0], "accidents", "{:?}", result.hits);
    assert!(rank("accidents") < rank("road-index"));
    assert!(result.hits[0].score > result.hits[result.hits.len() - 1].score);
}

#[test]
fn english_is_case_insensitive_and_stemmed() {
    let index = fixture();
    // The Chinese dataset's name (slug) is bus-stops: it matches too, below the English title.
    check(&index, "bus stops", &["en-bus", "bus-stops"]);
    check(&index, "BUS", &["en-bus", "bus-stops"]);
    check(&index, "stop", &["en-bus", "bus-stops"]);
    check(&index, "Location", &["en-bus"]);
    check(&index, "transport", &["en-bus"]);
    check(&index, "weekly", &["en-bus"]);
    let result = run(&index, &q("bus stops"));
    assert_eq!(ids(&result), vec!["en-bus", "bus-stops"]);
    assert_eq!(
        result.hits[0].title_html,
        "<mark>Bus</mark> <mark>stops</mark> of Hangzhou"
    );
}

#[test]
fn mixed_chinese_and_english() {
    let index = fixture();
    check(&index, "air 监测", &["air-quality"]);
    check(&index, "空气质量 hourly", &["air-quality"]);
    check(&index, "PM10", &["air-quality"]);
    let result = run(&index, &q("空气质量 quality"));
    assert_eq!(
        result.hits[0].title_html,
        "<mark>空气质量</mark>监测 Air <mark>Quality</mark>"
    );
}

#[test]
fn every_word_must_match_unless_none_matches_all() {
    let index = fixture();
    // Both words in one dataset: only that one.
    check(&index, "交通 事故", &["accidents"]);
    // No dataset has both: any of them.
    check(&index, "公交 事故", &["bus-stops", "accidents"]);
}

#[test]
fn pinyin_of_titles_matches() {
    let index = fixture();
    check(&index, "gongjiao", &["bus-stops"]);
    check(&index, "jiaotong", &["accidents"]);
    check(&index, "jt", &["accidents"]);
    check(&index, "menzhen", &["clinic"]);
    let result = run(&index, &q("jiaotong"));
    assert_eq!(result.hits[0].title_html, "<mark>交通</mark>事故统计");
}

fn filtered(text: &str, filters: &[(Facet, &str)]) -> SearchQuery {
    SearchQuery {
        filters: filters.iter().map(|(f, v)| (*f, v.to_string())).collect(),
        ..q(text)
    }
}

/// Filters and the datasets they let through.
type FilterCase<'a> = (&'a [(Facet, &'a str)], &'a [&'a str]);

#[test]
fn filters_are_exact_and_across_fields_all_within_a_field_any() {
    let index = fixture();
    let cases: &[FilterCase] = &[
        (
            &[(Facet::Organization, "jtj")],
            &["bus-stops", "road-index", "en-bus"],
        ),
        (
            &[(Facet::Organization, "jtj"), (Facet::Format, "XLSX")],
            &["bus-stops"],
        ),
        (
            &[(Facet::Format, "JSON"), (Facet::Format, "XLSX")],
            &["bus-stops", "accidents", "en-bus"],
        ),
        (
            &[
                (Facet::Format, "JSON"),
                (Facet::Format, "XLSX"),
                (Facet::OpeningType, "unconditional"),
            ],
            &["bus-stops", "en-bus"],
        ),
        (&[(Facet::Tag, "环境 监测")], &["air-quality"]),
        (&[(Facet::Tag, "环境")], &[]),
        (&[(Facet::Format, "csv")], &[]),
        (&[(Facet::Theme, "交通出行")], &["bus-stops", "en-bus"]),
        (&[(Facet::Grade, "L4")], &["clinic"]),
        (
            &[(Facet::Domain, "government")],
            &[
                "bus-stops",
                "road-index",
                "accidents",
                "en-bus",
                "air-quality",
                "clinic",
                "enterprise-reg",
            ],
        ),
        (&[(Facet::Organization, "nobody")], &[]),
    ];
    for (filters, expected) in cases {
        let result = run(&index, &filtered("", filters));
        assert_eq!(
            sorted(ids(&result)),
            sorted(expected.to_vec()),
            "{filters:?}"
        );
        assert_eq!(result.total, expected.len() as u64);
    }
    // Filters combine with text.
    let result = run(&index, &filtered("交通", &[(Facet::Organization, "jtj")]));
    assert_eq!(
        sorted(ids(&result)),
        vec!["bus-stops", "en-bus", "road-index"]
    );
}

fn facet_query(text: &str, facets: &[Facet], limit: usize) -> SearchQuery {
    SearchQuery {
        facets: facets.to_vec(),
        facet_limit: limit,
        rows: 1,
        ..q(text)
    }
}

fn counts(values: &[(&str, u64)]) -> Vec<(String, u64)> {
    values.iter().map(|(v, n)| (v.to_string(), *n)).collect()
}

#[test]
fn facets_count_the_whole_matching_set() {
    let index = fixture();
    let result = run(
        &index,
        &facet_query(
            "",
            &[
                Facet::Organization,
                Facet::Format,
                Facet::OpeningType,
                Facet::Tag,
            ],
            0,
        ),
    );
    assert_eq!(result.hits.len(), 1, "the page is one row");
    assert_eq!(result.facets.len(), 4);
    assert_eq!(result.facets[0].0, Facet::Organization);
    assert_eq!(
        result.facets[0].1,
        counts(&[
            ("jtj", 3),
            ("gaj", 1),
            ("scjgj", 1),
            ("sthjj", 1),
            ("wjw", 1)
        ])
    );
    assert_eq!(
        result.facets[1].1,
        counts(&[("CSV", 5), ("XLSX", 2), ("API", 1), ("JSON", 1)])
    );
    assert_eq!(
        result.facets[2].1,
        counts(&[("unconditional", 4), ("conditional", 2), ("not_open", 1)])
    );
    assert_eq!(result.facets[3].1.len(), 11);

    // Limited, and over the matches of a query only.
    let result = run(
        &index,
        &facet_query("交通", &[Facet::Organization, Facet::Format], 2),
    );
    assert_eq!(result.facets[0].1, counts(&[("jtj", 3), ("gaj", 1)]));
    assert_eq!(result.facets[1].1, counts(&[("CSV", 2), ("XLSX", 2)]));

    // Under a filter, and a facet asked twice is counted once.
    let result = run(
        &index,
        &SearchQuery {
            filters: vec![(Facet::Format, "CSV".into())],
            ..facet_query("", &[Facet::Grade, Facet::Grade], 0)
        },
    );
    assert_eq!(result.facets.len(), 1);
    assert_eq!(
        result.facets[0].1,
        counts(&[("L1", 2), ("L2", 2), ("L4", 1)])
    );
}

#[test]
fn facet_counts_merge_across_segments() {
    // Upserts one by one make one segment each.
    let index = SearchIndex::in_memory().unwrap();
    for d in fixture_docs() {
        index.upsert(d).unwrap();
    }
    let result = run(&index, &facet_query("", &[Facet::Format], 0));
    assert_eq!(
        result.facets[0].1,
        counts(&[("CSV", 5), ("XLSX", 2), ("API", 1), ("JSON", 1)])
    );
}

fn page(sort: Sort, start: usize, rows: usize) -> SearchQuery {
    SearchQuery {
        sort,
        start,
        rows,
        ..q("")
    }
}

#[test]
fn paging_keeps_the_total_and_walks_the_order() {
    let index = fixture();
    let by_modified = [
        "enterprise-reg",
        "air-quality",
        "bus-stops",
        "road-index",
        "accidents",
        "en-bus",
        "clinic",
    ];
    let cases: &[(usize, usize, &[&str])] = &[
        (0, 3, &by_modified[0..3]),
        (3, 3, &by_modified[3..6]),
        (6, 3, &by_modified[6..]),
        (7, 3, &[]),
        (1_000_000, 10, &[]),
        (0, 0, &[]),
        (0, 100, &by_modified),
    ];
    for &(start, rows, expected) in cases {
        let result = run(&index, &page(Sort::ModifiedDesc, start, rows));
        assert_eq!(ids(&result), expected, "start {start} rows {rows}");
        assert_eq!(result.total, 7);
    }
    // Pages of a text query.
    let all = run(&index, &q("交通"));
    let second = run(
        &index,
        &SearchQuery {
            start: 2,
            rows: 2,
            ..q("交通")
        },
    );
    assert_eq!(second.total, 4);
    assert_eq!(ids(&second), ids(&all)[2..4].to_vec());
}

#[test]
fn sorts() {
    let index = fixture();
    let cases: &[(Sort, &[&str])] = &[
        (
            Sort::ModifiedDesc,
            &[
                "enterprise-reg",
                "air-quality",
                "bus-stops",
                "road-index",
                "accidents",
                "en-bus",
                "clinic",
            ],
        ),
        // Without words relevance is recency.
        (
            Sort::Relevance,
            &[
                "enterprise-reg",
                "air-quality",
                "bus-stops",
                "road-index",
                "accidents",
                "en-bus",
                "clinic",
            ],
        ),
        (
            Sort::NameAsc,
            &[
                "accidents",
                "air-quality",
                "bus-stops",
                "clinic",
                "en-bus",
                "enterprise-reg",
                "road-index",
            ],
        ),
        // Chinese titles by pinyin: Bus, dao, gong, jiao, kong, qi, yi.
        (
            Sort::TitleAsc,
            &[
                "en-bus",
                "road-index",
                "bus-stops",
                "accidents",
                "air-quality",
                "enterprise-reg",
                "clinic",
            ],
        ),
    ];
    for &(sort, expected) in cases {
        assert_eq!(ids(&run(&index, &page(sort, 0, 10))), expected, "{sort:?}");
    }
    // A sort applies to the matches of a text query too.
    let result = run(
        &index,
        &SearchQuery {
            sort: Sort::ModifiedDesc,
            ..q("交通")
        },
    );
    assert_eq!(
        ids(&result),
        vec!["bus-stops", "road-index", "accidents", "en-bus"]
    );
}

#[test]
fn upsert_replaces_the_document_with_the_same_id() {
    let index = fixture();
    let mut changed = fixture_docs().remove(0);
    changed.title = "公共汽车停靠点".into();
    changed.notes = "更新后的描述".into();
    index.upsert(changed.clone()).unwrap();
    index.upsert(changed).unwrap();
    assert_eq!(index.len(), 7);
    check(&index, "公共汽车", &["bus-stops"]);
    check(&index, "停靠", &["bus-stops"]);
    check(&index, "杭州市", &[]);
    // The tags were kept, so 公交 still finds it, once.
    check(&index, "公交", &["bus-stops"]);
}

#[test]
fn upsert_of_a_new_id_adds_and_is_visible_at_once() {
    let index = fixture();
    let mut new = fixture_docs().remove(0);
    new.id = "metro".into();
    new.name = "metro".into();
    new.title = "地铁站点".into();
    index.upsert(new).unwrap();
    assert_eq!(index.len(), 8);
    check(&index, "地铁", &["metro"]);
}

#[test]
fn delete_removes_and_ignores_unknown_ids() {
    let index = fixture();
    index.delete("clinic").unwrap();
    assert_eq!(index.len(), 6);
    check(&index, "门诊", &[]);
    index.delete("no-such-id").unwrap();
    assert_eq!(index.len(), 6);
}

#[test]
fn rebuild_replaces_everything_and_keeps_the_last_duplicate() {
    let index = fixture();
    let mut docs = fixture_docs();
    docs.truncate(2);
    let mut dup = docs[0].clone();
    dup.title = "重复的标题".into();
    docs.push(dup);
    index.rebuild(docs).unwrap();
    assert_eq!(index.len(), 2);
    check(&index, "门诊", &[]);
    check(&index, "重复", &["bus-stops"]);
    check(&index, "道路", &["road-index"]);
    assert_eq!(
        run(&index, &q("重复")).hits[0].title_html,
        "<mark>重复</mark>的标题"
    );
    index.rebuild(Vec::new()).unwrap();
    assert!(index.is_empty());
}

#[test]
fn rebuilds_and_upserts_after_them_keep_one_copy_of_each_document() {
    // Several rounds, because what once went wrong here depended on how the indexing threads
    // picked up the batch: a rebuild rewound the operation stamps, so a delete queued behind an
    // older one could be skipped and both copies of a document stayed.
    let index = fixture();
    let docs = fixture_docs();
    for round in 0..20 {
        let mut batch = docs.clone();
        let mut dup = batch[round % batch.len()].clone();
        dup.title = format!("重复 {round}");
        batch.push(dup.clone());
        index.rebuild(batch).unwrap();
        assert_eq!(index.len(), docs.len() as u64, "round {round}");
        let mut changed = docs[(round + 1) % docs.len()].clone();
        changed.title = format!("更新 {round}");
        index.upsert(changed).unwrap();
        assert_eq!(index.len(), docs.len() as u64, "round {round}");
        check(&index, &format!("重复 {round}"), &[dup.name.as_str()]);
    }
}

#[test]
fn a_document_without_id_is_refused_and_a_failed_rebuild_changes_nothing() {
    let index = fixture();
    let err = index.upsert(CatalogDoc::default()).unwrap_err();
    assert!(matches!(err, SearchError::InvalidDocument(_)), "{err}");
    let mut docs = fixture_docs();
    docs.push(CatalogDoc::default());
    let err = index.rebuild(docs.into_iter().skip(3)).unwrap_err();
    assert!(matches!(err, SearchError::InvalidDocument(_)), "{err}");
    assert_eq!(index.len(), 7);
    check(&index, "公交", &["bus-stops"]);
    // The writer still works after the rollback.
    index.delete("bus-stops").unwrap();
    assert_eq!(index.len(), 6);
}

#[test]
fn reopening_from_disk_keeps_documents() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let index = SearchIndex::open(&path).unwrap();
        assert!(index.is_empty());
        index.rebuild(fixture_docs()).unwrap();
        index.delete("clinic").unwrap();
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.len(), 6);
    check(&index, "公交", &["bus-stops"]);
    check(&index, "gongjiao", &["bus-stops"]);
    check(&index, "门诊", &[]);
    // An index that never got a document reopens too.
    let empty = dir.path().join("empty");
    drop(SearchIndex::open(&empty).unwrap());
    assert!(SearchIndex::open(&empty).unwrap().is_empty());
}

#[test]
fn a_directory_open_elsewhere_is_busy_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let first = SearchIndex::open(dir.path()).unwrap();
    let err = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(err, SearchError::Index(_)), "{err:?}");
    drop(first);
    SearchIndex::open(dir.path()).unwrap();
}

fn write_index(path: &Path) {
    let index = SearchIndex::open(path).unwrap();
    index.rebuild(fixture_docs()).unwrap();
}

#[test]
fn a_damaged_index_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path);
    std::fs::write(path.join("meta.json"), b"{ this is not json").unwrap();
    let err = SearchIndex::open(&path).unwrap_err();
    assert!(matches!(err, SearchError::Damaged(_)), "{err:?}");

    // Removing the directory and reopening gives an empty index to rebuild.
    std::fs::remove_dir_all(&path).unwrap();
    write_index(&path);
    assert_eq!(SearchIndex::open(&path).unwrap().len(), 7);
}

#[test]
fn an_index_of_another_format_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path);
    let meta = std::fs::read_to_string(path.join("meta.json")).unwrap();
    assert!(meta.contains("gongshu-search/3"), "{meta}");
    std::fs::write(
        path.join("meta.json"),
        meta.replace("gongshu-search/3", "gongshu-search/2"),
    )
    .unwrap();
    let err = SearchIndex::open(&path).unwrap_err();
    assert!(matches!(err, SearchError::Damaged(_)), "{err:?}");
}

#[test]
fn an_index_with_missing_segment_files_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    write_index(&path);
    let mut removed = 0;
    for entry in std::fs::read_dir(&path).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".idx") || name.ends_with(".term") {
            std::fs::remove_file(entry.path()).unwrap();
            removed += 1;
        }
    }
    assert!(removed > 0);
    let err = SearchIndex::open(&path).unwrap_err();
    assert!(matches!(err, SearchError::Damaged(_)), "{err:?}");
}

#[test]
fn user_text_never_makes_a_query_fail() {
    let index = fixture();
    let long_mixed = "交通 bus \"(:) AND ".repeat(2_000);
    let many_words: String = (0..5_000).map(|i| format!("w{i} ")).collect();
    let weird = [
        "\"",
        "(",
        ")",
        "a:b",
        "AND",
        "OR NOT",
        "title:公交",
        "\"公交",
        "公交)",
        "*",
        "?",
        "\\",
        "[1 TO 5]",
        "{}",
        "+-!^~",
        "🚌",
        "",
        "   ",
        "\u{0}",
        "<script>",
        "ＣＳＶ",
        long_mixed.as_str(),
        many_words.as_str(),
    ];
    for text in weird {
        let result = index.search(&SearchQuery {
            facets: vec![Facet::Organization],
            ..q(text)
        });
        assert!(result.is_ok(), "{text:?}: {result:?}");
    }
    // Operators and punctuation are not syntax, the words around them still count.
    check(&index, "\"公交\"", &["bus-stops"]);
    check(&index, "(交通) AND 事故", &["accidents"]);
    check(&index, "title:公交", &["bus-stops"]);
    // Text with no searchable word is like an empty query.
    assert_eq!(run(&index, &q("\"(")).total, 7);
}

#[test]
fn too_many_rows_is_a_bad_query() {
    let index = fixture();
    let err = index
        .search(&SearchQuery {
            rows: MAX_ROWS + 1,
            ..q("")
        })
        .unwrap_err();
    assert!(matches!(err, SearchError::BadQuery(_)), "{err:?}");
    assert!(err.to_string().contains("1000"), "{err}");
    let ok = index.search(&SearchQuery {
        rows: MAX_ROWS,
        ..q("")
    });
    assert_eq!(ok.unwrap().hits.len(), 7);
}

#[test]
fn html_in_titles_and_notes_is_escaped() {
    let index = fixture();
    let result = run(&index, &q("门诊"));
    let hit = &result.hits[0];
    assert_eq!(
        hit.title_html,
        "医院<mark>门诊</mark>量 &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert!(!hit.snippet_html.contains("<b>"), "{}", hit.snippet_html);
    assert!(
        hit.snippet_html.contains("<mark>门诊</mark>"),
        "{}",
        hit.snippet_html
    );
    assert!(hit.snippet_html.contains("&amp;"), "{}", hit.snippet_html);
    assert!(
        hit.snippet_html.contains("&lt;b&gt;"),
        "{}",
        hit.snippet_html
    );

    // Without a query nothing is marked, and notes are still escaped.
    let result = run(&index, &filtered("", &[(Facet::Grade, "L4")]));
    assert_eq!(
        result.hits[0].title_html,
        "医院门诊量 &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(
        result.hits[0].snippet_html,
        "各医院门诊 &amp; 急诊人次 &lt;b&gt;统计&lt;/b&gt;"
    );
}

#[test]
fn without_highlighting_the_same_hits_come_escaped_and_unmarked() {
    let index = fixture();
    let plain = run(
        &index,
        &SearchQuery {
            highlight: false,
            ..q("门诊")
        },
    );
    let marked = run(&index, &q("门诊"));
    assert_eq!(ids(&plain), ids(&marked));
    assert_eq!(plain.total, marked.total);
    assert_eq!(plain.hits[0].payload, marked.hits[0].payload);
    assert_eq!(
        plain.hits[0].title_html,
        "医院门诊量 &lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(
        plain.hits[0].snippet_html,
        "各医院门诊 &amp; 急诊人次 &lt;b&gt;统计&lt;/b&gt;"
    );
}

#[test]
fn a_rebuild_leaves_one_segment_that_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let index = SearchIndex::open(&path).unwrap();
        let mut docs = fixture_docs();
        // Enough documents for both indexing threads to write a segment.
        for i in 0..2000 {
            let mut d = fixture_docs().remove(i % 7);
            d.id = format!("copy-{i}");
            d.name = format!("copy-{i}");
            docs.push(d);
        }
        index.rebuild(docs).unwrap();
        assert_eq!(index.segment_count(), 1);
        assert_eq!(index.len(), 2007);
    }
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.segment_count(), 1);
    assert_eq!(index.len(), 2007);
    // Every copy of a matching fixture document matches too.
    let fixture_ids: Vec<String> = fixture_docs().into_iter().map(|d| d.id).collect();
    let base = run(&fixture(), &q("公交"));
    let matching = ids(&base);
    let copies = (0..2000)
        .filter(|i| matching.contains(&fixture_ids[i % 7].as_str()))
        .count() as u64;
    assert!(copies > 0);
    assert_eq!(run(&index, &q("公交")).total, base.total + copies);
}

#[test]
fn snippets_mark_notes_or_fall_back_to_their_beginning() {
    let index = fixture();
    let result = run(&index, &q("拥堵"));
    assert_eq!(
        result.hits[0].snippet_html,
        "城市交通<mark>拥堵</mark>情况统计，按小时发布"
    );
    // 交通 is in the title of "accidents" but not in its notes.
    let result = run(&index, &filtered("交通", &[(Facet::Organization, "gaj")]));
    assert_eq!(result.hits[0].snippet_html, "年度事故数据");

    // Long notes are cut, with an ellipsis.
    let long = SearchIndex::in_memory().unwrap();
    let mut d = fixture_docs().remove(0);
    d.notes = format!("{}公交{}", "前文".repeat(200), "后文".repeat(200));
    long.upsert(d).unwrap();
    let hit = &run(&long, &q("公交")).hits[0];
    assert!(
        hit.snippet_html.contains("<mark>公交</mark>"),
        "{}",
        hit.snippet_html
    );
    assert!(hit.snippet_html.starts_with('…'), "{}", hit.snippet_html);
    assert!(
        hit.snippet_html.chars().count() < 200,
        "{}",
        hit.snippet_html
    );
    let hit = &run(&long, &q("")).hits[0];
    assert_eq!(
        hit.snippet_html.chars().count(),
        121,
        "{}",
        hit.snippet_html
    );
    assert!(hit.snippet_html.ends_with('…'));
}

#[test]
fn searches_run_while_documents_are_written() {
    fn assert_shareable<T: Send + Sync>() {}
    assert_shareable::<SearchIndex>();

    let index = Arc::new(fixture());
    let writer = {
        let index = Arc::clone(&index);
        std::thread::spawn(move || {
            for i in 0..30 {
                let mut d = fixture_docs().remove(0);
                d.id = format!("extra-{i}");
                d.name = d.id.clone();
                index.upsert(d).unwrap();
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                let mut last = 0;
                for _ in 0..50 {
                    let total = index.search(&q("公交")).unwrap().total;
                    assert!(total >= last, "a committed upsert disappeared");
                    last = total;
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        r.join().unwrap();
    }
    assert_eq!(index.len(), 37);
    assert_eq!(run(&index, &q("公交")).total, 31);
}

#[test]
fn facet_and_sort_names_parse() {
    let cases = [
        ("organization", Facet::Organization),
        ("theme", Facet::Theme),
        ("groups", Facet::Theme),
        ("opening_type", Facet::OpeningType),
        ("grade", Facet::Grade),
        ("format", Facet::Format),
        ("res_format", Facet::Format),
        ("tag", Facet::Tag),
        ("tags", Facet::Tag),
        ("domain", Facet::Domain),
    ];
    for (text, facet) in cases {
        assert_eq!(text.parse::<Facet>().unwrap(), facet, "{text}");
    }
    for facet in Facet::ALL {
        assert_eq!(facet.code().parse::<Facet>().unwrap(), facet);
    }
    assert!(matches!(
        "license".parse::<Facet>(),
        Err(SearchError::BadQuery(_))
    ));
    let sorts = [
        ("relevance", Sort::Relevance),
        ("score desc, metadata_modified desc", Sort::Relevance),
        ("metadata_modified desc", Sort::ModifiedDesc),
        ("title_string asc", Sort::TitleAsc),
        ("name asc", Sort::NameAsc),
        ("name_asc", Sort::NameAsc),
    ];
    for (text, sort) in sorts {
        assert_eq!(text.parse::<Sort>().unwrap(), sort, "{text}");
    }
    assert!("views desc".parse::<Sort>().is_err());
}

#[test]
fn hits_carry_their_payload() {
    let index = SearchIndex::in_memory().unwrap();
    index.rebuild(fixture_docs()).unwrap();
    let result = index
        .search(&SearchQuery {
            rows: 100,
            ..SearchQuery::default()
        })
        .unwrap();
    assert!(!result.hits.is_empty());
    for hit in &result.hits {
        assert_eq!(hit.payload, format!("{{\"name\":\"{}\"}}", hit.id));
    }
}
