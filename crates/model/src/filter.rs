//! Row conditions: the grammar shared by REST query filters and the row scope of a grant.
//!
//! A condition names a column, one of a short whitelist of operators, and a literal value.
//! Conditions are data, never SQL text: the query crate turns them into DataFusion expressions.
//!
//! Grammar of the JSON form, as the REST API accepts it:
//!
//! ```text
//! condition := { "column": NAME, "op": OP, "value": LITERAL | [LITERAL, ...] }
//! OP        := eq | ne | lt | lte | gt | gte | in | not_in | like | is_null | not_null
//! LITERAL   := string | number | true | false | null
//! ```
//!
//! `in` and `not_in` take a non-empty list; `is_null` and `not_null` take no value; `like` takes a
//! string in which `%` and `_` are the SQL wildcards.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A literal in a condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Literal {
    /// JSON `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A list, for `in` and `not_in`.
    List(Vec<Literal>),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Int(i) => write!(f, "{i}"),
            Literal::Float(x) => write!(f, "{x}"),
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The whitelisted comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `IN (…)`
    In,
    /// `NOT IN (…)`
    NotIn,
    /// `LIKE`
    Like,
    /// `IS NULL`
    IsNull,
    /// `IS NOT NULL`
    NotNull,
}

impl Op {
    /// Every operator.
    pub const ALL: &'static [Op] = &[
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::In,
        Op::NotIn,
        Op::Like,
        Op::IsNull,
        Op::NotNull,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Like => "like",
            Op::IsNull => "is_null",
            Op::NotNull => "not_null",
        }
    }
}

impl FromStr for Op {
    type Err = FilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.code() == s)
            .ok_or_else(|| FilterError::UnknownOperator(s.to_string()))
    }
}

/// One condition on one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Column name, exactly as the table has it.
    pub column: String,
    /// Operator.
    pub op: Op,
    /// Value; absent for `is_null` and `not_null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Literal>,
}

/// What is wrong with a condition.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    /// The operator is not on the whitelist.
    #[error("unknown filter operator `{0}`; use one of eq, ne, lt, lte, gt, gte, in, not_in, like, is_null, not_null")]
    UnknownOperator(String),
    /// `in`/`not_in` without a non-empty list, or a list given to another operator.
    #[error("operator `{op}` on column `{column}` {expected}")]
    BadValue {
        /// Column.
        column: String,
        /// Operator code.
        op: &'static str,
        /// What the operator expects, as a sentence fragment.
        expected: &'static str,
    },
}

impl Condition {
    /// Checks that the value fits the operator.
    pub fn validate(&self) -> Result<(), FilterError> {
        let bad = |expected| FilterError::BadValue {
            column: self.column.clone(),
            op: self.op.code(),
            expected,
        };
        match (self.op, &self.value) {
            (Op::IsNull | Op::NotNull, None | Some(Literal::Null)) => Ok(()),
            (Op::IsNull | Op::NotNull, Some(_)) => Err(bad("takes no value")),
            (Op::In | Op::NotIn, Some(Literal::List(items)))
                if !items.is_empty()
                    && items
                        .iter()
                        .all(|i| !matches!(i, Literal::List(_) | Literal::Null)) =>
            {
                Ok(())
            }
            (Op::In | Op::NotIn, _) => Err(bad("needs a non-empty list of values")),
            (Op::Like, Some(Literal::Str(_))) => Ok(()),
            (Op::Like, _) => Err(bad("needs a string pattern")),
            (_, Some(Literal::List(_))) => Err(bad("takes one value, not a list")),
            (_, None | Some(Literal::Null)) => Err(bad(
                "needs a value (use is_null or not_null to test for null)",
            )),
            (_, Some(_)) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(op: Op, value: Option<Literal>, ok: bool) {
        let c = Condition {
            column: "c".into(),
            op,
            value: value.clone(),
        };
        assert_eq!(c.validate().is_ok(), ok, "{op:?} {value:?}");
    }

    #[test]
    fn values_must_fit_operators() {
        check(Op::Eq, Some(Literal::Int(1)), true);
        check(Op::Eq, None, false);
        check(Op::Eq, Some(Literal::List(vec![Literal::Int(1)])), false);
        check(Op::In, Some(Literal::List(vec![Literal::Int(1)])), true);
        check(Op::In, Some(Literal::List(vec![])), false);
        check(Op::In, Some(Literal::Int(1)), false);
        check(
            Op::NotIn,
            Some(Literal::List(vec![Literal::List(vec![])])),
            false,
        );
        check(Op::Like, Some(Literal::Str("a%".into())), true);
        check(Op::Like, Some(Literal::Int(1)), false);
        check(Op::IsNull, None, true);
        check(Op::NotNull, Some(Literal::Int(1)), false);
    }

    #[test]
    fn operators_round_trip_through_their_codes() {
        for op in Op::ALL {
            assert_eq!(op.code().parse::<Op>().unwrap(), *op);
        }
        assert!("drop".parse::<Op>().is_err());
    }
}
