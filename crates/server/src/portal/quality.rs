//! Data quality (C9) in the portal: the section of the dataset page (score, letter, the
//! dimensions, what to fix first, the history as a chart and a table), its charts, and the page
//! that publishes the formula. The numbers are [`app::quality`]'s.

use super::charts::{stacked_bars, svg_response, Bar};
use super::page::{render, PageResult};
use super::pages::{fmt_time, HistoryRow, IssueRow, PageCtx, QualityDisplay};
use crate::error::ApiError;
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::quality::{self, QualityView};
use app::Code;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use model::quality::{Issue, WEIGHTS};

/// The quality routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/quality", get(formula_page))
        .route("/dataset/{name}/quality/{chart}", get(chart))
}

fn percent(v: f64) -> String {
    format!("{:.1}", v * 100.0)
}

/// What an issue's rule means, in `lang`.
pub fn rule_label(lang: Lang, rule: &str) -> String {
    let zh = lang == Lang::Zh;
    let text = match rule {
        "empty_cells" => ("空单元格", "Empty cells"),
        "invalid_cells" => ("与列类型不符的值", "Values not of the column's type"),
        "invalid_identifiers" => (
            "校验位不正确的证件号或代码",
            "Identifiers failing their check character",
        ),
        "duplicate_rows" => ("重复的行", "Duplicate rows"),
        "duplicate_keys" => (
            "主键与之前某行重复的行",
            "Rows repeating an earlier row's key",
        ),
        "empty_keys" => ("主键字段为空的行", "Rows with an empty key column"),
        "column_added" => (
            "较上一版本新增的列",
            "Column added since the previous version",
        ),
        "column_removed" => (
            "较上一版本删除的列",
            "Column removed since the previous version",
        ),
        "column_retyped" => ("较上一版本类型改变的列", "Column whose type changed"),
        "stale" => (
            "超过声明的更新周期（天）",
            "Days past the declared update interval",
        ),
        "no_frequency" => (
            "未声明可核查的更新频率",
            "No checkable update frequency declared",
        ),
        other => {
            let field = other.strip_prefix("missing_").unwrap_or(other);
            let (fzh, fen) = match field {
                "tags" => ("标签", "tags"),
                "themes" => ("主题", "themes"),
                "spatial" => ("空间范围", "spatial coverage"),
                "temporal" => ("时间范围", "temporal coverage"),
                "download" => ("可下载的版本", "a version to download"),
                "typed_data" => ("带类型的数据", "typed data"),
                "license" => ("许可协议", "licence"),
                "contact" => ("联系方式", "contact point"),
                "access_rights" => ("访问权限", "access rights"),
                "publisher" => ("发布者", "publisher"),
                "description" => (
                    "至少 20 字的描述",
                    "a description of at least 20 characters",
                ),
                "frequency" => ("更新频率", "update frequency"),
                "resource_descriptions" => ("每个资源的说明", "a description of every resource"),
                "column_descriptions" => (
                    "数据字典中的字段说明（缺少的字段数）",
                    "column descriptions in the data dictionary (columns without one)",
                ),
                f => (f, f),
            };
            return if zh {
                format!("元数据缺少：{fzh}")
            } else {
                format!("Metadata lacks {fen}")
            };
        }
    };
    (if zh { text.0 } else { text.1 }).to_string()
}

fn issue_row(lang: Lang, i: &Issue) -> IssueRow {
    IssueRow {
        what: rule_label(lang, &i.rule),
        column: i.column.clone().unwrap_or_default(),
        count: if i.count > 0 {
            i.count.to_string()
        } else {
            String::new()
        },
        points: format!("{:.2}", i.points),
    }
}

/// The section for a dataset page; a failure leaves it empty rather than failing the page.
pub async fn display(state: &SharedState, lang: Lang, dataset: &store::Dataset) -> QualityDisplay {
    let Ok(q) = quality::view(state, dataset).await else {
        return QualityDisplay::default();
    };
    QualityDisplay {
        measured: q.score.is_some(),
        score: q.score.map(|s| format!("{s:.1}")).unwrap_or_default(),
        letter: q.letter.clone().unwrap_or_default(),
        dimensions: q
            .dimensions
            .iter()
            .map(|d| {
                (
                    if lang == Lang::Zh { d.name } else { d.name_en }.to_string(),
                    percent(d.weight),
                    percent(d.value),
                )
            })
            .collect(),
        issues: q
            .issues
            .iter()
            .take(10)
            .map(|i| issue_row(lang, i))
            .collect(),
        history: history_rows(&q),
    }
}

fn history_rows(q: &QualityView) -> Vec<HistoryRow> {
    q.history
        .iter()
        .rev()
        .take(20)
        .map(|h| HistoryRow {
            label: format!("{} v{}", h.resource, h.version),
            date: fmt_time(h.measured_at).chars().take(10).collect(),
            score: format!("{:.1}", h.score),
            letter: h.letter.clone(),
        })
        .collect()
}

async fn chart(
    State(state): State<SharedState>,
    v: Visitor,
    Path((name, chart)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let t = Tr(v.lang);
    let dataset = app::catalog::load_dataset(&state, &name).await?;
    let q = quality::view(&state, &dataset).await?;
    let svg = match chart.as_str() {
        "history.svg" => {
            // Oldest at the top, the last 20 versions.
            let bars: Vec<Bar> = q
                .history
                .iter()
                .rev()
                .take(20)
                .rev()
                .map(|h| Bar {
                    label: format!(
                        "{} v{} {}",
                        h.resource,
                        h.version,
                        fmt_time(h.measured_at).chars().take(10).collect::<String>()
                    ),
                    values: vec![h.score],
                })
                .collect();
            stacked_bars(
                t.quality_history(),
                &bars,
                &[t.quality_score()],
                Some(100.0),
                false,
            )
        }
        "dimensions.svg" => {
            let bars: Vec<Bar> = q
                .dimensions
                .iter()
                .map(|d| Bar {
                    label: if v.lang == Lang::Zh {
                        d.name
                    } else {
                        d.name_en
                    }
                    .to_string(),
                    values: vec![d.value],
                })
                .collect();
            stacked_bars(
                t.quality_dimensions(),
                &bars,
                &[t.quality_value()],
                Some(1.0),
                true,
            )
        }
        _ => return Err(ApiError::new(Code::NotFound, "There is no such chart.")),
    }
    .map_err(ApiError::internal)?;
    Ok(svg_response(svg))
}

#[derive(Template)]
#[template(path = "quality_formula.html")]
struct FormulaTpl {
    t: Tr,
    page: PageCtx,
    /// (dimension, weight %, what is measured).
    rows: Vec<(String, String, String)>,
}

async fn formula_page(v: Visitor) -> PageResult {
    let t = Tr(v.lang);
    let measure = |d: model::quality::Dimension| -> &'static str {
        use model::quality::Dimension::*;
        match d {
            Completeness => t.quality_rule_completeness(),
            Validity => t.quality_rule_validity(),
            Uniqueness => t.quality_rule_uniqueness(),
            Consistency => t.quality_rule_consistency(),
            Timeliness => t.quality_rule_timeliness(),
            Metadata => t.quality_rule_metadata(),
        }
    };
    let rows = WEIGHTS
        .iter()
        .map(|(d, w)| {
            (
                d.label(v.lang.code()).to_string(),
                percent(*w),
                measure(*d).to_string(),
            )
        })
        .collect();
    Ok(render(FormulaTpl {
        t,
        page: PageCtx::new(&v, "/quality"),
        rows,
    }))
}
