//! Data demands (数据需求, DESIGN.md C8): the public says which data it needs, and the department
//! it names must answer in public within a deadline. This module holds the states, the moves
//! between them, the deadline, who may act, and the limits of what is filed; the application
//! layer keeps the records.

use crate::calendar::{cst_day, cst_day_start};
use crate::classification::string_enum;
use crate::pii::{kinds_in_text, PiiKind};
use crate::role::Role;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Days a department has to answer a demand, unless configured otherwise.
pub const DEFAULT_ANSWER_DAYS: i64 = 15;
/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, comment or answer text, in characters.
pub const MAX_TEXT: usize = 4000;
/// Most wanted fields a demand may list.
pub const MAX_FIELDS: usize = 50;
/// Longest wanted field or theme, in characters.
pub const MAX_FIELD: usize = 100;
/// How far ahead a planned opening date may lie, in days.
pub const MAX_PLAN_DAYS: i64 = 2 * 365;

string_enum! {
    /// Where a demand stands. Whether it is overdue is not a state of its own: an open demand
    /// is overdue once its deadline has passed ([`is_overdue`]).
    DemandStatus, "demand status" {
        /// Filed, waiting for the department's answer.
        Open => "open", "待答复", "Awaiting an answer";
        /// Accepted, with a planned date; waiting to be fulfilled.
        Accepted => "accepted", "已受理", "Accepted";
        /// Not accepted, with a reason given in public.
        Rejected => "rejected", "未采纳", "Not accepted";
        /// Fulfilled by a dataset or a grant.
        Fulfilled => "fulfilled", "已满足", "Fulfilled";
        /// A duplicate, merged into another demand that carries its supports.
        Merged => "merged", "已合并", "Merged";
    }
}

string_enum! {
    /// Why a demand was not accepted.
    RejectionReason, "rejection reason" {
        /// The department holds no such data.
        NoSuchData => "no_such_data", "无此数据", "No such data";
        /// Opening it is barred by security rules or by law.
        SecurityOrLaw => "security_or_law", "涉及安全或法律限制", "Barred by security rules or law";
        /// The data is open already.
        AlreadyOpen => "already_open", "已经开放", "Already open";
        /// Anything else, explained in the text.
        Other => "other", "其他原因", "Other";
    }
}

/// What happens to a demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandEvent {
    /// The department accepts it, with a planned date.
    Accept,
    /// The department does not accept it, with a reason.
    Reject,
    /// A dataset or a grant fulfils an accepted demand.
    Fulfil,
    /// The authority moves it to another department; the deadline starts again.
    Transfer,
    /// It is merged into another demand as a duplicate.
    Merge,
}

impl DemandEvent {
    /// Every event.
    pub const ALL: &'static [DemandEvent] = &[
        DemandEvent::Accept,
        DemandEvent::Reject,
        DemandEvent::Fulfil,
        DemandEvent::Transfer,
        DemandEvent::Merge,
    ];

    /// The move in the past tense, for messages.
    pub fn past(self) -> &'static str {
        match self {
            DemandEvent::Accept => "accepted",
            DemandEvent::Reject => "rejected",
            DemandEvent::Fulfil => "fulfilled",
            DemandEvent::Transfer => "transferred",
            DemandEvent::Merge => "merged",
        }
    }

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            DemandEvent::Accept => "accept",
            DemandEvent::Reject => "reject",
            DemandEvent::Fulfil => "fulfil",
            DemandEvent::Transfer => "transfer",
            DemandEvent::Merge => "merge",
        }
    }
}

impl fmt::Display for DemandEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whom a demand asks: a department (by organization id), or, for data no one department
/// holds, a theme that the authority answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// A department, by organization id.
    Department(String),
    /// A theme of the catalog.
    Theme(String),
}

/// What a demand cannot do, or what is wrong with what was filed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DemandError {
    /// The move does not apply to a demand in this state.
    #[error("a demand that is {from} cannot be {past}", from = from.label_en().to_lowercase(), past = event.past())]
    NotAllowed {
        /// The state.
        from: DemandStatus,
        /// The move.
        event: DemandEvent,
    },
    /// A text field is empty or too long.
    #[error("`{field}` must have 1 to {max} characters")]
    Text {
        /// The field.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// Too many wanted fields, or one too long.
    #[error("list at most {MAX_FIELDS} wanted fields of at most {MAX_FIELD} characters each")]
    Fields,
    /// Personal information in public text.
    #[error("`{field}` contains what looks like {what}; the text is published, so remove it")]
    Personal {
        /// The field.
        field: &'static str,
        /// The kind found, in words (never the value).
        what: &'static str,
    },
    /// A planned date in the past or too far ahead.
    #[error("the planned date must be today or later, and within {MAX_PLAN_DAYS} days")]
    PlannedDate,
}

/// The state after `event`, or why it does not apply.
pub fn transition(from: DemandStatus, event: DemandEvent) -> Result<DemandStatus, DemandError> {
    use DemandEvent as E;
    use DemandStatus as S;
    match (from, event) {
        (S::Open, E::Accept) => Ok(S::Accepted),
        (S::Open, E::Reject) => Ok(S::Rejected),
        (S::Accepted, E::Fulfil) => Ok(S::Fulfilled),
        (S::Open, E::Transfer) => Ok(S::Open),
        (S::Open | S::Accepted, E::Merge) => Ok(S::Merged),
        _ => Err(DemandError::NotAllowed { from, event }),
    }
}

/// Whether a demand in this state can take supports, comments and merged duplicates.
pub fn is_live(status: DemandStatus) -> bool {
    matches!(status, DemandStatus::Open | DemandStatus::Accepted)
}

/// The moment an open demand filed (or transferred) at `from_ms` becomes overdue: the start of
/// the day after the `days`-th day, in China Standard Time, so a demand is flagged from the day
/// after its deadline.
pub fn due_at(from_ms: i64, days: i64) -> i64 {
    cst_day_start(cst_day(from_ms) + days + 1)
}

/// Whether a demand is overdue now: still unanswered after its deadline day.
pub fn is_overdue(status: DemandStatus, due_at: i64, now: i64) -> bool {
    status == DemandStatus::Open && now >= due_at
}

/// Checks a planned opening date given when accepting (a day, as Unix milliseconds).
pub fn check_planned(planned_ms: i64, now: i64) -> Result<(), DemandError> {
    let (day, today) = (cst_day(planned_ms), cst_day(now));
    if day < today || day > today + MAX_PLAN_DAYS {
        return Err(DemandError::PlannedDate);
    }
    Ok(())
}

/// Checks public text: not empty (when `required`), at most `max` characters, and free of the
/// personal information that ingest detects (citizen IDs, bank cards, mobile numbers). Returns
/// the text trimmed.
pub fn check_text(
    field: &'static str,
    text: &str,
    max: usize,
    required: bool,
) -> Result<String, DemandError> {
    let t = text.trim();
    if (required && t.is_empty()) || t.chars().count() > max {
        return Err(DemandError::Text { field, max });
    }
    if let Some(kind) = kinds_in_text(t).first() {
        return Err(DemandError::Personal {
            field,
            what: personal_words(*kind),
        });
    }
    Ok(t.to_string())
}

/// Checks the wanted fields: at most [`MAX_FIELDS`], each at most [`MAX_FIELD`] characters and
/// free of personal information; empty entries and repeats are dropped.
pub fn check_fields(fields: &[String]) -> Result<Vec<String>, DemandError> {
    let mut out: Vec<String> = Vec::new();
    for f in fields {
        let f = f.trim();
        if f.is_empty() {
            continue;
        }
        if f.chars().count() > MAX_FIELD {
            return Err(DemandError::Fields);
        }
        check_text("fields", f, MAX_FIELD, true)?;
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    if out.len() > MAX_FIELDS {
        return Err(DemandError::Fields);
    }
    Ok(out)
}

fn personal_words(kind: PiiKind) -> &'static str {
    match kind {
        PiiKind::CitizenId => "a citizen ID number (身份证号)",
        PiiKind::BankCard => "a bank card number (银行卡号)",
        PiiKind::Mobile => "a mobile number (手机号)",
        _ => "personal information",
    }
}

/// Who is acting on a demand.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Their role.
    pub role: Role,
    /// Their organization, for roles bound to one.
    pub org_id: Option<&'a str>,
}

/// Whether `actor` may answer (accept, reject, fulfil) a demand with this target: staff of the
/// named department, or the authority for a theme.
pub fn may_answer(actor: Actor<'_>, target: &Target) -> bool {
    match target {
        Target::Department(org) => actor.role == Role::Staff && actor.org_id == Some(org.as_str()),
        Target::Theme(_) => actor.role == Role::Authority,
    }
}

/// Whether the user `actor_id` may correct the title and description of a demand: its filer,
/// while it waits for an answer (an answer refers to the text it answered).
pub fn may_edit(actor_id: &str, filer_id: &str, status: DemandStatus) -> bool {
    actor_id == filer_id && status == DemandStatus::Open
}

/// Whether `actor` may move a demand to another department: the authority only.
pub fn may_transfer(actor: Actor<'_>) -> bool {
    actor.role == Role::Authority
}

/// Whether `actor` may merge a duplicate into another demand: the authority, or staff of the
/// department both demands ask.
pub fn may_merge(actor: Actor<'_>, duplicate: &Target, into: &Target) -> bool {
    actor.role == Role::Authority
        || (duplicate == into
            && matches!(duplicate, Target::Department(_))
            && may_answer(actor, duplicate))
}

/// What the statistics count for one group of demands (a department, a theme, or all).
/// Merged duplicates are not counted: their supports moved to the demand they joined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandCounts {
    /// Demands filed.
    pub demands: i64,
    /// Of which filed by enterprise users.
    pub enterprise: i64,
    /// Supports, summed over the demands.
    pub supports: i64,
    /// Waiting for an answer.
    pub open: i64,
    /// Accepted and not yet fulfilled.
    pub accepted: i64,
    /// Not accepted.
    pub rejected: i64,
    /// Fulfilled.
    pub fulfilled: i64,
    /// Open past their deadline now.
    pub overdue: i64,
    /// Answered, but after their deadline.
    pub answered_late: i64,
}

impl DemandCounts {
    /// Adds another group's counts to these.
    pub fn add(&mut self, o: &DemandCounts) {
        self.demands += o.demands;
        self.enterprise += o.enterprise;
        self.supports += o.supports;
        self.open += o.open;
        self.accepted += o.accepted;
        self.rejected += o.rejected;
        self.fulfilled += o.fulfilled;
        self.overdue += o.overdue;
        self.answered_late += o.answered_late;
    }

    /// Demands that have an answer: accepted (fulfilled or not) or rejected.
    pub fn answered(&self) -> i64 {
        self.accepted + self.fulfilled + self.rejected
    }

    /// Accepted (fulfilled or not) out of answered; `None` before any answer.
    pub fn acceptance_rate(&self) -> Option<f64> {
        ratio(self.accepted + self.fulfilled, self.answered())
    }

    /// Fulfilled out of accepted; `None` before any acceptance.
    pub fn fulfilment_rate(&self) -> Option<f64> {
        ratio(self.fulfilled, self.accepted + self.fulfilled)
    }
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Days from filing to answer, in whole China Standard Time calendar days (0 when answered the
/// day it was filed).
pub fn days_to_answer(created_at: i64, answered_at: i64) -> i64 {
    cst_day(answered_at) - cst_day(created_at)
}

/// The median of values given as `(value, how many)` pairs in any order, the mean of the two
/// middle values when the count is even; `None` when there are none. Counts below one are
/// ignored.
pub fn median_of_counts(histogram: &[(i64, i64)]) -> Option<f64> {
    let mut h: Vec<(i64, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    h.sort_unstable();
    let total: i64 = h.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // The 0-based ranks of the middle value(s).
    let (lo, hi) = ((total - 1) / 2, total / 2);
    let at = |rank: i64| {
        let mut seen = 0;
        for (v, n) in &h {
            seen += n;
            if rank < seen {
                return *v;
            }
        }
        unreachable!("rank below the total")
    };
    Some((at(lo) + at(hi)) as f64 / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DAY_MS;

    #[test]
    fn only_the_filer_edits_and_only_before_the_answer() {
        for status in DemandStatus::ALL {
            assert_eq!(may_edit("u1", "u1", *status), *status == DemandStatus::Open);
            assert!(!may_edit("u2", "u1", *status));
        }
    }

    #[test]
    fn medians_from_counts_match_sorting_the_values() {
        assert_eq!(median_of_counts(&[]), None);
        assert_eq!(median_of_counts(&[(3, 0)]), None);
        assert_eq!(median_of_counts(&[(4, 1)]), Some(4.0));
        assert_eq!(median_of_counts(&[(9, 1), (1, 1)]), Some(5.0));
        // A pseudo-random set of histograms against the plain definition.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..500 {
            let mut h = Vec::new();
            let mut values = Vec::new();
            for _ in 0..(x % 6) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let (v, n) = ((x % 40) as i64, ((x >> 8) % 5) as i64);
                h.push((v, n));
                values.extend(std::iter::repeat_n(v, n as usize));
            }
            x = x.wrapping_add(1);
            values.sort_unstable();
            let want = if values.is_empty() {
                None
            } else {
                let m = values.len();
                Some((values[(m - 1) / 2] + values[m / 2]) as f64 / 2.0)
            };
            assert_eq!(median_of_counts(&h), want, "{h:?}");
        }
    }

    #[test]
    fn rates_count_fulfilled_demands_as_accepted() {
        let none = DemandCounts::default();
        assert_eq!(none.acceptance_rate(), None);
        assert_eq!(none.fulfilment_rate(), None);
        let c = DemandCounts {
            demands: 10,
            open: 4,
            accepted: 1,
            fulfilled: 3,
            rejected: 2,
            ..DemandCounts::default()
        };
        assert_eq!(c.answered(), 6);
        assert_eq!(c.acceptance_rate(), Some(4.0 / 6.0));
        assert_eq!(c.fulfilment_rate(), Some(0.75));
        let mut total = c;
        total.add(&c);
        assert_eq!((total.demands, total.fulfilled), (20, 6));
        assert_eq!(total.acceptance_rate(), c.acceptance_rate());
    }

    #[test]
    fn days_to_answer_are_calendar_days_in_china() {
        let day = cst_day_start(20_000);
        assert_eq!(days_to_answer(day, day + DAY_MS - 1), 0);
        assert_eq!(days_to_answer(day + DAY_MS - 1, day + DAY_MS), 1);
        assert_eq!(days_to_answer(day, day + 15 * DAY_MS), 15);
    }

    #[test]
    fn every_move_from_every_state() {
        use DemandEvent as E;
        use DemandStatus as S;
        let allowed = [
            (S::Open, E::Accept, S::Accepted),
            (S::Open, E::Reject, S::Rejected),
            (S::Accepted, E::Fulfil, S::Fulfilled),
            (S::Open, E::Transfer, S::Open),
            (S::Open, E::Merge, S::Merged),
            (S::Accepted, E::Merge, S::Merged),
        ];
        for from in S::ALL {
            for event in DemandEvent::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, e, _)| f == from && e == event)
                    .map(|(_, _, to)| *to);
                match (transition(*from, *event), expected) {
                    (Ok(to), Some(e)) => assert_eq!(to, e, "{from} {event}"),
                    (Err(DemandError::NotAllowed { .. }), None) => {}
                    (got, want) => panic!("{from} {event}: {got:?}, expected {want:?}"),
                }
            }
        }
    }

    #[test]
    fn answering_twice_or_late_is_refused() {
        let e = transition(DemandStatus::Rejected, DemandEvent::Accept).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a demand that is not accepted cannot be accepted"
        );
        assert!(transition(DemandStatus::Fulfilled, DemandEvent::Fulfil).is_err());
        assert!(transition(DemandStatus::Merged, DemandEvent::Merge).is_err());
    }

    #[test]
    fn deadlines_fall_at_midnight_in_beijing_and_overdue_starts_the_day_after() {
        // Filed at 2026-12-01T10:00+08:00: the 15th day after is 12-16, overdue from 12-17.
        let filed = cst_day_start(cst_day(1_796_097_600_000)) + 2 * 3_600_000;
        let due = due_at(filed, DEFAULT_ANSWER_DAYS);
        assert_eq!(cst_day(due), cst_day(filed) + 16);
        assert_eq!(due, cst_day_start(cst_day(due)));
        assert!(!is_overdue(DemandStatus::Open, due, due - 1));
        assert!(is_overdue(DemandStatus::Open, due, due));
        // Only unanswered demands are overdue.
        for s in [
            DemandStatus::Accepted,
            DemandStatus::Rejected,
            DemandStatus::Fulfilled,
        ] {
            assert!(!is_overdue(s, due, due + DAY_MS));
        }
        // Filed one millisecond before midnight, the same day counts as day zero.
        let late = cst_day_start(10) - 1;
        assert_eq!(cst_day(due_at(late, 1)), 11);
    }

    #[test]
    fn planned_dates_are_today_or_later_within_two_years() {
        let now = cst_day_start(1000) + 5;
        assert!(check_planned(cst_day_start(1000), now).is_ok());
        assert!(check_planned(cst_day_start(1000) - 1, now).is_err());
        assert!(check_planned(cst_day_start(1000 + MAX_PLAN_DAYS), now).is_ok());
        assert!(check_planned(cst_day_start(1001 + MAX_PLAN_DAYS), now).is_err());
    }

    #[test]
    fn public_text_is_checked_for_personal_information_without_echoing_it() {
        let e = check_text("description", "请联系 13812345678 获取", MAX_TEXT, true).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("mobile number"), "{msg}");
        assert!(!msg.contains("13812345678"), "{msg}");
        let e = check_text("title", "身份证 11010519491231002X", MAX_TITLE, true).unwrap_err();
        assert!(e.to_string().contains("citizen ID"));
        assert_eq!(
            check_text("title", "  公交站点客流  ", MAX_TITLE, true).unwrap(),
            "公交站点客流"
        );
        assert!(check_text("title", "  ", MAX_TITLE, true).is_err());
        assert_eq!(check_text("note", "", MAX_TEXT, false).unwrap(), "");
        assert!(check_text("title", &"字".repeat(MAX_TITLE + 1), MAX_TITLE, true).is_err());
        assert!(check_text("title", &"字".repeat(MAX_TITLE), MAX_TITLE, true).is_ok());
    }

    #[test]
    fn wanted_fields_are_trimmed_deduplicated_and_bounded() {
        let f = check_fields(&[" 站点 ".into(), "站点".into(), "".into(), "客流".into()]).unwrap();
        assert_eq!(f, vec!["站点".to_string(), "客流".to_string()]);
        let many: Vec<String> = (0..=MAX_FIELDS).map(|i| format!("f{i}")).collect();
        assert_eq!(check_fields(&many), Err(DemandError::Fields));
        assert_eq!(
            check_fields(&["x".repeat(MAX_FIELD + 1)]),
            Err(DemandError::Fields)
        );
        assert!(matches!(
            check_fields(&["13812345678".into()]),
            Err(DemandError::Personal { .. })
        ));
    }

    #[test]
    fn who_may_act() {
        let dept = Target::Department("transport".into());
        let other = Target::Department("health".into());
        let theme = Target::Theme("交通".into());
        let staff = Actor {
            role: Role::Staff,
            org_id: Some("transport"),
        };
        let other_staff = Actor {
            role: Role::Staff,
            org_id: Some("health"),
        };
        let authority = Actor {
            role: Role::Authority,
            org_id: Some("bureau"),
        };
        let enterprise = Actor {
            role: Role::Enterprise,
            org_id: Some("transport"),
        };
        let citizen = Actor {
            role: Role::Citizen,
            org_id: None,
        };
        assert!(may_answer(staff, &dept));
        assert!(!may_answer(other_staff, &dept));
        assert!(
            !may_answer(enterprise, &dept),
            "only department staff answer"
        );
        assert!(!may_answer(staff, &theme));
        assert!(may_answer(authority, &theme));
        assert!(
            !may_answer(authority, &dept),
            "a department's demands are its own to answer"
        );
        assert!(!may_answer(citizen, &dept));
        assert!(may_transfer(authority));
        assert!(!may_transfer(staff));
        assert!(may_merge(authority, &dept, &other));
        assert!(may_merge(staff, &dept, &dept));
        assert!(!may_merge(staff, &dept, &other));
        assert!(!may_merge(other_staff, &dept, &dept));
        assert!(!may_merge(staff, &theme, &theme));
    }
}
