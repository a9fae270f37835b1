//! The catalog page as a search: Chinese and English full text with highlighted snippets, facets
//! by organization, theme, opening type, grade, format and tag, sorting and paging; and the
//! opening list (开放清单) with its downloads. Everything is links and a GET form, so it works
//! without JavaScript.

use super::page::{render, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::opening_list;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Router;
use model::classification::{Grade, OpeningType};
use search::{Facet, SearchQuery, Sort};

/// Results per page.
const PAGE_SIZE: usize = 20;
/// Values shown per facet.
const FACET_VALUES: usize = 12;
/// The facets shown, in order.
const FACETS: [Facet; 6] = [
    Facet::Organization,
    Facet::Theme,
    Facet::OpeningType,
    Facet::Grade,
    Facet::Format,
    Facet::Tag,
];

/// The search and opening-list pages.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/", get(catalog_page))
        .route("/opening-list", get(opening_list_page))
}

/// One result.
pub struct ResultRow {
    pub name: String,
    pub title_html: String,
    pub snippet_html: String,
    pub org_title: String,
    pub modified: String,
    pub grade: String,
    pub grade_code: String,
    pub opening: String,
    pub opening_code: String,
}

/// A facet value with its count and the link that toggles it.
pub struct FacetItem {
    pub label: String,
    pub count: u64,
    pub selected: bool,
    pub href: String,
}

/// A facet with its values.
pub struct FacetBox {
    pub key: String,
    pub title: String,
    pub items: Vec<FacetItem>,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogTpl {
    t: Tr,
    page: PageCtx,
    q: String,
    sort: String,
    total: u64,
    rows: Vec<ResultRow>,
    facets: Vec<FacetBox>,
    hidden: Vec<(String, String)>,
    message: String,
    prev: Option<String>,
    next: Option<String>,
    /// Demands the words find too: (id, title, whom it asks, state).
    demands: Vec<(String, String, String, String)>,
    demand_total: i64,
    demands_link: String,
}

fn facet_title(t: Tr, f: Facet) -> &'static str {
    match f {
        Facet::Organization => t.organization(),
        Facet::Theme => t.facet_theme(),
        Facet::OpeningType => t.opening_type(),
        Facet::Grade => t.dataset_grade(),
        Facet::Format => t.facet_format(),
        Facet::Tag => t.facet_tag(),
        Facet::Domain => t.domain(),
    }
}

fn value_label(lang: Lang, f: Facet, value: &str, orgs: &[store::Organization]) -> String {
    let code = lang.code();
    match f {
        Facet::Organization => orgs
            .iter()
            .find(|o| o.name == value)
            .map(|o| o.title.clone()),
        Facet::OpeningType => value
            .parse::<OpeningType>()
            .ok()
            .map(|o| o.label(code).to_string()),
        Facet::Grade => value
            .parse::<Grade>()
            .ok()
            .map(|g| g.label(code).to_string()),
        _ => None,
    }
    .unwrap_or_else(|| value.to_string())
}

fn query_string(pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return "/".into();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    format!("/?{}", s.finish())
}

async fn catalog_page(
    State(state): State<SharedState>,
    v: Visitor,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let t = Tr(v.lang);
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let q = get("q");
    let sort = get("sort");
    // Text, parsed leniently: a hand-edited `?page=abc` shows the first page, not an error.
    let page_no = get("page")
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, 500);
    let filters: Vec<(Facet, String)> = pairs
        .iter()
        .filter_map(|(k, v)| Some((FACETS.iter().find(|f| f.code() == k)?.to_owned(), v.clone())))
        .collect();
    let query = SearchQuery {
        q: q.clone(),
        filters: filters.clone(),
        sort: match sort.as_str() {
            "modified" => Sort::ModifiedDesc,
            "title" => Sort::TitleAsc,
            _ if q.trim().is_empty() => Sort::ModifiedDesc,
            _ => Sort::Relevance,
        },
        rows: PAGE_SIZE,
        start: (page_no - 1) * PAGE_SIZE,
        facets: FACETS.to_vec(),
        facet_limit: FACET_VALUES,
        highlight: true,
    };
    let orgs = app::accounts::list_orgs(&state).await.or_page(&v)?;
    let (result, message) = match app::exports::search(&state, &query) {
        Ok(r) => (r, String::new()),
        Err(e) if e.code == app::Code::BadRequest => (search::SearchResult::default(), e.message),
        Err(e) => return Err(e).or_page(&v),
    };
    let mut rows = Vec::new();
    for hit in &result.hits {
        let Ok(d) = app::catalog::load_dataset(&state, &hit.name).await else {
            continue;
        };
        let lang = v.lang.code();
        rows.push(ResultRow {
            name: d.name.clone(),
            title_html: hit.title_html.clone(),
            snippet_html: hit.snippet_html.clone(),
            org_title: orgs
                .iter()
                .find(|o| o.id == d.org_id)
                .map(|o| o.title.clone())
                .unwrap_or_default(),
            modified: fmt_time(d.modified_at),
            grade: d.grade.label(lang).to_string(),
            grade_code: d.grade.code().to_string(),
            opening: d.meta.opening_type.label(lang).to_string(),
            opening_code: d.meta.opening_type.code().to_string(),
        });
    }
    // Links keep the query and every other filter, drop the page, and toggle one value.
    let base: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
    let facets = result
        .facets
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(f, values)| FacetBox {
            key: f.code().to_string(),
            title: facet_title(t, *f).to_string(),
            items: values
                .iter()
                .map(|(value, count)| {
                    let selected = filters.iter().any(|(g, x)| g == f && x == value);
                    let mut link: Vec<(String, String)> = base
                        .iter()
                        .filter(|(k, x)| !(k == f.code() && x == value))
                        .cloned()
                        .collect();
                    if !selected {
                        link.push((f.code().to_string(), value.clone()));
                    }
                    FacetItem {
                        label: value_label(v.lang, *f, value, &orgs),
                        count: *count,
                        selected,
                        href: query_string(&link),
                    }
                })
                .collect(),
        })
        .collect();
    let page_link = |p: usize| {
        let mut link = base.clone();
        link.push(("page".into(), p.to_string()));
        query_string(&link)
    };
    let prev = (page_no > 1).then(|| page_link(page_no - 1));
    let next = ((page_no * PAGE_SIZE) < result.total as usize && page_no < 500)
        .then(|| page_link(page_no + 1));
    let hidden = base
        .iter()
        .filter(|(k, _)| k != "q" && k != "sort")
        .cloned()
        .collect();
    // Demands are found by the same words (C8), shown beside the datasets.
    let (demands, demand_total) = if q.trim().is_empty() {
        (Vec::new(), 0)
    } else {
        match app::demands::list(
            &state,
            app::demands::DemandQuery {
                q: Some(q.clone()),
                limit: 5,
                ..app::demands::DemandQuery::default()
            },
        )
        .await
        {
            Ok(page) => (
                page.demands
                    .iter()
                    .map(|d| {
                        (
                            d.demand.id.clone(),
                            d.demand.title.clone(),
                            d.target_title.clone(),
                            d.demand.status.label(v.lang.code()).to_string(),
                        )
                    })
                    .collect(),
                page.total,
            ),
            Err(e) if e.code.is_caller_error() => (Vec::new(), 0),
            Err(e) => return Err(e).or_page(&v),
        }
    };
    let demands_link = format!("/demands?q={}", super::page::urlencode(&q));
    let path = query_string(&pairs);
    Ok(render(CatalogTpl {
        t,
        page: PageCtx::new(&v, &path),
        q,
        sort,
        total: result.total,
        rows,
        facets,
        hidden,
        message,
        prev,
        next,
        demands,
        demand_total,
        demands_link,
    }))
}

#[derive(Template)]
#[template(path = "opening_list.html")]
struct OpeningListTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<opening_list::Row>,
}

async fn opening_list_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let mut rows = opening_list::rows(&state).await.or_page(&v)?;
    if v.lang == Lang::En {
        for r in &mut rows {
            if let Ok(o) = r.opening_type.parse::<OpeningType>() {
                r.opening_type_label = o.label_en().to_string();
            }
        }
    }
    Ok(render(OpeningListTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/opening-list"),
        rows,
    }))
}
