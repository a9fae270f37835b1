//! Row conditions (`model::filter::Condition`) as DataFusion expressions.
//!
//! The same translation serves a grant's row filter (against the Parquet file's own schema) and
//! REST filters (against the policy view's schema). Only the whitelisted operators exist, each
//! literal is converted to the type of its column before the expression is built, and columns
//! are referred to by their exact name, so nothing the caller sends is ever parsed as SQL.

use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::common::{Column, ScalarValue};
use datafusion::logical_expr::{lit, Expr};
use model::filter::{Condition, Literal, Op};

use crate::QueryError;

/// A column by its exact name (no parsing of dots or case folding).
pub(crate) fn column(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// Whether values of this type are text.
pub(crate) fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Whether values of this type are numbers.
pub(crate) fn is_numeric(data_type: &DataType) -> bool {
    data_type.is_numeric()
}

/// The expression for one condition on a table with `schema`.
pub(crate) fn condition_expr(c: &Condition, schema: &Schema) -> Result<Expr, QueryError> {
    c.validate().map_err(|e| {
        QueryError::BadFilter(format!(
            "A filter is malformed: {e}; see the filter grammar in the API documentation."
        ))
    })?;
    let field = schema
        .field_with_name(&c.column)
        .map_err(|_| QueryError::ColumnNotFound(Some(c.column.clone())))?;
    let data_type = field.data_type();
    let target = column(&c.column);
    let value = |lit_value: &Literal| literal(&c.column, data_type, lit_value);
    let single = || match &c.value {
        Some(v) => value(v),
        None => Err(QueryError::BadFilter(format!(
            "The filter on `{}` needs a value.",
            c.column
        ))),
    };
    let list = || -> Result<Vec<Expr>, QueryError> {
        match &c.value {
            Some(Literal::List(items)) => items.iter().map(value).collect(),
            _ => Err(QueryError::BadFilter(format!(
                "The filter on `{}` needs a list of values.",
                c.column
            ))),
        }
    };
    Ok(match c.op {
        Op::Eq => target.eq(single()?),
        Op::Ne => target.not_eq(single()?),
        Op::Lt => target.lt(single()?),
        Op::Lte => target.lt_eq(single()?),
        Op::Gt => target.gt(single()?),
        Op::Gte => target.gt_eq(single()?),
        Op::In => target.in_list(list()?, false),
        Op::NotIn => target.in_list(list()?, true),
        Op::Like => {
            if !is_text(data_type) {
                return Err(QueryError::TypeMismatch(format!(
                    "The like filter applies to text columns only, and `{}` is not text; use eq, lt or gt instead.",
                    c.column
                )));
            }
            target.like(single()?)
        }
        Op::IsNull => target.is_null(),
        Op::NotNull => target.is_not_null(),
    })
}

/// All conditions AND-ed; `None` when there are none.
pub(crate) fn conjunction(
    conditions: &[Condition],
    schema: &Schema,
) -> Result<Option<Expr>, QueryError> {
    let exprs = conditions
        .iter()
        .map(|c| condition_expr(c, schema))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(datafusion::logical_expr::utils::conjunction(exprs))
}

/// A literal converted to the type of its column.
fn literal(column: &str, data_type: &DataType, value: &Literal) -> Result<Expr, QueryError> {
    let mismatch = || {
        QueryError::TypeMismatch(format!(
            "The value {value} does not fit column `{column}`, which holds {}; send a value of that type.",
            crate::rows::type_name(data_type)
        ))
    };
    let cast = |v: ScalarValue| v.cast_to(data_type).map_err(|_| mismatch());
    let scalar = match (value, data_type) {
        (Literal::Null | Literal::List(_), _) => return Err(mismatch()),
        (_, t) if is_text(t) => {
            let text = match value {
                Literal::Str(s) => s.clone(),
                other => other.to_string(),
            };
            cast(ScalarValue::Utf8(Some(text)))?
        }
        (Literal::Bool(b), DataType::Boolean) => ScalarValue::Boolean(Some(*b)),
        (Literal::Str(s), DataType::Boolean) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => ScalarValue::Boolean(Some(true)),
            "false" => ScalarValue::Boolean(Some(false)),
            _ => return Err(mismatch()),
        },
        (_, DataType::Boolean) => return Err(mismatch()),
        (Literal::Bool(_), _) => return Err(mismatch()),
        (Literal::Int(i), t) if t.is_integer() => cast(ScalarValue::Int64(Some(*i)))?,
        (Literal::Float(f), t) if t.is_integer() => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                cast(ScalarValue::Int64(Some(*f as i64)))?
            } else {
                // Compared as a float: DataFusion widens the column, so 1.5 never equals an int.
                ScalarValue::Float64(Some(*f))
            }
        }
        (Literal::Int(i), t) if is_numeric(t) => cast(ScalarValue::Float64(Some(*i as f64)))
            .or_else(|_| cast(ScalarValue::Int64(Some(*i))))?,
        (Literal::Float(f), t) if is_numeric(t) => cast(ScalarValue::Float64(Some(*f)))?,
        (Literal::Str(s), t) if t.is_integer() => match s.trim().parse::<i64>() {
            Ok(i) => cast(ScalarValue::Int64(Some(i)))?,
            Err(_) => match s.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => ScalarValue::Float64(Some(f)),
                _ => return Err(mismatch()),
            },
        },
        (Literal::Str(s), t) if is_numeric(t) => match s.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => cast(ScalarValue::Float64(Some(f)))?,
            _ => return Err(mismatch()),
        },
        (Literal::Str(s), _) => cast(ScalarValue::Utf8(Some(s.trim().to_string())))?,
        (Literal::Int(_) | Literal::Float(_), _) => return Err(mismatch()),
    };
    Ok(lit(scalar))
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, TimeUnit};

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("i", DataType::Int64, true),
            Field::new("f", DataType::Float64, true),
            Field::new("b", DataType::Boolean, true),
            Field::new("d", DataType::Date32, true),
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
        ])
    }

    fn check(column: &str, op: Op, value: Option<Literal>, expected: Result<&str, &str>) {
        let c = Condition {
            column: column.into(),
            op,
            value,
        };
        let got = condition_expr(&c, &schema());
        match (got, expected) {
            (Ok(expr), Ok(text)) => assert_eq!(expr.to_string(), text, "{c:?}"),
            (Err(e), Err(code)) => assert_eq!(e.code(), code, "{c:?}: {e}"),
            (got, expected) => panic!("{c:?}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn literals_take_the_type_of_their_column() {
        check("i", Op::Eq, Some(Literal::Int(3)), Ok("i = Int64(3)"));
        check(
            "i",
            Op::Eq,
            Some(Literal::Str("3".into())),
            Ok("i = Int64(3)"),
        );
        check(
            "i",
            Op::Gt,
            Some(Literal::Float(2.5)),
            Ok("i > Float64(2.5)"),
        );
        check(
            "i",
            Op::Eq,
            Some(Literal::Str("x".into())),
            Err("type_mismatch"),
        );
        check("i", Op::Eq, Some(Literal::Bool(true)), Err("type_mismatch"));
        check("f", Op::Lt, Some(Literal::Int(2)), Ok("f < Float64(2)"));
        check("s", Op::Eq, Some(Literal::Int(7)), Ok("s = Utf8(\"7\")"));
        check(
            "b",
            Op::Eq,
            Some(Literal::Str("TRUE".into())),
            Ok("b = Boolean(true)"),
        );
        check("b", Op::Eq, Some(Literal::Int(1)), Err("type_mismatch"));
        check(
            "d",
            Op::Gte,
            Some(Literal::Str("2020-01-31".into())),
            Ok("d >= Date32(\"2020-01-31\")"),
        );
        check(
            "d",
            Op::Gte,
            Some(Literal::Str("someday".into())),
            Err("type_mismatch"),
        );
        check("d", Op::Gte, Some(Literal::Int(3)), Err("type_mismatch"));
        check(
            "t",
            Op::Lt,
            Some(Literal::Str("yesterday".into())),
            Err("type_mismatch"),
        );
    }

    #[test]
    fn operators_and_their_values() {
        check(
            "s",
            Op::Like,
            Some(Literal::Str("a%".into())),
            Ok("s LIKE Utf8(\"a%\")"),
        );
        check(
            "i",
            Op::Like,
            Some(Literal::Str("1%".into())),
            Err("type_mismatch"),
        );
        check("s", Op::IsNull, None, Ok("s IS NULL"));
        check("s", Op::NotNull, None, Ok("s IS NOT NULL"));
        check(
            "i",
            Op::In,
            Some(Literal::List(vec![
                Literal::Int(1),
                Literal::Str("2".into()),
            ])),
            Ok("i IN ([Int64(1), Int64(2)])"),
        );
        check("i", Op::In, Some(Literal::Int(1)), Err("bad_filter"));
        check("i", Op::Eq, None, Err("bad_filter"));
        check(
            "nope",
            Op::Eq,
            Some(Literal::Int(1)),
            Err("column_not_found"),
        );
        check("S", Op::Eq, Some(Literal::Int(1)), Err("column_not_found"));
    }
}
