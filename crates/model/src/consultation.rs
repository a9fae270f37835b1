//! Policy consultations (意见征集, DESIGN.md C11): a department publishes a draft in numbered
//! articles, the public (or enterprises only) comment with a stance, and after the close the
//! department answers every comment in public before it may publish the result. This module
//! holds the phases, the period and deadline rules, who may act, and the limits of what is
//! written; the application layer keeps the records.

use crate::calendar::{cst_day, cst_day_start, DAY_MS};
use crate::classification::string_enum;
use crate::role::{OrgKind, Role};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Days a consultation stays open unless the department gives a reason for fewer.
pub const DEFAULT_PERIOD_DAYS: i64 = 30;
/// Days after the close within which every comment must be answered, unless configured.
pub const DEFAULT_ANSWER_DAYS: i64 = 30;
/// The longest period, in days.
pub const MAX_PERIOD_DAYS: i64 = 365;
/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest summary, article, comment, answer or reason, in characters.
pub const MAX_TEXT: usize = 10_000;
/// Longest comment, in characters.
pub const MAX_COMMENT: usize = 4000;
/// Most articles a draft may have.
pub const MAX_ARTICLES: usize = 500;
/// Largest attachment, in bytes.
pub const MAX_ATTACHMENT_BYTES: u64 = 10 << 20;
/// Most attachments a draft may have.
pub const MAX_ATTACHMENTS: usize = 10;

string_enum! {
    /// Who may take part.
    Audience, "audience" {
        /// Everyone signed in.
        Everyone => "everyone", "所有登录用户", "Everyone signed in";
        /// Enterprise users only.
        Enterprises => "enterprises", "仅企业用户", "Enterprise users only";
    }
}

string_enum! {
    /// Where a consultation stands; it follows from its dates and whether the result is out.
    Phase, "consultation phase" {
        /// Published, opening later.
        Upcoming => "upcoming", "即将开始", "Opening soon";
        /// Taking comments.
        Open => "open", "征集中", "Open for comments";
        /// Closed; the department answers the comments.
        Closed => "closed", "已截止，待反馈", "Closed, answers due";
        /// Every comment answered and the result published.
        Published => "published", "已公布结果", "Result published";
    }
}

string_enum! {
    /// A participant's stance.
    Stance, "stance" {
        /// In favour.
        Support => "support", "赞成", "Support";
        /// Against.
        Oppose => "oppose", "反对", "Oppose";
        /// Neither, or a suggestion.
        Neutral => "neutral", "中立/建议", "Neutral";
    }
}

string_enum! {
    /// The department's answer to a comment.
    Adoption, "adoption" {
        /// Adopted.
        Adopted => "adopted", "采纳", "Adopted";
        /// Partly adopted.
        Partly => "partly", "部分采纳", "Partly adopted";
        /// Not adopted; a reason is required.
        NotAdopted => "not_adopted", "未采纳", "Not adopted";
    }
}

string_enum! {
    /// The ownership of an enterprise (企业所有制).
    Ownership, "ownership" {
        /// 国有企业.
        StateOwned => "state_owned", "国有企业", "State-owned";
        /// 民营企业.
        Private => "private", "民营企业", "Private";
        /// 外商投资企业.
        ForeignInvested => "foreign_invested", "外商投资企业", "Foreign-invested";
        /// Anything else.
        Other => "other", "其他", "Other";
    }
}

string_enum! {
    /// The size of an enterprise (企业规模, after the national classification).
    EnterpriseSize, "enterprise size" {
        /// 大型.
        Large => "large", "大型", "Large";
        /// 中型.
        Medium => "medium", "中型", "Medium";
        /// 小型.
        Small => "small", "小型", "Small";
        /// 微型.
        Micro => "micro", "微型", "Micro";
    }
}

impl EnterpriseSize {
    /// Small and medium-sized enterprises (中小企业) include micro ones.
    pub fn is_sme(self) -> bool {
        !matches!(self, EnterpriseSize::Large)
    }
}

/// What is wrong with a consultation, a comment or an answer, or what cannot be done now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsultationError {
    /// The dates do not make a period.
    #[error("the consultation must open today or later and close after it opens, within {MAX_PERIOD_DAYS} days")]
    Period,
    /// A period shorter than the default without a reason.
    #[error("a period shorter than {DEFAULT_PERIOD_DAYS} days needs a stated reason (`short_reason`), which is shown publicly")]
    ShortWithoutReason,
    /// No articles, too many, or numbers that are not 1, 2, 3, ….
    #[error("a draft needs 1 to {MAX_ARTICLES} articles, numbered 1, 2, 3, … in order")]
    Articles,
    /// Commenting, editing or supporting outside the open period.
    #[error("the consultation is not open for comments")]
    NotOpen,
    /// Answering before the close.
    #[error("comments are answered after the consultation closes")]
    NotClosed,
    /// Answering a comment that has an answer.
    #[error("this comment has been answered already")]
    Answered,
    /// "Not adopted" with no reason.
    #[error("an answer that does not adopt a comment needs a reason")]
    NoReason,
    /// Publishing while comments wait for answers.
    #[error(
        "{0} comments still wait for an answer; answer every comment before publishing the result"
    )]
    Unanswered(i64),
    /// Publishing twice.
    #[error("the result has been published already")]
    AlreadyPublished,
    /// An article number the draft does not have.
    #[error("the draft has no article {0}")]
    NoSuchArticle(i64),
    /// An attachment that is not a PDF, too large, or one too many.
    #[error("attachments are PDF files (recognised by their content) of at most 10 MiB, at most {MAX_ATTACHMENTS} per draft")]
    Attachment,
    /// A non-enterprise user in an enterprises-only consultation.
    #[error("only enterprise users take part in this consultation")]
    EnterprisesOnly,
}

/// The phase at `now` of a consultation open from `opens_at` until `closes_at`.
pub fn phase(opens_at: i64, closes_at: i64, published: bool, now: i64) -> Phase {
    if published {
        Phase::Published
    } else if now < opens_at {
        Phase::Upcoming
    } else if now < closes_at {
        Phase::Open
    } else {
        Phase::Closed
    }
}

/// The moments a consultation opens and closes, from the first and last day it is open (China
/// Standard Time): it opens at the start of `first_day` and closes at the end of `last_day`.
/// Checks the period: opening today or later, at least one day, at most
/// [`MAX_PERIOD_DAYS`], and a `short_reason` when shorter than [`DEFAULT_PERIOD_DAYS`].
pub fn period(
    first_day: i64,
    last_day: i64,
    short_reason: Option<&str>,
    now: i64,
) -> Result<(i64, i64), ConsultationError> {
    let days = last_day - first_day + 1;
    if first_day < cst_day(now) || !(1..=MAX_PERIOD_DAYS).contains(&days) {
        return Err(ConsultationError::Period);
    }
    if days < DEFAULT_PERIOD_DAYS && short_reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(ConsultationError::ShortWithoutReason);
    }
    Ok((cst_day_start(first_day), cst_day_start(last_day + 1)))
}

/// When every answer is due: `days` after the close.
pub fn answers_due(closes_at: i64, days: i64) -> i64 {
    closes_at + days * DAY_MS
}

/// Whether the answers are overdue now: closed, not published, past the due time.
pub fn is_overdue(phase: Phase, answers_due: i64, now: i64) -> bool {
    phase == Phase::Closed && now >= answers_due
}

/// Checks that articles are numbered 1, 2, 3, … and that there are 1 to [`MAX_ARTICLES`].
pub fn check_numbers(numbers: &[i64]) -> Result<(), ConsultationError> {
    if numbers.is_empty() || numbers.len() > MAX_ARTICLES {
        return Err(ConsultationError::Articles);
    }
    if numbers.iter().enumerate().any(|(i, n)| *n != i as i64 + 1) {
        return Err(ConsultationError::Articles);
    }
    Ok(())
}

/// Checks an attachment by its size, its first bytes (a PDF starts with `%PDF-`, whatever its
/// name says), and how many the draft has already; attachments are added before the close.
pub fn check_attachment(
    phase: Phase,
    size: u64,
    head: &[u8],
    existing: usize,
) -> Result<(), ConsultationError> {
    if !matches!(phase, Phase::Upcoming | Phase::Open) {
        return Err(ConsultationError::NotOpen);
    }
    if size == 0
        || size > MAX_ATTACHMENT_BYTES
        || !head.starts_with(b"%PDF-")
        || existing >= MAX_ATTACHMENTS
    {
        return Err(ConsultationError::Attachment);
    }
    Ok(())
}

/// Who takes part, as the rules need it.
#[derive(Debug, Clone, Copy)]
pub struct Participant {
    /// Their role.
    pub role: Role,
}

/// Whether `p` may comment on (and support comments in) a consultation for `audience` in
/// `phase`.
pub fn may_take_part(
    p: Participant,
    audience: Audience,
    phase: Phase,
) -> Result<(), ConsultationError> {
    if phase != Phase::Open {
        return Err(ConsultationError::NotOpen);
    }
    if audience == Audience::Enterprises && p.role != Role::Enterprise {
        return Err(ConsultationError::EnterprisesOnly);
    }
    Ok(())
}

/// Whether a user of `role` in organization `org_id` runs a consultation of `owner` (answers,
/// moderates, publishes): the owning department's staff.
pub fn may_run(role: Role, org_id: Option<&str>, owner: &str) -> bool {
    role == Role::Staff && org_id == Some(owner)
}

/// Whether a user may hide a comment: the owning department's staff or the authority.
pub fn may_moderate(role: Role, org_id: Option<&str>, owner: &str) -> bool {
    role == Role::Authority || may_run(role, org_id, owner)
}

/// Checks an answer: only after the close, once, with a reason when not adopted.
pub fn check_answer(
    phase: Phase,
    already: bool,
    adoption: Adoption,
    reason: &str,
) -> Result<(), ConsultationError> {
    match phase {
        Phase::Closed => {}
        Phase::Published => return Err(ConsultationError::AlreadyPublished),
        _ => return Err(ConsultationError::NotClosed),
    }
    if already {
        return Err(ConsultationError::Answered);
    }
    if adoption == Adoption::NotAdopted && reason.trim().is_empty() {
        return Err(ConsultationError::NoReason);
    }
    Ok(())
}

/// Checks that the result may be published: closed, and no visible comment without an answer.
pub fn check_publish(phase: Phase, unanswered: i64) -> Result<(), ConsultationError> {
    match phase {
        Phase::Closed => {}
        Phase::Published => return Err(ConsultationError::AlreadyPublished),
        _ => return Err(ConsultationError::NotClosed),
    }
    if unanswered > 0 {
        return Err(ConsultationError::Unanswered(unanswered));
    }
    Ok(())
}

/// The kind of participant a comment counts under in the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantKind {
    /// A citizen.
    Citizen,
    /// An enterprise user.
    Enterprise,
    /// Government staff, the authority or an auditor.
    Government,
}

impl ParticipantKind {
    /// The kind of a role.
    pub fn of(role: Role) -> ParticipantKind {
        match role {
            Role::Citizen => ParticipantKind::Citizen,
            Role::Enterprise => ParticipantKind::Enterprise,
            Role::Staff | Role::Authority | Role::Auditor => ParticipantKind::Government,
        }
    }
}

/// The organization kind that enterprise attributes apply to.
pub fn has_enterprise_attributes(kind: OrgKind) -> bool {
    kind == OrgKind::Enterprise
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000_000;

    #[test]
    fn phases_follow_the_dates() {
        let (o, c) = (NOW, NOW + 10 * DAY_MS);
        assert_eq!(phase(o, c, false, o - 1), Phase::Upcoming);
        assert_eq!(phase(o, c, false, o), Phase::Open);
        assert_eq!(phase(o, c, false, c - 1), Phase::Open);
        assert_eq!(phase(o, c, false, c), Phase::Closed);
        assert_eq!(phase(o, c, true, o), Phase::Published);
    }

    #[test]
    fn periods_start_today_or_later_and_short_ones_need_a_reason() {
        let today = cst_day(NOW);
        let (o, c) = period(today, today + 29, None, NOW).unwrap();
        assert_eq!(o, cst_day_start(today));
        assert_eq!(c, cst_day_start(today + 30));
        assert_eq!(
            period(today, today + 9, None, NOW),
            Err(ConsultationError::ShortWithoutReason)
        );
        assert_eq!(
            period(today, today + 9, Some("  "), NOW),
            Err(ConsultationError::ShortWithoutReason)
        );
        assert!(period(today, today + 9, Some("年底前须出台"), NOW).is_ok());
        assert_eq!(
            period(today - 1, today + 40, None, NOW),
            Err(ConsultationError::Period)
        );
        assert_eq!(
            period(today + 5, today + 4, Some("x"), NOW),
            Err(ConsultationError::Period)
        );
        assert_eq!(
            period(today, today + MAX_PERIOD_DAYS, None, NOW),
            Err(ConsultationError::Period)
        );
        assert!(period(today, today + MAX_PERIOD_DAYS - 1, None, NOW).is_ok());
    }

    #[test]
    fn articles_are_numbered_from_one() {
        assert!(check_numbers(&[1, 2, 3]).is_ok());
        for bad in [&[][..], &[0, 1], &[1, 3], &[2, 1], &[1, 1]] {
            assert_eq!(
                check_numbers(bad),
                Err(ConsultationError::Articles),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn who_takes_part_when() {
        let citizen = Participant {
            role: Role::Citizen,
        };
        let firm = Participant {
            role: Role::Enterprise,
        };
        for p in Phase::ALL {
            let open = *p == Phase::Open;
            assert_eq!(may_take_part(firm, Audience::Enterprises, *p).is_ok(), open);
            assert_eq!(may_take_part(citizen, Audience::Everyone, *p).is_ok(), open);
        }
        assert_eq!(
            may_take_part(citizen, Audience::Enterprises, Phase::Open),
            Err(ConsultationError::EnterprisesOnly)
        );
        assert!(may_run(Role::Staff, Some("d1"), "d1"));
        assert!(!may_run(Role::Staff, Some("d2"), "d1"));
        assert!(!may_run(Role::Authority, None, "d1"));
        assert!(may_moderate(Role::Authority, None, "d1"));
        assert!(!may_moderate(Role::Enterprise, Some("d1"), "d1"));
    }

    #[test]
    fn answers_come_after_the_close_once_and_with_a_reason_to_refuse() {
        for p in Phase::ALL {
            let r = check_answer(*p, false, Adoption::Adopted, "");
            assert_eq!(r.is_ok(), *p == Phase::Closed, "{p:?}");
        }
        assert_eq!(
            check_answer(Phase::Closed, true, Adoption::Adopted, ""),
            Err(ConsultationError::Answered)
        );
        assert_eq!(
            check_answer(Phase::Closed, false, Adoption::NotAdopted, " "),
            Err(ConsultationError::NoReason)
        );
        assert!(check_answer(Phase::Closed, false, Adoption::NotAdopted, "与上位法冲突").is_ok());
        assert!(check_answer(Phase::Closed, false, Adoption::Partly, "").is_ok());
    }

    #[test]
    fn results_are_published_once_every_comment_has_an_answer() {
        assert_eq!(
            check_publish(Phase::Open, 0),
            Err(ConsultationError::NotClosed)
        );
        assert_eq!(
            check_publish(Phase::Closed, 2),
            Err(ConsultationError::Unanswered(2))
        );
        assert!(check_publish(Phase::Closed, 0).is_ok());
        assert_eq!(
            check_publish(Phase::Published, 0),
            Err(ConsultationError::AlreadyPublished)
        );
        let due = answers_due(NOW, DEFAULT_ANSWER_DAYS);
        assert!(!is_overdue(Phase::Closed, due, due - 1));
        assert!(is_overdue(Phase::Closed, due, due));
        assert!(!is_overdue(Phase::Published, due, due + 1));
    }

    #[test]
    fn attachments_are_pdfs_by_content_within_limits_before_the_close() {
        let pdf = b"%PDF-1.7\n";
        assert!(check_attachment(Phase::Open, 100, pdf, 0).is_ok());
        assert!(check_attachment(Phase::Upcoming, MAX_ATTACHMENT_BYTES, pdf, 9).is_ok());
        let bad = Err(ConsultationError::Attachment);
        assert_eq!(check_attachment(Phase::Open, 100, b"PK\x03\x04", 0), bad);
        assert_eq!(check_attachment(Phase::Open, 0, pdf, 0), bad);
        assert_eq!(
            check_attachment(Phase::Open, MAX_ATTACHMENT_BYTES + 1, pdf, 0),
            bad
        );
        assert_eq!(
            check_attachment(Phase::Open, 100, pdf, MAX_ATTACHMENTS),
            bad
        );
        assert_eq!(
            check_attachment(Phase::Closed, 100, pdf, 0),
            Err(ConsultationError::NotOpen)
        );
    }

    #[test]
    fn smes_include_micro_enterprises_and_kinds_follow_roles() {
        assert!(!EnterpriseSize::Large.is_sme());
        assert!(EnterpriseSize::Medium.is_sme() && EnterpriseSize::Micro.is_sme());
        assert_eq!(
            ParticipantKind::of(Role::Enterprise),
            ParticipantKind::Enterprise
        );
        assert_eq!(
            ParticipantKind::of(Role::Staff),
            ParticipantKind::Government
        );
    }
}
