//! REST queries, counts and aggregates over the policy view.

use crate::fixtures::*;
use model::filter::{Condition, Literal, Op};
use query::{AggFunc, AggregateQuery, Limits, Metric, QueryError, RestQuery, Rows, SortKey};

fn cond(column: &str, op: Op, value: Option<Literal>) -> Condition {
    Condition {
        column: column.into(),
        op,
        value,
    }
}

fn s(v: &str) -> Option<Literal> {
    Some(Literal::Str(v.into()))
}

async fn query(fx: &Fixture, q: RestQuery) -> Result<Rows, QueryError> {
    let result = engine().query(&fx.persons, &q).await;
    match &result {
        Ok(rows) => assert_rows_clean(&format!("{q:?}"), rows),
        Err(e) => assert_message_clean(&format!("{q:?}"), e),
    }
    result
}

fn kept() -> Vec<Person> {
    persons().into_iter().filter(|p| p.kept()).collect()
}

#[tokio::test]
async fn filters_see_masked_values_only() {
    let fx = Fixture::new();
    let person = kept().into_iter().find(|p| p.mobile.is_some()).unwrap();
    let raw = person.mobile.clone().unwrap();
    let masked = model::mask::mask_mobile(&raw);
    let by = |value: &str| RestQuery {
        filters: vec![cond("mobile", Op::Eq, s(value))],
        ..Default::default()
    };
    assert_eq!(query(&fx, by(&raw)).await.unwrap().row_count, 0);
    assert_eq!(query(&fx, by(&masked)).await.unwrap().row_count, 1);
    let like_raw = RestQuery {
        filters: vec![cond("mobile", Op::Like, s(&format!("{}%", &raw[..7])))],
        ..Default::default()
    };
    assert_eq!(query(&fx, like_raw).await.unwrap().row_count, 0);
    let nulls = RestQuery {
        filters: vec![cond("mobile", Op::IsNull, None)],
        ..Default::default()
    };
    assert_eq!(query(&fx, nulls).await.unwrap().row_count, 1);
    let rows = query(&fx, RestQuery::default()).await.unwrap();
    let masked_flags: Vec<(String, bool)> = rows
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.masked))
        .collect();
    assert!(masked_flags.contains(&("mobile".to_string(), true)));
    assert!(masked_flags.contains(&("age".to_string(), false)));
}

#[tokio::test]
async fn hidden_columns_are_unknown_to_filters_fields_and_sort() {
    let fx = Fixture::new();
    let cases = [
        RestQuery {
            filters: vec![cond("citizen_id", Op::Eq, s("1"))],
            ..Default::default()
        },
        RestQuery {
            filters: vec![cond("income", Op::Gt, Some(Literal::Int(0)))],
            ..Default::default()
        },
        RestQuery {
            filters: vec![cond("CITIZEN_ID", Op::IsNull, None)],
            ..Default::default()
        },
        RestQuery {
            fields: Some(vec!["name".into(), "citizen_id".into()]),
            ..Default::default()
        },
        RestQuery {
            sort: vec![SortKey {
                column: "income".into(),
                descending: true,
            }],
            ..Default::default()
        },
        RestQuery {
            fields: Some(vec!["name".into()]),
            distinct: true,
            sort: vec![SortKey {
                column: "citizen_id".into(),
                descending: false,
            }],
            ..Default::default()
        },
    ];
    for q in cases {
        let err = query(&fx, q.clone()).await.unwrap_err();
        assert_eq!(err.code(), "column_not_found", "{q:?}: {err}");
        assert!(
            matches!(err, QueryError::ColumnNotFound(None)),
            "{q:?}: {err}"
        );
    }
    // A column that simply does not exist reads exactly like a hidden one.
    let hidden = query(
        &fx,
        RestQuery {
            fields: Some(vec!["citizen_id".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    let err = query(
        &fx,
        RestQuery {
            fields: Some(vec!["nickname".into()]),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "column_not_found");
    assert_eq!(err.to_string(), hidden.to_string());
}

#[tokio::test]
async fn bad_filters_and_mismatched_types_are_refused() {
    let fx = Fixture::new();
    for (q, code) in [
        (
            RestQuery {
                filters: vec![cond("age", Op::Eq, s("old"))],
                ..Default::default()
            },
            "type_mismatch",
        ),
        (
            RestQuery {
                filters: vec![cond("age", Op::Like, s("3%"))],
                ..Default::default()
            },
            "type_mismatch",
        ),
        (
            RestQuery {
                filters: vec![cond("age", Op::In, Some(Literal::Int(3)))],
                ..Default::default()
            },
            "bad_filter",
        ),
        (
            RestQuery {
                filters: vec![cond("age", Op::Eq, None)],
                ..Default::default()
            },
            "bad_filter",
        ),
        (
            RestQuery {
                filters: vec![cond("age", Op::IsNull, Some(Literal::Int(1)))],
                ..Default::default()
            },
            "bad_filter",
        ),
        (
            RestQuery {
                fields: Some(vec!["name".into()]),
                distinct: true,
                sort: vec![SortKey {
                    column: "age".into(),
                    descending: false,
                }],
                ..Default::default()
            },
            "bad_sort",
        ),
    ] {
        let err = query(&fx, q.clone()).await.unwrap_err();
        assert_eq!(err.code(), code, "{q:?}: {err}");
    }
}

#[tokio::test]
async fn filters_sort_fields_offset_limit_distinct_and_total() {
    let fx = Fixture::new();
    let kept = kept();
    let q = RestQuery {
        filters: vec![
            cond("age", Op::Gte, Some(Literal::Int(33))),
            cond("age", Op::Ne, Some(Literal::Str("36".into()))),
        ],
        fields: Some(vec!["age".into(), "mobile".into()]),
        sort: SortKey::parse_list("-age").unwrap(),
        limit: Some(1),
        offset: 1,
        include_total: true,
        ..Default::default()
    };
    let rows = query(&fx, q).await.unwrap();
    let names: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["age", "mobile"]);
    let expected: Vec<i64> = {
        let mut ages: Vec<i64> = kept
            .iter()
            .map(|p| p.age)
            .filter(|a| *a >= 33 && *a != 36)
            .collect();
        ages.sort_by(|a, b| b.cmp(a));
        ages
    };
    assert_eq!(rows.total, Some(expected.len() as u64));
    assert_eq!(column_texts(&rows, "age"), [expected[1].to_string()]);
    assert!(!rows.truncated);

    let distinct = query(
        &fx,
        RestQuery {
            fields: Some(vec!["district".into()]),
            distinct: true,
            include_total: true,
            sort: SortKey::parse_list("district desc").unwrap(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(distinct.row_count, 1);
    assert_eq!(distinct.total, Some(1));

    let in_list = query(
        &fx,
        RestQuery {
            filters: vec![cond(
                "age",
                Op::In,
                Some(Literal::List(vec![
                    Literal::Int(30),
                    Literal::Int(39),
                    Literal::Int(OUTSIDE_AGE),
                ])),
            )],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(in_list.row_count, 2);
}

#[tokio::test]
async fn q_searches_visible_text_case_insensitively() {
    let fx = Fixture::new();
    let raw = kept()[0].mobile.clone().unwrap();
    let search = |text: &str| RestQuery {
        q: Some(text.into()),
        include_total: true,
        ..Default::default()
    };
    assert_eq!(query(&fx, search(&raw)).await.unwrap().row_count, 0);
    assert_eq!(query(&fx, search(&raw[..5])).await.unwrap().row_count, 0);
    assert_eq!(
        query(&fx, search("西湖")).await.unwrap().row_count,
        kept().len()
    );
    assert_eq!(query(&fx, search("上城")).await.unwrap().row_count, 0);
    // % and _ are literal characters, * is part of masked values.
    assert_eq!(query(&fx, search("%")).await.unwrap().row_count, 0);
    assert_eq!(query(&fx, search("_")).await.unwrap().row_count, 0);
    assert!(query(&fx, search("****")).await.unwrap().row_count >= 3);
    // The hidden citizen ID is not searched.
    let id = kept()[0].citizen_id.clone();
    assert_eq!(query(&fx, search(&id[10..])).await.unwrap().row_count, 0);
}

#[tokio::test]
async fn the_limit_defaults_to_100_and_is_capped_at_max_rows() {
    let fx = Fixture::new();
    let engine = crate::engine(Limits {
        max_rows: 2,
        ..Limits::default()
    });
    let rows = engine
        .query(
            &fx.persons,
            &RestQuery {
                limit: Some(50),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.row_count, 2);
    assert!(rows.truncated);
    let rows = engine
        .query(
            &fx.persons,
            &RestQuery {
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.row_count, 2);
    assert!(
        !rows.truncated,
        "a page the caller asked for is not truncated"
    );
    let rows = engine
        .query(
            &fx.persons,
            &RestQuery {
                limit: Some(50),
                offset: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rows.row_count, 1);
    assert!(!rows.truncated);
    let default = crate::fixtures::engine()
        .query(&fx.persons, &RestQuery::default())
        .await
        .unwrap();
    assert_eq!(default.row_count, kept().len());
    assert_eq!(query::DEFAULT_LIMIT, 100);
}

#[tokio::test]
async fn count_is_the_rows_without_offset_and_limit() {
    let fx = Fixture::new();
    let q = RestQuery {
        filters: vec![cond("age", Op::Lt, Some(Literal::Float(36.5)))],
        limit: Some(1),
        offset: 2,
        ..Default::default()
    };
    let expected = kept().iter().filter(|p| (p.age as f64) < 36.5).count() as u64;
    assert_eq!(engine().count(&fx.persons, &q).await.unwrap(), expected);
    let err = engine()
        .count(
            &fx.persons,
            &RestQuery {
                filters: vec![cond("citizen_id", Op::NotNull, None)],
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, QueryError::ColumnNotFound(None)));
}

fn metric(func: AggFunc, column: Option<&str>) -> Metric {
    Metric {
        func,
        column: column.map(String::from),
    }
}

async fn aggregate(fx: &Fixture, a: &AggregateQuery) -> Result<Rows, QueryError> {
    let result = engine().aggregate(&fx.persons, a).await;
    match &result {
        Ok(rows) => assert_rows_clean(&format!("{a:?}"), rows),
        Err(e) => assert_message_clean(&format!("{a:?}"), e),
    }
    result
}

#[tokio::test]
async fn aggregates_over_visible_columns() {
    let fx = Fixture::new();
    let kept = kept();
    let a = AggregateQuery {
        group_by: vec!["district".into()],
        metrics: vec![
            metric(AggFunc::Count, None),
            metric(AggFunc::Count, Some("mobile")),
            metric(AggFunc::CountDistinct, Some("name")),
            metric(AggFunc::Sum, Some("age")),
            metric(AggFunc::Avg, Some("age")),
            metric(AggFunc::Min, Some("mobile")),
            metric(AggFunc::Max, Some("age")),
        ],
        ..Default::default()
    };
    let rows = aggregate(&fx, &a).await.unwrap();
    let names: Vec<&str> = rows.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "district",
            "count",
            "count_mobile",
            "count_distinct_name",
            "sum_age",
            "avg_age",
            "min_mobile",
            "max_age"
        ]
    );
    let records = rows.records();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["district"], KEPT);
    assert_eq!(r["count"], kept.len() as i64);
    assert_eq!(
        r["count_mobile"],
        kept.iter().filter(|p| p.mobile.is_some()).count() as i64
    );
    assert_eq!(r["sum_age"], kept.iter().map(|p| p.age).sum::<i64>());
    assert_eq!(r["max_age"], kept.iter().map(|p| p.age).max().unwrap());
    assert!(r["min_mobile"].as_str().unwrap().contains("****"));
    assert_eq!(
        rows.columns
            .iter()
            .find(|c| c.name == "min_mobile")
            .unwrap()
            .data_type,
        "string"
    );
    assert_eq!(
        rows.columns
            .iter()
            .find(|c| c.name == "avg_age")
            .unwrap()
            .data_type,
        "float64"
    );

    // Grouping by a masked column groups masked values, and says so.
    let by_mask = aggregate(
        &fx,
        &AggregateQuery {
            group_by: vec!["birth".into()],
            metrics: vec![metric(AggFunc::Count, None)],
            sort: SortKey::parse_list("count desc, birth").unwrap(),
            limit: Some(2),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(by_mask.row_count, 2);
    assert!(!by_mask.truncated);
    assert!(by_mask.columns[0].masked);
    assert!(!by_mask.columns[1].masked);
    assert!(column_texts(&by_mask, "birth").iter().all(|b| b.len() == 4));
}

#[tokio::test]
async fn aggregates_refuse_hidden_columns_and_malformed_requests() {
    let fx = Fixture::new();
    let cases = [
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::CountDistinct, Some("citizen_id"))],
                ..Default::default()
            },
            "column_not_found",
        ),
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::Sum, Some("income"))],
                ..Default::default()
            },
            "column_not_found",
        ),
        (
            AggregateQuery {
                group_by: vec!["citizen_id".into()],
                metrics: vec![metric(AggFunc::Count, None)],
                ..Default::default()
            },
            "column_not_found",
        ),
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::Count, None)],
                filters: vec![cond("income", Op::Gt, Some(Literal::Int(1)))],
                ..Default::default()
            },
            "column_not_found",
        ),
        (AggregateQuery::default(), "bad_aggregate"),
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::Sum, Some("mobile"))],
                ..Default::default()
            },
            "bad_aggregate",
        ),
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::Avg, None)],
                ..Default::default()
            },
            "bad_aggregate",
        ),
        (
            AggregateQuery {
                metrics: vec![metric(AggFunc::Count, None), metric(AggFunc::Count, None)],
                ..Default::default()
            },
            "bad_aggregate",
        ),
        (
            AggregateQuery {
                group_by: vec!["district".into()],
                metrics: vec![metric(AggFunc::Count, None)],
                sort: SortKey::parse_list("age").unwrap(),
                ..Default::default()
            },
            "bad_sort",
        ),
    ];
    for (a, code) in cases {
        let err = aggregate(&fx, &a).await.unwrap_err();
        assert_eq!(err.code(), code, "{a:?}: {err}");
    }
}

#[tokio::test]
async fn aggregates_are_capped_at_max_rows() {
    let fx = Fixture::new();
    let engine = crate::engine(Limits {
        max_rows: 2,
        ..Limits::default()
    });
    let a = AggregateQuery {
        group_by: vec!["age".into()],
        metrics: vec![metric(AggFunc::Count, None)],
        ..Default::default()
    };
    let rows = engine.aggregate(&fx.persons, &a).await.unwrap();
    assert_eq!(rows.row_count, 2);
    assert!(rows.truncated);
}
