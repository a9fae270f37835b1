//! "My activity" (我的参与): what a signed-in user filed, supported and said (on demands and
//! consultations), and the answers they received, in one place.

use crate::demands::{self, DemandView};
use crate::error::AppResult;
use crate::state::App;
use serde::Serialize;
use store::User;

/// Most items of each kind shown.
pub const LIMIT: i64 = 100;

/// One of the user's comments, with the demand it is on.
#[derive(Debug, Clone, Serialize)]
pub struct CommentActivity {
    /// The comment's id.
    pub id: String,
    /// The demand's id.
    pub demand_id: String,
    /// The demand's title.
    pub demand_title: String,
    /// What the user wrote.
    pub body: String,
    /// When (Unix ms).
    pub created_at: i64,
}

/// One of the user's comments on a consultation, with the department's answer.
#[derive(Debug, Clone, Serialize)]
pub struct ConsultationCommentActivity {
    /// The comment's id.
    pub id: String,
    /// The consultation's id.
    pub consultation_id: String,
    /// The consultation's title.
    pub consultation_title: String,
    /// The article, or null for the whole draft.
    pub article: Option<i64>,
    /// The stance.
    pub stance: model::consultation::Stance,
    /// What the user wrote.
    pub body: String,
    /// Withdrawn by the user.
    pub withdrawn: bool,
    /// Why it was hidden, when it was.
    pub hidden_reason: Option<String>,
    /// The department's answer.
    pub adoption: Option<model::consultation::Adoption>,
    /// The answer's text.
    pub answer: Option<String>,
    /// When (Unix ms).
    pub created_at: i64,
}

/// A user's participation.
#[derive(Debug, Clone, Serialize)]
pub struct Activity {
    /// Demands the user filed, newest first, with the department's answers.
    pub filed: Vec<DemandView>,
    /// Demands the user supports, most recently supported first.
    pub supported: Vec<DemandView>,
    /// The user's comments on demands, newest first.
    pub comments: Vec<CommentActivity>,
    /// The user's comments on consultations with the answers, newest first.
    pub consultation_comments: Vec<ConsultationCommentActivity>,
}

/// The activity of `user`, at most [`LIMIT`] items of each kind.
pub async fn mine(app: &App, user: &User) -> AppResult<Activity> {
    let filed = demands::list(
        app,
        demands::DemandQuery {
            created_by: Some(user.id.clone()),
            sort: store::DemandSort::Newest,
            limit: LIMIT,
            ..demands::DemandQuery::default()
        },
    )
    .await?
    .demands;
    let supported = demands::views(
        app,
        app.store.list_supported_demands(&user.id, LIMIT).await?,
    )
    .await?;
    let mut comments = Vec::new();
    for c in app.store.list_user_demand_comments(&user.id, LIMIT).await? {
        let title = match app.store.get_demand(&c.demand_id).await {
            Ok(d) => d.title,
            Err(store::StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        comments.push(CommentActivity {
            id: c.id,
            demand_id: c.demand_id,
            demand_title: title,
            body: c.body,
            created_at: c.created_at,
        });
    }
    let mut consultation_comments = Vec::new();
    for c in app
        .store
        .list_user_consultation_comments(&user.id, LIMIT)
        .await?
    {
        let title = app.store.get_consultation(&c.consultation_id).await?.title;
        consultation_comments.push(ConsultationCommentActivity {
            id: c.id,
            consultation_id: c.consultation_id,
            consultation_title: title,
            article: c.article,
            stance: c.stance,
            body: c.body,
            withdrawn: c.withdrawn,
            hidden_reason: c.hidden_reason,
            adoption: c.adoption,
            answer: c.answer,
            created_at: c.created_at,
        });
    }
    Ok(Activity {
        filed,
        supported,
        comments,
        consultation_comments,
    })
}
