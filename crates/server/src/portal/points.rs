//! Portal pages of points and rewards (C12): my points (balance, level, history, points
//! expiring soon, redemptions with their codes, the leaderboard choice), the reward catalog with
//! redemption, the public leaderboard and rules, and the authority's forms for rules, rewards
//! and cancellations. The rules are in [`app::points`].

use super::page::{again, render, require_user, urlencode, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::extract::Visitor;
use crate::i18n::{Lang, Tr};
use crate::state::SharedState;
use app::points::{
    self, LeaderRow, PointsSummary, RedemptionView, RewardInput, RewardView, RuleView,
};
use app::{AppError, Code};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use model::calendar::DAY_MS;
use model::points::RuleConfig;
use model::role::Role;
use serde::Deserialize;
use store::User;

/// The points routes.
pub fn router() -> Router<SharedState> {
    Router::new()
        .route("/points", get(mine_page))
        .route(
            "/points/leaderboard",
            get(leaderboard_page).post(set_leaderboard),
        )
        .route("/points/rules", get(rules_page).post(set_rule))
        .route("/rewards", get(rewards_page).post(save_reward))
        .route("/rewards/{id}/redeem", post(redeem))
        .route("/rewards/{id}/redemptions", get(redemptions_page))
        .route("/redemptions/{id}/cancel", post(cancel))
}

fn day(ms: i64) -> String {
    fmt_time(ms).chars().take(10).collect()
}

fn name_in(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::En && !en.is_empty() {
        en.to_string()
    } else {
        zh.to_string()
    }
}

/// `?msg=…` after a form that redirects (post, redirect, get: a reload sends nothing twice).
#[derive(Deserialize, Default)]
struct Msg {
    #[serde(default)]
    msg: String,
}

fn flash(t: Tr, msg: &str) -> String {
    match msg {
        "saved" => t.message_points_saved(),
        "redeemed" => t.message_redeemed(),
        "cancelled" => t.message_redemption_cancelled(),
        _ => "",
    }
    .to_string()
}

fn done(path: &str) -> PageResult {
    Ok(Redirect::to(path).into_response())
}

#[derive(Deserialize, Default)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

// My points.

struct HistoryRow {
    when: String,
    change: String,
    reason: String,
    expires: String,
}

struct RedemptionRow {
    id: String,
    when: String,
    reward: String,
    code: String,
    points: i64,
    cancelled: bool,
    cancel_reason: String,
    log_index: String,
}

fn redemption_rows(list: &[RedemptionView]) -> Vec<RedemptionRow> {
    list.iter()
        .map(|r| RedemptionRow {
            id: r.redemption.id.clone(),
            when: fmt_time(r.redemption.created_at),
            reward: r.reward_name.clone(),
            code: r.code.clone(),
            points: r.redemption.points,
            cancelled: r.redemption.status == "cancelled",
            cancel_reason: r.redemption.cancel_reason.clone().unwrap_or_default(),
            log_index: r
                .redemption
                .log_index
                .map(|i| i.to_string())
                .unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "points.html")]
struct MineTpl {
    t: Tr,
    page: PageCtx,
    s: PointsSummary,
    next_level: String,
    history: Vec<HistoryRow>,
    redemptions: Vec<RedemptionRow>,
    error: String,
}

async fn mine_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<Msg>,
) -> PageResult {
    mine(&state, &v, String::new(), flash(Tr(v.lang), &q.msg)).await
}

async fn mine(state: &SharedState, v: &Visitor, error: String, flash: String) -> PageResult {
    let user = require_user(v, "/points")?;
    let s = points::mine(state, &user).await.or_page(v)?;
    let en = v.lang == Lang::En;
    let history = s
        .history
        .iter()
        .map(|e| HistoryRow {
            when: fmt_time(e.entry.created_at),
            change: format!("{:+}", e.change),
            reason: if en {
                e.reason_en.clone()
            } else {
                e.reason.clone()
            },
            expires: e.entry.expires_at.map(day).unwrap_or_default(),
        })
        .collect();
    let mut page = PageCtx::new(v, "/points");
    page.flash = flash;
    Ok(render(MineTpl {
        t: Tr(v.lang),
        page,
        next_level: s.next_level_at.map(|n| n.to_string()).unwrap_or_default(),
        redemptions: redemption_rows(&s.redemptions),
        history,
        s,
        error,
    }))
}

#[derive(Deserialize, Default)]
struct LeaderboardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    display_name: String,
}

async fn set_leaderboard(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<LeaderboardForm>,
) -> PageResult {
    let user = require_user(&v, "/points")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    match points::set_leaderboard(&state, &user, f.public == "true", &f.display_name).await {
        Ok(_) => done("/points?msg=saved"),
        Err(e) => again(&v, e, |m| mine(&state, &v, m, String::new())).await,
    }
}

// The leaderboard and the rules.

#[derive(Template)]
#[template(path = "points_leaderboard.html")]
struct LeaderboardTpl {
    t: Tr,
    page: PageCtx,
    rows: Vec<LeaderRow>,
}

async fn leaderboard_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    Ok(render(LeaderboardTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/points/leaderboard"),
        rows: points::leaderboard(&state).await.or_page(&v)?,
    }))
}

struct RuleRow {
    code: String,
    name: String,
    points: i64,
    cap: String,
    enabled: bool,
}

#[derive(Template)]
#[template(path = "points_rules.html")]
struct RulesTpl {
    t: Tr,
    page: PageCtx,
    rules: Vec<RuleRow>,
    authority: bool,
    error: String,
}

async fn rules_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<Msg>,
) -> PageResult {
    rules(&state, &v, String::new(), flash(Tr(v.lang), &q.msg)).await
}

async fn rules(state: &SharedState, v: &Visitor, error: String, flash: String) -> PageResult {
    let list: Vec<RuleView> = points::rules(state).await.or_page(v)?;
    let mut page = PageCtx::new(v, "/points/rules");
    page.flash = flash;
    Ok(render(RulesTpl {
        t: Tr(v.lang),
        page,
        rules: list
            .into_iter()
            .map(|r| RuleRow {
                code: r.rule.code().to_string(),
                name: name_in(v.lang, r.name, r.name_en),
                points: r.config.points,
                cap: r
                    .config
                    .daily_cap
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                enabled: r.config.enabled,
            })
            .collect(),
        authority: v.user.as_ref().is_some_and(|u| u.role == Role::Authority),
        error,
    }))
}

#[derive(Deserialize, Default)]
struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    daily_cap: String,
    #[serde(default)]
    enabled: String,
}

fn number(field: &str, text: &str) -> Result<i64, AppError> {
    text.trim().parse().map_err(|_| {
        AppError::new(
            Code::InvalidField,
            format!("`{field}` must be a whole number."),
        )
    })
}

async fn set_rule(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<RuleForm>,
) -> PageResult {
    let user = require_user(&v, "/points/rules")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = async {
        let config = RuleConfig {
            points: number("points", &f.points)?,
            daily_cap: match f.daily_cap.trim() {
                "" => None,
                cap => Some(number("daily_cap", cap)?),
            },
            enabled: f.enabled == "true",
        };
        points::set_rule(&state, &user, &f.rule, config).await
    }
    .await;
    match outcome {
        Ok(_) => done("/points/rules?msg=saved"),
        Err(e) => again(&v, e, |m| rules(&state, &v, m, String::new())).await,
    }
}

// Rewards.

struct RewardRow {
    id: String,
    name: String,
    description: String,
    cost: i64,
    stock: i64,
    per_user: i64,
    period: String,
    available: bool,
}

#[derive(Template)]
#[template(path = "rewards.html")]
struct RewardsTpl {
    t: Tr,
    page: PageCtx,
    rewards: Vec<RewardRow>,
    spendable: Option<i64>,
    authority: bool,
    error: String,
}

async fn rewards_page(
    State(state): State<SharedState>,
    v: Visitor,
    Query(q): Query<Msg>,
) -> PageResult {
    rewards(&state, &v, String::new(), flash(Tr(v.lang), &q.msg)).await
}

async fn rewards(state: &SharedState, v: &Visitor, error: String, flash: String) -> PageResult {
    let list: Vec<RewardView> = points::rewards(state).await.or_page(v)?;
    let spendable = match &v.user {
        Some(u) => Some(points::mine(state, u).await.or_page(v)?.balance.spendable),
        None => None,
    };
    let mut page = PageCtx::new(v, "/rewards");
    page.flash = flash;
    Ok(render(RewardsTpl {
        t: Tr(v.lang),
        page,
        rewards: list
            .into_iter()
            .map(|r| RewardRow {
                name: name_in(v.lang, &r.reward.name, &r.reward.name_en),
                description: r.reward.description.clone(),
                cost: r.reward.cost,
                stock: r.reward.stock,
                per_user: r.reward.per_user,
                period: format!(
                    "{} – {}",
                    day(r.reward.starts_at),
                    day(r.reward.ends_at - 1)
                ),
                available: r.available,
                id: r.reward.id,
            })
            .collect(),
        spendable,
        authority: v.user.as_ref().is_some_and(|u| u.role == Role::Authority),
        error,
    }))
}

async fn redeem(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    let user = require_user(&v, "/rewards")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    match points::redeem(&state, &user, &id).await {
        Ok(_) => done("/points?msg=redeemed"),
        Err(e) => again(&v, e, |m| rewards(&state, &v, m, String::new())).await,
    }
}

#[derive(Deserialize, Default)]
struct RewardForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    stock: String,
    #[serde(default)]
    per_user: String,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

fn reward_input(f: &RewardForm) -> Result<RewardInput, AppError> {
    let starts_at = match f.starts.trim() {
        "" => None,
        d => Some(app::feedback::parse_day(d)?),
    };
    Ok(RewardInput {
        name: f.name.clone(),
        name_en: f.name_en.clone(),
        description: f.description.clone(),
        cost: number("cost", &f.cost)?,
        stock: number("stock", &f.stock)?,
        per_user: match f.per_user.trim() {
            "" => 1,
            n => number("per_user", n)?,
        },
        starts_at,
        // The last day counts whole.
        ends_at: app::feedback::parse_day(f.ends.trim())? + DAY_MS,
    })
}

async fn save_reward(
    State(state): State<SharedState>,
    v: Visitor,
    Form(f): Form<RewardForm>,
) -> PageResult {
    let user = require_user(&v, "/rewards")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    let outcome = match reward_input(&f) {
        Ok(input) => points::save_reward(&state, &user, None, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => done("/rewards?msg=saved"),
        Err(e) => again(&v, e, |m| rewards(&state, &v, m, String::new())).await,
    }
}

#[derive(Template)]
#[template(path = "reward_redemptions.html")]
struct RedemptionsTpl {
    t: Tr,
    page: PageCtx,
    reward: String,
    reward_id: String,
    rows: Vec<RedemptionRow>,
    error: String,
}

async fn redemptions_page(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Query(q): Query<Msg>,
) -> PageResult {
    let user = require_user(&v, &format!("/rewards/{id}/redemptions"))?;
    let flash = flash(Tr(v.lang), &q.msg);
    redemptions(&state, &v, &user, &id, String::new(), flash).await
}

async fn redemptions(
    state: &SharedState,
    v: &Visitor,
    user: &User,
    id: &str,
    error: String,
    flash: String,
) -> PageResult {
    let reward = points::reward(state, id).await.or_page(v)?;
    let list = points::redemptions_of(state, user, id).await.or_page(v)?;
    let mut page = PageCtx::new(v, &format!("/rewards/{id}/redemptions"));
    page.flash = flash;
    Ok(render(RedemptionsTpl {
        t: Tr(v.lang),
        page,
        reward: name_in(v.lang, &reward.reward.name, &reward.reward.name_en),
        reward_id: id.to_string(),
        rows: redemption_rows(&list),
        error,
    }))
}

#[derive(Deserialize, Default)]
struct CancelForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reward: String,
    #[serde(default)]
    reason: String,
}

async fn cancel(
    State(state): State<SharedState>,
    v: Visitor,
    Path(id): Path<String>,
    Form(f): Form<CancelForm>,
) -> PageResult {
    let user = require_user(&v, "/rewards")?;
    v.check_csrf(&f.csrf).or_page(&v)?;
    match points::cancel(&state, &user, &id, &f.reason).await {
        Ok(r) => done(&format!(
            "/rewards/{}/redemptions?msg=cancelled",
            urlencode(&r.reward_id)
        )),
        Err(e) => {
            again(&v, e, |m| {
                redemptions(&state, &v, &user, &f.reward, m, String::new())
            })
            .await
        }
    }
}
