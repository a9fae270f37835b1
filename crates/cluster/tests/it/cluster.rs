//! Local against cluster on generated data, where queries run, and what happens when the cluster
//! is unreachable.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use model::access::{Basis, Decision, Mask, Verdict};
use model::filter::{Condition, Literal, Op};
use model::pii::PiiKind;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use query::{
    AggFunc, AggregateQuery, Cluster, Engine, Limits, Metric, Placement, PolicyTable, Preference,
    RestQuery, Rows, SortKey,
};
use serde_json::Value;

use crate::harness;

/// A small deterministic generator (xorshift), so the data is the same on every run.
struct Numbers(u64);

impl Numbers {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const DISTRICTS: [&str; 6] = ["西湖区", "上城区", "拱墅区", "滨江区", "萧山区", "余杭区"];
const KINDS: [&str; 4] = ["咨询", "投诉", "求助", "建议"];

/// `rows` service records in row groups of 10,000 rows: `id` and `district`, `kind` (with
/// nulls), `amount` and `day` raw; `mobile` masked; `citizen_id` absent; rows of 余杭区 outside
/// the row filter.
fn services(dir: &Path, name: &str, rows: i64, seed: u64) -> PolicyTable {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("district", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, true),
        Field::new("amount", DataType::Int64, true),
        Field::new("day", DataType::Date32, false),
        Field::new("mobile", DataType::Utf8, true),
        Field::new("citizen_id", DataType::Utf8, false),
    ]));
    let mut n = Numbers(seed);
    let mut district = Vec::new();
    let mut kind = Vec::new();
    let mut amount = Vec::new();
    let mut day = Vec::new();
    let mut mobile = Vec::new();
    let mut citizen = Vec::new();
    for i in 0..rows {
        district.push(DISTRICTS[n.below(6) as usize]);
        kind.push(match n.below(10) {
            0 => None,
            k => Some(KINDS[(k % 4) as usize]),
        });
        amount.push(match n.below(20) {
            0 => None,
            _ => Some(n.below(100_000) as i64 - 1_000),
        });
        day.push(19_000 + n.below(700) as i32);
        mobile.push(Some(format!("13{:09}", n.below(1_000_000_000))));
        citizen.push(format!("33010619{:02}0101{:04}", 50 + i % 40, i % 10_000));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..rows)),
        Arc::new(StringArray::from(district)),
        Arc::new(StringArray::from(kind)),
        Arc::new(Int64Array::from(amount)),
        Arc::new(Date32Array::from(day)),
        Arc::new(StringArray::from(mobile)),
        Arc::new(StringArray::from(citizen)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let path = dir.join(format!("{name}.parquet"));
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(10_000))
        .build();
    let mut writer = ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        schema,
        Some(properties),
    )
    .unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    PolicyTable {
        name: name.into(),
        parquet: path.into(),
        decision: Decision {
            columns: vec![
                ("id".into(), Verdict::Raw),
                ("district".into(), Verdict::Raw),
                ("kind".into(), Verdict::Raw),
                ("amount".into(), Verdict::Raw),
                ("day".into(), Verdict::Raw),
                (
                    "mobile".into(),
                    Verdict::Masked {
                        mask: Mask::Pii(PiiKind::Mobile),
                    },
                ),
                ("citizen_id".into(), Verdict::Absent),
            ],
            row_filter: vec![Condition {
                column: "district".into(),
                op: Op::Ne,
                value: Some(Literal::Str("余杭区".into())),
            }],
            basis: Basis::Open,
            quota_remaining: None,
        },
    }
}

fn local() -> Engine {
    Engine::new(Limits::default())
}

fn on_cluster() -> Engine {
    Engine::new(Limits::default()).with_cluster(harness::cluster(0).without_fallback())
}

/// Rows as JSON text, in the result's order.
fn ordered(rows: &Rows) -> Vec<String> {
    rows.rows()
        .into_iter()
        .map(|r| Value::Array(r).to_string())
        .collect()
}

/// Rows as JSON text, sorted, for results without an order.
fn unordered(rows: &Rows) -> Vec<String> {
    let mut out = ordered(rows);
    out.sort();
    out
}

fn sort(column: &str, descending: bool) -> SortKey {
    SortKey {
        column: column.into(),
        descending,
    }
}

#[tokio::test]
async fn local_and_cluster_agree_on_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), "services", 60_000, 0x9e37_79b9_7f4a_7c15);
    let other = services_named(dir.path());
    let tables = vec![services.clone(), other];

    let queries = [
        RestQuery {
            filters: vec![
                Condition {
                    column: "district".into(),
                    op: Op::Eq,
                    value: Some(Literal::Str("西湖区".into())),
                },
                Condition {
                    column: "amount".into(),
                    op: Op::Gt,
                    value: Some(Literal::Int(50_000)),
                },
            ],
            sort: vec![sort("id", true)],
            limit: Some(100),
            include_total: true,
            ..Default::default()
        },
        RestQuery {
            q: Some("投诉".into()),
            fields: Some(vec!["id".into(), "mobile".into(), "day".into()]),
            sort: vec![sort("day", false), sort("id", false)],
            offset: 37,
            limit: Some(250),
            ..Default::default()
        },
        RestQuery {
            fields: Some(vec!["district".into(), "kind".into()]),
            distinct: true,
            sort: vec![sort("district", false), sort("kind", true)],
            limit: Some(1_000),
            ..Default::default()
        },
    ];
    for q in &queries {
        let here = local().query(&services, q).await.unwrap();
        let there = on_cluster().query(&services, q).await.unwrap();
        assert_eq!(here.placement, Placement::Local);
        assert_eq!(there.placement, Placement::Cluster);
        assert_eq!(ordered(&here), ordered(&there), "{q:?}");
        assert_eq!(here.total, there.total);
        assert_eq!(
            local().count(&services, q).await.unwrap(),
            on_cluster().count(&services, q).await.unwrap()
        );
    }

    let aggregate = AggregateQuery {
        group_by: vec!["district".into(), "kind".into()],
        metrics: vec![
            Metric {
                func: AggFunc::Count,
                column: None,
            },
            Metric {
                func: AggFunc::Sum,
                column: Some("amount".into()),
            },
            Metric {
                func: AggFunc::CountDistinct,
                column: Some("day".into()),
            },
            Metric {
                func: AggFunc::Max,
                column: Some("mobile".into()),
            },
        ],
        sort: vec![sort("district", false), sort("kind", false)],
        ..Default::default()
    };
    let here = local().aggregate(&services, &aggregate).await.unwrap();
    let there = on_cluster().aggregate(&services, &aggregate).await.unwrap();
    assert_eq!(there.placement, Placement::Cluster);
    assert_eq!(ordered(&here), ordered(&there));
    assert!(here.row_count > 10);

    let ordered_sql = [
        "SELECT district, kind, count(*) AS n, sum(amount) AS total FROM services \
         GROUP BY district, kind ORDER BY district, kind NULLS FIRST",
        "SELECT id, mobile, amount FROM services WHERE amount > 90000 ORDER BY amount DESC, id LIMIT 40",
        "SELECT s.district, count(*) AS n FROM services s JOIN other o ON s.id = o.id \
         WHERE o.kind = '求助' GROUP BY s.district ORDER BY s.district",
        "SELECT id, row_number() OVER (PARTITION BY district ORDER BY id) AS r FROM services \
         ORDER BY id LIMIT 30",
        "SELECT count(DISTINCT mobile) AS mobiles, min(day) AS first, max(day) AS last FROM services",
    ];
    for sql in ordered_sql {
        let here = local().sql(&tables, sql).await.unwrap();
        let there = on_cluster().sql(&tables, sql).await.unwrap();
        assert_eq!(there.placement, Placement::Cluster, "{sql}");
        assert_eq!(ordered(&here), ordered(&there), "{sql}");
        assert!(here.row_count > 0, "{sql}");
    }
    let unordered_sql = [
        "SELECT DISTINCT kind FROM services",
        "SELECT district, avg(amount) FILTER (WHERE kind IS NULL) AS a FROM services GROUP BY district",
    ];
    for sql in unordered_sql {
        let here = local().sql(&tables, sql).await.unwrap();
        let there = on_cluster().sql(&tables, sql).await.unwrap();
        assert_eq!(unordered(&here), unordered(&there), "{sql}");
    }
}

fn services_named(dir: &Path) -> PolicyTable {
    services(dir, "other", 20_000, 0x2545_f491_4f6c_dd1d)
}

#[tokio::test]
async fn downloads_stream_from_the_cluster() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), "services", 30_000, 7);
    let q = RestQuery {
        sort: vec![sort("id", false)],
        ..Default::default()
    };
    let mut stream = on_cluster().stream(&services, &q).await.unwrap();
    assert_eq!(stream.placement(), Placement::Cluster);
    let mut rows = 0;
    while let Some(batch) = stream.next().await {
        rows += batch.unwrap().num_rows();
    }
    let outside = local()
        .count(
            &services,
            &RestQuery {
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows as u64, outside);
    assert!(
        rows > 20_000 && rows < 30_000,
        "the row filter holds: {rows}"
    );
}

#[tokio::test]
async fn where_a_query_runs_follows_the_threshold_and_the_callers_wish() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), "services", 5_000, 11);
    let size = std::fs::metadata(dir.path().join("services.parquet"))
        .unwrap()
        .len();
    let q = RestQuery::default();
    let placed = |threshold: u64, preference: Preference| {
        let services = services.clone();
        let q = q.clone();
        async move {
            Engine::new(Limits::default())
                .with_cluster(harness::cluster(threshold).without_fallback())
                .placed(preference)
                .query(&services, &q)
                .await
                .unwrap()
                .placement
        }
    };
    assert_eq!(placed(size, Preference::Auto).await, Placement::Cluster);
    assert_eq!(placed(size + 1, Preference::Auto).await, Placement::Local);
    assert_eq!(
        placed(size + 1, Preference::Cluster).await,
        Placement::Cluster
    );
    assert_eq!(placed(0, Preference::Local).await, Placement::Local);
    // Without a cluster every wish runs here.
    let rows = local()
        .placed(Preference::Cluster)
        .query(&services, &q)
        .await
        .unwrap();
    assert_eq!(rows.placement, Placement::Local);
}

#[tokio::test]
async fn an_unreachable_cluster_runs_the_query_here_or_fails_without_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let services = services(dir.path(), "services", 5_000, 13);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Arc::new(cluster::Client::new(&format!("http://127.0.0.1:{closed}")).unwrap());
    let q = RestQuery {
        sort: vec![sort("id", false)],
        limit: Some(10),
        ..Default::default()
    };
    let fallback = Engine::new(Limits::default()).with_cluster(Cluster::new(client.clone(), 0));
    let rows = fallback.query(&services, &q).await.unwrap();
    assert_eq!(rows.placement, Placement::Local);
    assert_eq!(
        ordered(&rows),
        ordered(&local().query(&services, &q).await.unwrap())
    );
    let strict =
        Engine::new(Limits::default()).with_cluster(Cluster::new(client, 0).without_fallback());
    let err = strict.query(&services, &q).await.unwrap_err();
    assert_eq!(err.code(), "internal", "{err}");
}
