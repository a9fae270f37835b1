//! The contribution index (C9) in the portal: the public leaderboard of enterprises and of
//! departments for a period, with an SVG chart and the report's downloads; the published
//! incentive reports with their SHA-256 and access-log leaf; the authority's form to publish a
//! finished period; and the page that publishes the formula. The numbers are
//! [`app::contribution`]'s.

use super::charts::{stacked_bars, svg_response, Bar};
use super::page::{again, render, require_user, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use app::contribution::{self, Group, Leaderboard};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::role::Role;
use serde::Deserialize;

/// The routes of these pages.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/contribution", get(page))
        .route("/contribution/chart.svg", get(chart))
        .route("/contribution/formula", get(formula))
        .route("/contribution/publish", post(publish))
}

#[derive(Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    period: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    msg: String,
}

struct Row {
    rank: u64,
    title: String,
    index: String,
    volume: String,
    quality: String,
    usage: String,
    regularity: String,
    responsiveness: String,
    datasets: u64,
    rows: u64,
    versions: u64,
    score: String,
}

struct ReportRow {
    id: String,
    period: String,
    kind: String,
    entries: i64,
    sha256: String,
    log_index: String,
    log_next: String,
    published: String,
}

#[derive(Template)]
#[template(path = "contribution.html")]
struct PageTpl {
    t: Tr,
    page: PageCtx,
    period: String,
    kind: String,
    departments: bool,
    rows: Vec<Row>,
    reports: Vec<ReportRow>,
    authority: bool,
    error: String,
}

fn pct(x: f64) -> String {
    format!("{:.1}", x * 100.0)
}

async fn board(q: &PageQuery, state: &SharedState) -> Result<Leaderboard, app::AppError> {
    let period = contribution::parse_period(&q.period)?;
    let group = Group::parse(&q.kind)?;
    contribution::compute(state, period, group).await
}

async fn page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<PageQuery>,
) -> PageResult {
    let t = Tr(v.lang);
    let flash = if q.msg == "published" {
        t.contribution_published().to_string()
    } else {
        String::new()
    };
    show(&state, &v, &q, String::new(), flash).await
}

async fn show(
    state: &SharedState,
    v: &Visitor,
    q: &PageQuery,
    error: String,
    flash: String,
) -> PageResult {
    let board = board(q, state).await.or_page(v)?;
    let reports = contribution::reports(state)
        .await
        .or_page(v)?
        .into_iter()
        .map(|r| ReportRow {
            id: r.id,
            period: r.period,
            kind: r.kind,
            entries: r.entries,
            sha256: r.sha256,
            log_index: r.log_index.map(|i| i.to_string()).unwrap_or_default(),
            log_next: r.log_index.map(|i| (i + 1).to_string()).unwrap_or_default(),
            published: fmt_time(r.published_at),
        })
        .collect();
    let mut page = PageCtx::new(v, "/contribution");
    page.flash = flash;
    Ok(render(PageTpl {
        t: Tr(v.lang),
        page,
        period: board.period.clone(),
        kind: board.kind.code().to_string(),
        departments: board.kind == Group::Department,
        rows: board
            .entries
            .iter()
            .map(|r| Row {
                rank: r.rank,
                title: r.figures.title.clone(),
                index: format!("{:.2}", r.index),
                volume: pct(r.volume),
                quality: pct(r.quality),
                usage: pct(r.usage),
                regularity: pct(r.regularity),
                responsiveness: r.responsiveness.map(pct).unwrap_or_default(),
                datasets: r.figures.datasets,
                rows: r.figures.rows,
                versions: r.figures.versions,
                score: r
                    .figures
                    .quality()
                    .map(|s| format!("{s:.1}"))
                    .unwrap_or_default(),
            })
            .collect(),
        reports,
        authority: v.user.as_ref().is_some_and(|u| u.role == Role::Authority),
        error,
    }))
}

async fn chart(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let t = Tr(v.lang);
    let board = board(&q, &state).await?;
    // The first 15, each bar split into the weighted components it adds to the index.
    let departments = board.kind == Group::Department;
    let bars: Vec<Bar> = board
        .entries
        .iter()
        .take(15)
        .map(|r| {
            let mut values = if departments {
                vec![
                    20.0 * r.volume,
                    25.0 * r.quality,
                    20.0 * r.usage,
                    15.0 * r.regularity,
                ]
            } else {
                vec![
                    25.0 * r.volume,
                    30.0 * r.quality,
                    25.0 * r.usage,
                    20.0 * r.regularity,
                ]
            };
            if let Some(s) = r.responsiveness {
                values.push(20.0 * s);
            }
            Bar {
                label: r.figures.title.clone(),
                values,
            }
        })
        .collect();
    let mut series = vec![
        t.contribution_volume(),
        t.contribution_quality(),
        t.contribution_usage(),
        t.contribution_regularity(),
    ];
    if departments {
        series.push(t.contribution_responsiveness());
    }
    let svg = stacked_bars(t.contribution_title(), &bars, &series, Some(100.0), false)
        .map_err(ApiError::internal)?;
    Ok(svg_response(svg))
}

#[derive(Template)]
#[template(path = "contribution_formula.html")]
struct FormulaTpl {
    t: Tr,
    page: PageCtx,
}

async fn formula(v: Visitor) -> PageResult {
    Ok(render(FormulaTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/contribution/formula"),
    }))
}

#[derive(Deserialize, Default)]
struct PublishForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    kind: String,
}

async fn publish(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<PublishForm>,
) -> PageResult {
    let user = require_user(&v, "/contribution")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    match contribution::publish(&state, &user, &f.period, &f.kind).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "/contribution?period={}&kind={}&msg=published",
            r.period, r.kind
        ))
        .into_response()),
        Err(e) => {
            let q = PageQuery {
                period: f.period.clone(),
                kind: f.kind.clone(),
                msg: String::new(),
            };
            // An invalid period still shows the current month's board with the error.
            let shown = if contribution::parse_period(&q.period).is_ok() {
                q
            } else {
                PageQuery {
                    kind: f.kind.clone(),
                    ..PageQuery::default()
                }
            };
            again(&v, e, |m| show(&state, &v, &shown, m, String::new())).await
        }
    }
}
