//! The clean room (C6): aggregates over pseudonymised joins, k per group, noise, and the
//! adversarial suite of queries that try to read one person or firm back out.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use model::access::{Basis, Decision, Verdict};
use model::cleanroom::{self, Bounds, Policy};
use query::{CleanRoomQuery, CleanRoomRows, CleanRoomTable, Engine, PseudonymKey, QueryError};
use tempfile::TempDir;

use crate::fixtures::{engine, texts, write_parquet};

const PEOPLE: usize = 300;
const RARE_DISTRICT: &str = "淳安县";
const DISTRICTS: [&str; 3] = ["西湖区", "上城区", "拱墅区"];
const INDUSTRIES: [&str; 3] = ["制造业", "信息技术", "零售"];
const RARE_INDUSTRY: &str = "渔业";

fn citizen_id(i: usize) -> String {
    format!("33010619{:02}0101{:04}", 60 + i % 40, 1000 + i)
}

fn phone(i: usize) -> String {
    format!("1391234{:04}", i)
}

fn company(i: usize) -> String {
    format!("91330100MA2{:07}", i % 20)
}

fn district(i: usize) -> &'static str {
    if i < 3 {
        RARE_DISTRICT
    } else {
        DISTRICTS[i % 3]
    }
}

fn wage(i: usize) -> f64 {
    3000.0 + ((i * 37) % 5000) as f64
}

fn works(i: usize) -> bool {
    !i.is_multiple_of(5)
}

fn industry(i: usize) -> &'static str {
    if i == 6 || i == 7 {
        RARE_INDUSTRY
    } else {
        INDUSTRIES[i % 3]
    }
}

fn strings(values: impl Iterator<Item = String>) -> ArrayRef {
    Arc::new(StringArray::from(values.collect::<Vec<_>>()))
}

fn insured_batch() -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("citizen_id", DataType::Utf8, false),
        Field::new("district", DataType::Utf8, false),
        Field::new("months", DataType::Int64, false),
        Field::new("wage", DataType::Float64, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings((0..PEOPLE).map(citizen_id)),
            strings((0..PEOPLE).map(|i| district(i).to_string())),
            Arc::new(Int64Array::from_iter_values(
                (0..PEOPLE).map(|i| (i % 12 + 1) as i64),
            )),
            Arc::new(Float64Array::from_iter_values((0..PEOPLE).map(wage))),
        ],
    )
    .unwrap()
}

fn employees_batch() -> RecordBatch {
    let who: Vec<usize> = (0..PEOPLE).filter(|i| works(*i)).collect();
    let schema = Schema::new(vec![
        Field::new("citizen_id", DataType::Utf8, false),
        Field::new("company_code", DataType::Utf8, false),
        Field::new("industry", DataType::Utf8, false),
        Field::new("phone", DataType::Utf8, false),
        Field::new("salary", DataType::Int64, false),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings(who.iter().map(|i| citizen_id(*i))),
            strings(who.iter().map(|i| company(*i))),
            strings(who.iter().map(|i| industry(*i).to_string())),
            strings(who.iter().map(|i| phone(*i))),
            Arc::new(Int64Array::from_iter_values(
                who.iter().map(|i| 4000 + (*i as i64 * 53) % 9000),
            )),
        ],
    )
    .unwrap()
}

fn decision(columns: &[(&str, Verdict)]) -> Decision {
    Decision {
        columns: columns.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
        row_filter: Vec::new(),
        basis: Basis::Grant("g".into()),
        quota_remaining: None,
    }
}

/// `sql` over `tables` on `engine` under `key`.
async fn answer(
    engine: &Engine,
    key: &Arc<PseudonymKey>,
    tables: &[CleanRoomTable],
    sql: &str,
    epsilon: f64,
) -> Result<CleanRoomRows, QueryError> {
    engine
        .cleanroom(
            Arc::clone(key),
            CleanRoomQuery {
                tables,
                sql,
                epsilon,
            },
        )
        .await
}

struct Room {
    dir: TempDir,
    tables: Vec<CleanRoomTable>,
    key: Arc<PseudonymKey>,
    /// As the platform runs it: with keyed copies in the room's directory.
    engine: Engine,
}

impl Room {
    fn new(noise: bool) -> Room {
        let dir = tempfile::tempdir().unwrap();
        let insured_path = dir.path().join("insured.parquet");
        write_parquet(&insured_path, &insured_batch());
        let employees_path = dir.path().join("employees.parquet");
        write_parquet(&employees_path, &employees_batch());
        let mut insured = Policy::for_entity("citizen_id");
        insured.join_keys = vec!["citizen_id".into()];
        insured.noise = noise;
        insured.bounds = vec![Bounds {
            column: "wage".into(),
            lower: 0.0,
            upper: 20_000.0,
        }];
        let employees = Policy {
            entity_columns: vec!["citizen_id".into(), "company_code".into()],
            join_keys: vec!["citizen_id".into()],
            min_entities: 5,
            noise: false,
            bounds: vec![Bounds {
                column: "salary".into(),
                lower: 0.0,
                upper: 50_000.0,
            }],
            max_rows_per_entity: 1,
        };
        employees
            .validate(&["citizen_id", "company_code", "industry", "phone", "salary"])
            .unwrap();
        let insured_decision = decision(&[
            ("citizen_id", Verdict::JoinKeyOnly),
            ("district", Verdict::Raw),
            ("months", Verdict::Raw),
            ("wage", Verdict::AggregateOnly),
        ]);
        let employees_decision = decision(&[
            ("citizen_id", Verdict::JoinKeyOnly),
            ("company_code", Verdict::Raw),
            ("industry", Verdict::Raw),
            ("phone", Verdict::AggregateOnly),
            ("salary", Verdict::AggregateOnly),
        ]);
        let identifiers = vec!["company_code".to_string(), "phone".to_string()];
        let tables = vec![
            CleanRoomTable {
                name: "insured".into(),
                parquet: insured_path.into(),
                row_filter: Vec::new(),
                columns: cleanroom::columns(&insured_decision, &insured, &[]),
                hidden: Vec::new(),
                min_entities: insured.min_entities,
                noise: insured.noise,
                max_rows_per_entity: 1,
            },
            CleanRoomTable {
                name: "employees".into(),
                parquet: employees_path.into(),
                row_filter: Vec::new(),
                columns: cleanroom::columns(&employees_decision, &employees, &identifiers),
                hidden: vec!["phone".into()],
                min_entities: employees.min_entities,
                noise: false,
                max_rows_per_entity: 1,
            },
        ];
        let engine = engine().with_keyed_copies(dir.path().join("keyed"));
        Room {
            dir,
            tables,
            key: Arc::new(PseudonymKey::new(&[7u8; 32]).unwrap()),
            engine,
        }
    }

    async fn run(&self, sql: &str, epsilon: f64) -> Result<CleanRoomRows, QueryError> {
        answer(&self.engine, &self.key, &self.tables, sql, epsilon).await
    }

    async fn ok(&self, sql: &str) -> CleanRoomRows {
        match self.run(sql, 0.1).await {
            Ok(r) => {
                assert_clean(sql, &r, &self.key);
                r
            }
            Err(e) => panic!("{sql}: {} {e}", e.code()),
        }
    }

    async fn refused(&self, sql: &str) -> QueryError {
        match self.run(sql, 0.1).await {
            Ok(r) => panic!("{sql}: expected a refusal, got {:?}", r.rows.rows()),
            Err(e) => e,
        }
    }
}

/// No raw identifier of the data (citizen IDs, phones, company codes) and no pseudonym of one
/// appears in a result.
fn assert_clean(context: &str, result: &CleanRoomRows, key: &PseudonymKey) {
    let text = texts(&result.rows).join("\u{1}");
    for i in 0..PEOPLE {
        for secret in [citizen_id(i), phone(i), company(i)] {
            assert!(!text.contains(&secret), "{context}: {secret} in {text}");
            assert!(
                !text.contains(&key.pseudonym(&secret).to_string()),
                "{context}: a pseudonym in {text}"
            );
        }
    }
}

/// Rows of a result as `(first column as text, second column as f64)`.
fn pairs(result: &CleanRoomRows) -> BTreeMap<String, f64> {
    result
        .rows
        .rows()
        .into_iter()
        .map(|r| {
            (
                r[0].as_str()
                    .map(str::to_string)
                    .unwrap_or(r[0].to_string()),
                r[1].as_f64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_join_on_pseudonyms_returns_the_groups_that_cover_k_people() {
    let room = Room::new(false);
    let r = room
        .ok(
            "SELECT i.district, e.industry, AVG(e.salary) AS avg_salary, COUNT(*) AS n \
             FROM insured i JOIN employees e ON i.citizen_id = e.citizen_id \
             GROUP BY i.district, e.industry ORDER BY i.district, e.industry",
        )
        .await;
    // The reference, computed here from the generated people.
    let mut groups: BTreeMap<(String, String), Vec<i64>> = BTreeMap::new();
    for i in (0..PEOPLE).filter(|i| works(*i)) {
        groups
            .entry((district(i).into(), industry(i).into()))
            .or_default()
            .push(4000 + (i as i64 * 53) % 9000);
    }
    let kept: Vec<_> = groups.iter().filter(|(_, v)| v.len() >= 10).collect();
    let removed = groups.len() - kept.len();
    assert!(removed > 0 && !kept.is_empty());
    assert_eq!(r.suppressed_groups, removed as u64);
    assert_eq!(r.min_entities, 10, "the strictest k of the two tables wins");
    assert!(r.noise.is_none());
    let rows = r.rows.rows();
    assert_eq!(rows.len(), kept.len());
    for (row, ((d, ind), salaries)) in rows.iter().zip(kept) {
        assert_eq!(row[0], d.as_str());
        assert_eq!(row[1], ind.as_str());
        let avg = salaries.iter().sum::<i64>() as f64 / salaries.len() as f64;
        assert!((row[2].as_f64().unwrap() - avg).abs() < 1e-6);
        assert_eq!(row[3].as_i64().unwrap(), salaries.len() as i64);
    }
    assert!(!rows
        .iter()
        .any(|r| r[0] == RARE_DISTRICT || r[1] == RARE_INDUSTRY));
}

#[tokio::test]
async fn pseudonyms_are_keyed_and_equal_across_tables() {
    let a = PseudonymKey::new(&[7u8; 32]).unwrap();
    let b = PseudonymKey::new(&[8u8; 32]).unwrap();
    let id = citizen_id(5);
    assert_eq!(a.pseudonym(&id), a.pseudonym(&id));
    assert_ne!(a.pseudonym(&id), b.pseudonym(&id));
    assert_ne!(a.pseudonym(&id), a.pseudonym(&citizen_id(6)));
    assert!(
        a.pseudonym(&id) >= 0 && a.pseudonym(&id) < 1i128 << 126,
        "126 bits"
    );
    assert!(a.pseudonym(&id).to_string().len() <= 38, "fits the decimal");
    assert_eq!(format!("{a:?}"), "PseudonymKey(..)");
    assert!(PseudonymKey::new(&[1u8; 16]).is_err());
    // Joined on pseudonyms, every employee finds their insured row: 240 employees in all, of
    // whom the rare district holds 2 and the rare industry 2.
    let room = Room::new(false);
    let r = room
        .ok("SELECT COUNT(*) FROM insured i JOIN employees e ON i.citizen_id = e.citizen_id")
        .await;
    assert_eq!(r.rows.rows()[0][0].as_i64(), Some(240));
}

/// The files in the room's keyed directory, by name.
fn keyed_files(room: &Room) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(room.dir.path().join("keyed"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn keyed_copies_are_written_once_hold_no_identifier_and_answer_alike() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let room = Room::new(false);
    let sql = "SELECT i.district, e.industry, COUNT(*) AS n, AVG(e.salary) AS s \
               FROM insured i JOIN employees e ON i.citizen_id = e.citizen_id \
               GROUP BY i.district, e.industry ORDER BY i.district, e.industry";
    assert!(keyed_files(&room).is_empty());
    let first = room.ok(sql).await;
    let files = keyed_files(&room);
    assert_eq!(files.len(), 2, "one copy per table: {files:?}");
    let written: Vec<_> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().modified().unwrap())
        .collect();
    // Each copy holds every row, its key columns as 126-bit numbers and no raw identifier.
    // (The company code is an entity column of `employees`, so it is pseudonymised too.)
    for file in &files {
        let reader = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
        let rows = reader.metadata().file_metadata().num_rows() as usize;
        assert!(rows == PEOPLE || rows == 240, "{file:?}: {rows} rows");
        let decoded = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            std::fs::File::open(file).unwrap(),
        )
        .unwrap();
        let schema = decoded.schema();
        assert_eq!(
            schema.field_with_name("citizen_id").unwrap().data_type(),
            &PseudonymKey::TYPE
        );
        for batch in decoded.build().unwrap() {
            let batch = batch.unwrap();
            for c in 0..batch.num_columns() {
                let cast = arrow::compute::cast(batch.column(c), &DataType::Utf8).unwrap();
                let cast = cast.as_any().downcast_ref::<StringArray>().unwrap();
                for v in cast.iter().flatten() {
                    assert!(
                        !(0..PEOPLE).any(|i| v == citizen_id(i) || v == company(i)),
                        "{file:?} holds a raw identifier: {v}"
                    );
                }
            }
        }
    }
    // A second query reads the copies as they are.
    let second = room.ok(sql).await;
    assert_eq!(keyed_files(&room), files);
    for (file, before) in files.iter().zip(&written) {
        assert_eq!(
            &std::fs::metadata(file).unwrap().modified().unwrap(),
            before
        );
    }
    // Pseudonymising in the plan gives the same answer.
    let in_plan = answer(&engine(), &room.key, &room.tables, sql, 0.1)
        .await
        .unwrap();
    assert_eq!(texts(&first.rows), texts(&in_plan.rows));
    assert_eq!(texts(&second.rows), texts(&in_plan.rows));
    assert_eq!(first.suppressed_groups, in_plan.suppressed_groups);
    // Another secret is another copy; the copies of a version are found by its file.
    let other_key = Arc::new(PseudonymKey::new(&[9u8; 32]).unwrap());
    let other = answer(&room.engine, &other_key, &room.tables, sql, 0.1)
        .await
        .unwrap();
    assert_eq!(texts(&other.rows), texts(&first.rows));
    assert_eq!(keyed_files(&room).len(), 4);
    let of_insured =
        query::keyed_copies_of(&room.dir.path().join("keyed"), &room.tables[0].parquet);
    assert_eq!(of_insured.len(), 2);
    // A row filter on a key column needs the raw values: no copy, the same rules.
    let mut filtered = room.tables.clone();
    filtered[0].row_filter = vec![model::filter::Condition {
        column: "citizen_id".into(),
        op: model::filter::Op::NotNull,
        value: None,
    }];
    let r = answer(&room.engine, &room.key, &filtered, sql, 0.1)
        .await
        .unwrap();
    assert_clean(sql, &r, &room.key);
    assert_eq!(texts(&r.rows), texts(&first.rows));
    assert_eq!(keyed_files(&room).len(), 4);
}

#[tokio::test]
async fn small_groups_are_removed_before_having_order_and_limit_see_them() {
    let room = Room::new(false);
    for sql in [
        "SELECT district, COUNT(*) FROM insured GROUP BY district HAVING COUNT(*) < 10",
        "SELECT district, AVG(wage) FROM insured WHERE district = '淳安县' GROUP BY district",
        "SELECT COUNT(*) FROM insured WHERE district = '淳安县'",
        "SELECT COUNT(*) FROM insured WHERE district = '西湖区' AND months = 5 AND wage_band_free = 1",
    ] {
        match room.run(sql, 0.1).await {
            Ok(r) => {
                assert_clean(sql, &r, &room.key);
                assert!(r.rows.rows().is_empty(), "{sql}: {:?}", r.rows.rows());
                assert!(r.suppressed_groups >= 1, "{sql}");
            }
            Err(e) => assert_eq!(e.code(), "column_not_found", "{sql}: {e}"),
        }
    }
    let r = room
        .ok("SELECT district, COUNT(*) AS n FROM insured GROUP BY district ORDER BY n ASC LIMIT 1")
        .await;
    assert_eq!(r.rows.rows().len(), 1);
    assert!(r.rows.rows()[0][1].as_i64().unwrap() >= 10);
    assert_eq!(r.suppressed_groups, 1);
    // A differencing pair: all of 西湖区, then 西湖区 but one month. Both groups are large, so
    // both are answered exactly; their difference is what the people of that month earn.
    // This is what noise and the ε budget are for (see `noise_is_charged_and_refused_once_spent`).
    let all = room
        .ok("SELECT COUNT(*) FROM insured WHERE district = '西湖区'")
        .await;
    let but_one = room
        .ok("SELECT COUNT(*) FROM insured WHERE district = '西湖区' AND months <> 4")
        .await;
    assert!(all.rows.rows()[0][0].as_i64() > but_one.rows.rows()[0][0].as_i64());
}

#[tokio::test]
async fn refusals_name_the_rule_that_failed() {
    let room = Room::new(false);
    let cases: &[(&str, &str)] = &[
        // Outputting a join key or identifier, directly or through anything.
        ("SELECT citizen_id FROM insured", "must_aggregate"),
        ("SELECT * FROM insured", "must_aggregate"),
        ("SELECT citizen_id, COUNT(*) FROM insured GROUP BY citizen_id", "identifier_use"),
        ("SELECT upper(CAST(citizen_id AS VARCHAR)), COUNT(*) FROM insured GROUP BY upper(CAST(citizen_id AS VARCHAR))", "identifier_use"),
        ("SELECT substr(CAST(citizen_id AS VARCHAR), 1, 6) AS p, COUNT(*) FROM insured GROUP BY substr(CAST(citizen_id AS VARCHAR), 1, 6)", "identifier_use"),
        ("SELECT citizen_id % 10 AS p, COUNT(*) FROM insured GROUP BY citizen_id % 10", "identifier_use"),
        ("SELECT CAST(citizen_id AS VARCHAR) AS c, COUNT(*) FROM insured GROUP BY CAST(citizen_id AS VARCHAR)", "identifier_use"),
        ("SELECT md5(CAST(citizen_id AS VARCHAR)) AS h, COUNT(*) FROM insured GROUP BY md5(CAST(citizen_id AS VARCHAR))", "identifier_use"),
        ("SELECT CASE WHEN citizen_id > 0 THEN 1 ELSE 0 END AS x, COUNT(*) FROM insured GROUP BY 1", "identifier_use"),
        ("SELECT district, COUNT(DISTINCT citizen_id) FROM insured GROUP BY district", "identifier_use"),
        ("SELECT district, COUNT(citizen_id) FROM insured GROUP BY district", "identifier_use"),
        ("SELECT industry, COUNT(DISTINCT company_code) FROM employees GROUP BY industry", "identifier_use"),
        ("SELECT company_code, COUNT(*) FROM employees GROUP BY company_code", "identifier_use"),
        ("SELECT district, COUNT(*) FROM (SELECT district, CAST(citizen_id AS VARCHAR) || 'x' AS c FROM insured) t GROUP BY district", "identifier_use"),
        ("SELECT p.industry, COUNT(*) FROM insured i JOIN (SELECT citizen_id, industry FROM employees) p ON i.citizen_id = p.citizen_id GROUP BY p.industry", "nested_aggregate"),
        // Grouping by L3 or identifiers.
        ("SELECT wage, COUNT(*) FROM insured GROUP BY wage", "dimension_grade"),
        ("SELECT salary, COUNT(*) FROM employees GROUP BY salary", "dimension_grade"),
        ("SELECT round(wage / 1000) AS band, COUNT(*) FROM insured GROUP BY round(wage / 1000)", "measure_outside_aggregate"),
        // Filtering to isolate one entity.
        ("SELECT district, COUNT(*) FROM insured WHERE citizen_id = 12345 GROUP BY district", "identifier_use"),
        ("SELECT district, AVG(wage) FROM insured WHERE wage > 7000 GROUP BY district", "measure_outside_aggregate"),
        ("SELECT district, COUNT(*) FROM insured i, employees e WHERE i.citizen_id = e.citizen_id GROUP BY district", "join_condition"),
        // Extremes, windows, LIMIT tricks.
        ("SELECT district, MAX(wage) FROM insured GROUP BY district", "extremes"),
        ("SELECT district, MIN(wage) FROM insured GROUP BY district", "extremes"),
        ("SELECT MAX(salary) FROM employees", "extremes"),
        ("SELECT district, median(wage) FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT district, stddev(wage) FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT district, array_agg(wage) FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT district, string_agg(district, ',') FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT district, first_value(wage) FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT district, approx_percentile_cont(wage, 0.99) FROM insured GROUP BY district", "aggregate_function"),
        ("SELECT row_number() OVER (ORDER BY wage) FROM insured", "window"),
        ("SELECT district, rank() OVER (ORDER BY COUNT(*)) FROM insured GROUP BY district", "window"),
        ("SELECT AVG(wage) FROM (SELECT * FROM insured ORDER BY wage DESC LIMIT 1) t", "row_limit"),
        ("SELECT COUNT(*) FROM (SELECT * FROM insured LIMIT 1 OFFSET 3) t", "row_limit"),
        // Nested aggregates and subqueries that smuggle rows.
        ("SELECT AVG(n) FROM (SELECT district, COUNT(*) AS n FROM insured GROUP BY district) t", "nested_aggregate"),
        ("SELECT COUNT(*) FROM (SELECT DISTINCT district FROM insured) t", "nested_aggregate"),
        ("SELECT district, COUNT(*) FROM insured WHERE district IN (SELECT industry FROM employees) GROUP BY district", "subquery"),
        ("SELECT district, (SELECT COUNT(*) FROM employees) FROM insured GROUP BY district", "subquery"),
        ("SELECT district, COUNT(*) FROM insured WHERE EXISTS (SELECT 1 FROM employees) GROUP BY district", "subquery"),
        // UNION of a small group with a large one.
        ("SELECT district, COUNT(*) FROM insured WHERE district = '淳安县' GROUP BY district UNION ALL SELECT district, COUNT(*) FROM insured GROUP BY district", "set_operation"),
        ("SELECT COUNT(*) FROM (SELECT district FROM insured UNION ALL SELECT industry FROM employees) t", "set_operation"),
        // Aggregates over expressions, FILTER, DISTINCT beyond COUNT.
        ("SELECT district, SUM(CASE WHEN months = 3 THEN wage ELSE 0 END) FROM insured GROUP BY district", "aggregate_argument"),
        ("SELECT district, SUM(wage) FILTER (WHERE months = 1) FROM insured GROUP BY district", "aggregate_argument"),
        ("SELECT district, SUM(DISTINCT wage) FROM insured GROUP BY district", "aggregate_argument"),
        ("SELECT district, SUM(1 / (wage - 5000)) FROM insured GROUP BY district", "aggregate_argument"),
        // Joins on columns that are not allowed keys, or not inner.
        ("SELECT i.district, COUNT(*) FROM insured i JOIN employees e ON i.district = e.industry GROUP BY i.district", "join_condition"),
        ("SELECT i.district, COUNT(*) FROM insured i JOIN employees e ON i.citizen_id = e.company_code GROUP BY i.district", "join_condition"),
        ("SELECT i.district, COUNT(*) FROM insured i LEFT JOIN employees e ON i.citizen_id = e.citizen_id GROUP BY i.district", "join_condition"),
        ("SELECT i.district, COUNT(*) FROM insured i CROSS JOIN employees e GROUP BY i.district", "join_condition"),
        ("SELECT i.district, COUNT(*) FROM insured i JOIN employees e ON i.citizen_id = e.citizen_id AND i.district = '西湖区' GROUP BY i.district", "join_condition"),
        // Errors as an oracle, non-determinism, grouping sets.
        ("SELECT district, COUNT(*) FROM insured WHERE 1 / (months - 3) > 0 GROUP BY district", "fallible_filter"),
        ("SELECT district, COUNT(*) FROM insured WHERE CAST(district AS INT) = 1 GROUP BY district", "fallible_filter"),
        ("SELECT district, COUNT(*) FROM insured WHERE random() < 0.5 GROUP BY district", "non_deterministic"),
        ("SELECT now(), COUNT(*) FROM insured", "non_deterministic"),
        ("SELECT district, months, COUNT(*) FROM insured GROUP BY ROLLUP (district, months)", "grouping_sets"),
    ];
    for (sql, rule) in cases {
        let err = room.refused(sql).await;
        assert_eq!(err.code(), "cleanroom_refused", "{sql}: {err}");
        match &err {
            QueryError::CleanRoom { rule: got, .. } => {
                assert_eq!(got.code(), *rule, "{sql}: {err}")
            }
            other => panic!("{sql}: {other}"),
        }
        let message = err.to_string();
        assert!(
            message.contains(rule),
            "{sql}: the message names the rule: {message}"
        );
        assert!(!message.contains("phone"), "{sql}: {message}");
    }
}

#[tokio::test]
async fn hidden_columns_and_internal_functions_cannot_be_reached() {
    let room = Room::new(false);
    for sql in [
        "SELECT upper(citizen_id), COUNT(*) FROM insured GROUP BY upper(citizen_id)",
        "SELECT district, COUNT(*) FROM insured WHERE citizen_id = '330106196001011000' GROUP BY district",
        "SELECT industry, COUNT(phone) FROM employees GROUP BY industry",
        "SELECT pseudonym(district), COUNT(*) FROM insured GROUP BY pseudonym(district)",
        "SELECT mask(district), COUNT(*) FROM insured GROUP BY mask(district)",
        "SELECT COUNT(*) FROM read_parquet('/etc/passwd')",
        "SELECT COUNT(*) FROM information_schema.tables",
        "SELECT COUNT(*) FROM nowhere",
        "DROP TABLE insured",
        "SELECT 1; SELECT 2",
    ] {
        let err = room.refused(sql).await;
        assert!(err.is_user_error(), "{sql}: {err:?}");
        let message = err.to_string();
        assert!(
            !message.to_lowercase().contains("phone"),
            "{sql}: {message}"
        );
        assert!(!message.contains("parquet\""), "{sql}: {message}");
    }
}

#[tokio::test]
async fn noise_is_added_to_counts_and_sums_and_needs_bounds() {
    let room = Room::new(true);
    let exact: BTreeMap<String, f64> = {
        let mut m = BTreeMap::new();
        for i in 0..PEOPLE {
            *m.entry(district(i).to_string()).or_insert(0.0) += 1.0;
        }
        m.remove(RARE_DISTRICT);
        m
    };
    let sql = "SELECT district, COUNT(*) AS n FROM insured GROUP BY district ORDER BY district";
    let mut differed = false;
    for _ in 0..3 {
        let r = room.run(sql, 0.1).await.unwrap();
        assert_clean(sql, &r, &room.key);
        assert_eq!(r.noise.map(|n| n.aggregates), Some(1));
        assert_eq!(r.noise.map(|n| n.epsilon), Some(0.1));
        assert_eq!(r.suppressed_groups, 1);
        let got = pairs(&r);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            exact.keys().collect::<Vec<_>>()
        );
        for (d, n) in &got {
            assert_eq!(n.fract(), 0.0, "counts stay whole numbers");
            assert!(*n >= 0.0);
            // Scale 10 at ε = 0.1: a draw beyond 250 has probability e^-25.
            assert!((n - exact[d]).abs() < 250.0, "{d}: {n} vs {}", exact[d]);
            differed |= *n != exact[d];
        }
    }
    assert!(
        differed,
        "three noisy answers of three groups were all exact"
    );
    // At a large ε the noise is small.
    let r = room.run(sql, 10.0).await.unwrap();
    for (d, n) in pairs(&r) {
        assert!((n - exact[&d]).abs() <= 3.0, "{d}: {n} vs {}", exact[&d]);
    }
    // AVG is a noisy sum over a noisy count; with clamping the value stays near the truth at a
    // large ε.
    let r = room
        .run(
            "SELECT district, AVG(wage), SUM(wage) FROM insured GROUP BY district",
            10.0,
        )
        .await
        .unwrap();
    assert_eq!(r.noise.map(|n| n.aggregates), Some(3));
    // SUM over a column without declared bounds cannot be noised.
    let err = room
        .refused("SELECT district, SUM(months) FROM insured GROUP BY district")
        .await;
    assert!(
        matches!(
            err,
            QueryError::CleanRoom {
                rule: cleanroom::Rule::NoiseBounds,
                ..
            }
        ),
        "{err}"
    );
    // A query of only dimensions spends nothing.
    let r = room
        .run("SELECT district FROM insured GROUP BY district", 0.1)
        .await
        .unwrap();
    assert!(r.noise.is_none());
    let names: HashSet<String> = pairs_first(&r);
    assert!(!names.contains(RARE_DISTRICT));
}

fn pairs_first(result: &CleanRoomRows) -> HashSet<String> {
    result
        .rows
        .rows()
        .into_iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect()
}

/// 30 people with one visit each and one with 500, all in one district; the owner declares at
/// most two rows per person.
fn visits(dir: &std::path::Path, noise: bool) -> CleanRoomTable {
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(citizen_id(i));
    }
    for _ in 0..500 {
        ids.push(citizen_id(99));
    }
    let n = ids.len();
    let schema = Schema::new(vec![
        Field::new("citizen_id", DataType::Utf8, false),
        Field::new("district", DataType::Utf8, false),
        Field::new("amount", DataType::Float64, false),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            strings(ids.into_iter()),
            strings((0..n).map(|_| "西湖区".to_string())),
            Arc::new(Float64Array::from_iter_values((0..n).map(|_| 10.0))),
        ],
    )
    .unwrap();
    let path = dir.join(if noise {
        "noisy.parquet"
    } else {
        "exact.parquet"
    });
    write_parquet(&path, &batch);
    let mut policy = Policy::for_entity("citizen_id");
    policy.noise = noise;
    policy.max_rows_per_entity = 2;
    policy.bounds = vec![Bounds {
        column: "amount".into(),
        lower: 0.0,
        upper: 100.0,
    }];
    let decision = decision(&[
        ("citizen_id", Verdict::JoinKeyOnly),
        ("district", Verdict::Raw),
        ("amount", Verdict::AggregateOnly),
    ]);
    CleanRoomTable {
        name: "visits".into(),
        parquet: path.into(),
        row_filter: Vec::new(),
        columns: cleanroom::columns(&decision, &policy, &[]),
        hidden: Vec::new(),
        min_entities: 10,
        noise,
        max_rows_per_entity: 2,
    }
}

#[tokio::test]
async fn under_noise_one_entity_contributes_at_most_its_declared_rows() {
    let dir = tempfile::tempdir().unwrap();
    let key = Arc::new(PseudonymKey::new(&[7u8; 32]).unwrap());
    let sql = "SELECT district, COUNT(*) AS n, SUM(amount) AS s FROM visits GROUP BY district";
    let keyed = engine().with_keyed_copies(dir.path().join("keyed"));
    for noise in [true, false] {
        let tables = vec![visits(dir.path(), noise)];
        for engine in [engine(), keyed.clone()] {
            // A very large ε, so the noise is far below one and the counts are exact.
            let r = answer(&engine, &key, &tables, sql, 1e7).await.unwrap();
            let row = &r.rows.rows()[0];
            let (n, s) = (row[1].as_f64().unwrap(), row[2].as_f64().unwrap());
            if noise {
                // 30 people with one row and the 500 rows of one person counted as 2.
                assert_eq!(n, 32.0, "{row:?}");
                assert!((s - 320.0).abs() < 0.01, "{row:?}");
                assert!(r.noise.is_some());
            } else {
                // Without noise nothing is bounded: k holds and the exact answer is the answer.
                assert_eq!(n, 530.0, "{row:?}");
                assert_eq!(s, 5300.0, "{row:?}");
            }
        }
    }
}
