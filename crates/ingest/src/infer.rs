//! Column type inference over a stream of cell values.
//!
//! Every candidate type starts possible and is ruled out by the first value that does not parse
//! as it; the survivor with the highest priority wins (int64, float64, boolean, date, timestamp,
//! string). Each candidate keeps its own min and max while it survives, so the profile's min/max
//! are compared as numbers or dates rather than as text, without a second look at the data.

use crate::value::{self, Strictness};
use arrow_schema::{DataType, TimeUnit};

/// The type a column is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnType {
    Int64,
    Float64,
    Boolean,
    Date,
    /// Microseconds; `utc` when every value carried an offset (and was converted to UTC).
    Timestamp {
        utc: bool,
    },
    String,
}

impl ColumnType {
    /// The `data_type` reported to the server.
    pub(crate) fn code(self) -> &'static str {
        match self {
            ColumnType::Int64 => "int64",
            ColumnType::Float64 => "float64",
            ColumnType::Boolean => "boolean",
            ColumnType::Date => "date",
            ColumnType::Timestamp { .. } => "timestamp",
            ColumnType::String => "string",
        }
    }

    /// The Arrow type the column is written as.
    pub(crate) fn arrow_type(self) -> DataType {
        match self {
            ColumnType::Int64 => DataType::Int64,
            ColumnType::Float64 => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Date => DataType::Date32,
            ColumnType::Timestamp { utc } => {
                DataType::Timestamp(TimeUnit::Microsecond, utc.then(|| "UTC".into()))
            }
            ColumnType::String => DataType::Utf8,
        }
    }

    /// The reported type of a column already typed by Arrow (a Parquet upload, kept as is).
    pub(crate) fn of_arrow(t: &DataType) -> ColumnType {
        match t {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => ColumnType::Int64,
            DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => ColumnType::Float64,
            DataType::Boolean => ColumnType::Boolean,
            DataType::Date32 | DataType::Date64 => ColumnType::Date,
            DataType::Timestamp(_, tz) => ColumnType::Timestamp { utc: tz.is_some() },
            DataType::Dictionary(_, value) => ColumnType::of_arrow(value),
            _ => ColumnType::String,
        }
    }
}

/// Running minimum and maximum, and whether the values came in ascending order.
#[derive(Debug, Clone, Default)]
struct MinMax<T> {
    range: Option<(T, T)>,
    /// Some value was below the maximum before it, so the values are not in ascending order.
    descended: bool,
}

impl<T: PartialOrd + Clone> MinMax<T> {
    fn observe(&mut self, v: T) {
        match &mut self.range {
            None => self.range = Some((v.clone(), v)),
            Some((lo, hi)) => {
                if v < *hi {
                    self.descended = true;
                }
                if v < *lo {
                    *lo = v;
                } else if v > *hi {
                    *hi = v;
                }
            }
        }
    }
}

/// Longest text kept for a string min/max; longer values are compared by this prefix.
const MAX_TEXT: usize = 200;

/// Values a column must have before [`Shape`] gives up on a type most values do not have.
const SHAPE_PATIENCE: u64 = 20;
/// Share of values of a type at which a text column is taken to be meant as that type, its
/// other values invalid (a number column with `N/A`, a date column with `2024-13-45`).
pub(crate) const SHAPE_MAJORITY: f64 = 0.8;

/// Counts the values of a column that parse as a number, and as a date or time, for as long as
/// most of them do: when a typed column is stored as text because a few values did not parse,
/// those few are its invalid cells. Gives up on a type once more than a fifth of at least
/// [`SHAPE_PATIENCE`] values failed it, so a text column costs a few parses per column only.
#[derive(Debug, Clone, Default)]
struct Shape {
    seen: u64,
    numbers: Option<u64>,
    temporal: Option<u64>,
}

impl Shape {
    fn new() -> Self {
        Shape {
            seen: 0,
            numbers: Some(0),
            temporal: Some(0),
        }
    }

    fn observe(&mut self, number: impl FnOnce() -> bool, temporal: impl FnOnce() -> bool) {
        self.seen += 1;
        let seen = self.seen;
        let keep = |ok: u64| seen < SHAPE_PATIENCE || (ok as f64) >= SHAPE_MAJORITY * seen as f64;
        if let Some(n) = self.numbers {
            let n = n + u64::from(number());
            self.numbers = keep(n).then_some(n);
        }
        if let Some(n) = self.temporal {
            let n = n + u64::from(temporal());
            self.temporal = keep(n).then_some(n);
        }
    }
}

/// Infers the type of one column from its non-null values.
#[derive(Debug, Clone)]
pub(crate) struct Inference {
    strictness: Strictness,
    values: u64,
    shape: Shape,
    int: Option<MinMax<i64>>,
    float: Option<MinMax<f64>>,
    boolean: Option<MinMax<bool>>,
    date: Option<MinMax<i32>>,
    timestamp: Option<MinMax<i64>>,
    naive_timestamps: bool,
    utc_timestamps: bool,
    text: MinMax<String>,
}

impl Inference {
    pub(crate) fn new(strictness: Strictness) -> Self {
        Inference {
            strictness,
            values: 0,
            shape: Shape::new(),
            int: Some(MinMax::default()),
            float: Some(MinMax::default()),
            boolean: Some(MinMax::default()),
            date: Some(MinMax::default()),
            timestamp: Some(MinMax::default()),
            naive_timestamps: false,
            utc_timestamps: false,
            text: MinMax::default(),
        }
    }

    /// Without the shape counts of the quality measures (a benchmark's baseline).
    pub(crate) fn measuring(mut self, on: bool) -> Self {
        if !on {
            self.shape.numbers = None;
            self.shape.temporal = None;
        }
        self
    }

    /// Takes one non-empty, trimmed value.
    pub(crate) fn observe(&mut self, v: &str) {
        self.values += 1;
        let mut whole = None;
        if let Some(mm) = &mut self.int {
            match value::parse_int(v, self.strictness) {
                Some(n) => {
                    mm.observe(n);
                    whole = Some(n);
                }
                None => self.int = None,
            }
        }
        if let Some(mm) = &mut self.float {
            // Text that parses as an integer parses as the float nearest to it, which is what the
            // conversion gives (both round to nearest), so the decimal parser can be skipped.
            // Except zero: `-0` is the float -0.
            let float = match whole {
                Some(n) if n != 0 => Some(n as f64),
                _ => value::parse_float(v, self.strictness),
            };
            match float {
                Some(f) => mm.observe(f),
                None => self.float = None,
            }
        }
        if let Some(mm) = &mut self.boolean {
            match value::parse_bool(v) {
                Some(b) => mm.observe(b),
                None => self.boolean = None,
            }
        }
        // A bare date can still be part of a timestamp column (midnight, no offset).
        let date = if self.date.is_some() || self.timestamp.is_some() {
            value::parse_date(v)
        } else {
            None
        };
        if let Some(mm) = &mut self.date {
            match date {
                Some(d) => mm.observe(d),
                None => self.date = None,
            }
        }
        if let Some(mm) = &mut self.timestamp {
            let ts = match date {
                Some(d) => Some((i64::from(d) * 86_400_000_000, false)),
                None => value::parse_timestamp(v),
            };
            match ts {
                Some((micros, utc)) => {
                    mm.observe(micros);
                    if utc {
                        self.utc_timestamps = true;
                    } else {
                        self.naive_timestamps = true;
                    }
                    // Mixing local and offset times would silently shift one of them.
                    if self.utc_timestamps && self.naive_timestamps {
                        self.timestamp = None;
                    }
                }
                None => self.timestamp = None,
            }
        }
        // While a candidate stands the value parsed as it; only a column that lost its candidates
        // pays for a second parse, and only while most of its values still parse.
        let number = self.int.is_some() || self.float.is_some();
        let temporal = self.date.is_some() || self.timestamp.is_some();
        let strictness = self.strictness;
        if self.shape.numbers.is_none() && self.shape.temporal.is_none() {
            self.observe_text(v);
            return;
        }
        self.shape.observe(
            || number || value::parse_float(v, strictness).is_some(),
            || {
                temporal
                    || date.is_some()
                    || value::parse_date(v).is_some()
                    || value::parse_timestamp(v).is_some()
            },
        );
        self.observe_text(v);
    }

    /// For a column stored as text whose values mostly have one type: that type (`number` or
    /// `date`) and how many values do not have it. `None` when the column has its type, or when
    /// no type covers at least [`SHAPE_MAJORITY`] of at least [`SHAPE_PATIENCE`] values.
    pub(crate) fn invalid(&self, ty: ColumnType) -> Option<(&'static str, u64)> {
        if ty != ColumnType::String || self.values < SHAPE_PATIENCE {
            return None;
        }
        [
            ("number", self.shape.numbers),
            ("date", self.shape.temporal),
        ]
        .into_iter()
        .filter_map(|(name, ok)| ok.map(|ok| (name, ok)))
        .filter(|(_, ok)| (*ok as f64) >= SHAPE_MAJORITY * self.values as f64 && *ok < self.values)
        .max_by_key(|(_, ok)| *ok)
        .map(|(name, ok)| (name, self.values - ok))
    }

    fn observe_text(&mut self, v: &str) {
        let v = truncate(v, MAX_TEXT);
        // Avoid allocating for values that change neither bound.
        let changes = match &self.text.range {
            None => true,
            Some((lo, hi)) => v < lo.as_str() || v > hi.as_str(),
        };
        if changes {
            self.text.observe(v.to_string());
        }
    }

    /// The inferred type: the highest-priority candidate still standing.
    pub(crate) fn resolve(&self) -> ColumnType {
        if self.values == 0 {
            ColumnType::String
        } else if self.int.is_some() {
            ColumnType::Int64
        } else if self.float.is_some() {
            ColumnType::Float64
        } else if self.boolean.is_some() {
            ColumnType::Boolean
        } else if self.date.is_some() {
            ColumnType::Date
        } else if self.timestamp.is_some() {
            ColumnType::Timestamp {
                utc: self.utc_timestamps,
            }
        } else {
            ColumnType::String
        }
    }

    /// Whether the column's values, read as `ty`, never decreased (nulls aside). Known for
    /// integers, dates and times; never said of floats (NaN has no place in the order), booleans
    /// or text (compared by a prefix only).
    pub(crate) fn ascending(&self, ty: ColumnType) -> bool {
        fn ascending<T>(m: &Option<MinMax<T>>) -> bool {
            m.as_ref().is_some_and(|m| !m.descended)
        }
        match ty {
            ColumnType::Int64 => ascending(&self.int),
            ColumnType::Date => ascending(&self.date),
            ColumnType::Timestamp { .. } => ascending(&self.timestamp),
            ColumnType::Float64 | ColumnType::Boolean | ColumnType::String => false,
        }
    }

    /// Min and max formatted for `ty`, falling back to text order when `ty`'s candidate was ruled
    /// out (possible for Parquet columns, whose type is not inferred here).
    pub(crate) fn min_max(&self, ty: ColumnType) -> (Option<String>, Option<String>) {
        fn fmt<T: Clone>(mm: &MinMax<T>, f: impl Fn(T) -> String) -> Option<(String, String)> {
            mm.range.clone().map(|(lo, hi)| (f(lo), f(hi)))
        }
        let typed = match ty {
            ColumnType::Int64 => self.int.as_ref().and_then(|m| fmt(m, |v| v.to_string())),
            ColumnType::Float64 => self
                .float
                .as_ref()
                .and_then(|m| fmt(m, value::format_float)),
            ColumnType::Boolean => self
                .boolean
                .as_ref()
                .and_then(|m| fmt(m, |v| v.to_string())),
            ColumnType::Date => self.date.as_ref().and_then(|m| fmt(m, value::format_date)),
            ColumnType::Timestamp { utc } => self
                .timestamp
                .as_ref()
                .and_then(|m| fmt(m, |v| value::format_timestamp(v, utc))),
            ColumnType::String => None,
        };
        match typed.or_else(|| self.text.range.clone()) {
            Some((lo, hi)) => (Some(lo), Some(hi)),
            None => (None, None),
        }
    }
}

/// At most `max` characters of `v`, cut at a character boundary.
pub(crate) fn truncate(v: &str, max: usize) -> &str {
    // A string of at most `max` bytes has at most `max` characters: no need to walk them.
    if v.len() <= max {
        return v;
    }
    match v.char_indices().nth(max) {
        Some((i, _)) => &v[..i],
        None => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(values: &[&str]) -> (ColumnType, Option<String>, Option<String>) {
        let mut inf = Inference::new(Strictness::Identifiers);
        for v in values {
            inf.observe(v);
        }
        let ty = inf.resolve();
        let (lo, hi) = inf.min_max(ty);
        (ty, lo, hi)
    }

    fn check(values: &[&str], ty: ColumnType, min: &str, max: &str) {
        assert_eq!(
            infer(values),
            (ty, Some(min.to_string()), Some(max.to_string())),
            "{values:?}"
        );
    }

    #[test]
    fn types() {
        use ColumnType::*;
        check(&["1", "10", "-3"], Int64, "-3", "10");
        check(&["1", "2.5", "10"], Float64, "1", "10");
        check(&["true", "FALSE"], Boolean, "false", "true");
        check(
            &["2024-01-02", "2023-12-31"],
            Date,
            "2023-12-31",
            "2024-01-02",
        );
        check(
            &["2024-01-02", "2024-01-01 10:00:00"],
            Timestamp { utc: false },
            "2024-01-01 10:00:00",
            "2024-01-02 00:00:00",
        );
        check(
            &["2024-01-01T10:00:00+08:00", "2024-01-01T00:00:00Z"],
            Timestamp { utc: true },
            "2024-01-01 00:00:00Z",
            "2024-01-01 02:00:00Z",
        );
        check(
            &["2024-01-01T10:00:00+08:00", "2024-01-01 00:00:00"],
            String,
            "2024-01-01 00:00:00",
            "2024-01-01T10:00:00+08:00",
        );
        check(&["1", "a"], String, "1", "a");
        check(&["9", "10"], Int64, "9", "10");
        // Identifiers stay text, compared as text.
        check(&["0571", "0572"], String, "0571", "0572");
        check(&["1", "0571"], String, "0571", "1");
        check(
            &["13812345678", "15900001111"],
            String,
            "13812345678",
            "15900001111",
        );
        check(
            &["11010519491231002X", "110105194912310029"],
            String,
            "110105194912310029",
            "11010519491231002X",
        );
        check(&["1", "true"], String, "1", "true");
        assert_eq!(infer(&[]), (String, None, None));
    }

    #[test]
    fn relaxed_keeps_long_numbers_numeric() {
        let mut inf = Inference::new(Strictness::Relaxed);
        for v in ["9", "13812345678"] {
            inf.observe(v);
        }
        assert_eq!(
            inf.min_max(ColumnType::Int64),
            (Some("9".into()), Some("13812345678".into()))
        );
        // A type whose candidate did not survive falls back to text order.
        assert_eq!(
            inf.min_max(ColumnType::Date),
            (Some("13812345678".into()), Some("9".into()))
        );
    }

    #[test]
    fn integers_observed_as_floats_as_parsed() {
        for v in [
            "1",
            "-7",
            "0",
            "-0",
            "9007199254740993",
            "-9223372036854775808",
            "1234567890",
        ] {
            let mut inf = Inference::new(Strictness::Relaxed);
            inf.observe(v);
            let parsed = value::parse_float(v, Strictness::Relaxed).unwrap();
            let (lo, _) = inf.float.as_ref().unwrap().range.unwrap();
            assert_eq!(lo.to_bits(), parsed.to_bits(), "{v}");
        }
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("浙江省杭州市", 2), "浙江");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
