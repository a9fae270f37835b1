//! The contribution index (贡献指数, DESIGN.md C9): how actively, how much and how well an
//! organization shares data in a period, for the leaderboard and the incentive report the
//! authority uses for subsidies and policy preferences (对共享数据积极性高、量多、质优的企业给予资金
//! 补贴、政策优惠). Enterprises and departments are ranked separately. This module is the one
//! documented place of the formula; the portal publishes it at `/contribution/formula`.
//!
//! # The formula
//!
//! For each organization of the group (enterprises, or departments) and period (a month, a
//! quarter or a year, in China Standard Time), five components, each 0 to 1:
//!
//! - **volume** `V = 0.4 × datasets / most datasets + 0.4 × ln(1 + rows) / ln(1 + most rows) +
//!   0.2 × versions / most versions`, where datasets are those with a version at the period's
//!   end, rows the rows of each resource's latest version then, versions those published in the
//!   period, and "most" the largest value in the group (a component is 0 when the largest is 0);
//! - **quality** `Q`: the mean quality score (0–100, [`crate::quality`]) of each resource's latest
//!   version at the period's end, weighted by its rows, divided by 100;
//! - **usage** `U = ln(1 + u) / ln(1 + most u)` with `u = previews + queries + downloads +
//!   5 × applications + 10 × grants issued + 20 × results reported + 20 × demands fulfilled`
//!   in the period, on the organization's datasets (reads by catalog harvesters are reported
//!   beside them but not counted: a harvester reads every record);
//! - **regularity** `R`: over its datasets with a checkable update frequency, the versions
//!   published in the period (each dataset counting at most the number expected) over the number
//!   expected (`ceil(period days / interval)`); 0.5 when none declares a checkable frequency;
//! - **responsiveness** `S` (departments only): demands addressed to it whose deadline fell in the
//!   period (or which it answered in the period) answered by their deadline, over all of them; 1
//!   when none was due.
//!
//! Index (0–100): enterprises `100 × (0.25 V + 0.30 Q + 0.25 U + 0.20 R)`; departments
//! `100 × (0.20 V + 0.25 Q + 0.20 U + 0.15 R + 0.20 S)`. Ranks follow the index, highest first;
//! equal indexes share the order of their names.
//!
//! # A worked example
//!
//! Two enterprises in a month. A: 2 datasets, 9,999 rows, 2 versions, quality 90, u = 99, both
//! datasets monthly and updated. B: 1 dataset, 99 rows, 1 version, quality 60, u = 0, no
//! frequency. Then V_A = 1, V_B = 0.4 × 0.5 + 0.4 × ln 100 / ln 10000 + 0.2 × 0.5 = 0.5;
//! Q_A = 0.9, Q_B = 0.6; U_A = 1, U_B = 0; R_A = 1, R_B = 0.5. Index A = 100 × (0.25 + 0.27 +
//! 0.25 + 0.2) = 97, B = 100 × (0.125 + 0.18 + 0 + 0.1) = 40.5.

use crate::calendar::{cst_date_start, DAY_MS};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A period of the index: a month (`2026-11`), a quarter (`2026-Q4`) or a year (`2026`), in
/// China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    /// A month, 1–12.
    Month(i64, i64),
    /// A quarter, 1–4.
    Quarter(i64, i64),
    /// A year.
    Year(i64),
}

impl Period {
    /// Start (inclusive) and end (exclusive), Unix ms.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Period::Month(y, m) => {
                let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                (cst_date_start(y, m, 1), cst_date_start(ny, nm, 1))
            }
            Period::Quarter(y, q) => {
                let m = (q - 1) * 3 + 1;
                let (ny, nm) = if q == 4 { (y + 1, 1) } else { (y, m + 3) };
                (cst_date_start(y, m, 1), cst_date_start(ny, nm, 1))
            }
            Period::Year(y) => (cst_date_start(y, 1, 1), cst_date_start(y + 1, 1, 1)),
        }
    }

    /// Its first and last months as `YYYYMM`.
    pub fn months(self) -> (i64, i64) {
        match self {
            Period::Month(y, m) => (y * 100 + m, y * 100 + m),
            Period::Quarter(y, q) => (y * 100 + (q - 1) * 3 + 1, y * 100 + q * 3),
            Period::Year(y) => (y * 100 + 1, y * 100 + 12),
        }
    }

    /// Days of the period that have passed at `now` (all of them once it is over).
    pub fn elapsed_days(self, now: i64) -> f64 {
        let (from, to) = self.bounds();
        ((now.min(to) - from).max(0)) as f64 / DAY_MS as f64
    }

    /// The month of a time, in China Standard Time.
    pub fn month_of(ms: i64) -> Period {
        let m = crate::calendar::cst_month(ms);
        Period::Month(m / 100, m % 100)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month(y, m) => write!(f, "{y:04}-{m:02}"),
            Period::Quarter(y, q) => write!(f, "{y:04}-Q{q}"),
            Period::Year(y) => write!(f, "{y:04}"),
        }
    }
}

/// A period that is not `YYYY-MM`, `YYYY-Qn` or `YYYY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPeriod;

impl fmt::Display for BadPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a period is a month (2026-11), a quarter (2026-Q4) or a year (2026)")
    }
}

impl FromStr for Period {
    type Err = BadPeriod;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let year = |y: &str| -> Result<i64, BadPeriod> {
            match y.parse::<i64>() {
                Ok(y) if y.to_string().len() == 4 && (1970..=9999).contains(&y) => Ok(y),
                _ => Err(BadPeriod),
            }
        };
        match s.split_once('-') {
            None => Ok(Period::Year(year(s)?)),
            Some((y, rest)) => {
                let y = year(y)?;
                // Exactly `Qn` (n 1–4) or two digits of a month.
                let (digits, quarter) = match rest.strip_prefix(['Q', 'q']) {
                    Some(q) => (q, true),
                    None => (rest, false),
                };
                let width = if quarter { 1 } else { 2 };
                let n: i64 = match digits.parse() {
                    Ok(n)
                        if digits.len() == width && digits.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        n
                    }
                    _ => return Err(BadPeriod),
                };
                match (quarter, n) {
                    (true, 1..=4) => Ok(Period::Quarter(y, n)),
                    (false, 1..=12) => Ok(Period::Month(y, n)),
                    _ => Err(BadPeriod),
                }
            }
        }
    }
}

/// Weights of the usage events in `u`.
pub const USAGE_WEIGHTS: Usage = Usage {
    previews: 1,
    queries: 1,
    downloads: 1,
    rows: 0,
    applications: 5,
    grants: 10,
    results: 20,
    demands_fulfilled: 20,
    harvests: 0,
};

/// Regularity when no dataset declares a checkable frequency.
pub const UNDECLARED_REGULARITY: f64 = 0.5;

/// Usage of a dataset, or of an organization's datasets, in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Previews on the dataset page.
    pub previews: u64,
    /// REST, aggregate, SQL and DataStore queries.
    pub queries: u64,
    /// Downloads.
    pub downloads: u64,
    /// Rows delivered by all of these.
    pub rows: u64,
    /// Applications submitted.
    pub applications: u64,
    /// Grants issued.
    pub grants: u64,
    /// Results (成果) reported.
    pub results: u64,
    /// Demands fulfilled with it.
    pub demands_fulfilled: u64,
    /// Reads of its record by catalog harvesters (CKAN `package_show`/`package_search`, the
    /// DCAT-AP catalog). Reported, not weighted: a harvester reads every record whether or not
    /// anyone wants the data.
    #[serde(default)]
    pub harvests: u64,
}

impl Usage {
    /// The weighted sum `u` of the formula.
    pub fn weighted(&self) -> u64 {
        let w = USAGE_WEIGHTS;
        self.previews * w.previews
            + self.queries * w.queries
            + self.downloads * w.downloads
            + self.applications * w.applications
            + self.grants * w.grants
            + self.results * w.results
            + self.demands_fulfilled * w.demands_fulfilled
    }

    /// Adds another's counts.
    pub fn add(&mut self, o: &Usage) {
        self.previews += o.previews;
        self.queries += o.queries;
        self.downloads += o.downloads;
        self.rows += o.rows;
        self.applications += o.applications;
        self.grants += o.grants;
        self.results += o.results;
        self.demands_fulfilled += o.demands_fulfilled;
        self.harvests += o.harvests;
    }
}

/// What is known of one organization in a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgFigures {
    /// Organization id.
    pub org_id: String,
    /// Its name (slug), for ordering equal indexes.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Datasets with a version at the period's end.
    pub datasets: u64,
    /// Rows of each resource's latest version then.
    pub rows: u64,
    /// Versions published in the period.
    pub versions: u64,
    /// Σ quality score × rows, over each resource's latest version (for the row-weighted mean).
    pub quality_row_sum: f64,
    /// Rows of the resources with a measured latest version.
    pub quality_rows: u64,
    /// Usage in the period.
    pub usage: Usage,
    /// Versions published on time (each dataset at most its expected number).
    pub versions_on_time: u64,
    /// Versions expected from the datasets with a checkable frequency.
    pub versions_expected: u64,
    /// Demands due (departments).
    pub demands_due: u64,
    /// Of those, answered by their deadline.
    pub demands_on_time: u64,
}

impl OrgFigures {
    /// Row-weighted mean quality, 0–100; `None` without a measured version.
    pub fn quality(&self) -> Option<f64> {
        (self.quality_rows > 0).then(|| self.quality_row_sum / self.quality_rows as f64)
    }
}

/// The components and index of one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    /// Rank in its group, from 1.
    pub rank: u64,
    /// The figures it was computed from.
    pub figures: OrgFigures,
    /// Volume, 0–1.
    pub volume: f64,
    /// Quality, 0–1.
    pub quality: f64,
    /// Usage, 0–1.
    pub usage: f64,
    /// Regularity, 0–1.
    pub regularity: f64,
    /// Responsiveness, 0–1 (departments; `None` for enterprises).
    pub responsiveness: Option<f64>,
    /// The index, 0–100, rounded to two decimals.
    pub index: f64,
}

/// Expected versions of a dataset updated every `interval_days` over a period of `period_days`.
pub fn expected_versions(period_days: f64, interval_days: f64) -> u64 {
    if interval_days <= 0.0 {
        return 0;
    }
    (period_days / interval_days).ceil().max(1.0) as u64
}

fn share(v: f64, most: f64) -> f64 {
    if most > 0.0 {
        (v / most).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn log_share(v: u64, most: u64) -> f64 {
    if most > 0 {
        ((1.0 + v as f64).ln() / (1.0 + most as f64).ln()).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Ranks one group (all enterprises, or all departments: `departments` adds responsiveness).
pub fn rank(group: Vec<OrgFigures>, departments: bool) -> Vec<Ranked> {
    let most = |f: fn(&OrgFigures) -> u64| group.iter().map(f).max().unwrap_or(0);
    let (most_datasets, most_rows, most_versions) =
        (most(|o| o.datasets), most(|o| o.rows), most(|o| o.versions));
    let most_usage = most(|o| o.usage.weighted());
    let mut out: Vec<Ranked> = group
        .into_iter()
        .map(|f| {
            let volume = 0.4 * share(f.datasets as f64, most_datasets as f64)
                + 0.4 * log_share(f.rows, most_rows)
                + 0.2 * share(f.versions as f64, most_versions as f64);
            let quality = f.quality().map_or(0.0, |q| (q / 100.0).clamp(0.0, 1.0));
            let usage = log_share(f.usage.weighted(), most_usage);
            let regularity = if f.versions_expected > 0 {
                share(f.versions_on_time as f64, f.versions_expected as f64)
            } else {
                UNDECLARED_REGULARITY
            };
            let responsiveness = departments.then(|| {
                if f.demands_due > 0 {
                    share(f.demands_on_time as f64, f.demands_due as f64)
                } else {
                    1.0
                }
            });
            let index = match responsiveness {
                Some(s) => {
                    0.20 * volume + 0.25 * quality + 0.20 * usage + 0.15 * regularity + 0.20 * s
                }
                None => 0.25 * volume + 0.30 * quality + 0.25 * usage + 0.20 * regularity,
            };
            Ranked {
                rank: 0,
                figures: f,
                volume,
                quality,
                usage,
                regularity,
                responsiveness,
                index: (index * 10_000.0).round() / 100.0,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.index
            .total_cmp(&a.index)
            .then_with(|| a.figures.name.cmp(&b.figures.name))
    });
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i as u64 + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str) -> OrgFigures {
        OrgFigures {
            org_id: name.into(),
            name: name.into(),
            title: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_worked_example_of_the_documentation() {
        let a = OrgFigures {
            datasets: 2,
            rows: 9_999,
            versions: 2,
            quality_row_sum: 90.0 * 9_999.0,
            quality_rows: 9_999,
            usage: Usage {
                queries: 99,
                ..Default::default()
            },
            versions_on_time: 2,
            versions_expected: 2,
            ..org("a")
        };
        let b = OrgFigures {
            datasets: 1,
            rows: 99,
            versions: 1,
            quality_row_sum: 60.0 * 99.0,
            quality_rows: 99,
            ..org("b")
        };
        let ranked = rank(vec![b, a], false);
        assert_eq!(ranked[0].figures.name, "a");
        assert_eq!((ranked[0].rank, ranked[0].index), (1, 97.0));
        assert!((ranked[1].volume - 0.5).abs() < 1e-12);
        assert_eq!((ranked[1].rank, ranked[1].index), (2, 40.5));
        assert_eq!(ranked[1].responsiveness, None);
    }

    #[test]
    fn departments_answer_demands_on_time() {
        let on_time = OrgFigures {
            demands_due: 4,
            demands_on_time: 4,
            ..org("x")
        };
        let late = OrgFigures {
            demands_due: 4,
            demands_on_time: 1,
            ..org("y")
        };
        let none = org("z");
        let ranked = rank(vec![late, none, on_time], true);
        let s: Vec<(&str, Option<f64>)> = ranked
            .iter()
            .map(|r| (r.figures.name.as_str(), r.responsiveness))
            .collect();
        // x and z tie (nothing else differs; no demand due counts as answered): name order.
        assert_eq!(s, [("x", Some(1.0)), ("z", Some(1.0)), ("y", Some(0.25))]);
        // With nothing but regularity 0.5 and responsiveness: 100 × (0.075 + 0.2 × s).
        assert_eq!(ranked[0].index, 27.5);
        assert_eq!(ranked[2].index, 12.5);
    }

    #[test]
    fn usage_weights_and_expected_versions() {
        let u = Usage {
            previews: 1,
            queries: 2,
            downloads: 3,
            rows: 1000,
            applications: 1,
            grants: 1,
            results: 1,
            demands_fulfilled: 1,
            harvests: 500,
        };
        // Harvests carry no weight.
        assert_eq!(u.weighted(), 6 + 5 + 10 + 20 + 20);
        assert_eq!(expected_versions(31.0, 31.0), 1);
        assert_eq!(expected_versions(92.0, 31.0), 3);
        assert_eq!(expected_versions(30.0, 92.0), 1);
        assert_eq!(expected_versions(30.0, 1.0), 30);
        assert_eq!(expected_versions(30.0, 0.0), 0);
    }

    #[test]
    fn periods() {
        let p: Period = "2026-11".parse().unwrap();
        assert_eq!(p, Period::Month(2026, 11));
        assert_eq!(p.to_string(), "2026-11");
        let (from, to) = p.bounds();
        assert_eq!(to - from, 30 * DAY_MS);
        assert_eq!(from, cst_date_start(2026, 11, 1));
        let q: Period = "2026-Q4".parse().unwrap();
        assert_eq!(
            q.bounds(),
            (cst_date_start(2026, 10, 1), cst_date_start(2027, 1, 1))
        );
        assert_eq!(q.to_string(), "2026-Q4");
        let y: Period = "2026".parse().unwrap();
        assert_eq!(y.bounds().1 - y.bounds().0, 365 * DAY_MS);
        assert_eq!(
            Period::Month(2026, 12).bounds().1,
            cst_date_start(2027, 1, 1)
        );
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-1",
            "2026-Q5",
            "2026-Q04",
            "x",
            "2026-11-01",
        ] {
            assert_eq!(bad.parse::<Period>(), Err(BadPeriod), "{bad}");
        }
        assert_eq!(p.elapsed_days(from + 3 * DAY_MS), 3.0);
        assert_eq!(p.elapsed_days(to + DAY_MS), 30.0);
        assert_eq!(Period::month_of(from + DAY_MS), p);
        assert_eq!(p.months(), (202611, 202611));
        assert_eq!(q.months(), (202610, 202612));
        assert_eq!(y.months(), (202601, 202612));
    }

    #[test]
    fn an_empty_group_and_zeros() {
        assert!(rank(Vec::new(), false).is_empty());
        let r = rank(vec![org("a")], false);
        // Nothing but the undeclared regularity: 100 × 0.2 × 0.5.
        assert_eq!(r[0].index, 10.0);
    }
}
