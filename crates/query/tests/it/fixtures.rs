//! Parquet fixtures and hand-built decisions.
//!
//! `persons` is a personal table under a grant: names, mobiles and birth dates masked, the
//! citizen ID absent, income usable only inside aggregates (so hidden here), district and age
//! raw, and a row filter keeping 西湖区 only. `benefits` shares raw mobiles with it, for joins.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use model::access::{Basis, Decision, Mask, Verdict};
use model::filter::{Condition, Literal, Op};
use model::pii::PiiKind;
use parquet::arrow::ArrowWriter;
use query::{Engine, Limits, PolicyTable, QueryError, Rows};
use tempfile::TempDir;

pub const SURNAMES: [&str; 12] = [
    "张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴", "徐", "孙",
];
pub const DISTRICTS: [&str; 3] = ["西湖区", "上城区", "拱墅区"];
/// The district the grant's row filter keeps.
pub const KEPT: &str = "西湖区";
/// The age of one row outside the row filter, and of no row inside it.
pub const OUTSIDE_AGE: i64 = 77;

/// One person of the fixture.
pub struct Person {
    pub name: String,
    pub mobile: Option<String>,
    pub citizen_id: String,
    pub district: &'static str,
    pub age: i64,
    pub income: f64,
    /// Days since 1970-01-01.
    pub birth: i32,
}

impl Person {
    pub fn birth_text(&self) -> String {
        civil_date(self.birth)
    }

    pub fn kept(&self) -> bool {
        self.district == KEPT
    }
}

/// `YYYY-MM-DD` for days since the epoch (civil-from-days, enough for the fixture's years).
fn civil_date(days: i32) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn persons() -> Vec<Person> {
    (0..12)
        .map(|i| Person {
            name: format!("{}小{}", SURNAMES[i], ["明", "红", "刚", "丽"][i % 4]),
            // One kept row has no mobile, so masks must keep nulls.
            mobile: if i == 9 {
                None
            } else {
                Some(format!("139{}{}", 5678 + i, 1000 + i))
            },
            citizen_id: format!("3301061980{:02}01{:03}{}", i % 12 + 1, 100 + i, i % 10),
            district: DISTRICTS[i % 3],
            age: if i == 1 { OUTSIDE_AGE } else { 30 + i as i64 },
            income: 10_000.25 + i as f64 * 1_234.5,
            birth: 3650 + i as i32 * 400,
        })
        .collect()
}

/// Raw values that no output of the `persons` view may contain.
pub fn secrets() -> Vec<String> {
    let mut out = Vec::new();
    for p in persons() {
        out.push(p.name.clone());
        if let Some(m) = &p.mobile {
            out.push(m.clone());
        }
        out.push(p.citizen_id.clone());
        out.push(format!("{}", p.income));
        out.push(p.birth_text());
        if !p.kept() {
            out.push(p.district.to_string());
        }
    }
    out
}

/// Writes `batch` in row groups of three rows, so that the reader's pruning (by statistics, and
/// by run-time filters crossing the seal) has row groups to skip.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(3))
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

pub fn persons_batch() -> RecordBatch {
    let people = persons();
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, true),
        Field::new("mobile", DataType::Utf8, true),
        Field::new("citizen_id", DataType::Utf8, true),
        Field::new("district", DataType::Utf8, true),
        Field::new("age", DataType::Int64, true),
        Field::new("income", DataType::Float64, true),
        Field::new("birth", DataType::Date32, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter(
            people.iter().map(|p| Some(p.name.clone())),
        )),
        Arc::new(StringArray::from_iter(
            people.iter().map(|p| p.mobile.clone()),
        )),
        Arc::new(StringArray::from_iter(
            people.iter().map(|p| Some(p.citizen_id.clone())),
        )),
        Arc::new(StringArray::from_iter(
            people.iter().map(|p| Some(p.district)),
        )),
        Arc::new(Int64Array::from_iter(people.iter().map(|p| Some(p.age)))),
        Arc::new(Float64Array::from_iter(
            people.iter().map(|p| Some(p.income)),
        )),
        Arc::new(Date32Array::from_iter(people.iter().map(|p| Some(p.birth)))),
    ];
    RecordBatch::try_new(schema, columns).unwrap()
}

pub fn benefits_batch() -> RecordBatch {
    let people = persons();
    let schema = Arc::new(Schema::new(vec![
        Field::new("mobile", DataType::Utf8, true),
        Field::new("citizen_id", DataType::Utf8, true),
        Field::new("amount", DataType::Int64, true),
    ]));
    let kept: Vec<&Person> = people
        .iter()
        .filter(|p| p.mobile.is_some())
        .take(6)
        .collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter(
            kept.iter().map(|p| p.mobile.clone()),
        )),
        Arc::new(StringArray::from_iter(
            kept.iter().map(|p| Some(p.citizen_id.clone())),
        )),
        Arc::new(Int64Array::from_iter(
            (0..kept.len() as i64).map(|i| Some(100 + i)),
        )),
    ];
    RecordBatch::try_new(schema, columns).unwrap()
}

pub fn granted_persons_decision() -> Decision {
    Decision {
        columns: vec![
            (
                "name".into(),
                Verdict::Masked {
                    mask: Mask::Pii(PiiKind::PersonName),
                },
            ),
            (
                "mobile".into(),
                Verdict::Masked {
                    mask: Mask::Pii(PiiKind::Mobile),
                },
            ),
            ("citizen_id".into(), Verdict::Absent),
            ("district".into(), Verdict::Raw),
            ("age".into(), Verdict::Raw),
            ("income".into(), Verdict::AggregateOnly),
            (
                "birth".into(),
                Verdict::Masked {
                    mask: Mask::Pii(PiiKind::BirthDate),
                },
            ),
        ],
        row_filter: vec![Condition {
            column: "district".into(),
            op: Op::Eq,
            value: Some(Literal::Str(KEPT.into())),
        }],
        basis: Basis::Grant("g-persons".into()),
        quota_remaining: None,
    }
}

pub fn benefits_decision() -> Decision {
    Decision {
        columns: vec![
            ("mobile".into(), Verdict::Raw),
            ("citizen_id".into(), Verdict::JoinKeyOnly),
            ("amount".into(), Verdict::Raw),
        ],
        row_filter: vec![],
        basis: Basis::Grant("g-benefits".into()),
        quota_remaining: None,
    }
}

/// The fixture files and tables; the directory lives as long as this.
pub struct Fixture {
    pub _dir: TempDir,
    pub persons: PolicyTable,
    pub benefits: PolicyTable,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let persons_path = dir.path().join("persons.parquet");
        write_parquet(&persons_path, &persons_batch());
        let benefits_path = dir.path().join("benefits.parquet");
        write_parquet(&benefits_path, &benefits_batch());
        Fixture {
            persons: PolicyTable {
                name: "persons".into(),
                parquet: persons_path.into(),
                decision: granted_persons_decision(),
            },
            benefits: PolicyTable {
                name: "benefits".into(),
                parquet: benefits_path.into(),
                decision: benefits_decision(),
            },
            _dir: dir,
        }
    }

    pub fn tables(&self) -> Vec<PolicyTable> {
        vec![self.persons.clone(), self.benefits.clone()]
    }

    pub async fn sql(&self, sql: &str) -> Result<Rows, QueryError> {
        engine().sql(&self.tables(), sql).await
    }

    pub async fn sql_ok(&self, sql: &str) -> Rows {
        match self.sql(sql).await {
            Ok(rows) => rows,
            Err(e) => panic!("{sql}: {} {e} / {e:?}", e.code()),
        }
    }

    pub async fn sql_err(&self, sql: &str) -> QueryError {
        match self.sql(sql).await {
            Ok(rows) => panic!("{sql}: expected an error, got {:?}", rows.rows()),
            Err(e) => e,
        }
    }
}

/// The harness's engine with the default limits.
pub fn engine() -> Engine {
    crate::engine(Limits::default())
}

/// Every cell of a result as text (JSON rendering), column names included.
pub fn texts(rows: &Rows) -> Vec<String> {
    let mut out: Vec<String> = rows.columns.iter().map(|c| c.name.clone()).collect();
    for row in rows.rows() {
        for cell in row {
            out.push(match cell {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
        }
    }
    out
}

/// Asserts that no raw value of the fixture appears in `text`.
pub fn assert_no_secrets(context: &str, text: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "{context}: output contains the raw value {secret:?}: {text}"
        );
    }
}

pub fn assert_rows_clean(context: &str, rows: &Rows) {
    assert_no_secrets(context, &texts(rows).join("\u{1}"));
}

/// Hidden column names that no error message may contain.
pub const HIDDEN: [&str; 2] = ["citizen_id", "income"];

pub fn assert_message_clean(context: &str, err: &QueryError) {
    let text = format!("{err}").to_lowercase();
    for hidden in HIDDEN {
        assert!(
            !text.contains(hidden),
            "{context}: message names {hidden}: {err}"
        );
    }
    assert_no_secrets(context, &format!("{err}"));
}

/// A single integer result.
pub fn scalar_i64(rows: &Rows) -> i64 {
    let all = rows.rows();
    assert_eq!(all.len(), 1, "expected one row, got {all:?}");
    all[0][0]
        .as_i64()
        .unwrap_or_else(|| panic!("not an integer: {all:?}"))
}

/// The values of one column, as text (nulls as "null").
pub fn column_texts(rows: &Rows, name: &str) -> Vec<String> {
    let index = rows
        .columns
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    rows.rows()
        .into_iter()
        .map(|r| match &r[index] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

/// A table of `rows` rows: `id` raw, `label` redacted, no row filter.
pub fn big_table(dir: &Path, rows: i64) -> PolicyTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("label", DataType::Utf8, true),
        Field::new("secret", DataType::Utf8, true),
    ]));
    let path = dir.join("big.parquet");
    let file = std::fs::File::create(&path).unwrap();
    let mut writer = ArrowWriter::try_new(file, schema.clone(), None).unwrap();
    let mut start = 0;
    while start < rows {
        let end = (start + 50_000).min(rows);
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(start..end)),
                Arc::new(StringArray::from_iter_values(
                    (start..end).map(|i| format!("label-{i}")),
                )),
                Arc::new(StringArray::from_iter_values(
                    (start..end).map(|i| format!("secret-{i}")),
                )),
            ],
        )
        .unwrap();
        writer.write(&batch).unwrap();
        start = end;
    }
    writer.close().unwrap();
    PolicyTable {
        name: "big".into(),
        parquet: path.into(),
        decision: Decision {
            columns: vec![
                ("id".into(), Verdict::Raw),
                ("label".into(), Verdict::Masked { mask: Mask::Redact }),
                ("secret".into(), Verdict::Absent),
            ],
            row_filter: vec![],
            basis: Basis::Open,
            quota_remaining: None,
        },
    }
}
