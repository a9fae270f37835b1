//! Points and rewards (积分, DESIGN.md C12): verified outcomes earn points once each, the
//! authority configures the rules and the rewards, and users redeem points for rewards. The
//! rules are in [`model::points`]; the store keeps the append-only ledger and makes redemption
//! atomic. Credits come from the other use cases through [`award`], which never fails the action
//! that earned them; moderation that hides content calls [`take_back`].

use crate::audit::Event;
use crate::clock::now_ms;
use crate::error::{AppError, AppResult, Code, Found};
use crate::state::App;
use model::calendar::DAY_MS;
use model::log::EventKind;
use model::points::{
    self, default_config, Balance, EntryKind, PointsRule, RedeemError, RuleConfig,
};
use model::role::Role;
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::{NewCredit, PointsAccount, PointsEntry, Redemption, Reward, User};

/// Points that expire within this window are shown as expiring soon.
pub const SOON_MS: i64 = 30 * DAY_MS;

/// Entries shown in a user's history.
const HISTORY: usize = 200;

/// A rule with its configuration in force.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    /// The rule's code.
    pub rule: PointsRule,
    /// Its name in Chinese.
    pub name: &'static str,
    /// Its name in English.
    pub name_en: &'static str,
    /// The configuration.
    #[serde(flatten)]
    pub config: RuleConfig,
    /// Whether the authority changed it from the default.
    pub configured: bool,
}

/// One entry of a user's history.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// The entry.
    #[serde(flatten)]
    pub entry: PointsEntry,
    /// The points with their sign: positive for credits and refunds.
    pub change: i64,
    /// Why, in Chinese (the rule's name, or the reward's).
    pub reason: String,
    /// Why, in English.
    pub reason_en: String,
}

/// A redemption with the reward's name; the code only for its holder and the authority.
#[derive(Debug, Clone, Serialize)]
pub struct RedemptionView {
    /// The redemption.
    #[serde(flatten)]
    pub redemption: Redemption,
    /// The code that collects the reward.
    pub code: String,
    /// The reward's name.
    pub reward_name: String,
}

/// What a user sees of their points.
#[derive(Debug, Clone, Serialize)]
pub struct PointsSummary {
    /// Spendable, lifetime, expired and expiring soon.
    #[serde(flatten)]
    pub balance: Balance,
    /// Reputation level (1–5) from lifetime points.
    pub level: u8,
    /// Lifetime points the next level needs, if any.
    pub next_level_at: Option<i64>,
    /// Whether the user appears on the public leaderboard, and under which name.
    pub leaderboard: PointsAccount,
    /// Newest first.
    pub history: Vec<EntryView>,
    /// Newest first.
    pub redemptions: Vec<RedemptionView>,
}

/// A reward as the catalog shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RewardView {
    /// The reward.
    #[serde(flatten)]
    pub reward: Reward,
    /// Whether it can be redeemed now (in its period and in stock).
    pub available: bool,
}

/// A reward as the authority defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardInput {
    /// Name in Chinese.
    pub name: String,
    /// Name in English.
    #[serde(default)]
    pub name_en: String,
    /// What it is and how it is collected.
    #[serde(default)]
    pub description: String,
    /// Points it costs (1 to 1,000,000).
    pub cost: i64,
    /// For a new reward, the stock; for a change, stock added (0 or more).
    pub stock: i64,
    /// Times one user may redeem it (default 1).
    #[serde(default = "one")]
    pub per_user: i64,
    /// Available from (Unix ms; default now).
    #[serde(default)]
    pub starts_at: Option<i64>,
    /// Available until (Unix ms, exclusive).
    pub ends_at: i64,
}

fn one() -> i64 {
    1
}

/// A place on the public leaderboard.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderRow {
    /// 1 for the first.
    pub rank: usize,
    /// The name the user chose.
    pub display_name: String,
    /// Lifetime points.
    pub lifetime: i64,
    /// Reputation level.
    pub level: u8,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::InvalidField, message)
}

fn require_authority(user: &User) -> AppResult<()> {
    if user.role == Role::Authority {
        Ok(())
    } else {
        Err(AppError::new(
            Code::Forbidden,
            "Only the data authority manages points rules and rewards.",
        ))
    }
}

// Rules.

/// Every rule with the configuration in force.
pub async fn rules(app: &App) -> AppResult<Vec<RuleView>> {
    let stored = app.store.points_rules().await?;
    Ok(PointsRule::ALL
        .iter()
        .map(|r| {
            let configured = stored.iter().find(|(s, _)| s == r).map(|(_, c)| *c);
            RuleView {
                rule: *r,
                name: r.label_zh(),
                name_en: r.label_en(),
                config: configured.unwrap_or_else(|| default_config(*r)),
                configured: configured.is_some(),
            }
        })
        .collect())
}

/// The authority configures a rule.
pub async fn set_rule(
    app: &App,
    user: &User,
    rule: &str,
    config: RuleConfig,
) -> AppResult<RuleView> {
    require_authority(user)?;
    let rule: PointsRule = rule
        .parse()
        .map_err(|_| invalid(format!("There is no points rule `{rule}`.")))?;
    if !(0..=100_000).contains(&config.points) {
        return Err(invalid("`points` must be 0 to 100,000."));
    }
    if config
        .daily_cap
        .is_some_and(|c| !(0..=1_000_000).contains(&c))
    {
        return Err(invalid("`daily_cap` must be 0 to 1,000,000, or absent."));
    }
    app.store.set_points_rule(rule, config, now_ms()).await?;
    Ok(rules(app)
        .await?
        .into_iter()
        .find(|r| r.rule == rule)
        .expect("every rule is listed"))
}

async fn config_of(app: &App, rule: PointsRule) -> AppResult<RuleConfig> {
    Ok(app
        .store
        .points_rules()
        .await?
        .into_iter()
        .find(|(r, _)| *r == rule)
        .map_or_else(|| default_config(rule), |(_, c)| c))
}

fn expiry(app: &App) -> points::Expiry {
    app.config.points_expiry().unwrap_or(points::DEFAULT_EXPIRY)
}

// Credits.

/// Credits `user_id` for `object` under `rule`, once; `None` when it was credited before or the
/// rule grants nothing now.
pub async fn credit(
    app: &App,
    user_id: &str,
    rule: PointsRule,
    object: &str,
    note: &str,
) -> AppResult<Option<PointsEntry>> {
    let credit = NewCredit {
        user_id: user_id.to_string(),
        rule,
        object: object.to_string(),
        config: config_of(app, rule).await?,
        expiry: expiry(app),
        note: note.chars().take(200).collect(),
        now: now_ms(),
    };
    Ok(app.store.credit_points(&credit).await?)
}

/// The authority credits a user by hand (a correction, a prize of an offline event): an
/// adjustment entry of `points` (1 to 100,000) with a public note, once per `key` the caller
/// chooses (a retried request with the same key credits nothing more).
pub async fn adjust(
    app: &App,
    authority: &User,
    username: &str,
    points: i64,
    note: &str,
    key: &str,
) -> AppResult<PointsEntry> {
    require_authority(authority)?;
    if !(1..=100_000).contains(&points) {
        return Err(invalid("`points` must be 1 to 100,000."));
    }
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 200 {
        return Err(invalid(
            "An adjustment needs a `note` of 1 to 200 characters that says why.",
        ));
    }
    if key.is_empty() || key.len() > 100 {
        return Err(invalid("`key` must have 1 to 100 characters."));
    }
    let user = app
        .store
        .get_user_by_username(username)
        .await
        .or_missing(|| {
            AppError::new(
                Code::UserNotFound,
                format!("There is no user `{username}`."),
            )
        })?;
    let credit = NewCredit {
        user_id: user.id,
        rule: PointsRule::Adjustment,
        object: key.to_string(),
        config: RuleConfig {
            points,
            daily_cap: None,
            enabled: true,
        },
        expiry: expiry(app),
        note: note.to_string(),
        now: now_ms(),
    };
    app.store.credit_points(&credit).await?.ok_or_else(|| {
        AppError::new(
            Code::AlreadyDecided,
            "An adjustment with this key was made already.",
        )
    })
}

/// [`credit`] for the use cases whose outcome earns points: a failure to credit is logged and
/// does not undo the action (the credit's key lets it be granted later).
pub async fn award(app: &App, user_id: Option<&str>, rule: PointsRule, object: &str, note: &str) {
    let Some(user_id) = user_id else { return };
    if let Err(e) = credit(app, user_id, rule, object, note).await {
        tracing::warn!(%user_id, rule = rule.code(), object, "points not credited: {e}");
    }
}

/// Takes back every credit of `rules` earned by `object` (moderation hid it); failures are
/// logged, like [`award`].
pub async fn take_back(app: &App, rules: &[PointsRule], object: &str, reason: &str) {
    for rule in rules {
        let users = match app.store.points_credited_for(*rule, object).await {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(object, "credits not reversed: {e}");
                continue;
            }
        };
        for user in users {
            let done = app
                .store
                .reverse_points(&user, *rule, object, reason, now_ms())
                .await;
            if let Err(e) = done {
                tracing::warn!(%user, object, "credit not reversed: {e}");
            }
        }
    }
}

// A user's points.

/// A user's balance, level, history and redemptions.
pub async fn mine(app: &App, user: &User) -> AppResult<PointsSummary> {
    let ledger = app.store.points_ledger(&user.id).await?;
    let balance = store::balance_of(&ledger, now_ms(), SOON_MS);
    let level = points::level(balance.lifetime);
    let rewards = app.store.list_rewards().await?;
    let reward_name = |id: &str| {
        rewards
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let redemptions = app
        .store
        .list_redemptions(Some(&user.id), None)
        .await?
        .into_iter()
        .map(|r| RedemptionView {
            code: r.code.clone(),
            reward_name: reward_name(&r.reward_id),
            redemption: r,
        })
        .collect();
    let history = ledger
        .into_iter()
        .rev()
        .take(HISTORY)
        .map(entry_view)
        .collect();
    Ok(PointsSummary {
        balance,
        level,
        next_level_at: next_level(level),
        leaderboard: app.store.points_account(&user.id).await?,
        history,
        redemptions,
    })
}

fn next_level(level: u8) -> Option<i64> {
    (0..=1_000_000)
        .step_by(50)
        .find(|p| points::level(*p) > level)
}

/// The history's view of an entry.
pub fn entry_view(entry: PointsEntry) -> EntryView {
    let sign = match entry.kind {
        EntryKind::Credit | EntryKind::Refund => 1,
        EntryKind::Spend | EntryKind::Reversal => -1,
    };
    let (reason, reason_en) = match entry.rule.parse::<PointsRule>() {
        Ok(rule) => (rule.label_zh().to_string(), rule.label_en().to_string()),
        Err(_) => (
            entry.kind.label_zh().to_string(),
            entry.kind.label_en().to_string(),
        ),
    };
    let (reason, reason_en) = if entry.note.is_empty() {
        (reason, reason_en)
    } else {
        (
            format!("{reason}：{}", entry.note),
            format!("{reason_en}: {}", entry.note),
        )
    };
    EntryView {
        change: sign * entry.points,
        entry,
        reason,
        reason_en,
    }
}

/// Whether the user appears on the public leaderboard, and under which name (1 to 30
/// characters when public).
pub async fn set_leaderboard(
    app: &App,
    user: &User,
    public: bool,
    display_name: &str,
) -> AppResult<PointsAccount> {
    let name = display_name.trim();
    if public && (name.is_empty() || name.chars().count() > 30) {
        return Err(invalid(
            "To appear on the leaderboard, give a display name of 1 to 30 characters.",
        ));
    }
    if model::feedback::public_text(name) != name {
        return Err(AppError::new(
            Code::PersonalInformation,
            "The display name looks like personal information (an ID, card or phone number); choose another.",
        ));
    }
    let account = PointsAccount {
        user_id: user.id.clone(),
        public,
        display_name: name.to_string(),
    };
    app.store.set_points_account(&account, now_ms()).await?;
    Ok(account)
}

/// The public leaderboard: only users who chose to appear, by lifetime points.
pub async fn leaderboard(app: &App) -> AppResult<Vec<LeaderRow>> {
    Ok(app
        .store
        .points_leaderboard(50)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, (a, lifetime))| LeaderRow {
            rank: i + 1,
            display_name: a.display_name,
            lifetime,
            level: points::level(lifetime),
        })
        .collect())
}

// Rewards.

fn reward_view(reward: Reward, now: i64) -> RewardView {
    RewardView {
        available: reward.stock > 0 && reward.starts_at <= now && now < reward.ends_at,
        reward,
    }
}

/// The reward catalog, newest first.
pub async fn rewards(app: &App) -> AppResult<Vec<RewardView>> {
    let now = now_ms();
    Ok(app
        .store
        .list_rewards()
        .await?
        .into_iter()
        .map(|r| reward_view(r, now))
        .collect())
}

fn no_reward() -> AppError {
    AppError::new(
        Code::RewardNotFound,
        "There is no such reward. The reward catalog lists those that exist.",
    )
}

/// One reward.
pub async fn reward(app: &App, id: &str) -> AppResult<RewardView> {
    let r = app.store.get_reward(id).await.or_missing(no_reward)?;
    Ok(reward_view(r, now_ms()))
}

/// The authority adds a reward (`id` absent) or changes one, adding stock.
pub async fn save_reward(
    app: &App,
    user: &User,
    id: Option<&str>,
    input: RewardInput,
) -> AppResult<RewardView> {
    require_authority(user)?;
    let now = now_ms();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("`name` must have 1 to 100 characters."));
    }
    if input.name_en.chars().count() > 100 || input.description.chars().count() > 2000 {
        return Err(invalid(
            "`name_en` may have at most 100 characters and `description` at most 2,000.",
        ));
    }
    if !(1..=1_000_000).contains(&input.cost) {
        return Err(invalid("`cost` must be 1 to 1,000,000 points."));
    }
    if !(0..=1_000_000).contains(&input.stock) {
        return Err(invalid("`stock` must be 0 to 1,000,000."));
    }
    if !(1..=1_000_000).contains(&input.per_user) {
        return Err(invalid("`per_user` must be 1 to 1,000,000."));
    }
    let starts_at = input.starts_at.unwrap_or(now);
    if input.ends_at <= starts_at {
        return Err(invalid("`ends_at` must be after `starts_at`."));
    }
    let mut reward = Reward {
        id: id.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string),
        name: name.to_string(),
        name_en: input.name_en.trim().to_string(),
        description: input.description.trim().to_string(),
        cost: input.cost,
        stock: input.stock,
        total: input.stock,
        per_user: input.per_user,
        starts_at,
        ends_at: input.ends_at,
        created_at: now,
        modified_at: now,
    };
    let saved = match id {
        None => {
            app.store.create_reward(&reward).await?;
            reward
        }
        Some(id) => {
            let old = app.store.get_reward(id).await.or_missing(no_reward)?;
            reward.created_at = old.created_at;
            app.store
                .update_reward(&reward, input.stock)
                .await
                .or_missing(no_reward)?
        }
    };
    Ok(reward_view(saved, now))
}

/// A fresh redemption code: 12 characters from an alphabet without look-alikes.
fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|i| {
            let c = ALPHABET[rng.gen_range(0..ALPHABET.len())] as char;
            if i == 4 || i == 8 {
                format!("-{c}")
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn refused(e: RedeemError) -> AppError {
    let code = match e {
        RedeemError::NotEnoughPoints { .. } => Code::NotEnoughPoints,
        RedeemError::OutOfStock => Code::OutOfStock,
        RedeemError::OutsidePeriod => Code::RewardUnavailable,
        RedeemError::LimitReached(_) => Code::RedemptionLimit,
    };
    let mut message = e.to_string();
    if let Some(first) = message.get(0..1) {
        message = format!("{}{}.", first.to_uppercase(), &message[1..]);
    }
    AppError::new(code, message)
}

/// Redeems a reward: atomic in the store (no overdraft, no overselling), then a leaf of the
/// access log whose index the redemption records.
pub async fn redeem(app: &App, user: &User, reward_id: &str) -> AppResult<RedemptionView> {
    let reward = app
        .store
        .get_reward(reward_id)
        .await
        .or_missing(no_reward)?;
    let redemption = app
        .store
        .redeem(reward_id, &user.id, &new_code(), now_ms())
        .await
        .or_missing(no_reward)?
        .map_err(refused)?;
    let redemption = log_redemption(app, Some(user), redemption).await?;
    Ok(RedemptionView {
        code: redemption.code.clone(),
        reward_name: reward.name,
        redemption,
    })
}

/// Appends the leaf of a redemption and records its index. Public: the kind and who; private:
/// the reward, the points and the redemption.
async fn log_redemption(
    app: &App,
    user: Option<&User>,
    mut r: Redemption,
) -> AppResult<Redemption> {
    let mut event = Event::new(EventKind::PointsRedeemed, user);
    event.detail = json!({
        "redemption_id": r.id,
        "reward_id": r.reward_id,
        "user_id": r.user_id,
        "points": r.points,
    });
    if let Some(index) = app.log.append(event).await? {
        let index = i64::try_from(index).map_err(AppError::internal)?;
        app.store.set_redemption_logged(&r.id, index).await?;
        r.log_index = Some(index);
    }
    Ok(r)
}

/// How old an unlogged redemption must be before the periodic sweep logs it: the server that
/// made it appends its leaf within moments, and the sweep must not log it a second time.
const UNLOGGED_GRACE_MS: i64 = 60_000;

/// Appends the leaves of redemptions made before `before` whose leaf a stopped process did not
/// append; returns how many. A server runs it at start for everything made before it started,
/// and then every minute for redemptions a minute old, so a redemption made by a server that was
/// killed is logged by whichever server is still running.
pub async fn log_missing_redemptions(app: &App, before: i64) -> AppResult<usize> {
    let missing = app.store.unlogged_redemptions(before).await?;
    let n = missing.len();
    for r in missing {
        let user = app.store.get_user(&r.user_id).await.found()?;
        log_redemption(app, user.as_ref(), r).await?;
    }
    Ok(n)
}

/// Runs [`log_missing_redemptions`] every `every` until the task is dropped; failures are logged
/// and tried again at the next turn.
pub async fn log_missing_every(app: std::sync::Arc<App>, every: std::time::Duration) {
    loop {
        tokio::time::sleep(every).await;
        match log_missing_redemptions(&app, now_ms() - UNLOGGED_GRACE_MS).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                logged = n,
                "logged redemptions a stopped process had not logged"
            ),
            Err(e) => tracing::warn!("redemptions not checked for missing leaves: {}", e.message),
        }
    }
}

/// The authority cancels a redemption with a reason: the points come back (expiring like new
/// points) and the stock grows by one.
pub async fn cancel(app: &App, user: &User, id: &str, reason: &str) -> AppResult<Redemption> {
    require_authority(user)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid(
            "Cancelling needs a `reason` of 1 to 500 characters.",
        ));
    }
    let now = now_ms();
    let missing = || AppError::new(Code::RedemptionNotFound, "There is no such redemption.");
    let r = match app
        .store
        .cancel_redemption(id, reason, points::expires_at(expiry(app), now), now)
        .await
    {
        Err(store::StoreError::Conflict(_)) => {
            return Err(AppError::new(
                Code::AlreadyCancelled,
                "This redemption has been cancelled already.",
            ))
        }
        other => other.or_missing(missing)?,
    };
    let mut event = Event::new(EventKind::RedemptionCancelled, Some(user));
    event.detail = json!({"redemption_id": r.id, "reward_id": r.reward_id, "reason": reason});
    app.log.append(event).await?;
    Ok(r)
}

/// Redemptions of a reward, for the authority.
pub async fn redemptions_of(
    app: &App,
    user: &User,
    reward_id: &str,
) -> AppResult<Vec<RedemptionView>> {
    require_authority(user)?;
    let reward = app
        .store
        .get_reward(reward_id)
        .await
        .or_missing(no_reward)?;
    Ok(app
        .store
        .list_redemptions(None, Some(reward_id))
        .await?
        .into_iter()
        .map(|r| RedemptionView {
            code: r.code.clone(),
            reward_name: reward.name.clone(),
            redemption: r,
        })
        .collect())
}
