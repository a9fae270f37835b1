//! The input records. The server maps its own records into these; nothing here knows the store.

use serde::{Deserialize, Serialize};

/// The platform's catalog (数据目录) as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// IRI of the catalog, e.g. `https://data.example.gov.cn/catalog`.
    pub iri: String,
    /// The portal's home page.
    pub homepage: String,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English; left out of the export when empty.
    pub title_en: String,
    /// Description in Chinese.
    pub description_zh: String,
    /// Description in English; left out of the export when empty.
    pub description_en: String,
    /// The data authority that runs the platform.
    pub publisher: Agent,
    /// Last change to the catalog, in Unix milliseconds.
    pub modified: i64,
    /// Every dataset the catalog lists.
    pub datasets: Vec<Dataset>,
}

/// An organization that publishes data: a department, an enterprise or the data authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// IRI of the organization.
    pub iri: String,
    /// Its name, e.g. 杭州市交通运输局.
    pub name: String,
    /// What kind of organization it is.
    pub kind: AgentKind,
    /// Its home page, if known.
    pub homepage: Option<String>,
}

/// The kind of an [`Agent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// A government department (政府部门).
    Department,
    /// An enterprise or social organization (企业).
    Enterprise,
    /// The data authority (数据管理部门 / 数据局).
    Authority,
}

impl AgentKind {
    /// The stable code, also written as `gongshu:agentKind`.
    pub fn code(self) -> &'static str {
        match self {
            AgentKind::Department => "department",
            AgentKind::Enterprise => "enterprise",
            AgentKind::Authority => "authority",
        }
    }
}

/// A dataset (数据集) and its distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// IRI of the dataset.
    pub iri: String,
    /// Its slug, e.g. `bus-ridership`.
    pub identifier: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Tags (标签).
    pub keywords: Vec<String>,
    /// Gongshu themes (主题), free Chinese text such as 交通出行.
    pub themes: Vec<String>,
    /// The organization that publishes it.
    pub publisher: Agent,
    /// Contact e-mail address.
    pub contact_email: Option<String>,
    /// Contact name.
    pub contact_name: Option<String>,
    /// First publication, in Unix milliseconds.
    pub issued: i64,
    /// Last change, in Unix milliseconds.
    pub modified: i64,
    /// Update frequency (更新频率), free text such as `monthly` or 每月.
    pub frequency: Option<String>,
    /// The dataset's page on the portal.
    pub landing_page: String,
    /// Opening type (开放属性).
    pub access: Access,
    /// Grade (分级), e.g. `L2`.
    pub grade: String,
    /// Domain (数据域), e.g. `government`.
    pub domain: String,
    /// License, as a URL or a name such as `CC-BY-4.0`.
    pub license: Option<String>,
    /// Spatial coverage, as a place name or a URL.
    pub spatial: Option<String>,
    /// Temporal coverage: start and end, each an ISO 8601 date, year-month, year or date-time.
    pub temporal: Option<(Option<String>, Option<String>)>,
    /// Its files and access points.
    pub distributions: Vec<Distribution>,
    /// The platform's quality score (0–100), once measured; exported as a
    /// `dqv:QualityMeasurement` of the metric `gongshu:qualityScore`.
    pub quality_score: Option<f64>,
}

/// Opening type (开放属性) of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// 无条件开放.
    Unconditional,
    /// 有条件开放.
    Conditional,
    /// 不予开放.
    NotOpen,
}

impl Access {
    /// The stable code, as the model crate spells it; also written as `gongshu:openingType`.
    pub fn code(self) -> &'static str {
        match self {
            Access::Unconditional => "unconditional",
            Access::Conditional => "conditional",
            Access::NotOpen => "not_open",
        }
    }
}

/// One way to get a dataset's data: a file version, an export, an API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distribution {
    /// IRI of the distribution.
    pub iri: String,
    /// Title, e.g. the file name.
    pub title: String,
    /// Where the data can be accessed (a page or an API).
    pub access_url: String,
    /// Where the file can be downloaded directly.
    pub download_url: Option<String>,
    /// Media type, e.g. `text/csv`.
    pub media_type: Option<String>,
    /// Format name, e.g. `CSV`, `XLSX`, `PARQUET`.
    pub format: Option<String>,
    /// Size in bytes.
    pub byte_size: Option<i64>,
    /// Last change, in Unix milliseconds.
    pub modified: Option<i64>,
    /// SHA-256 of the file, in hexadecimal.
    pub checksum_sha256: Option<String>,
}

/// One column of a tabular resource, for the Table Schema of a Data Package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name as in the file; Chinese allowed.
    pub name: String,
    /// Arrow data type name: `Int64`, `Float64`, `Utf8`, `Boolean`, `Date32`, `Timestamp(…)`, ….
    pub data_type: String,
    /// What the column holds.
    pub description: Option<String>,
    /// The column's grade, e.g. `L1`.
    pub grade: String,
    /// Whether the values in the file are masked (脱敏).
    pub masked: bool,
    /// Part of the resource's declared key (the Table Schema's `primaryKey`).
    #[serde(default)]
    pub key: bool,
}
