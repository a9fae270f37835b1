//! Query results: collected rows with their column descriptions, and streams for downloads.

use std::pin::Pin;
use std::task::{Context, Poll};

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    SchemaRef, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::stream::BoxStream;
use futures::Stream;
use serde_json::{Map, Number, Value};

use crate::QueryError;

/// One output column.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnMeta {
    /// Its name.
    pub name: String,
    /// `string`, `int64` (any integer), `float64` (any float), `boolean`, `date`, `timestamp`,
    /// or Arrow's name of any other type.
    pub data_type: String,
    /// Whether the column is a masked column of the table, passed through unchanged.
    pub masked: bool,
}

/// The name of a type as the API shows it.
pub(crate) fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string".into(),
        t if t.is_integer() => "int64".into(),
        t if t.is_floating() => "float64".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        other => other.to_string(),
    }
}

/// Column descriptions for a schema; `masked` says which names are masked columns.
pub(crate) fn column_metas(schema: &SchemaRef, masked: impl Fn(&str) -> bool) -> Vec<ColumnMeta> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnMeta {
            name: f.name().clone(),
            data_type: type_name(f.data_type()),
            masked: masked(f.name()),
        })
        .collect()
}

/// A collected result.
#[derive(Debug, Clone)]
pub struct Rows {
    /// The output columns, in order.
    pub columns: Vec<ColumnMeta>,
    /// The rows, as Arrow batches.
    pub batches: Vec<RecordBatch>,
    /// Rows in `batches`.
    pub row_count: usize,
    /// Rows the query would return without offset and limit, when asked for.
    pub total: Option<u64>,
    /// Whether the row cap cut the result short.
    pub truncated: bool,
    /// Where the query ran.
    pub placement: crate::Placement,
}

impl Rows {
    /// The rows as JSON objects keyed by column name (a later column of the same name wins).
    pub fn records(&self) -> Vec<Map<String, Value>> {
        let mut out = Vec::with_capacity(self.row_count);
        for batch in &self.batches {
            let columns: Vec<Vec<Value>> = batch.columns().iter().map(json_values).collect();
            for row in 0..batch.num_rows() {
                let mut record = Map::new();
                for (meta, values) in self.columns.iter().zip(&columns) {
                    record.insert(meta.name.clone(), values[row].clone());
                }
                out.push(record);
            }
        }
        out
    }

    /// The rows as JSON arrays, in column order.
    pub fn rows(&self) -> Vec<Vec<Value>> {
        let mut out = Vec::with_capacity(self.row_count);
        for batch in &self.batches {
            let mut columns: Vec<std::vec::IntoIter<Value>> = batch
                .columns()
                .iter()
                .map(|c| json_values(c).into_iter())
                .collect();
            for _ in 0..batch.num_rows() {
                out.push(
                    columns
                        .iter_mut()
                        .map(|c| c.next().unwrap_or(Value::Null))
                        .collect(),
                );
            }
        }
        out
    }
}

/// The values of one column as JSON: numbers as numbers (non-finite floats as null), text as
/// strings, dates and timestamps in ISO 8601, anything else as Arrow displays it.
pub(crate) fn json_values(array: &ArrayRef) -> Vec<Value> {
    fn collect<T>(
        array: &dyn Array,
        value: impl Fn(usize) -> T,
        to_json: impl Fn(T) -> Value,
    ) -> Vec<Value> {
        (0..array.len())
            .map(|i| {
                if array.is_null(i) {
                    Value::Null
                } else {
                    to_json(value(i))
                }
            })
            .collect()
    }
    let float = |f: f64| {
        Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    };
    let a = array.as_ref();
    match array.data_type() {
        DataType::Null => vec![Value::Null; array.len()],
        DataType::Boolean => collect(a, |i| a.as_boolean().value(i), Value::Bool),
        DataType::Int8 => collect(a, |i| a.as_primitive::<Int8Type>().value(i), |v| v.into()),
        DataType::Int16 => collect(a, |i| a.as_primitive::<Int16Type>().value(i), |v| v.into()),
        DataType::Int32 => collect(a, |i| a.as_primitive::<Int32Type>().value(i), |v| v.into()),
        DataType::Int64 => collect(a, |i| a.as_primitive::<Int64Type>().value(i), |v| v.into()),
        DataType::UInt8 => collect(a, |i| a.as_primitive::<UInt8Type>().value(i), |v| v.into()),
        DataType::UInt16 => collect(a, |i| a.as_primitive::<UInt16Type>().value(i), |v| v.into()),
        DataType::UInt32 => collect(a, |i| a.as_primitive::<UInt32Type>().value(i), |v| v.into()),
        DataType::UInt64 => collect(a, |i| a.as_primitive::<UInt64Type>().value(i), |v| v.into()),
        DataType::Float16 => collect(
            a,
            |i| a.as_primitive::<Float16Type>().value(i).to_f64(),
            float,
        ),
        DataType::Float32 => collect(
            a,
            |i| a.as_primitive::<Float32Type>().value(i) as f64,
            float,
        ),
        DataType::Float64 => collect(a, |i| a.as_primitive::<Float64Type>().value(i), float),
        DataType::Utf8 => collect(
            a,
            |i| a.as_string::<i32>().value(i).to_string(),
            Value::String,
        ),
        DataType::LargeUtf8 => collect(
            a,
            |i| a.as_string::<i64>().value(i).to_string(),
            Value::String,
        ),
        DataType::Utf8View => collect(
            a,
            |i| a.as_string_view().value(i).to_string(),
            Value::String,
        ),
        _ => match ArrayFormatter::try_new(a, &FormatOptions::default()) {
            Ok(formatter) => collect(a, |i| formatter.value(i).to_string(), Value::String),
            Err(_) => vec![Value::Null; array.len()],
        },
    }
}

/// A result as a stream of record batches, with its schema and column descriptions.
///
/// The stream is `Send + 'static` and holds everything the query needs, memory pool included;
/// dropping it cancels the query.
pub struct RowStream {
    schema: SchemaRef,
    columns: Vec<ColumnMeta>,
    placement: crate::Placement,
    inner: BoxStream<'static, Result<RecordBatch, QueryError>>,
}

impl RowStream {
    /// A stream of batches of `schema`, described by `columns`.
    pub fn new(
        schema: SchemaRef,
        columns: Vec<ColumnMeta>,
        inner: impl Stream<Item = Result<RecordBatch, QueryError>> + Send + 'static,
    ) -> RowStream {
        RowStream {
            schema,
            columns,
            placement: crate::Placement::Local,
            inner: Box::pin(inner),
        }
    }

    /// The same stream, saying it runs at `placement`.
    pub fn placed(mut self, placement: crate::Placement) -> RowStream {
        self.placement = placement;
        self
    }

    /// Where the query runs.
    pub fn placement(&self) -> crate::Placement {
        self.placement
    }

    /// The Arrow schema of every batch.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// The output columns.
    pub fn columns(&self) -> &[ColumnMeta] {
        &self.columns
    }
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl Stream for RowStream {
    type Item = Result<RecordBatch, QueryError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    #[test]
    fn rows_and_records_agree() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
            Field::new("f", DataType::Float64, true),
            Field::new("d", DataType::Date32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("a"), Some("b")])),
                Arc::new(Float64Array::from(vec![Some(1.5), Some(f64::NAN)])),
                Arc::new(Date32Array::from(vec![Some(0), None])),
            ],
        )
        .unwrap();
        let rows = Rows {
            columns: column_metas(&schema, |_| false),
            batches: vec![batch],
            row_count: 2,
            total: None,
            truncated: false,
            placement: crate::Placement::Local,
        };
        assert_eq!(
            rows.rows(),
            vec![
                vec![
                    Value::from(1),
                    Value::from("a"),
                    Value::from(1.5),
                    Value::from("1970-01-01")
                ],
                vec![Value::Null, Value::from("b"), Value::Null, Value::Null],
            ]
        );
        assert_eq!(rows.records()[0]["s"], Value::from("a"));
        assert_eq!(rows.columns[3].data_type, "date");
    }
}
