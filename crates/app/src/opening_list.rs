//! The opening list (开放清单, C1): the authority's published table of every dataset with its
//! opening type, the conditions of use and the update frequency, as JSON, CSV and XLSX.

use crate::error::AppResult;
use crate::state::App;
use crate::tables::Cell;
use model::application::needs_authority;
use model::OpeningType;
use serde::Serialize;
use store::Dataset;

/// One row of the list.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Dataset slug.
    pub name: String,
    /// Title.
    pub title: String,
    /// Organization slug.
    pub organization: String,
    /// Organization title.
    pub organization_title: String,
    /// Opening type code.
    pub opening_type: String,
    /// Opening type label in Chinese.
    pub opening_type_label: String,
    /// Conditions of use, in Chinese and English.
    pub conditions: String,
    /// Update frequency as published.
    pub update_frequency: String,
    /// Dataset grade.
    pub grade: String,
    /// Domain code.
    pub domain: String,
    /// Themes.
    pub themes: Vec<String>,
    /// Last change, RFC 3339.
    pub modified: String,
}

/// The conditions under which a dataset's data can be had.
pub fn conditions(d: &Dataset) -> String {
    match d.meta.opening_type {
        OpeningType::Unconditional => "无需申请，直接获取。No application needed.".into(),
        OpeningType::Conditional => {
            if needs_authority(d.meta.domain, d.meta.importance, [d.grade]) {
                "在线申请并签署数据使用协议，经数据提供部门审核和数据主管部门复核后按授权范围使用。Apply online and accept the data-use agreement; the owning department reviews and the data authority approves a second time; use within the grant.".into()
            } else {
                "在线申请并签署数据使用协议，经数据提供部门审核后按授权范围使用。Apply online and accept the data-use agreement; the owning department reviews; use within the grant.".into()
            }
        }
        OpeningType::NotOpen => {
            "依法不予开放，仅公开目录信息。Not open by law; only the catalog entry is public."
                .into()
        }
    }
}

/// Every dataset as a row, ordered by organization and name.
pub async fn rows(app: &App) -> AppResult<Vec<Row>> {
    let datasets = crate::records::all_datasets(&app.store).await?;
    let orgs = app.store.list_orgs().await?;
    let mut rows: Vec<Row> = datasets
        .iter()
        .map(|d| {
            let org = orgs.iter().find(|o| o.id == d.org_id);
            Row {
                name: d.name.clone(),
                title: d.meta.title.clone(),
                organization: org.map(|o| o.name.clone()).unwrap_or_default(),
                organization_title: org.map(|o| o.title.clone()).unwrap_or_default(),
                opening_type: d.meta.opening_type.code().into(),
                opening_type_label: d.meta.opening_type.label_zh().into(),
                conditions: conditions(d),
                update_frequency: d.meta.update_frequency.clone(),
                grade: d.grade.code().into(),
                domain: d.meta.domain.code().into(),
                themes: d.meta.themes.clone(),
                modified: crate::clock::rfc3339_ms(d.modified_at),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.organization, &a.name).cmp(&(&b.organization, &b.name)));
    Ok(rows)
}

/// Column headings, Chinese and English.
const HEADINGS: [&str; 11] = [
    "数据集 Dataset",
    "名称 Title",
    "提供单位 Organization",
    "单位名称 Organization title",
    "开放类型 Opening type",
    "开放类型名称 Opening type label",
    "开放条件 Conditions",
    "更新频率 Update frequency",
    "分级 Grade",
    "数据域 Domain",
    "主题 Themes",
];

fn cells(r: &Row) -> [String; 11] {
    [
        r.name.clone(),
        r.title.clone(),
        r.organization.clone(),
        r.organization_title.clone(),
        r.opening_type.clone(),
        r.opening_type_label.clone(),
        r.conditions.clone(),
        r.update_frequency.clone(),
        r.grade.clone(),
        r.domain.clone(),
        r.themes.join("；"),
    ]
}

/// CSV in UTF-8 with a byte-order mark.
pub fn csv(rows: &[Row]) -> AppResult<Vec<u8>> {
    crate::tables::csv(&HEADINGS, &table(rows))
}

/// An XLSX workbook with one sheet.
pub fn xlsx(rows: &[Row]) -> AppResult<Vec<u8>> {
    crate::tables::xlsx("开放清单", &HEADINGS, &table(rows))
}

fn table(rows: &[Row]) -> Vec<Vec<Cell>> {
    rows.iter()
        .map(|r| cells(r).into_iter().map(Cell::Text).collect())
        .collect()
}
