//! The access log in the portal: the latest signed checkpoint and its verifier key, recent
//! entries (optionally of one dataset), access counts per dataset, and a receipt verifier.

use super::page::{render, OrPage, PageResult};
use super::pages::PageCtx;
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use askama::Template;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Form, Router};
use model::application::PurposeCategory;
use model::log::{EventKind, Leaf};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Entries the page lists.
const RECENT: i64 = 50;

/// The log pages.
pub fn router() -> Router<SharedState> {
    Router::new().route("/log", get(log_page).post(verify_receipt))
}

/// One entry, for display.
pub struct EntryRow {
    pub index: i64,
    pub time: String,
    pub kind: String,
    pub dataset: String,
    pub actor: String,
    pub purpose: String,
    pub rows: String,
}

/// Accesses of one dataset.
pub struct CountRow {
    pub dataset: String,
    pub data: i64,
    pub downloads: i64,
    pub decisions: i64,
}

/// The outcome of a receipt check.
pub struct Checked {
    pub ok: bool,
    pub message: String,
    pub entry: Option<EntryRow>,
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogTpl {
    t: Tr,
    page: PageCtx,
    origin: String,
    vkey: String,
    size: u64,
    root: String,
    note: String,
    dataset: String,
    entries: Vec<EntryRow>,
    counts: Vec<CountRow>,
    receipt: String,
    checked: Option<Checked>,
}

#[derive(Debug, Default, Deserialize)]
struct LogQuery {
    dataset: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReceiptForm {
    #[serde(default)]
    receipt: String,
}

fn entry_row(v: &Visitor, index: i64, data: &str) -> EntryRow {
    let lang = v.lang.code();
    match Leaf::parse(data) {
        Some(leaf) => EntryRow {
            index,
            time: leaf
                .time
                .replace('T', " ")
                .trim_end_matches('Z')
                .to_string()
                + " UTC",
            kind: leaf.kind.label(lang).to_string(),
            dataset: leaf.dataset.unwrap_or_default(),
            actor: leaf.actor,
            purpose: leaf
                .purpose
                .and_then(|p| p.parse::<PurposeCategory>().ok())
                .map(|p| p.label(lang).to_string())
                .unwrap_or_default(),
            rows: leaf.rows.map(|r| r.to_string()).unwrap_or_default(),
        },
        None => EntryRow {
            index,
            time: String::new(),
            kind: data.to_string(),
            dataset: String::new(),
            actor: String::new(),
            purpose: String::new(),
            rows: String::new(),
        },
    }
}

async fn page(
    state: &SharedState,
    v: &Visitor,
    dataset: Option<String>,
    receipt: String,
    checked: Option<Checked>,
) -> PageResult {
    let signed = state.log().checkpoint().await.or_page(v)?;
    let dataset = dataset.filter(|d| !d.trim().is_empty());
    let entries = state
        .log()
        .recent(dataset.as_deref(), RECENT)
        .await
        .or_page(v)?
        .iter()
        .map(|e| entry_row(v, e.index, &e.data))
        .collect();
    let mut by_dataset: BTreeMap<String, CountRow> = BTreeMap::new();
    for c in state.log().counts().await.or_page(v)? {
        let row = by_dataset
            .entry(c.dataset.clone())
            .or_insert_with(|| CountRow {
                dataset: c.dataset.clone(),
                data: 0,
                downloads: 0,
                decisions: 0,
            });
        match c.kind.parse::<EventKind>() {
            Ok(EventKind::Download) => {
                row.data += c.count;
                row.downloads += c.count;
            }
            Ok(k) if k.is_data_access() => row.data += c.count,
            _ => row.decisions += c.count,
        }
    }
    let mut counts: Vec<CountRow> = by_dataset.into_values().collect();
    counts.sort_by(|a, b| b.data.cmp(&a.data).then(a.dataset.cmp(&b.dataset)));
    let path = match &dataset {
        Some(d) => format!("/log?dataset={d}"),
        None => "/log".to_string(),
    };
    Ok(render(LogTpl {
        t: Tr(v.lang),
        page: PageCtx::new(v, &path),
        origin: signed.checkpoint.origin.clone(),
        vkey: state.log().vkey().or_page(v)?,
        size: signed.checkpoint.size,
        root: signed.checkpoint.root.to_hex(),
        note: signed.note,
        dataset: dataset.unwrap_or_default(),
        entries,
        counts,
        receipt,
        checked,
    }))
}

async fn log_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<LogQuery>,
) -> PageResult {
    page(&state, &v, q.dataset, String::new(), None).await
}

/// Checks a pasted receipt against this log's key. The same check runs offline with
/// `gongshu log verify-receipt`.
async fn verify_receipt(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<ReceiptForm>,
) -> PageResult {
    let t = Tr(v.lang);
    let verifier = state.log().verifier().or_page(&v)?;
    let checked = match serde_json::from_str::<tlog::receipt::Receipt>(f.receipt.trim()) {
        Err(e) => Checked {
            ok: false,
            message: format!("{} ({e})", t.receipt_malformed()),
            entry: None,
        },
        Ok(r) => match r.verify(&verifier) {
            Ok(c) => Checked {
                ok: true,
                message: format!(
                    "{} {} / {} ({})",
                    t.receipt_valid(),
                    r.index,
                    c.size,
                    c.origin
                ),
                entry: Some(entry_row(&v, r.index as i64, &r.leaf)),
            },
            Err(e) => Checked {
                ok: false,
                message: format!("{} {e}", t.receipt_invalid()),
                entry: None,
            },
        },
    };
    page(&state, &v, None, f.receipt, Some(checked)).await
}
