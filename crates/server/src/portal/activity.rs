//! The "my activity" page (我的参与): the signed-in user's demands with the answers they
//! received, the demands they support, and their comments.

use super::page::{render, require_user, OrPage, PageResult};
use super::pages::{fmt_time, PageCtx};
use crate::extract::Visitor;
use crate::i18n::Tr;
use crate::state::SharedState;
use app::demands::DemandView;
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The activity route.
pub fn router() -> Router<SharedState> {
    Router::new().route("/activity", get(activity_page))
}

/// A demand as the page lists it, with the answer when there is one.
struct Item {
    id: String,
    title: String,
    target: String,
    status: String,
    overdue: bool,
    answer: String,
    planned: String,
    reason: String,
    when: String,
}

fn item(d: &DemandView, lang: crate::i18n::Lang) -> Item {
    let code = lang.code();
    Item {
        id: d.demand.id.clone(),
        title: d.demand.title.clone(),
        target: d.target_title.clone(),
        status: d.demand.status.label(code).to_string(),
        overdue: d.overdue,
        answer: d.demand.answer.clone().unwrap_or_default(),
        planned: d
            .demand
            .planned_at
            .map(|p| fmt_time(p).chars().take(10).collect())
            .unwrap_or_default(),
        reason: d
            .demand
            .rejection_reason
            .map(|r| r.label(code).to_string())
            .unwrap_or_default(),
        when: fmt_time(d.demand.created_at),
    }
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityTpl {
    t: Tr,
    page: PageCtx,
    filed: Vec<Item>,
    supported: Vec<Item>,
    comments: Vec<(String, String, String, String)>,
    /// (consultation id, title, on what, stance, text, answer).
    consultation_comments: Vec<(String, String, String, String, String, String)>,
}

async fn activity_page(State(state): State<SharedState>, v: Visitor) -> PageResult {
    let user = require_user(&v, "/activity")?;
    let a = app::activity::mine(&state, &user).await.or_page(&v)?;
    Ok(render(ActivityTpl {
        t: Tr(v.lang),
        page: PageCtx::new(&v, "/activity"),
        filed: a.filed.iter().map(|d| item(d, v.lang)).collect(),
        supported: a.supported.iter().map(|d| item(d, v.lang)).collect(),
        comments: a
            .comments
            .into_iter()
            .map(|c| (c.demand_id, c.demand_title, c.body, fmt_time(c.created_at)))
            .collect(),
        consultation_comments: a
            .consultation_comments
            .into_iter()
            .map(|c| {
                let t = Tr(v.lang);
                let on = match c.article {
                    Some(n) => format!(
                        "{}{n}{}",
                        t.consultation_article_prefix(),
                        t.consultation_article_suffix()
                    ),
                    None => t.consultation_whole_draft().to_string(),
                };
                let answer = match (c.adoption, c.answer) {
                    (Some(a), Some(text)) if !text.is_empty() => {
                        format!("{}：{text}", a.label(v.lang.code()))
                    }
                    (Some(a), _) => a.label(v.lang.code()).to_string(),
                    (None, _) => String::new(),
                };
                (
                    c.consultation_id,
                    c.consultation_title,
                    on,
                    c.stance.label(v.lang.code()).to_string(),
                    c.body,
                    answer,
                )
            })
            .collect(),
    })
    .into_response())
}
