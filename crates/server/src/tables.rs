//! Tables sent as JSON, CSV or XLSX: the `format` parameter and the attachment headers, the same
//! for every table download (the opening list, statistics).

use crate::error::{ApiError, ApiResult};
use app::Code;
use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The formats a table is offered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// JSON (the default).
    Json,
    /// CSV in UTF-8 with a byte-order mark.
    Csv,
    /// An XLSX workbook.
    Xlsx,
}

/// Parses the `format` parameter of a table request.
pub fn table_format(s: Option<&str>) -> ApiResult<TableFormat> {
    match s.map(str::trim).unwrap_or("json") {
        "json" | "" => Ok(TableFormat::Json),
        "csv" => Ok(TableFormat::Csv),
        "xlsx" => Ok(TableFormat::Xlsx),
        other => Err(ApiError::new(
            Code::BadRequest,
            format!("Unknown format `{other}`; use json, csv or xlsx."),
        )),
    }
}

/// A CSV or XLSX file sent as an attachment named `stem.csv` or `stem.xlsx`.
pub fn attachment(format: TableFormat, stem: &str, bytes: Vec<u8>) -> Response {
    let (content_type, ext) = match format {
        TableFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        TableFormat::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        TableFormat::Json => ("application/json", "json"),
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A table as a CSV or an XLSX attachment (a sheet named `sheet`) named `stem.csv` or
/// `stem.xlsx`.
pub fn table_file(
    format: TableFormat,
    sheet: &str,
    stem: &str,
    headings: &[&str],
    rows: &[Vec<app::tables::Cell>],
) -> ApiResult<Response> {
    let bytes = match format {
        TableFormat::Csv => app::tables::csv(headings, rows)?,
        _ => app::tables::xlsx(sheet, headings, rows)?,
    };
    Ok(attachment(format, stem, bytes))
}
