//! Points, activities and rewards (积分, DESIGN.md C12): the pure rules of the ledger. Credits
//! are keyed by (user, rule, object) so each is granted once; nothing is updated or deleted, and
//! a correction is a compensating entry. Points expire (by default at the end of the year after
//! they were earned); spending takes the oldest unexpired points first; reputation (lifetime
//! points earned, with levels) is kept apart from the spendable balance. The store keeps the
//! entries; this module says what they add up to.

use crate::calendar::{cst_day, cst_day_start};
use crate::classification::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What earns points. Each has a configurable amount, daily cap and switch.
    PointsRule, "points rule" {
        /// Feedback the submitter sent was resolved.
        FeedbackResolved => "feedback_resolved", "诉求办结", "Feedback resolved";
        /// The submitter rated the answer to their feedback.
        FeedbackRated => "feedback_rated", "诉求评价", "Feedback rated";
        /// A consultation comment was adopted or partly adopted.
        CommentAdopted => "comment_adopted", "意见被采纳", "Comment adopted";
        /// A data demand was accepted by the department.
        DemandAccepted => "demand_accepted", "需求被受理", "Demand accepted";
        /// A reported result (成果) of a grant was accepted.
        ResultAccepted => "result_accepted", "成果被认可", "Result accepted";
        /// A dataset version passed the quality threshold.
        QualityPassed => "quality_passed", "数据质量达标", "Quality threshold passed";
        /// Plain participation: a comment, a support, a demand filed (small, daily-capped).
        Participation => "participation", "参与互动", "Participation";
        /// A task of an activity was done.
        ActivityTask => "activity_task", "完成活动任务", "Activity task done";
        /// A correction by the authority or a reversal after moderation.
        Adjustment => "adjustment", "调整", "Adjustment";
    }
}

/// How the authority configures one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleConfig {
    /// Points per credit.
    pub points: i64,
    /// Most points the rule may credit one user in one day (China Standard Time); `None` for no
    /// cap.
    pub daily_cap: Option<i64>,
    /// Whether the rule credits at all.
    pub enabled: bool,
}

/// The default configuration of a rule: outcomes earn more than participation, which is capped.
pub fn default_config(rule: PointsRule) -> RuleConfig {
    let (points, daily_cap) = match rule {
        PointsRule::FeedbackResolved => (10, None),
        PointsRule::FeedbackRated => (2, Some(10)),
        PointsRule::CommentAdopted => (20, None),
        PointsRule::DemandAccepted => (15, None),
        PointsRule::ResultAccepted => (30, None),
        PointsRule::QualityPassed => (50, None),
        PointsRule::Participation => (1, Some(5)),
        PointsRule::ActivityTask => (0, None),
        PointsRule::Adjustment => (0, None),
    };
    RuleConfig {
        points,
        daily_cap,
        enabled: !matches!(rule, PointsRule::ActivityTask | PointsRule::Adjustment),
    }
}

/// The points a credit grants, given what the rule already credited the user today: the
/// configured amount, cut to what the daily cap leaves; zero when the rule is off or the cap is
/// reached.
pub fn credit_amount(config: RuleConfig, credited_today: i64) -> i64 {
    if !config.enabled || config.points <= 0 {
        return 0;
    }
    match config.daily_cap {
        Some(cap) => config.points.min((cap - credited_today).max(0)),
        None => config.points,
    }
}

/// How long points last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Expiry {
    /// At the end of the `n`-th calendar year after the year earned (1: the end of next year).
    YearsAfter(i64),
    /// After a number of days.
    Days(i64),
    /// Never.
    Never,
}

impl FromStr for Expiry {
    type Err = ();

    /// `years:N`, `days:N` (N from 0 to 36,500) or `never`.
    fn from_str(s: &str) -> Result<Self, ()> {
        let number = |n: &str| {
            n.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=36_500).contains(n))
        };
        match s.trim().split_once(':') {
            Some(("years", n)) => number(n).map(Expiry::YearsAfter).ok_or(()),
            Some(("days", n)) => number(n).map(Expiry::Days).ok_or(()),
            None if s.trim() == "never" => Ok(Expiry::Never),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expiry::YearsAfter(n) => write!(f, "years:{n}"),
            Expiry::Days(n) => write!(f, "days:{n}"),
            Expiry::Never => f.write_str("never"),
        }
    }
}

/// The default: the end of the year after the points were earned.
pub const DEFAULT_EXPIRY: Expiry = Expiry::YearsAfter(1);

/// When points earned at `earned_at` expire (Unix ms; they are spendable strictly before it),
/// or `None` for never. Years end at midnight in China Standard Time.
pub fn expires_at(expiry: Expiry, earned_at: i64) -> Option<i64> {
    match expiry {
        Expiry::Never => None,
        Expiry::Days(d) => Some(cst_day_start(cst_day(earned_at) + d.max(0) + 1)),
        Expiry::YearsAfter(n) => {
            let year = crate::calendar::cst_month(earned_at) / 100;
            Some(cst_day_start(days_from_civil(year + n.max(0) + 1, 1, 1)))
        }
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's civil-to-days algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

string_enum! {
    /// The kind of a ledger entry. Entries are only ever added.
    EntryKind, "ledger entry kind" {
        /// Points earned by a rule.
        Credit => "credit", "获得", "Earned";
        /// A credit taken back (moderation hid what earned it, or a correction).
        Reversal => "reversal", "撤回", "Reversed";
        /// Points spent on a reward.
        Spend => "spend", "兑换", "Redeemed";
        /// A cancelled redemption's points given back.
        Refund => "refund", "退还", "Refunded";
    }
}

/// One lot of points as the ledger holds it: a credit or a refund, with its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lot {
    /// When earned (Unix ms).
    pub earned_at: i64,
    /// Points credited.
    pub points: i64,
    /// When they expire, if ever.
    pub expires_at: Option<i64>,
    /// Whether the lot counts towards reputation: credits do, refunds of spent points do not.
    pub earned: bool,
}

/// Points taken from the lots at a moment: a redemption, or a reversal of a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Debit {
    /// When (Unix ms).
    pub at: i64,
    /// Points taken.
    pub points: i64,
    /// Whether it reverses a credit (and so lowers reputation too).
    pub reversal: bool,
}

/// What a user's points add up to at a moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Spendable now.
    pub spendable: i64,
    /// Lifetime points earned (credits minus reversals of credits, never spending): reputation.
    pub lifetime: i64,
    /// Points that expired unspent.
    pub expired: i64,
    /// Spendable points that expire within the warning window.
    pub expiring_soon: i64,
}

/// The balance from the lots and the debits, as of `now`. Each debit takes from the lots that
/// were alive at its moment (earned at or before it, not yet expired), those nearest to expiring
/// first; what a debit cannot find (a reversal of points already spent) is not taken. What is
/// left of a lot past its expiry counts as expired. `soon` is the warning window in
/// milliseconds.
pub fn balance(lots: &[Lot], debits: &[Debit], now: i64, soon: i64) -> Balance {
    let mut lots: Vec<Lot> = lots.iter().copied().filter(|l| l.points > 0).collect();
    lots.sort_by_key(|l| (l.expires_at.unwrap_or(i64::MAX), l.earned_at));
    let mut left: Vec<i64> = lots.iter().map(|l| l.points).collect();
    let mut debits: Vec<Debit> = debits.iter().copied().filter(|d| d.points > 0).collect();
    debits.sort_by_key(|d| d.at);
    let mut reversed = 0;
    for d in &debits {
        if d.reversal {
            reversed += d.points;
        }
        let mut take = d.points;
        for (l, rest) in lots.iter().zip(left.iter_mut()) {
            if take == 0 {
                break;
            }
            let alive = l.earned_at <= d.at && l.expires_at.is_none_or(|e| e > d.at);
            if alive {
                let used = take.min(*rest);
                *rest -= used;
                take -= used;
            }
        }
    }
    let earned: i64 = lots.iter().filter(|l| l.earned).map(|l| l.points).sum();
    let (mut spendable, mut expired, mut expiring_soon) = (0, 0, 0);
    for (l, rest) in lots.iter().zip(left) {
        match l.expires_at {
            Some(at) if at <= now => expired += rest,
            Some(at) => {
                spendable += rest;
                if at <= now.saturating_add(soon) {
                    expiring_soon += rest;
                }
            }
            None => spendable += rest,
        }
    }
    Balance {
        spendable,
        lifetime: (earned - reversed).max(0),
        expired,
        expiring_soon,
    }
}

/// The reputation level of lifetime points: 1 from 0, 2 from 100, 3 from 500, 4 from 2,000,
/// 5 from 10,000.
pub fn level(lifetime: i64) -> u8 {
    const STEPS: [i64; 4] = [100, 500, 2_000, 10_000];
    1 + STEPS.iter().filter(|s| lifetime >= **s).count() as u8
}

/// Why a redemption is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    /// Not enough spendable points.
    #[error("not enough points: the reward costs {cost} and {spendable} are spendable")]
    NotEnoughPoints {
        /// The cost.
        cost: i64,
        /// What the user has.
        spendable: i64,
    },
    /// No stock left.
    #[error("the reward is out of stock")]
    OutOfStock,
    /// Outside the reward's period.
    #[error("the reward is not available now")]
    OutsidePeriod,
    /// The user has redeemed it as often as allowed.
    #[error("you have redeemed this reward as often as allowed ({0} times)")]
    LimitReached(i64),
}

/// A reward as redemption sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardTerms {
    /// Points it costs.
    pub cost: i64,
    /// Left in stock.
    pub stock: i64,
    /// Times one user may redeem it.
    pub per_user: i64,
    /// Available from (Unix ms).
    pub starts_at: i64,
    /// Available until (Unix ms, exclusive).
    pub ends_at: i64,
}

/// Checks a redemption against the reward and the user's balance and past redemptions. The
/// store repeats the stock and balance checks inside its transaction, so concurrency cannot get
/// past them; this is the rule both follow.
pub fn check_redeem(
    terms: RewardTerms,
    spendable: i64,
    redeemed_by_user: i64,
    now: i64,
) -> Result<(), RedeemError> {
    if now < terms.starts_at || now >= terms.ends_at {
        return Err(RedeemError::OutsidePeriod);
    }
    if terms.stock <= 0 {
        return Err(RedeemError::OutOfStock);
    }
    if redeemed_by_user >= terms.per_user {
        return Err(RedeemError::LimitReached(terms.per_user));
    }
    if spendable < terms.cost {
        return Err(RedeemError::NotEnoughPoints {
            cost: terms.cost,
            spendable,
        });
    }
    Ok(())
}

string_enum! {
    /// What completes a task of an activity (数字活动).
    TaskKind, "task kind" {
        /// Feedback submitted in a given service (the target: its code).
        Feedback => "feedback", "提交诉求", "Submit feedback";
        /// A comment on a given consultation (the target: its id).
        Comment => "comment", "参与意见征集", "Comment on a consultation";
        /// A data demand filed.
        Demand => "demand", "提出数据需求", "File a data demand";
        /// A result (成果) of a grant reported.
        Result => "result", "报告数据成果", "Report a result";
        /// A quiz on a published policy brief passed.
        Quiz => "quiz", "政策知识答题", "Pass a quiz";
    }
}

/// One question of a quiz.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The question.
    pub text: String,
    /// The choices, 2 to 6.
    pub options: Vec<String>,
    /// The index of the right choice. Never shown before an attempt.
    pub answer: usize,
}

/// A quiz on a policy brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    /// The brief to read first (a link or a short text).
    #[serde(default)]
    pub brief: String,
    /// 1 to 20 questions.
    pub questions: Vec<Question>,
    /// The share of right answers that passes, 0 to 1 (default 0.6).
    #[serde(default = "default_pass")]
    pub pass: f64,
    /// Attempts allowed per user, 1 to 10 (default 3).
    #[serde(default = "default_attempts")]
    pub max_attempts: i64,
}

fn default_pass() -> f64 {
    0.6
}

fn default_attempts() -> i64 {
    3
}

/// Checks a quiz the authority defines; the error says what is wrong.
pub fn check_quiz(q: &Quiz) -> Result<(), String> {
    if q.questions.is_empty() || q.questions.len() > 20 {
        return Err("A quiz has 1 to 20 questions.".into());
    }
    if !(0.0..=1.0).contains(&q.pass) {
        return Err("`pass` is a share from 0 to 1.".into());
    }
    if !(1..=10).contains(&q.max_attempts) {
        return Err("`max_attempts` is 1 to 10.".into());
    }
    for (i, question) in q.questions.iter().enumerate() {
        let n = i + 1;
        if question.text.trim().is_empty() || question.text.chars().count() > 500 {
            return Err(format!("Question {n} needs a text of 1 to 500 characters."));
        }
        if !(2..=6).contains(&question.options.len())
            || question
                .options
                .iter()
                .any(|o| o.trim().is_empty() || o.chars().count() > 200)
        {
            return Err(format!(
                "Question {n} needs 2 to 6 choices of 1 to 200 characters."
            ));
        }
        if question.answer >= question.options.len() {
            return Err(format!(
                "The answer of question {n} is not one of its choices."
            ));
        }
    }
    Ok(())
}

/// The score of a quiz attempt: how many answers match, and whether that passes `pass` (a share
/// of the questions, 0–1).
pub fn grade_quiz(correct: &[usize], answers: &[Option<usize>], pass: f64) -> (usize, bool) {
    let right = correct
        .iter()
        .zip(answers.iter().chain(std::iter::repeat(&None)))
        .filter(|(c, a)| Some(**c) == **a)
        .count();
    let passed = !correct.is_empty() && (right as f64) >= pass * correct.len() as f64 - 1e-9;
    (right, passed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DAY_MS;
    use proptest::prelude::*;

    /// 2026-06-15T12:00+08:00.
    const MID_2026: i64 = 1_781_496_000_000;

    #[test]
    fn points_expire_at_the_end_of_next_year_in_beijing() {
        let at = expires_at(DEFAULT_EXPIRY, MID_2026).unwrap();
        // 2028-01-01T00:00+08:00 = 2027-12-31T16:00Z.
        assert_eq!(at, 1_830_268_800_000);
        assert_eq!(
            expires_at(Expiry::YearsAfter(0), MID_2026),
            Some(1_798_732_800_000)
        );
        assert_eq!(expires_at(Expiry::Never, MID_2026), None);
        let d = expires_at(Expiry::Days(30), MID_2026).unwrap();
        assert_eq!(cst_day(d), cst_day(MID_2026) + 31);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn expiry_settings_parse() {
        for e in [Expiry::YearsAfter(1), Expiry::Days(90), Expiry::Never] {
            assert_eq!(e.to_string().parse::<Expiry>(), Ok(e));
        }
        for bad in ["", "years", "years:-1", "weeks:2", "days:x", "never:1"] {
            assert!(bad.parse::<Expiry>().is_err(), "{bad}");
        }
    }

    #[test]
    fn daily_caps_cut_credits() {
        let c = RuleConfig {
            points: 2,
            daily_cap: Some(5),
            enabled: true,
        };
        assert_eq!(credit_amount(c, 0), 2);
        assert_eq!(credit_amount(c, 4), 1);
        assert_eq!(credit_amount(c, 5), 0);
        assert_eq!(credit_amount(c, 9), 0);
        assert_eq!(
            credit_amount(
                RuleConfig {
                    enabled: false,
                    ..c
                },
                0
            ),
            0
        );
        assert_eq!(
            credit_amount(
                RuleConfig {
                    daily_cap: None,
                    ..c
                },
                100
            ),
            2
        );
        for r in PointsRule::ALL {
            let c = default_config(*r);
            assert!(c.points >= 0);
        }
    }

    fn lot(earned_at: i64, points: i64) -> Lot {
        Lot {
            earned_at,
            points,
            expires_at: expires_at(DEFAULT_EXPIRY, earned_at),
            earned: true,
        }
    }

    fn spend(at: i64, points: i64) -> Vec<Debit> {
        vec![Debit {
            at,
            points,
            reversal: false,
        }]
    }

    #[test]
    fn spending_takes_the_oldest_points_first() {
        let year = 365 * DAY_MS;
        let lots = [lot(MID_2026 - year, 30), lot(MID_2026, 50)];
        // Mid-2026 both lots are alive (the one earned in 2025 lasts to the end of 2026).
        let b = balance(&lots, &spend(MID_2026, 20), MID_2026, 30 * DAY_MS);
        assert_eq!(b.spendable, 60);
        assert_eq!(b.lifetime, 80);
        // After the end of 2026 the old lot's 10 unspent points have expired.
        let b = balance(&lots, &spend(MID_2026, 20), MID_2026 + year, 30 * DAY_MS);
        assert_eq!((b.spendable, b.expired), (50, 10));
        // Spending 40 took the old lot whole and 10 of the new one: nothing expires.
        let b = balance(&lots, &spend(MID_2026, 40), MID_2026 + year, 30 * DAY_MS);
        assert_eq!((b.spendable, b.expired), (40, 0));
        // Spending after the old lot expired takes from the new one only.
        let b = balance(&lots, &spend(MID_2026 + year, 20), MID_2026 + year, 0);
        assert_eq!((b.spendable, b.expired), (30, 30));
        // Expiring soon: within 30 days of the end of 2026.
        let late_2026 = 1_798_732_800_000 - 10 * DAY_MS;
        assert_eq!(
            balance(&lots, &[], late_2026, 30 * DAY_MS).expiring_soon,
            30
        );
        // A reversal lowers reputation and balance alike.
        let reversal = [Debit {
            at: MID_2026,
            points: 50,
            reversal: true,
        }];
        let b = balance(&lots, &reversal, MID_2026, 0);
        assert_eq!((b.spendable, b.lifetime), (30, 30));
        // A refund gives points back without raising reputation.
        let refund = Lot {
            earned: false,
            ..lot(MID_2026, 20)
        };
        let b = balance(&[lots[1], refund], &spend(MID_2026, 20), MID_2026, 0);
        assert_eq!((b.spendable, b.lifetime), (50, 50));
    }

    proptest! {
        #[test]
        fn the_balance_adds_up(points in proptest::collection::vec(1i64..100, 1..8), spent in 0i64..300, later in 0i64..1000) {
            let lots: Vec<Lot> = points.iter().enumerate().map(|(i, p)| lot(MID_2026 + i as i64 * 40 * DAY_MS, *p)).collect();
            let total: i64 = points.iter().sum();
            let spent = spent.min(total);
            // Spent after the last lot was earned, while every lot was alive.
            let b = balance(&lots, &spend(MID_2026 + 300 * DAY_MS, spent), MID_2026 + later * DAY_MS, 0);
            prop_assert_eq!(b.spendable + b.expired + spent, total);
            prop_assert!(b.spendable >= 0 && b.expired >= 0);
            prop_assert_eq!(b.lifetime, total);
        }
    }

    #[test]
    fn levels() {
        assert_eq!(level(0), 1);
        assert_eq!(level(99), 1);
        assert_eq!(level(100), 2);
        assert_eq!(level(1999), 3);
        assert_eq!(level(10_000), 5);
        assert_eq!(level(1_000_000), 5);
    }

    #[test]
    fn redemptions() {
        let t = RewardTerms {
            cost: 100,
            stock: 3,
            per_user: 1,
            starts_at: 1_000,
            ends_at: 2_000,
        };
        assert_eq!(check_redeem(t, 100, 0, 1_500), Ok(()));
        assert_eq!(
            check_redeem(t, 99, 0, 1_500),
            Err(RedeemError::NotEnoughPoints {
                cost: 100,
                spendable: 99
            })
        );
        assert_eq!(
            check_redeem(t, 500, 1, 1_500),
            Err(RedeemError::LimitReached(1))
        );
        assert_eq!(
            check_redeem(RewardTerms { stock: 0, ..t }, 500, 0, 1_500),
            Err(RedeemError::OutOfStock)
        );
        assert_eq!(
            check_redeem(t, 500, 0, 999),
            Err(RedeemError::OutsidePeriod)
        );
        assert_eq!(
            check_redeem(t, 500, 0, 2_000),
            Err(RedeemError::OutsidePeriod)
        );
    }

    #[test]
    fn quizzes_are_checked() {
        let question = |answer| Question {
            text: "开放数据可以商用吗？".into(),
            options: vec!["可以".into(), "不可以".into()],
            answer,
        };
        let quiz = Quiz {
            brief: String::new(),
            questions: vec![question(0)],
            pass: 0.6,
            max_attempts: 3,
        };
        assert_eq!(check_quiz(&quiz), Ok(()));
        assert!(check_quiz(&Quiz {
            questions: vec![],
            ..quiz.clone()
        })
        .is_err());
        assert!(check_quiz(&Quiz {
            questions: vec![question(2)],
            ..quiz.clone()
        })
        .is_err());
        assert!(check_quiz(&Quiz {
            pass: 1.5,
            ..quiz.clone()
        })
        .is_err());
        assert!(check_quiz(&Quiz {
            max_attempts: 0,
            ..quiz.clone()
        })
        .is_err());
        let parsed: Quiz =
            serde_json::from_str(r#"{"questions":[{"text":"q","options":["a","b"],"answer":1}]}"#)
                .unwrap();
        assert_eq!((parsed.pass, parsed.max_attempts), (0.6, 3));
    }

    #[test]
    fn quizzes() {
        assert_eq!(
            grade_quiz(&[0, 2, 1], &[Some(0), Some(2), Some(0)], 0.6),
            (2, true)
        );
        assert_eq!(grade_quiz(&[0, 2, 1], &[Some(0), None], 0.6), (1, false));
        assert_eq!(
            grade_quiz(&[0, 2, 1], &[Some(0), Some(2), Some(1)], 1.0),
            (3, true)
        );
        assert_eq!(grade_quiz(&[], &[], 0.0), (0, false));
    }
}
