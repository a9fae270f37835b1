//! What the store keeps about points (积分, DESIGN.md C12): the rules' configuration, the
//! append-only ledger, rewards and redemptions. Every change to a user's ledger runs in one
//! transaction that first updates the user's account row, so the balance a change checks is the
//! balance it changes, on SQLite and PostgreSQL alike.

use crate::Result;
use async_trait::async_trait;
use model::points::{Balance, Debit, EntryKind, Expiry, Lot, PointsRule, RedeemError, RuleConfig};
use serde::Serialize;

/// The `rule` of ledger entries that a redemption writes (spends and refunds).
pub const REDEMPTION_RULE: &str = "redemption";

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsEntry {
    /// Random id.
    pub id: String,
    /// Whose points.
    #[serde(skip)]
    pub user_id: String,
    /// What kind of entry.
    pub kind: EntryKind,
    /// The rule's code ([`PointsRule`]), or [`REDEMPTION_RULE`].
    pub rule: String,
    /// What earned or spent the points (a feedback item, a comment, a redemption…).
    pub object: String,
    /// Points, always positive; the kind says which way they go.
    pub points: i64,
    /// When a credit or refund expires, if ever.
    pub expires_at: Option<i64>,
    /// Why, for the user's history.
    pub note: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// What a user's ledger adds up to at `now` ([`model::points::balance`] over its entries), with
/// `soon` the window for points expiring soon.
pub fn balance_of(entries: &[PointsEntry], now: i64, soon: i64) -> Balance {
    let mut lots = Vec::new();
    let mut debits = Vec::new();
    for e in entries {
        match e.kind {
            EntryKind::Credit | EntryKind::Refund => lots.push(Lot {
                earned_at: e.created_at,
                points: e.points,
                expires_at: e.expires_at,
                earned: e.kind == EntryKind::Credit,
            }),
            EntryKind::Spend | EntryKind::Reversal => debits.push(Debit {
                at: e.created_at,
                points: e.points,
                reversal: e.kind == EntryKind::Reversal,
            }),
        }
    }
    model::points::balance(&lots, &debits, now, soon)
}

/// A credit to record.
#[derive(Debug, Clone)]
pub struct NewCredit {
    /// Whose points.
    pub user_id: String,
    /// The rule.
    pub rule: PointsRule,
    /// What earned them; with the user and the rule, the key that makes the credit happen once.
    pub object: String,
    /// How the rule is configured now.
    pub config: RuleConfig,
    /// How long points last.
    pub expiry: Expiry,
    /// Why, for the user's history.
    pub note: String,
    /// Unix milliseconds.
    pub now: i64,
}

/// A reward of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reward {
    /// Random id.
    pub id: String,
    /// Name in Chinese.
    pub name: String,
    /// Name in English (empty: the Chinese name is used).
    pub name_en: String,
    /// What it is and how it is collected.
    pub description: String,
    /// Points it costs.
    pub cost: i64,
    /// Left in stock.
    pub stock: i64,
    /// Ever put in stock.
    pub total: i64,
    /// Times one user may redeem it.
    pub per_user: i64,
    /// Available from (Unix ms).
    pub starts_at: i64,
    /// Available until (Unix ms, exclusive).
    pub ends_at: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub modified_at: i64,
}

/// A redemption of a reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redemption {
    /// Random id.
    pub id: String,
    /// The reward.
    pub reward_id: String,
    /// Who redeemed it.
    #[serde(skip)]
    pub user_id: String,
    /// The code that collects the reward; only its holder and the authority see it.
    #[serde(skip)]
    pub code: String,
    /// Points spent.
    pub points: i64,
    /// `issued` or `cancelled`.
    pub status: String,
    /// Why the authority cancelled it.
    pub cancel_reason: Option<String>,
    /// The access log leaf that records it, once appended.
    pub log_index: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub cancelled_at: Option<i64>,
}

/// A user's account as the leaderboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsAccount {
    /// The user.
    #[serde(skip)]
    pub user_id: String,
    /// Whether the user appears on the public leaderboard.
    pub public: bool,
    /// The name shown there.
    pub display_name: String,
}

/// The store's part for points.
#[async_trait]
pub trait PointsStore: Send + Sync {
    /// The rules the authority configured (rules absent here have their defaults).
    async fn points_rules(&self) -> Result<Vec<(PointsRule, RuleConfig)>>;
    /// Configures a rule.
    async fn set_points_rule(&self, rule: PointsRule, config: RuleConfig, now: i64) -> Result<()>;
    /// Credits points once per (user, rule, object), cut to the rule's daily cap; `None` when
    /// the credit was granted before, or when the rule grants nothing now (off, or the cap
    /// reached). `NotFound` if the user does not exist.
    async fn credit_points(&self, credit: &NewCredit) -> Result<Option<PointsEntry>>;
    /// Takes back the credit of (user, rule, object), once, as a reversal entry; `None` when
    /// there was no such credit or it was reversed before.
    async fn reverse_points(
        &self,
        user_id: &str,
        rule: PointsRule,
        object: &str,
        note: &str,
        now: i64,
    ) -> Result<Option<PointsEntry>>;
    /// Every entry of a user, oldest first.
    async fn points_ledger(&self, user_id: &str) -> Result<Vec<PointsEntry>>;
    /// Users with credits of `rule` on `object` (to reverse them when moderation hides it).
    async fn points_credited_for(&self, rule: PointsRule, object: &str) -> Result<Vec<String>>;
    /// The user's leaderboard choice (a private account with no name if never set).
    async fn points_account(&self, user_id: &str) -> Result<PointsAccount>;
    /// Sets the user's leaderboard choice.
    async fn set_points_account(&self, account: &PointsAccount, now: i64) -> Result<()>;
    /// The users who chose to appear, with their lifetime credits minus reversals, highest
    /// first.
    async fn points_leaderboard(&self, limit: i64) -> Result<Vec<(PointsAccount, i64)>>;

    /// Adds a reward.
    async fn create_reward(&self, reward: &Reward) -> Result<()>;
    /// Changes a reward's texts, cost, limit and period, and adds `add_stock` (possibly 0) to
    /// its stock and total.
    async fn update_reward(&self, reward: &Reward, add_stock: i64) -> Result<Reward>;
    /// One reward.
    async fn get_reward(&self, id: &str) -> Result<Reward>;
    /// Every reward, newest first.
    async fn list_rewards(&self) -> Result<Vec<Reward>>;
    /// Redeems a reward in one transaction: checks the period, the stock, the user's limit and
    /// balance (as of `now`, by [`model::points::check_redeem`]), takes one from stock, records
    /// the redemption with `code` and the spend entry. The inner error says why it was refused,
    /// with nothing written.
    async fn redeem(
        &self,
        reward_id: &str,
        user_id: &str,
        code: &str,
        now: i64,
    ) -> Result<std::result::Result<Redemption, RedeemError>>;
    /// Cancels an issued redemption: the points come back as a refund entry and the stock
    /// grows by one, in one transaction; `Conflict("status")` if it was cancelled before. The
    /// refunded points expire at `refund_expires_at`.
    async fn cancel_redemption(
        &self,
        id: &str,
        reason: &str,
        refund_expires_at: Option<i64>,
        now: i64,
    ) -> Result<Redemption>;
    /// One redemption.
    async fn get_redemption(&self, id: &str) -> Result<Redemption>;
    /// Redemptions, newest first, of one user and/or one reward.
    async fn list_redemptions(
        &self,
        user_id: Option<&str>,
        reward_id: Option<&str>,
    ) -> Result<Vec<Redemption>>;
    /// Records the access log leaf of a redemption.
    async fn set_redemption_logged(&self, id: &str, log_index: i64) -> Result<()>;
    /// Redemptions made before `before` whose leaf is not recorded (a process stopped between
    /// the two), oldest first.
    async fn unlogged_redemptions(&self, before: i64) -> Result<Vec<Redemption>>;
}
