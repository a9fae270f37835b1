//! The policy view: exactly the visible columns, masked values, the row filter.

use crate::fixtures::*;
use query::{Engine, Limits, PolicyTable, RestQuery};

#[tokio::test]
async fn the_view_has_exactly_the_visible_columns() {
    let fx = Fixture::new();
    let rows = fx.sql_ok("SELECT * FROM persons").await;
    let names: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["name", "mobile", "district", "age", "birth"]);
    let masked: Vec<bool> = rows.columns.iter().map(|c| c.masked).collect();
    assert_eq!(masked, [true, true, false, false, true]);
    let types: Vec<&str> = rows.columns.iter().map(|c| c.data_type.as_str()).collect();
    assert_eq!(types, ["string", "string", "string", "int64", "string"]);
    // Plain Utf8, not Utf8View, for raw and masked text alike.
    let schema = rows.batches[0].schema();
    assert_eq!(
        schema.field(0).data_type(),
        &arrow::datatypes::DataType::Utf8
    );
    assert_eq!(
        schema.field(2).data_type(),
        &arrow::datatypes::DataType::Utf8
    );
    assert_rows_clean("select *", &rows);
}

#[tokio::test]
async fn masked_values_are_masked_and_nulls_stay_null() {
    let fx = Fixture::new();
    let rows = fx
        .sql_ok("SELECT name, mobile, birth, age FROM persons ORDER BY age")
        .await;
    let kept: Vec<Person> = persons().into_iter().filter(|p| p.kept()).collect();
    assert_eq!(rows.row_count, kept.len());
    let names = column_texts(&rows, "name");
    let mobiles = column_texts(&rows, "mobile");
    let births = column_texts(&rows, "birth");
    for (i, p) in kept.iter().enumerate() {
        assert_eq!(names[i], model::mask::mask_name(&p.name));
        match &p.mobile {
            Some(m) => assert_eq!(mobiles[i], model::mask::mask_mobile(m)),
            None => assert_eq!(mobiles[i], "null"),
        }
        assert_eq!(births[i], p.birth_text()[..4]);
    }
    assert_rows_clean("masked", &rows);
}

#[tokio::test]
async fn the_row_filter_applies_to_every_path() {
    let fx = Fixture::new();
    let kept = persons().iter().filter(|p| p.kept()).count() as i64;
    assert_eq!(
        scalar_i64(&fx.sql_ok("SELECT count(*) FROM persons").await),
        kept
    );
    let distinct = fx.sql_ok("SELECT DISTINCT district FROM persons").await;
    assert_eq!(column_texts(&distinct, "district"), [KEPT]);
    let engine = engine();
    assert_eq!(
        engine
            .count(&fx.persons, &RestQuery::default())
            .await
            .unwrap(),
        kept as u64
    );
    let rows = engine
        .query(&fx.persons, &RestQuery::default())
        .await
        .unwrap();
    assert_eq!(rows.row_count as i64, kept);
    assert!(column_texts(&rows, "district").iter().all(|d| d == KEPT));
}

#[tokio::test]
async fn a_table_whose_decision_allows_no_rows_does_not_exist() {
    let fx = Fixture::new();
    let mut closed = fx.persons.clone();
    closed.decision.basis = model::access::Basis::None;
    let engine = engine();
    let err = engine
        .sql(&[closed.clone()], "SELECT count(*) FROM persons")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "table_not_found");
    let missing = engine
        .sql(&[closed.clone()], "SELECT count(*) FROM nothing_here")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "table_not_found");
    // The message has the same shape whether the table is missing or closed.
    assert_eq!(
        err.to_string().replace("persons", "X"),
        missing.to_string().replace("nothing_here", "X")
    );
    assert_eq!(
        engine
            .query(&closed, &RestQuery::default())
            .await
            .unwrap_err()
            .code(),
        "table_not_found"
    );
    assert_eq!(
        engine
            .count(&closed, &RestQuery::default())
            .await
            .unwrap_err()
            .code(),
        "table_not_found"
    );
    assert_eq!(
        engine
            .stream(&closed, &RestQuery::default())
            .await
            .unwrap_err()
            .code(),
        "table_not_found"
    );
    let mut spent = fx.persons.clone();
    spent.decision.quota_remaining = Some(0);
    assert_eq!(
        engine
            .sql(&[spent], "SELECT 1 FROM persons")
            .await
            .unwrap_err()
            .code(),
        "table_not_found"
    );
}

#[tokio::test]
async fn an_owner_sees_everything_raw() {
    let fx = Fixture::new();
    let owner = PolicyTable {
        decision: model::access::Decision {
            columns: fx
                .persons
                .decision
                .columns
                .iter()
                .map(|(n, _)| (n.clone(), model::access::Verdict::Raw))
                .collect(),
            row_filter: vec![],
            basis: model::access::Basis::Owner,
            quota_remaining: None,
        },
        ..fx.persons.clone()
    };
    let rows = crate::engine(Limits::default())
        .sql(
            &[owner],
            "SELECT citizen_id, mobile, income FROM persons ORDER BY citizen_id",
        )
        .await
        .unwrap();
    assert_eq!(rows.row_count, 12);
    assert_eq!(
        column_texts(&rows, "citizen_id")[0],
        persons()[0].citizen_id
    );
    assert!(rows.columns.iter().all(|c| !c.masked));
}

#[tokio::test]
async fn a_row_filter_that_does_not_fit_the_file_fails_closed() {
    let fx = Fixture::new();
    let mut broken = fx.persons.clone();
    broken.decision.row_filter[0].column = "no_such_column".into();
    let err = engine()
        .sql(&[broken.clone()], "SELECT count(*) FROM persons")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal");
    assert!(!err.to_string().contains("no_such_column"));
    let mut mistyped = fx.persons.clone();
    mistyped.decision.row_filter[0].column = "age".into();
    let err = engine()
        .sql(&[mistyped], "SELECT count(*) FROM persons")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal");
}

#[tokio::test]
async fn a_missing_file_is_an_internal_error_without_its_path() {
    let fx = Fixture::new();
    let mut gone = fx.persons.clone();
    gone.parquet = gone.parquet.with_file_name("gone-secret-name.parquet");
    let err = engine()
        .sql(&[gone], "SELECT count(*) FROM persons")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal");
    assert!(!err.to_string().contains("gone-secret-name"));
    assert!(format!("{err:?}").contains("gone-secret-name"), "{err:?}");
}

#[tokio::test]
async fn only_the_tables_a_query_reads_are_opened() {
    let fx = Fixture::new();
    let mut gone = fx.benefits.clone();
    gone.parquet = gone.parquet.with_file_name("missing.parquet");
    let rows = engine()
        .sql(&[fx.persons.clone(), gone], "SELECT count(*) FROM persons")
        .await
        .unwrap();
    assert_eq!(scalar_i64(&rows), 4);
}

#[tokio::test]
async fn two_tables_of_one_name_are_refused() {
    let fx = Fixture::new();
    let mut twin = fx.benefits.clone();
    twin.name = "persons".into();
    let err = engine()
        .sql(&[fx.persons.clone(), twin], "SELECT count(*) FROM persons")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "internal");
}

/// The server awaits these inside axum handlers, which need `Send` futures.
#[test]
fn the_engine_and_its_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Engine>();
    let engine = engine();
    let fx_table = PolicyTable {
        name: "t".into(),
        parquet: "/nonexistent.parquet".into(),
        decision: granted_persons_decision(),
    };
    let tables = vec![fx_table.clone()];
    let q = RestQuery::default();
    let a = query::AggregateQuery::default();
    send(&engine.sql(&tables, "SELECT 1"));
    send(&engine.query(&fx_table, &q));
    send(&engine.aggregate(&fx_table, &a));
    send(&engine.count(&fx_table, &q));
    send(&engine.stream(&fx_table, &q));
}
