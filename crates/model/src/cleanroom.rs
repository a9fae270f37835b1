//! The rules of the fusion clean room (可用不可见), DESIGN.md C6.
//!
//! A clean-room query is SQL over datasets of different organizations that returns only
//! aggregates protecting every person and firm in them. This module holds what is pure in that:
//!
//! - the owner's [`Policy`] per dataset: the entity column(s) that identify a person or firm, the
//!   columns allowed as join keys, the minimum number of distinct entities per output group `k`
//!   (default [`DEFAULT_MIN_ENTITIES`]), whether noise is required, and the per-entity bounds of
//!   numeric columns that noise needs;
//! - what each column becomes in a clean-room view ([`columns`]): a dimension (L1 and L2, usable
//!   in `GROUP BY`, `WHERE` and aggregates), a measure (L3, only inside an aggregate), a join key
//!   (compared only as a keyed pseudonym, in an equality join), or an entity column (never
//!   named by the query at all; the platform counts its distinct values per group);
//! - the [`Rule`]s a query can fail, each with a stable code, so a refusal names its rule;
//! - the arithmetic of noise: [`laplace`] from a uniform draw, the sensitivities, and the ε
//!   budget kept in millionths so that spending is exact.
//!
//! # Noise and what it assumes
//!
//! COUNT and SUM get Laplace noise of scale Δ/ε′, where ε′ is the query's ε divided equally among
//! the noisy aggregates it computes (AVG is a noisy SUM over a noisy COUNT, two of them), and Δ
//! is the most one entity can change the value: 1 for a count and `max(|lower|, |upper|)` for a
//! sum of values clamped to the declared bounds, both multiplied by the declared most rows one
//! entity has in each table the query reads. Groups are disjoint, so one entity affects one group
//! per table row it has; that is what the row bound covers. The bound is the owner's declaration,
//! and the query engine makes it hold: under noise each table read passes at most that many rows
//! of one entity to the aggregates (the rest of that entity's rows are dropped). Two queries whose difference is one person (a differencing pair) are
//! exactly what noise and the budget defend against: each costs ε, and once the grant's budget is
//! spent no further noisy query runs.

use crate::access::{Decision, Verdict};
use crate::classification::string_enum;
use crate::pii::PiiKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The minimum number of distinct entities per output group when the owner says nothing.
pub const DEFAULT_MIN_ENTITIES: u32 = 10;

/// The smallest `k` an owner may declare: a group of one entity is that entity.
pub const MIN_MIN_ENTITIES: u32 = 2;

/// The ε a noisy query spends when the caller names none.
pub const DEFAULT_QUERY_EPSILON: f64 = 0.1;

/// The largest ε budget one clean-room grant may carry.
pub const MAX_BUDGET: f64 = 10.0;

/// The ε budget of a clean-room grant when the application names none.
pub const DEFAULT_BUDGET: f64 = 1.0;

/// ε amounts are kept in millionths, so that spending adds integers.
pub const MICROS: f64 = 1_000_000.0;

/// The declared bounds of one numeric column: what one entity's value is clamped to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// The column.
    pub column: String,
    /// Smallest value counted.
    pub lower: f64,
    /// Largest value counted.
    pub upper: f64,
}

/// The owner's clean-room policy of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Columns that identify a person or firm; every output group must hold `min_entities`
    /// distinct values of each.
    pub entity_columns: Vec<String>,
    /// Columns others may join on, as keyed pseudonyms.
    #[serde(default)]
    pub join_keys: Vec<String>,
    /// k: the fewest distinct entities an output group may cover.
    #[serde(default = "default_min_entities")]
    pub min_entities: u32,
    /// Whether COUNT and SUM over this dataset get Laplace noise charged to the ε budget.
    #[serde(default)]
    pub noise: bool,
    /// Per-entity bounds of numeric columns, which noise needs for SUM and AVG.
    #[serde(default)]
    pub bounds: Vec<Bounds>,
    /// The most rows one entity has in the table (the owner's declaration, used for noise; a
    /// noisy query passes at most this many rows of one entity to its aggregates, whatever the
    /// data holds).
    #[serde(default = "one")]
    pub max_rows_per_entity: u32,
}

fn default_min_entities() -> u32 {
    DEFAULT_MIN_ENTITIES
}

fn one() -> u32 {
    1
}

/// What is wrong with a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// No entity column.
    #[error("name at least one entity column (the column that identifies a person or firm)")]
    NoEntity,
    /// A column the dataset does not have.
    #[error("the dataset has no column `{0}`")]
    UnknownColumn(String),
    /// k out of range.
    #[error(
        "the minimum number of entities per group must be between {MIN_MIN_ENTITIES} and 100000"
    )]
    MinEntities,
    /// Row bound out of range.
    #[error("the most rows per entity must be between 1 and 1000")]
    RowsPerEntity,
    /// Bounds that are not finite or not ordered.
    #[error("the bounds of `{0}` must be finite numbers with the lower below the upper")]
    Bounds(String),
    /// A column named twice in the bounds.
    #[error("the bounds of `{0}` are given twice")]
    DuplicateBounds(String),
}

impl Policy {
    /// A policy with one entity column and the defaults.
    pub fn for_entity(column: &str) -> Policy {
        Policy {
            entity_columns: vec![column.to_string()],
            join_keys: Vec::new(),
            min_entities: DEFAULT_MIN_ENTITIES,
            noise: false,
            bounds: Vec::new(),
            max_rows_per_entity: 1,
        }
    }

    /// Checks the policy against the dataset's column names.
    pub fn validate(&self, columns: &[&str]) -> Result<(), PolicyError> {
        if self.entity_columns.is_empty() {
            return Err(PolicyError::NoEntity);
        }
        let known = |c: &String| {
            if columns.contains(&c.as_str()) {
                Ok(())
            } else {
                Err(PolicyError::UnknownColumn(c.clone()))
            }
        };
        self.entity_columns.iter().try_for_each(known)?;
        self.join_keys.iter().try_for_each(known)?;
        if !(MIN_MIN_ENTITIES..=100_000).contains(&self.min_entities) {
            return Err(PolicyError::MinEntities);
        }
        if !(1..=1000).contains(&self.max_rows_per_entity) {
            return Err(PolicyError::RowsPerEntity);
        }
        for (i, b) in self.bounds.iter().enumerate() {
            known(&b.column)?;
            if !b.lower.is_finite() || !b.upper.is_finite() || b.lower >= b.upper {
                return Err(PolicyError::Bounds(b.column.clone()));
            }
            if self.bounds[..i].iter().any(|o| o.column == b.column) {
                return Err(PolicyError::DuplicateBounds(b.column.clone()));
            }
        }
        Ok(())
    }

    /// The join keys a grant of `granted` columns may use: the declared ones it covers.
    pub fn allowed_join_keys(&self, granted: &[String]) -> Vec<String> {
        self.join_keys
            .iter()
            .filter(|k| granted.contains(k))
            .cloned()
            .collect()
    }

    /// The declared bounds of a column.
    pub fn bounds_of(&self, column: &str) -> Option<(f64, f64)> {
        self.bounds
            .iter()
            .find(|b| b.column == column)
            .map(|b| (b.lower, b.upper))
    }
}

/// Whether a kind of information identifies a person or firm directly, so that a column holding
/// it may only be a pseudonymised join key or entity column in the clean room.
pub fn is_identifier(kind: PiiKind) -> bool {
    matches!(
        kind,
        PiiKind::CitizenId | PiiKind::Mobile | PiiKind::BankCard | PiiKind::Email | PiiKind::Uscc
    )
}

/// What a column is in a clean-room view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// L1 or L2: a `GROUP BY` dimension, usable in `WHERE` and inside aggregates.
    Dimension,
    /// L3: only as the argument of an aggregate.
    Measure,
    /// An allowed join key: a keyed pseudonym, only in an equality join with another join key.
    JoinKey,
    /// An entity column that is not a join key: never named by the query; the platform counts
    /// its distinct values per group.
    Entity,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[Role::Dimension, Role::Measure, Role::JoinKey, Role::Entity];

    /// The stable code, as serialised.
    pub fn code(self) -> &'static str {
        match self {
            Role::Dimension => "dimension",
            Role::Measure => "measure",
            Role::JoinKey => "join_key",
            Role::Entity => "entity",
        }
    }
}

/// One column of a clean-room view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// What it is.
    pub role: Role,
    /// Whether it identifies the dataset's entities (k is counted on it).
    pub entity: bool,
    /// Its declared per-entity bounds, if any.
    pub bounds: Option<(f64, f64)>,
}

/// The columns of a dataset's clean-room view for a decision made in the clean-room mode.
///
/// Entity columns are always there (pseudonymised, for counting), whether or not the grant names
/// them; declared join keys are there when the grant covers them; a column holding identifiers
/// that is neither is left out; the rest follow the verdict (raw: dimension; aggregate only:
/// measure; anything else: left out).
pub fn columns(decision: &Decision, policy: &Policy, identifiers: &[String]) -> Vec<Column> {
    decision
        .columns
        .iter()
        .filter_map(|(name, verdict)| {
            let entity = policy.entity_columns.contains(name);
            let role = if policy.join_keys.contains(name) && *verdict != Verdict::Absent {
                Role::JoinKey
            } else if entity {
                Role::Entity
            } else if identifiers.contains(name) {
                return None;
            } else {
                match verdict {
                    Verdict::Raw => Role::Dimension,
                    Verdict::AggregateOnly => Role::Measure,
                    _ => return None,
                }
            };
            Some(Column {
                name: name.clone(),
                role,
                entity,
                bounds: policy.bounds_of(name),
            })
        })
        .collect()
}

string_enum! {
    /// A rule a clean-room query can fail; a refusal names exactly one.
    Rule, "clean-room rule" {
        /// The query has no GROUP BY or aggregate.
        MustAggregate => "must_aggregate", "必须聚合", "The query must aggregate";
        /// An output that is neither an aggregate nor a dimension.
        OutputNotAggregate => "output_not_aggregate", "输出须为聚合或分组维度", "Outputs are aggregates or dimensions";
        /// An aggregate other than COUNT, COUNT DISTINCT, SUM, AVG.
        AggregateFunction => "aggregate_function", "仅允许 COUNT、COUNT DISTINCT、SUM、AVG", "Only COUNT, COUNT DISTINCT, SUM and AVG";
        /// MIN or MAX.
        Extremes => "extremes", "不得取极值", "No extremes (MIN, MAX)";
        /// An aggregate whose argument is not one column, or with FILTER or ORDER BY.
        AggregateArgument => "aggregate_argument", "聚合参数须为单个列", "Aggregates take one column";
        /// A GROUP BY on anything but an L1 or L2 column.
        DimensionGrade => "dimension_grade", "分组维度须为一、二级列", "Dimensions are L1 or L2 columns";
        /// An L3 column outside an aggregate's argument.
        MeasureOutsideAggregate => "measure_outside_aggregate", "三级列只能在聚合中使用", "L3 columns only inside aggregates";
        /// An L4 or identifier column anywhere but an equality join of allowed keys.
        IdentifierUse => "identifier_use", "标识列只能用于等值连接", "Identifiers only in equality joins";
        /// A join that is not an inner equality join between allowed join keys.
        JoinCondition => "join_condition", "连接须为允许的连接键上的等值内连接", "Joins are equalities of allowed keys";
        /// A window function.
        Window => "window", "不得使用窗口函数", "No window functions";
        /// LIMIT or OFFSET below the aggregation.
        RowLimit => "row_limit", "不得对明细行限定行数", "No LIMIT on ungrouped rows";
        /// ORDER BY below the aggregation.
        RowOrder => "row_order", "不得对明细行排序", "No ORDER BY on ungrouped rows";
        /// UNION, INTERSECT or EXCEPT.
        SetOperation => "set_operation", "不得使用 UNION 等集合运算", "No UNION, INTERSECT or EXCEPT";
        /// A subquery in an expression.
        Subquery => "subquery", "不得使用子查询", "No subqueries in expressions";
        /// More than one aggregation, or any other plan shape.
        NestedAggregate => "nested_aggregate", "只允许一层聚合", "One aggregation per query";
        /// A function whose result is not determined by its arguments.
        NonDeterministic => "non_deterministic", "不得使用非确定性函数", "No non-deterministic functions";
        /// A function that is not one of the engine's own.
        UserFunction => "user_function", "不得使用自定义函数", "No user-defined functions";
        /// A WHERE condition that could fail on some row.
        FallibleFilter => "fallible_filter", "筛选条件须为列与常量的比较", "Filters compare columns with constants";
        /// ROLLUP, CUBE, GROUPING SETS.
        GroupingSets => "grouping_sets", "不得使用 ROLLUP、CUBE 或 GROUPING SETS", "No ROLLUP, CUBE or GROUPING SETS";
        /// A SUM or AVG under noise over a column without declared bounds.
        NoiseBounds => "noise_bounds", "加噪需要声明取值范围", "Noise needs declared bounds";
    }
}

/// A draw of the Laplace distribution of scale `scale` centred on 0, from `u` uniform in
/// (−½, ½): the inverse of its distribution function. `u` of exactly ±½ is moved inside.
pub fn laplace(u: f64, scale: f64) -> f64 {
    let u = u.clamp(-0.5 + f64::EPSILON, 0.5 - f64::EPSILON);
    -scale * u.signum() * (1.0 - 2.0 * u.abs()).ln()
}

/// The sensitivity of a count: one per row an entity may have in each table read.
pub fn count_sensitivity(rows_per_entity: &[u32]) -> f64 {
    rows_per_entity
        .iter()
        .map(|&m| f64::from(m.max(1)))
        .product()
}

/// The sensitivity of a sum of values clamped to `(lower, upper)`.
pub fn sum_sensitivity(bounds: (f64, f64), rows_per_entity: &[u32]) -> f64 {
    bounds.0.abs().max(bounds.1.abs()) * count_sensitivity(rows_per_entity)
}

/// An ε amount in millionths, if it is a positive finite number no larger than [`MAX_BUDGET`].
pub fn epsilon_micros(epsilon: f64) -> Option<i64> {
    (epsilon.is_finite() && epsilon > 0.0 && epsilon <= MAX_BUDGET)
        .then(|| (epsilon * MICROS).round() as i64)
        .filter(|m| *m > 0)
}

/// Millionths of ε as a number.
pub fn epsilon_of(micros: i64) -> f64 {
    micros as f64 / MICROS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Basis;

    fn decision(columns: &[(&str, Verdict)]) -> Decision {
        Decision {
            columns: columns.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            row_filter: Vec::new(),
            basis: Basis::Grant("g".into()),
            quota_remaining: None,
        }
    }

    #[test]
    fn policies_name_known_columns_and_sane_numbers() {
        let cols = ["id", "district", "wage"];
        let mut p = Policy::for_entity("id");
        assert_eq!(p.validate(&cols), Ok(()));
        p.join_keys = vec!["nope".into()];
        assert_eq!(
            p.validate(&cols),
            Err(PolicyError::UnknownColumn("nope".into()))
        );
        p.join_keys = vec!["id".into()];
        p.min_entities = 1;
        assert_eq!(p.validate(&cols), Err(PolicyError::MinEntities));
        p.min_entities = 10;
        p.bounds = vec![Bounds {
            column: "wage".into(),
            lower: 5.0,
            upper: 5.0,
        }];
        assert_eq!(p.validate(&cols), Err(PolicyError::Bounds("wage".into())));
        p.bounds[0].upper = 50_000.0;
        p.bounds.push(p.bounds[0].clone());
        assert_eq!(
            p.validate(&cols),
            Err(PolicyError::DuplicateBounds("wage".into()))
        );
        p.bounds.pop();
        assert_eq!(p.validate(&cols), Ok(()));
        assert_eq!(p.bounds_of("wage"), Some((5.0, 50_000.0)));
        assert_eq!(p.allowed_join_keys(&["id".into()]), ["id"]);
        assert!(p.allowed_join_keys(&["wage".into()]).is_empty());
        p.entity_columns.clear();
        assert_eq!(p.validate(&cols), Err(PolicyError::NoEntity));
        let json: Policy = serde_json::from_str(r#"{"entity_columns": ["id"]}"#).unwrap();
        assert_eq!(json.min_entities, DEFAULT_MIN_ENTITIES);
        assert_eq!(json.max_rows_per_entity, 1);
    }

    #[test]
    fn columns_follow_the_policy_then_the_verdict() {
        let d = decision(&[
            ("citizen_id", Verdict::JoinKeyOnly),
            ("employer_code", Verdict::Raw),
            ("phone", Verdict::AggregateOnly),
            ("district", Verdict::Raw),
            ("wage", Verdict::AggregateOnly),
            ("bank_card", Verdict::JoinKeyOnly),
            ("hidden", Verdict::Absent),
        ]);
        let mut p = Policy::for_entity("citizen_id");
        p.join_keys = vec!["citizen_id".into()];
        let identifiers = vec!["employer_code".to_string(), "phone".to_string()];
        let got: Vec<(String, Role, bool)> = columns(&d, &p, &identifiers)
            .into_iter()
            .map(|c| (c.name, c.role, c.entity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("citizen_id".into(), Role::JoinKey, true),
                ("district".into(), Role::Dimension, false),
                ("wage".into(), Role::Measure, false),
            ]
        );
        // An entity column the grant does not cover is still counted, never named.
        let d = decision(&[("citizen_id", Verdict::Absent), ("district", Verdict::Raw)]);
        let got = columns(&d, &p, &[]);
        assert_eq!(got[0].role, Role::Entity);
        assert!(got[0].entity);
    }

    #[test]
    fn laplace_is_the_inverse_distribution_function() {
        assert_eq!(laplace(0.0, 3.0), 0.0);
        // F(x) = 1 - ½ exp(-x/b) for x ≥ 0, so the draw at u = F(x) - ½ is x.
        for x in [0.1f64, 1.0, 2.5, 10.0] {
            let b: f64 = 2.0;
            let u = 0.5 - 0.5 * (-x / b).exp();
            assert!((laplace(u, b) - x).abs() < 1e-9, "{x}");
            assert!((laplace(-u, b) + x).abs() < 1e-9, "{x}");
        }
        assert!(laplace(0.5, 1.0).is_finite());
        assert!(laplace(-0.5, 1.0).is_finite());
    }

    #[test]
    fn sensitivities_and_budgets() {
        assert_eq!(count_sensitivity(&[1, 1]), 1.0);
        assert_eq!(count_sensitivity(&[2, 3]), 6.0);
        assert_eq!(sum_sensitivity((-10.0, 4.0), &[2]), 20.0);
        assert_eq!(epsilon_micros(0.1), Some(100_000));
        assert_eq!(epsilon_micros(0.0), None);
        assert_eq!(epsilon_micros(-1.0), None);
        assert_eq!(epsilon_micros(f64::NAN), None);
        assert_eq!(epsilon_micros(11.0), None);
        assert_eq!(epsilon_of(250_000), 0.25);
        assert_eq!(Rule::IdentifierUse.code(), "identifier_use");
        for role in Role::ALL {
            assert_eq!(serde_json::to_value(role).unwrap(), role.code());
        }
    }
}
