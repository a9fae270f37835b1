//! Template structs and the display values they show.

use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use app::views::DatasetView;
use askama::Template;
use serde::Deserialize;

/// What every page's layout needs.
pub struct PageCtx {
    pub lang: Lang,
    pub path: String,
    pub signed_in: bool,
    pub user_name: String,
    pub role_label: String,
    pub can_publish: bool,
    pub csrf: String,
    pub flash: String,
}

impl PageCtx {
    pub fn new(v: &Visitor, path: &str) -> Self {
        let user = v.user.as_ref();
        PageCtx {
            lang: v.lang,
            path: path.to_string(),
            signed_in: user.is_some(),
            user_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
            role_label: user
                .map(|u| u.role.label(v.lang.code()).to_string())
                .unwrap_or_default(),
            can_publish: user
                .is_some_and(|u| u.role.publishes() || u.role == model::Role::Authority),
            csrf: v.csrf().to_string(),
            flash: String::new(),
        }
    }
}

/// `YYYY-MM-DD HH:MM` in UTC+8, the time zone of the authority's users.
pub fn fmt_time(ms: i64) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("valid offset");
    match time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) {
        Ok(t) => {
            let t = t.to_offset(offset);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute()
            )
        }
        Err(_) => String::new(),
    }
}

/// Human-readable byte size.
pub fn fmt_bytes(n: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// (code, label) pairs of an enum for a `<select>`.
pub fn options<T: Copy + LabelledCode>(all: &[T], lang: Lang) -> Vec<(String, String)> {
    all.iter()
        .map(|x| {
            (
                x.code_str().to_string(),
                x.label_str(lang.code()).to_string(),
            )
        })
        .collect()
}

/// Enums with a code and a label.
pub trait LabelledCode {
    fn code_str(&self) -> &'static str;
    fn label_str(&self, lang: &str) -> &'static str;
}

macro_rules! labelled {
    ($($t:ty),*) => {$(
        impl LabelledCode for $t {
            fn code_str(&self) -> &'static str { self.code() }
            fn label_str(&self, lang: &str) -> &'static str { self.label(lang) }
        }
    )*};
}
labelled!(model::OpeningType, model::Domain, model::Importance);

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub heading: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub login_csrf: String,
    pub next: String,
    pub username: String,
    pub error: String,
}

pub struct ColumnDisplay {
    pub name: String,
    pub data_type: String,
    pub grade_code: String,
    pub confirmed: bool,
    pub proposed_code: String,
    pub findings: String,
    pub null_rate: String,
    pub distinct: String,
    pub min_max: String,
    pub values_hidden: bool,
    pub description: String,
    pub key: bool,
    /// The declared row order.
    pub order: bool,
}

pub struct VersionDisplay {
    pub number: i64,
    pub format: String,
    pub source_name: String,
    pub encoding: String,
    pub rows: i64,
    pub size: String,
    pub created: String,
    pub sha_short: String,
}

pub struct ResourceDisplay {
    pub index: usize,
    pub name: String,
    pub columns: Vec<ColumnDisplay>,
    pub versions: Vec<VersionDisplay>,
}

pub struct DatasetDisplay {
    pub name: String,
    pub title: String,
    pub description: String,
    pub org_title: String,
    pub grade: String,
    pub grade_code: String,
    pub opening: String,
    pub opening_code: String,
    pub domain: String,
    pub importance: String,
    pub importance_flag: bool,
    pub meta_rows: Vec<(&'static str, String)>,
    pub resources: Vec<ResourceDisplay>,
    pub can_edit: bool,
    pub columns_withheld: bool,
    pub api_url: String,
}

impl DatasetDisplay {
    pub fn new(view: &DatasetView, lang: Lang, base_url: &str) -> Self {
        let t = Tr(lang);
        let l = lang.code();
        let d = &view.dataset;
        let m = &d.meta;
        let meta_rows = vec![
            (t.organization(), view.organization.title.clone()),
            (t.themes(), m.themes.join("、")),
            (t.tags(), m.tags.join("、")),
            (t.update_frequency(), m.update_frequency.clone()),
            (t.license(), m.license.clone()),
            (t.spatial(), m.spatial.clone()),
            (t.temporal(), m.temporal.clone()),
            (t.contact(), m.contact.clone()),
            (t.created(), fmt_time(d.created_at)),
            (t.modified(), fmt_time(d.modified_at)),
        ];
        let resources = view
            .resources
            .iter()
            .enumerate()
            .map(|(index, r)| ResourceDisplay {
                index,
                name: r.resource.name.clone(),
                columns: r
                    .columns
                    .iter()
                    .map(|c| {
                        let p = &c.profile;
                        let num = |k: &str| p.get(k).and_then(|v| v.as_f64());
                        let text =
                            |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                        ColumnDisplay {
                            name: c.name.clone(),
                            data_type: c.data_type.clone(),
                            grade_code: c.grade.code().to_string(),
                            confirmed: c.confirmed,
                            proposed_code: c.proposed_grade.code().to_string(),
                            findings: c
                                .findings
                                .iter()
                                .map(|f| format!("{} ({:.0}%)", f.kind.label(l), f.ratio() * 100.0))
                                .collect::<Vec<_>>()
                                .join("、"),
                            null_rate: num("null_rate")
                                .map(|r| format!("{:.1}%", r * 100.0))
                                .unwrap_or_default(),
                            distinct: num("distinct_estimate")
                                .map(|n| format!("{n:.0}"))
                                .unwrap_or_default(),
                            min_max: match (text("min"), text("max")) {
                                (a, b) if a.is_empty() && b.is_empty() => String::new(),
                                (a, b) => format!("{a} / {b}"),
                            },
                            values_hidden: c.values_hidden,
                            description: c.description.clone(),
                            key: c.key,
                            order: c.order,
                        }
                    })
                    .collect(),
                versions: r
                    .versions
                    .iter()
                    .map(|v| VersionDisplay {
                        number: v.number,
                        format: v.source_format.clone(),
                        source_name: v.source_name.clone(),
                        encoding: v.source_encoding.clone().unwrap_or_default(),
                        rows: v.row_count,
                        size: fmt_bytes(v.byte_size),
                        created: fmt_time(v.created_at),
                        sha_short: v.sha256.chars().take(12).collect(),
                    })
                    .collect(),
            })
            .collect();
        DatasetDisplay {
            name: d.name.clone(),
            title: m.title.clone(),
            description: m.description.clone(),
            org_title: view.organization.title.clone(),
            grade: d.grade.label(l).to_string(),
            grade_code: d.grade.code().to_string(),
            opening: m.opening_type.label(l).to_string(),
            opening_code: m.opening_type.code().to_string(),
            domain: m.domain.label(l).to_string(),
            importance: m.importance.label(l).to_string(),
            importance_flag: m.importance != model::Importance::Ordinary,
            meta_rows,
            resources,
            can_edit: view.can_edit,
            columns_withheld: view.columns_withheld,
            api_url: format!("{base_url}/api/v1/datasets/{}", d.name),
        }
    }
}

#[derive(Template)]
#[template(path = "dataset.html")]
pub struct DatasetTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub d: DatasetDisplay,
    pub pv: PreviewDisplay,
    pub q: QualityDisplay,
    pub cr: PolicyDisplay,
    pub opening_types: Vec<(String, String)>,
    pub grades: Vec<&'static str>,
}

#[derive(Deserialize, Default)]
pub struct NewDatasetForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub themes: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub update_frequency: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub spatial: String,
    #[serde(default)]
    pub temporal: String,
    #[serde(default)]
    pub contact: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub opening_type: String,
    #[serde(default)]
    pub importance: String,
}

#[derive(Template)]
#[template(path = "new_dataset.html")]
pub struct NewDatasetTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub form: NewDatasetForm,
    pub error: String,
    pub orgs: Vec<(String, String)>,
    pub domains: Vec<(String, String)>,
    pub opening_types: Vec<(String, String)>,
    pub importances: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "dictionary.html")]
pub struct DictionaryTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub name: String,
    pub title: String,
    pub resource: String,
    pub columns: Vec<app::dictionary::DictionaryColumn>,
    /// Whether a column is chosen as the row order.
    pub ordered: bool,
    pub error: String,
}

#[derive(Template)]
#[template(path = "upload.html")]
pub struct UploadTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub name: String,
    pub title: String,
    pub resource: String,
    pub resources: Vec<String>,
    pub error: String,
}

pub struct RequestRow {
    pub id: String,
    pub dataset_name: String,
    pub dataset_title: String,
    pub change: String,
    pub reason: String,
    pub requested_by: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "requests.html")]
pub struct RequestsTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub rows: Vec<RequestRow>,
    pub is_authority: bool,
}

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
pub struct TokensTpl {
    pub t: Tr,
    pub page: PageCtx,
    pub tokens: Vec<TokenRow>,
    pub new_secret: String,
    pub error: String,
}

/// One column header of the preview.
pub struct PreviewColumn {
    pub name: String,
    pub masked: bool,
}

/// The preview block of the dataset page.
pub struct PreviewDisplay {
    /// Whether rows could be shown.
    pub shown: bool,
    /// Why (basis) as a sentence.
    pub basis: String,
    /// Message when nothing is shown.
    pub message: String,
    pub columns: Vec<PreviewColumn>,
    pub rows: Vec<Vec<String>>,
    pub hidden: usize,
    pub quota_left: String,
    /// Whether downloads are possible (a download decision allows rows).
    pub can_download: bool,
    /// Whether the visitor may apply.
    pub can_apply: bool,
    /// Whether the visitor manages grants of this dataset.
    pub manages: bool,
    /// The access log's index of this preview (its receipt).
    pub log_index: Option<u64>,
    pub results: Vec<ResultRow>,
}

/// A reported result, for display.
pub struct ResultRow {
    pub id: String,
    pub accepted: bool,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub url: String,
    pub date: String,
}

// The quality section of a dataset page (filled by `super::quality`).

/// One thing to fix, as the dataset page lists it.
pub struct IssueRow {
    pub what: String,
    pub column: String,
    pub count: String,
    pub points: String,
}

/// One measured version.
pub struct HistoryRow {
    pub label: String,
    pub date: String,
    pub score: String,
    pub letter: String,
}

/// The quality section of a dataset page.
#[derive(Default)]
pub struct QualityDisplay {
    /// Whether any version was measured.
    pub measured: bool,
    pub score: String,
    pub letter: String,
    /// (name, weight %, value %).
    pub dimensions: Vec<(String, String, String)>,
    pub issues: Vec<IssueRow>,
    pub history: Vec<HistoryRow>,
}

/// The clean-room section of a dataset page.
#[derive(Default)]
pub struct PolicyDisplay {
    /// Whether the owner declared a policy.
    pub declared: bool,
    /// Entity columns, comma-separated.
    pub entity: String,
    /// Join keys, comma-separated.
    pub join_keys: String,
    /// k.
    pub k: u32,
    /// Whether noise is required.
    pub noise: bool,
    /// Bounds, one `column lower upper` per line.
    pub bounds: String,
    /// Most rows per entity.
    pub max_rows: u32,
    /// Its table name in clean-room SQL.
    pub table: String,
    /// Whether the visitor may declare it.
    pub owns: bool,
    /// When it was declared.
    pub updated: String,
}
