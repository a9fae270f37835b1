//! Data quality (数据质量, DESIGN.md C9): the score of a version and of a dataset, from what
//! ingest measured in its first pass and from the metadata, in the dimensions of GB/T 36344-2018
//! as far as they can be measured, with metadata assessed in the manner of the European data
//! portal's Metadata Quality Assessment. This module is the one documented place of the formula.
//!
//! # The formula
//!
//! Each dimension scores from 0 to 1; the score is `100 × Σ weight × dimension` with these
//! weights (they add up to 1):
//!
//! | dimension | weight | measure |
//! |---|---|---|
//! | completeness (完整性) | 0.25 | non-empty cells / all cells, over every column |
//! | validity (准确性, 规范性) | 0.20 | 1 − invalid cells / non-empty cells; a cell is invalid when its column is stored as text but at least 80 % of its values are numbers (or dates) and this one is not, or when the column holds identifiers (citizen ID, unified social credit code, bank card: at least half its values pass their check character) and this one fails the check |
//! | uniqueness (唯一性) | 0.15 | 1 − faulty rows / rows checked (exact over the first two million rows): a row is faulty when every cell equals an earlier row's, or, when the data dictionary declares a key, when its key equals an earlier row's or has an empty part; the larger of the two counts is taken (a duplicate row repeats its key too) |
//! | consistency (一致性) | 0.10 | 1 − (columns added + removed + retyped since the previous version) / the larger column count; 1 for a first version |
//! | timeliness (时效性) | 0.15 | 1 while the latest version is no older than the declared update interval, falling linearly to 0 at three intervals; 0.5 when no checkable frequency is declared (irregular, unknown, none) |
//! | metadata (可访问性, MQA) | 0.15 | the mean of five MQA dimensions, each 0–1: findability (tags 0.3, themes 0.3, spatial 0.2, temporal coverage 0.2), accessibility (a version to download: 1), interoperability (machine-readable, typed columns: 1 with a version), reusability (licence 0.4, contact point 0.3, access rights 0.15, publisher 0.15), contextuality (a description of at least 20 characters 0.4, an update frequency 0.3, every resource described 0.15, the share of columns the data dictionary describes 0.15) |
//!
//! The letter: A from 90, B from 80, C from 70, D from 60, E below.
//!
//! A version's score is taken when it is published (timeliness 1: it is new). A dataset's score
//! combines the latest version of each resource, their data dimensions weighted by rows, with
//! the metadata and timeliness as they stand when it is asked (so it falls day by day when a
//! monthly dataset is not updated).
//!
//! What costs points is listed as [`Issue`]s: the dimension, the column if any, a stable rule
//! code, how many cells, rows or fields, and the points lost, so a publisher sees what to fix
//! first.
//!
//! # A worked example
//!
//! One resource, 10 rows, 2 columns, first version, monthly, published today, full metadata: one
//! column has 3 empty cells (completeness 17/20 = 0.85), one text column of numbers has 1 value
//! `N/A` among its 10 (validity 1 − 1/17), no duplicates. Score = 100 × (0.25 × 0.85 + 0.20 ×
//! 16/17 + 0.15 + 0.10 + 0.15 + 0.15) = 95.07…, letter A; the issues are `empty_cells` on the
//! first column (3 cells, 3.75 points) and `invalid_cells` on the second (1 cell, 1.18 points).

use crate::classification::string_enum;
use crate::pii::{PiiFinding, PiiKind, FINDING_THRESHOLD};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The weights of the dimensions, in the order of [`Dimension::ALL`].
pub const WEIGHTS: [(Dimension, f64); 6] = [
    (Dimension::Completeness, 0.25),
    (Dimension::Validity, 0.20),
    (Dimension::Uniqueness, 0.15),
    (Dimension::Consistency, 0.10),
    (Dimension::Timeliness, 0.15),
    (Dimension::Metadata, 0.15),
];

/// How far past its declared interval a dataset's timeliness reaches 0, in intervals.
pub const STALE_INTERVALS: f64 = 3.0;
/// Timeliness when no checkable update frequency is declared.
pub const UNDECLARED_TIMELINESS: f64 = 0.5;
/// Shortest description that counts for contextuality, in characters.
pub const MIN_DESCRIPTION_CHARS: usize = 20;

string_enum! {
    /// A measured dimension of quality.
    Dimension, "quality dimension" {
        /// Non-empty cells (完整性).
        Completeness => "completeness", "完整性", "Completeness";
        /// Cells of the right type and check character (准确性).
        Validity => "validity", "准确性", "Validity";
        /// Rows that are not repeated (唯一性).
        Uniqueness => "uniqueness", "唯一性", "Uniqueness";
        /// Columns kept from the previous version (一致性).
        Consistency => "consistency", "一致性", "Consistency";
        /// Updated as often as declared (时效性).
        Timeliness => "timeliness", "时效性", "Timeliness";
        /// Metadata, in the manner of the MQA (规范性, 可访问性).
        Metadata => "metadata", "元数据", "Metadata";
    }
}

impl Dimension {
    /// The weight of this dimension.
    pub fn weight(self) -> f64 {
        WEIGHTS
            .iter()
            .find(|(d, _)| *d == self)
            .map_or(0.0, |(_, w)| *w)
    }
}

/// The letter of a score.
pub fn letter(score: f64) -> char {
    match score {
        s if s >= 90.0 => 'A',
        s if s >= 80.0 => 'B',
        s if s >= 70.0 => 'C',
        s if s >= 60.0 => 'D',
        _ => 'E',
    }
}

/// What ingest measured about one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMeasure {
    /// Name.
    pub name: String,
    /// Stored type (`string`, `int64`, …).
    pub data_type: String,
    /// Cells, empty ones included.
    pub cells: u64,
    /// Empty cells.
    pub nulls: u64,
    /// Values not of the column's expected type (see the module's table).
    pub invalid_type: u64,
    /// Personal-information findings (identifier columns are checked by their check character).
    pub findings: Vec<PiiFinding>,
}

impl ColumnMeasure {
    /// Non-empty cells.
    pub fn values(&self) -> u64 {
        self.cells.saturating_sub(self.nulls)
    }

    /// The identifier kind the column holds, if at least half its values pass its check.
    pub fn identifier(&self) -> Option<&PiiFinding> {
        self.findings.iter().find(|f| {
            matches!(
                f.kind,
                PiiKind::CitizenId | PiiKind::Uscc | PiiKind::BankCard
            ) && f.ratio() >= FINDING_THRESHOLD
        })
    }

    /// Values of an identifier column that fail its check (scaled from the scanned sample).
    pub fn invalid_identifiers(&self) -> u64 {
        match self.identifier() {
            Some(f) => ((1.0 - f.ratio()) * self.values() as f64).round() as u64,
            None => 0,
        }
    }

    /// All invalid values.
    pub fn invalid(&self) -> u64 {
        (self.invalid_type + self.invalid_identifiers()).min(self.values())
    }
}

/// What ingest measured about one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionMeasures {
    /// Rows.
    pub rows: u64,
    /// Columns, in order.
    pub columns: Vec<ColumnMeasure>,
    /// Rows examined for duplicates.
    pub rows_checked: u64,
    /// Of those, rows equal to an earlier one.
    pub duplicate_rows: u64,
    /// The key the data dictionary declared when the version was measured (empty: none).
    #[serde(default)]
    pub key: Vec<String>,
    /// Of the rows checked, rows whose key equals an earlier row's.
    #[serde(default)]
    pub duplicate_keys: u64,
    /// Of the rows checked, rows with an empty key column.
    #[serde(default)]
    pub empty_keys: u64,
    /// Columns added since the previous version of the resource.
    pub columns_added: Vec<String>,
    /// Columns removed.
    pub columns_removed: Vec<String>,
    /// Columns whose type changed.
    pub columns_retyped: Vec<String>,
    /// Whether a previous version existed.
    pub has_previous: bool,
}

impl VersionMeasures {
    /// The consistency part of the measures, given the previous version's columns as (name,
    /// type) pairs.
    pub fn compare_with(&mut self, previous: Option<&[(String, String)]>) {
        let Some(previous) = previous else {
            self.has_previous = false;
            return;
        };
        self.has_previous = true;
        let now: Vec<(&str, &str)> = self
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.data_type.as_str()))
            .collect();
        self.columns_added = now
            .iter()
            .filter(|(n, _)| !previous.iter().any(|(p, _)| p == n))
            .map(|(n, _)| n.to_string())
            .collect();
        self.columns_removed = previous
            .iter()
            .filter(|(p, _)| !now.iter().any(|(n, _)| n == p))
            .map(|(p, _)| p.clone())
            .collect();
        self.columns_retyped = now
            .iter()
            .filter(|(n, t)| previous.iter().any(|(p, pt)| p == n && pt != t))
            .map(|(n, _)| n.to_string())
            .collect();
    }
}

/// The metadata that the metadata dimension reads (DESIGN.md C1 fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetadataFacts {
    /// Description.
    pub description: String,
    /// Tags.
    pub tags: usize,
    /// Themes.
    pub themes: usize,
    /// Spatial coverage declared.
    pub spatial: bool,
    /// Temporal coverage declared.
    pub temporal: bool,
    /// Licence declared.
    pub license: bool,
    /// Contact point declared.
    pub contact: bool,
    /// Update frequency declared.
    pub frequency: bool,
    /// Resources, and how many of them have a description.
    pub resources: usize,
    /// Resources with a description.
    pub resources_described: usize,
    /// Columns of the resources' latest versions.
    #[serde(default)]
    pub columns: usize,
    /// Of those, columns the data dictionary describes.
    #[serde(default)]
    pub columns_described: usize,
    /// Whether any version can be downloaded.
    pub has_version: bool,
}

/// One thing that costs points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// The dimension.
    pub dimension: Dimension,
    /// Stable code: `empty_cells`, `invalid_cells`, `invalid_identifiers`, `duplicate_rows`,
    /// `columns_changed`, `stale`, `no_frequency`, or `missing_<field>` for metadata.
    pub rule: String,
    /// The column, when the issue is a column's.
    pub column: Option<String>,
    /// Cells, rows, columns or days concerned (0 for a missing field).
    pub count: u64,
    /// Points of the 100 lost.
    pub points: f64,
}

/// A score with its breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// 0–100.
    pub score: f64,
    /// A–E.
    pub letter: char,
    /// Each dimension's value 0–1, in the order of [`WEIGHTS`].
    pub dimensions: Vec<(Dimension, f64)>,
    /// What cost points, most first.
    pub issues: Vec<Issue>,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The data dimensions of one version (completeness, validity, uniqueness, consistency) with
/// their issues, each issue's points as a share of the whole score.
pub fn data_dimensions(m: &VersionMeasures) -> ([f64; 4], Vec<Issue>) {
    let mut issues = Vec::new();
    let cells: u64 = m.columns.iter().map(|c| c.cells).sum();
    let values: u64 = m.columns.iter().map(ColumnMeasure::values).sum();
    let nulls: u64 = m.columns.iter().map(|c| c.nulls).sum();
    let invalid: u64 = m.columns.iter().map(ColumnMeasure::invalid).sum();
    let completeness = if cells == 0 {
        1.0
    } else {
        1.0 - ratio(nulls, cells)
    };
    let validity = if values == 0 {
        1.0
    } else {
        1.0 - ratio(invalid, values)
    };
    for c in &m.columns {
        if c.nulls > 0 {
            issues.push(Issue {
                dimension: Dimension::Completeness,
                rule: "empty_cells".into(),
                column: Some(c.name.clone()),
                count: c.nulls,
                points: 100.0 * Dimension::Completeness.weight() * ratio(c.nulls, cells),
            });
        }
        for (rule, count) in [
            ("invalid_cells", c.invalid_type),
            ("invalid_identifiers", c.invalid_identifiers()),
        ] {
            if count > 0 {
                issues.push(Issue {
                    dimension: Dimension::Validity,
                    rule: rule.into(),
                    column: Some(c.name.clone()),
                    count,
                    points: 100.0 * Dimension::Validity.weight() * ratio(count, values),
                });
            }
        }
    }
    // A row whose every cell repeats an earlier row's also repeats its key, so the worse of the
    // two counts is what uniqueness loses; the issues share that loss in proportion.
    let key_faults = m.duplicate_keys + m.empty_keys;
    let faults = m.duplicate_rows.max(key_faults);
    let uniqueness = 1.0 - ratio(faults, m.rows_checked);
    let key = (!m.key.is_empty()).then(|| m.key.join(", "));
    let listed = m.duplicate_rows + key_faults;
    for (rule, column, count) in [
        ("duplicate_rows", None, m.duplicate_rows),
        ("duplicate_keys", key.clone(), m.duplicate_keys),
        ("empty_keys", key, m.empty_keys),
    ] {
        if count > 0 {
            issues.push(Issue {
                dimension: Dimension::Uniqueness,
                rule: rule.into(),
                column,
                count,
                points: 100.0
                    * Dimension::Uniqueness.weight()
                    * (1.0 - uniqueness)
                    * ratio(count, listed),
            });
        }
    }
    let changed = m.columns_added.len() + m.columns_removed.len() + m.columns_retyped.len();
    let before = m.columns.len() + m.columns_removed.len() - m.columns_added.len();
    let width = m.columns.len().max(before).max(1);
    let consistency = if m.has_previous {
        (1.0 - changed as f64 / width as f64).max(0.0)
    } else {
        1.0
    };
    for (list, what) in [
        (&m.columns_added, "column_added"),
        (&m.columns_removed, "column_removed"),
        (&m.columns_retyped, "column_retyped"),
    ] {
        for name in list {
            issues.push(Issue {
                dimension: Dimension::Consistency,
                rule: what.into(),
                column: Some(name.clone()),
                count: 1,
                points: 100.0 * Dimension::Consistency.weight() / width as f64,
            });
        }
    }
    ([completeness, validity, uniqueness, consistency], issues)
}

/// The expected interval between versions of a DCAT frequency code (`DAILY`, `MONTHLY`, …), in
/// days; `None` for codes that promise no interval (`IRREG`, `UNKNOWN`, `NEVER`, `CONT`
/// excepted: continuous counts as hourly).
pub fn interval_days(frequency_code: &str) -> Option<f64> {
    Some(match frequency_code {
        "CONT" | "HOURLY" => 1.0 / 24.0,
        "DAILY" => 1.0,
        "WEEKLY" => 7.0,
        "MONTHLY" => 31.0,
        "QUARTERLY" => 92.0,
        "ANNUAL" => 366.0,
        "BIENNIAL" => 731.0,
        _ => return None,
    })
}

/// Timeliness (0–1) of a dataset whose latest version is `age_days` old, updated every
/// `interval` days (see the module's table), and the issue if it costs points.
pub fn timeliness(interval: Option<f64>, age_days: f64) -> (f64, Option<Issue>) {
    let weight = Dimension::Timeliness.weight();
    let Some(interval) = interval.filter(|i| *i > 0.0) else {
        return (
            UNDECLARED_TIMELINESS,
            Some(Issue {
                dimension: Dimension::Timeliness,
                rule: "no_frequency".into(),
                column: None,
                count: 0,
                points: 100.0 * weight * (1.0 - UNDECLARED_TIMELINESS),
            }),
        );
    };
    let age = age_days.max(0.0);
    if age <= interval {
        return (1.0, None);
    }
    let value = (1.0 - (age - interval) / ((STALE_INTERVALS - 1.0) * interval)).clamp(0.0, 1.0);
    (
        value,
        Some(Issue {
            dimension: Dimension::Timeliness,
            rule: "stale".into(),
            column: None,
            count: (age - interval).ceil() as u64,
            points: 100.0 * weight * (1.0 - value),
        }),
    )
}

/// The metadata dimension (0–1) and the fields that cost points.
pub fn metadata(f: &MetadataFacts) -> (f64, Vec<Issue>) {
    // (MQA dimension, field, share of that dimension, part present 0–1)
    let described = f.resources > 0 && f.resources_described == f.resources;
    let columns_described = if f.columns == 0 {
        0.0
    } else {
        ratio(f.columns_described as u64, f.columns as u64)
    };
    let yes = |present: bool| if present { 1.0 } else { 0.0 };
    let checks: [(usize, &str, f64, f64); 14] = [
        (0, "tags", 0.3, yes(f.tags > 0)),
        (0, "themes", 0.3, yes(f.themes > 0)),
        (0, "spatial", 0.2, yes(f.spatial)),
        (0, "temporal", 0.2, yes(f.temporal)),
        (1, "download", 1.0, yes(f.has_version)),
        (2, "typed_data", 1.0, yes(f.has_version)),
        (3, "license", 0.4, yes(f.license)),
        (3, "contact", 0.3, yes(f.contact)),
        (3, "access_rights", 0.15, 1.0),
        (3, "publisher", 0.15, 1.0),
        (
            4,
            "description",
            0.4,
            yes(f.description.trim().chars().count() >= MIN_DESCRIPTION_CHARS),
        ),
        (4, "frequency", 0.3, yes(f.frequency)),
        (4, "resource_descriptions", 0.15, yes(described)),
        (4, "column_descriptions", 0.15, columns_described),
    ];
    let mut parts = [0.0f64; 5];
    let mut issues = Vec::new();
    let weight = Dimension::Metadata.weight();
    for (dim, field, share, present) in checks {
        parts[dim] += share * present;
        if present < 1.0 {
            issues.push(Issue {
                dimension: Dimension::Metadata,
                rule: format!("missing_{field}"),
                column: None,
                // Columns without a description; 0 for a missing field.
                count: if field == "column_descriptions" {
                    (f.columns - f.columns_described) as u64
                } else {
                    0
                },
                points: 100.0 * weight * share * (1.0 - present) / 5.0,
            });
        }
    }
    (parts.iter().sum::<f64>() / 5.0, issues)
}

/// Combines the dimensions into a score, a letter and the issues, most costly first.
pub fn assess(
    data: [f64; 4],
    timeliness: f64,
    metadata: f64,
    mut issues: Vec<Issue>,
) -> Assessment {
    let values = [data[0], data[1], data[2], data[3], timeliness, metadata];
    let dimensions: Vec<(Dimension, f64)> = WEIGHTS
        .iter()
        .zip(values)
        .map(|((d, _), v)| (*d, v.clamp(0.0, 1.0)))
        .collect();
    let score = 100.0 * dimensions.iter().map(|(d, v)| d.weight() * v).sum::<f64>();
    let score = (score * 100.0).round() / 100.0;
    issues.sort_by(|a, b| b.points.total_cmp(&a.points));
    Assessment {
        score,
        letter: letter(score),
        dimensions,
        issues,
    }
}

/// The data dimensions of several resources' latest versions, weighted by rows (a resource of
/// no rows weighs as one), with their issues scaled alike.
pub fn combine(parts: &[([f64; 4], Vec<Issue>, u64)]) -> ([f64; 4], Vec<Issue>) {
    let total: f64 = parts.iter().map(|(_, _, rows)| (*rows).max(1) as f64).sum();
    if parts.is_empty() || total == 0.0 {
        return ([1.0; 4], Vec::new());
    }
    let mut data = [0.0; 4];
    let mut issues = Vec::new();
    for (dims, list, rows) in parts {
        let share = (*rows).max(1) as f64 / total;
        for (acc, v) in data.iter_mut().zip(dims) {
            *acc += share * v;
        }
        issues.extend(list.iter().cloned().map(|mut i| {
            i.points *= share;
            i
        }));
    }
    (data, issues)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, cells: u64, nulls: u64, invalid: u64) -> ColumnMeasure {
        ColumnMeasure {
            name: name.into(),
            data_type: "string".into(),
            cells,
            nulls,
            invalid_type: invalid,
            findings: Vec::new(),
        }
    }

    fn measures(columns: Vec<ColumnMeasure>, rows: u64, duplicates: u64) -> VersionMeasures {
        VersionMeasures {
            rows,
            columns,
            rows_checked: rows,
            duplicate_rows: duplicates,
            key: Vec::new(),
            duplicate_keys: 0,
            empty_keys: 0,
            columns_added: Vec::new(),
            columns_removed: Vec::new(),
            columns_retyped: Vec::new(),
            has_previous: false,
        }
    }

    fn full_metadata() -> MetadataFacts {
        MetadataFacts {
            description: "按月发布的全市公交站点客流统计数据。".repeat(2),
            tags: 2,
            themes: 1,
            spatial: true,
            temporal: true,
            license: true,
            contact: true,
            frequency: true,
            resources: 1,
            resources_described: 1,
            columns: 4,
            columns_described: 4,
            has_version: true,
        }
    }

    #[test]
    fn a_declared_key_costs_its_repeats_and_gaps_not_twice_with_duplicate_rows() {
        let mut m = measures(vec![column("a", 100, 0, 0)], 100, 5);
        m.key = vec!["站点".into(), "日期".into()];
        m.duplicate_keys = 12;
        m.empty_keys = 3;
        let (data, issues) = data_dimensions(&m);
        // 15 faulty rows of 100 (the 5 duplicate rows repeat their key too).
        assert!((data[2] - 0.85).abs() < 1e-12);
        let got: Vec<(&str, Option<&str>, u64)> = issues
            .iter()
            .map(|i| (i.rule.as_str(), i.column.as_deref(), i.count))
            .collect();
        assert_eq!(
            got,
            [
                ("duplicate_rows", None, 5),
                ("duplicate_keys", Some("站点, 日期"), 12),
                ("empty_keys", Some("站点, 日期"), 3)
            ]
        );
        // The issues share the 0.15 lost: 100 × 0.15 × 0.15 = 2.25 points.
        let lost: f64 = issues.iter().map(|i| i.points).sum();
        assert!((lost - 2.25).abs() < 1e-9, "{lost}");
        // Without a key, only the duplicate rows count.
        m.key.clear();
        m.duplicate_keys = 0;
        m.empty_keys = 0;
        assert!((data_dimensions(&m).0[2] - 0.95).abs() < 1e-12);
    }

    #[test]
    fn undescribed_columns_cost_their_share_of_contextuality() {
        let mut f = full_metadata();
        f.columns_described = 1;
        let (meta, issues) = metadata(&f);
        // Contextuality loses 0.15 × 3/4; the metadata dimension is the mean of five.
        assert!((meta - (1.0 - 0.15 * 0.75 / 5.0)).abs() < 1e-12);
        assert_eq!(issues.len(), 1);
        assert_eq!(
            (issues[0].rule.as_str(), issues[0].count),
            ("missing_column_descriptions", 3)
        );
        assert!((issues[0].points - 100.0 * 0.15 * 0.15 * 0.75 / 5.0).abs() < 1e-9);
    }

    #[test]
    fn weights_add_up_to_one() {
        let sum: f64 = WEIGHTS.iter().map(|(_, w)| w).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        assert_eq!(WEIGHTS.len(), Dimension::ALL.len());
    }

    #[test]
    fn three_empty_cells_of_ten_score_as_documented() {
        // One column of 10 cells with 3 empty: completeness 0.7, everything else perfect.
        let m = measures(vec![column("a", 10, 3, 0)], 10, 0);
        let (data, issues) = data_dimensions(&m);
        assert_eq!(data, [0.7, 1.0, 1.0, 1.0]);
        let (meta, meta_issues) = metadata(&full_metadata());
        assert_eq!(meta, 1.0);
        assert!(meta_issues.is_empty());
        let a = assess(data, 1.0, meta, issues);
        // 100 × (0.25 × 0.7 + 0.75) = 92.5.
        assert_eq!(a.score, 92.5);
        assert_eq!(a.letter, 'A');
        assert_eq!(a.issues.len(), 1);
        assert_eq!(
            (a.issues[0].rule.as_str(), a.issues[0].count),
            ("empty_cells", 3)
        );
        assert!((a.issues[0].points - 7.5).abs() < 1e-9);
    }

    #[test]
    fn the_worked_example_of_the_documentation() {
        let m = measures(vec![column("a", 10, 3, 0), column("b", 10, 0, 1)], 10, 0);
        let (data, issues) = data_dimensions(&m);
        assert!((data[0] - 0.85).abs() < 1e-12);
        assert!((data[1] - 16.0 / 17.0).abs() < 1e-12);
        let a = assess(data, 1.0, 1.0, issues);
        assert_eq!(a.score, 95.07);
        assert_eq!(
            a.issues
                .iter()
                .map(|i| (i.rule.as_str(), i.column.as_deref(), i.count))
                .collect::<Vec<_>>(),
            [
                ("empty_cells", Some("a"), 3),
                ("invalid_cells", Some("b"), 1)
            ]
        );
        assert!((a.issues[0].points - 3.75).abs() < 1e-9);
        assert!((a.issues[1].points - 20.0 / 17.0).abs() < 1e-9);
    }

    #[test]
    fn duplicates_identifiers_and_changed_columns() {
        let mut id = column("身份证号", 100, 0, 0);
        id.findings = vec![PiiFinding {
            kind: PiiKind::CitizenId,
            matches: 90,
            scanned: 100,
        }];
        assert_eq!(id.invalid_identifiers(), 10);
        let mut m = measures(vec![id, column("b", 100, 0, 0)], 100, 20);
        m.compare_with(Some(&[
            ("身份证号".to_string(), "string".to_string()),
            ("b".to_string(), "int64".to_string()),
            ("c".to_string(), "int64".to_string()),
        ]));
        assert_eq!(m.columns_removed, ["c"]);
        assert_eq!(m.columns_retyped, ["b"]);
        assert!(m.columns_added.is_empty());
        let (data, issues) = data_dimensions(&m);
        // 10 of 200 values invalid; 20 of 100 rows repeated; 2 changes over 3 columns.
        assert_eq!(data[1], 0.95);
        assert_eq!(data[2], 0.8);
        assert!((data[3] - 1.0 / 3.0).abs() < 1e-12);
        let rules: Vec<&str> = issues.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "invalid_identifiers",
                "duplicate_rows",
                "column_removed",
                "column_retyped"
            ]
        );
    }

    #[test]
    fn timeliness_falls_after_the_interval() {
        let monthly = interval_days("MONTHLY");
        assert_eq!(timeliness(monthly, 0.0).0, 1.0);
        assert_eq!(timeliness(monthly, 31.0).0, 1.0);
        // Half-way between one and three intervals: 0.5.
        assert!((timeliness(monthly, 62.0).0 - 0.5).abs() < 1e-12);
        assert_eq!(timeliness(monthly, 93.0).0, 0.0);
        assert_eq!(timeliness(monthly, 400.0).0, 0.0);
        let (v, issue) = timeliness(monthly, 62.0);
        let issue = issue.unwrap();
        assert_eq!((issue.rule.as_str(), issue.count), ("stale", 31));
        assert!((issue.points - 100.0 * 0.15 * (1.0 - v)).abs() < 1e-9);
        assert_eq!(
            timeliness(interval_days("IRREG"), 5.0).0,
            UNDECLARED_TIMELINESS
        );
        assert_eq!(timeliness(None, 5.0).1.unwrap().rule, "no_frequency");
    }

    #[test]
    fn metadata_in_the_manner_of_the_mqa() {
        let (v, issues) = metadata(&MetadataFacts::default());
        assert!((v - 0.06).abs() < 1e-12, "{v}");
        assert_eq!(issues.len(), 12);
        let mut f = full_metadata();
        f.license = false;
        let (v, issues) = metadata(&f);
        assert!((v - (1.0 - 0.4 / 5.0)).abs() < 1e-12);
        assert_eq!(issues[0].rule, "missing_license");
        assert!((issues[0].points - 100.0 * 0.15 * 0.4 / 5.0).abs() < 1e-12);
    }

    #[test]
    fn resources_combine_by_rows() {
        let big = ([1.0, 1.0, 1.0, 1.0], Vec::new(), 900);
        let small = (
            [0.0, 1.0, 1.0, 1.0],
            vec![Issue {
                dimension: Dimension::Completeness,
                rule: "empty_cells".into(),
                column: Some("x".into()),
                count: 100,
                points: 25.0,
            }],
            100,
        );
        let (data, issues) = combine(&[big, small]);
        assert!((data[0] - 0.9).abs() < 1e-12);
        assert!((issues[0].points - 2.5).abs() < 1e-12);
    }

    #[test]
    fn letters() {
        assert_eq!(
            [95.0, 90.0, 89.99, 80.0, 70.0, 60.0, 59.9, 0.0].map(letter),
            ['A', 'A', 'B', 'B', 'C', 'D', 'E', 'E']
        );
    }
}
