//! Applications for conditional data and their review (DESIGN.md C4): states, who must approve,
//! and what a reviewer may change.

use crate::access::Mode;
use crate::classification::{string_enum, Domain, Grade, Importance, OpeningType};
use crate::filter::Condition;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest a grant may run: one year.
pub const MAX_DURATION_DAYS: i64 = 365;

string_enum! {
    /// Where an application stands.
    ApplicationStatus, "application status" {
        /// Being written by the applicant.
        Draft => "draft", "草稿", "Draft";
        /// Waiting for review (by the department, then the authority where needed).
        Submitted => "submitted", "审核中", "Under review";
        /// Approved; a grant was issued.
        Approved => "approved", "已批准", "Approved";
        /// Rejected, with a reason.
        Rejected => "rejected", "已驳回", "Rejected";
        /// Withdrawn by the applicant.
        Withdrawn => "withdrawn", "已撤回", "Withdrawn";
    }
}

string_enum! {
    /// What the data is for (用途类别); logged publicly with every access.
    PurposeCategory, "purpose category" {
        /// Scientific or academic research.
        Research => "research", "科学研究", "Research";
        /// A public service or public-interest project.
        PublicService => "public_service", "公共服务", "Public service";
        /// A commercial product or service.
        Commercial => "commercial", "商业应用", "Commercial use";
        /// Reporting and journalism.
        Journalism => "journalism", "新闻报道", "Journalism";
        /// Government work of another department.
        GovernmentAffairs => "government_affairs", "政务履职", "Government affairs";
        /// Anything else, explained in the text.
        Other => "other", "其他", "Other";
    }
}

string_enum! {
    /// The kind of a reported result (成果).
    ResultKind, "result kind" {
        /// An application or app.
        App => "app", "应用", "App";
        /// A report or paper.
        Report => "report", "研究报告", "Report";
        /// A service.
        Service => "service", "服务", "Service";
    }
}

/// The step an application waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStep {
    /// The owning department reviews first.
    Department,
    /// The authority's second approval.
    Authority,
}

/// Whether anyone may apply for the dataset's data at all: not-open datasets stay closed.
pub fn accepts_applications(opening_type: OpeningType, importance: Importance) -> bool {
    opening_type != OpeningType::NotOpen && importance == Importance::Ordinary
}

/// Whether an application needs the authority's second approval (C4): it touches an L3 or L4
/// column, personal-domain data, or an important dataset.
pub fn needs_authority(
    domain: Domain,
    importance: Importance,
    column_grades: impl IntoIterator<Item = Grade>,
) -> bool {
    domain == Domain::Personal
        || importance != Importance::Ordinary
        || column_grades.into_iter().any(|g| g >= Grade::L3)
}

/// The terms an application asks for and a grant carries; a reviewer may only narrow them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Terms {
    /// Columns.
    pub columns: Vec<String>,
    /// Row conditions (all must hold).
    pub row_filter: Vec<Condition>,
    /// Modes.
    pub modes: Vec<Mode>,
    /// Days of validity, 1 to [`MAX_DURATION_DAYS`].
    pub duration_days: i64,
    /// Rows per day; `None` for no quota.
    pub daily_row_quota: Option<i64>,
}

/// What is wrong with terms, or with a reviewer's change to them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    /// No columns.
    #[error("name at least one column")]
    NoColumns,
    /// No modes.
    #[error("choose at least one way to use the data (api, download or clean_room)")]
    NoModes,
    /// Duration out of range.
    #[error("the duration must be between 1 and {MAX_DURATION_DAYS} days")]
    Duration,
    /// Quota not positive.
    #[error("the daily row quota must be a positive number of rows")]
    Quota,
    /// A reviewer tried to widen.
    #[error("a reviewer may only narrow an application; {0} would widen it")]
    Widens(&'static str),
}

impl Terms {
    /// Checks the terms on their own.
    pub fn validate(&self) -> Result<(), TermsError> {
        if self.columns.is_empty() {
            return Err(TermsError::NoColumns);
        }
        if self.modes.is_empty() {
            return Err(TermsError::NoModes);
        }
        if !(1..=MAX_DURATION_DAYS).contains(&self.duration_days) {
            return Err(TermsError::Duration);
        }
        if self.daily_row_quota.is_some_and(|q| q <= 0) {
            return Err(TermsError::Quota);
        }
        Ok(())
    }

    /// Checks that `narrowed` grants no more than `self`: fewer or the same columns and modes,
    /// every row condition kept (more may be added), no longer duration, no larger quota.
    pub fn check_narrowing(&self, narrowed: &Terms) -> Result<(), TermsError> {
        narrowed.validate()?;
        if !narrowed.columns.iter().all(|c| self.columns.contains(c)) {
            return Err(TermsError::Widens("the columns"));
        }
        if !narrowed.modes.iter().all(|m| self.modes.contains(m)) {
            return Err(TermsError::Widens("the modes"));
        }
        if !self
            .row_filter
            .iter()
            .all(|c| narrowed.row_filter.contains(c))
        {
            return Err(TermsError::Widens("dropping a row condition"));
        }
        if narrowed.duration_days > self.duration_days {
            return Err(TermsError::Widens("the duration"));
        }
        match (self.daily_row_quota, narrowed.daily_row_quota) {
            (Some(_), None) => return Err(TermsError::Widens("removing the quota")),
            (Some(a), Some(b)) if b > a => return Err(TermsError::Widens("the quota")),
            _ => {}
        }
        Ok(())
    }
}

/// What an application becomes when a reviewer approves at `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalOutcome {
    /// Passed on to the authority.
    ToAuthority,
    /// Approved; issue the grant.
    Grant,
}

/// The outcome of an approval at `step` for an application that does or does not need the
/// authority.
pub fn approval_outcome(step: ReviewStep, needs_authority: bool) -> ApprovalOutcome {
    match (step, needs_authority) {
        (ReviewStep::Department, true) => ApprovalOutcome::ToAuthority,
        _ => ApprovalOutcome::Grant,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Literal, Op};

    fn terms() -> Terms {
        Terms {
            columns: vec!["a".into(), "b".into()],
            row_filter: vec![Condition {
                column: "district".into(),
                op: Op::Eq,
                value: Some(Literal::Str("西湖区".into())),
            }],
            modes: vec![Mode::Api, Mode::Download],
            duration_days: 90,
            daily_row_quota: Some(1000),
        }
    }

    #[test]
    fn narrowing_may_only_remove() {
        let t = terms();
        assert_eq!(t.check_narrowing(&t), Ok(()));
        let mut n = t.clone();
        n.columns = vec!["a".into()];
        n.modes = vec![Mode::Api];
        n.duration_days = 30;
        n.daily_row_quota = Some(10);
        n.row_filter.push(Condition {
            column: "year".into(),
            op: Op::Gte,
            value: Some(Literal::Int(2020)),
        });
        assert_eq!(t.check_narrowing(&n), Ok(()));

        let widen = |f: &dyn Fn(&mut Terms)| {
            let mut w = t.clone();
            f(&mut w);
            t.check_narrowing(&w)
        };
        assert!(matches!(
            widen(&|w| w.columns.push("c".into())),
            Err(TermsError::Widens(_))
        ));
        assert!(matches!(
            widen(&|w| w.modes.push(Mode::CleanRoom)),
            Err(TermsError::Widens(_))
        ));
        assert!(matches!(
            widen(&|w| w.row_filter.clear()),
            Err(TermsError::Widens(_))
        ));
        assert!(matches!(
            widen(&|w| w.duration_days = 91),
            Err(TermsError::Widens(_))
        ));
        assert!(matches!(
            widen(&|w| w.daily_row_quota = None),
            Err(TermsError::Widens(_))
        ));
        assert!(matches!(
            widen(&|w| w.daily_row_quota = Some(1001)),
            Err(TermsError::Widens(_))
        ));
        assert_eq!(widen(&|w| w.columns.clear()), Err(TermsError::NoColumns));
        assert_eq!(widen(&|w| w.duration_days = 0), Err(TermsError::Duration));
    }

    #[test]
    fn terms_are_checked_on_their_own() {
        let mut t = terms();
        t.duration_days = MAX_DURATION_DAYS + 1;
        assert_eq!(t.validate(), Err(TermsError::Duration));
        t.duration_days = MAX_DURATION_DAYS;
        t.daily_row_quota = Some(0);
        assert_eq!(t.validate(), Err(TermsError::Quota));
        t.daily_row_quota = None;
        t.modes.clear();
        assert_eq!(t.validate(), Err(TermsError::NoModes));
    }

    #[test]
    fn authority_is_needed_for_sensitive_applications() {
        use Grade::*;
        assert!(!needs_authority(
            Domain::Government,
            Importance::Ordinary,
            [L1, L2]
        ));
        assert!(needs_authority(
            Domain::Government,
            Importance::Ordinary,
            [L1, L3]
        ));
        assert!(needs_authority(
            Domain::Government,
            Importance::Ordinary,
            [L4]
        ));
        assert!(needs_authority(
            Domain::Personal,
            Importance::Ordinary,
            [L1]
        ));
        assert!(needs_authority(
            Domain::Enterprise,
            Importance::Important,
            [L1]
        ));
        assert_eq!(
            approval_outcome(ReviewStep::Department, true),
            ApprovalOutcome::ToAuthority
        );
        assert_eq!(
            approval_outcome(ReviewStep::Department, false),
            ApprovalOutcome::Grant
        );
        assert_eq!(
            approval_outcome(ReviewStep::Authority, true),
            ApprovalOutcome::Grant
        );
    }

    #[test]
    fn closed_datasets_take_no_applications() {
        assert!(accepts_applications(
            OpeningType::Conditional,
            Importance::Ordinary
        ));
        assert!(accepts_applications(
            OpeningType::Unconditional,
            Importance::Ordinary
        ));
        assert!(!accepts_applications(
            OpeningType::NotOpen,
            Importance::Ordinary
        ));
        assert!(!accepts_applications(
            OpeningType::Conditional,
            Importance::Important
        ));
    }
}
