//! Public pages of the demand statistics (C8): the tables per department and theme with two
//! server-rendered charts and the CSV/XLSX downloads, and the opening plan (accepted demands by
//! planned date).

use super::charts::{stacked_bars, svg_response, Bar};
use super::page::{render, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use app::demands::{self, DemandQuery, DemandStats, StatRow};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use model::demand::DemandStatus;
use store::DemandSort;

/// The statistics and plan routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/demands/stats", get(stats_page))
        .route("/demands/stats/{chart}", get(chart))
        .route("/demands/plan", get(plan_page))
}

/// A row of a statistics table, formatted.
struct Line {
    title: String,
    link: String,
    demands: i64,
    enterprise: i64,
    supports: i64,
    open: i64,
    accepted: i64,
    rejected: i64,
    fulfilled: i64,
    overdue: i64,
    answered_late: i64,
    acceptance: String,
    fulfilment: String,
    median_days: String,
}

fn percent(r: Option<f64>) -> String {
    r.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn line(r: &StatRow) -> Line {
    let c = &r.counts;
    let link = match r.kind {
        "department" => format!("/demands?department={}", super::page::urlencode(&r.key)),
        _ => String::new(),
    };
    Line {
        title: r.title.clone(),
        link,
        demands: c.demands,
        enterprise: c.enterprise,
        supports: c.supports,
        open: c.open,
        accepted: c.accepted,
        rejected: c.rejected,
        fulfilled: c.fulfilled,
        overdue: c.overdue,
        answered_late: c.answered_late,
        acceptance: percent(r.acceptance_rate),
        fulfilment: percent(r.fulfilment_rate),
        median_days: r
            .median_days_to_answer
            .map(|d| format!("{d:.1}"))
            .unwrap_or_else(|| "—".into()),
    }
}

#[derive(Template)]
#[template(path = "demand_stats.html")]
struct StatsTpl {
    t: Tr,
    page: PageCtx,
    as_of: String,
    departments: Vec<Line>,
    themes: Vec<Line>,
    totals: Vec<Line>,
    empty: bool,
    accepted: &'static str,
    fulfilled: &'static str,
    rejected: &'static str,
}

async fn stats_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let s = demands::stats(&state).await.or_page(&v)?;
    Ok(render(StatsTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/demands/stats"),
        as_of: fmt_time(s.as_of),
        departments: s.departments.iter().map(line).collect(),
        themes: s.themes.iter().map(line).collect(),
        totals: vec![Line {
            title: Tr(v.lang).demand_stats_total().to_string(),
            ..line(&s.total)
        }],
        empty: s.total.counts.demands == 0,
        accepted: DemandStatus::Accepted.label(v.lang.code()),
        fulfilled: DemandStatus::Fulfilled.label(v.lang.code()),
        rejected: DemandStatus::Rejected.label(v.lang.code()),
    })
    .into_response())
}

/// The rows a chart draws: every department, then every theme (marked as such).
fn chart_rows(s: &DemandStats) -> Vec<&StatRow> {
    s.departments.iter().chain(&s.themes).collect()
}

fn chart_label(r: &StatRow, t: Tr) -> String {
    match r.kind {
        "theme" => format!("{}{}", t.demand_stats_theme_prefix(), r.title),
        _ => r.title.clone(),
    }
}

/// `volume.svg` (demands by state, stacked) or `acceptance.svg` (acceptance and fulfilment).
async fn chart(
    State(state): State<SharedState>,
    v: Visitor,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let t = Tr(v.lang);
    let lang = v.lang.code();
    let s = demands::stats(&state).await?;
    let rows = chart_rows(&s);
    let svg = match name.as_str() {
        "volume.svg" => {
            let bars: Vec<Bar> = rows
                .iter()
                .map(|r| {
                    let c = &r.counts;
                    Bar {
                        label: chart_label(r, t),
                        values: vec![
                            (c.open - c.overdue) as f64,
                            c.overdue as f64,
                            c.accepted as f64,
                            c.fulfilled as f64,
                            c.rejected as f64,
                        ],
                    }
                })
                .collect();
            stacked_bars(
                t.demand_stats_volume_chart(),
                &bars,
                &[
                    t.demand_stats_open_in_time(),
                    t.demand_overdue(),
                    DemandStatus::Accepted.label(lang),
                    DemandStatus::Fulfilled.label(lang),
                    DemandStatus::Rejected.label(lang),
                ],
                None,
                false,
            )
        }
        "acceptance.svg" => {
            let bars: Vec<Bar> = rows
                .iter()
                .map(|r| Bar {
                    label: chart_label(r, t),
                    values: vec![r.acceptance_rate.unwrap_or(0.0)],
                })
                .collect();
            stacked_bars(
                t.demand_stats_acceptance_chart(),
                &bars,
                &[t.demand_stats_acceptance()],
                Some(1.0),
                true,
            )
        }
        _ => {
            return Err(ApiError::new(
                app::Code::NotFound,
                "There is no such chart.",
            ))
        }
    }
    .map_err(ApiError::internal)?;
    Ok(svg_response(svg))
}

/// One accepted demand in the plan.
struct PlanRow {
    id: String,
    title: String,
    target: String,
    planned: String,
    supports: i64,
    late: bool,
}

#[derive(Template)]
#[template(path = "demand_plan.html")]
struct PlanTpl {
    t: Tr,
    page: PageCtx,
    months: Vec<(String, Vec<PlanRow>)>,
}

/// Most accepted demands the plan lists.
const PLAN_LIMIT: i64 = 100;

async fn plan_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let list = demands::list(
        &state,
        DemandQuery {
            status: Some(DemandStatus::Accepted),
            sort: DemandSort::Planned,
            limit: PLAN_LIMIT,
            ..DemandQuery::default()
        },
    )
    .await
    .or_page(&v)?;
    let today = fmt_time(app::clock::now_ms());
    let mut months: Vec<(String, Vec<PlanRow>)> = Vec::new();
    for d in &list.demands {
        let planned = d.demand.planned_at.map(fmt_time).unwrap_or_default();
        let day: String = planned.chars().take(10).collect();
        let month: String = planned.chars().take(7).collect();
        let row = PlanRow {
            id: d.demand.id.clone(),
            title: d.demand.title.clone(),
            target: d.target_title.clone(),
            late: !day.is_empty() && day.as_str() < &today[..10],
            planned: day,
            supports: d.demand.support_count,
        };
        match months.last_mut() {
            Some((m, rows)) if *m == month => rows.push(row),
            _ => months.push((month, vec![row])),
        }
    }
    Ok(render(PlanTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/demands/plan"),
        months,
    })
    .into_response())
}
